"""The review queue: activities whose opportunity the evidence did not single out.

The queue lists threads (each by its first waiting activity), a page at a time, keyset-paged on
``(first_at, activity_id)`` oldest or newest first, so a page stays put while items before it are
filed. A person's choice is stored on every activity of the thread, marked ``manual``; automatic
runs (capture of later replies, re-association after identity changes) never overwrite it, and
later messages of the thread inherit it. One choice can also file every waiting item of the same
contact that suggests the same opportunity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, asc, delete, desc, func, or_, select, update
from sqlalchemy.orm import Session

from rightturn.crm.model import (
    Account,
    Activity,
    ActivityParticipant,
    AssociationModel,
    Contact,
    Opportunity,
    Rep,
    Suggestion,
)
from rightturn.crm.queries import aware, decode_cursor, encode_cursor
from rightturn.crm.scope import Scope
from rightturn.crm.settings import bump_data_version
from rightturn.crm.store import Store, chunks
from rightturn.crm.types import utcnow
from rightturn.errors import NotFound, ParseError

__all__ = [
    "EXCERPT",
    "ORDERS",
    "Resolution",
    "ReviewItem",
    "ReviewPage",
    "ThreadMessage",
    "excerpt",
    "resolve",
    "review_accounts",
    "review_queue",
    "review_thread",
]

Order = Literal["oldest", "newest"]
ORDERS: tuple[Order, ...] = ("oldest", "newest")
EXCERPT = 300  # characters of a body (or call notes) shown in the queue
THREAD_MESSAGES = 100  # messages of one thread shown on demand
SENDER_ROLES = ("from", "caller", "organizer")


@dataclass(frozen=True)
class ReviewItem:
    activity_id: int
    kind: str
    occurred_at: datetime
    rep_id: str | None
    account_id: str | None
    account_name: str | None
    subject: str | None
    reason: str | None
    thread_size: int
    # (opportunity_id, score, evidence), best first.
    suggestions: list[tuple[str, float, str]] = field(default_factory=list)
    # Suggested opportunities' names, so a person chooses by name rather than id.
    names: dict[str, str] = field(default_factory=dict)
    rep_name: str | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    contact_title: str | None = None
    direction: str | None = None
    excerpt: str | None = None
    # Per suggested opportunity: how many waiting items (this one included) of the same contact
    # suggest it, in the viewer's scope: what ``resolve(..., same_contact=True)`` would file.
    contact_waiting: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewPage:
    """One page of the queue. ``total`` counts every waiting thread matching the filters;
    ``start`` how many of those come before this page in its order (so it shows start+1 to
    start+len(items)). Cursors are None where there is nothing further that way."""

    items: list[ReviewItem]
    total: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    start: int = 0
    order: Order = "oldest"
    # The hand-set rules' suggestion scores only rank one activity's candidates, so the queue
    # shows "1st choice", never "90%"; once the org's weights are learned from its decisions
    # (and re-association has rescored the queue with them) they are probabilities, and the API
    # says "score_kind": "probability" and the panel shows percentages.
    scores_are_probabilities: bool = False


def excerpt(
    kind: str,
    body: str | None,
    *,
    outcome: str | None = None,
    duration_s: int | None = None,
    size: int = EXCERPT,
) -> str | None:
    """A short, one-line excerpt: an email's body; a call's outcome, length and notes; a
    meeting's length and description. At most ``size`` characters of text, ending in "…" when
    cut."""
    facts = []
    if kind == "call" and outcome:
        facts.append(outcome.replace("_", " "))
    if kind != "email" and duration_s:
        facts.append(f"{max(round(duration_s / 60), 1)} min")
    text = " ".join((body or "").split())
    if len(text) > size:
        text = text[: size - 1].rstrip() + "…"
    return " · ".join([*facts, text] if text else facts) or None


def _thread_key() -> Any:
    return func.coalesce(
        Activity.thread_id, func.cast(Activity.activity_id, Activity.thread_id.type)
    )


def _waiting(
    scope: Scope | None,
    *,
    rep_id: str | None = None,
    account_id: str | None = None,
    kind: str | None = None,
) -> list[ColumnElement[bool]]:
    where = [Activity.status == "needs_review"]
    if scope is not None:
        where.append(scope.reps(Activity.rep_id))
    for column, value in (
        (Activity.rep_id, rep_id),
        (Activity.account_id, account_id),
        (Activity.kind, kind),
    ):
        if value:
            where.append(column == value)
    return where


def _cursor(cursor: str) -> tuple[str, datetime, int]:
    way, when, activity_id = decode_cursor(cursor, 3)
    try:
        if way not in ("after", "before"):
            raise ParseError(way)
        return way, datetime.fromisoformat(when), int(activity_id)
    except (TypeError, ValueError):
        raise ParseError(
            f"cursor {cursor!r} is not one this server gave out; start without it"
        ) from None


def _beyond(at: Any, activity_id: Any, key: tuple[datetime, int], greater: bool) -> Any:
    """Rows whose (at, activity_id) comes after ``key`` (``greater``) or before it."""
    when, ident = key
    if greater:
        return or_(at > when, and_(at == when, activity_id > ident))
    return or_(at < when, and_(at == when, activity_id < ident))


def review_queue(
    store: Store,
    *,
    rep_id: str | None = None,
    account_id: str | None = None,
    kind: str | None = None,
    order: Order = "oldest",
    cursor: str | None = None,
    limit: int = 50,
    scope: Scope | None = None,
    total: int | None = None,
) -> ReviewPage:
    """A page of ``limit`` waiting threads (each by its first waiting activity), oldest or
    newest first, after (or before) ``cursor``, and how many threads wait in all.

    ``limit <= 0`` counts only (the panel's badge). ``scope`` keeps only what a viewer may see
    (default: everything), suggestions included: a shared account's other deals stay hidden.
    ``total``, when the caller already counted these threads (a cached badge), saves the count:
    each count groups every waiting activity in scope."""
    if order not in ORDERS:
        raise ParseError(f"order={order!r} is not one of {', '.join(ORDERS)}")
    where = _waiting(scope, rep_id=rep_id, account_id=account_id, kind=kind)
    groups = (
        select(
            func.min(Activity.activity_id).label("activity_id"),
            func.count().label("n"),
            func.min(Activity.occurred_at).label("first_at"),
        )
        .where(*where)
        .group_by(_thread_key())
        .subquery()
    )
    oldest = order == "oldest"
    with store.session() as s:
        if total is None:
            total = s.scalar(select(func.count()).select_from(groups)) or 0
        if limit <= 0:  # only the count (the panel's badge)
            return ReviewPage([], total, order=order)
        clauses = []
        ascending = oldest
        if cursor:
            way, when, ident = _cursor(cursor)
            backwards = way == "before"
            ascending = oldest != backwards  # a page before the cursor is read in reverse
            clauses.append(
                _beyond(groups.c.first_at, groups.c.activity_id, (when, ident), ascending)
            )
        sort = asc if ascending else desc
        page = list(
            s.execute(
                select(groups.c.activity_id, groups.c.n, groups.c.first_at)
                .where(*clauses)
                .order_by(sort(groups.c.first_at), sort(groups.c.activity_id))
                .limit(limit)
            ).all()
        )
        if ascending != oldest:
            page.reverse()
        if not page:
            return ReviewPage([], total, start=total if cursor else 0, order=order)
        first = (aware(page[0].first_at), page[0].activity_id)
        # Without a cursor the page is the queue's first: nothing to count before it.
        start = (
            s.scalar(
                select(func.count())
                .select_from(groups)
                .where(_beyond(groups.c.first_at, groups.c.activity_id, first, not oldest))
            )
            or 0
            if cursor
            else 0
        )
        items = _items(s, page, scope)
        learned = s.scalar(select(AssociationModel.model_id).limit(1)) is not None
    last = page[-1]
    return ReviewPage(
        items,
        total,
        next_cursor=encode_cursor(["after", aware(last.first_at).isoformat(), last.activity_id])
        if start + len(page) < total
        else None,
        previous_cursor=encode_cursor(["before", first[0].isoformat(), first[1]])
        if start > 0
        else None,
        start=start,
        scores_are_probabilities=learned,
        order=order,
    )


def _items(s: Any, page: list[Any], scope: Scope | None) -> list[ReviewItem]:
    """The queue items of a page of (activity_id, n, first_at) rows, in that order."""
    sizes = {row.activity_id: row.n for row in page}
    rows = {
        a.activity_id: (a, account, rep, contact)
        for a, account, rep, contact in s.execute(
            select(Activity, Account.name, Rep.name, Contact)
            .outerjoin(Account, Account.account_id == Activity.account_id)
            .outerjoin(Rep, Rep.rep_id == Activity.rep_id)
            .outerjoin(Contact, Contact.contact_id == Activity.contact_id)
            .where(Activity.activity_id.in_(list(sizes)))
        ).all()
    }
    visible = select(Opportunity.opportunity_id).where(
        (scope or Scope.everything()).reps(Opportunity.owner_rep_id)
    )
    suggestions: dict[int, list[tuple[str, float, str]]] = {}
    for sug in s.scalars(
        select(Suggestion)
        .where(Suggestion.activity_id.in_(list(sizes)), Suggestion.opportunity_id.in_(visible))
        .order_by(Suggestion.rank)
    ):
        suggestions.setdefault(sug.activity_id, []).append(
            (sug.opportunity_id, sug.score, sug.reason)
        )
    wanted = {o for found in suggestions.values() for o, _, _ in found}
    names = dict(
        s.execute(
            select(Opportunity.opportunity_id, Opportunity.name).where(
                Opportunity.opportunity_id.in_(wanted)
            )
        ).all()
    )
    contacts = {a.contact_id for a, _, _, _ in rows.values() if a.contact_id}
    waiting: dict[tuple[str, str], int] = {
        (contact_id, opportunity_id): n
        for contact_id, opportunity_id, n in s.execute(
            select(
                Activity.contact_id,
                Suggestion.opportunity_id,
                func.count(func.distinct(_thread_key())),
            )
            .join(Suggestion, Suggestion.activity_id == Activity.activity_id)
            .where(*_waiting(scope), Activity.contact_id.in_(contacts))
            .group_by(Activity.contact_id, Suggestion.opportunity_id)
        ).all()
    }
    items = []
    for activity_id in sizes:
        a, account, rep, contact = rows[activity_id]
        found = suggestions.get(activity_id, [])
        items.append(
            ReviewItem(
                activity_id=activity_id,
                kind=a.kind,
                occurred_at=a.occurred_at,
                rep_id=a.rep_id,
                account_id=a.account_id,
                account_name=account,
                subject=a.subject,
                reason=a.reason,
                thread_size=sizes[activity_id],
                suggestions=found,
                names={o: names[o] or o for o, _, _ in found if o in names},
                rep_name=rep,
                contact_id=a.contact_id,
                contact_name=contact.name if contact else None,
                contact_title=contact.title if contact else None,
                direction=a.direction,
                excerpt=excerpt(a.kind, a.body_excerpt, outcome=a.outcome, duration_s=a.duration_s),
                contact_waiting={
                    o: waiting.get((a.contact_id, o), 0) for o, _, _ in found if a.contact_id
                },
            )
        )
    return items


def review_accounts(
    store: Store, *, scope: Scope | None = None, limit: int = 200
) -> list[tuple[str, str, int]]:
    """Accounts with waiting threads in the viewer's scope, (account_id, name, threads), the
    fullest first: the review page's account filter."""
    with store.session() as s:
        rows = s.execute(
            select(
                Activity.account_id,
                Account.name,
                func.count(func.distinct(_thread_key())).label("n"),
            )
            .join(Account, Account.account_id == Activity.account_id)
            .where(*_waiting(scope))
            .group_by(Activity.account_id, Account.name)
            .order_by(desc("n"), Account.name)
            .limit(limit)
        ).all()
    return [(account_id, name or account_id, n) for account_id, name, n in rows]


# --- a thread, on demand ---------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadMessage:
    activity_id: int
    kind: str
    direction: str
    occurred_at: datetime
    subject: str | None
    sender: str | None  # a rep's or contact's name, else the name or address the source gave
    excerpt: str | None
    status: str


def review_thread(
    store: Store, activity_id: int, *, scope: Scope | None = None, limit: int = THREAD_MESSAGES
) -> list[ThreadMessage]:
    """The visible messages of an activity's thread, oldest first (at most ``limit``)."""
    scope = scope or Scope.everything()
    with store.session() as s:
        activity = s.get(Activity, activity_id)
        if activity is None or not scope.sees_rep(activity.rep_id):
            raise NotFound(f"no activity {activity_id}: see `rightturn review` for the queue")
        member = (
            Activity.thread_id == activity.thread_id
            if activity.thread_id
            else Activity.activity_id == activity_id
        )
        messages = list(
            s.scalars(
                select(Activity)
                .where(member, scope.reps(Activity.rep_id))
                .order_by(Activity.occurred_at, Activity.activity_id)
                .limit(limit)
            )
        )
        senders: dict[int, str] = {}
        for ident, name, address, rep, contact in s.execute(
            select(
                ActivityParticipant.activity_id,
                ActivityParticipant.name,
                ActivityParticipant.address,
                Rep.name,
                Contact.name,
            )
            .outerjoin(Rep, Rep.rep_id == ActivityParticipant.rep_id)
            .outerjoin(Contact, Contact.contact_id == ActivityParticipant.contact_id)
            .where(
                ActivityParticipant.activity_id.in_([m.activity_id for m in messages]),
                ActivityParticipant.role.in_(SENDER_ROLES),
            )
            .order_by(ActivityParticipant.id)
        ):
            senders.setdefault(ident, rep or contact or name or address)
        return [
            ThreadMessage(
                activity_id=m.activity_id,
                kind=m.kind,
                direction=m.direction,
                occurred_at=m.occurred_at,
                subject=m.subject,
                sender=senders.get(m.activity_id),
                excerpt=excerpt(m.kind, m.body_excerpt, outcome=m.outcome, duration_s=m.duration_s),
                status=m.status,
            )
            for m in messages
        ]


# --- choosing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    activity_ids: list[int]
    opportunity_id: str | None
    account_id: str | None
    threads: int = 1  # queue items filed: the thread chosen, and the contact's others with it


def resolve(
    store: Store,
    activity_id: int,
    *,
    opportunity_id: str | None = None,
    account_only: bool = False,
    unlink: bool = False,
    same_contact: bool = False,
    who: str = "a person",
    scope: Scope | None = None,
) -> Resolution:
    """File an activity's whole thread under an opportunity, its account only, or nothing.

    Exactly one of ``opportunity_id``, ``account_only`` or ``unlink`` is given. With
    ``same_contact`` (only with an opportunity), every other waiting activity of the same contact
    whose suggestions include that opportunity is filed with it, each with its thread. With
    ``scope``, an activity or opportunity the viewer may not see is reported as not found, and
    only visible activities change.
    """
    scope = scope or Scope.everything()
    if sum((opportunity_id is not None, account_only, unlink)) != 1:
        raise ParseError("choose exactly one of an opportunity, account only, or unlink")
    if same_contact and opportunity_id is None:
        raise ParseError("filing a contact's other items needs an opportunity")
    with store.session() as s:
        activity = s.get(Activity, activity_id)
        if activity is None or not scope.sees_rep(activity.rep_id):
            raise NotFound(f"no activity {activity_id}: see `rightturn review` for the queue")
        account_id = None if unlink else _filed_account(s, activity, opportunity_id, scope)
        contact = activity.contact_id if same_contact else None
        rows = _threads_to_file(s, activity_id, contact, opportunity_id, scope)
        ids = [ident for ident, _ in rows]
        _file(s, ids, opportunity_id, account_id, who)
    return Resolution(
        ids, opportunity_id, account_id, threads=len({thread or ident for ident, thread in rows})
    )


def _filed_account(
    s: Session, activity: Activity, opportunity_id: str | None, scope: Scope
) -> str | None:
    """The account the filed thread goes under: the deal's, else the activity's own."""
    if opportunity_id is None:
        return activity.account_id
    opp = s.get(Opportunity, opportunity_id)
    if opp is None or not scope.sees_rep(opp.owner_rep_id):
        raise NotFound(f"no opportunity {opportunity_id!r}; check the id in the suggestions")
    return opp.account_id


def _threads_to_file(
    s: Session, activity_id: int, contact_id: str | None, opportunity_id: str | None, scope: Scope
) -> list[tuple[int, str | None]]:
    """(activity id, thread id) of everything filed with ``activity_id``: its thread, and with a
    contact, the contact's other waiting items suggesting the same deal, each with its thread."""
    seeds: Any = select(Activity.activity_id).where(Activity.activity_id == activity_id)
    if contact_id:
        seeds = seeds.union(
            select(Activity.activity_id)
            .join(Suggestion, Suggestion.activity_id == Activity.activity_id)
            .where(
                *_waiting(scope),
                Activity.contact_id == contact_id,
                Suggestion.opportunity_id == opportunity_id,
            )
        )
    seeds = seeds.subquery()
    threads = select(Activity.thread_id).where(
        Activity.activity_id.in_(select(seeds.c.activity_id)),
        Activity.thread_id.is_not(None),
    )
    rows = s.execute(
        select(Activity.activity_id, Activity.thread_id).where(
            or_(
                Activity.activity_id.in_(select(seeds.c.activity_id)),
                Activity.thread_id.in_(threads),
            ),
            scope.reps(Activity.rep_id),
        )
    ).all()
    return [(ident, thread) for ident, thread in rows]


def _file(
    s: Session, ids: list[int], opportunity_id: str | None, account_id: str | None, who: str
) -> None:
    """File ``ids`` as a person decided, drop their suggestions, and mark the data changed."""
    target = opportunity_id or account_id or "nothing"
    for part in chunks(ids):
        s.execute(
            update(Activity)
            .where(Activity.activity_id.in_(part))
            .values(
                opportunity_id=opportunity_id,
                account_id=account_id,
                status="associated" if account_id else "unmatched",
                confidence=1.0,
                manual=True,
                reason=f"filed under {target} by {who} on {utcnow():%Y-%m-%d}",
            )
        )
        s.execute(delete(Suggestion).where(Suggestion.activity_id.in_(part)))
    if ids:
        bump_data_version(s)
