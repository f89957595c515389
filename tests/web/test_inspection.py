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
    # The header's Process item is current, and so is this page's tab.
    assert 'href="/process" aria-current="page"' in page.text
    assert 'aria-current="page" title="Prospecting against the plan' in page.text


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


def test_the_home_page_glance_is_the_inspections_figures(web: Web) -> None:
    """The home page loads its plan-against-actual line after it shows; the line reads the
    same figures as the Inspection page, for the viewer's scope."""
    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import scope_for
    from rightturn.process.inspect import inspect_process

    client = web.browser("manager_a")
    home = client.get("/", params={"as_of": AS_OF})
    assert f'data-fragment="/inspection/glance?as_of={AS_OF}"' in home.text
    glance = client.get("/inspection/glance", params={"as_of": AS_OF})
    assert glance.status_code == 200
    with web.store.session() as s:
        scope = scope_for(s, "manager", None, web.team_a)
    from datetime import date

    found = inspect_process(
        web.store, scope, as_of=as_of_datetime(date.fromisoformat(AS_OF))
    ).as_json()
    assert found["sequences"] > 0
    text = re.sub(r"<[^>]+>", "", glance.text)
    assert f"{found['actual_touches_avg']:.1f} touches done per prospect" in text
    assert f"of {found['planned_touches_avg']:.1f} planned" in text
    assert f"over {found['sequences']:,} prospects" in text
    # A rep's glance is about them: no range between reps.
    mine = web.browser("rep_a").get("/inspection/glance", params={"as_of": AS_OF})
    assert "touches done per prospect" in mine.text and "reps range" not in mine.text


def test_the_deals_page_shows_the_map_and_reps_in_scope(web: Web) -> None:
    from datetime import date

    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import scope_for
    from rightturn.process.conformance import check_conformance

    client = web.browser("manager_a")
    page = client.get("/inspection/deals", params={"as_of": AS_OF})
    assert page.status_code == 200
    assert '<svg class="process-map"' in page.text
    listed = _listed(page.text)
    assert web.rep_a in listed and web.rep_b not in listed
    names = _names(web)
    for rep_id in listed:
        assert f">{names[rep_id]}</a>" in page.text
    with web.store.session() as s:
        scope = scope_for(s, "manager", None, web.team_a)
    found = check_conformance(
        web.store, scope, as_of=as_of_datetime(date.fromisoformat(AS_OF))
    ).as_json()
    # Each arrow of the map says the deals the domain function counted for that move.
    for e in found["map"]["edges"]:
        move = f'data-move="{e["from"] or "created"}&gt;{e["to"]}" data-deals="{e["deals"]}"'
        assert move in page.text, move
    first = found["map"]["edges"][0]
    drill = client.get("/inspection/deals", params={"as_of": AS_OF, "move": f">{first['to']}"})
    rows = re.findall(r'<tr data-opportunity-id="([^"]+)"', drill.text)
    assert len(rows) == min(first["deals"], 500) and first["from"] is None
    assert f"{first['deals']:,} deals" in drill.text


def test_the_deals_page_filters_by_rep_and_refuses_bad_input(web: Web) -> None:
    client = web.browser("manager_a")
    mine = client.get("/inspection/deals", params={"as_of": AS_OF, "rep_id": web.rep_a})
    assert mine.status_code == 200 and re.search(r'<tr data-opportunity-id="', mine.text)
    assert f"of {_names(web)[web.rep_a]}" in mine.text
    assert client.get("/inspection/deals", params={"rep_id": web.rep_b}).status_code == 404
    bad = client.get("/inspection/deals", params={"deviation": "wrong"})
    assert bad.status_code == 422 and "<html" in bad.text and "skip, backward" in bad.text
    rep = web.browser("rep_a").get("/inspection/deals", params={"as_of": AS_OF})
    assert _listed(rep.text) == {web.rep_a}
