"""Times in the panel: in the viewer's zone (their own, else the org's), named once a page; days
counted in the org's zone; the API stays in UTC; a zone that is not one is refused by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from rightturn.crm.model import Activity, OrgSetting, Rep, User
from rightturn.crm.zones import TIME_ZONE, set_org_time_zone
from rightturn.web.zone import local_time, showing
from tests.web.conftest import Web

pytestmark = pytest.mark.slow

SHOWN = "%Y-%m-%d %H:%M"


@pytest.fixture
def org_zone(web: Web) -> Iterator[Callable[[str], None]]:
    """Sets the org's zone; afterwards the org infers it again and users follow it, as before."""

    def set_zone(name: str) -> None:
        with web.store.session() as s:
            set_org_time_zone(s, name)

    yield set_zone
    with web.store.session() as s:
        s.execute(delete(OrgSetting).where(OrgSetting.key == TIME_ZONE))
        s.query(User).update({User.time_zone: None})


def _newest(web: Web, role: str) -> tuple[str, datetime]:
    """The newest activity the role sees, as the API gives it: its raw time text and the time."""
    item = web.client(role).get("/api/v1/activities", params={"limit": 1}).json()["items"][0]
    return item["occurred_at"], datetime.fromisoformat(item["occurred_at"])


def _choose_zone(client: TestClient, zone: str) -> object:
    data = {"time_zone": zone, "csrf_token": client.cookies["rt_csrf"]}
    return client.post("/settings/time-zone", data=data, follow_redirects=False)


def test_activities_show_the_org_zones_time_and_name_it_once_while_the_api_stays_utc(
    web: Web, org_zone: Callable[[str], None]
) -> None:
    raw, at = _newest(web, "manager_a")
    assert at.utcoffset() == timedelta(0)
    org_zone("America/Los_Angeles")
    html = web.browser("manager_a").get("/activities").text
    assert at.astimezone(ZoneInfo("America/Los_Angeles")).strftime(SHOWN) in html
    assert html.count("America/Los_Angeles") == 1 and "Times in America/Los_Angeles" in html
    assert "(UTC)" not in html
    assert _newest(web, "manager_a")[0] == raw  # the API's times are a contract: ISO, in UTC


def test_a_users_own_zone_wins_over_the_orgs_until_they_clear_it(
    web: Web, org_zone: Callable[[str], None]
) -> None:
    _, at = _newest(web, "manager_a")
    org_zone("America/Los_Angeles")
    client = web.browser("manager_a")
    done = _choose_zone(client, "asia/tokyo")
    assert done.status_code == 303 and done.headers["location"] == "/settings?saved=1"
    html = client.get("/activities").text
    assert at.astimezone(ZoneInfo("Asia/Tokyo")).strftime(SHOWN) in html
    assert "Times in Asia/Tokyo" in html and "America/Los_Angeles" not in html
    # Another viewer still reads the org's zone.
    assert "Times in America/Los_Angeles" in web.browser("manager_b").get("/activities").text
    page = client.get("/settings")
    assert 'value="Asia/Tokyo"' in page.text and "Saved." not in page.text
    assert _choose_zone(client, "").status_code == 303  # empty: back to the org's
    assert "Times in America/Los_Angeles" in client.get("/activities").text


def test_a_zone_that_is_not_one_is_refused_on_the_form_and_changes_nothing(
    web: Web, org_zone: Callable[[str], None]
) -> None:
    client = web.browser("manager_a")
    refused = _choose_zone(client, "Mars/Olympus")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    assert "&#39;Mars/Olympus&#39; is not an IANA time zone" in refused.text
    assert "Europe/Berlin" in refused.text and 'value="Mars/Olympus"' in refused.text
    with web.store.session() as s:
        mine = s.scalar(select(User.time_zone).where(User.email == web.emails["manager_a"]))
    assert mine is None
    forged = client.post("/settings/time-zone", data={"time_zone": "Asia/Tokyo"})
    assert forged.status_code == 403


def test_the_activity_logs_days_are_the_days_its_times_show(
    web: Web, org_zone: Callable[[str], None]
) -> None:
    with web.store.session() as s:
        rep_id = s.scalar(
            select(Activity.rep_id)
            .join(Rep, Rep.rep_id == Activity.rep_id)
            .where(Rep.team_id == web.team_a, Activity.kind == "email")
            .order_by(Activity.occurred_at.desc())
        )
        # The rep's latest email after 15:00 UTC: already the next day in Tokyo.
        late = [
            t
            for t in s.scalars(
                select(Activity.occurred_at).where(
                    Activity.rep_id == rep_id, Activity.kind == "email"
                )
            )
            if t.astimezone(UTC).hour >= 15
        ]
    at = max(late)
    tokyo = at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert tokyo.date() == at.astimezone(UTC).date() + timedelta(days=1)
    org_zone("Asia/Tokyo")
    client = web.browser("manager_a")

    def listed(day: str) -> bool:
        params = {"rep_id": rep_id, "kind": "email", "since": day, "until": day}
        page = client.get("/activities", params=params)
        assert page.status_code == 200
        return tokyo.strftime(SHOWN) in page.text

    assert listed(tokyo.date().isoformat())
    assert not listed(at.astimezone(UTC).date().isoformat())


def test_local_time_reads_stored_values_as_utc_and_shows_them_in_the_zone_set() -> None:
    noon = datetime(2026, 1, 15, 12, 0)
    assert local_time(noon) == "2026-01-15 12:00"  # outside a page: UTC
    with showing("America/Los_Angeles"):
        assert local_time(noon) == "2026-01-15 04:00"  # naive: stored UTC
        assert local_time(noon.replace(tzinfo=UTC)) == "2026-01-15 04:00"
        assert local_time("2026-07-01T03:30:00+00:00") == "2026-06-30 20:30"  # summer: UTC-7
        assert local_time(date(2026, 1, 15)) == "2026-01-15"  # a day stays that day
        assert local_time(None) == "—"
    assert local_time(noon) == "2026-01-15 12:00"  # the zone ends with the page
