"""Shared fixtures: a fresh database on SQLite and on PostgreSQL for every store test.

PostgreSQL is the server at 127.0.0.1:5432 (database ``test``, trust auth); every test gets its
own schema, dropped afterwards, so parallel or repeated runs never collide. When no server
answers, the PostgreSQL variants skip and say why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rightturn.crm.store import Store

PG_URL = os.environ.get("RIGHTTURN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHARED = Path(__file__).resolve().parents[2] / "shared"
_pg_problem: list[str | None] = []


def pg_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    if not _pg_problem:
        try:
            import psycopg

            with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
                _pg_problem.append(None)
        except Exception as exc:  # any failure to connect means: skip, and say why
            _pg_problem.append(f"no PostgreSQL at {PG_URL}: {exc}".splitlines()[0])
    return _pg_problem[0]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema."""
    problem = pg_unavailable()
    if problem:
        pytest.skip(problem)
    with pg_schema() as url:
        yield url


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema for as long as the block runs (the server must answer)."""
    import psycopg

    schema = f"rt_test_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rightturn.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A fresh store at the current schema, on both backends."""
    with Store.open(db_url) as s:
        yield s


@pytest.fixture(scope="session")
def maven_dir() -> Path:
    folder = SHARED / "data" / "maven-crm"
    if not (folder / "sales_pipeline.csv").is_file():
        pytest.skip(f"the Maven CRM data set is not at {folder} (it lives in ../shared/data)")
    return folder
