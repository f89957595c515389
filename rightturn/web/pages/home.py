"""The home page: the week, the open pipeline, the quiet deals."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from rightturn.analytics.activity import week_over_week
from rightturn.analytics.pipeline import open_by_stage, quiet_deals
from rightturn.associate.review import (
    review_queue,
)
from rightturn.crm import queries
from rightturn.web import charts
from rightturn.web.pages.base import (
    Who,
    as_of_day,
    render,
    router,
    store_of,
)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Who, as_of: str | None = None) -> HTMLResponse:
    when = as_of_day(as_of)
    with store_of(request).session() as s:
        wow = week_over_week(s, who.scope, as_of=when)
        stages = open_by_stage(s, who.scope)
        quiet, quiet_total = quiet_deals(s, who.scope, as_of=when, limit=15)
        captured = queries.list_activities(s, who.scope, limit=1).items
    waiting = review_queue(store_of(request), limit=0, scope=who.scope).total
    return render(
        request,
        "home.html",
        as_of=when,
        wow=wow,
        week_chart=charts.week_over_week_chart(wow.this_week, wow.last_week)
        if any(wow.this_week.values()) or any(wow.last_week.values())
        else None,
        stages=stages,
        pipeline_chart=charts.open_pipeline_chart(stages) if stages else None,
        quiet=quiet,
        quiet_total=quiet_total,
        review_waiting=waiting,
        anything_captured=bool(captured),
    )
