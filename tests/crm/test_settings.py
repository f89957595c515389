"""Org settings: set, read back, and a data version that only goes up."""

from __future__ import annotations

from rightturn.crm.settings import bump_data_version, data_version, get_setting, set_setting
from rightturn.crm.store import Store


def test_settings_round_trip_and_the_data_version_counts_bumps(store: Store) -> None:
    with store.session() as s:
        assert get_setting(s, "time_zone") is None
        assert data_version(s) == 0
        set_setting(s, "time_zone", "Europe/Berlin")
        set_setting(s, "time_zone", "America/Chicago")
        bump_data_version(s)
        bump_data_version(s)
        bump_data_version(s)
    with store.session() as s:
        assert get_setting(s, "time_zone") == "America/Chicago"
        assert data_version(s) == 3
