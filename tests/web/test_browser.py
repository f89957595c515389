"""The panel in a real browser: Debian's Chromium driven by Playwright, against a real server.

A manager and a rep sign in, open every page, check what a person would check, and the manager
resolves a review item with one click. Screenshots land in ``artifacts/`` (git-ignored).
Skips, saying why, when Chromium or Playwright is absent (``.ci/install-deps`` installs both).
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, Web

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

# Real Chromium: outside the fast loop.
pytestmark = [pytest.mark.parametrize("web", ["sqlite"], indirect=True), pytest.mark.slow]


def _chromium_problem() -> str | None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"Debian's Chromium is not at {CHROMIUM}: apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: pip install -e '.[dev]'"
    return None


@contextmanager
def serving(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """``app`` under uvicorn on a free loopback port, in a thread, while the block runs."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    else:
        pytest.fail("uvicorn did not start within 5 s")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(web: Web) -> Iterator[str]:
    """The populated org's app, served."""
    with serving(web.app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    problem = _chromium_problem()
    if problem:
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _navigate(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Click something that loads a page, and wait for that page: reading right after a click
    can read the old page (on a loaded machine, a sorted table read before it had loaded)."""
    with page.expect_navigation():
        page.click(selector)


def _sign_in(browser, server: str, email: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/")
    assert "/login" in page.url  # anonymous: sent to sign in
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    return page


def _shot(page, name: str, *, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_a_manager_works_through_the_panel(web: Web, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _sign_in(browser, server, web.emails["manager_a"])
    page.goto(f"{server}/?as_of=2026-06-30")
    assert page.locator("h1").inner_text() == "Your team's week"
    # Plotly drew both charts, with their titles.
    page.wait_for_selector("#chart-week .main-svg")
    page.wait_for_selector("#chart-pipeline .main-svg")
    assert "Open pipeline by stage" in page.locator("#chart-pipeline").inner_text()
    assert _number(page.locator('[data-metric="email"] .tile-value').inner_text()) > 0
    # The quiet-deals table sorts by a header click and filters as you type, in the browser.
    quiet = page.locator("#quiet-deals tbody tr")
    assert quiet.count() > 1
    page.click("#quiet-deals th >> text=Owner")
    owners = page.locator("#quiet-deals tbody td:nth-child(3)").all_inner_texts()
    assert owners == sorted(owners, key=str.lower)
    owner = owners[0]
    page.fill("#quiet-deals ~ input.table-filter, input.table-filter", owner)
    shown = [
        o
        for o, v in zip(
            page.locator("#quiet-deals tbody td:nth-child(3)").all_inner_texts(),
            [r.is_visible() for r in quiet.all()],
            strict=True,
        )
        if v
    ]
    assert shown and set(shown) == {owner}
    page.fill("input.table-filter", "")
    _shot(page, "manager-home")

    # Opportunities: sort by amount, largest first, with two clicks on the header.
    _navigate(page, "nav >> text=Opportunities")
    _navigate(page, "#opportunities th >> text=Amount")
    _navigate(page, "#opportunities th >> text=Amount")
    amounts = [
        _number(t)
        for t in page.locator("#opportunities tbody td.num").all_inner_texts()
        if "$" in t
    ]
    assert len(amounts) > 5 and amounts == sorted(amounts, reverse=True)
    # One arrow, on the column that sorts (the stylesheet draws it from aria-sort).
    arrows = page.locator("#opportunities th").evaluate_all(
        "ths => ths.map(th => getComputedStyle(th, '::after').content)"
        ".filter(c => c && c !== 'none' && c !== 'normal')"
    )
    assert arrows == ['" ▼"'], arrows
    # Won deals: the stage says so once, in green.
    page.select_option("select[name=status]", "won")
    _navigate(page, "form.filters button[type=submit]")
    rows = page.locator("#opportunities tbody tr").count()
    assert rows and page.locator("#opportunities tbody td.won").count() == rows
    _shot(page, "manager-opportunities")

    # An opportunity with captured activity: its timeline shows reasons and confidence.
    from sqlalchemy import func, select

    from rightturn.crm.model import Activity

    with web.store.session() as s:
        busy = s.scalar(
            select(Activity.opportunity_id)
            .where(Activity.rep_id == web.rep_a, Activity.opportunity_id.is_not(None))
            .group_by(Activity.opportunity_id)
            .order_by(func.count().desc())
            .limit(1)
        )
    page.goto(f"{server}/opportunities/{busy}")
    assert page.locator(".timeline li").count() > 0
    assert re.search(r"\d+%", page.locator(".timeline .confidence").first.inner_text())
    assert page.locator(".timeline .reason").first.inner_text().strip()
    assert page.locator("#stage-history tbody tr").count() >= 1
    _shot(page, "manager-opportunity")

    # The owner's rep page, from the link on the opportunity.
    _navigate(page, "dl.facts a")
    assert "/reps/" in page.url
    page.goto(page.url + "?as_of=2026-06-30")  # the simulated org ends on June 30
    page.wait_for_selector("#chart-mix .main-svg")
    assert "activity mix per week" in page.locator("#chart-mix").inner_text()
    _shot(page, "manager-rep")

    # Review: one click files the thread and the queue shrinks by one.
    _navigate(page, "nav >> text=Review")
    before = _number(page.locator("h1 .count").inner_text())
    first = page.locator(".review-item").first
    subject = first.locator(".subject").inner_text()
    first.locator("button", has_text="File under").first.click()
    page.wait_for_selector(".notice")
    assert "Filed" in page.locator(".notice").inner_text()
    assert _number(page.locator("h1 .count").inner_text()) == before - 1
    _shot(page, "manager-review")
    assert subject  # the item had a subject to show
    page.close()


def test_a_manager_reads_the_pipeline_analytics(web: Web, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _sign_in(browser, server, web.emails["manager_a"])

    # Pipeline: the funnel and the coverage chart, a rep table that sorts, flagged deals.
    page.click("nav >> text=Pipeline")
    page.goto(f"{server}/pipeline?as_of=2026-06-15")  # mid-quarter: pipeline left to cover
    page.wait_for_selector("#chart-funnel .main-svg")
    page.wait_for_selector("#chart-coverage .main-svg")
    assert "Stage conversion" in page.locator("#chart-funnel").inner_text()
    assert "x quota left" in page.locator("#chart-coverage").inner_text()
    assert re.search(r"\d+%", page.locator('[data-metric="win_rate"] .tile-value').inner_text())
    # No chart is wider than its card.
    for chart in ("#chart-funnel", "#chart-coverage"):
        card, svg = page.evaluate(
            "(s) => [document.querySelector(s).closest('.card').getBoundingClientRect().width,"
            " document.querySelector(s + ' .main-svg').getBoundingClientRect().width]",
            chart,
        )
        assert svg <= card, (chart, svg, card)
    page.click("#rep-coverage th >> text=Coverage")
    coverage = [
        float(t.rstrip("x")) if t != "—" else -1
        for t in page.locator("#rep-coverage tbody td:nth-child(9)").all_inner_texts()
    ]
    assert len(coverage) > 1 and coverage == sorted(coverage)
    flagged = page.locator("details.deals").first
    flagged.locator("summary").click()
    deal = flagged.locator("tbody a[href^='/opportunities/']").first
    deal_id, deal_name = (deal.get_attribute("href") or "").rsplit("/", 1)[1], deal.inner_text()
    assert deal_name != deal_id  # named, the id only in the link
    _shot(page, "manager-pipeline")
    deal.click()
    page.wait_for_url(f"{server}/opportunities/{deal_id}")
    assert page.locator("dl.facts code").inner_text() == deal_id
    assert page.locator("h1").inner_text() == deal_name

    # Velocity: time in stage, cumulative flow and throughput, Little's law in words.
    page.click("nav >> text=Velocity")
    page.goto(f"{server}/velocity?as_of=2026-06-30")
    for chart in ("#chart-stage-time", "#chart-cfd", "#chart-throughput"):
        page.wait_for_selector(f"{chart} .main-svg")
    assert "Little's law" in page.locator("#littles-law").inner_text()
    assert page.locator("#stalled-deals tbody tr").count() > 0
    _shot(page, "manager-velocity")

    # Waterfall: nine bars, start and end as totals, each bar's deals behind a click.
    page.goto(f"{server}/waterfall?as_of=2026-06-30&period=M")
    page.wait_for_selector("#chart-waterfall .main-svg")
    assert page.locator("#chart-waterfall .point").count() == 9
    bars = page.locator("#waterfall-bars tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.bar)"
    )
    assert bars[0] == "start" and bars[-1] == "end" and len(bars) == 9
    won = page.locator("#bar-won")
    won.locator("summary").click()
    assert won.locator("a[href^='/opportunities/']").count() > 0
    _shot(page, "manager-waterfall")

    # Pareto and the what-if form: a bad rate is explained, a good one computes.
    page.click("nav >> text=Top performers")
    page.goto(f"{server}/pareto?as_of=2026-06-30")
    page.wait_for_selector("#chart-pareto .main-svg")
    assert "Revenue by rep" in page.locator("#chart-pareto").inner_text()
    page.fill("input[name=from]", "0.2")
    page.fill("input[name=to]", "1.5")
    _navigate(page, "form.whatif button[type=submit]")
    assert "not a win rate between 0 and 1" in page.locator("#whatif .error").inner_text()
    page.fill("input[name=to]", "0.3")
    _navigate(page, "form.whatif button[type=submit]")
    page.wait_for_selector("#whatif-result")
    gain = page.locator('#whatif-result [data-row="revenue"] td').last.inner_text()
    assert gain.startswith("+$") and _number(gain) > 0
    page.wait_for_selector("#chart-pareto .main-svg")
    _shot(page, "manager-pareto")
    page.close()


def test_a_rep_sees_only_their_own(web: Web, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from rightturn.crm.model import Opportunity, Rep

    page = _sign_in(browser, server, web.emails["rep_a"])
    with web.store.session() as s:
        name = s.get(Rep, web.rep_a).name
    assert page.locator("h1").inner_text() == f"{name}: your week"
    # A rep's nav holds their own pages, none of the team's.
    for team_page in ("/reps", "/pipeline", "/pareto"):
        assert page.locator(f'nav a[href="{team_page}"]').count() == 0
    _navigate(page, "nav >> text=My pipeline")
    assert page.locator("h1").inner_text() == f"{name}: your pipeline"
    assert page.locator("[data-metric=coverage] .tile-value").is_visible()
    _shot(page, "rep-pipeline")
    _navigate(page, "nav >> text=Needs attention")
    assert page.locator("#my-deals tbody tr").count() > 0
    _shot(page, "rep-deals")
    with web.store.session() as s:
        theirs = s.scalar(
            select(Opportunity.opportunity_id).where(Opportunity.owner_rep_id == web.rep_b)
        )
    answer = page.goto(f"{server}/opportunities/{theirs}")
    assert answer is not None and answer.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    _shot(page, "rep-denied")
    _navigate(page, "nav >> text=Activities")
    assert page.locator("#activities tbody tr").count() > 0
    _shot(page, "rep-activities")
    # Sign out ends the session: the home page asks to sign in again.
    _navigate(page, "text=Sign out")
    page.goto(f"{server}/")
    assert "/login" in page.url
    page.close()


def test_a_manager_pages_through_a_150_item_review_queue_and_clears_it(  # type: ignore[no-untyped-def]
    web: Web, browser, tmp_path: Path
) -> None:
    """On a queue of its own (the shared org's stays for the other tests): Carol, Dan and the
    switchboard calls wait in team East, Erin's in team West."""
    from sqlalchemy import func, select

    from rightturn.crm.model import Activity, Rep
    from rightturn.crm.store import Store
    from rightturn.crm.users import add_user
    from rightturn.web.app import create_app
    from tests.associate.test_review import build_queue

    store = Store.open(f"sqlite:///{tmp_path / 'queue.db'}")
    try:
        queue = build_queue(store, tmp_path, carol=70, dan=60, calls=25, erin=20)
        with store.session() as s:
            east = s.scalar(select(Rep.team_id).where(Rep.rep_id == "R1"))
        add_user(store, "lead@example.com", PASSWORD, role="manager", team=east)
        visible = set(queue.heads) - set(queue.erin)
        assert len(visible) >= 150
        with serving(create_app(store)) as url:
            page = _sign_in(browser, url, "lead@example.com")
            _clear_the_queue(page, url, queue, visible)
            page.close()
        with store.session() as s:
            left = dict(
                s.execute(
                    select(Activity.rep_id, func.count())
                    .where(Activity.status == "needs_review")
                    .group_by(Activity.rep_id)
                ).all()
            )
        assert left == {"R3": len(queue.erin)}  # the other team's queue is not the manager's
    finally:
        store.close()


def _ids(page) -> list[int]:  # type: ignore[no-untyped-def]
    return page.locator(".review-item").evaluate_all(
        "items => items.map(i => Number(i.dataset.activityId))"
    )


def _go(page, locator) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        locator.click()


def _clear_the_queue(page, url: str, queue, visible: set[int]) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/review")
    total = len(visible)
    assert _number(page.locator("h1 .count").inner_text()) == total
    assert _number(page.locator("#review-count").inner_text()) == total

    # Every page, oldest first, by the Next link: each waiting thread exactly once.
    seen: list[int] = []
    while True:
        ids = _ids(page)
        shown = page.locator(".pager .showing").first.inner_text()
        assert shown == f"showing {len(seen) + 1}–{len(seen) + len(ids)} of {total} threads"
        seen += ids
        following = page.locator("a[rel=next]").first
        if not following.count():
            break
        _go(page, following)
    assert len(seen) == len(set(seen)) == total and set(seen) == visible
    _go(page, page.locator("a[rel=prev]").first)
    last = len(seen) % 50 or 50  # the last page's size
    assert _ids(page) == seen[-last - 50 : -last]

    # The first item: names, a rank (never a bare percentage), the thread on demand.
    page.goto(f"{url}/review")
    first = page.locator(".review-item").first
    assert "Carol Buyer" in first.locator(".contact").inner_text()
    assert "Alice Rep" in first.locator(".meta .rep").inner_text()
    ranks = first.locator(".suggestion .rank").all_inner_texts()
    assert ranks == ["1st choice", "2nd choice"] and not any("%" in r for r in ranks)
    assert first.locator(".suggestion .deal").all_inner_texts() == ["Acme - Atlas", "Acme - Beacon"]
    first.locator("details.thread summary").click()
    first.locator(".thread-messages li").nth(1).wait_for()
    assert first.locator(".thread-messages .sender").all_inner_texts() == [
        "Carol Buyer",
        "Alice Rep",
    ]
    _shot(page, "manager-review-queue", full_page=False)  # 50 items: the top tells

    # Filter by rep: Bob's items only; on his second page, file one item each way and come
    # back to the same page and filter.
    page.select_option("select[name=rep_id]", "R2")
    _go(page, page.locator("form.filters button[type=submit]"))
    bobs = len(queue.dan) + len(queue.carol_bob)
    assert _number(page.locator("h1 .count").inner_text()) == bobs
    assert set(page.locator(".review-item .rep").all_inner_texts()) == {"Bob Rep"}
    _go(page, page.locator("a[rel=next]").first)
    for button in ("Account only", "Not a sales activity", "File under"):
        _go(page, page.locator(".review-item").first.locator("button", has_text=button).first)
        assert "Filed 1 thread" in page.locator(".notice").inner_text()
        assert "rep_id=R2" in page.url and "cursor=" in page.url
    assert _number(page.locator("h1 .count").inner_text()) == bobs - 3

    # Clear the rest: one choice for every waiting item of a contact where it offers one,
    # else the item's first suggestion, until the badge is gone.
    page.goto(f"{url}/review")
    left = _number(page.locator("h1 .count").inner_text())
    for _ in range(100):
        if not left:
            break
        item = page.locator(".review-item").first
        group = item.locator("button.file-contact")
        _go(page, group.first if group.count() else item.locator("button.file").first)
        assert "Filed" in page.locator(".notice").inner_text()
        now = _number(page.locator("h1 .count").inner_text())
        assert now < left
        left = now
    assert left == 0
    assert page.locator("#review-count").count() == 0  # the badge says nothing waits
    assert "Nothing waits for review" in page.locator(".empty").inner_text()
    _shot(page, "manager-review-cleared")
