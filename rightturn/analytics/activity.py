"""What the team did and how buyers answered: the counts a manager's home page opens with.

Every function takes a :class:`~rightturn.crm.scope.Scope` and an ``as_of`` time, counts in SQL,
and returns plain data the panel and API render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, func, null, select
from sqlalchemy.orm import Session

from rightturn.crm.model import ACTIVITY_KINDS, Activity, BuyerAction
from rightturn.crm.scope import Scope

__all__ = ["WEEK_COUNTS", "WeekOverWeek", "activity_mix", "week_by_rep", "week_over_week"]

# What a week counts: activities by kind (internal mail aside), then the buyer's responses.
WEEK_COUNTS = (*ACTIVITY_KINDS, "buyer responses")


@dataclass(frozen=True)
class WeekOverWeek:
    """Counts for the 7 days up to ``as_of`` and the 7 days before them."""

    as_of: datetime
    this_week: dict[str, int]
    last_week: dict[str, int]

    def change(self, what: str) -> float | None:
        """Relative change of one count (None when last week had none)."""
        before = self.last_week.get(what, 0)
        if not before:
            return None
        return (self.this_week.get(what, 0) - before) / before

    @property
    def activities(self) -> int:
        """This week's emails (sent and received), calls and meetings, internal mail aside: the
        sum of the home page's first three tiles."""
        return sum(self.this_week.get(kind, 0) for kind in ACTIVITY_KINDS)


def week_over_week(
    s: Session, scope: Scope, *, as_of: datetime | None = None, rep_id: str | None = None
) -> WeekOverWeek:
    """Emails, calls and meetings the reps logged, and buyer responses, week over week.

    Buyer responses are replies, call-backs, accepted meetings and stage advances.
    """
    end = as_of or datetime.now(UTC)
    return _weeks(s, scope, end, rep_id=rep_id).get(None, _empty_week(end))


def week_by_rep(
    s: Session, scope: Scope, *, as_of: datetime | None = None
) -> dict[str, WeekOverWeek]:
    """:func:`week_over_week` for every visible rep at once (two grouped queries, whatever the
    number of reps): the Reps page's columns. A rep with nothing in the two weeks is absent."""
    end = as_of or datetime.now(UTC)
    return {rep: week for rep, week in _weeks(s, scope, end, by_rep=True).items() if rep}


def _empty_week(end: datetime) -> WeekOverWeek:
    return WeekOverWeek(end, dict.fromkeys(WEEK_COUNTS, 0), dict.fromkeys(WEEK_COUNTS, 0))


def _weeks(
    s: Session, scope: Scope, end: datetime, *, rep_id: str | None = None, by_rep: bool = False
) -> dict[str | None, WeekOverWeek]:
    """The two weeks' counts, for the whole scope (key None) or per rep (``by_rep``)."""
    start, middle = end - timedelta(days=14), end - timedelta(days=7)
    counts: dict[str | None, dict[int, dict[str, int]]] = {}

    def add(rep: str | None, recent: int, what: str, n: int) -> None:
        counts.setdefault(rep if by_rep else None, {0: {}, 1: {}})[recent][what] = n

    week = case((Activity.occurred_at >= middle, 1), else_=0)
    where = [scope.reps(Activity.rep_id), Activity.occurred_at >= start]
    where += [Activity.occurred_at < end, Activity.direction != "internal"]
    if rep_id:
        where.append(Activity.rep_id == rep_id)
    rep = Activity.rep_id if by_rep else null()
    for who, kind, recent, n in s.execute(
        select(rep, Activity.kind, week, func.count())
        .where(*where)
        .group_by(*([Activity.rep_id] if by_rep else []), Activity.kind, week)
    ):
        add(who, recent, kind, n)
    action_week = case((BuyerAction.occurred_at >= middle, 1), else_=0)
    where_actions = [scope.reps(BuyerAction.rep_id), BuyerAction.occurred_at >= start]
    where_actions.append(BuyerAction.occurred_at < end)
    if rep_id:
        where_actions.append(BuyerAction.rep_id == rep_id)
    rep = BuyerAction.rep_id if by_rep else null()
    for who, recent, n in s.execute(
        select(rep, action_week, func.count())
        .where(*where_actions)
        .group_by(*([BuyerAction.rep_id] if by_rep else []), action_week)
    ):
        add(who, recent, "buyer responses", n)
    return {
        who: WeekOverWeek(
            end,
            {k: found[1].get(k, 0) for k in WEEK_COUNTS},
            {k: found[0].get(k, 0) for k in WEEK_COUNTS},
        )
        for who, found in counts.items()
    }


def activity_mix(
    s: Session,
    scope: Scope,
    *,
    rep_id: str | None = None,
    weeks: int = 12,
    as_of: datetime | None = None,
) -> list[dict[str, Any]]:
    """Activities per week (Monday start) and kind for the last ``weeks`` weeks.

    Rows ``{"week": date, "kind": str, "count": int}``, every week and kind present (zeros
    included) so a chart shows gaps as gaps.
    """
    end = as_of or datetime.now(UTC)
    monday = (end - timedelta(days=end.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    start = monday - timedelta(weeks=weeks - 1)
    where = [scope.reps(Activity.rep_id), Activity.occurred_at >= start, Activity.occurred_at < end]
    where.append(Activity.direction != "internal")
    if rep_id:
        where.append(Activity.rep_id == rep_id)
    found: dict[tuple[int, str], int] = {}
    # Bucketing by day in SQL is portable (a date cast); weeks are folded in Python from at
    # most weeks x 7 x 3 rows.
    day = _day(s, Activity.occurred_at)
    for when, kind, n in s.execute(
        select(day, Activity.kind, func.count()).where(*where).group_by(day, Activity.kind)
    ):
        when = datetime.fromisoformat(str(when)).replace(tzinfo=UTC)
        index = (when - start).days // 7
        found[(index, kind)] = found.get((index, kind), 0) + n
    return [
        {
            "week": (start + timedelta(weeks=i)).date(),
            "kind": kind,
            "count": found.get((i, kind), 0),
        }
        for i in range(weeks)
        for kind in ACTIVITY_KINDS
    ]


def _day(s: Session, column: Any) -> ColumnElement[Any]:
    """The calendar day (UTC) of a timestamp column. SQLite's CAST to DATE would keep only the
    year (numeric affinity), so it uses date()."""
    if s.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)
