"""The process comparison page: the weeks before a process change against the weeks after
(:func:`~rightturn.process.compare.compare_versions`), as a chart with error bars and a table,
over the prospecting the viewer sees (a manager's team, an admin's org, a rep's own)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from rightturn.analytics.cache import cached_for_data
from rightturn.crm.bounds import INT32_MAX
from rightturn.errors import NotFound, ParseError
from rightturn.process.compare import (
    DEFAULT_WEEKS,
    HORIZON_DAYS,
    MIN_SEQUENCES,
    MIN_WON,
    compare_versions,
)
from rightturn.process.versions import AppliedProcess, default_version, list_versions
from rightturn.web import charts, figures
from rightturn.web.pages.base import Who, as_of_day, render, router, store_of

MAX_WEEKS = 52
Version = Annotated[int | None, Query(ge=0, le=INT32_MAX)]


@router.get("/process/compare", response_class=HTMLResponse)
def process_compare(
    request: Request,
    who: Who,
    v1: Version = None,
    v2: Version = None,
    weeks: Annotated[int, Query(ge=1, le=MAX_WEEKS)] = DEFAULT_WEEKS,
    as_of: str | None = None,
) -> HTMLResponse:
    """Two versions side by side; without ``v1``/``v2``, the version in force against the one
    it replaced."""
    store = store_of(request)
    when = as_of_day(as_of)
    applied = sorted(list_versions(store), key=lambda v: (v.applied_at, v.version))
    timeline = [default_version(), *applied]
    v1, v2 = _pair(timeline, v1, v2)
    context: dict[str, Any] = {
        "versions": timeline,
        "v1": v1,
        "v2": v2,
        "weeks": weeks,
        "max_weeks": MAX_WEEKS,
        "as_of": when,
        "horizon_days": HORIZON_DAYS,
        "min_sequences": MIN_SEQUENCES,
        "min_won": MIN_WON,
        "show_interval": figures.show_interval,
        "show_change": figures.show_change,
        "show_change_interval": figures.show_change_interval,
    }
    if not applied:
        return render(request, "process_compare.html", result=None, problem=None, **context)
    try:
        found = cached_for_data(
            store,
            who.scope,
            ("process-compare", v1, v2, when, weeks),
            lambda: compare_versions(store, who.scope, v1, v2, as_of=when, weeks=weeks),
        )
    except (NotFound, ParseError) as exc:
        # The page with the problem and the pickers kept, so another pair is one click away.
        status = 404 if isinstance(exc, NotFound) else 422
        return render(
            request, "process_compare.html", status, result=None, problem=str(exc), **context
        )
    body = found.as_json()
    return render(
        request,
        "process_compare.html",
        result=found,
        problem=None,
        metrics=body["metrics"],
        chart=charts.compare_chart(body["metrics"]),
        **context,
    )


def _pair(timeline: list[AppliedProcess], v1: int | None, v2: int | None) -> tuple[int, int]:
    """The versions asked for; a missing one is the version in force (for ``v2``) or the one
    before the other (for ``v1``)."""
    if v2 is None:
        v2 = timeline[-1].version
    if v1 is None:
        numbers = [v.version for v in timeline]
        at = numbers.index(v2) if v2 in numbers else len(numbers) - 1
        v1 = numbers[max(at - 1, 0)]
    return v1, v2
