"""Every route is protected, forms need their CSRF token, cookies are locked down, sign-in is
rate-limited, and no secret reaches the logs."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from rightturn.crm.signin import ACCOUNT_LIMIT, failed, unlock
from tests.web.conftest import PASSWORD, Web, sign_in

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


# The only routes anyone may call without signing in; each is here on purpose.
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/healthz"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/docs"),
    ("GET", "/vendor/plotly.min.js"),
}


def _routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, path) of every route, included routers' routes with their prefix."""
    found = []
    for route in app.routes:
        if isinstance(route, Mount):
            continue  # /static: CSS only, nothing that reads the database
        # Newer FastAPI keeps an included router as one entry that knows its routes.
        contexts = getattr(route, "effective_route_contexts", None)
        for leaf in contexts() if contexts else [route]:
            methods = getattr(leaf, "methods", None) or {"GET"}
            for method in sorted(methods - {"HEAD", "OPTIONS"}):
                found.append((method, leaf.path))
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("who", ["anonymous", "bad token"])
def test_every_route_but_the_public_ones_needs_a_signed_in_user(web: Web, who: str) -> None:
    client = web.client()
    headers = {"Authorization": "Bearer rt_forged"} if who == "bad token" else {}
    routes = _routes(client.app)
    assert len(routes) > 20, "the walk found the app's routes"
    assert ("GET", "/api/v1/activities") in routes and ("POST", "/review/{activity_id}") in routes
    checked = 0
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        answer = client.request(
            method, _concrete(path), headers=headers, json={}, follow_redirects=False
        )
        if path.startswith("/api/"):
            assert answer.status_code == 401, (method, path, answer.status_code)
        else:
            assert answer.status_code in (303, 401), (method, path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"].startswith("/login")
        checked += 1
    assert checked >= 18


def test_the_public_list_holds_only_routes_that_exist(web: Web) -> None:
    # A stale allow-list entry would silently make a future route with that path public.
    assert set(_routes(web.client().app)) >= PUBLIC


def test_sign_in_sets_locked_down_cookies(web: Web) -> None:
    client = web.client()
    answer = sign_in(client, web.emails["manager_a"])
    assert answer.status_code == 303
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("rt_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"


def test_a_form_without_its_csrf_token_is_refused(web: Web) -> None:
    client = web.client()
    client.get("/login")
    no_token = client.post(
        "/login",
        data={"email": web.emails["admin"], "password": PASSWORD},
        follow_redirects=False,
    )
    assert no_token.status_code == 403
    signed_in = web.browser("manager_a")
    queue = signed_in.get("/api/v1/review").json()
    target = queue["items"][0]["activity_id"]
    forged = signed_in.post(f"/review/{target}", data={"action": "unlink", "csrf_token": "guess"})
    assert forged.status_code == 403
    api_forged = signed_in.post(f"/api/v1/review/{target}", json={"action": "unlink"})
    assert api_forged.status_code == 403
    # A bearer token carries no ambient credential, so it needs no CSRF token.
    assert web.client("admin").get(f"/api/v1/activities/{target}").json()["status"] == (
        "needs_review"
    )


def _post_login(client: TestClient, email: str, password: str) -> int:
    return int(
        client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": client.cookies["rt_csrf"]},
            follow_redirects=False,
        ).status_code
    )


def test_sign_in_is_rate_limited(web: Web) -> None:
    client = web.client()
    client.get("/login")
    email = web.emails["rep_b"]
    try:
        codes = [_post_login(client, email, "wrong password!") for _ in range(6)]
        assert codes[:5] == [401] * 5
        assert codes[5] == 429
        # Even the right password waits now, from this address and for this email.
        blocked = client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": client.cookies["rt_csrf"]},
            follow_redirects=False,
        )
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert f"rightturn users unlock {email}" in blocked.text
    finally:
        unlock(web.store, email=email)
    assert _post_login(client, email, PASSWORD) == 303


def test_one_users_typos_do_not_lock_out_another_at_the_same_address(web: Web) -> None:
    client = web.client()
    client.get("/login")
    manager, rep = web.emails["manager_b"], web.emails["rep_b"]
    try:
        assert [_post_login(client, manager, "not my password") for _ in range(6)][-1] == 429
        # Same browser, same address: the rep's right password still signs in.
        assert _post_login(client, rep, PASSWORD) == 303
    finally:
        unlock(web.store, email=manager)


def test_a_known_browser_signs_in_while_guessing_elsewhere_holds_the_account(web: Web) -> None:
    email = web.emails["manager_b"]
    known = web.client()
    known.get("/login")
    assert _post_login(known, email, PASSWORD) == 303
    assert known.cookies.get("rt_browser")
    try:
        for n in range(ACCOUNT_LIMIT):  # a guesser spread over many addresses
            failed(web.store, f"203.0.113.{n}", email)
        stranger = web.client()
        stranger.get("/login")
        assert _post_login(stranger, email, PASSWORD) == 429
        assert _post_login(known, email, PASSWORD) == 303
    finally:
        unlock(web.store, email=email)


def test_wrong_email_and_wrong_password_look_the_same(web: Web) -> None:
    client = web.client()
    client.get("/login")
    token = client.cookies["rt_csrf"]
    unknown = client.post(
        "/login", data={"email": "nobody@example.com", "password": "x" * 12, "csrf_token": token}
    )
    wrong = client.post(
        "/login",
        data={"email": web.emails["admin"], "password": "x" * 12, "csrf_token": token},
    )
    assert unknown.status_code == wrong.status_code == 401
    assert "do not match" in unknown.text and "do not match" in wrong.text


def test_sign_out_ends_the_session(web: Web) -> None:
    client = web.browser("rep_a")
    assert client.get("/").status_code == 200
    session = client.cookies["rt_session"]
    client.post("/logout", data={"csrf_token": client.cookies["rt_csrf"]})
    # The old cookie no longer works anywhere, even if a copy of it was kept.
    again = web.client()
    again.cookies.set("rt_session", session)
    assert again.get("/api/v1/me").status_code == 401


def test_no_secret_reaches_the_logs(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = web.browser("manager_b")
    client.get("/")
    token = web.tokens["admin"]
    web.client("admin").get("/api/v1/me")
    session = client.cookies["rt_session"]
    text = caplog.text
    for secret in (PASSWORD, token, session):
        assert secret not in text


def test_open_redirects_are_refused(web: Web) -> None:
    client = web.client()
    answer = sign_in(client, web.emails["admin"], next="https://evil.example/steal")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
