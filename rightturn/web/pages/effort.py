"""The Effort page: which practices earn buyer responses (Return-on-Effort), over the touches the
viewer sees: a rep's own, a manager's team (one rep at a time through the filter), an admin's
org (one team at a time).

Three parts, over one read of the touches (seconds on a year of a team's mail, so kept until
the data changes, per scope, as-of day and first day):

* the response rate by practice (:func:`~rightturn.effort.rates.practice_rates`), a chart with
  95% intervals and the table, each rate with its n;
* the rate week by week of all touches or of one value (:mod:`rightturn.effort.weekly`), with a
  change day's before and after;
* an A/B between two values (:mod:`rightturn.effort.ab`) in a manager's words.

A value, a change day or an A/B pair that cannot be used shows its message where it was asked
for (422), the rest of the page kept; a feature that does not exist, or a rep or team outside
the viewer's scope, is the styled error page (422, 404).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from rightturn.analytics.cache import cached_for_data
from rightturn.analytics.snapshot import as_of_datetime
from rightturn.crm import queries
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.effort.ab import ABComparison, compare_values
from rightturn.effort.rates import FEATURES, PracticeRate, feature_value, practice_rates
from rightturn.effort.report import rep_names, scoped_touches
from rightturn.effort.touches import WINDOW_DAYS, Touch
from rightturn.effort.weekly import DEFAULT_WEEKS, WeeklyLift, weekly_lift
from rightturn.effort.whose import whose_touches
from rightturn.errors import ParseError
from rightturn.web import charts, figures
from rightturn.web.pages.base import (
    Who,
    as_of_day,
    parse_day,
    render,
    rep_choices,
    router,
    store_of,
)
from rightturn.web.pages.own import is_rep
from rightturn.web.security import Viewer
from rightturn.web.zone import zones_of

MAX_WEEKS = 26
# Each practice as the picker and the table name it.
FEATURE_NAMES = {
    "channel": "Channel",
    "step": "Step in the sequence",
    "template": "Template",
    "length": "Length",
    "focus": "Focus (buyer's issue or our product)",
    "hour": "Hour sent",
    "rep": "Rep",
    "weekday": "Weekday",
    "questions": "Questions asked",
    "personal": "Personal or generic",
}
Weeks = Annotated[int, Query(ge=1, le=MAX_WEEKS)]


@router.get("/effort", response_class=HTMLResponse)
def effort(
    request: Request,
    who: Who,
    by: str = "focus",
    rep: str | None = None,
    team: str | None = None,
    since: str | None = None,
    as_of: str | None = None,
    value: str | None = None,
    change: str | None = None,
    weeks: Weeks = DEFAULT_WEEKS,
    a: str | None = None,
    b: str | None = None,
    of: str | None = None,
) -> HTMLResponse:
    """Rates by practice ``by``, the weekly rate of ``value`` around ``change`` and ``b``
    against ``a``; ``of`` is the feature those values were picked for (a value of another
    feature, left in the address when the feature changed, is dropped)."""
    feature_value(by)  # a feature that does not exist: the styled 422 page
    if of is not None and of != by:
        value = a = b = None
    store = store_of(request)
    first, begin, until = _period(since, as_of)
    scope, label = whose_touches(store, who.scope, rep=rep or None, team=team or None)
    touches = _touches(store, scope, begin, until)
    names = rep_names(store)
    rows = practice_rates(touches, by, names)
    zone = zones_of(request).org
    problems: dict[str, str] = {}
    lift = _weekly(touches, zone, until, by, value, change, weeks, names, problems)
    ab = _ab(touches, by, rows, a, b, names, problems)
    filters = _filters(store, who, team)
    state = {"by": by, "of": by, "team": filters["team"], "rep": rep, "since": since,
             "as_of": as_of, "value": value, "change": change, "a": a, "b": b,
             "weeks": None if weeks == DEFAULT_WEEKS else weeks}  # fmt: skip
    return render(
        request,
        "effort.html",
        422 if problems else 200,
        **filters,
        whose=label or filters["viewers"],
        by=by,
        features=list(FEATURES),
        feature_names=FEATURE_NAMES,
        window_days=WINDOW_DAYS,
        state=state,
        rep=rep,
        since=first,
        as_of=until,
        counted_until=until - timedelta(days=WINDOW_DAYS),
        zone=zone,
        touches=len(touches),
        responses=sum(t.responded for t in touches),
        rows=rows,
        chart=charts.effort_rates_chart([r.as_json() for r in rows], by) if rows else None,
        weeks=weeks,
        max_weeks=MAX_WEEKS,
        lift=lift,
        lift_chart=_lift_chart(lift, by),
        ab=ab,
        problems=problems,
        show_change=figures.show_change,
        show_change_interval=figures.show_change_interval,
    )


def _period(since: str | None, as_of: str | None) -> tuple[date | None, datetime | None, datetime]:
    """The first day asked for, the moment touches are read from (as ``rightturn effort
    --since`` reads them) and the as-of day's end (so the cache hits all day)."""
    first = parse_day(since, "since") if since else None
    begin = as_of_datetime(first) - timedelta(days=1) if first else None
    return first, begin, as_of_datetime(as_of_day(as_of).date())


def _touches(store: Store, scope: Scope, begin: datetime | None, until: datetime) -> list[Touch]:
    """The scope's touches, kept until the data changes: seconds to read a year of a team's."""
    found: list[Touch] = cached_for_data(
        store,
        scope,
        ("effort-touches", begin, until),
        lambda: scoped_touches(store, scope, since=begin, until=until),
    )
    return found


def _filters(store: Store, who: Viewer, team: str | None) -> dict[str, Any]:
    """The team menu (when the viewer sees more than one team), the rep menu (the chosen
    team's reps; none for a rep), the chosen team's id and how the title names the viewer's
    own touches."""
    with store.session() as s:
        teams = queries.list_teams(s, who.scope)
        reps = [] if is_rep(who) else rep_choices(s, who)
    chosen = next((t["team_id"] for t in teams if team in (t["team_id"], t["name"])), "")
    if chosen:
        reps = [r for r in reps if r["team_id"] == chosen]
    return {
        "teams": teams if len(teams) > 1 else [],
        "reps": reps,
        "team": chosen,
        "viewers": _viewers(who, teams),
    }


def _viewers(who: Viewer, teams: list[dict[str, Any]]) -> str:
    """How the title names the viewer's own touches, unfiltered."""
    if is_rep(who):
        return "your touches"
    own = [t["name"] for t in teams if t["team_id"] == who.account.team_id]
    if who.account.role == "manager" and own:
        return f"team {own[0]}"
    return "everyone"


def _weekly(
    touches: list[Touch],
    zone: str,
    until: datetime,
    by: str,
    value: str | None,
    change: str | None,
    weeks: int,
    names: dict[str, str],
    problems: dict[str, str],
) -> WeeklyLift | None:
    """The weeks of ``value`` (all touches when none) and, when the day can be used, the
    before-and-after around ``change``; a problem is noted under ``weekly``."""
    feature = by if value else None
    try:
        lift = weekly_lift(
            touches, zone, until=until, feature=feature, value=value or None, names=names
        )
    except ParseError as exc:
        problems["weekly"] = str(exc)
        return None
    if not change:
        return lift
    try:
        return weekly_lift(
            touches,
            zone,
            until=until,
            feature=feature,
            value=value or None,
            names=names,
            change=parse_day(change, "change"),
            weeks=weeks,
        )
    except ParseError as exc:
        problems["change"] = str(exc)
        return lift


def _lift_chart(lift: WeeklyLift | None, by: str) -> str | None:
    if lift is None or not lift.weeks:
        return None
    body = lift.as_json()
    what = f"{by} {lift.value}" if lift.value else "all touches"
    return charts.weekly_lift_chart(body["weeks"], body["around"], what)


def _ab(
    touches: list[Touch],
    by: str,
    rows: list[PracticeRate],
    a: str | None,
    b: str | None,
    names: dict[str, str],
    problems: dict[str, str],
) -> ABComparison | None:
    """B against A; without a pair, the two most used values (the first two rows); a problem
    is noted under ``ab``."""
    if not (a or b):
        if len(rows) < 2:
            return None
        a, b = (r.key or r.value for r in rows[:2])
    try:
        return compare_values(touches, by, a or "", b or "", names)
    except ParseError as exc:
        problems["ab"] = str(exc)
        return None
