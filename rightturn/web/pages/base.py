"""What every page shares: the routers, rendering, the viewer's filters and the ``as_of`` day."""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rightturn.analytics.cache import cached_review_waiting
from rightturn.analytics.definitions import FIGURES
from rightturn.analytics.snapshot import as_of_datetime
from rightturn.crm import queries
from rightturn.crm.bounds import INT32_MAX
from rightturn.crm.model import Rep
from rightturn.crm.store import Store
from rightturn.errors import ParseError
from rightturn.web import figures
from rightturn.web.security import (
    CSRF_FIELD,
    SignInRequired,
    Viewer,
    csrf_protect,
    csrf_token,
    viewer,
)
from rightturn.web.zone import day_start, local_time, showing, zones_of

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
# Every figure's name, meaning and format from one registry (the _figures.html macros read them).
templates.env.globals.update(figures=FIGURES, show=figures.show, tooltip=figures.tooltip)
# Stored times are UTC; pages show them in the viewer's zone (`render` sets it around a page).
templates.env.filters["local_time"] = local_time
public = APIRouter(include_in_schema=False)
router = APIRouter(include_in_schema=False, dependencies=[Depends(viewer), Depends(csrf_protect)])
Who = Annotated[Viewer, Depends(viewer)]
PAGE = 50
# Where an offset-paged list starts: a negative or non-number offset is refused (a styled 422
# naming it), and so is one past what the databases' integers hold.
Offset = Annotated[int, Query(ge=0, le=INT32_MAX)]


def store_of(request: Request) -> Store:
    return request.app.state.store


def render(request: Request, name: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    who = getattr(request.state, "viewer", None)
    context.update(
        request=request,
        who=who,
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(request),
        url_with=lambda **kw: url_with(request, **kw),
    )
    if who is not None and "review_waiting" not in context:
        context["review_waiting"] = cached_review_waiting(store_of(request), who.scope)
    # Signed in: times in the viewer's zone, named once in the page's footer.
    shown = zones_of(request).viewer if who is not None else "UTC"
    context.setdefault("time_zone", shown if who is not None else None)
    with showing(shown):
        return templates.TemplateResponse(request, name, context, status_code=http_status)


def url_with(request: Request, **changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return request.url.path + ("?" + urlencode(params) if params else "")


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The panel's styled error page. A signed-in person keeps their nav even where no route
    matched (an unknown address never ran the viewer check)."""
    if getattr(request.state, "viewer", None) is None and not request.url.path.startswith("/login"):
        with suppress(SignInRequired):  # anonymous: the page without the nav
            viewer(request)
    return render(request, "error.html", http_status=status, status_code=status, message=message)


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would hand the session to another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


MAX_REP_CHOICES = 200


def rep_choices(s: Session, who: Viewer) -> list[dict[str, Any]]:
    """The reps a filter menu offers; none (the menu is hidden) beyond what fits a menu —
    an admin of a large org filters by rep from the rep's own page instead."""
    if who.scope.rep_ids is not None and len(who.scope.rep_ids) <= MAX_REP_CHOICES:
        return queries.list_reps(s, who.scope, sellers_only=True)
    if (s.scalar(select(func.count()).select_from(Rep)) or 0) <= MAX_REP_CHOICES:
        return queries.list_reps(s, who.scope, sellers_only=True)
    return []


def as_of_day(value: str | None) -> datetime:
    """The end of the ``as_of`` day (now when absent), as every analysis takes it: a UTC day,
    as the CLI's --as-of and the API's as_of are, so the panel's figures match theirs."""
    return as_of_datetime(parse_day(value, "as_of") if value else None)


def parse_day(value: str, name: str) -> date:
    """A ``YYYY-MM-DD`` query value, else a ParseError naming the parameter."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParseError(f"{name}={value!r} is not a date like 2026-05-04") from None


def local_day(value: str, request: Request, name: str) -> datetime:
    """The start of the day ``value`` in the viewer's zone: a filter on shown times (the
    activity log's since and until) takes the days those times show."""
    return day_start(parse_day(value, name), zones_of(request).viewer)
