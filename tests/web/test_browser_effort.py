"""A manager reads Return-on-Effort in real Chromium: opens Effort from the nav, the rates chart
draws with its error bars, picks another practice, sets a change day for the weekly chart and
two values for the A/B, each form keeping the others' choices. Screenshots land in
``artifacts/``."""

from __future__ import annotations

import pytest

from tests.web.conftest import Web
from tests.web.test_browser import _navigate, _shot, _sign_in, browser, server  # noqa: F401

pytestmark = [pytest.mark.parametrize("web", ["sqlite"], indirect=True), pytest.mark.slow]


def test_a_manager_compares_practices_and_marks_a_change(web: Web, server: str, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _sign_in(browser, server, web.emails["manager_a"])
    _navigate(page, "header.top a[href='/effort']")
    assert page.url.endswith("/effort")
    page.wait_for_selector("#chart-effort-rates .main-svg")
    assert "by focus" in page.locator("#chart-effort-rates").inner_text()

    # Another practice, as of the simulated org's last day.
    page.select_option("#effort select[name=by]", "channel")
    page.fill("#effort input[name=as_of]", "2026-06-30")
    _navigate(page, "#effort button[type=submit]")
    page.wait_for_selector("#chart-effort-rates .main-svg")
    assert page.locator("#effort-rates tbody tr").count() == 2  # email and call
    assert page.locator("#chart-effort-rates .errorbar").count() >= 1

    # A change day on the weekly chart: the before and after, the practice kept.
    weekly = page.locator("#weekly form")
    weekly.locator("select[name=value]").select_option("email")
    weekly.locator("input[name=change]").fill("2026-05-25")
    with page.expect_navigation():
        weekly.locator("button[type=submit]").click()
    assert "by=channel" in page.url and "change=2026-05-25" in page.url
    page.wait_for_selector("#chart-weekly-lift .main-svg")
    assert "Change 2026-05-25" in page.locator("#chart-weekly-lift").inner_text()
    verdict = page.locator("#before-after").get_attribute("data-verdict")
    assert verdict in ("better", "worse", "no clear change")

    # The A/B: email against call, the change day kept.
    ab = page.locator("#ab form")
    ab.locator("select[name=a]").select_option("email")
    ab.locator("select[name=b]").select_option("call")
    with page.expect_navigation():
        ab.locator("button[type=submit]").click()
    assert "change=2026-05-25" in page.url and "a=email" in page.url
    summary = page.locator("#ab-summary").inner_text()
    assert summary.startswith(("Decided: ", "Not decided yet"))
    assert page.locator("#before-after").count() == 1
    _shot(page, "effort-manager")
