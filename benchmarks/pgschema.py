"""A throwaway PostgreSQL schema for a benchmark run (the server at 127.0.0.1:5432, db test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def temp_schema() -> Iterator[str | None]:
    """The URL of a new, empty schema, dropped afterwards; None (and a printed reason) when no
    PostgreSQL answers."""
    try:
        import psycopg

        schema = f"rt_bench_{uuid.uuid4().hex[:8]}"
        plain = PG.replace("+psycopg", "")
        with psycopg.connect(plain, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except Exception as exc:
        print(f"postgresql: skipped ({str(exc).splitlines()[0]})")
        yield None
        return
    try:
        yield f"{PG}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
