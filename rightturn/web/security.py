"""Who is asking, what they may see, and the checks every request passes.

* A request is signed in by ``Authorization: Bearer TOKEN`` (machines) or the ``rt_session``
  cookie (the panel). :func:`viewer` resolves either to a :class:`Viewer` with its scope; the
  routers attach it to every route they hold, so a new route cannot forget it.
* Unsafe methods signed in by cookie must carry the CSRF token (double-submit: the ``rt_csrf``
  cookie's value in the ``csrf_token`` form field or the ``X-CSRF-Token`` header); bearer
  requests carry no ambient credential and need none.
* Cookies are HttpOnly and SameSite=Lax, and Secure except over plain HTTP to a loopback
  address (a browser would drop a Secure cookie there, and nothing leaves the machine).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import HTTPException, Request
from fastapi.responses import Response

from rightturn.crm.scope import Scope, scope_for
from rightturn.crm.store import Store
from rightturn.crm.users import SESSION_LIFETIME, Account, user_for_session, user_for_token

SESSION_COOKIE = "rt_session"
CSRF_COOKIE = "rt_csrf"
# Marks a browser its user signed in from: exempt from limits others' failures trip.
BROWSER_COOKIE = "rt_browser"
BROWSER_LIFETIME = int(timedelta(days=90).total_seconds())
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request and the records they may see."""

    account: Account
    scope: Scope


class SignInRequired(Exception):
    """Raised for an anonymous request: the API answers 401, a page redirects to sign-in."""


def _store(request: Request) -> Store:
    return request.app.state.store


def _account(request: Request) -> Account | None:
    store = _store(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return user_for_token(store, token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    return user_for_session(store, cookie) if cookie else None


def viewer(request: Request) -> Viewer:
    """The dependency every protected route has: the signed-in viewer, or sign-in required."""
    cached = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    account = _account(request)
    if account is None:
        raise SignInRequired()
    with _store(request).session() as s:
        scope = scope_for(s, account.role, account.rep_id, account.team_id)
    found = Viewer(account, scope)
    request.state.viewer = found
    return found


async def csrf_protect(request: Request) -> None:
    """Refuse a cookie-signed unsafe request whose CSRF token does not match its cookie."""
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = str(form.get(CSRF_FIELD, ""))
    if not expected or not hmac.compare_digest(expected, sent):
        raise HTTPException(
            status_code=403,
            detail="the form is stale or came from another site: reload the page and retry",
        )


def csrf_token(request: Request) -> str:
    """The CSRF token for this browser (made on first use; the response sets the cookie)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


def _loopback_http(request: Request) -> bool:
    if request.url.scheme == "https":
        return False
    host = request.url.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secure_cookies(request: Request) -> bool:
    """Whether cookies get the Secure flag for this request."""
    setting = request.app.state.secure_cookies
    return bool(setting) if setting is not None else not _loopback_http(request)


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age or int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
