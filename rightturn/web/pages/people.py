"""Reps: the list a manager compares people on, and one rep's page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from rightturn.analytics.activity import WeekOverWeek, activity_mix, week_by_rep, week_over_week
from rightturn.analytics.cache import cached_for_data, cached_metrics_report
from rightturn.crm import queries
from rightturn.errors import ParseError
from rightturn.web import charts
from rightturn.web.pages.analytics import PERIODS, _day, _period
from rightturn.web.pages.base import (
    PAGE,
    Who,
    as_of_day,
    render,
    router,
    store_of,
)
from rightturn.web.pages.own import is_rep, to_own_page

# The per-rep figures of metrics_report the Reps page shows, as the Pipeline page names them.
FIGURE_KEYS = (
    "won",
    "lost",
    "open",
    "won_value",
    "win_rate",
    "pipeline",
    "remaining_quota",
    "coverage",
    "required_coverage",
    "coverage_flag",
)
REP_SORTS = (
    "name",
    "team",
    "quota",
    "won_value",
    "win_rate",
    "pipeline",
    "coverage",
    "required_coverage",
    "activities",
    "buyer_responses",
)

# --- reps ------------------------------------------------------------------------------------


@router.get("/reps", response_class=HTMLResponse)
def reps(
    request: Request,
    who: Who,
    q: str | None = None,
    sort: str = "name",
    desc: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    as_of: str | None = None,
    period: str | None = None,
) -> Response:
    if is_rep(who):  # a list of one: the rep's own page is what they came for
        return to_own_page(request, f"/reps/{who.account.rep_id}")
    if sort not in REP_SORTS:
        raise ParseError(f"sort={sort!r} is not one of {', '.join(REP_SORTS)}")
    when, span = _day(as_of), _period(period)
    # One report and two grouped counts for the page, whatever the number of reps.
    report = cached_metrics_report(
        store_of(request), who.scope, as_of=when, period=span, sections=()
    )
    with store_of(request).session() as s:
        people = queries.list_reps(s, who.scope, sellers_only=True)
        weeks = cached_for_data(
            store_of(request),
            who.scope,
            ("week_by_rep", when),
            lambda: week_by_rep(s, who.scope, as_of=when),
        )
    rows = rep_rows(people, report["reps"], weeks)
    if q:
        rows = [r for r in rows if q.lower() in (r["name"] + " " + (r["team"] or "")).lower()]
    rows = _sorted(rows, sort, desc)
    return render(
        request,
        "reps.html",
        reps=rows[offset : offset + PAGE],
        total=len(rows),
        offset=offset,
        limit=PAGE,
        r=report,
        as_of=when,
        period=span,
        period_name=PERIODS[span],
        q=q or "",
        sort=sort,
        desc=desc,
    )


def rep_rows(
    people: list[dict[str, Any]], figures: list[dict[str, Any]], weeks: dict[str, WeekOverWeek]
) -> list[dict[str, Any]]:
    """Each rep with the Pipeline page's per-rep figures (None for a rep who owns no deal) and
    the home page's counts of the last 7 days."""
    by_rep = {f["rep_id"]: f for f in figures}
    rows = []
    for person in people:
        figure = by_rep.get(person["rep_id"], {})
        week = weeks.get(person["rep_id"])
        rows.append(
            {
                **person,
                **{key: figure.get(key) for key in FIGURE_KEYS},
                "activities": week.activities if week else 0,
                "buyer_responses": week.this_week["buyer responses"] if week else 0,
            }
        )
    return rows


def _sorted(rows: list[dict[str, Any]], sort: str, desc: bool) -> list[dict[str, Any]]:
    """Rows by ``sort`` (then by name), blanks last whichever the direction."""
    rows = sorted(rows, key=lambda r: (r["name"].lower(), r["rep_id"]))
    present = [r for r in rows if r[sort] is not None]
    blank = [r for r in rows if r[sort] is None]
    text = sort in ("name", "team")
    present.sort(key=lambda r: r[sort].lower() if text else r[sort], reverse=desc)
    return present + blank


@router.get("/reps/{rep_id}", response_class=HTMLResponse)
def rep(request: Request, who: Who, rep_id: str, as_of: str | None = None) -> HTMLResponse:
    when = as_of_day(as_of)
    with store_of(request).session() as s:
        person = queries.get_rep(s, who.scope, rep_id)
        mix = activity_mix(s, who.scope, rep_id=rep_id, as_of=when)
        wow = week_over_week(s, who.scope, as_of=when, rep_id=rep_id)
        deals = queries.list_opportunities(
            s, who.scope, rep_id=rep_id, status="open", sort="close_date", limit=100
        )
        recent = queries.list_activities(
            s, who.scope, queries.ActivityFilter(rep_id=rep_id), limit=20
        )
    return render(
        request,
        "rep.html",
        rep=person,
        wow=wow,
        mix_chart=charts.activity_mix_chart(mix, f"{person['name']}: activity mix per week")
        if any(r["count"] for r in mix)
        else None,
        deals=deals,
        recent=recent,
    )
