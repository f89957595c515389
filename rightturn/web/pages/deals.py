"""Opportunities: the list and one deal's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from rightturn.crm import queries
from rightturn.crm.model import OPPORTUNITY_STATUSES
from rightturn.crm.stages import stage_order
from rightturn.errors import ParseError
from rightturn.web.pages.base import (
    PAGE,
    Who,
    render,
    rep_choices,
    router,
    store_of,
)

# --- opportunities ---------------------------------------------------------------------------


@router.get("/opportunities", response_class=HTMLResponse)
def opportunities(
    request: Request,
    who: Who,
    q: str | None = None,
    status: str | None = None,
    stage: str | None = None,
    rep_id: str | None = None,
    sort: str = "close_date",
    desc: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    if status and status not in OPPORTUNITY_STATUSES:
        raise ParseError(f"status={status!r} is not one of {', '.join(OPPORTUNITY_STATUSES)}")
    with store_of(request).session() as s:
        page = queries.list_opportunities(
            s,
            who.scope,
            q=q,
            status=status,
            stage=stage or None,
            rep_id=rep_id or None,
            sort=sort,
            descending=desc,
            offset=offset,
            limit=PAGE,
        )
        stages = stage_order(s)
        reps = rep_choices(s, who)
    return render(
        request,
        "opportunities.html",
        page=page,
        offset=offset,
        limit=PAGE,
        q=q or "",
        status=status or "",
        stage=stage or "",
        rep_id=rep_id or "",
        sort=sort,
        desc=desc,
        statuses=OPPORTUNITY_STATUSES,
        stages=stages,
        reps=reps,
    )


@router.get("/opportunities/{opportunity_id}", response_class=HTMLResponse)
def opportunity(
    request: Request, who: Who, opportunity_id: str, cursor: str | None = None
) -> HTMLResponse:
    with store_of(request).session() as s:
        opp = queries.get_opportunity(s, who.scope, opportunity_id)
        history = queries.list_activities(
            s,
            who.scope,
            queries.ActivityFilter(opportunity_id=opportunity_id),
            cursor=cursor,
            limit=PAGE,
            body=True,
        )
    return render(request, "opportunity.html", opp=opp, history=history)
