"""A rep decides on their day in real Chromium: opens Today, postpones an item from its row's
form, and sees it gone with a notice naming what was recorded; a postpone without a date is the
page again saying what to give, nothing recorded. Screenshots land in ``artifacts/``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rightturn.crm.model import Disposition
from tests.web.conftest import Web
from tests.web.test_browser import _shot, _sign_in, browser, server  # noqa: F401

pytestmark = [pytest.mark.parametrize("web", ["sqlite"], indirect=True), pytest.mark.slow]


def _decided(web: Web) -> int:
    with web.store.session() as s:
        return s.scalar(select(func.count()).select_from(Disposition)) or 0


def test_a_rep_postpones_an_item_from_their_day(web: Web, server: str, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _sign_in(browser, server, web.emails["rep_a"])
    answer = page.goto(f"{server}/today")
    assert answer is not None and answer.status == 200
    # Any item but a buyer's reply (a reply stays listed whatever is decided).
    row = page.locator("#today tbody tr:not([data-kind='reply_due'])").first
    subject = row.get_attribute("data-opportunity-id") or row.get_attribute("data-contact-id")
    assert subject, "the rep's day should have a prospect or a deal to decide on"
    mine = f"#today tr[data-opportunity-id='{subject}'], #today tr[data-contact-id='{subject}']"
    name = (
        row.locator("summary")
        .evaluate("s => s.closest('td').querySelector('form').getAttribute('aria-label')")
        .removeprefix("Decide on ")
    )

    # Postpone without a date: the page again with the message, the item still there.
    row.locator("summary").click()
    row.locator("select[name=kind]").select_option("postpone")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert "postpone needs the date to postpone until" in page.locator("#problem").inner_text()
    assert page.locator(mine).count() == 1 and _decided(web) == 0
    # The refused decision's form is open on its row, as it was sent, to mend it there.
    row = page.locator(mine).first
    assert row.locator("details.decide").get_attribute("open") is not None
    assert row.locator("select[name=kind]").input_value() == "postpone"
    _shot(page, "today-postpone-refused")

    # Postpone until a date: back on the day, a notice naming it, the item gone.
    until = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    row.locator("input[name=on]").fill(until)
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert "/today?" in page.url and "recorded=" in page.url
    notice = page.locator("#recorded").inner_text()
    assert f"Recorded: {name} postponed until {until}." in notice
    assert page.locator(mine).count() == 0
    assert f"{name} postponed until {until}" in page.locator("#decided").inner_text()
    assert _decided(web) == 1
    _shot(page, "today-postponed")
