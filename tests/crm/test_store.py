from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from rightturn.crm.model import Base, Opportunity, Rep, StageChange, Team
from rightturn.crm.store import Store, head_revision
from rightturn.errors import SchemaOutOfDate, StoreError


def test_open_creates_the_current_schema_on_an_empty_database(db_url: str) -> None:
    store = Store.open(db_url)
    assert store.revision() == head_revision()


def test_migrations_build_exactly_the_model(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"the migrations and rightturn/crm/model.py disagree: {diff}"


def test_an_older_database_is_not_touched_and_the_error_says_how_to_upgrade(db_url: str) -> None:
    Store(db_url).upgrade("0001")
    with pytest.raises(SchemaOutOfDate, match="rightturn init"):
        Store.open(db_url)
    assert Store(db_url).revision() == "0001"
    done = Store(db_url).upgrade()
    assert (done.before, done.after) == ("0001", head_revision())
    assert Store.open(db_url).revision() == head_revision()


def test_a_database_that_is_not_rightturns_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    with create_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER)"))
    with pytest.raises(StoreError, match="not a rightturn database"):
        Store.open(url)


def test_a_missing_folder_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}")


def test_timestamps_come_back_as_the_same_instant_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    when = datetime(2024, 5, 1, 9, 30, tzinfo=paris)
    with store.session() as s:
        # No ORM relationships are declared, so flush in dependency order.
        for row in (
            Team(team_id="t", name="T"),
            Rep(rep_id="r", name="R", team_id="t"),
            Opportunity(opportunity_id="o", owner_rep_id="r", stage="Qualify", status="open"),
        ):
            s.add(row)
            s.flush()
        s.add(StageChange(opportunity_id="o", stage="Qualify", entered_at=when))
    with store.session() as s:
        stored = s.scalar(select(StageChange.entered_at))
    assert stored == when
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)


def test_status_outside_open_won_lost_is_refused_by_the_database(store: Store) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)check"), store.session() as s:
        s.add(Opportunity(opportunity_id="o", stage="X", status="maybe"))


def test_foreign_keys_are_enforced_on_both_backends(store: Store) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), store.session() as s:
        s.add(Opportunity(opportunity_id="o", stage="X", status="open", owner_rep_id="ghost"))


def test_reset_empties_a_demo_database(store: Store) -> None:
    with store.session() as s:
        s.add(Team(team_id="t", name="T"))
    store.reset()
    assert store.revision() is None
    assert Store.open(store.url).revision() == head_revision()
