"""Every deal behind a list another page shortens, a page at a time.

The Pipeline page lists each integrity flag's 50 largest deals, Velocity the 50 largest stalled,
Waterfall each bar's 50 largest, Home the 15 largest quiet deals; each says how many more there
are and links here. Rows are the one deal-row shape (:mod:`rightturn.crm.deals`) in the one
table macro (``_deals.html``), from the same figures as the page that links here (the same
cached report, or the same query with an offset).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from rightturn.analytics.cache import cached_metrics_report
from rightturn.analytics.flow import WATERFALL_BARS, bar_deals
from rightturn.analytics.pipeline import quiet_deals
from rightturn.errors import NotFound
from rightturn.web import charts
from rightturn.web.pages.analytics import DEALS_LISTED, FLAG_INFO, PERIODS, _day, _period
from rightturn.web.pages.base import PAGE, Offset, Who, as_of_day, render, router, store_of
from rightturn.web.security import Viewer

Extras = list[tuple[str, str, str]]  # (row key, column header, format) per column a list adds


def _report(
    request: Request, who: Viewer, when: datetime, section: str, **options: Any
) -> dict[str, Any]:
    """One section of the viewer's metrics report, through the pages' cache."""
    return cached_metrics_report(
        store_of(request), who.scope, as_of=when, sections=(section,), **options
    )


def _list(
    request: Request,
    *,
    title: str,
    explain: str,
    back: tuple[str, str],
    rows: list[dict[str, Any]],
    total: int,
    offset: int,
    extras: Extras | None = None,
) -> HTMLResponse:
    return render(
        request,
        "deal_list.html",
        title=title,
        explain=explain,
        back=back,
        rows=rows,
        total=total,
        offset=offset,
        limit=PAGE,
        extras=extras or [],
    )


@router.get("/pipeline/flags/{flag}", response_class=HTMLResponse)
def flag_deals(
    request: Request, who: Who, flag: str, as_of: str | None = None, offset: Offset = 0
) -> HTMLResponse:
    """Every open deal an integrity flag holds, largest first."""
    if flag not in FLAG_INFO:
        raise NotFound(f"no integrity flag {flag!r}; the flags are {', '.join(FLAG_INFO)}")
    when = _day(as_of)
    found = _report(request, who, when, "integrity", deals_per_flag=None)["integrity"][flag]
    meaning, key, label = FLAG_INFO[flag]
    day = when.strftime("%Y-%m-%d")
    return _list(
        request,
        title=meaning,
        explain=f"Open deals as of {day}, largest first: an integrity flag of the open pipeline.",
        back=(f"/pipeline?as_of={day}#flag-{flag}", "Pipeline"),
        rows=found["deals"][offset : offset + PAGE],
        total=found["count"],
        offset=offset,
        extras=[(key, label, "count")] if key and label else None,
    )


@router.get("/velocity/stalled", response_class=HTMLResponse)
def stalled_deals(
    request: Request, who: Who, as_of: str | None = None, offset: Offset = 0
) -> HTMLResponse:
    """Every stalled deal (in its stage longer than the stage's P90), largest first."""
    when = _day(as_of)
    stalled = _report(request, who, when, "velocity", deals_per_flag=None)["velocity"]["stalled"]
    day = when.strftime("%Y-%m-%d")
    return _list(
        request,
        title="Stalled deals",
        explain=f"Open deals as of {day} in their current stage longer than 90% of the deals "
        "that moved on from it, largest first.",
        back=(f"/velocity?as_of={day}#stalled", "Velocity"),
        rows=stalled["deals"][offset : offset + PAGE],
        total=stalled["count"],
        offset=offset,
        extras=[
            ("days_in_stage", "Days in stage", "days"),
            ("stage_p90_days", "Stage P90", "days"),
        ],
    )


@router.get("/waterfall/bars/{bar}", response_class=HTMLResponse)
def bar_deals_page(
    request: Request,
    who: Who,
    bar: str,
    as_of: str | None = None,
    period: str | None = None,
    offset: Offset = 0,
) -> HTMLResponse:
    """Every deal in one waterfall bar, largest part first."""
    if bar not in WATERFALL_BARS:
        raise NotFound(f"no waterfall bar {bar!r}; the bars are {', '.join(WATERFALL_BARS)}")
    when, span = _day(as_of), _period(period)
    # The waterfall page's own report (the same cache entry): the bars hold every deal's id.
    w = _report(request, who, when, "waterfall", period=span, deals_per_flag=DEALS_LISTED)
    found = next(b for b in w["waterfall"]["bars"] if b["bar"] == bar)
    with store_of(request).session() as s:
        rows = bar_deals(s, who.scope, [found], offset=offset, limit=PAGE)[bar]
    day = when.strftime("%Y-%m-%d")
    return _list(
        request,
        title=f"{charts.WATERFALL_LABELS[bar]}: the {PERIODS[span]}'s waterfall",
        explain=f"The {PERIODS[span]} from {w['waterfall']['period_start']} to "
        f"{w['waterfall']['period_end']}, as of {day}: the deals in this bar, largest part "
        "first; stage, amount and close date as each deal stands now.",
        back=(f"/waterfall?as_of={day}&period={span}#bar-{bar}", "Waterfall"),
        rows=rows,
        total=found["deals"],
        offset=offset,
        extras=[("part", "Part of the bar", "money")],
    )


@router.get("/quiet-deals", response_class=HTMLResponse)
def quiet_deals_page(
    request: Request, who: Who, as_of: str | None = None, offset: Offset = 0
) -> HTMLResponse:
    """Every open deal without buyer activity in 14 days, largest first (the home page's)."""
    when = as_of_day(as_of)
    with store_of(request).session() as s:
        rows, total = quiet_deals(s, who.scope, as_of=when, limit=PAGE, offset=offset)
    return _list(
        request,
        title="Deals without buyer activity in 14 days",
        explain="Open deals with no reply, call-back, accepted meeting or stage advance in the "
        "14 days before " + when.strftime("%Y-%m-%d") + ", largest first.",
        back=("/", "Home"),
        rows=rows,
        total=total,
        offset=offset,
        extras=[("last_buyer_response", "Last buyer response", "last")],
    )
