"""The web application: the REST API under ``/api/v1`` and the manager's panel.

:func:`create_app` builds it over one :class:`~rightturn.crm.store.Store`; ``rightturn serve``
runs it with uvicorn. Errors the domain raises on purpose become HTTP answers in one place here:
not found 404, bad input 422, conflict 409, forbidden 403; an anonymous request gets 401 from
the API and a redirect to the sign-in page from the panel.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from rightturn.config import Settings
from rightturn.crm.store import Store
from rightturn.errors import Conflict, NotFound, ParseError, PermissionDenied
from rightturn.web import api, pages
from rightturn.web.auth import LoginLimiter
from rightturn.web.security import CSRF_COOKIE, SignInRequired, set_cookie

STATIC = Path(__file__).parent / "static"
_STATUS = {NotFound: 404, ParseError: 422, Conflict: 409, PermissionDenied: 403}


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(
    store: Store, settings: Settings | None = None, *, secure_cookies: bool | None = None
) -> FastAPI:
    """The app over ``store``. ``secure_cookies`` None: Secure except plain HTTP on loopback."""
    app = FastAPI(
        title="rightturn",
        version="1",
        summary="Sales activity captured, associated and measured: the manager's control panel.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.store = store
    app.state.settings = settings or Settings(db_url=store.url)
    app.state.limiter = LoginLimiter()
    app.state.secure_cookies = secure_cookies

    app.include_router(api.router)
    app.include_router(pages.public)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # Served from the plotly package itself: the panel works offline and behind firewalls.
        return FileResponse(
            _plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
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

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        new = getattr(request.state, "new_csrf", None)
        if new:
            set_cookie(request, response, CSRF_COOKIE, new)
        return response

    return app


def _handler(status: int):  # type: ignore[no-untyped-def]
    def handle(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return pages.error_page(request, status, str(exc))

    return handle
