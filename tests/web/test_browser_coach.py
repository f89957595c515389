"""A manager coaches a rep in real Chromium: opens Coaching from the nav, picks a rep of the
team, sets a focus (a target the form refuses first, then one it takes), sees it followed on a
drawn chart and closes it; the rep then finds it on their own page. Screenshots land in
``artifacts/``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rightturn.crm.model import CoachingNote
from tests.web.conftest import END, Web
from tests.web.test_browser import _shot, _sign_in, browser, server  # noqa: F401

pytestmark = [pytest.mark.parametrize("web", ["sqlite"], indirect=True), pytest.mark.slow]


def _notes(web: Web) -> int:
    with web.store.session() as s:
        return s.scalar(select(func.count()).select_from(CoachingNote)) or 0


def test_a_manager_sets_a_focus_and_the_rep_reads_it(web: Web, server: str, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _sign_in(browser, server, web.emails["manager_a"])
    with page.expect_navigation():
        page.locator("header nav a", has_text="Coaching").click()
    page.goto(f"{page.url}?as_of={END.isoformat()}")
    row = page.locator(f"#coach-team tr[data-rep-id='{web.rep_a}']")
    name = row.locator("a").inner_text()
    _shot(page, "coach-team")
    with page.expect_navigation():
        row.locator("a").click()
    assert page.locator("h1").inner_text().startswith(f"Coaching: {name}")
    page.locator("#chart-practices .main-svg").first.wait_for()  # the practices drawn

    form = page.locator("#note-form")
    before = _notes(web)
    form.locator("select[name=practice]").select_option("brief")
    form.locator("input[name=target]").fill("60")
    form.locator("input[name=note]").fill("Cut the intro")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "for 60% write 60% or 0.6" in page.locator("#problem").inner_text()
    assert page.locator("#note-form input[name=note]").input_value() == "Cut the intro"
    assert _notes(web) == before

    page.locator("#note-form input[name=target]").fill("60%")
    with page.expect_navigation():
        page.locator("#note-form button[type=submit]").click()
    assert "Recorded: focus on brief emails" in page.locator("#recorded").inner_text()
    assert _notes(web) == before + 1
    note = page.locator("section[data-open='yes']").first
    assert "Cut the intro" in note.inner_text()
    # Recorded today, after the simulated org's last day: its weeks are empty, and say so.
    assert "No touches from the week of" in note.inner_text()
    _shot(page, "coach-rep-noted")

    rep = _sign_in(browser, server, web.emails["rep_a"])
    rep.goto(f"{server}/coach")
    assert rep.locator("h1").inner_text().startswith("Your scorecard")
    assert "Cut the intro" in rep.locator("section[data-open='yes']").first.inner_text()
    assert rep.locator("#note-form").count() == 0
    _shot(rep, "coach-rep-own")

    with page.expect_navigation():
        note.locator("button", has_text="Close this focus").click()
    assert (
        "Closed: the focus on brief emails (under 150 words)."
        in page.locator("#recorded").inner_text()
    )
    assert page.locator("section[data-open='yes']").count() == 0
