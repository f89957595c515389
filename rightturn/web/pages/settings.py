"""The viewer's own settings: the time zone they read times in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rightturn.crm.zones import (
    EXAMPLE,
    known_zones,
    org_zone_source,
    set_user_time_zone,
    user_time_zone,
)
from rightturn.errors import ParseError
from rightturn.web.pages.base import Who, render, router, store_of
from rightturn.web.zone import zones_of


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, who: Who, saved: str | None = None) -> HTMLResponse:
    return _page(request, who, notice="Saved." if saved else None)


@router.post("/settings/time-zone")
def set_time_zone(
    request: Request, who: Who, time_zone: Annotated[str | None, Form()] = None
) -> Response:
    """Set the viewer's own zone; empty follows the org's. A name that is not a zone is refused
    on the form itself, with what was typed kept."""
    try:
        with store_of(request).session() as s:
            set_user_time_zone(s, who.account.email, (time_zone or "").strip() or None)
    except ParseError as exc:
        return _page(request, who, error=str(exc), typed=time_zone or "", http_status=422)
    return RedirectResponse("/settings?saved=1", status_code=303)


def _page(
    request: Request,
    who: Who,
    *,
    notice: str | None = None,
    error: str | None = None,
    typed: str | None = None,
    http_status: int = 200,
) -> HTMLResponse:
    zones = zones_of(request)
    with store_of(request).session() as s:
        source = org_zone_source(s)
        own = user_time_zone(s, who.account.user_id) or ""
    return render(
        request,
        "settings.html",
        http_status=http_status,
        org_zone=zones.org,
        org_source=source,
        own_zone=typed if typed is not None else own,
        known=known_zones(),
        example=EXAMPLE,
        notice=notice,
        error=error,
    )
