"""Return-on-Effort by practice for a scope and a period: the rates behind ``rightturn effort``
and the Effort page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from rightturn.crm.model import Rep
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.effort.rates import PracticeRate, feature_value, practice_rates, window_over
from rightturn.effort.touches import Touch, read_touches

__all__ = ["EffortReport", "effort_report", "rep_names", "scoped_touches"]


@dataclass(frozen=True)
class EffortReport:
    """The response rate of each value of one practice feature, over the touches of a scope
    made from ``since`` to ``until`` whose response window was over by ``until``."""

    feature: str
    since: datetime | None
    until: datetime
    touches: int
    responses: int
    rows: list[PracticeRate]

    def as_json(self) -> list[dict[str, Any]]:
        """The contract of ``rightturn effort --json``: a list of ``{"value", "touches",
        "responses", "rate", "ci_low", "ci_high"}`` (and ``negative``, ``meetings``, ``key``)."""
        return [r.as_json() for r in self.rows]


def scoped_touches(
    store: Store,
    scope: Scope,
    *,
    since: datetime | None,
    until: datetime,
    rep_id: str | None = None,
) -> list[Touch]:
    """The touches of ``scope`` (of ``rep_id``) from ``since`` whose window was over by
    ``until``."""
    with store.session() as s:
        found = read_touches(s, scope, since=since, until=until, rep_id=rep_id)
    return window_over(found, until)


def rep_names(store: Store) -> dict[str, str]:
    """Every rep's name by id."""
    with store.session() as s:
        return dict(s.execute(select(Rep.rep_id, Rep.name)).tuples().all())


def effort_report(
    store: Store,
    scope: Scope,
    feature: str,
    *,
    since: datetime | None,
    until: datetime,
    rep_id: str | None = None,
) -> EffortReport:
    """The response rate by ``feature`` (see :data:`~rightturn.effort.rates.FEATURES`) over the
    touches of ``scope`` (of ``rep_id``) from ``since`` to ``until`` (the last
    :data:`~rightturn.effort.touches.WINDOW_DAYS` days' touches are still earning answers and
    are left out)."""
    feature_value(feature)  # a bad feature fails before the data is read
    touches = scoped_touches(store, scope, since=since, until=until, rep_id=rep_id)
    names = rep_names(store) if feature == "rep" else None
    rows = practice_rates(touches, feature, names)
    return EffortReport(
        feature,
        since,
        until,
        len(touches),
        sum(t.responded for t in touches),
        rows,
    )
