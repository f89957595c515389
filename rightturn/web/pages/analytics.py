"""Pipeline analytics pages: pipeline, velocity, waterfall and top performers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from rightturn.analytics.cache import cached_data_span, cached_metrics_report
from rightturn.analytics.definitions import PERIOD_WINDOWS
from rightturn.analytics.flow import bar_deals
from rightturn.analytics.report import whatif_report
from rightturn.analytics.span import DataSpan
from rightturn.errors import Conflict, NotFound, ParseError
from rightturn.web import charts
from rightturn.web.pages.base import (
    Who,
    as_of_day,
    render,
    router,
    store_of,
)
from rightturn.web.pages.own import is_rep, team_page_for_rep, to_own_page
from rightturn.web.security import (
    Viewer,
)

# --- pipeline analytics ----------------------------------------------------------------------

PERIODS = {"Q": "quarter", "M": "month"}
# Deals listed under each integrity flag, as stalled and under each waterfall bar (the largest);
# each list's own page lists them all.
DEALS_LISTED = 50
REP_ROWS = 250  # reps in the coverage table (the largest by won value); the chart picks its own
FLAG_INFO = {  # flag: (what it means, the extra column its deals carry, that column's header)
    "past_close_date": ("Expected close date has passed", None, None),
    "no_buyer_activity": ("No buyer response in the last 14 days", None, None),
    "skipped_stages": ("Skipped a stage", "skips", "Skips"),
    "moved_backwards": ("Moved back to an earlier stage", "moves_back", "Moves back"),
    "close_date_pushed": ("Close date pushed later", "pushes", "Pushes"),
    "single_contact": ("One contact or none in the buying group", "contacts", "Contacts"),
}
WHATIF_LABELS = {"win_rate": "win rate", "avg_deal": "average deal"}
# The pareto comparison's metrics as figures of the registry (its name, meaning and format):
# averages over the reps of each group, named so ("Win rate, average per rep").
COMPARED_FIGURES = {
    "emails_per_month": "emails_per_month",
    "calls_per_month": "calls_per_month",
    "meetings_per_month": "meetings_per_month",
    "buyer_response_rate": "buyer_response_rate",
    "deals_at_once": "deals_at_once",
    "cycle_days": "cycle_days_per_rep",
    "avg_deal": "avg_deal_per_rep",
    "win_rate": "win_rate_per_rep",
}


def _period(value: str | None) -> str:
    if not value:
        return "Q"
    if value not in PERIODS:
        raise ParseError(f"period={value!r} is not Q (quarter) or M (month)")
    return value


def _report(
    request: Request,
    who: Viewer,
    when: datetime,
    sections: tuple[str, ...],
    period: str | None = None,
) -> dict[str, Any]:
    """The one metrics call a page makes, over the viewer's scope, with only its sections
    (cached until the data changes: a report at 1,000 reps takes seconds)."""
    return cached_metrics_report(
        store_of(request),
        who.scope,
        as_of=when,
        period=period,
        sections=sections,
        deals_per_flag=DEALS_LISTED,
    )


def _day(value: str | None) -> datetime:
    """The end of the ``as_of`` day, today's when absent (not this second): the figures then
    hold all day, so the cache serves them until the data changes, and the page agrees with
    the same date sent from its form."""
    when = as_of_day(value)
    return when if value else as_of_day(when.date().isoformat())


def _dates(request: Request, who: Viewer) -> DataSpan:
    """The dates the viewer's data covers, for the pages' empty states."""
    return cached_data_span(store_of(request), who.scope)


def _has_deals(report: dict[str, Any]) -> bool:
    return bool(report["won"] or report["lost"] or report["open"])


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline(
    request: Request, who: Who, as_of: str | None = None, period: str | None = None
) -> Response:
    if is_rep(who):  # the team's coverage table would hold one row: theirs, on their page
        return to_own_page(request, "/my/pipeline")
    when, span = _day(as_of), _period(period)
    report = _report(request, who, when, ("integrity",), period=span)
    stages = report["stage_conversion"]
    return render(
        request,
        "pipeline.html",
        r=report,
        as_of=when,
        period=span,
        period_name=PERIODS[span],
        window=PERIOD_WINDOWS[span],
        dates=_dates(request, who),
        has_deals=_has_deals(report),
        funnel_chart=charts.funnel_chart(stages) if any(s["reached"] for s in stages) else None,
        coverage_chart=charts.coverage_chart(report["reps"], PERIODS[span])
        if any(r["coverage"] is not None and r["required_coverage"] for r in report["reps"])
        else None,
        flag_info=FLAG_INFO,
        rep_rows=REP_ROWS,
    )


@router.get("/velocity", response_class=HTMLResponse)
def velocity_page(request: Request, who: Who, as_of: str | None = None) -> HTMLResponse:
    when = _day(as_of)
    report = _report(request, who, when, ("velocity", "flow"))
    v, f = report.get("velocity"), report.get("flow")
    return render(
        request,
        "velocity.html",
        r=report,
        v=v,
        f=f,
        as_of=when,
        dates=_dates(request, who),
        has_deals=_has_deals(report),
        stage_chart=charts.stage_time_chart(v["stage_times"]) if v and v["stage_times"] else None,
        cfd_chart=charts.cumulative_flow_chart(f)
        if f and any(sum(w[s] for s in f["stages"]) for w in f["wip"])
        else None,
        throughput_chart=charts.throughput_chart(f)
        if f and any(t["closed"] for t in f["throughput"])
        else None,
    )


@router.get("/waterfall", response_class=HTMLResponse)
def waterfall_page(
    request: Request, who: Who, as_of: str | None = None, period: str | None = None
) -> HTMLResponse:
    when, span = _day(as_of), _period(period)
    report = _report(request, who, when, ("waterfall",), period=span)
    w = report["waterfall"]
    with store_of(request).session() as s:
        listed = bar_deals(s, who.scope, [b for b in w["bars"] if b["deals"]], limit=DEALS_LISTED)
    return render(
        request,
        "waterfall.html",
        w=w,
        as_of=when,
        period=span,
        period_name=PERIODS[span],
        window=PERIOD_WINDOWS[span],
        dates=_dates(request, who),
        labels=charts.WATERFALL_LABELS,
        listed=listed,
        chart=charts.waterfall_chart(w) if any(b["deals"] for b in w["bars"]) else None,
    )


def _whatif_form(
    request: Request,
    who: Viewer,
    when: datetime,
    metric: str,
    from_: str | None,
    to: str | None,
    team: str | None,
    decrease: bool,
) -> tuple[dict[str, Any] | None, str | None]:
    """The what-if the form asks for, or the reason it cannot be computed (said in the form);
    the rates are bounded by the domain function, so the CLI refuses the same values."""
    try:
        if metric != "win_rate":
            raise ParseError(f"metric={metric!r}: the what-if form moves the win rate")
        if not from_ or not to:
            raise ParseError("give the win rate to reach, like 40% or 0.4")
        report = whatif_report(
            store_of(request),
            who.scope,
            metric=metric,
            before=from_,
            after=to,
            team=team or None,
            as_of=when,
            allow_decrease=decrease,
        )
    except (ParseError, NotFound, Conflict) as exc:  # a bad rate or team
        return None, str(exc)
    return report, None


def _rate_text(rate: float | None) -> str:
    """Today's win rate as the form shows it (and uses when left empty): as on every page."""
    return f"{rate:.0%}" if rate else ""


@router.get("/pareto", response_class=HTMLResponse)
def pareto_page(
    request: Request,
    who: Who,
    as_of: str | None = None,
    metric: str = "win_rate",
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    team: str | None = None,
    decrease: bool = False,
) -> HTMLResponse:
    if is_rep(who):  # a ranking of one rep says nothing
        return team_page_for_rep(
            request,
            "Top performers",
            "Top performers ranks a team's reps by won value and compares the top fifth with "
            "the rest: it is your manager's page.",
        )
    when = _day(as_of)
    report = _report(request, who, when, ("pareto",))
    today = _rate_text(report["win_rate"])
    # (id, name) by name: the form shows names and sends ids.
    teams = sorted(
        {(r["team_id"], r["team"] or r["team_id"]) for r in report["reps"] if r["team_id"]},
        key=lambda t: (t[1], t[0]),
    )
    whatif, error = None, None
    if from_ or to:  # the what-if form was sent; an empty "today" is today's win rate
        whatif, error = _whatif_form(request, who, when, metric, from_ or today, to, team, decrease)
    p = report["pareto"]
    return render(
        request,
        "pareto.html",
        http_status=422 if error else 200,
        r=report,
        p=p,
        as_of=when,
        dates=_dates(request, who),
        chart=charts.pareto_chart(p) if any(c["won_value"] for c in p["curve"]) else None,
        compared=COMPARED_FIGURES,
        whatif_labels=WHATIF_LABELS,
        teams=teams,
        form={
            "from": from_ or "",
            "to": to or "",
            "today": today,
            "decrease": decrease,
            "team": (whatif["team_id"] or "") if whatif else (team or ""),
        },
        whatif=whatif,
        error=error,
    )
