"""The guided day on a hand-made store: replies first and gone once answered, touches due by
the cadence and gone once captured, dark and stalled deals, new prospects, the ranking rule, and
the ``rightturn today`` JSON contract."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from typer.testing import CliRunner

from rightturn.cli import app
from rightturn.crm.model import (
    Account,
    Activity,
    Contact,
    Opportunity,
    Rep,
    StageChange,
    Team,
)
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.errors import NotFound
from rightturn.process.day_items import (
    CONTRACT_KEYS,
    KINDS,
    OVERDUE_CAP,
    URGENCY,
    DayItem,
    rank,
    score,
)
from rightturn.process.definition import default_process
from rightturn.process.today import guided_day, resolve_rep

DAY = date(2026, 6, 15)
_ids = count(1)


def at(days_before: float, hour: int = 10) -> datetime:
    """A time ``days_before`` the day (at ``hour`` UTC)."""
    return datetime(DAY.year, DAY.month, DAY.day, hour, tzinfo=UTC) - timedelta(days=days_before)


def activity(
    rep: str, contact: str | None, when: datetime, direction: str, **kw: object
) -> Activity:
    return Activity(
        kind=kw.pop("kind", "email"),
        direction=direction,
        occurred_at=when,
        rep_id=rep,
        contact_id=contact,
        source="test",
        source_id=f"a{next(_ids)}",
        status="associated",
        **kw,
    )


@pytest.fixture
def org(store: Store) -> Store:
    """Team T: reps R1 (Ann Lee) and R2; accounts BIG (Enterprise) and SMALL (SMB); R1 owns two
    open deals, neither with any buyer response (so both dark)."""
    with store.session() as s:
        s.add(Team(team_id="T", name="Team"))
        s.flush()
        s.add_all(
            [
                Rep(rep_id="R1", name="Ann Lee", team_id="T"),
                Rep(rep_id="R2", name="Bo Chen", team_id="T"),
                Account(account_id="BIG", name="Big Co", segment="Enterprise", employees=9000),
                Account(account_id="SMALL", name="Small Co", segment="SMB", employees=20),
                Account(account_id="MID", name="Mid Co", segment="Mid-Market", employees=800),
            ]
        )
        s.flush()
        s.add_all(
            [
                Contact(contact_id="C1", account_id="BIG", name="Cara Buyer", title="CFO"),
                Contact(contact_id="C2", account_id="SMALL", name="Dan Prospect"),
                Contact(contact_id="C3", account_id="MID", name="Eve Fresh"),
                Contact(contact_id="C4", account_id="SMALL", name="Fay Fresh"),
            ]
        )
        for oid, account, amount in (("O1", "BIG", 90_000), ("O2", "SMALL", 10_000)):
            s.add(
                Opportunity(
                    opportunity_id=oid,
                    account_id=account,
                    owner_rep_id="R1",
                    name=f"{account} deal",
                    amount=amount,
                    stage="Qualification",
                    status="open",
                    created_at=at(60),
                )
            )
        s.flush()
        for oid in ("O1", "O2"):
            s.add(StageChange(opportunity_id=oid, stage="Qualification", entered_at=at(60)))
        # R1 works MID through an old activity, so MID's contacts are R1's prospects too.
        s.add(activity("R1", None, at(200), "outbound", account_id="MID"))
    return store


def day_of(store: Store, rep: str = "R1", on: date = DAY) -> list[DayItem]:
    return guided_day(store, rep, day=on, scope=Scope.everything())


def test_an_unanswered_reply_is_listed_first_and_goes_once_answered(org: Store) -> None:
    with org.session() as s:
        s.add(activity("R1", "C2", at(5), "outbound", account_id="SMALL"))
        s.add(activity("R1", "C2", at(2), "inbound", account_id="SMALL", subject="Re: hello"))
    items = day_of(org)
    assert items[0].kind == "reply_due"
    assert (items[0].contact_id, items[0].account_id) == ("C2", "SMALL")
    assert items[0].contact == "Dan Prospect" and items[0].account == "Small Co"
    assert items[0].due == at(2).date()
    assert "2 days ago" in items[0].reason and "Re: hello" in items[0].reason
    # The big dark deal outscores the reply, yet the reply stays first.
    assert any(i.kind == "deal_dark" and i.score > items[0].score for i in items)

    with org.session() as s:  # the rep's answer is captured
        s.add(activity("R1", "C2", at(1), "outbound", account_id="SMALL"))
    assert not [i for i in day_of(org) if i.kind == "reply_due"]


def test_an_answer_before_the_reply_does_not_count_and_a_thread_answer_does(org: Store) -> None:
    with org.session() as s:
        s.add(activity("R1", "C1", at(3), "inbound", kind="call", account_id="BIG"))
        s.add(activity("R1", "C1", at(4), "outbound", account_id="BIG"))
        s.add(activity("R1", "C3", at(3), "inbound", thread_id="t-9", account_id="MID"))
        # Answered on the thread, to a colleague of the buyer's (no contact on the row).
        s.add(activity("R1", None, at(2), "outbound", thread_id="t-9", account_id="MID"))
    replies = [i for i in day_of(org) if i.kind == "reply_due"]
    assert [(i.contact_id, i.reason.startswith("The buyer called")) for i in replies] == [
        ("C1", True)
    ]


def test_writing_to_a_colleague_on_the_same_deal_does_not_answer_the_buyer(org: Store) -> None:
    with org.session() as s:
        s.add(Contact(contact_id="C5", account_id="BIG", name="Gil Colleague"))
        s.flush()
        s.add(activity("R1", "C1", at(4), "inbound", account_id="BIG", opportunity_id="O1"))
        s.add(activity("R1", "C5", at(2), "outbound", account_id="BIG", opportunity_id="O1"))
    assert [i.contact_id for i in day_of(org) if i.kind == "reply_due"] == ["C1"]


def test_a_reply_after_the_day_is_not_due_yet_and_another_reps_reply_is_not_mine(
    org: Store,
) -> None:
    with org.session() as s:
        s.add(activity("R1", "C1", at(-1), "inbound", account_id="BIG"))
        s.add(activity("R2", "C3", at(1), "inbound", account_id="MID"))
    assert not [i for i in day_of(org) if i.kind == "reply_due"]
    assert [i.contact_id for i in day_of(org, "R2") if i.kind == "reply_due"] == ["C3"]


def test_the_next_touch_is_due_by_the_cadence_and_gone_once_captured(org: Store) -> None:
    cadence = default_process().cadence_for("prospect", "SMB")
    assert cadence is not None
    # C4 at SMALL has no deal naming them, but R1 has an open deal at SMALL: use MID's C3.
    with org.session() as s:
        s.add(activity("R1", "C3", at(3), "outbound", account_id="MID"))  # touch 1
    touches = [i for i in day_of(org) if i.kind == "touch_due"]
    wait = cadence.touches[1].wait_days
    assert [(i.contact_id, i.due) for i in touches] == [("C3", (at(3) + timedelta(wait)).date())]
    late = (DAY - touches[0].due).days
    assert f"Touch 2 of {len(cadence.touches)}" in touches[0].reason
    assert cadence.touches[1].channel in touches[0].reason
    assert (f"{late} days overdue" if late > 1 else "overdue") in touches[0].reason

    with org.session() as s:  # touch 2 is done today: touch 3 waits its days
        s.add(activity("R1", "C3", at(0, 9), "outbound", kind="call", account_id="MID"))
    assert not [i for i in day_of(org) if i.kind == "touch_due"]
    # ... and falls due once its wait has passed.
    later = DAY + timedelta(days=cadence.touches[2].wait_days)
    due = [i for i in day_of(org, on=later) if i.kind == "touch_due"]
    assert [(i.contact_id, "Touch 3" in i.reason) for i in due] == [("C3", True)]


def test_an_abandoned_sequence_has_no_touch_due(org: Store) -> None:
    with org.session() as s:
        s.add(activity("R1", "C3", at(45), "outbound", account_id="MID"))
    assert not [i for i in day_of(org) if i.kind == "touch_due"]


def test_dark_and_stalled_deals_come_from_the_process_limits(org: Store) -> None:
    with org.session() as s:  # opened 5 days ago, no response yet: new, not dark
        s.add(
            Opportunity(
                opportunity_id="O3",
                account_id="MID",
                owner_rep_id="R1",
                amount=500_000,
                stage="Qualification",
                status="open",
                created_at=at(5),
            )
        )
    items = day_of(org)
    dark = [i for i in items if i.kind == "deal_dark"]
    assert [i.opportunity_id for i in dark] == ["O1", "O2"]  # larger first
    assert dark[0].opportunity == "BIG deal" and dark[0].account == "Big Co"
    # Qualification's usual_days is 21 in the default process and both sat 60 days: dark deals
    # are listed once, their reason saying they are stalled too.
    note = "also in Qualification 60 days, beyond the process's usual 21 days"
    assert all(note in i.reason and "none since it opened" in i.reason for i in dark)
    assert not [i for i in items if i.kind == "stalled"]

    with org.session() as s:  # a buyer reply on O1 lights it up: stalled, not dark
        s.add(activity("R1", "C1", at(3), "inbound", account_id="BIG", opportunity_id="O1"))
        s.add(activity("R1", "C1", at(2), "outbound", account_id="BIG", opportunity_id="O1"))
        from rightturn.crm.model import BuyerAction

        s.add(BuyerAction(kind="reply", occurred_at=at(3), rep_id="R1", opportunity_id="O1"))
    items = day_of(org)
    assert [i.opportunity_id for i in items if i.kind == "deal_dark"] == ["O2"]
    stalled = [i for i in items if i.kind == "stalled"]
    assert [i.opportunity_id for i in stalled] == ["O1"]
    assert stalled[0].due == (at(60) + timedelta(days=21)).date()


def test_new_prospects_fill_the_days_capacity_larger_segments_first(org: Store) -> None:
    items = [i for i in day_of(org) if i.kind == "new_prospect"]
    # C3 (MID, no deal) is a prospect; C1, C2 and C4 sit at accounts with R1's open deals.
    assert [i.contact_id for i in items] == ["C3"]
    process = default_process()
    none_left = process.model_copy(
        update={"day": process.day.model_copy(update={"new_prospects_per_day": 0})}
    )
    plan = guided_day(org, "R1", day=DAY, scope=Scope.everything(), process=none_left)
    assert not [i for i in plan if i.kind == "new_prospect"]
    with org.session() as s:  # contacted last month: resting, not new
        s.add(activity("R2", "C3", at(40), "outbound", account_id="MID"))
    assert not [i for i in day_of(org) if i.kind == "new_prospect"]


def test_the_process_in_force_that_day_sets_the_capacity(org: Store) -> None:
    from rightturn.process.definition import FILES
    from rightturn.process.versions import apply_process

    text = (FILES / "default.yaml").read_text(encoding="utf-8")
    assert "new_prospects_per_day: 10" in text
    apply_process(
        org, text.replace("new_prospects_per_day: 10", "new_prospects_per_day: 0"), who="t"
    )
    now = datetime.now(UTC).date()
    # Applied now: today has no room for new prospects; the day before it was applied had.
    assert not [i for i in day_of(org, on=now) if i.kind == "new_prospect"]
    assert [i.contact_id for i in day_of(org) if i.kind == "new_prospect"] == ["C3"]


def test_the_list_follows_the_documented_score(org: Store) -> None:
    with org.session() as s:
        s.add(activity("R1", "C3", at(3), "outbound", account_id="MID"))
        s.add(activity("R1", "C2", at(2), "inbound", account_id="SMALL"))
    items = day_of(org)
    assert {i.kind for i in items} >= {"reply_due", "touch_due", "deal_dark"}
    assert items == rank(reversed(items))
    rest = [i.score for i in items if i.kind != "reply_due"]
    assert rest == sorted(rest, reverse=True)
    touch = next(i for i in items if i.kind == "touch_due")
    # A Mid-Market prospect's weight, overdue by whole days since due.
    assert touch.score == score("touch_due", (DAY - touch.due).days, 0.2)


def test_score_and_rank_rules() -> None:
    assert score("reply_due", 0, 1.0) == URGENCY["reply_due"]
    assert score("touch_due", 2, 1.0) == URGENCY["touch_due"] * 3
    assert score("touch_due", OVERDUE_CAP + 30, 1.0) == score("touch_due", OVERDUE_CAP, 1.0)
    assert score("deal_dark", 0, 0.0) > 0  # a $0 deal still ranks

    def item(kind: str, s: float, oid: str) -> DayItem:
        return DayItem(kind, "A", None, oid, DAY, "why", s)

    reply = item("reply_due", 0.1, "z")
    big, tie_a, tie_b = (
        item("deal_dark", 50, "b"),
        item("stalled", 5, "a"),
        item("deal_dark", 5, "c"),
    )
    assert rank([tie_a, big, tie_b, reply]) == [reply, big, tie_b, tie_a]
    assert set(KINDS) == set(URGENCY)


def test_another_teams_rep_is_not_found_and_a_name_names_a_rep(org: Store) -> None:
    with pytest.raises(NotFound):
        guided_day(org, "R2", day=DAY, scope=Scope(frozenset({"R1"})))
    assert resolve_rep(org, "ann lee") == "R1"
    assert resolve_rep(org, "R2") == "R2"
    with pytest.raises(NotFound):
        resolve_rep(org, "Nobody")


def test_cli_json_has_the_contract_keys_in_order(org: Store, db_url: str) -> None:
    with org.session() as s:
        s.add(activity("R1", "C2", at(1), "inbound", account_id="SMALL"))
    result = CliRunner().invoke(
        app, ["today", "--rep", "Ann Lee", "--date", DAY.isoformat(), "--json", "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(tuple(r) == CONTRACT_KEYS for r in rows)
    assert rows[0]["kind"] == "reply_due" and rows[0]["due"] == at(1).date().isoformat()
    assert all(isinstance(r["score"], float) for r in rows)
    assert [r["opportunity_id"] for r in rows if r["kind"] == "deal_dark"] == ["O1", "O2"]

    table = CliRunner().invoke(
        app, ["today", "--rep", "R1", "--date", "2026-06-15", "--db", db_url]
    )
    assert table.exit_code == 0 and f"{len(rows)} to do" in table.stdout
    assert "Ann Lee's day" in table.stdout  # the rep by name, not R1
    bad = CliRunner().invoke(app, ["today", "--rep", "R1", "--date", "June", "--db", db_url])
    assert bad.exit_code == 2 and "--date" in bad.output
