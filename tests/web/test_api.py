"""The REST API on SQLite and PostgreSQL: scopes by role, pagination, filters, review, push."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rightturn.crm.model import Activity, ContactPhone, Opportunity, Rep, RepPhone
from tests.web.conftest import Web

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


def _all(client, path: str, **params) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every item of a cursor-paged list."""
    items, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        page = client.get(path, params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def _team_reps(web: Web, team: str) -> set[str]:
    with web.store.session() as s:
        return set(s.scalars(select(Rep.rep_id).where(Rep.team_id == team)))


# --- authentication ----------------------------------------------------------------------


def test_anonymous_and_bad_tokens_get_401(web: Web) -> None:
    client = web.client()
    answer = client.get("/api/v1/activities")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "items" not in answer.text
    for header in ("Bearer rt_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer "):
        bad = client.get("/api/v1/me", headers={"Authorization": header})
        assert bad.status_code == 401, header


def test_me_tells_the_role_and_scope(web: Web) -> None:
    me = web.client("manager_a").get("/api/v1/me").json()
    assert me["role"] == "manager"
    assert set(me["rep_ids"]) == _team_reps(web, web.team_a)
    assert web.client("admin").get("/api/v1/me").json()["rep_ids"] is None
    assert web.client("rep_a").get("/api/v1/me").json()["rep_ids"] == [web.rep_a]


# --- scopes --------------------------------------------------------------------------------


def test_a_rep_sees_only_their_own_activities_with_bodies(web: Web) -> None:
    mine = _all(web.client("rep_a"), "/api/v1/activities", limit=200)
    assert mine, "the busiest rep of team A has activities"
    assert {a["rep_id"] for a in mine} == {web.rep_a}
    assert len(mine) == web.count(Activity.rep_id == web.rep_a)
    assert any(a["body_excerpt"] for a in mine if a["kind"] == "email")


def test_a_rep_gets_404_for_anything_of_another_rep(web: Web) -> None:
    client = web.client("rep_a")
    with web.store.session() as s:
        theirs = s.scalar(select(Activity.activity_id).where(Activity.rep_id == web.rep_a2))
        their_opp = s.scalar(
            select(Opportunity.opportunity_id).where(Opportunity.owner_rep_id == web.rep_a2)
        )
    missing = client.get("/api/v1/activities/999999999")
    denied = client.get(f"/api/v1/activities/{theirs}")
    assert denied.status_code == missing.status_code == 404
    # Denied looks exactly like absent: nothing about the record leaks.
    assert set(denied.json()) == {"detail"}
    assert "999999999" not in denied.text and str(theirs) in denied.text
    assert client.get(f"/api/v1/opportunities/{their_opp}").status_code == 404
    assert client.get(f"/api/v1/reps/{web.rep_a2}").status_code == 404
    assert [r["rep_id"] for r in client.get("/api/v1/reps").json()["items"]] == [web.rep_a]
    # Asking for another rep's activities by filter returns nothing, not their records.
    assert client.get("/api/v1/activities", params={"rep_id": web.rep_a2}).json()["items"] == []
    opps = _all(client, "/api/v1/opportunities", limit=500)
    assert opps and {o["owner_rep_id"] for o in opps} == {web.rep_a}


def test_a_manager_sees_their_team_and_not_the_other(web: Web) -> None:
    team = _team_reps(web, web.team_a)
    client = web.client("manager_a")
    seen = _all(client, "/api/v1/activities", limit=500)
    assert {a["rep_id"] for a in seen} == team & {a["rep_id"] for a in seen}
    assert web.rep_a in {a["rep_id"] for a in seen} and web.rep_a2 in {a["rep_id"] for a in seen}
    assert len(seen) == web.count(Activity.rep_id.in_(team))
    with web.store.session() as s:
        other = s.scalar(select(Activity.activity_id).where(Activity.rep_id == web.rep_b))
    assert client.get(f"/api/v1/activities/{other}").status_code == 404
    assert {t["team_id"] for t in client.get("/api/v1/teams").json()["items"]} == {web.team_a}
    accounts = _all(client, "/api/v1/accounts", limit=500)
    everything = _all(web.client("admin"), "/api/v1/accounts", limit=500)
    assert 0 < len(accounts) < len(everything)


def test_an_admin_sees_everything(web: Web) -> None:
    seen = _all(web.client("admin"), "/api/v1/activities", limit=500)
    assert len(seen) == web.count()
    assert {web.rep_a, web.rep_b} <= {a["rep_id"] for a in seen}


# --- lists ---------------------------------------------------------------------------------


def test_cursor_pages_are_newest_first_without_gaps_or_repeats(web: Web) -> None:
    client = web.client("manager_a")
    pages = []
    cursor = None
    while True:
        body = client.get(
            "/api/v1/activities", params={"limit": 37, **({"cursor": cursor} if cursor else {})}
        ).json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(pages) > 3
    assert all(len(p) == 37 for p in pages[:-1])
    flat = [a for page in pages for a in page]
    ids = [a["activity_id"] for a in flat]
    assert len(ids) == len(set(ids)) == web.count(Activity.rep_id.in_(_team_reps(web, web.team_a)))
    keys = [(a["occurred_at"], a["activity_id"]) for a in flat]
    assert keys == sorted(keys, reverse=True)


def test_a_cursor_this_server_did_not_give_is_a_422(web: Web) -> None:
    answer = web.client("admin").get("/api/v1/activities", params={"cursor": "garbage!"})
    assert answer.status_code == 422
    assert "cursor" in answer.json()["detail"]


def test_activity_filters(web: Web) -> None:
    client = web.client("admin")
    calls = _all(client, "/api/v1/activities", kind="call", limit=500)
    assert calls and {a["kind"] for a in calls} == {"call"}
    assert len(calls) == web.count(Activity.kind == "call")
    until = datetime(2026, 6, 1, tzinfo=UTC)
    since = until - timedelta(days=7)
    week = _all(client, "/api/v1/activities", since=since.isoformat(), until=until.isoformat())
    assert week
    assert all(since <= datetime.fromisoformat(a["occurred_at"]) < until for a in week)
    assert len(week) == web.count(Activity.occurred_at >= since, Activity.occurred_at < until)
    review = _all(client, "/api/v1/activities", status="needs_review")
    assert {a["status"] for a in review} == {"needs_review"}
    bad = client.get("/api/v1/activities", params={"kind": "fax"})
    assert bad.status_code == 422
    assert "kind" in str(bad.json()["detail"])


def test_opportunity_detail_has_stage_history_and_contacts(web: Web) -> None:
    client = web.client("manager_a")
    with web.store.session() as s:
        busy = s.scalar(
            select(Activity.opportunity_id)
            .where(Activity.rep_id == web.rep_a, Activity.opportunity_id.is_not(None))
            .limit(1)
        )
    opp = client.get(f"/api/v1/opportunities/{busy}").json()
    assert opp["owner_rep_id"] in _team_reps(web, web.team_a)
    entered = [c["entered_at"] for c in opp["stage_history"]]
    assert entered and entered == sorted(entered)
    assert opp["stage_history"][-1]["stage"] == opp["stage"]
    assert any(c["activities"] > 0 for c in opp["contacts"])


def test_opportunity_list_sorts_and_filters(web: Web) -> None:
    client = web.client("admin")
    body = client.get(
        "/api/v1/opportunities", params={"status": "open", "sort": "amount", "desc": True}
    ).json()
    amounts = [o["amount"] for o in body["items"]]
    assert amounts == sorted(amounts, reverse=True)
    assert {o["status"] for o in body["items"]} == {"open"}
    with web.store.session() as s:
        assert body["total"] == len(
            list(s.scalars(select(Opportunity.opportunity_id).where(Opportunity.status == "open")))
        )
    assert client.get("/api/v1/opportunities", params={"sort": "nope"}).status_code == 422


def test_openapi_document_lists_the_api(web: Web) -> None:
    doc = web.client().get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/activities", "/api/v1/opportunities/{opportunity_id}", "/api/v1/review"):
        assert path in doc["paths"]
    assert "post" in doc["paths"]["/api/v1/activities"]
    for path, method in (
        ("/api/v1/review", "get"),
        ("/api/v1/review/{activity_id}/thread", "get"),
        ("/api/v1/review/{activity_id}", "post"),
    ):
        schema = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]
        assert "$ref" in schema["schema"], (path, schema)  # a declared response model
    assert not any(p.startswith("/login") for p in doc["paths"])


# --- review --------------------------------------------------------------------------------


def test_review_resolve_files_the_whole_thread_and_sticks(web: Web) -> None:
    client = web.client("manager_a")
    queue = client.get("/api/v1/review").json()
    assert queue["total"] >= len(queue["items"]) > 0
    item = next(i for i in queue["items"] if i["suggestions"])
    assert all(i["rep_id"] in _team_reps(web, web.team_a) for i in queue["items"])
    choice = item["suggestions"][-1]["opportunity_id"]  # not the top one: a real choice
    done = client.post(
        f"/api/v1/review/{item['activity_id']}",
        json={"action": "link", "opportunity_id": choice},
    )
    assert done.status_code == 200, done.text
    filed = done.json()["activity_ids"]
    assert item["activity_id"] in filed
    with web.store.session() as s:
        rows = list(s.scalars(select(Activity).where(Activity.activity_id.in_(filed))))
    assert {(a.opportunity_id, a.manual, a.status) for a in rows} == {(choice, True, "associated")}
    assert "manager_a@example.com" in rows[0].reason
    after = client.get("/api/v1/review").json()
    assert after["total"] == queue["total"] - 1
    assert item["activity_id"] not in {i["activity_id"] for i in after["items"]}


def test_review_choices_are_validated_and_scoped(web: Web) -> None:
    client = web.client("rep_b")
    with web.store.session() as s:
        not_theirs = s.scalar(
            select(Activity.activity_id).where(
                Activity.rep_id == web.rep_a, Activity.status == "needs_review"
            )
        )
        their_opp = s.scalar(
            select(Opportunity.opportunity_id).where(Opportunity.owner_rep_id == web.rep_b)
        )
    assert not_theirs is not None
    denied = client.post(
        f"/api/v1/review/{not_theirs}", json={"action": "link", "opportunity_id": their_opp}
    )
    assert denied.status_code == 404
    missing = client.post(f"/api/v1/review/{not_theirs}", json={"action": "link"})
    assert missing.status_code == 422
    assert "opportunity_id" in str(missing.json()["detail"])
    with web.store.session() as s:
        assert s.get(Activity, not_theirs).status == "needs_review"


def _walk(client, **params) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every item of the review queue, following ``next_cursor``."""
    answer = client.get("/api/v1/review", params={"limit": 9, **params}).json()
    items = list(answer["items"])
    while answer["next_cursor"]:
        answer = client.get(
            "/api/v1/review", params={"limit": 9, **params, "cursor": answer["next_cursor"]}
        ).json()
        items += answer["items"]
    return items


def test_review_pages_through_every_waiting_thread_once_in_either_order(web: Web) -> None:
    client = web.client("manager_a")
    total = client.get("/api/v1/review", params={"limit": 1}).json()["total"]
    assert total > 9, "the org should leave more than a page waiting"
    oldest, newest = _walk(client), _walk(client, order="newest")
    assert len(oldest) == len({i["activity_id"] for i in oldest}) == total
    assert [i["activity_id"] for i in newest] == [i["activity_id"] for i in reversed(oldest)]
    times = [i["occurred_at"] for i in oldest]
    assert times == sorted(times)
    assert {i["rep_id"] for i in oldest} <= _team_reps(web, web.team_a)
    first = oldest[0]
    assert first["rep_name"] and first["account"] and "excerpt" in first
    sug = next(i for i in oldest if i["suggestions"])["suggestions"]
    assert [s["rank"] for s in sug] == list(range(1, len(sug) + 1))
    assert all(s["name"] and s["contact_waiting"] >= 0 for s in sug)
    page = client.get("/api/v1/review", params={"limit": 9}).json()
    assert page["score_kind"] == "rank" and page["start"] == 0
    following = client.get(
        "/api/v1/review", params={"limit": 9, "cursor": page["next_cursor"]}
    ).json()
    back = client.get(
        "/api/v1/review", params={"limit": 9, "cursor": following["previous_cursor"]}
    ).json()
    assert back["items"] == page["items"] and following["start"] == 9


def test_review_filters_by_rep_account_and_kind(web: Web) -> None:
    client = web.client("admin")
    everything = _walk(client)
    mine = _walk(client, rep_id=web.rep_a2)
    assert mine and {i["rep_id"] for i in mine} == {web.rep_a2}
    assert len(mine) == sum(i["rep_id"] == web.rep_a2 for i in everything)
    account = everything[0]["account_id"]
    theirs = _walk(client, account_id=account)
    assert {i["account_id"] for i in theirs} == {account}
    for kind in ("email", "call", "meeting"):
        assert {i["kind"] for i in _walk(client, kind=kind)} <= {kind}
    # A rep filter outside the viewer's scope finds nothing rather than someone else's items.
    assert (
        web.client("rep_a").get("/api/v1/review", params={"rep_id": web.rep_b}).json()["total"] == 0
    )


def test_review_bad_parameters_are_422_naming_them(web: Web) -> None:
    client = web.client("manager_a")
    for params, name in (
        ({"order": "sideways"}, "order"),
        ({"kind": "fax"}, "kind"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
    ):
        answer = client.get("/api/v1/review", params=params)
        assert answer.status_code == 422, params
        assert name in str(answer.json()["detail"]), answer.text


def test_review_thread_is_on_demand_and_scoped(web: Web) -> None:
    client = web.client("manager_a")
    items = _walk(client)
    item = max(items, key=lambda i: i["thread_size"])
    thread = client.get(f"/api/v1/review/{item['activity_id']}/thread")
    assert thread.status_code == 200, thread.text
    messages = thread.json()["items"]
    assert item["activity_id"] in {m["activity_id"] for m in messages}
    assert len(messages) >= item["thread_size"]
    assert [m["occurred_at"] for m in messages] == sorted(m["occurred_at"] for m in messages)
    assert all(set(m) >= {"subject", "sender", "direction", "excerpt"} for m in messages)
    assert (
        web.client("rep_b").get(f"/api/v1/review/{item['activity_id']}/thread").status_code == 404
    )


def test_review_apply_to_contact_files_the_contacts_waiting_items_for_the_deal(web: Web) -> None:
    from rightturn.crm.model import OpportunityContact, Suggestion

    with web.store.session() as s:
        opp, contact = s.execute(
            select(Opportunity.opportunity_id, OpportunityContact.contact_id)
            .join(
                OpportunityContact, OpportunityContact.opportunity_id == Opportunity.opportunity_id
            )
            .where(Opportunity.owner_rep_id == web.rep_a, Opportunity.status == "open")
            .limit(1)
        ).one()
        account = s.get(Opportunity, opp).account_id
        ours = []
        for n in range(3):
            a = Activity(
                kind="email", direction="inbound", rep_id=web.rep_a, source="test",
                occurred_at=datetime(2026, 6, 1, 9, n, tzinfo=UTC), source_id=f"<group-{n}@t>",
                contact_id=contact, account_id=account, status="needs_review",
                subject=f"Group {n}",
            )  # fmt: skip
            s.add(a)
            s.flush()
            s.add(Suggestion(activity_id=a.activity_id, opportunity_id=opp, rank=1, score=0.5,
                             reason="test"))  # fmt: skip
            ours.append(a.activity_id)
    client = web.client("manager_a")
    wrong = client.post(
        f"/api/v1/review/{ours[0]}", json={"action": "account_only", "apply_to": "contact"}
    )
    assert wrong.status_code == 422 and "apply_to" in wrong.text
    done = client.post(
        f"/api/v1/review/{ours[0]}",
        json={"action": "link", "opportunity_id": opp, "apply_to": "contact"},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert set(ours) <= set(body["activity_ids"]) and body["threads"] >= 3
    with web.store.session() as s:
        rows = s.scalars(select(Activity).where(Activity.activity_id.in_(body["activity_ids"])))
        assert {(a.opportunity_id, a.status, a.manual) for a in rows} == {(opp, "associated", True)}
        assert {a.rep_id for a in rows} <= _team_reps(web, web.team_a)


# --- push ----------------------------------------------------------------------------------


def _phones(web: Web, rep_id: str) -> tuple[str, str]:
    """A phone of the rep and of a contact on one of the rep's open deals' accounts."""
    from rightturn.crm.model import Contact

    with web.store.session() as s:
        rep_phone = s.scalar(select(RepPhone.phone).where(RepPhone.rep_id == rep_id))
        account = s.scalar(
            select(Opportunity.account_id).where(
                Opportunity.owner_rep_id == rep_id, Opportunity.status == "open"
            )
        )
        contact_phone = s.scalar(
            select(ContactPhone.phone)
            .join(Contact, Contact.contact_id == ContactPhone.contact_id)
            .where(Contact.account_id == account)
        )
    assert rep_phone and contact_phone
    return rep_phone, contact_phone


def test_push_a_call_through_the_pipeline_once(web: Web) -> None:
    rep_phone, contact_phone = _phones(web, web.rep_a)
    call = {
        "kind": "call",
        "external_id": "dialer-42",
        "started_at": "2026-06-29T15:00:00+02:00",
        "from_number": rep_phone,
        "to_number": contact_phone,
        "direction": "outbound",
        "duration_s": 420,
        "outcome": "connected",
        "notes": "Walked through pricing; they want a proposal.",
    }
    client = web.client("rep_a")
    first = client.post("/api/v1/activities", json=call)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["outcome"] == "stored"
    stored = body["activity"]
    assert stored["kind"] == "call" and stored["source"] == "api"
    assert stored["rep_id"] == web.rep_a and stored["contact_id"]
    assert stored["occurred_at"].startswith("2026-06-29T13:00:00")
    again = client.post("/api/v1/activities", json=call)
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert again.json()["activity"]["activity_id"] == stored["activity_id"]
    assert web.count(Activity.source_id == "dialer-42") == 1
    # It is visible through the same API as captured activity.
    assert client.get(f"/api/v1/activities/{stored['activity_id']}").json()["duration_s"] == 420


def test_push_a_meeting(web: Web) -> None:
    with web.store.session() as s:
        from rightturn.crm.model import ContactEmail, RepEmail

        rep_email = s.scalar(select(RepEmail.email).where(RepEmail.rep_id == web.rep_b))
        contact_email = s.scalar(select(ContactEmail.email).limit(1))
    answer = web.client("manager_b").post(
        "/api/v1/activities",
        json={
            "kind": "meeting",
            "external_id": "zoom-7@meet.example",
            "started_at": "2026-06-28T09:00:00Z",
            "duration_s": 1800,
            "subject": "Demo",
            "organizer": rep_email,
            "attendees": [{"email": contact_email, "response": "accepted"}],
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["activity"]["rep_id"] == web.rep_b


def test_a_bad_push_is_a_422_naming_the_field(web: Web) -> None:
    client = web.client("admin")
    base = {"kind": "call", "external_id": "x1", "started_at": "2026-06-01T10:00:00Z"}
    missing = client.post("/api/v1/activities", json={**base, "from_number": "+14155550100"})
    assert missing.status_code == 422
    assert "to_number" in missing.text
    naive = client.post(
        "/api/v1/activities",
        json={**base, "started_at": "2026-06-01T10:00:00", "from_number": "1", "to_number": "2"},
    )
    assert naive.status_code == 422 and "time zone" in naive.text
    wrong = client.post(
        "/api/v1/activities",
        json={**base, "from_number": "not a number", "to_number": "+14155550100"},
    )
    assert wrong.status_code == 422 and "from_number" in wrong.text
    kind = client.post("/api/v1/activities", json={**base, "kind": "fax"})
    assert kind.status_code == 422 and "kind" in kind.text
    negative = client.post(
        "/api/v1/activities",
        json={
            **base,
            "from_number": "+14155550100",
            "to_number": "+14155550101",
            "duration_s": -5,
        },
    )
    assert negative.status_code == 422 and "duration_s" in negative.text
    assert web.count(Activity.source_id == "x1") == 0


def test_a_rep_cannot_push_another_reps_call(web: Web) -> None:
    rep_phone, contact_phone = _phones(web, web.rep_a)
    answer = web.client("rep_b").post(
        "/api/v1/activities",
        json={
            "kind": "call",
            "external_id": "dialer-spoof",
            "started_at": "2026-06-29T15:00:00Z",
            "from_number": rep_phone,
            "to_number": contact_phone,
        },
    )
    assert answer.status_code == 403
    assert web.count(Activity.source_id == "dialer-spoof") == 0


def test_activities_oldest_first_pages_the_other_way(web: Web) -> None:
    client = web.client("rep_b")
    newest = _all(client, "/api/v1/activities", limit=40)
    oldest = _all(client, "/api/v1/activities", limit=40, order="oldest")
    assert [a["activity_id"] for a in oldest] == [a["activity_id"] for a in reversed(newest)]


def test_pushing_an_id_another_rep_owns_is_refused_and_changes_nothing(web: Web) -> None:
    with web.store.session() as s:
        theirs = s.scalars(
            select(Activity).where(Activity.rep_id == web.rep_b, Activity.kind == "meeting")
        ).first()
        from rightturn.crm.model import RepEmail

        my_email = s.scalar(select(RepEmail.email).where(RepEmail.rep_id == web.rep_a))
    answer = web.client("rep_a").post(
        "/api/v1/activities",
        json={
            "kind": "meeting",
            "external_id": theirs.source_id,
            "started_at": "2026-06-28T09:00:00Z",
            "organizer": my_email,
        },
    )
    assert answer.status_code == 404
    assert theirs.subject not in answer.text if theirs.subject else True
    with web.store.session() as s:
        from rightturn.crm.model import ActivityParticipant

        addresses = set(
            s.scalars(
                select(ActivityParticipant.address).where(
                    ActivityParticipant.activity_id == theirs.activity_id
                )
            )
        )
    assert my_email not in addresses


def test_review_suggestions_show_only_visible_opportunities(web: Web) -> None:
    from rightturn.crm.model import Suggestion

    with web.store.session() as s:
        waiting = s.scalar(
            select(Activity.activity_id).where(
                Activity.rep_id == web.rep_a, Activity.status == "needs_review"
            )
        )
        foreign = s.scalar(
            select(Opportunity.opportunity_id).where(Opportunity.owner_rep_id == web.rep_b)
        )
        s.add(
            Suggestion(activity_id=waiting, opportunity_id=foreign, rank=9, score=0.1, reason="x")
        )
    try:

        def suggested(role: str) -> set[str]:
            items = web.client(role).get("/api/v1/review", params={"limit": 500}).json()["items"]
            return {
                sug["opportunity_id"]
                for item in items
                if item["activity_id"] == waiting
                for sug in item["suggestions"]
            }

        assert foreign in suggested("admin")
        assert foreign not in suggested("rep_a")
        assert foreign not in suggested("manager_a")
    finally:
        with web.store.session() as s:
            s.query(Suggestion).filter_by(activity_id=waiting, opportunity_id=foreign).delete()
