"""The analytics report cache: the same figures as computing them, invalidated by every change
of the data (capture, import, review), never shared between viewers, and bounded."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from rightturn.analytics.cache import (
    ReportCache,
    cached_data_span,
    cached_metrics_report,
    cached_review_waiting,
    report_cache,
)
from rightturn.analytics.report import SECTIONS, metrics_report
from rightturn.analytics.snapshot import as_of_datetime
from rightturn.analytics.span import data_span
from rightturn.associate.review import resolve, review_queue
from rightturn.capture.items import ItemsSource
from rightturn.capture.org import org_sources
from rightturn.capture.pipeline import capture
from rightturn.capture.push import push
from rightturn.crm.captured import Captured, Party
from rightturn.crm.imports import import_crm
from rightturn.crm.model import (
    Activity,
    Contact,
    ContactEmail,
    Opportunity,
    OrgSetting,
    Rep,
    RepEmail,
)
from rightturn.crm.scope import Scope
from rightturn.crm.settings import DATA_VERSION, data_version
from rightturn.crm.store import Store
from rightturn.crm.users import add_user
from rightturn.simulate import simulate_org
from rightturn.web.app import create_app
from tests.web.conftest import PASSWORD, sign_in

# Builds a small org per backend.
pytestmark = pytest.mark.slow

END = date(2026, 6, 30)
AS_OF = as_of_datetime(END)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cache-org") / "org"
    simulate_org(root, seed=5, reps=6, months=2, end=END)
    return root


@pytest.fixture
def loaded(store: Store, org: Path) -> Iterator[Store]:
    import_crm(store, org / "crm")
    capture(store, org_sources(org, "US"))
    yield store


def _report(store: Store, scope: Scope, cache: ReportCache, **kw) -> dict:  # type: ignore[no-untyped-def]
    return cached_metrics_report(store, scope, as_of=AS_OF, cache=cache, **kw)


def _scopes(store: Store) -> dict[str, Scope]:
    """An admin, a manager (a team) and one rep of that team who owns deals."""
    with store.session() as s:
        team, rep = s.execute(
            select(Rep.team_id, Rep.rep_id)
            .join(Opportunity, Opportunity.owner_rep_id == Rep.rep_id)
            .where(Rep.team_id.is_not(None))
            .order_by(Rep.rep_id)
            .limit(1)
        ).one()
        team_reps = frozenset(s.scalars(select(Rep.rep_id).where(Rep.team_id == team)))
    return {
        "admin": Scope.everything(),
        "manager": Scope(team_reps),
        "rep": Scope(frozenset({rep})),
    }


def test_a_cached_report_is_the_computed_one_for_every_scope(loaded: Store) -> None:
    cache = ReportCache()
    for name, scope in _scopes(loaded).items():
        computed = metrics_report(loaded, scope, as_of=AS_OF, sections=SECTIONS)
        first = _report(loaded, scope, cache, sections=SECTIONS)
        again = _report(loaded, scope, cache, sections=SECTIONS)
        assert first == computed, name
        assert again == computed, name
    assert (cache.misses, cache.hits) == (3, 3)


def test_a_hit_hands_out_a_copy_a_page_cannot_spoil(loaded: Store) -> None:
    cache = ReportCache()
    first = _report(loaded, Scope.everything(), cache, sections=())
    first["won"] = -1
    first["reps"].clear()
    again = _report(loaded, Scope.everything(), cache, sections=())
    assert again["won"] != -1 and again["reps"]


def test_scopes_never_share_an_entry(loaded: Store) -> None:
    """A rep asking after their manager gets their own figures, not the cached team's."""
    cache = ReportCache()
    scopes = _scopes(loaded)
    team = _report(loaded, scopes["manager"], cache, sections=("pareto",))
    mine = _report(loaded, scopes["rep"], cache, sections=("pareto",))
    assert len(cache) == 2 and cache.hits == 0
    assert mine == metrics_report(loaded, scopes["rep"], as_of=AS_OF, sections=("pareto",))
    assert {r["rep_id"] for r in mine["reps"]} == set(scopes["rep"].rep_ids or ())
    assert {r["rep_id"] for r in team["reps"]} != {r["rep_id"] for r in mine["reps"]}


def test_options_are_part_of_the_key(loaded: Store) -> None:
    cache = ReportCache()
    admin = Scope.everything()
    quarter = _report(loaded, admin, cache, sections=(), period="Q")
    month = _report(loaded, admin, cache, sections=(), period="M")
    earlier = cached_metrics_report(
        loaded, admin, as_of=AS_OF - timedelta(days=30), sections=(), cache=cache
    )
    assert len(cache) == 3 and cache.hits == 0
    assert month == metrics_report(loaded, admin, as_of=AS_OF, sections=(), period="M")
    assert quarter["period_start"] != month["period_start"]
    assert earlier["as_of"] != quarter["as_of"]


def _outbound_email(store: Store, n: int, day: date = END) -> list[Captured]:
    """``n`` emails the first rep sends a contact on ``day``: outbound activity."""
    with store.session() as s:
        rep_email = s.scalar(select(RepEmail.email).order_by(RepEmail.email).limit(1))
        contact_email = s.scalar(
            select(ContactEmail.email)
            .join(Contact, Contact.contact_id == ContactEmail.contact_id)
            .order_by(ContactEmail.email)
            .limit(1)
        )
    assert rep_email and contact_email
    sent = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    return [
        Captured(
            kind="email",
            source="eml",
            source_id=f"<cache-test-{i}@example.com>",
            position=f"test:{i}",
            occurred_at=sent + timedelta(minutes=i),
            parties=[Party("from", rep_email), Party("to", contact_email)],
            subject=f"Following up {i}",
            body_excerpt="Shall we meet next week?",
            body_hash=f"cache-test-{i}",
        )
        for i in range(n)
    ]


def test_a_capture_makes_the_next_report_see_its_activities(loaded: Store) -> None:
    cache = ReportCache()
    admin = Scope.everything()
    before = _report(loaded, admin, cache, sections=("pareto",))
    with loaded.session() as s:
        version = data_version(s)
    stats = capture(loaded, [ItemsSource("test:cache", _outbound_email(loaded, 40))])
    assert stats.stored == 40
    with loaded.session() as s:
        assert data_version(s) == version + 1  # once for the batch, not per activity
    after = _report(loaded, admin, cache, sections=("pareto",))
    assert after == metrics_report(loaded, admin, as_of=AS_OF, sections=("pareto",))
    assert after["pareto"]["comparison"] != before["pareto"]["comparison"]


def test_a_pushed_activity_bumps_the_version_once(loaded: Store) -> None:
    item = _outbound_email(loaded, 1)[0]
    with loaded.session() as s:
        version = data_version(s)
    assert push(loaded, item).outcome == "stored"
    assert push(loaded, item).outcome == "duplicate"  # nothing new: no bump
    with loaded.session() as s:
        assert data_version(s) == version + 1


def test_the_dates_the_data_covers_are_cached_until_a_capture(loaded: Store) -> None:
    cache = ReportCache()
    admin = Scope.everything()
    before = cached_data_span(loaded, admin, cache=cache)
    with loaded.session() as s:
        assert before == data_span(s, admin)
    later = END + timedelta(days=5)
    capture(loaded, [ItemsSource("test:later", _outbound_email(loaded, 1, later))])
    after = cached_data_span(loaded, admin, cache=cache)
    assert (before.last, after.last) == (END, later)


def test_a_capture_that_changes_nothing_keeps_the_cache(loaded: Store) -> None:
    cache = ReportCache()
    items = _outbound_email(loaded, 2)
    capture(loaded, [ItemsSource("test:once", items)])
    with loaded.session() as s:
        version = data_version(s)
    _report(loaded, Scope.everything(), cache, sections=())
    again = capture(loaded, [ItemsSource("test:once", items)])  # resumes past both
    with loaded.session() as s:
        assert data_version(s) == version
    _report(loaded, Scope.everything(), cache, sections=())
    assert again.stored == 0 and (cache.misses, cache.hits) == (1, 1)


def test_an_import_makes_the_next_report_see_its_changes(
    loaded: Store, org: Path, tmp_path: Path
) -> None:
    cache = ReportCache()
    admin = Scope.everything()
    before = _report(loaded, admin, cache, sections=())
    crm = tmp_path / "crm"
    shutil.copytree(org / "crm", crm)
    path = crm / "opportunities.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    quarter = (date(END.year, 4, 1).isoformat(), END.isoformat())  # END's quarter: Q2
    won = next(r for r in rows if r["status"] == "won" and quarter[0] <= r["closed_at"][:10])
    won["amount"] = str(float(won["amount"]) + 1000)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    # Recorded as changed on the as-of day: a change dated after it would be rewound.
    import_crm(loaded, crm, now=AS_OF - timedelta(hours=1))
    after = _report(loaded, admin, cache, sections=())
    assert after == metrics_report(loaded, admin, as_of=AS_OF, sections=())
    assert after["won_value"] == pytest.approx(before["won_value"] + 1000)


def test_a_review_decision_makes_the_next_report_recompute(loaded: Store) -> None:
    cache = ReportCache()
    admin = Scope.everything()
    with loaded.session() as s:
        activity_id, opportunity_id = s.execute(
            select(Activity.activity_id, Opportunity.opportunity_id)
            .join(Opportunity, Opportunity.account_id == Activity.account_id)
            .where(Activity.opportunity_id.is_(None))
            .order_by(Activity.activity_id, Opportunity.opportunity_id)
            .limit(1)
        ).one()
        version = data_version(s)
    _report(loaded, admin, cache)
    resolve(loaded, activity_id, opportunity_id=opportunity_id, who="a test")
    with loaded.session() as s:
        assert data_version(s) == version + 1
    after = _report(loaded, admin, cache)
    assert cache.misses == 2
    assert after == metrics_report(loaded, admin, as_of=AS_OF)


def test_the_review_badge_is_cached_until_a_decision(loaded: Store) -> None:
    cache = ReportCache()
    admin = Scope.everything()
    queue = review_queue(loaded, limit=1, scope=admin)
    if not queue.items:
        pytest.skip("the simulated org left nothing waiting for review")
    item = queue.items[0]
    assert cached_review_waiting(loaded, admin, cache=cache) == queue.total
    assert cached_review_waiting(loaded, admin, cache=cache) == queue.total  # a hit
    resolve(loaded, item.activity_id, opportunity_id=item.suggestions[0][0], who="a test")
    after = review_queue(loaded, limit=0, scope=admin).total
    assert after < queue.total
    assert cached_review_waiting(loaded, admin, cache=cache) == after
    assert (cache.hits, cache.misses) == (1, 2)


def test_a_new_database_is_versioned_from_the_start_and_an_unversioned_one_never_cached(
    store: Store,
) -> None:
    """The migration that made the version gives every database one, so an upgraded database
    with data in it is cached at once; without a version row nothing would tell an entry
    stale, so nothing is kept."""
    cache = ReportCache()
    first = _report(store, Scope.everything(), cache, sections=())
    assert first == metrics_report(store, Scope.everything(), as_of=AS_OF, sections=())
    assert len(cache) == 1
    with store.session() as s:
        s.execute(delete(OrgSetting).where(OrgSetting.key == DATA_VERSION))
    cache.clear()
    _report(store, Scope.everything(), cache, sections=())
    assert len(cache) == 0


def test_the_cache_keeps_the_most_recently_used_within_its_bounds() -> None:
    cache = ReportCache(max_entries=3, max_bytes=10_000)
    for key in "abcd":
        cache.get(key, lambda key=key: {"key": key})
    cache.get("b", lambda: {"key": "recomputed"})  # a hit: b becomes the newest
    cache.get("e", lambda: {"key": "e"})
    assert len(cache) == 3
    assert cache.get("b", lambda: {"key": "recomputed"}) == {"key": "b"}
    assert cache.get("c", lambda: {"key": "recomputed"}) == {"key": "recomputed"}  # dropped
    big = cache.get("big", lambda: {"blob": "x" * 6000})
    assert big["blob"] and cache.size <= 10_000
    cache.get("huge", lambda: {"blob": "x" * 20_000})  # larger than the cache: not kept
    assert cache.size <= 10_000 and len(cache) <= 3


def test_the_pages_default_day_is_today_and_shares_its_entry(loaded: Store) -> None:
    """Without ``as_of`` a page is as of the end of today, not this second: the same report as
    the same date sent from its form, and one cache entry for the whole day."""
    add_user(loaded, "admin@example.com", PASSWORD, role="admin")
    client = TestClient(create_app(loaded), base_url="https://testserver")
    assert sign_in(client, "admin@example.com").status_code == 303
    report_cache.clear()
    default = client.get("/waterfall")
    entries, misses = len(report_cache), report_cache.misses
    today = datetime.now(UTC).date().isoformat()
    dated = client.get("/waterfall", params={"as_of": today})
    assert default.status_code == dated.status_code == 200
    assert entries > 0 and (len(report_cache), report_cache.misses) == (entries, misses)
    assert f'value="{today}"' in default.text
