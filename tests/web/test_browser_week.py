"""The week a manager runs from the panel, and a rep's day, in real Chromium.

The manager's pipeline review: home -> a quiet deal -> its timeline -> Pipeline -> a flagged
deal -> the waterfall's drill-down; on every page names, never bare ids, in what a person reads;
each figure equal on every page that shows it (and to the one function that computes it); times
in the org's zone; styled error pages; and one user's typos never locking out another. Then a
rep's day: their week, their pipeline, their deals needing attention, and no team pages.
Screenshots of each page land in ``artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from rightturn.analytics.metrics import headline
from rightturn.analytics.snapshot import as_of_datetime, load_snapshot
from rightturn.crm.model import Activity, Opportunity, OrgSetting, Rep
from rightturn.crm.scope import scope_for
from rightturn.crm.signin import unlock
from rightturn.crm.zones import TIME_ZONE, set_org_time_zone
from tests.web.conftest import END, PASSWORD, Web
from tests.web.test_browser import _navigate, _shot, _sign_in, browser, server  # noqa: F401

pytestmark = [pytest.mark.parametrize("web", ["sqlite"], indirect=True), pytest.mark.slow]

AS_OF = END.isoformat()
ZONE = "America/New_York"
# The fixture org's ids: R0001, M01, A0001, C00001, O000001, CL0001 (and the like).
BARE_ID = re.compile(r"^(?:R|M|A|C|O|CL)\d{2,}$")
# Visible text a person reads: cells, links, headings, tiles, list items, summaries.
READ = "td, th, a, h1, h2, h3, li, summary, .tile-value, .meta"


@pytest.fixture(scope="module")
def zoned(web: Web) -> Iterator[str]:
    """The org's time zone set to New York while these tests run (then as it was)."""
    with web.store.session() as s:
        before = s.get(OrgSetting, TIME_ZONE)
        kept = before.value if before else None
        set_org_time_zone(s, ZONE)
    yield ZONE
    with web.store.session() as s:
        if kept:
            set_org_time_zone(s, kept)
        else:
            s.execute(delete(OrgSetting).where(OrgSetting.key == TIME_ZONE))


def _bare_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Texts of visible elements a person reads that are nothing but an id."""
    texts = page.locator(READ).evaluate_all(
        "els => els.filter(e => e.offsetParent !== null).map(e => e.innerText.trim())"
    )
    return [t for t in texts if BARE_ID.match(t)]


def _figures(page) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Each figure the page shows, by its registry key, with the texts it shows it as (a
    comparison shows one key several times: the top reps' and the rest's)."""
    pairs = page.locator("[data-figure]").evaluate_all(
        "els => els.map(e => [e.dataset.figure, e.innerText.trim()])"
    )
    shown: dict[str, set[str]] = {}
    for key, text in pairs:
        shown.setdefault(key, set()).add(text)
    return shown


def _header_lines(page) -> int:  # type: ignore[no-untyped-def]
    """How many lines the header's links take (its height over one link's)."""
    header, link = page.evaluate(
        "[document.querySelector('header.top nav').getBoundingClientRect().height,"
        " document.querySelector('header.top nav a').getBoundingClientRect().height]"
    )
    return round(header / link)


def _local(at: datetime) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M")


def _open(page, url: str) -> None:  # type: ignore[no-untyped-def]
    answer = page.goto(url)
    assert answer is not None and answer.status == 200, (url, answer and answer.status)


def test_a_manager_runs_the_pipeline_review(web: Web, server: str, browser, zoned: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _sign_in(browser, server, web.emails["manager_a"])
    shown: dict[str, dict[str, set[str]]] = {}

    # Home: the zone is named once; the quiet deals are listed by name; on a laptop's 1280 px
    # the header (every page a manager has) is one line.
    page.set_viewport_size({"width": 1280, "height": 900})
    _open(page, f"{server}/?as_of={AS_OF}")
    assert _header_lines(page) == 1
    page.set_viewport_size({"width": 1400, "height": 1000})
    # The plan-against-actual line arrives after the page has shown.
    page.wait_for_selector("#plan-glance a[href='/inspection']")
    assert "touches done per prospect" in page.locator("#plan-glance").inner_text()
    footer = page.locator("footer").inner_text()
    assert f"Times in {zoned}" in footer and page.content().count(f"Times in {zoned}") == 1
    assert _bare_ids(page) == []
    shown["/"] = _figures(page)
    _shot(page, "week-home")

    # A quiet deal: its page is titled by name, its timeline in New York time.
    quiet = page.locator("#quiet-deals tbody a[href^='/opportunities/']").first
    name = quiet.inner_text()
    _navigate(page, "#quiet-deals tbody a[href^='/opportunities/'] >> nth=0")
    deal_id = page.url.rsplit("/", 1)[-1]
    with web.store.session() as s:
        deal = s.get(Opportunity, deal_id)
        assert deal is not None and deal.name == name
        latest = s.scalar(
            select(Activity.occurred_at)
            .where(Activity.opportunity_id == deal_id)
            .order_by(Activity.occurred_at.desc())
            .limit(1)
        )
    assert name in page.locator("h1").inner_text()
    if latest is not None:
        assert _local(latest) in page.locator(".timeline").inner_text()
    assert _bare_ids(page) == []
    _shot(page, "week-quiet-deal")

    # Pipeline: a flagged deal, by name, opens its page.
    _navigate(page, "nav >> text=Pipeline")
    _open(page, f"{server}/pipeline?as_of={AS_OF}")
    assert _bare_ids(page) == []
    shown["/pipeline"] = _figures(page)
    flagged = page.locator("details.deals").first
    flagged.locator("summary").click()
    link = flagged.locator("tbody a[href^='/opportunities/']").first
    flagged_name = link.inner_text()
    assert not BARE_ID.match(flagged_name)
    _shot(page, "week-pipeline")
    with page.expect_navigation():
        link.click()
    assert flagged_name in page.locator("h1").inner_text()

    # The waterfall: a bar's deals by name, and its full list a click away.
    _open(page, f"{server}/waterfall?as_of={AS_OF}&period=M")
    shown["/waterfall"] = _figures(page)
    bar = page.locator("details.deals").filter(has=page.locator("tbody tr")).first
    bar.locator("summary").click()
    names = bar.locator("tbody a[href^='/opportunities/']").all_inner_texts()
    assert names and not any(BARE_ID.match(n) for n in names)
    assert _bare_ids(page) == []
    _shot(page, "week-waterfall")

    for path in ("/velocity", "/pareto"):
        _open(page, f"{server}{path}?as_of={AS_OF}")
        assert _bare_ids(page) == []
        shown[path] = _figures(page)
        _shot(page, f"week-{path.strip('/')}")

    # One figure, one value, on every page that shows it, equal to the one function's.
    pages_of: dict[str, list[str]] = {}
    for path, figures in shown.items():
        for key in figures:
            pages_of.setdefault(key, []).append(path)
    shared = {key: paths for key, paths in pages_of.items() if len(paths) > 1}
    assert {"win_rate", "avg_deal"} <= set(shared), shared
    for key, paths in shared.items():
        values = {path: shown[path][key] for path in paths}
        assert len({frozenset(v) for v in values.values()}) == 1, (key, values)
        assert all(len(v) == 1 for v in values.values()), (key, values)
    with web.store.session() as s:
        scope = scope_for(s, "manager", None, web.team_a)
        overall = headline(load_snapshot(s, scope, as_of_datetime(END)))
    assert shown["/pipeline"]["win_rate"] == {f"{overall['win_rate']:.0%}"}
    assert shown["/pipeline"]["avg_deal"] == {f"${overall['avg_deal']:,.0f}"}

    # Errors in the browser are the panel's pages, never JSON.
    for url, status in (("/no-such-page", 404), ("/opportunities?offset=-1", 422)):
        answer = page.goto(f"{server}{url}")
        assert answer is not None and answer.status == status
        assert page.locator("nav").count() == 1 and page.locator("h1").count() == 1
        assert '"detail"' not in page.content()
    _shot(page, "week-error")
    page.close()


def test_one_users_typos_do_not_lock_out_the_next_user_at_the_same_browser(  # type: ignore[no-untyped-def]
    web: Web,
    server: str,  # noqa: F811
    browser,  # noqa: F811
) -> None:
    page = browser.new_page()
    manager = web.emails["manager_b"]
    try:
        for _ in range(5):
            _open_login(page, server, manager, "not the password")
        _open_login(page, server, manager, "not the password")
        assert "Too many failed sign-ins" in page.locator(".error").inner_text()
        _shot(page, "week-locked", full_page=False)
        # The rep at the same desk signs in with the right password.
        _open_login(page, server, web.emails["rep_b"], PASSWORD)
        page.wait_for_url(f"{server}/")
        assert "your week" in page.locator("h1").inner_text()
    finally:
        unlock(web.store, email=manager)
        page.close()


def _open_login(page, base: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_a_rep_runs_their_day(web: Web, server: str, browser, zoned: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with web.store.session() as s:
        rep = s.get(Rep, web.rep_a)
        assert rep is not None
        rep_name = rep.name
    page = _sign_in(browser, server, web.emails["rep_a"])
    page.set_viewport_size({"width": 1280, "height": 900})
    _open(page, f"{server}/?as_of={AS_OF}")
    assert _header_lines(page) == 1
    assert page.locator("h1").inner_text() == f"{rep_name}: your week"
    nav = page.locator("nav").inner_text()
    assert "My pipeline" in nav and "Needs attention" in nav
    assert "Top performers" not in nav and "Reps" not in nav
    assert f"Times in {zoned}" in page.locator("footer").inner_text()
    assert _bare_ids(page) == []
    _shot(page, "rep-day-home")

    _navigate(page, "nav >> text=My pipeline")
    assert page.locator(f"[data-rep-id='{web.rep_a}']").count() == 1
    assert _bare_ids(page) == []
    _shot(page, "rep-day-pipeline")

    _navigate(page, "nav >> text=Needs attention")
    owners = page.locator("table.deals tbody tr").count()
    assert _bare_ids(page) == []
    if owners:
        with web.store.session() as s:
            theirs = set(
                s.scalars(select(Opportunity.name).where(Opportunity.owner_rep_id == web.rep_a))
            )
        listed = page.locator("table.deals tbody a[href^='/opportunities/']").all_inner_texts()
        assert set(listed) <= theirs
    _shot(page, "rep-day-deals")

    # Only their own activity, and a team page answers as a styled page about them.
    _navigate(page, "nav >> text=Activities")
    assert _bare_ids(page) == []
    answer = page.goto(f"{server}/pareto")
    assert answer is not None and answer.status == 403
    assert page.locator("nav").count() == 1 and '"detail"' not in page.content()
    _shot(page, "rep-day-team-page")
    page.close()
