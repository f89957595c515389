"""A rep's own pages, the Reps page a manager compares people on, and the review badge, on
SQLite and PostgreSQL, checked against the domain functions they show."""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rightturn.analytics.activity import week_over_week
from rightturn.analytics.report import metrics_report
from rightturn.analytics.snapshot import as_of_datetime
from rightturn.crm.model import Rep
from rightturn.crm.scope import Scope, scope_for
from rightturn.web import figures
from rightturn.web.pages import people, review
from tests.web.conftest import Web

AS_OF = "2026-06-30"
TEAM_PAGES = ("/reps", "/pipeline", "/pareto")


def _when() -> datetime:
    """The moment a page means by ``as_of=AS_OF``: the end of that day, as the CLI and the API
    take it."""
    return as_of_datetime(date.fromisoformat(AS_OF))


def _scope(web: Web, role: str) -> Scope:
    with web.store.session() as s:
        if role.startswith("rep"):
            return scope_for(s, "rep", {"rep_a": web.rep_a, "rep_b": web.rep_b}[role], None)
        return scope_for(s, "manager", None, {"manager_a": web.team_a}[role])


def _report(web: Web, scope: Scope, period: str = "Q") -> dict[str, Any]:
    return metrics_report(web.store, scope, as_of=_when(), period=period, sections=())


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _tile(page: str, metric: str) -> str:
    found = re.search(rf'data-metric="{metric}">.*?<div class="tile-value">(.*?)</div>', page, re.S)
    assert found, metric
    return _text(found.group(1))


def _chart_title(page: str) -> str:
    """The home page's week chart's title (Plotly's JSON escapes non-ASCII letters)."""
    chart = page[page.index('"chart-week"') :]
    return json.loads(re.search(r'"title":\{"text":("(?:[^"\\]|\\.)*")', chart).group(1))


def _nav(page: str) -> set[str]:
    nav = page[page.index("<nav") : page.index("</nav>")]
    return set(re.findall(r'href="([^"]+)"', nav))


def _name(web: Web, rep_id: str) -> str:
    with web.store.session() as s:
        return s.get(Rep, rep_id).name


def _managers_without_quota(web: Web) -> set[str]:
    with web.store.session() as s:
        managing = set(s.scalars(select(Rep.manager_id).where(Rep.manager_id.is_not(None))))
        return set(
            s.scalars(select(Rep.rep_id).where(Rep.rep_id.in_(managing), Rep.quota.is_(None)))
        )


# --- a rep's own pages -----------------------------------------------------------------------


def test_a_rep_signs_in_to_their_own_week_with_only_their_pages_in_the_nav(web: Web) -> None:
    page = web.browser("rep_a").get("/", params={"as_of": AS_OF}).text
    name = _name(web, web.rep_a)
    assert re.search(r"<h1>(.*?)</h1>", page, re.S).group(1) == f"{name}: your week"
    assert _chart_title(page) == f"{name}'s activity: last 7 days vs the 7 days before"
    assert "Team activity" not in page
    nav = _nav(page)
    assert {"/", "/my/pipeline", "/my/deals", "/opportunities", "/activities"} <= nav
    assert not nav & set(TEAM_PAGES)
    with web.store.session() as s:
        wow = week_over_week(s, _scope(web, "rep_a"), as_of=_when())
    for key in ("email", "call", "meeting", "buyer responses"):
        assert _tile(page, key) == f"{wow.this_week[key]:,}", key
    assert sum(wow.this_week.values()), "the fixture rep had a week with activity"
    # A manager's home stays the team's.
    team = web.browser("manager_a").get("/", params={"as_of": AS_OF}).text
    assert "Your team's week" in team
    assert _chart_title(team) == "Team activity: last 7 days vs the 7 days before"
    assert set(TEAM_PAGES) <= _nav(team) and "/my/pipeline" not in _nav(team)


def test_a_rep_opening_a_team_page_is_sent_to_their_own(web: Web) -> None:
    client = web.browser("rep_a")
    pareto = client.get("/pareto", params={"as_of": AS_OF})
    assert pareto.status_code == 403
    assert "Top performers is a team page" in pareto.text
    assert 'href="/my/pipeline"' in pareto.text and 'href="/my/deals"' in pareto.text
    assert 'id="chart-pareto"' not in pareto.text and "of won value, from" not in pareto.text
    assert '<link rel="stylesheet"' in pareto.text  # a page of the panel, not JSON
    listing = client.get("/reps", follow_redirects=False)
    assert (listing.status_code, listing.headers["location"]) == (303, f"/reps/{web.rep_a}")
    mine = client.get("/reps")
    assert mine.status_code == 200 and f"<h1>{_name(web, web.rep_a)}</h1>" in mine.text
    assert 'href="/reps"' not in mine.text  # no way back to a list of one
    pipeline = client.get(
        "/pipeline", params={"as_of": AS_OF, "period": "M"}, follow_redirects=False
    )
    assert pipeline.status_code == 303
    assert pipeline.headers["location"] == f"/my/pipeline?as_of={AS_OF}&period=M"


@pytest.mark.parametrize("period", ["Q", "M"])
def test_my_pipeline_shows_the_pipeline_pages_row_for_the_rep(web: Web, period: str) -> None:
    page = web.browser("rep_a").get("/my/pipeline", params={"as_of": AS_OF, "period": period})
    assert page.status_code == 200
    team_rows = {r["rep_id"]: r for r in _report(web, _scope(web, "manager_a"), period)["reps"]}
    own_rows = {r["rep_id"]: r for r in _report(web, _scope(web, "rep_a"), period)["reps"]}
    row = team_rows[web.rep_a]
    assert own_rows[web.rep_a] == row  # the same figures whoever looks
    assert row["required_coverage"] is not None
    text = page.text
    assert f'data-rep-id="{web.rep_a}"' in text
    assert _tile(text, "coverage") == figures.show("coverage", row["coverage"])
    assert _tile(text, "required_coverage") == figures.show(
        "required_coverage", row["required_coverage"]
    )
    assert _tile(text, "pipeline") == figures.show("open_value", row["pipeline"])
    assert _tile(text, "remaining_quota") == figures.show("open_value", row["remaining_quota"])
    assert _tile(text, "won_value") == figures.show("open_value", row["won_value"])
    assert f"{_name(web, web.rep_a)}: your pipeline" in text
    # The manager's Pipeline page shows the same coverage for this rep.
    team_page = web.browser("manager_a").get("/pipeline", params={"as_of": AS_OF, "period": period})
    their_row = re.search(rf'data-rep-id="{web.rep_a}">(.*?)</tr>', team_page.text, re.S)
    assert figures.show("coverage", row["coverage"]) in _text(their_row.group(1))


def test_my_deals_are_the_reps_flagged_deals_by_name(web: Web) -> None:
    page = web.browser("rep_a").get("/my/deals", params={"as_of": AS_OF}).text
    report = metrics_report(
        web.store,
        _scope(web, "rep_a"),
        as_of=_when(),
        sections=("integrity",),
        deals_per_flag=None,
    )
    flagged = {d["opportunity_id"] for f in report["integrity"].values() for d in f["deals"]}
    assert flagged, "the fixture rep has flagged deals"
    listed = re.findall(r'<tr data-opportunity-id="([^"]+)">', page)
    assert sorted(listed) == sorted(flagged)
    for flag, f in report["integrity"].items():
        assert page.count(f'class="flag" data-flag="{flag}"') == f["count"], flag
    with web.store.session() as s:
        theirs = set(s.scalars(select(Rep.name).where(Rep.rep_id != web.rep_a)))
    assert not any(f"<td>{other}</td>" in page for other in theirs)
    first = re.search(r'<tr data-opportunity-id="[^"]+"><td><a [^>]+>([^<]+)</a>', page)
    assert " - " in first.group(1)  # the deal's name, not its id


def test_a_manager_without_a_rep_row_is_sent_to_the_team_pipeline(web: Web) -> None:
    answer = web.browser("manager_a").get("/my/pipeline", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/pipeline")


# --- the Reps page ---------------------------------------------------------------------------


def _rows(page: str) -> list[tuple[str, dict[str, str]]]:
    table = page[page.index('<table id="reps"') : page.index("</table>")]
    return [
        (
            rep_id,
            {col: _text(v) for col, v in re.findall(r'data-col="(\w+)">(.*?)</td>', row, re.S)},
        )
        for rep_id, row in re.findall(r'<tr data-rep-id="([^"]+)">(.*?)</tr>', table, re.S)
    ]


def test_reps_page_columns_are_the_per_rep_figures(web: Web) -> None:
    page = web.browser("manager_a").get("/reps", params={"as_of": AS_OF}).text
    scope = _scope(web, "manager_a")
    expected = {r["rep_id"]: r for r in _report(web, scope)["reps"]}
    rows = _rows(page)
    assert {rep_id for rep_id, _ in rows} == set(expected)  # the team's sellers, each once
    with web.store.session() as s:
        for rep_id, cells in rows:
            row = expected[rep_id]
            wow = week_over_week(s, scope, as_of=_when(), rep_id=rep_id)
            assert cells["won_value"] == figures.show("won_value_quarter", row["won_value"])
            assert cells["win_rate"] == figures.show("win_rate_quarter", row["win_rate"])
            assert cells["pipeline"] == figures.show("open_value", row["pipeline"])
            assert cells["coverage"].startswith(figures.show("coverage", row["coverage"]))
            assert cells["required_coverage"] == figures.show(
                "required_coverage", row["required_coverage"]
            )
            assert cells["activities"] == f"{wow.activities:,}"
            assert cells["buyer_responses"] == f"{wow.this_week['buyer responses']:,}"
            assert f'<a href="/reps/{rep_id}">{row["name"]}</a>' in page
    assert sum(int(c["activities"]) for _, c in rows) > 0


def _numbers(rows: list[tuple[str, dict[str, str]]], col: str) -> list[float]:
    return [float(re.sub(r"[^\d.]", "", c[col])) for _, c in rows if c[col] != "—"]


@pytest.mark.parametrize("sort", ["activities", "required_coverage", "won_value"])
def test_reps_page_sorts_on_the_server_both_ways(web: Web, sort: str) -> None:
    client = web.browser("admin")
    up = _rows(client.get("/reps", params={"as_of": AS_OF, "sort": sort}).text)
    down = _rows(client.get("/reps", params={"as_of": AS_OF, "sort": sort, "desc": "1"}).text)
    assert _numbers(up, sort) == sorted(_numbers(up, sort))
    assert _numbers(down, sort) == sorted(_numbers(down, sort), reverse=True)
    assert len(set(_numbers(up, sort))) > 1  # the order was there to get wrong
    assert {r for r, _ in up} == {r for r, _ in down}
    bad = client.get("/reps", params={"sort": "shoe_size"})
    assert bad.status_code == 422 and "sort" in bad.text


def test_reps_page_pages_through_every_rep(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    client = web.browser("admin")
    everyone = [r for r, _ in _rows(client.get("/reps", params={"as_of": AS_OF}).text)]
    monkeypatch.setattr(people, "PAGE", 5)
    seen: list[str] = []
    url: str | None = f"/reps?as_of={AS_OF}&sort=name"
    while url:
        page = client.get(htmllib.unescape(url)).text
        seen += [r for r, _ in _rows(page)]
        following = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = following.group(1) if following else None
    assert seen == everyone and len(everyone) > 5


def test_managers_without_quota_are_not_listed_as_reps(web: Web) -> None:
    managers = _managers_without_quota(web)
    assert managers, "the simulated org lists each team's manager as a rep row"
    client = web.browser("admin")
    page = client.get("/reps", params={"as_of": AS_OF}).text
    listed = {r for r, _ in _rows(page)}
    assert listed and not listed & managers
    menu = client.get("/opportunities").text
    assert not any(f'<option value="{m}"' in menu for m in managers)
    # A manager who carries a quota sells, and is listed.
    coach = sorted(managers)[0]
    with web.store.session() as s:
        s.execute(update(Rep).where(Rep.rep_id == coach).values(quota=100000))
    try:
        assert coach in {r for r, _ in _rows(client.get("/reps").text)}
    finally:
        with web.store.session() as s:
            s.execute(update(Rep).where(Rep.rep_id == coach).values(quota=None))


# --- the review badge ------------------------------------------------------------------------


def _badge(page: str) -> int:
    found = re.search(r'id="review-count"[^>]*>([\d,]+)<', page)
    return int(found.group(1).replace(",", "")) if found else 0


def _reachable(client: TestClient) -> list[int]:
    """Every item one reaches from /review by the Next links."""
    seen: list[int] = []
    url: str | None = "/review"
    while url:
        page = client.get(htmllib.unescape(url)).text
        seen += [int(i) for i in re.findall(r'data-activity-id="(\d+)"', page)]
        following = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = following.group(1) if following else None
    return seen


@pytest.mark.parametrize("role", ["manager_a", "rep_a", "admin"])
def test_review_badge_counts_what_paging_the_review_page_reaches(
    web: Web, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review, "PAGE", 2)  # several pages from the fixture's queue
    client = web.browser(role)
    home = client.get("/").text
    badge = _badge(home)
    assert badge > 2, "the fixture has more waiting threads than a page holds"
    assert _tile(home, "review") == f"{badge:,}"
    first = client.get("/review").text
    assert _badge(first) == badge
    heading = re.search(r'Review queue <span class="count">([\d,]+)<', first).group(1)
    assert int(heading.replace(",", "")) == badge
    seen = _reachable(client)
    assert len(seen) == len(set(seen)) == badge
    assert f"{badge:,} thread" in _text(first)
