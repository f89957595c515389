"""What the team did and how buyers answered: the counts a manager's home page opens with.

Every function takes a :class:`~rightturn.crm.scope.Scope` and an ``as_of`` time, counts in SQL,
and returns plain data the panel and API render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, func, select
from sqlalchemy.orm import Session

from rightturn.crm.model import ACTIVITY_KINDS, Activity, BuyerAction
from rightturn.crm.scope import Scope

__all__ = ["WeekOverWeek", "activity_mix", "week_over_week"]


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


def week_over_week(
    s: Session, scope: Scope, *, as_of: datetime | None = None, rep_id: str | None = None
) -> WeekOverWeek:
    """Emails, calls and meetings the reps logged, and buyer responses, week over week.

    Buyer responses are replies, call-backs, accepted meetings and stage advances.
    """
    end = as_of or datetime.now(UTC)
    start = end - timedelta(days=14)
    middle = end - timedelta(days=7)
    week = case((Activity.occurred_at >= middle, 1), else_=0)
    where = [scope.reps(Activity.rep_id), Activity.occurred_at >= start]
    where += [Activity.occurred_at < end, Activity.direction != "internal"]
    if rep_id:
        where.append(Activity.rep_id == rep_id)
    counts: dict[int, dict[str, int]] = {0: {}, 1: {}}
    for kind, recent, n in s.execute(
        select(Activity.kind, week, func.count()).where(*where).group_by(Activity.kind, week)
    ):
        counts[recent][kind] = n
    action_week = case((BuyerAction.occurred_at >= middle, 1), else_=0)
    where_actions = [scope.reps(BuyerAction.rep_id), BuyerAction.occurred_at >= start]
    where_actions.append(BuyerAction.occurred_at < end)
    if rep_id:
        where_actions.append(BuyerAction.rep_id == rep_id)
    for recent, n in s.execute(
        select(action_week, func.count()).where(*where_actions).group_by(action_week)
    ):
        counts[recent]["buyer responses"] = n
    labels = [*ACTIVITY_KINDS, "buyer responses"]
    return WeekOverWeek(
        end,
        {k: counts[1].get(k, 0) for k in labels},
        {k: counts[0].get(k, 0) for k in labels},
    )


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
