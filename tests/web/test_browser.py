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
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, Web

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = pytest.mark.parametrize("web", ["sqlite"], indirect=True)


def _chromium_problem() -> str | None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"Debian's Chromium is not at {CHROMIUM}: apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: pip install -e '.[dev]'"
    return None


@pytest.fixture(scope="module")
def server(web: Web) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(web.app(), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    else:
        pytest.fail("uvicorn did not start within 5 s")
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


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


def _sign_in(browser, server: str, email: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/")
    assert "/login" in page.url  # anonymous: sent to sign in
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    return page


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


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
    page.click("nav >> text=Opportunities")
    page.click("#opportunities th >> text=Amount")
    page.click("#opportunities th >> text=Amount")
    amounts = [
        _number(t)
        for t in page.locator("#opportunities tbody td.num").all_inner_texts()
        if "$" in t
    ]
    assert len(amounts) > 5 and amounts == sorted(amounts, reverse=True)
    page.select_option("select[name=status]", "open")
    page.click("form.filters button[type=submit]")
    statuses = page.locator("#opportunities tbody tr td:nth-child(5)").all_inner_texts()
    assert statuses and set(statuses) == {"open"}
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
    page.click("dl.facts a")
    assert "/reps/" in page.url
    page.goto(page.url + "?as_of=2026-06-30")  # the simulated org ends on June 30
    page.wait_for_selector("#chart-mix .main-svg")
    assert "activity mix per week" in page.locator("#chart-mix").inner_text()
    _shot(page, "manager-rep")

    # Review: one click files the thread and the queue shrinks by one.
    page.click("nav >> text=Review")
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


def test_a_rep_sees_only_their_own(web: Web, server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _sign_in(browser, server, web.emails["rep_a"])
    assert page.locator("h1").inner_text() == "Your week"
    page.click("nav >> text=Reps")
    assert page.locator("#reps tbody tr").count() == 1
    from sqlalchemy import select

    from rightturn.crm.model import Opportunity

    with web.store.session() as s:
        theirs = s.scalar(
            select(Opportunity.opportunity_id).where(Opportunity.owner_rep_id == web.rep_b)
        )
    answer = page.goto(f"{server}/opportunities/{theirs}")
    assert answer is not None and answer.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    _shot(page, "rep-denied")
    page.click("nav >> text=Activities")
    assert page.locator("#activities tbody tr").count() > 0
    _shot(page, "rep-activities")
    # Sign out ends the session: the home page asks to sign in again.
    page.click("text=Sign out")
    page.goto(f"{server}/")
    assert "/login" in page.url
    page.close()
