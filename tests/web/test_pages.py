"""The panel's pages, rendered on SQLite and PostgreSQL, as each role sees them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from rightturn.crm.model import Activity, Opportunity, Rep
from tests.web.conftest import Web

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


def test_home_shows_the_teams_week_charts_and_quiet_deals(web: Web) -> None:
    client = web.browser("manager_a")
    page = client.get("/", params={"as_of": "2026-06-30"})
    assert page.status_code == 200
    html = page.text
    assert "Your team's week" in html
    # The emails tile counts the team's non-internal emails of the last 7 days.
    with web.store.session() as s:
        team = list(s.scalars(select(Rep.rep_id).where(Rep.team_id == web.team_a)))
    from datetime import UTC, datetime, time, timedelta

    end = datetime.combine(datetime(2026, 6, 30).date(), time.max, tzinfo=UTC)
    emails = web.count(
        Activity.rep_id.in_(team),
        Activity.kind == "email",
        Activity.direction != "internal",
        Activity.occurred_at >= end - timedelta(days=7),
        Activity.occurred_at < end,
    )
    tile = re.search(r'data-metric="email">.*?tile-value">([\d,]+)<', html, re.S)
    assert tile and int(tile.group(1).replace(",", "")) == emails > 0
    assert 'id="chart-week"' in html and 'id="chart-pipeline"' in html
    assert "/vendor/plotly.min.js" in html
    assert "Deals without buyer activity in 14 days" in html


def test_plotly_is_served_locally(web: Web) -> None:
    js = web.client().get("/vendor/plotly.min.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert len(js.content) > 1_000_000 and b"plotly" in js.content[:2000].lower()


def test_opportunity_page_shows_timeline_with_reasons(web: Web) -> None:
    with web.store.session() as s:
        opp_id, n = s.execute(
            select(Activity.opportunity_id, func.count())
            .where(Activity.rep_id == web.rep_a, Activity.opportunity_id.is_not(None))
            .group_by(Activity.opportunity_id)
            .order_by(func.count().desc())
        ).first()
        name = s.get(Opportunity, opp_id).name
    page = web.browser("rep_a").get(f"/opportunities/{opp_id}")
    assert page.status_code == 200
    assert name in page.text
    assert page.text.count('class="activity ') == min(n, 50)
    assert "Stage history" in page.text and 'id="stage-history"' in page.text
    assert re.search(r'class="confidence"[^>]*>\d+%<', page.text)


def test_a_rep_cannot_open_another_reps_pages(web: Web) -> None:
    client = web.browser("rep_a")
    with web.store.session() as s:
        theirs = s.scalar(
            select(Opportunity.opportunity_id).where(Opportunity.owner_rep_id == web.rep_b)
        )
    for path in (f"/opportunities/{theirs}", f"/reps/{web.rep_b}"):
        page = client.get(path)
        assert page.status_code == 404
        assert "Not found" in page.text
    listing = client.get("/opportunities", params={"q": theirs})
    assert f'href="/opportunities/{theirs}"' not in listing.text
    assert "No opportunities match" in listing.text


def test_opportunity_table_sorts_and_filters(web: Web) -> None:
    client = web.browser("admin")
    page = client.get("/opportunities", params={"status": "open", "sort": "amount", "desc": "1"})
    assert page.status_code == 200
    amounts = [
        int(a.replace(",", ""))
        for a in re.findall(r'<td class="num"[^>]*>\$([\d,]+)</td>', page.text)
    ]
    assert len(amounts) == 50 and amounts == sorted(amounts, reverse=True)
    assert "<td>won</td>" not in page.text and "<td>lost</td>" not in page.text
    # The active sort column says so, for screen readers too.
    assert 'aria-sort="descending"' in page.text
    empty = client.get("/opportunities", params={"q": "no such deal anywhere"})
    assert "No opportunities match" in empty.text and "Clear the filters" in empty.text


def test_rep_page_has_the_activity_mix_chart(web: Web) -> None:
    page = web.browser("manager_a").get(f"/reps/{web.rep_a}", params={"as_of": "2026-06-30"})
    assert page.status_code == 200
    assert 'id="chart-mix"' in page.text
    assert "activity mix per week" in page.text
    assert "Open opportunities" in page.text


def test_activities_page_filters_by_kind(web: Web) -> None:
    page = web.browser("admin").get("/activities", params={"kind": "meeting"})
    kinds = re.findall(r"<tr[^>]*><td[^>]*>[^<]+</td><td>(\w+) ", page.text)
    assert kinds and set(kinds) == {"meeting"}
    bad = web.browser("admin").get("/activities", params={"kind": "fax"})
    assert bad.status_code == 422 and "kind" in bad.text


def test_review_page_resolves_in_one_click(web: Web) -> None:
    client = web.browser("manager_b")
    page = client.get("/review")
    total = int(re.search(r'Review queue <span class="count">([\d,]+)<', page.text).group(1))
    target = re.search(r'action="/review/(\d+)"', page.text).group(1)
    form = re.search(
        rf'action="/review/{target}".*?name="opportunity_id" value="([^"]+)"', page.text, re.S
    )
    answer = client.post(
        f"/review/{target}",
        data={
            "action": "link",
            "opportunity_id": form.group(1),
            "csrf_token": client.cookies["rt_csrf"],
        },
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert "Filed " in answer.text
    after = int(re.search(r'Review queue <span class="count">([\d,]+)<', answer.text).group(1))
    assert after == total - 1
    with web.store.session() as s:
        chosen = s.get(Activity, int(target))
        assert (chosen.opportunity_id, chosen.manual) == (form.group(1), True)


def test_review_page_filters_and_says_what_it_shows(web: Web) -> None:
    client = web.browser("manager_a")
    page = client.get("/review", params={"order": "newest"})
    assert page.status_code == 200
    total = int(re.search(r'Review queue <span class="count">([\d,]+)<', page.text).group(1))
    assert re.search(rf"showing 1–\d+ of {total:,}", page.text)
    assert "waiting" in page.text and "a ranking, not a probability" in page.text
    assert not re.search(r'class="rank">[^<]*%', page.text)  # a rank, never a bare percentage
    assert "1st choice" in page.text and "Show the thread" in page.text
    with web.store.session() as s:
        rep_name = s.get(Rep, web.rep_a2).name
    assert f'<option value="{web.rep_a2}"' in page.text and rep_name in page.text
    one = client.get("/review", params={"rep_id": web.rep_a2, "kind": "email"})
    reps = set(re.findall(r'<span class="rep">([^<]+)</span>', one.text))
    assert reps <= {rep_name}
    assert "match these filters" in one.text


def test_review_page_errors_are_styled_pages_naming_the_field(web: Web) -> None:
    client = web.browser("manager_a")
    for params, name in (
        ({"order": "sideways"}, "order"),
        ({"kind": "fax"}, "kind"),
        ({"cursor": "nope"}, "cursor"),
    ):
        answer = client.get("/review", params=params)
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
        assert "That request is not valid" in answer.text and name in answer.text
    target = re.search(r'action="/review/(\d+)"', client.get("/review").text).group(1)
    for data in ({}, {"action": "account_only", "apply_to": "contact"}):
        answer = client.post(
            f"/review/{target}", data={**data, "csrf_token": client.cookies["rt_csrf"]}
        )
        assert answer.status_code == 422 and "text/html" in answer.headers["content-type"]
    missing = client.get("/review/999999999/thread")
    assert missing.status_code == 404 and "Not found" in missing.text


def test_review_page_files_and_returns_to_the_same_page_and_filters(web: Web) -> None:
    client = web.browser("manager_a")
    first = client.get("/review", params={"kind": "email", "order": "newest"}).text
    target = re.search(r'data-activity-id="(\d+)"', first).group(1)
    thread = client.get(f"/review/{target}/thread", params={"fragment": 1})
    assert thread.status_code == 200 and "thread-messages" in thread.text
    assert "<html" not in thread.text  # a fragment for the disclosure
    assert "<html" in client.get(f"/review/{target}/thread").text
    back = re.search(r'name="back" value="([^"]+)"', first).group(1).replace("&amp;", "&")
    answer = client.post(
        f"/review/{target}",
        data={"action": "unlink", "back": back, "csrf_token": client.cookies["rt_csrf"]},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    where = answer.headers["location"]
    assert where.startswith("/review?") and "kind=email" in where and "order=newest" in where
    shown = client.get(where)
    assert "Filed 1 thread" in shown.text and 'class="notice banner"' in shown.text
    assert f'data-activity-id="{target}"' not in shown.text


def test_empty_states_tell_what_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from rightturn.crm.store import Store
    from rightturn.crm.users import add_user
    from rightturn.web.app import create_app
    from tests.web.conftest import PASSWORD, sign_in

    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    add_user(store, "admin@example.com", PASSWORD, role="admin")
    client = TestClient(create_app(store), base_url="https://testserver")
    assert sign_in(client, "admin@example.com").status_code == 303
    home = client.get("/").text
    assert "No activity captured yet" in home and "rightturn capture" in home
    assert "rightturn import crm" in home
    assert "No mail captured yet" in client.get("/activities").text
    assert "Nothing waits for review" in client.get("/review").text


def test_bad_addresses_in_the_browser_are_styled_pages_never_json(web: Web) -> None:
    client = web.browser("manager_a")
    for path, status, words in (
        ("/no-such-page", 404, "no such page"),
        ("/opportunities?offset=-5", 422, "offset"),
        ("/opportunities?desc=sideways", 422, "desc"),
        ("/review/abc/thread", 422, "activity_id"),
    ):
        answer = client.get(path)
        assert answer.status_code == status, (path, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), path
        assert words in answer.text and '{"detail"' not in answer.text, path
    # and the API keeps answering in JSON
    api = web.client("manager_a").get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"
