"""A rep's own pages: my pipeline (coverage against my need) and my deals needing attention.

Figures come from :func:`~rightturn.analytics.report.metrics_report` (cached) over the rep's
own records: the per-rep row the Pipeline page's coverage table shows, and the same integrity
flags. A viewer without a rep row (a manager, an admin) is sent to the team's page instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rightturn.analytics.cache import cached_metrics_report
from rightturn.analytics.pipeline import open_by_stage
from rightturn.crm import queries
from rightturn.web import charts
from rightturn.web.pages.analytics import FLAG_INFO, PERIODS, _day, _period
from rightturn.web.pages.base import Who, render, router, store_of
from rightturn.web.pages.own import own_scope

# The flags a rep acts on first come first in a deal's list.
FLAG_ORDER = {flag: n for n, flag in enumerate(FLAG_INFO)}


@router.get("/my/pipeline", response_class=HTMLResponse)
def my_pipeline(
    request: Request, who: Who, as_of: str | None = None, period: str | None = None
) -> Response:
    rep_id = who.account.rep_id
    if rep_id is None:  # no rep row: the team's pipeline is theirs
        return RedirectResponse("/pipeline", status_code=303)
    when, span = _day(as_of), _period(period)
    scope = own_scope(rep_id)
    report = cached_metrics_report(store_of(request), scope, as_of=when, period=span, sections=())
    row = next((r for r in report["reps"] if r["rep_id"] == rep_id), None)
    with store_of(request).session() as s:
        me = queries.get_rep(s, scope, rep_id)
        stages = open_by_stage(s, scope)
    return render(
        request,
        "my_pipeline.html",
        me=me,
        mine=row,
        r=report,
        as_of=when,
        period=span,
        period_name=PERIODS[span],
        stages=stages,
        pipeline_chart=charts.open_pipeline_chart(stages) if stages else None,
    )


@router.get("/my/deals", response_class=HTMLResponse)
def my_deals(request: Request, who: Who, as_of: str | None = None) -> Response:
    rep_id = who.account.rep_id
    if rep_id is None:
        return RedirectResponse("/pipeline#integrity-flags", status_code=303)
    when = _day(as_of)
    scope = own_scope(rep_id)
    report = cached_metrics_report(
        store_of(request), scope, as_of=when, sections=("integrity",), deals_per_flag=None
    )
    flagged = _flagged(report["integrity"])
    with store_of(request).session() as s:
        me = queries.get_rep(s, scope, rep_id)
    # Named by the analysis (crm.deals' shape); stage, amount and close date as of the day.
    deals = sorted(flagged.values(), key=lambda d: (-(d["amount"] or 0), d["opportunity_id"]))
    return render(
        request,
        "my_deals.html",
        me=me,
        as_of=when,
        deals=deals,
        counts={flag: f["count"] for flag, f in report["integrity"].items()},
        flag_info=FLAG_INFO,
    )


def _flagged(integrity: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each flagged deal once, with every flag it carries (in ``FLAG_INFO``'s order)."""
    deals: dict[str, dict[str, Any]] = {}
    for flag in sorted(integrity, key=lambda f: FLAG_ORDER.get(f, len(FLAG_ORDER))):
        for deal in integrity[flag]["deals"]:
            row = deals.setdefault(deal["opportunity_id"], {"flags": []})
            row.update(deal)  # a flag's own figure (pushes, skips...) joins the others'
            row["flags"].append(flag)
    return deals
