"""The process comparison page: the weeks before a version change against the weeks after, for
the viewer's scope, with a chart and the table; its empty state and its errors.

Its own module: applying a process changes the stage order of the module's whole store."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime

from rightturn.crm.model import ProcessVersion
from rightturn.crm.scope import scope_for
from rightturn.process.compare import METRIC_KEYS, compare_versions
from rightturn.process.definition import FILES
from rightturn.process.versions import apply_process, list_versions
from rightturn.web.pages.base import as_of_day
from tests.web.conftest import Web

AS_OF = "2026-06-30"
APPLIED = datetime(2026, 5, 22, 9, tzinfo=UTC)  # within the simulated org's two months


def _rows(page: str) -> dict[str, list[str]]:
    """Each metric's row of the comparison table: its cells' text."""
    found = {}
    for key, row in re.findall(r'<tr data-metric="(\w+)"[^>]*>(.*?)</tr>', page, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        found[key] = [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]
    return found


def _light_touch_applied(web: Web) -> None:
    """Version 1 (light touch) in force since APPLIED, once for the module."""
    if list_versions(web.store):
        return
    done = apply_process(web.store, FILES / "light-touch.yaml", who="ops@example.com")
    with web.store.session() as s:  # time passes in a test: the version was applied then
        row = s.get(ProcessVersion, done.version)
        assert row is not None
        row.applied_at = APPLIED


def test_with_only_the_shipped_default_there_is_nothing_to_compare(web: Web) -> None:
    assert not list_versions(web.store)  # the first test of the module
    page = web.browser("manager_a").get("/process/compare")
    assert page.status_code == 200
    assert 'data-empty="no-versions"' in page.text and "Nothing to compare yet" in page.text
    assert "rightturn process apply FILE" in page.text


def test_the_page_compares_the_weeks_around_the_change_for_the_viewers_scope(web: Web) -> None:
    _light_touch_applied(web)
    assert 'href="/process/compare"' in web.browser("admin").get("/process").text
    when = as_of_day(AS_OF)
    for role in ("admin", "manager_a"):
        page = web.browser(role).get("/process/compare", params={"as_of": AS_OF})
        assert page.status_code == 200, page.text
        with web.store.session() as s:
            account = {"admin": ("admin", None), "manager_a": ("manager", web.team_a)}[role]
            scope = scope_for(s, account[0], None, account[1])
        # Without v1 and v2: the version in force against the one it replaced.
        found = compare_versions(web.store, scope, 0, 1, as_of=when)
        rows = _rows(page.text)
        assert list(rows) == list(METRIC_KEYS)
        for m in found.metrics:
            cells = rows[m.key]
            assert cells[0].startswith(m.name)  # the name, with its glossary link
            assert (cells[3], cells[6]) == (f"{m.before_n:,}", f"{m.after_n:,}")
            assert cells[8].startswith(m.verdict)
        assert "Default B2B process" in page.text and "Light-touch prospecting" in page.text
        assert 'id="chart-compare"' in page.text
        # The windows are the same for every viewer: the org's, however much of it one sees.
        assert (found.before.end, found.after.start) == (APPLIED, APPLIED)
        assert found.after.days == found.before.days >= 1
        if role == "admin":
            everyone = found
    assert found.before.sequences < everyone.before.sequences


def test_bad_input_gets_a_styled_page_that_says_what_to_do(web: Web) -> None:
    _light_touch_applied(web)
    client = web.browser("manager_a")
    same = client.get("/process/compare", params={"v1": 1, "v2": 1})
    assert same.status_code == 422
    assert "compare two different versions" in same.text and '<select name="v1">' in same.text
    soon = client.get("/process/compare", params={"v1": 0, "v2": 1, "as_of": "2026-05-30"})
    assert soon.status_code == 404 and "No after window yet: version 1" in soon.text
    assert "wait until then, or measure as of a later date" in soon.text
    unknown = client.get("/process/compare", params={"v1": 0, "v2": 5})
    assert unknown.status_code == 404 and "No process version 5" in unknown.text
    junk = client.get("/process/compare", params={"v1": "latest"})
    assert junk.status_code == 422 and "That request is not valid" in junk.text
    assert client.get("/process/compare", params={"weeks": 0}).status_code == 422
