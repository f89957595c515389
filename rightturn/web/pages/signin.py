"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rightturn.crm import signin
from rightturn.crm.users import authenticate, end_session, start_session
from rightturn.web.pages.base import (
    public,
    render,
    router,
    safe_next,
    store_of,
)
from rightturn.web.security import (
    BROWSER_COOKIE,
    BROWSER_LIFETIME,
    SESSION_COOKIE,
    client_address,
    csrf_protect,
    set_cookie,
)

# --- signing in and out ------------------------------------------------------------------


@public.get("/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next), error=None)


@public.post("/login", dependencies=[Depends(csrf_protect)])
def login(
    request: Request,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    store, client = store_of(request), client_address(request)
    limits = request.app.state.sign_in_limits
    browser = request.cookies.get(BROWSER_COOKIE)
    wait = signin.retry_after(store, client, email, browser=browser, limits=limits)
    if wait:
        limited = render(
            request,
            "login.html",
            http_status=429,
            next=safe_next(next),
            error=f"Too many failed sign-ins for this account from here. Try again in "
            f"{max(-(-wait // 60), 1)} minutes, or ask an admin to run "
            f"`rightturn users unlock {email.strip()}`.",
        )
        limited.headers["Retry-After"] = str(wait)
        return limited
    account = authenticate(store, email, password)
    if account is None:
        signin.failed(store, client, email)
        return render(
            request,
            "login.html",
            http_status=401,
            next=safe_next(next),
            error="That email and password do not match an active user.",
        )
    known = signin.succeeded(store, client, email, account.user_id, browser=browser)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, start_session(store, account.user_id))
    if known != browser:
        set_cookie(request, response, BROWSER_COOKIE, known, max_age=BROWSER_LIFETIME)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_session(store_of(request), token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
