"""Time zones: names validated, the org's zone set or inferred from the reps' working hours, a
user's own zone over the org's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from rightturn.crm.model import Activity, Rep, User
from rightturn.crm.settings import bump_data_version
from rightturn.crm.store import Store
from rightturn.crm.zones import (
    inferred_time_zone,
    org_time_zone,
    org_zone_source,
    set_org_time_zone,
    set_user_time_zone,
    valid_zone,
    viewer_zone,
)
from rightturn.errors import NotFound, ParseError

FIRST_DAY = date(2026, 6, 1)  # a Monday; three weeks of work follow


def test_zone_names_are_checked_and_spelt_as_the_database_spells_them() -> None:
    assert valid_zone("Europe/Berlin") == "Europe/Berlin"
    assert valid_zone(" america/los_angeles ") == "America/Los_Angeles"
    with pytest.raises(ParseError, match=r"'Mars/Olympus' is not an IANA.*Europe/Berlin"):
        valid_zone("Mars/Olympus")
    with pytest.raises(ParseError, match="did you mean Europe/Berlin"):
        valid_zone("Europe/Berln")
    with pytest.raises(ParseError, match=re.escape("'../etc/passwd'")):
        valid_zone("../etc/passwd")


def _work(s: Session, rep_id: str, zone: str, *, per_day: int = 10, hours=range(8, 18)) -> None:
    """A rep who sends outbound mail on weekdays' working hours in ``zone`` for three weeks."""
    s.add(Rep(rep_id=rep_id, name=rep_id))
    s.flush()
    where = ZoneInfo(zone)
    for d in range(21):
        day = FIRST_DAY + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for i in range(per_day):
            local = datetime.combine(day, time(hours[i % len(hours)], (7 * i) % 60), tzinfo=where)
            s.add(_activity(rep_id, local, "outbound", f"{rep_id}-{d}-{i}"))


def _activity(rep_id: str, at: datetime, direction: str, source_id: str) -> Activity:
    return Activity(
        kind="email",
        direction=direction,
        occurred_at=at,
        rep_id=rep_id,
        source="test",
        source_id=source_id,
    )


def test_without_activity_the_org_reads_utc_and_says_why(store: Store) -> None:
    with store.session() as s:
        assert org_time_zone(s) == "UTC"
        assert "UTC" in org_zone_source(s)


def test_the_zone_is_inferred_from_the_reps_outbound_hours_not_the_buyers(store: Store) -> None:
    with store.session() as s:
        for n in range(3):
            _work(s, f"LA{n}", "America/Los_Angeles")
        # Buyers in Tokyo write in their own day: inbound mail says nothing of the reps' clock.
        start = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)
        for i in range(300):
            at = start + timedelta(hours=24 * (i % 15), minutes=i)
            s.add(_activity("LA0", at, "inbound", f"in-{i}"))
        bump_data_version(s)
    with store.session() as s:
        assert org_time_zone(s) == "America/Los_Angeles"
        assert "inferred" in org_zone_source(s)


def test_an_org_in_two_cities_gets_the_city_of_most_reps_not_the_hours_between(
    store: Store,
) -> None:
    with store.session() as s:
        for n in range(3):
            _work(s, f"NY{n}", "America/New_York")
        for n in range(2):
            _work(s, f"LON{n}", "Europe/London", per_day=14)  # busier, but fewer
        bump_data_version(s)
    with store.session() as s:
        assert inferred_time_zone(s) == "America/New_York"


def test_activity_round_the_clock_or_too_little_of_it_infers_nothing(store: Store) -> None:
    with store.session() as s:
        _work(s, "NIGHT", "UTC", per_day=24, hours=range(24))
        _work(s, "FEW", "Asia/Tokyo", per_day=1)  # 15 emails: too few to judge
        bump_data_version(s)
    with store.session() as s:
        assert inferred_time_zone(s) == "UTC"


def test_a_set_zone_wins_and_a_users_own_zone_wins_over_the_orgs(store: Store) -> None:
    with store.session() as s:
        _work(s, "LA0", "America/Los_Angeles")
        s.add(User(email="boss@example.com", password_hash="x", role="admin"))
        bump_data_version(s)
    with store.session() as s:
        user_id = s.query(User.user_id).scalar()
        assert viewer_zone(s, user_id) == "America/Los_Angeles"  # inferred
        assert set_org_time_zone(s, "europe/berlin") == "Europe/Berlin"
    with store.session() as s:
        assert org_time_zone(s) == "Europe/Berlin" and org_zone_source(s) == "set by an admin"
        assert viewer_zone(s, user_id) == "Europe/Berlin"
        assert set_user_time_zone(s, "Boss@Example.com", "Asia/Tokyo") == "Asia/Tokyo"
    with store.session() as s:
        assert viewer_zone(s, user_id) == "Asia/Tokyo"
        with pytest.raises(ParseError, match="'Asia/Tokio'"):
            set_user_time_zone(s, "boss@example.com", "Asia/Tokio")
        with pytest.raises(NotFound, match=re.escape("no user 'ghost@example.com'")):
            set_user_time_zone(s, "ghost@example.com", "Asia/Tokyo")
        assert set_user_time_zone(s, "boss@example.com", None) is None
    with store.session() as s:
        assert viewer_zone(s, user_id) == "Europe/Berlin"


def test_the_inferred_zone_is_remembered_until_the_data_changes(store: Store) -> None:
    with store.session() as s:
        _work(s, "LA0", "America/Los_Angeles")
        bump_data_version(s)
    with store.session() as s:
        assert inferred_time_zone(s) == "America/Los_Angeles"
        for n in range(3):
            _work(s, f"NY{n}", "America/New_York")
    with store.session() as s:
        assert inferred_time_zone(s) == "America/Los_Angeles"  # not read again: same version
        bump_data_version(s)
    with store.session() as s:
        assert inferred_time_zone(s) == "America/New_York"
