"""The web application: the REST API under ``/api/v1`` and the manager's panel.

:func:`create_app` builds it over one :class:`~rightturn.crm.store.Store`; ``rightturn serve``
runs it with uvicorn. Errors the domain raises on purpose become HTTP answers in one place here:
not found 404, bad input 422, conflict 409, forbidden 403; an anonymous request gets 401 from
the API and a redirect to the sign-in page from the panel. An API request body over
:data:`API_BODY_LIMIT` is refused with 413 before any handler reads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rightturn.config import Settings
from rightturn.crm.signin import SignInLimits
from rightturn.crm.store import Store
from rightturn.errors import (
    Conflict,
    NotFound,
    ParseError,
    PermissionDenied,
    RightturnError,
    StoreError,
)
from rightturn.web import api, pages
from rightturn.web.security import CSRF_COOKIE, SignInRequired, set_cookie

STATIC = Path(__file__).parent / "static"
# The one place domain errors become HTTP statuses (the most specific class wins); anything
# else rightturn raises on purpose (a setting, an unreadable source) is the request's fault.
_STATUS: dict[type[RightturnError], int] = {
    NotFound: 404,
    ParseError: 422,
    Conflict: 409,
    PermissionDenied: 403,
    StoreError: 503,
    RightturnError: 400,
}
_UNPARSED = "There was an error parsing the body"  # FastAPI's words for a body it cannot read
# A call or meeting is a few kilobytes; 500 attendees with names fit in a tenth of this.
API_BODY_LIMIT = 1024 * 1024
API_DOCS = "/api/v1/docs"  # Swagger UI
API_DOCS_ASSETS = "/vendor/api-docs"  # its script, stylesheet and icon


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _api_docs_assets() -> Path:
    """Swagger UI 5 as the fastapi-offline package ships it (the files FastAPI takes from a CDN)."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def create_app(
    store: Store, settings: Settings | None = None, *, secure_cookies: bool | None = None
) -> FastAPI:
    """The app over ``store``. ``secure_cookies`` None: Secure except plain HTTP on loopback."""
    app = FastAPI(
        title="rightturn",
        version="1",
        summary="Sales activity captured, associated and measured: the manager's control panel.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from the installed package, not FastAPI's CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.store = store
    app.state.settings = settings or Settings(db_url=store.url)
    app.state.sign_in_limits = SignInLimits()
    app.state.secure_cookies = secure_cookies

    app.include_router(api.router)
    # Added before the headers middleware below, so a 413 still carries the security headers.
    app.add_middleware(BodyLimit, limit=API_BODY_LIMIT)
    app.include_router(pages.public)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(API_DOCS_ASSETS, StaticFiles(directory=_api_docs_assets()), name="api-docs")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # Served from the plotly package itself: the panel works offline and behind firewalls.
        return FileResponse(
            _plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    # The interactive API docs with their assets served from a package, as plotly.js is: no CDN,
    # so they work offline (FastAPI's own page loads Swagger UI from jsDelivr).
    @app.get(API_DOCS, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{API_DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{API_DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{API_DOCS_ASSETS}/favicon.png",
            # No badge from the online validator (validator.swagger.io) either.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(SignInRequired)
    def _sign_in(request: Request, _exc: SignInRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": "sign in: send Authorization: Bearer TOKEN (`rightturn users token`)"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    for error, status in _STATUS.items():
        app.add_exception_handler(error, _handler(status))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith("/api/"):
            # A person typed or followed a bad URL: a page that says which value, never JSON.
            fields = [_field_error(e) for e in exc.errors()]
            problems = "; ".join(f"{f['loc'][-1]}: {f['msg']}" for f in fields)
            return pages.error_page(
                request, 422, f"This address has a value we cannot use ({problems})."
            )
        return JSONResponse({"detail": [_field_error(e) for e in exc.errors()]}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            if exc.status_code == 405:
                # Starlette names only the first route of the path that matched; every method
                # of the path is allowed, e.g. GET and POST /api/v1/activities.
                methods = {
                    method
                    for route in app.router.routes
                    if route.matches(request.scope)[0] is not Match.NONE
                    for method in getattr(route, "methods", None) or ()
                }
                allow = ", ".join(sorted(methods))
                return JSONResponse(
                    {"detail": f"{request.method} is not allowed here; use {allow}"},
                    status_code=405,
                    headers={"Allow": allow},
                )
            if exc.status_code == 400 and exc.detail == _UNPARSED:
                return JSONResponse(
                    {
                        "detail": "the body is not JSON: send UTF-8 JSON with Content-Type: "
                        "application/json"
                    },
                    status_code=400,
                )
            return await http_exception_handler(request, exc)
        message = {404: "There is no such page.", 405: "That page cannot be used this way."}
        return pages.error_page(
            request, exc.status_code, message.get(exc.status_code, str(exc.detail))
        )

    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        new = getattr(request.state, "new_csrf", None)
        if new:
            set_cookie(request, response, CSRF_COOKIE, new)
        return response

    return app


def _handler(status: int) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return pages.error_page(request, status, str(exc))

    return handle


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    """One refused parameter as the API's schema declares it (``loc``, ``msg``, ``type``).

    The input itself is not echoed: it may be a megabyte, or hold a lone surrogate that no JSON
    encoder writes as UTF-8. NUL and broken Unicode get a message saying what to do.
    """
    loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
    field = next((part for part in reversed(loc) if isinstance(part, str)), "the input")
    kind = str(error.get("type", "value_error"))
    message = str(error.get("msg", "is not valid"))
    if kind == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == api.NO_NUL:
        message = f"{field} contains a NUL character (\\x00), which cannot be stored: remove it"
    elif kind == "string_unicode":
        message = (
            f"{field} is not valid Unicode text (a lone surrogate such as \\ud800): send UTF-8"
        )
    # A message may quote the input; keep it encodable whatever the input held.
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return {"loc": loc, "msg": message, "type": kind}


class BodyLimit:
    """Refuse an ``/api`` request whose body is over ``limit`` bytes with 413, before any handler
    reads it: by its Content-Length when it sends one, else by counting what arrives."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send, f"{int(length):,} bytes")
            return
        # Read the whole body here (at most `limit` bytes), then hand it on as it came.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(scope, receive, send, f"over {self.limit:,} bytes")
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        answer = JSONResponse(
            {
                "detail": f"the request body is {size}; the API takes at most {self.limit:,}: "
                "send one activity a request, with fewer attendees or shorter notes"
            },
            status_code=413,
        )
        await answer(scope, receive, send)
