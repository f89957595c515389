"""The Today page on the simulated org, SQLite and PostgreSQL: a rep's own guided day in the
domain's order, a manager's pick of their team, 404 outside the viewer's scope, and a buyer's
reply listed first until the rep's answer is captured."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from rightturn.crm.model import Activity, Contact, Rep
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
