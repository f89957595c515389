"""The inspection page: plan against actual per rep by name, each rep's prospects, and scope."""

from __future__ import annotations

import re

from sqlalchemy import select

from rightturn.crm.model import Rep
from tests.web.conftest import Web

AS_OF = "2026-06-30"


def _names(web: Web) -> dict[str, str]:
    with web.store.session() as s:
        return {r.rep_id: r.name for r in s.scalars(select(Rep))}


def _listed(page: str) -> set[str]:
    return set(re.findall(r'<tr data-rep-id="([^"]+)">', page))


def test_the_inspection_lists_reps_by_name_with_the_chart(web: Web) -> None:
    page = web.browser("admin").get("/inspection", params={"as_of": AS_OF})
    assert page.status_code == 200
    listed = _listed(page.text)
    names = _names(web)
    assert {web.rep_a, web.rep_a2, web.rep_b} <= listed
    for rep_id in listed:
        assert f">{names[rep_id]}</a>" in page.text
    assert 'id="chart-plan-actual"' in page.text and 'id="spread"' in page.text
    assert 'href="/inspection" aria-current="page"' in page.text


def test_a_rep_sees_only_themselves(web: Web) -> None:
    client = web.browser("rep_a")
    page = client.get("/inspection", params={"as_of": AS_OF})
    assert page.status_code == 200
    assert _listed(page.text) == {web.rep_a}
    assert _names(web)[web.rep_b] not in page.text
    assert client.get(f"/inspection/reps/{web.rep_b}").status_code == 404
    manager = web.browser("manager_a").get("/inspection", params={"as_of": AS_OF})
    assert web.rep_a in _listed(manager.text) and web.rep_b not in _listed(manager.text)


def test_a_rep_drill_down_lists_their_prospects(web: Web) -> None:
    page = web.browser("manager_a").get(f"/inspection/reps/{web.rep_a}", params={"as_of": AS_OF})
    assert page.status_code == 200
    rows = re.findall(r'<tr data-contact-id="([^"]+)"', page.text)
    assert rows
    done_planned = re.findall(r'<td class="num">(\d+) / (\d+)</td>', page.text)
    assert len(done_planned) == len(rows)
    assert all(int(d) >= 1 for d, _ in done_planned)
    assert _names(web)[web.rep_a] in page.text
