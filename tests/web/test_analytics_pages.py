"""The pipeline-analytics pages (pipeline, velocity, waterfall, Pareto and what-if), on SQLite and
PostgreSQL, checked against the domain functions for each viewer's scope."""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from rightturn.analytics.definitions import FIGURES, WINDOWS
from rightturn.analytics.flow import WATERFALL_BARS
from rightturn.analytics.metrics import headline
from rightturn.analytics.report import metrics_report, whatif_report
from rightturn.analytics.snapshot import as_of_datetime, load_snapshot
from rightturn.crm.model import Activity, Opportunity, Rep, Team
from rightturn.crm.queries import aware
from rightturn.crm.scope import Scope, scope_for
from rightturn.web import charts
from tests.web.conftest import PASSWORD, Web, sign_in

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow

AS_OF = "2026-06-30"
DAY = date(2026, 6, 30)


def _scope(web: Web, role: str) -> Scope:
    rep_id = {"rep_a": web.rep_a, "rep_b": web.rep_b}.get(role)
    team_id = {"manager_a": web.team_a, "manager_b": web.team_b}.get(role)
    kind = "admin" if role == "admin" else "manager" if role.startswith("manager") else "rep"
    with web.store.session() as s:
        return scope_for(s, kind, rep_id, team_id)


def _report(web: Web, role: str, **kw: Any) -> dict[str, Any]:
    return metrics_report(web.store, _scope(web, role), as_of=DAY, **kw)


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"


def _text(page: str) -> str:
    """The page's text with tags dropped and entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", page)))


def _part(page: str, start: str, end: str) -> str:
    """The page from ``start`` to the first ``end`` after it."""
    begin = page.index(start)
    return page[begin : page.index(end, begin)]


def _links(page: str) -> list[str]:
    return re.findall(r'href="/opportunities/([^"]+)"', page)


def _traces(page: str, chart: str) -> list[dict[str, Any]]:
    """The Plotly traces of the chart ``chart`` on the page (its JSON data)."""
    found = re.search(rf'Plotly\.newPlot\(\s*"{chart}",\s*(\[.*?\]),\s*\{{"template"', page, re.S)
    assert found, chart
    return json.loads(found.group(1))


def _team(web: Web, team_id: str) -> set[str]:
    with web.store.session() as s:
        return set(s.scalars(select(Rep.rep_id).where(Rep.team_id == team_id)))


# --- /pipeline -------------------------------------------------------------------------------


def test_pipeline_page_shows_the_viewers_metrics(web: Web) -> None:
    page = web.browser("manager_a").get("/pipeline", params={"as_of": AS_OF})
    assert page.status_code == 200
    expected = _report(web, "manager_a", period="Q", sections=())
    won = re.search(r'data-count="won">([\d,]+)<', page.text)
    assert won and int(won.group(1).replace(",", "")) == expected["won"] > 0
    lost = re.search(r'data-count="lost">([\d,]+)<', page.text)
    assert lost and int(lost.group(1).replace(",", "")) == expected["lost"]
    win_rate = re.search(r'"><span data-figure="win_rate_quarter"[^>]*>(\d+)%<', page.text)
    assert win_rate and int(win_rate.group(1)) == round(expected["win_rate"] * 100)
    tile = re.search(r'tile-value"><span data-figure="won_value_quarter"[^>]*>([^<]+)<', page.text)
    assert tile and tile.group(1) == _money(expected["won_value"])
    assert f"{expected['period_start']} to {expected['period_end']}" in page.text
    # The funnel and the coverage chart, drawn by the locally served Plotly.
    assert 'id="chart-funnel"' in page.text and 'id="chart-coverage"' in page.text
    assert '"type":"funnel"' in page.text
    assert "/vendor/plotly.min.js" in page.text
    assert "x quota left" in page.text


def test_a_manager_sees_only_their_teams_reps_in_the_coverage_table(web: Web) -> None:
    page = web.browser("manager_a").get("/pipeline", params={"as_of": AS_OF}).text
    table = _part(page, 'id="rep-coverage"', "</table>")
    shown = set(re.findall(r'data-rep-id="([^"]+)"', table))
    expected = {r["rep_id"] for r in _report(web, "manager_a", period="Q", sections=())["reps"]}
    assert shown == expected and shown
    assert shown <= _team(web, web.team_a)
    assert not shown & _team(web, web.team_b)
    assert '<table id="rep-coverage" class="sortable">' in page
    # Each rep's coverage against their own need, with the flag.
    for rep in _report(web, "manager_a", period="Q", sections=())["reps"]:
        row = re.search(rf'data-rep-id="{rep["rep_id"]}">(.*?)</tr>', table, re.S)
        assert row, rep["rep_id"]
        cells = _text(row.group(1))
        assert (rep["coverage_flag"] or "") in cells
        if rep["required_coverage"] is not None:
            assert f"{rep['required_coverage']:.2f}x" in cells


def test_the_month_changes_the_period(web: Web) -> None:
    page = web.browser("admin").get("/pipeline", params={"as_of": AS_OF, "period": "M"})
    assert page.status_code == 200
    assert "this month: 2026-06-01 to 2026-06-30" in page.text
    expected = _report(web, "admin", period="M", sections=())
    won = re.search(r'data-count="won">([\d,]+)<', page.text)
    assert won and int(won.group(1).replace(",", "")) == expected["won"]
    bad = web.browser("admin").get("/pipeline", params={"period": "Y"})
    assert bad.status_code == 422 and "period" in bad.text
    bad_day = web.browser("admin").get("/pipeline", params={"as_of": "30/06/2026"})
    assert bad_day.status_code == 422 and "not a date" in bad_day.text


def test_pipeline_lists_integrity_flags_with_their_deals(web: Web) -> None:
    page = web.browser("admin").get("/pipeline", params={"as_of": AS_OF}).text
    flags = _report(web, "admin", period="Q", sections=("integrity",), deals_per_flag=50)[
        "integrity"
    ]
    assert any(f["count"] for f in flags.values())
    for name, flag in flags.items():
        row = re.search(rf'<tr data-flag="{name}">(.*?)</tr>', page, re.S)
        assert row, name
        assert f">{flag['count']:,}<" in row.group(1) and _money(flag["value"]) in row.group(1)
        if not flag["count"]:
            assert f'id="flag-{name}"' not in page
            continue
        details = _part(page, f'<details class="deals" id="flag-{name}">', "</details>")
        assert _links(details) == [d["opportunity_id"] for d in flag["deals"]]


# --- /velocity -------------------------------------------------------------------------------


def test_velocity_page_shows_time_in_stage_stalled_deals_and_flow(web: Web) -> None:
    page = web.browser("manager_b").get("/velocity", params={"as_of": AS_OF})
    assert page.status_code == 200
    report = _report(web, "manager_b", sections=("velocity", "flow"), deals_per_flag=50)
    v, law = report["velocity"], report["flow"]["littles_law"]
    for chart in ("chart-stage-time", "chart-cfd", "chart-throughput"):
        assert f'id="{chart}"' in page.text
    stalled = re.search(r'data-metric="stalled">.*?tile-value"><a[^>]*>([\d,]+)<', page.text, re.S)
    assert stalled and int(stalled.group(1).replace(",", "")) == v["stalled"]["count"]
    table = _part(page.text, 'id="stalled-deals"', "</table>")
    assert _links(table) == [d["opportunity_id"] for d in v["stalled"]["deals"]]
    text = _text(page.text)
    assert f"{_money(v['sales_velocity_per_month'])} a month" in text
    assert "Little's law" in text and f"predicts {law['predicted_wip']:,.1f} in progress" in text
    # Every stage of the process shows in the chart's data.
    for t in v["stage_times"]:
        assert t["stage"] in page.text


# --- /waterfall ------------------------------------------------------------------------------


def test_waterfall_lists_the_bars_in_order_with_the_end_value(web: Web) -> None:
    page = web.browser("admin").get("/waterfall", params={"as_of": AS_OF, "period": "M"})
    assert page.status_code == 200
    w = _report(web, "admin", period="M", sections=("waterfall",))["waterfall"]
    assert w["balanced"]
    rows = re.findall(r'<tr data-bar="(\w+)">(.*?)</tr>', page.text, re.S)
    assert [bar for bar, _ in rows] == list(WATERFALL_BARS)
    by_bar = {b["bar"]: b for b in w["bars"]}
    for bar, cells in rows:
        assert f">{by_bar[bar]['deals']:,}<" in cells
    end = dict(rows)["end"]
    assert re.findall(r'class="num">([^<]+)</td>', end)[-1] == _money(by_bar["end"]["value"])
    start = dict(rows)["start"]
    assert _money(by_bar["start"]["value"]) in start and by_bar["start"]["value"] > 0
    # The chart's bars float: the totals stand on zero, the others on the running level.
    traces = _traces(page.text, "chart-waterfall")
    assert len(traces) == 1 and traces[0]["type"] == "bar"
    bases, heights = traces[0]["base"], traces[0]["y"]
    assert bases[0] == 0 and heights[0] == pytest.approx(by_bar["start"]["value"])
    assert bases[-1] == 0 and heights[-1] == pytest.approx(by_bar["end"]["value"])
    # Each bar's deals are links to the opportunities.
    for bar in w["bars"]:
        if bar["deals"]:
            part = _part(page.text, f'id="bar-{bar["bar"]}"', "</details>")
            assert _links(part) == bar["opportunity_ids"][:50]


# --- /pareto and the what-if form ------------------------------------------------------------


def test_pareto_page_ranks_reps_and_compares_the_top_group(web: Web) -> None:
    page = web.browser("admin").get("/pareto", params={"as_of": AS_OF})
    assert page.status_code == 200
    p = _report(web, "admin", sections=("pareto",))["pareto"]
    assert 'id="chart-pareto"' in page.text and '"yaxis":"y2"' in page.text
    # The bars are the reps by won value, largest first.
    chart = page.text[page.text.index('id="chart-pareto"') :]
    bars = json.loads(re.search(r'"x":(\[[^\]]*\])', chart).group(1))
    values = json.loads(re.search(r'"y":(\[[^\]]*\])', chart).group(1))
    assert bars == [c["name"] for c in p["curve"]] and len(bars) == p["reps"]
    assert values == sorted(values, reverse=True) and values[0] > 0
    text = _text(page.text)
    assert f"of won value, from {p['top_reps']} of {p['reps']} reps" in text
    assert len(re.findall(r'<tr data-metric="\w+"><td>', page.text)) == len(p["comparison"]) + 2
    uplift = p["whatif"]["win_rate"]["uplift"]
    row = re.search(r'id="whatif-top".*?<tr data-metric="win_rate">(.*?)</tr>', page.text, re.S)
    assert row and f"+{_money(uplift)}" in row.group(1)


def test_the_whatif_form_computes_for_the_viewers_scope(web: Web) -> None:
    client = web.browser("manager_a")
    page = client.get(
        "/pareto",
        params={"as_of": AS_OF, "metric": "win_rate", "from": "0.2", "to": "0.3", "team": ""},
    )
    assert page.status_code == 200
    expected = whatif_report(
        web.store, _scope(web, "manager_a"), metric="win_rate", before=0.2, after=0.3, as_of=DAY
    )
    result = _part(page.text, 'id="whatif-result"', "</table>")
    revenue = re.search(r'data-row="revenue">(.*?)</tr>', result, re.S).group(1)
    assert _money(expected["revenue_from"]) in revenue
    assert _money(expected["revenue_to"]) in revenue
    assert f"+{_money(expected['revenue_gain'])}" in revenue
    pipeline = re.search(r'data-row="pipeline">(.*?)</tr>', result, re.S).group(1)
    assert f"−{_money(expected['pipeline_no_longer_needed'])}" in pipeline
    assert _money(expected["annual_quota"]) in pipeline
    # The form keeps what was typed.
    assert 'name="from" value="0.2"' in page.text and 'name="to" value="0.3"' in page.text


def test_the_whatif_form_refuses_nonsense_rates_in_plain_words(web: Web) -> None:
    client = web.browser("manager_a")
    for params, message in (
        ({"from": "1e-9", "to": "0.3"}, "today's win rate '1e-9' is below 1%"),
        ({"from": "0.3", "to": "1"}, "the target win rate '1' is above 99%"),
        ({"from": "0.3", "to": "150"}, "'150' is not a win rate between 0 and 1"),
        ({"from": "33", "to": "0.5"}, "for 33% write 33% or 0.33"),
        ({"from": "abc", "to": "0.3"}, "today's win rate 'abc' is not a number"),
        ({"from": "0.3", "to": "0.2"}, "the target win rate 20% is below today's 30%"),
        ({"from": "30%", "to": "30%"}, "the target win rate 30% is today's"),
        ({"from": "0.2"}, "give the win rate to reach"),
        ({"from": "0.2", "to": "0.3", "team": web.team_b}, f"no team {web.team_b!r}"),
    ):
        page = client.get("/pareto", params={"as_of": AS_OF, **params})
        assert page.status_code == 422, params
        error = re.search(r'<p class="error" role="alert">([^<]+)</p>', page.text)
        assert error and message in htmllib.unescape(error.group(1)), (params, error)
        assert 'id="whatif-result"' not in page.text
        assert 'id="chart-pareto"' in page.text  # the rest of the page is still there
        assert "$8,399,999" not in page.text and "At 0%" not in page.text


def test_the_whatif_form_takes_percents_and_a_decrease_when_ticked(web: Web) -> None:
    client = web.browser("manager_a")
    scope = _scope(web, "manager_a")
    page = client.get("/pareto", params={"as_of": AS_OF, "from": "20%", "to": "0.3"})
    assert page.status_code == 200
    expected = whatif_report(web.store, scope, metric="win_rate", before=0.2, after=0.3, as_of=DAY)
    revenue = _part(page.text, 'data-row="revenue"', "</tr>")
    assert f"+{_money(expected['revenue_gain'])}" in revenue
    # A lower target is computed only when asked for, and shown as the loss it is.
    lower = {"as_of": AS_OF, "from": "30%", "to": "20%", "decrease": "true"}
    page = client.get("/pareto", params=lower)
    assert page.status_code == 200
    drop = whatif_report(
        web.store, scope, metric="win_rate", before=0.3, after=0.2, as_of=DAY, allow_decrease=True
    )
    assert drop["revenue_gain"] < 0
    revenue = _part(page.text, 'data-row="revenue"', "</tr>")
    assert f"−{_money(-drop['revenue_gain'])}" in revenue
    assert 'name="decrease" value="true" checked' in page.text


def test_the_whatif_form_shows_todays_rate_as_a_placeholder_not_a_value(web: Web) -> None:
    page = web.browser("manager_a").get("/pareto", params={"as_of": AS_OF}).text
    today = _report(web, "manager_a", sections=())["win_rate"]
    field = re.search(r'<input name="from"[^>]*>', page)
    assert field and 'value=""' in field.group(0)
    assert f'placeholder="{today:.0%}"' in field.group(0)
    # Sent empty, "today" is that same rate.
    answer = web.browser("manager_a").get("/pareto", params={"as_of": AS_OF, "to": "0.9"})
    assert answer.status_code == 200
    head = _text(_part(answer.text, 'id="whatif-result"', "</tr>"))
    assert f"At {today:.0%}" in head and "At 90%" in head


# --- scope and empty states ------------------------------------------------------------------


def test_pages_name_teams_and_the_whatif_form_takes_a_team_as_people_write_it(web: Web) -> None:
    with web.store.session() as s:
        names = {t.team_id: t.name for t in s.scalars(select(Team))}
    assert all(name != team_id for team_id, name in names.items())  # "East 1", not "east-1"
    client = web.browser("admin")
    table = _part(
        client.get("/pipeline", params={"as_of": AS_OF}).text, 'id="rep-coverage"', "</table>"
    )
    teams = re.findall(r'<tr data-rep-id="[^"]+">\s*<td>.*?</td>\s*<td>([^<]*)</td>', table)
    assert teams and set(teams) <= set(names.values())
    page = client.get("/pareto", params={"as_of": AS_OF}).text
    options = re.findall(r'<option value="([^"]+)"(?: selected)?>([^<]+)</option>', page)
    assert options and all(names[team_id] == name for team_id, name in options)
    typed = names[web.team_a].lower()  # as a person might type it into the URL
    page = client.get("/pareto", params={"as_of": AS_OF, "from": "0.2", "to": "0.3", "team": typed})
    assert page.status_code == 200
    assert f"For team {names[web.team_a]}" in _text(_part(page.text, 'id="whatif-result"', "</tr>"))
    assert f'<option value="{web.team_a}" selected>' in page.text
    expected = whatif_report(
        web.store, metric="win_rate", before=0.2, after=0.3, team=web.team_a, as_of=DAY
    )
    assert expected["team"] == names[web.team_a]
    assert _money(expected["revenue_gain"]).lstrip("$") in page.text


def test_a_rep_sees_only_their_own_numbers(web: Web) -> None:
    client = web.browser("rep_a")
    with web.store.session() as s:
        other = s.get(Rep, web.rep_b).name
        theirs = set(
            s.scalars(
                select(Opportunity.opportunity_id).where(Opportunity.owner_rep_id == web.rep_b)
            )
        )
    # The team's Pipeline page is the rep's own (/my/pipeline); Top performers, a ranking of
    # one, is a team page (tests/web/test_rep_pages.py).
    pipeline = client.get("/pipeline", params={"as_of": AS_OF}).text
    assert re.findall(r'data-rep-id="([^"]+)"', pipeline) == [web.rep_a]
    for path, params in (
        ("/pipeline", {}),
        ("/my/deals", {}),
        ("/velocity", {}),
        ("/waterfall", {"period": "M"}),
        ("/pareto", {}),
    ):
        page = client.get(path, params={"as_of": AS_OF, **params})
        assert page.status_code == (403 if path == "/pareto" else 200), path
        assert other not in page.text, path
        linked = set(re.findall(r'href="/opportunities/([^"/]+)"', page.text))
        assert not linked & theirs, path


def test_nav_links_to_the_analytics_pages(web: Web) -> None:
    home = web.browser("manager_b").get("/", params={"as_of": AS_OF}).text
    for path in ("/pipeline", "/velocity", "/waterfall", "/pareto"):
        assert f'href="{path}"' in home
    mine = web.browser("rep_b").get("/", params={"as_of": AS_OF}).text
    for path in ("/my/pipeline", "/my/deals", "/velocity", "/waterfall"):
        assert f'href="{path}"' in mine


def test_analytics_pages_on_an_empty_store_say_what_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from rightturn.crm.store import Store
    from rightturn.crm.users import add_user
    from rightturn.web.app import create_app

    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        add_user(store, "admin@example.com", PASSWORD, role="admin")
        client = TestClient(create_app(store), base_url="https://testserver")
        assert sign_in(client, "admin@example.com").status_code == 303
        for path in ("/pipeline", "/velocity", "/waterfall", "/pareto"):
            page = client.get(path)
            assert page.status_code == 200, (path, page.text[-500:])
            assert "No closed deals yet" in page.text, path
            assert "rightturn import crm DIR" in page.text, path
            assert "main-svg" not in page.text and 'class="plotly-graph-div' not in page.text
    finally:
        store.close()


# --- one definition per figure: names, tooltips, the glossary, colours, empty states ---------

FIGURE = re.compile(r'<span data-figure="(\w+)" title="([^"]*)">([^<]*)</span>')
NAME = re.compile(
    r'<span class="figure-name" data-figure-name="(\w+)">([^<]*)<a class="info" '
    r'href="/glossary#\1" title="([^"]*)"'
)
PAGES = ("/", "/pipeline", "/velocity", "/waterfall", "/pareto")


def _figures(page: str) -> dict[str, set[str]]:
    """Each figure the page shows (by registry key) and the texts it shows it as."""
    shown: dict[str, set[str]] = {}
    for key, _, text in FIGURE.findall(page):
        shown.setdefault(key, set()).add(htmllib.unescape(text))
    return shown


def test_each_shared_figure_reads_the_same_on_every_page(web: Web) -> None:
    # Computed once, by the one function every page reads them from.
    with web.store.session() as s:
        snap = load_snapshot(s, _scope(web, "manager_a"), as_of_datetime(DAY))
    overall, quarter = headline(snap), headline(snap, "Q")
    expected = {
        "win_rate": f"{overall['win_rate']:.0%}",
        "avg_deal": _money(overall["avg_deal"]),
        "cycle_days_median": f"{overall['cycle_days_median']:,.0f} days",
        "win_rate_quarter": f"{quarter['win_rate']:.0%}",
        "won_value_quarter": _money(quarter["won_value"]),
    }
    where = {  # the pages each figure is on
        "win_rate": ("/pipeline", "/velocity", "/pareto"),
        "avg_deal": ("/pipeline", "/velocity"),
        "cycle_days_median": ("/pipeline", "/velocity"),
        "win_rate_quarter": ("/pipeline",),
        "won_value_quarter": ("/pipeline", "/waterfall"),
    }
    client = web.browser("manager_a")
    shown = {path: _figures(client.get(path, params={"as_of": AS_OF}).text) for path in PAGES}
    for key, text in expected.items():
        for path in where[key]:
            assert shown[path].get(key) == {text}, (key, path, shown[path].get(key), text)
        # Wherever else it shows, it shows the same.
        for path, figures in shown.items():
            assert figures.get(key, {text}) == {text}, (key, path)
    # The two windows are named apart on the page that shows both.
    pipeline = _text(client.get("/pipeline", params={"as_of": AS_OF}).text)
    assert "Win rate, this quarter" in pipeline and "over all closed deals" in pipeline
    assert "Win rate, all closed deals" in _text(client.get("/velocity").text)


def test_the_glossary_lists_every_figure_and_each_figure_carries_its_tooltip(web: Web) -> None:
    client = web.browser("manager_b")
    glossary = client.get("/glossary")
    assert glossary.status_code == 200
    listed = set(re.findall(r'<(?:tr|dt) id="(\w+)"', glossary.text))
    assert listed == set(FIGURES)
    text = _text(glossary.text)
    for figure in FIGURES.values():
        assert figure.name in text and figure.counts in text, figure.key
        if figure.window:
            assert WINDOWS[figure.window] in text, figure.key
    assert 'href="/glossary"' in client.get("/").text  # in every page's footer
    used: set[str] = set()
    for path in PAGES:
        page = client.get(path, params={"as_of": AS_OF}).text
        values, names = FIGURE.findall(page), NAME.findall(page)
        assert values or names, path
        for key, title, _ in values:
            assert htmllib.unescape(title) == f"{FIGURES[key].name}: {FIGURES[key].tooltip}"
            used.add(key)
        for key, name, title in names:
            assert htmllib.unescape(name) == FIGURES[key].name, (path, key)
            assert htmllib.unescape(title) == f"{FIGURES[key].name}: {FIGURES[key].tooltip}"
            used.add(key)
    # The jargon is explained where it is used.
    assert {"p90", "wip", "littles_law", "time_to_close", "sales_velocity"} <= used


def test_won_is_green_and_lost_red_on_every_chart(web: Web) -> None:
    won, lost = charts.OUTCOME_COLORS["won"], charts.OUTCOME_COLORS["lost"]
    css = (Path(charts.__file__).parent / "static" / "app.css").read_text()
    assert f"--won:{won};" in css and f"--lost:{lost};" in css
    client = web.browser("admin")
    velocity = client.get("/velocity", params={"as_of": AS_OF}).text
    colours = {t["name"]: t["marker"]["color"] for t in _traces(velocity, "chart-throughput")}
    assert colours == {"Won": won, "Lost": lost}
    waterfall = client.get("/waterfall", params={"as_of": AS_OF, "period": "M"}).text
    bars = _traces(waterfall, "chart-waterfall")[0]["marker"]["color"]
    assert bars[WATERFALL_BARS.index("won")] == won and bars[WATERFALL_BARS.index("lost")] == lost
    pipeline = client.get("/pipeline", params={"as_of": AS_OF}).text
    funnel = _traces(pipeline, "chart-funnel")[0]
    assert funnel["y"][-1] == "Won" and funnel["marker"]["color"][-1] == won
    # Nothing else is drawn in either colour, so green always means won and red lost.
    for page, chart in (
        (velocity, "chart-throughput"),
        (velocity, "chart-stage-time"),
        (velocity, "chart-cfd"),
        (waterfall, "chart-waterfall"),
        (pipeline, "chart-funnel"),
        (pipeline, "chart-coverage"),
        (client.get("/pareto", params={"as_of": AS_OF}).text, "chart-pareto"),
    ):
        data = json.dumps(_traces(page, chart))
        assert data.count(won) == (chart in ("chart-throughput", "chart-waterfall", "chart-funnel"))
        assert data.count(lost) == (chart in ("chart-throughput", "chart-waterfall"))


def test_a_date_outside_the_data_says_where_the_data_is(web: Web) -> None:
    with web.store.session() as s:
        firsts = [
            s.scalar(select(func.min(Opportunity.created_at))),
            s.scalar(select(func.min(Activity.occurred_at))),
        ]
        lasts = [
            s.scalar(select(func.max(Opportunity.created_at))),
            s.scalar(select(func.max(Opportunity.closed_at))),
            s.scalar(select(func.max(Activity.occurred_at))),
        ]
    first = min(aware(v) for v in firsts if v is not None).date()
    last = max(aware(v) for v in lasts if v is not None).date()
    client = web.browser("admin")
    for path in PAGES:
        page = client.get(path, params={"as_of": "1999-01-01"})
        assert page.status_code == 200, path
        text = _text(page.text)
        assert f"No deals as of 1999-01-01; the data starts {first}" in text, path
        assert "import crm" not in text, path
        assert f'href="{path}?as_of={first}"' in page.text, path
    for path in ("/pipeline", "/velocity", "/waterfall", "/pareto"):
        text = _text(client.get(path, params={"as_of": "2099-01-01"}).text)
        assert f"the data ends {last}" in text or f"after the data, which ends {last}" in text
        assert "import crm" not in text, path
    # A live org's data ends a little before today: a weekend's gap is no news, a longer one is.
    from datetime import timedelta

    from rightturn.analytics.span import QUIET_GRACE

    quiet = client.get("/pipeline", params={"as_of": str(last + timedelta(days=QUIET_GRACE))})
    assert 'data-span="after"' not in quiet.text
    stale = client.get("/pipeline", params={"as_of": str(last + timedelta(days=QUIET_GRACE + 1))})
    assert 'data-span="after"' in stale.text
