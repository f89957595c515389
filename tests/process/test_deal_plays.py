"""Deal-stage cadences on the guided day's hand-made store: the play starts when the deal enters
its stage, the next touch is due by the plan and gone once captured (any channel, the reason
saying when it was not the plan's), the cadence's exit rules end it, a postponed deal leaves the
day, and the ``rightturn today --json`` contract is unchanged."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import update
from typer.testing import CliRunner

from rightturn.cli import app
from rightturn.crm.model import BuyerAction, Opportunity, StageChange
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.process.day_items import CONTRACT_KEYS, KINDS, DayItem, rank
from rightturn.process.definition import default_process
from rightturn.process.dispositions import record_disposition
from tests.process.test_today import DAY, activity, at, day_of, org  # noqa: F401  (fixture)

PLAY = default_process().cadence_for("Proposal")


def to_proposal(store: Store, days_before: float, deal: str = "O1") -> None:
    """``deal`` (R1's, at BIG, Qualification since 60 days) enters Proposal ``days_before``."""
    with store.session() as s:
        s.execute(
            update(Opportunity)
            .where(Opportunity.opportunity_id == deal)
            .values(stage="Proposal", name="Big Co - Atlas")
        )
        s.add(StageChange(opportunity_id=deal, stage="Proposal", entered_at=at(days_before)))


def deal_touches(store: Store, **kw: object) -> list[DayItem]:
    return [i for i in day_of(store, **kw) if i.kind == "touch_due" and i.opportunity_id]  # type: ignore[arg-type]


def test_a_deal_entering_a_stage_with_a_cadence_is_due_its_first_touch(org: Store) -> None:  # noqa: F811
    assert PLAY is not None and PLAY.touches[0].template
    to_proposal(org, 4)
    items = day_of(org)
    [touch] = [i for i in items if i.kind == "touch_due"]
    assert (touch.opportunity_id, touch.account_id, touch.contact_id) == ("O1", "BIG", None)
    assert touch.due == at(4).date() and touch.opportunity == "Big Co - Atlas"
    first = PLAY.touches[0]
    assert touch.reason.startswith(
        f"Big Co - Atlas: touch 1 of {len(PLAY.touches)}, {first.channel}, "
        f"template {first.template}, of {PLAY.name!r}; 4 days overdue"
    )
    assert "in Proposal since" in touch.reason and "no touch yet" in touch.reason
    # The deal is dark too: listed once, as the touch, the reason saying so.
    assert "also dark: no buyer response" in touch.reason
    assert [i.kind for i in items if i.opportunity_id == "O1"] == ["touch_due"]
    # O2 (in Qualification, no cadence) is still dark.
    assert [i.opportunity_id for i in items if i.kind == "deal_dark"] == ["O2"]
    assert items == rank(items)


def test_a_captured_touch_moves_the_play_on_and_an_off_plan_channel_is_named(org: Store) -> None:  # noqa: F811
    assert PLAY is not None
    to_proposal(org, 6)
    with org.session() as s:  # touch 1, a call where the plan says email, filed on the deal
        s.add(
            activity(
                "R1", "C1", at(5), "outbound", kind="call", account_id="BIG", opportunity_id="O1"
            )
        )
    [touch] = deal_touches(org)
    # Touch 2 is due on the plan's day (entry + its wait) or its wait after touch 1 if later.
    wait = PLAY.touches[1].wait_days
    assert touch.due == max(at(6) + timedelta(days=wait), at(5) + timedelta(days=wait)).date()
    assert f"touch 2 of {len(PLAY.touches)}, {PLAY.touches[1].channel}" in touch.reason
    assert "touch 1 was a call where the plan said email" in touch.reason

    with org.session() as s:  # touch 2, captured today: nothing due until touch 3's wait
        s.add(
            activity(
                "R1", "C1", at(0, 8), "outbound", kind="call", account_id="BIG", opportunity_id="O1"
            )
        )
    assert deal_touches(org) == []
    later = DAY + timedelta(days=PLAY.touches[2].wait_days)
    [third] = deal_touches(org, on=later)
    assert "touch 3 of 3" in third.reason and "2 touches done" in third.reason

    with org.session() as s:  # the last touch: the play is complete
        s.add(activity("R1", None, at(-1), "outbound", account_id="BIG", opportunity_id="O1"))
    assert deal_touches(org, on=later + timedelta(days=30)) == []


def test_a_late_first_touch_leaves_the_next_its_wait(org: Store) -> None:  # noqa: F811
    assert PLAY is not None
    to_proposal(org, 20)
    with org.session() as s:
        s.add(activity("R1", "C1", at(1), "outbound", account_id="BIG", opportunity_id="O1"))
    # The plan's day for touch 2 is long past, but it waits its days after touch 1.
    assert deal_touches(org) == []
    due = (at(1) + timedelta(days=PLAY.touches[1].wait_days)).date()
    assert [i.due for i in deal_touches(org, on=due)] == [due]


def test_touches_before_the_stage_day_or_by_another_rep_do_not_count(org: Store) -> None:  # noqa: F811
    to_proposal(org, 3)
    with org.session() as s:
        s.add(activity("R1", "C1", at(10), "outbound", account_id="BIG", opportunity_id="O1"))
        s.add(activity("R2", "C1", at(2), "outbound", account_id="BIG", opportunity_id="O1"))
    [touch] = deal_touches(org)
    assert "touch 1 of 3" in touch.reason
    # The proposal sent an hour before the deal moved to Proposal (at 10:00) is touch 1.
    with org.session() as s:
        s.add(activity("R1", "C1", at(3, 9), "outbound", account_id="BIG", opportunity_id="O1"))
    [touch] = deal_touches(org)
    assert "touch 2 of 3" in touch.reason


def test_a_buyer_reply_or_a_meeting_since_the_stage_ends_the_play(org: Store) -> None:  # noqa: F811
    to_proposal(org, 5)
    with org.session() as s:  # a reply before the stage does not end it
        s.add(BuyerAction(kind="reply", occurred_at=at(8), rep_id="R1", opportunity_id="O1"))
    assert len(deal_touches(org)) == 1
    with org.session() as s:
        s.add(BuyerAction(kind="reply", occurred_at=at(2), rep_id="R1", opportunity_id="O1"))
    assert deal_touches(org) == []
    # A meeting on the other deal ends its play the same way.
    to_proposal(org, 5, "O2")
    assert [i.opportunity_id for i in deal_touches(org)] == ["O2"]
    with org.session() as s:
        s.add(
            activity(
                "R1",
                None,
                at(1),
                "outbound",
                kind="meeting",
                account_id="SMALL",
                opportunity_id="O2",
            )
        )
    assert deal_touches(org) == []


def test_a_disposition_ends_the_play_and_a_postponed_deal_leaves_the_day(org: Store) -> None:  # noqa: F811
    to_proposal(org, 5)
    record_disposition(
        org,
        rep_id="R1",
        kind="postpone",
        opportunity_id="O1",
        on_date=DAY + timedelta(days=10),
        who="ann@example.com",
        scope=Scope.everything(),
        at=at(1),
    )
    items = day_of(org)
    assert not [i for i in items if i.opportunity_id == "O1"]  # not due, not dark, not stalled
    # On the postponed date it comes back as a decision to make, with no touch due: the
    # disposition ended the play.
    back = day_of(org, on=DAY + timedelta(days=10))
    assert "disposition_due" in [i.kind for i in back if i.opportunity_id == "O1"]
    assert "touch_due" not in [i.kind for i in back if i.opportunity_id == "O1"]


def test_the_json_contract_is_unchanged_with_deal_touches(org: Store, db_url: str) -> None:  # noqa: F811
    to_proposal(org, 2)
    result = CliRunner().invoke(
        app, ["today", "--rep", "R1", "--date", DAY.isoformat(), "--json", "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert all(tuple(r) == CONTRACT_KEYS and r["kind"] in KINDS for r in rows)
    [touch] = [r for r in rows if r["kind"] == "touch_due"]
    assert touch["opportunity_id"] == "O1" and touch["contact_id"] is None
    assert touch["reason"].startswith("Big Co - Atlas: touch 1 of 3")
