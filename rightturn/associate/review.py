"""The review queue: activities whose opportunity the evidence did not single out.

A person's choice is stored on every activity of the thread, marked ``manual``; automatic runs
(capture of later replies, re-association after identity changes) never overwrite it, and later
messages of the thread inherit it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update

from rightturn.crm.model import Account, Activity, Opportunity, Suggestion
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.crm.types import utcnow
from rightturn.errors import NotFound


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
    suggestions: list[tuple[str, float, str]] = field(default_factory=list)
    # Suggested opportunities' names, so a person chooses by name rather than id.
    names: dict[str, str] = field(default_factory=dict)


def review_queue(
    store: Store, *, rep_id: str | None = None, limit: int = 50, scope: Scope | None = None
) -> tuple[list[ReviewItem], int]:
    """The ``limit`` threads waiting longest for review (each by its first activity), and how
    many threads wait in all.

    ``scope`` keeps only what a viewer may see (default: everything)."""
    where = [Activity.status == "needs_review"]
    if scope is not None:
        where.append(scope.reps(Activity.rep_id))
    if rep_id:
        where.append(Activity.rep_id == rep_id)
    thread = func.coalesce(
        Activity.thread_id, func.cast(Activity.activity_id, Activity.thread_id.type)
    )
    groups = (
        select(
            func.min(Activity.activity_id).label("activity_id"),
            func.count().label("n"),
            func.min(Activity.occurred_at).label("first_at"),
        )
        .where(*where)
        .group_by(thread)
    )
    with store.session() as s:
        total = s.scalar(select(func.count()).select_from(groups.subquery())) or 0
        if limit <= 0:  # only the count (the panel's badge)
            return [], total
        # Pick the page of threads inside the grouping, so only those rows are fetched.
        page = groups.order_by("first_at", "activity_id").limit(limit).subquery()
        rows = s.execute(
            select(Activity, page.c.n, Account.name)
            .join(page, page.c.activity_id == Activity.activity_id)
            .outerjoin(Account, Account.account_id == Activity.account_id)
            .order_by(page.c.first_at, page.c.activity_id)
        ).all()
        ids = [a.activity_id for a, _, _ in rows]
        suggestions: dict[int, list[tuple[str, float, str]]] = {}
        # Only opportunities the viewer may see: a shared account's other deals stay hidden.
        visible = select(Opportunity.opportunity_id).where(
            (scope or Scope.everything()).reps(Opportunity.owner_rep_id)
        )
        for sug in s.scalars(
            select(Suggestion)
            .where(Suggestion.activity_id.in_(ids), Suggestion.opportunity_id.in_(visible))
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
    items = [
        ReviewItem(
            activity_id=a.activity_id,
            kind=a.kind,
            occurred_at=a.occurred_at,
            rep_id=a.rep_id,
            account_id=a.account_id,
            account_name=name,
            subject=a.subject,
            reason=a.reason,
            thread_size=n,
            suggestions=suggestions.get(a.activity_id, []),
            names={
                o: names[o] or o for o, _, _ in suggestions.get(a.activity_id, []) if o in names
            },
        )
        for a, n, name in rows
    ]
    return items, total


@dataclass(frozen=True)
class Resolution:
    activity_ids: list[int]
    opportunity_id: str | None
    account_id: str | None


def resolve(
    store: Store,
    activity_id: int,
    *,
    opportunity_id: str | None = None,
    account_only: bool = False,
    unlink: bool = False,
    who: str = "a person",
    scope: Scope | None = None,
) -> Resolution:
    """File an activity's whole thread under an opportunity, its account only, or nothing.

    Exactly one of ``opportunity_id``, ``account_only`` or ``unlink`` is given. With ``scope``,
    an activity or opportunity the viewer may not see is reported as not found, and only the
    thread's visible activities change.
    """
    scope = scope or Scope.everything()
    if sum((opportunity_id is not None, account_only, unlink)) != 1:
        raise ValueError("choose exactly one of an opportunity, account only, or unlink")
    with store.session() as s:
        activity = s.get(Activity, activity_id)
        if activity is None or not scope.sees_rep(activity.rep_id):
            raise NotFound(f"no activity {activity_id}: see `rightturn review` for the queue")
        account_id = activity.account_id
        if opportunity_id is not None:
            opp = s.get(Opportunity, opportunity_id)
            if opp is None or not scope.sees_rep(opp.owner_rep_id):
                raise NotFound(
                    f"no opportunity {opportunity_id!r}; check the id in the suggestions"
                )
            account_id = opp.account_id
        if unlink:
            account_id = None
        members = [Activity.activity_id == activity_id]
        if activity.thread_id:
            members.append(Activity.thread_id == activity.thread_id)
        ids = list(
            s.scalars(
                select(Activity.activity_id).where(or_(*members), scope.reps(Activity.rep_id))
            )
        )
        target = opportunity_id or account_id or "nothing"
        s.execute(
            update(Activity)
            .where(Activity.activity_id.in_(ids))
            .values(
                opportunity_id=opportunity_id,
                account_id=account_id,
                status="associated" if account_id else "unmatched",
                confidence=1.0,
                manual=True,
                reason=f"filed under {target} by {who} on {utcnow():%Y-%m-%d}",
            )
        )
        s.execute(delete(Suggestion).where(Suggestion.activity_id.in_(ids)))
    return Resolution(ids, opportunity_id, account_id)
