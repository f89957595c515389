"""The home page: the week, the open pipeline, the quiet deals."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from rightturn.analytics.activity import week_over_week
from rightturn.analytics.cache import cached_data_span, cached_review_waiting
from rightturn.analytics.pipeline import open_by_stage, quiet_deals
from rightturn.crm import queries
from rightturn.web import charts
from rightturn.web.pages.base import (
    Who,
    as_of_day,
    render,
    router,
    store_of,
)
from rightturn.web.pages.own import is_rep


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Who, as_of: str | None = None) -> HTMLResponse:
    when = as_of_day(as_of)
    with store_of(request).session() as s:
        wow = week_over_week(s, who.scope, as_of=when)
        dates = cached_data_span(store_of(request), who.scope)
        stages = open_by_stage(s, who.scope)
        quiet, quiet_total = quiet_deals(s, who.scope, as_of=when, limit=15)
        if dates.before(when):  # today's open deals were not open then: say so, show none
            stages, quiet, quiet_total = [], [], 0
        captured = queries.list_activities(s, who.scope, limit=1).items
        # A rep's home is their week, titled with their name; a manager's is the team's.
        rep_id = who.account.rep_id if is_rep(who) else None
        me = queries.get_rep(s, who.scope, rep_id) if rep_id else None
    waiting = cached_review_waiting(store_of(request), who.scope)
    return render(
        request,
        "home.html",
        as_of=when,
        dates=dates,
        wow=wow,
        me=me,
        week_chart=charts.week_over_week_chart(
            wow.this_week, wow.last_week, f"{me['name']}'s activity" if me else "Team activity"
        )
        if any(wow.this_week.values()) or any(wow.last_week.values())
        else None,
        stages=stages,
        pipeline_chart=charts.open_pipeline_chart(stages) if stages else None,
        quiet=quiet,
        quiet_total=quiet_total,
        review_waiting=waiting,
        anything_captured=bool(captured),
    )
