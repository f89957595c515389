"""A populated organisation for the web tests, on SQLite and PostgreSQL, with one user per role.

The org (12 reps in two teams, two months) is simulated once per session and loaded once per
test module and backend; tests that change data (review, push) touch their own records and
assert changes relative to what they read first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rightturn.capture.org import org_sources
from rightturn.capture.pipeline import capture
from rightturn.crm.imports import import_crm
from rightturn.crm.model import Activity, Rep
from rightturn.crm.store import Store
from rightturn.crm.users import add_user, issue_token
from rightturn.simulate import simulate_org
from rightturn.web.app import create_app
from tests.conftest import PG_URL, pg_unavailable

PASSWORD = "correct horse battery staple"
END = date(2026, 6, 30)


@dataclass
class Web:
    """A populated store, its app, and a user (email, token) per role."""

    store: Store
    url: str
    team_a: str
    team_b: str
    rep_a: str  # in team A
    rep_a2: str  # also in team A
    rep_b: str  # in team B
    emails: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def app(self):  # type: ignore[no-untyped-def]
        return create_app(self.store)

    def client(self, role: str | None = None) -> TestClient:
        """A client over https (cookies are Secure there) signed in by token as ``role``."""
        client = TestClient(self.app(), base_url="https://testserver")
        if role:
            client.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return client

    def browser(self, role: str) -> TestClient:
        """A client signed in through the login form, as the panel is."""
        client = TestClient(self.app(), base_url="https://testserver")
        done = sign_in(client, self.emails[role])
        assert done.status_code == 303, done.text
        return client

    def count(self, *where) -> int:  # type: ignore[no-untyped-def]
        with self.store.session() as s:
            return s.scalar(select(func.count()).select_from(Activity).where(*where)) or 0


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **form: str) -> Any:
    """Post the login form as a browser does (the form's CSRF cookie first); the answer is
    returned unfollowed, so a test can read the redirect and cookies."""
    page = client.get("/login")
    assert page.status_code == 200
    data = {"email": email, "password": password, "csrf_token": client.cookies["rt_csrf"], **form}
    return client.post("/login", data=data, follow_redirects=False)


@pytest.fixture(scope="session")
def web_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web-org") / "org"
    simulate_org(root, seed=11, reps=12, months=2, end=END)
    return root


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def web(
    request: pytest.FixtureRequest, web_org: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Web]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web-db') / 'web.db'}"
        cleanup = None
    else:
        problem = pg_unavailable()
        if problem:
            pytest.skip(problem)
        import psycopg

        schema = f"rt_web_{uuid.uuid4().hex[:12]}"
        plain = PG_URL.replace("+psycopg", "")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"

        def cleanup() -> None:
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")

    store = Store.open(url)
    try:
        import_crm(store, web_org / "crm")
        capture(store, org_sources(web_org, "US"))
        with store.session() as s:
            teams = sorted(set(s.scalars(select(Rep.team_id).where(Rep.team_id.is_not(None)))))
            assert len(teams) >= 2, "the web tests need an org with two teams"
            busiest = {
                team: list(
                    s.scalars(
                        select(Activity.rep_id)
                        .join(Rep, Rep.rep_id == Activity.rep_id)
                        .where(Rep.team_id == team)
                        .group_by(Activity.rep_id)
                        .order_by(func.count().desc(), Activity.rep_id)
                    )
                )
                for team in teams[:2]
            }
        w = Web(
            store,
            url,
            team_a=teams[0],
            team_b=teams[1],
            rep_a=busiest[teams[0]][0],
            rep_a2=busiest[teams[0]][1],
            rep_b=busiest[teams[1]][0],
        )
        for role, kind, rep_id, team in (
            ("admin", "admin", None, None),
            ("manager_a", "manager", None, w.team_a),
            ("manager_b", "manager", None, w.team_b),
            ("rep_a", "rep", w.rep_a, None),
            ("rep_b", "rep", w.rep_b, None),
        ):
            email = f"{role}@example.com"
            add_user(store, email, PASSWORD, role=kind, rep_id=rep_id, team=team)
            w.emails[role] = email
            w.tokens[role] = issue_token(store, email)
        yield w
    finally:
        store.close()
        if cleanup:
            cleanup()
