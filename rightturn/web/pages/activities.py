"""The activity log."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from fastapi.responses import HTMLResponse

from rightturn.crm import queries
from rightturn.crm.model import ACTIVITY_KINDS, ASSOCIATION_STATUSES
from rightturn.errors import ParseError
from rightturn.web.pages.base import (
    PAGE,
    Who,
    local_day,
    render,
    rep_choices,
    router,
    store_of,
)

# --- activities ------------------------------------------------------------------------------


@router.get("/activities", response_class=HTMLResponse)
def activities(
    request: Request,
    who: Who,
    kind: str | None = None,
    status: str | None = None,
    rep_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    order: str = "newest",
    cursor: str | None = None,
) -> HTMLResponse:
    if order not in ("newest", "oldest"):
        raise ParseError(f"order={order!r} is not one of newest, oldest")
    if kind and kind not in ACTIVITY_KINDS:
        raise ParseError(f"kind={kind!r} is not one of {', '.join(ACTIVITY_KINDS)}")
    if status and status not in ASSOCIATION_STATUSES:
        raise ParseError(f"status={status!r} is not one of {', '.join(ASSOCIATION_STATUSES)}")
    where = queries.ActivityFilter(
        kind=kind or None,
        status=status or None,
        rep_id=rep_id or None,
        # Days as the page shows its times: in the viewer's zone.
        since=local_day(since, request, "since") if since else None,
        until=local_day(until, request, "until") + timedelta(days=1) if until else None,
    )
    with store_of(request).session() as s:
        page = queries.list_activities(
            s, who.scope, where, cursor=cursor, limit=PAGE, oldest_first=order == "oldest"
        )
        reps = rep_choices(s, who)
    return render(
        request,
        "activities.html",
        page=page,
        kind=kind or "",
        status=status or "",
        rep_id=rep_id or "",
        since=since or "",
        until=until or "",
        order=order,
        kinds=ACTIVITY_KINDS,
        statuses=ASSOCIATION_STATUSES,
        reps=reps,
    )
