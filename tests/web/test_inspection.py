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
