"""Pipeline analytics pages: pipeline, velocity, waterfall and top performers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from rightturn.analytics.report import metrics_report, whatif_report
from rightturn.errors import Conflict, NotFound, ParseError
from rightturn.web import charts
from rightturn.web.pages.base import (
    Who,
    as_of_day,
    render,
    router,
    store_of,
)
from rightturn.web.security import (
    Viewer,
)

# --- pipeline analytics ----------------------------------------------------------------------

PERIODS = {"Q": "quarter", "M": "month"}
DEALS_LISTED = 50  # deals listed under each integrity flag and as stalled (the largest)
IDS_LISTED = 200  # deal links listed under each waterfall bar
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
COMPARED_LABELS = {  # pareto comparison metric: (label, format)
    "emails_per_month": ("Emails sent a month", "count"),
    "calls_per_month": ("Calls made a month", "count"),
    "meetings_per_month": ("Meetings booked a month", "count"),
    "buyer_response_rate": ("Buyer responses per outbound activity", "rate"),
    "deals_at_once": ("Deals worked at once", "count"),
    "cycle_days": ("Sales cycle (median days)", "days"),
    "avg_deal": ("Average won deal", "money"),
    "win_rate": ("Win rate", "rate"),
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
    """The one metrics call a page makes, over the viewer's scope, with only its sections."""
    return metrics_report(
        store_of(request),
        who.scope,
        as_of=when,
        period=period,
        sections=sections,
        deals_per_flag=DEALS_LISTED,
    )


def _has_deals(report: dict[str, Any]) -> bool:
    return bool(report["won"] or report["lost"] or report["open"])


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline(
    request: Request, who: Who, as_of: str | None = None, period: str | None = None
) -> HTMLResponse:
    when, span = as_of_day(as_of), _period(period)
    report = _report(request, who, when, ("integrity",), period=span)
    stages = report["stage_conversion"]
    return render(
        request,
        "pipeline.html",
        r=report,
        as_of=when,
        period=span,
        period_name=PERIODS[span],
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
    when = as_of_day(as_of)
    report = _report(request, who, when, ("velocity", "flow"))
    v, f = report.get("velocity"), report.get("flow")
    return render(
        request,
        "velocity.html",
        r=report,
        v=v,
        f=f,
        as_of=when,
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
    when, span = as_of_day(as_of), _period(period)
    report = _report(request, who, when, ("waterfall",), period=span)
    w = report["waterfall"]
    return render(
        request,
        "waterfall.html",
        w=w,
        as_of=when,
        period=span,
        period_name=PERIODS[span],
        labels=charts.WATERFALL_LABELS,
        ids_listed=IDS_LISTED,
        chart=charts.waterfall_chart(w) if any(b["deals"] for b in w["bars"]) else None,
    )


def _rate(name: str, value: str) -> float:
    """A win rate typed in the what-if form: a number in (0, 1]."""
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        raise ParseError(f"{name} {value!r} is not a number: write a win rate like 0.33") from None
    if not 0 < number <= 1:
        hint = f" (for {number:g}% write {number / 100:g})" if 1 < number <= 100 else ""
        raise ParseError(f"{name} {value!r} is not a win rate between 0 and 1{hint}")
    return number


def _whatif_form(
    request: Request,
    who: Viewer,
    when: datetime,
    metric: str,
    from_: str | None,
    to: str | None,
    team: str | None,
) -> tuple[dict[str, Any] | None, str | None]:
    """The what-if the form asks for, or the reason it cannot be computed (said in the form)."""
    try:
        if metric != "win_rate":
            raise ParseError(f"metric={metric!r}: the what-if form moves the win rate")
        if not from_ or not to:
            raise ParseError("give both rates: today's win rate (from) and the target (to)")
        before, after = _rate("from", from_), _rate("to", to)
        report = whatif_report(
            store_of(request),
            who.scope,
            metric=metric,
            before=before,
            after=after,
            team=team or None,
            as_of=when,
        )
    except (ParseError, NotFound, Conflict) as exc:  # a bad rate or team
        return None, str(exc)
    return report, None


def _rate_text(rate: float | None) -> str:
    return f"{rate:.2f}" if rate else ""


@router.get("/pareto", response_class=HTMLResponse)
def pareto_page(
    request: Request,
    who: Who,
    as_of: str | None = None,
    metric: str = "win_rate",
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    team: str | None = None,
) -> HTMLResponse:
    when = as_of_day(as_of)
    report = _report(request, who, when, ("pareto",))
    # (id, name) by name: the form shows names and sends ids.
    teams = sorted(
        {(r["team_id"], r["team"] or r["team_id"]) for r in report["reps"] if r["team_id"]},
        key=lambda t: (t[1], t[0]),
    )
    whatif, error = None, None
    if from_ or to:  # the what-if form was sent
        whatif, error = _whatif_form(request, who, when, metric, from_, to, team)
    p = report["pareto"]
    return render(
        request,
        "pareto.html",
        http_status=422 if error else 200,
        r=report,
        p=p,
        as_of=when,
        chart=charts.pareto_chart(p) if any(c["won_value"] for c in p["curve"]) else None,
        compared=COMPARED_LABELS,
        whatif_labels=WHATIF_LABELS,
        teams=teams,
        form={
            "from": from_ if from_ is not None else _rate_text(report["win_rate"]),
            "to": to or "",
            "team": (whatif["team_id"] or "") if whatif else (team or ""),
        },
        whatif=whatif,
        error=error,
    )
