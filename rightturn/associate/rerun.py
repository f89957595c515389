"""Re-association: when identities change (a new email on a contact, a new contact role, a new
domain on an account, a new opportunity), past activity is associated again so it lands where it
belongs. A person's choice (``manual``) is never touched, and still guides its thread.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from rightturn.associate.engine import Decision, ThreadHint, associate
from rightturn.associate.identity import IdentityIndex, load_index
from rightturn.associate.weights import Weights
from rightturn.associate.writes import suggestion_rows, write_new_contacts
from rightturn.crm.captured import Captured, Party
from rightturn.crm.model import Activity, ActivityParticipant, Suggestion
from rightturn.crm.settings import bump_data_version
from rightturn.crm.store import Store

PAGE = 5000


def has_activities(store: Store) -> bool:
    with store.session() as s:
        return s.scalar(select(Activity.activity_id).limit(1)) is not None


def replay(
    store: Store,
    index: IdentityIndex,
    visit: Callable[[Session, list[tuple[Activity, Captured, ThreadHint | None]]], None],
    *,
    progress: Callable[[int, int], None] | None = None,
    decide: Callable[[Activity, Captured, ThreadHint | None], Decision | None],
) -> None:
    """Walk every activity in time order, as capture saw them, one page per transaction.

    ``decide`` returns its decision for each activity (None: keep what is stored; a person's
    choice is always kept); its thread and the contact's latest filed deal are remembered for
    what follows, as during capture, and a person's choice guides its thread.
    ``visit`` gets each page with its items, in the page's transaction.
    """
    with store.session() as s:
        total = (
            s.scalar(select(Activity.activity_id).order_by(Activity.activity_id.desc()).limit(1))
            or 0
        )
    # "The contact's latest filed activity" is rebuilt as the walk goes, so that an early
    # activity sees what was filed before it, not the end of the history.
    index.filed.clear()
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
                # In capture order: association reads parties in the order the source gave.
                select(ActivityParticipant)
                .where(ActivityParticipant.activity_id.in_(ids))
                .order_by(ActivityParticipant.id)
            ):
                parties[p.activity_id].append(Party(p.role, p.address, p.name, p.response))  # type: ignore[arg-type]
            walked = []
            for activity in page:
                key = activity.thread_id or ""
                hint = threads.get(key) if activity.kind == "email" else None
                item = _item(activity, parties[activity.activity_id])
                walked.append((activity, item, hint))
                decision = decide(activity, item, hint)
                if decision is None or activity.manual:
                    filed = (activity.contact_id, activity.opportunity_id, activity.account_id)
                else:
                    filed = (decision.contact_id, decision.opportunity_id, decision.account_id)
                index.record_filed(filed[0], activity.occurred_at, filed[1])
                if activity.thread_id and (hint is None or not hint.manual):
                    threads[activity.thread_id] = ThreadHint(
                        filed[1], filed[2], bool(activity.manual)
                    )
            visit(s, walked)
            last_time, last_id = page[-1].occurred_at, page[-1].activity_id
            done += len(page)
        if progress:
            progress(done, total)


def reassociate(
    store: Store,
    *,
    progress: Callable[[int, int], None] | None = None,
    weights: Weights | None = None,
) -> Counter[str]:
    """Associate every activity no person decided again; returns counts of what changed.

    ``weights`` default to the org's: learned from its review decisions when it has them."""
    changed: Counter[str] = Counter()
    with store.session() as s:
        index = load_index(s, filed=False)
    if weights is not None:
        index.weights = weights
    decisions: dict[int, Decision] = {}

    def decide(activity: Activity, item: Captured, hint: ThreadHint | None) -> Decision | None:
        if activity.manual:
            return None
        decisions[activity.activity_id] = decision = associate(item, index, hint)
        return decision

    def visit(s: Session, walked: list[tuple[Activity, Captured, ThreadHint | None]]) -> None:
        decided = [(a, decisions.pop(a.activity_id)) for a, _, _ in walked if not a.manual]
        page_changed = _apply(s, decided)
        if page_changed:
            bump_data_version(s)  # once per page, in the page's transaction
        changed.update(page_changed)

    replay(store, index, visit, progress=progress, decide=decide)
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


def _apply(session: Session, decided: list[tuple[Activity, Decision]]) -> Counter[str]:
    """Write the decisions that changed something: one bulk statement per table."""
    moved = [
        (a, d)
        for a, d in decided
        if (d.contact_id, d.account_id, d.opportunity_id, d.status)
        != (a.contact_id, a.account_id, a.opportunity_id, a.status)
    ]
    write_new_contacts(session, [c for _, d in decided for c in d.new_contacts])
    if not moved:
        return Counter()
    session.execute(
        update(Activity),
        [
            {"activity_id": a.activity_id, "contact_id": d.contact_id, "account_id": d.account_id,
             "opportunity_id": d.opportunity_id, "status": d.status, "confidence": d.confidence,
             "reason": d.reason}
            for a, d in moved
        ],
    )  # fmt: skip
    ids = [a.activity_id for a, _ in moved]
    session.execute(delete(Suggestion).where(Suggestion.activity_id.in_(ids)))
    rows = [row for a, d in moved for row in suggestion_rows(a.activity_id, d)]
    if rows:
        session.execute(insert(Suggestion.table()), rows)
    return Counter(d.status for _, d in moved)
