"""The Today page on the simulated org, SQLite and PostgreSQL: a rep's own guided day in the
domain's order, a manager's pick of their team, 404 outside the viewer's scope, and a buyer's
reply listed first until the rep's answer is captured."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from rightturn.crm.model import Activity, Contact, Disposition, Opportunity, Rep
from rightturn.crm.scope import Scope
from rightturn.process.today import guided_day
from tests.web.conftest import END, Web

DAY = END.isoformat()


def _kinds(page: str) -> list[str]:
    return re.findall(r'<tr data-kind="([a-z_]+)"', page)


def _reasons(page: str) -> list[str]:
    return [htmllib.unescape(r) for r in re.findall(r'<td class="reason">([^<]*)</td>', page)]


def test_a_rep_sees_their_own_day_in_the_domains_order(web: Web) -> None:
    page = web.browser("rep_a").get("/today", params={"date": DAY})
    assert page.status_code == 200, page.text
    expected = guided_day(web.store, web.rep_a, day=END, scope=Scope.everything())
    assert expected, "the simulated org should give the busiest rep something to do"
    assert _kinds(page.text) == [i.kind for i in expected]
    assert _reasons(page.text) == [i.reason for i in expected]
    assert 'href="/today"' in page.text and "Your day" in page.text
    assert 'name="rep_id"' not in page.text  # a rep has no picker


def test_a_manager_picks_a_rep_of_their_team(web: Web) -> None:
    client = web.browser("manager_a")
    with web.store.session() as s:
        name = s.scalar(select(Rep.name).where(Rep.rep_id == web.rep_a2))
        other = s.scalar(select(Rep.name).where(Rep.rep_id == web.rep_b))
    page = client.get("/today", params={"rep_id": web.rep_a2, "date": DAY})
    assert page.status_code == 200, page.text
    assert f"{htmllib.escape(str(name))}&#39;s day" in page.text or f"{name}'s day" in page.text
    assert f'<option value="{web.rep_a2}" selected>' in page.text
    assert htmllib.escape(str(other)) not in page.text  # the other team's rep is not offered
    expected = guided_day(web.store, web.rep_a2, day=END, scope=Scope.everything())
    assert _kinds(page.text) == [i.kind for i in expected]
    chooser = client.get("/today")
    assert chooser.status_code == 200 and "Choose a rep" in chooser.text


def test_a_rep_outside_the_viewers_scope_is_not_found(web: Web) -> None:
    assert web.browser("rep_a").get("/today", params={"rep_id": web.rep_b}).status_code == 404
    assert web.browser("manager_a").get("/today", params={"rep_id": web.rep_b}).status_code == 404
    assert web.browser("admin").get("/today", params={"rep_id": web.rep_b}).status_code == 200
    bad = web.browser("rep_a").get("/today", params={"date": "June"})
    assert bad.status_code == 422 and "date" in bad.text


def test_a_buyers_reply_is_first_until_the_answer_is_captured(web: Web) -> None:
    later = END + timedelta(days=1)  # after the simulated data: only our records differ
    with web.store.session() as s:
        contact_id, account_id = s.execute(
            select(Activity.contact_id, Contact.account_id)
            .join(Contact, Contact.contact_id == Activity.contact_id)
            .where(Activity.rep_id == web.rep_a)
            .order_by(Activity.occurred_at.desc(), Activity.activity_id)
            .limit(1)
        ).one()
        reply = datetime.combine(later, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
        s.add(_activity(web.rep_a, contact_id, account_id, reply, "inbound", "today-reply"))
    client = web.browser("rep_a")
    page = client.get("/today", params={"date": later.isoformat()})
    rows = re.findall(r'<tr data-kind="([a-z_]+)"[^>]*data-contact-id="([^"]+)"', page.text)
    assert ("reply_due", contact_id) in rows
    kinds = _kinds(page.text)  # every reply comes before anything else
    assert kinds[: kinds.count("reply_due")] == ["reply_due"] * kinds.count("reply_due")

    with web.store.session() as s:
        answer = reply + timedelta(hours=2)
        s.add(_activity(web.rep_a, contact_id, account_id, answer, "outbound", "today-answer"))
    page = client.get("/today", params={"date": later.isoformat()})
    assert ("reply_due", contact_id) not in re.findall(
        r'<tr data-kind="([a-z_]+)"[^>]*data-contact-id="([^"]+)"', page.text
    )


def _activity(
    rep: str, contact: str, account: str | None, at: datetime, direction: str, source_id: str
) -> Activity:
    return Activity(
        kind="email",
        direction=direction,
        occurred_at=at,
        rep_id=rep,
        contact_id=contact,
        account_id=account,
        source="test",
        source_id=source_id,
        status="associated",
        subject="Pricing question",
    )


def test_the_day_defaults_to_today(web: Web) -> None:
    page = web.browser("rep_a").get("/today")
    assert page.status_code == 200
    assert datetime.now(UTC).date().isoformat() in page.text
    assert date.fromisoformat(DAY) == END


# --- dispositions from the panel --------------------------------------------------------------


def _form(client, **fields: str):  # type: ignore[no-untyped-def]
    """Post the Today page's decision form as a browser does (with the CSRF cookie's token)."""
    data = {"csrf_token": client.cookies["rt_csrf"], **fields}
    return client.post("/today/disposition", data=data, follow_redirects=False)


def _rows(page: str) -> list[tuple[str, str]]:
    """(kind, contact or deal id) of each row, as its decision form names it."""
    return re.findall(
        r'<tr data-kind="([a-z_]+)"[^>]*data-(?:opportunity|contact)-id="([^"]+)"', page
    )


def test_a_rep_postpones_a_prospect_and_it_leaves_the_day_with_a_notice(web: Web) -> None:
    client = web.browser("rep_a")
    today = datetime.now(UTC).date()
    page = client.get("/today")
    assert 'action="/today/disposition"' in page.text
    prospects = [
        i
        for i in guided_day(web.store, web.rep_a, day=today, scope=Scope.everything())
        if i.kind == "new_prospect"
    ]
    assert prospects, "the simulated org's rep should have prospects to start today"
    chosen = prospects[0]
    until = today + timedelta(days=14)
    answer = _form(
        client,
        rep_id=web.rep_a,
        kind="postpone",
        contact_id=str(chosen.contact_id),
        on=until.isoformat(),
        date=today.isoformat(),
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"/today?rep_id={web.rep_a}&date={today}")
    page = client.get(answer.headers["location"])
    notice = htmllib.unescape(re.search(r'id="recorded"[^>]*>([^<]*)<', page.text).group(1))
    assert f"Recorded: {chosen.contact} postponed until {until}." in notice
    assert chosen.contact_id not in [who for _, who in _rows(page.text)]
    decided = htmllib.unescape(page.text.split('id="decided"')[1])
    assert f"{chosen.contact} postponed until {until}" in decided
    assert web.emails["rep_a"] in decided


def test_a_decision_the_process_refuses_is_the_page_again_with_the_message(web: Web) -> None:
    client = web.browser("rep_a")
    client.get("/today")
    deal = _own_deal(web, web.rep_a)
    before = _count_dispositions(web)
    for fields, message in (
        ({"kind": "postpone"}, "postpone needs the date to postpone until"),
        ({"kind": "disqualify"}, "disqualify needs a reason from the process in force"),
        ({"kind": "disqualify", "reason": "rude"}, "&#39;rude&#39; is not one of: no budget"),
        ({"kind": "snooze"}, "is not a disposition"),
        ({"kind": "postpone", "on": "soon"}, "is not a date like"),
    ):
        answer = _form(client, rep_id=web.rep_a, opportunity_id=deal, **fields)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert 'id="problem"' in answer.text and message in answer.text, message
        assert "Your day" in answer.text  # the page again, not an error page
    assert _count_dispositions(web) == before


def test_decisions_stay_in_scope(web: Web) -> None:
    rep, manager = web.browser("rep_a"), web.browser("manager_a")
    rep.get("/today")
    manager.get("/today")
    theirs = _own_deal(web, web.rep_b)
    before = _count_dispositions(web)
    # Another rep's deal, or deciding for another rep: not found, as a page.
    for client, fields in (
        (rep, {"rep_id": web.rep_a, "opportunity_id": theirs}),
        (rep, {"rep_id": web.rep_b, "opportunity_id": theirs}),
        (manager, {"rep_id": web.rep_b, "opportunity_id": theirs}),
        # A teammate's deal is not the rep's own, even for their manager.
        (manager, {"rep_id": web.rep_a2, "opportunity_id": _own_deal(web, web.rep_a)}),
    ):
        answer = _form(client, kind="archive", **fields)
        assert answer.status_code == 404 and "Not found" in answer.text, fields
    assert _count_dispositions(web) == before
    # A stale form (no CSRF token) is refused.
    stale = rep.post(
        "/today/disposition",
        data={"rep_id": web.rep_a, "kind": "archive", "opportunity_id": theirs},
    )
    assert stale.status_code == 403 and "reload the page" in stale.text
    # The manager decides for a rep of their team, on that rep's deal.
    mine = _own_deal(web, web.rep_a2)
    answer = _form(manager, rep_id=web.rep_a2, kind="qualify", opportunity_id=mine)
    assert answer.status_code == 303 and _count_dispositions(web) == before + 1
    page = manager.get(answer.headers["location"])
    assert "Recorded: " in page.text and "qualified. Its play ends." in page.text


def test_a_past_day_offers_no_decisions(web: Web) -> None:
    page = web.browser("rep_a").get("/today", params={"date": DAY})
    assert page.status_code == 200
    assert 'action="/today/disposition"' not in page.text
    assert "open today's list to record one" in page.text


def _own_deal(web: Web, rep: str) -> str:
    with web.store.session() as s:
        deal = s.scalar(
            select(Opportunity.opportunity_id)
            .where(Opportunity.owner_rep_id == rep, Opportunity.status == "open")
            .order_by(Opportunity.opportunity_id)
            .limit(1)
        )
    assert deal, f"the simulated org should give {rep} an open deal"
    return deal


def _count_dispositions(web: Web) -> int:
    with web.store.session() as s:
        return s.scalar(select(func.count()).select_from(Disposition)) or 0
