"""Org-wide settings stored beside the data (table ``org_settings``), one value per key.

Keys used: ``time_zone`` (the org's IANA zone, shown times are in it) and ``data_version`` (a
counter every capture, import and review decision bumps, so cached analytics know when the data
under them changed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rightturn.crm.model import OrgSetting
from rightturn.crm.types import utcnow

__all__ = [
    "DATA_VERSION",
    "bump_data_version",
    "data_stamp",
    "data_version",
    "get_setting",
    "set_setting",
]

DATA_VERSION = "data_version"


def get_setting(session: Session, key: str) -> str | None:
    """The setting's value, or None when it was never set."""
    return session.scalar(select(OrgSetting.value).where(OrgSetting.key == key))


def set_setting(session: Session, key: str, value: str) -> None:
    """Set ``key`` to ``value`` (in the caller's transaction)."""
    _upsert(session, key, value)


def data_version(session: Session) -> int:
    """The data's version: it changes whenever a capture, import or review changes the data."""
    value = get_setting(session, DATA_VERSION)
    return int(value) if value and value.isdigit() else 0


def data_stamp(session: Session) -> tuple[int, datetime | None]:
    """The data version and when it last moved, in one query: what a cache keys on.

    The time tells two databases at the same version apart: an emptied and reloaded one counts
    again from 0 (``Store.reset`` drops the table), and must not find the old data's entries.
    """
    row = session.execute(
        select(OrgSetting.value, OrgSetting.updated_at).where(OrgSetting.key == DATA_VERSION)
    ).first()
    if row is None:
        return 0, None
    value, at = row
    return (int(value) if value.isdigit() else 0), at


def bump_data_version(session: Session) -> None:
    """Mark the data changed (in the caller's transaction, so it commits with the change).

    One statement that inserts or increments: two first bumps at once must still count two, or
    a reader between them would cache the first one's data under the final version.
    """
    statement = _insert(session)(OrgSetting).values(
        key=DATA_VERSION, value="1", updated_at=utcnow()
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[OrgSetting.key],
            set_={
                "value": (OrgSetting.value.cast(Integer) + 1).cast(String),
                "updated_at": statement.excluded.updated_at,
            },
        )
    )


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_update``."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _upsert(session: Session, key: str, value: str) -> None:
    statement = _insert(session)(OrgSetting).values(key=key, value=value, updated_at=utcnow())
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[OrgSetting.key],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
    )
