"""Opportunities: the list and one deal's page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from rightturn.crm import queries
from rightturn.crm.model import OPPORTUNITY_STATUSES
from rightturn.crm.stages import stage_order
from rightturn.errors import ParseError
from rightturn.web.pages.base import (
    PAGE,
    Offset,
    Who,
    render,
    rep_choices,
    router,
    store_of,
)

# --- opportunities ---------------------------------------------------------------------------


# The status menu: open deals unless the viewer asks otherwise ("all" lifts the filter).
STATUS_CHOICES = (("open", "Open"), ("won", "Won"), ("lost", "Lost"), ("all", "All statuses"))


@router.get("/opportunities", response_class=HTMLResponse)
def opportunities(
    request: Request,
    who: Who,
    q: str | None = None,
    status: str = "open",
    stage: str | None = None,
    rep_id: str | None = None,
    sort: str = "close_date",
    desc: bool = False,
    offset: Offset = 0,
) -> HTMLResponse:
    """Open deals, soonest close first, unless the filters say otherwise."""
    status = status or "all"  # the menu's old "any" sent an empty status
    if status != "all" and status not in OPPORTUNITY_STATUSES:
        raise ParseError(f"status={status!r} is not one of {', '.join(OPPORTUNITY_STATUSES)}, all")
    with store_of(request).session() as s:
        page = queries.list_opportunities(
            s,
            who.scope,
            q=q,
            status=None if status == "all" else status,
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
        status=status,
        stage=stage or "",
        rep_id=rep_id or "",
        sort=sort,
        desc=desc,
        statuses=STATUS_CHOICES,
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
