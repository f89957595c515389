"""The Effort page on the simulated org: a rep sees their own touches, a manager their team's
(one rep at a time by the filter), an admin one team at a time; out of scope is a 404 page; a
bad feature a styled 422; the A/B box and the week-by-week part with a change day."""

from __future__ import annotations

import html as htmllib
import re

from sqlalchemy import select

from rightturn.crm.model import Rep
from tests.web.conftest import Web

AS_OF = "2026-06-30"


def _values(page: str) -> list[str]:
    """The values of the rates table, as its rows carry them (a rep's id for ``by=rep``)."""
    table = page.split('id="effort-rates"', 1)[1].split("</table>", 1)[0]
    return [htmllib.unescape(v) for v in re.findall(r'<tr data-value="([^"]*)"', table)]


def _row_touches(page: str) -> dict[str, int]:
    table = page.split('id="effort-rates"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-value="([^"]*)" data-touches="(\d+)"', table)
    return {htmllib.unescape(v): int(n) for v, n in rows}


def _team(web: Web, team: str) -> set[str]:
    with web.store.session() as s:
        return set(s.scalars(select(Rep.rep_id).where(Rep.team_id == team)))


def _get(web: Web, role: str, **params: str):  # type: ignore[no-untyped-def]
    return web.client(role).get("/effort", params={"as_of": AS_OF, **params})


def test_a_rep_sees_only_their_own_touches(web: Web) -> None:
    page = _get(web, "rep_a", by="rep")
    assert page.status_code == 200, page.text
    assert _values(page.text) == [web.rep_a]
    assert "Return on effort: your touches" in page.text
    assert 'name="rep"' not in page.text  # no rep filter for a rep
    assert 'href="/effort"' in page.text  # in the nav


def test_a_manager_sees_the_team_and_one_rep_through_the_filter(web: Web) -> None:
    page = _get(web, "manager_a", by="rep")
    assert page.status_code == 200, page.text
    shown = set(_values(page.text))
    assert {web.rep_a, web.rep_a2} <= shown <= _team(web, web.team_a)
    assert web.rep_b not in shown
    one = _get(web, "manager_a", by="rep", rep=web.rep_a2)
    assert one.status_code == 200 and _values(one.text) == [web.rep_a2]
    assert f'<option value="{web.rep_a2}" selected>' in one.text
    # The filter's rows are the team's reps, by name.
    with web.store.session() as s:
        name = s.scalar(select(Rep.name).where(Rep.rep_id == web.rep_a2))
    assert f"Return on effort: {name}" in htmllib.unescape(one.text)


def test_an_admin_narrows_to_one_team(web: Web) -> None:
    page = _get(web, "admin", by="rep", team=web.team_b)
    assert page.status_code == 200, page.text
    shown = set(_values(page.text))
    assert web.rep_b in shown and shown <= _team(web, web.team_b)


def test_a_rep_or_team_outside_the_scope_is_a_404_page(web: Web) -> None:
    for role, params in (
        ("manager_a", {"rep": web.rep_b}),
        ("rep_a", {"rep": web.rep_a2}),
        ("manager_a", {"team": web.team_b}),
    ):
        page = _get(web, role, **params)
        assert page.status_code == 404, (role, params)
        assert page.headers["content-type"].startswith("text/html")
        assert "Not found" in page.text and "<nav" in page.text


def test_a_feature_that_does_not_exist_is_a_styled_422_naming_the_features(web: Web) -> None:
    page = _get(web, "manager_a", by="colour")
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "use one of channel, step, template" in htmllib.unescape(page.text)


def test_the_ab_box_compares_two_values_with_their_n_from_the_table(web: Web) -> None:
    page = _get(web, "manager_a", by="channel", a="call", b="email")
    assert page.status_code == 200, page.text
    text = htmllib.unescape(page.text)
    decision = re.search(r'id="ab-summary" data-decision="([^"]+)"><strong>([^<]+)<', text)
    assert decision is not None
    assert decision.group(1) in ("B better", "A better", "not yet")
    assert decision.group(2).startswith(("Decided: ", "Not decided yet"))
    rows = _row_touches(text)
    for arm, value in (("a", "call"), ("b", "email")):
        arm_text = re.search(
            rf'data-arm="{arm}"><dt>[AB]: {value}</dt><dd>[^<]* of ([\d,]+) touches', text
        )
        assert arm_text is not None and int(arm_text.group(1).replace(",", "")) == rows[value]
    for key in ("prob_b_better", "expected_lift", "more_touches_needed", "within_rep_lift"):
        assert f'data-figure-name="{key}"' in text
    assert 'id="ab-reps"' in text


def test_a_value_of_another_feature_left_in_the_address_is_dropped(web: Web) -> None:
    page = _get(web, "manager_a", by="channel", of="focus", value="issue", a="issue", b="product")
    assert page.status_code == 200, page.text
    assert 'data-problem="' not in page.text


def test_the_weekly_part_sets_the_days_after_a_change_against_those_before(web: Web) -> None:
    page = _get(web, "manager_a", by="channel", value="email", change="2026-05-25")
    assert page.status_code == 200, page.text
    assert 'id="chart-weekly-lift"' in page.text and 'id="before-after"' in page.text
    assert re.search(r'data-verdict="(better|worse|no clear change)"', page.text)
    assert "week by week: channel email" in htmllib.unescape(page.text)


def test_a_change_too_recent_says_why_and_keeps_the_rest_of_the_page(web: Web) -> None:
    page = _get(web, "manager_a", by="channel", change="2026-06-28")
    assert page.status_code == 422
    text = htmllib.unescape(page.text)
    assert 'data-problem="change"' in text and "give a day up to 2026-06-15" in text
    assert 'id="effort-rates"' in text and 'id="chart-weekly-lift"' in text
    bad = _get(web, "manager_a", by="channel", a="call", b="fax")
    assert bad.status_code == 422 and "B 'fax': no touch has that channel" in htmllib.unescape(
        bad.text
    )
