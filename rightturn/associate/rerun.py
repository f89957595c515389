"""Re-association: when identities change (a new email on a contact, a new contact role, a new
domain on an account, a new opportunity), past activity is associated again so it lands where it
belongs. A person's choice (``manual``) is never touched, and still guides its thread.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from sqlalchemy import delete, insert, select, update

from rightturn.associate.engine import Decision, ThreadHint, associate
from rightturn.associate.identity import load_index
from rightturn.capture.items import Captured, Party
from rightturn.crm.model import Activity, ActivityParticipant, Contact, ContactEmail, Suggestion
from rightturn.crm.store import Store

PAGE = 5000


def has_activities(store: Store) -> bool:
    with store.session() as s:
        return s.scalar(select(Activity.activity_id).limit(1)) is not None


def reassociate(
    store: Store, *, progress: Callable[[int, int], None] | None = None
) -> Counter[str]:
    """Associate every activity no person decided again; returns counts of what changed."""
    changed: Counter[str] = Counter()
    with store.session() as s:
        index = load_index(s)
        total = (
            s.scalar(select(Activity.activity_id).order_by(Activity.activity_id.desc()).limit(1))
            or 0
        )
    threads: dict[str, ThreadHint] = {}
    last_time, last_id, done = None, 0, 0
    while True:
        with store.session() as s:
            query = (
                select(Activity).order_by(Activity.occurred_at, Activity.activity_id).limit(PAGE)
            )
            if last_time is not None:
                query = query.where(
                    (Activity.occurred_at > last_time)
                    | ((Activity.occurred_at == last_time) & (Activity.activity_id > last_id))
                )
            page = list(s.scalars(query))
            if not page:
                break
            parties: dict[int, list[Party]] = defaultdict(list)
            ids = [a.activity_id for a in page]
            for p in s.scalars(
                select(ActivityParticipant).where(ActivityParticipant.activity_id.in_(ids))
            ):
                parties[p.activity_id].append(Party(p.role, p.address, p.name, p.response))  # type: ignore[arg-type]
            for activity in page:
                hint = threads.get(activity.thread_id or "") if activity.kind == "email" else None
                if activity.manual:
                    decision_hint = ThreadHint(activity.opportunity_id, activity.account_id, True)
                else:
                    item = _item(activity, parties[activity.activity_id])
                    decision = associate(item, index, hint)
                    if _apply(s, activity, decision):
                        changed[decision.status] += 1
                    decision_hint = ThreadHint(decision.opportunity_id, decision.account_id, False)
                if activity.thread_id and (hint is None or not hint.manual):
                    threads[activity.thread_id] = decision_hint
            last_time, last_id = page[-1].occurred_at, page[-1].activity_id
            done += len(page)
        if progress:
            progress(done, total)
    return changed


def _item(activity: Activity, parties: list[Party]) -> Captured:
    return Captured(
        kind=activity.kind,  # type: ignore[arg-type]
        source=activity.source,
        source_id=activity.source_id,
        position="",
        occurred_at=activity.occurred_at,
        parties=parties,
        subject=activity.subject,
        body_excerpt=activity.body_excerpt,
        direction_hint=activity.direction if activity.kind == "call" else None,
    )


def _apply(session, activity: Activity, d: Decision) -> bool:  # type: ignore[no-untyped-def]
    new = (d.contact_id, d.account_id, d.opportunity_id, d.status)
    old = (activity.contact_id, activity.account_id, activity.opportunity_id, activity.status)
    for contact in d.new_contacts:
        if session.get(Contact, contact.contact_id) is None:
            session.add(
                Contact(
                    contact_id=contact.contact_id,
                    account_id=contact.account_id,
                    name=contact.name,
                    auto_created=True,
                )
            )
            session.flush()
            session.execute(
                insert(ContactEmail), [{"contact_id": contact.contact_id, "email": contact.address}]
            )
    if new == old:
        return False
    session.execute(
        update(Activity)
        .where(Activity.activity_id == activity.activity_id)
        .values(
            contact_id=d.contact_id,
            account_id=d.account_id,
            opportunity_id=d.opportunity_id,
            status=d.status,
            confidence=d.confidence,
            reason=d.reason,
        )
    )
    session.execute(delete(Suggestion).where(Suggestion.activity_id == activity.activity_id))
    if d.suggestions:
        session.execute(
            insert(Suggestion),
            [
                {
                    "activity_id": activity.activity_id,
                    "opportunity_id": o,
                    "rank": r,
                    "score": sc,
                    "reason": why,
                }
                for r, (o, sc, why) in enumerate(d.suggestions, start=1)
            ],
        )
    return True
