"""The store: one object through which all database access goes.

SQLite (the embedded default) and PostgreSQL (production) are both first-class. Differences
between them live here and nowhere else: connection pragmas, URL drivers, and how the schema is
created and upgraded (Alembic migrations, numbered, in ``migrations/versions``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, String, create_engine, event, inspect, type_coerce
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from rightturn.errors import SchemaOutOfDate, StoreError

T = TypeVar("T")

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def normalize_url(url: str) -> str:
    """Map the common spellings of a PostgreSQL URL onto the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of rightturn knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


@dataclass(frozen=True)
class Upgrade:
    """What ``Store.upgrade`` did: the revision before (None for a new database) and after."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


class Store:
    """A rightturn database.

    Open it with :meth:`open` (checks the schema) rather than the constructor. Use
    :meth:`session` for a unit of work: it commits on success and rolls back on error.
    """

    def __init__(self, url: str, **engine_args: Any) -> None:
        self.url = normalize_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise StoreError(
                f"cannot read database URL {url!r}: {exc}. Use e.g. sqlite:///rightturn.db or "
                "postgresql://user@host:5432/dbname"
            ) from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise StoreError(
                f"database URL {redact(url)!r} names {self.dialect!r}; rightturn works with "
                "sqlite:///path/to/file.db and postgresql://user@host:5432/dbname"
            )
        if self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:"):
            folder = Path(parsed.database).expanduser().parent
            if not folder.exists():
                raise StoreError(
                    f"folder {folder} for database {redact(url)} does not exist: create it first"
                )
        try:
            self.engine: Engine = create_engine(self.url, **engine_args)
        except Exception as exc:  # a missing driver, a bad option in the URL
            raise StoreError(f"cannot use database {redact(url)}: {exc}") from exc
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    # --- opening and schema ---------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> Store:
        """Open the database at ``url``, ready to use.

        A new, empty database gets the current schema when ``create`` is true. A database at an
        older schema is not touched: :class:`SchemaOutOfDate` says to run ``rightturn init``,
        because upgrading a production database is a step its owner should take knowingly.
        """
        store = cls(url)
        current = store.revision()
        head = head_revision()
        if current == head:
            return store
        if current is None and not store._has_tables():
            if not create:
                raise StoreError(
                    f"database {redact(url)} is empty: run `rightturn init --db {redact(url)}`"
                )
            store.upgrade()
            return store
        if current is None:
            raise StoreError(
                f"database {redact(url)} has tables but no rightturn schema version: it is not a "
                "rightturn database. Point --db (or RIGHTTURN_DB) at another database"
            )
        if not ScriptDirectory.from_config(_alembic_config()).get_revision(current):
            raise StoreError(
                f"database {redact(url)} is at schema revision {current}, newer than this "
                f"rightturn knows ({head}): upgrade rightturn"
            )
        raise SchemaOutOfDate(
            f"database {redact(url)} is at schema revision {current}; this rightturn needs "
            f"{head}. Back it up, then run `rightturn init --db {redact(url)}` to upgrade it"
        )

    def revision(self) -> str | None:
        """The schema revision stored in the database, or None when it has none."""
        try:
            with self.engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        except OperationalError as exc:
            raise StoreError(f"cannot connect to database {redact(self.url)}: {exc.orig}") from exc
        except DatabaseError as exc:  # SQLite: a file that is not a database
            raise StoreError(
                f"cannot use {redact(self.url)}: {exc.orig}. Point --db at a rightturn database, "
                "or a new file name to create one"
            ) from exc

    def _has_tables(self) -> bool:
        with self.engine.connect() as conn:
            return bool(inspect(conn).get_table_names())

    def upgrade(self, revision: str = "head") -> Upgrade:
        """Create the schema, or bring it up to ``revision`` (default: the newest)."""
        before = self.revision()
        cfg = _alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        after = self.revision()
        assert after is not None
        if before != after:
            log.info("database %s upgraded from %s to %s", redact(self.url), before, after)
        return Upgrade(before=before, after=after)

    def reset(self) -> None:
        """Drop every rightturn table (and the schema version). Only for demo databases."""
        from rightturn.crm.model import Base

        with self.engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        log.warning("database %s emptied", redact(self.url))

    # --- units of work --------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: commits when the block ends, rolls back if it raises."""
        with self._sessions.begin() as session:
            yield session

    def analyze(self) -> None:
        """Refresh the query planner's statistics, after a bulk load changed the data's shape.

        Without them SQLite picks, say, the status index for one rep's open deals and scans
        17k rows; with them the owner index (0 ms). SQLite samples (``analysis_limit``);
        PostgreSQL also vacuums. A few seconds on a million activities.
        """
        if self.engine.dialect.name == "sqlite":
            with self.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("ANALYZE")
            return
        # PostgreSQL: VACUUM too, so the covering indexes serve index-only scans (a bulk load
        # leaves the visibility map empty: the admin home page took 242 ms instead of 176 ms at
        # p95). Our tables only (by name, through the search path), never the whole database.
        from rightturn.crm.model import Base

        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {tables}")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({redact(self.url)!r})"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers (the panel) run during imports.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The default 2 MB page cache makes index look-ups and inserts read pages back as the file
    # grows past it: capture slowed threefold on a 100k-activity database. 64 MB keeps the hot
    # indexes in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA wal_autocheckpoint=16384")
    cursor.close()


CHUNK = 5000


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Slices of at most ``size``: IN lists and executemany batches stay under driver limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def driver_rows(session: Session, query: Any) -> list[tuple[Any, ...]]:
    """A query's rows exactly as the database driver returns them (plain tuples, no type
    processing): for bulk reads into pandas, where SQLAlchemy's per-row conversion of a million
    timestamps costs seconds. Wrap timestamp and money columns in :func:`as_driven`."""
    result = session.connection().execute(query)
    try:
        return list(result.cursor.fetchall()) if result.cursor is not None else []
    finally:
        result.close()


def as_driven(column: Any) -> Any:
    """A column read as the driver gives it (timestamps are text on SQLite): pandas then parses
    the whole column at C speed."""
    return type_coerce(column, String)
