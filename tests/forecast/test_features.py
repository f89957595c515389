"""Deal features as of a moment: a hand-made deal's numbers, nothing after the moment leaking in,
and training rows at fractions of a closed deal's life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import pandas as pd
import pytest

from rightturn.crm.model import (
    Account,
    Activity,
    ActivityParticipant,
    Contact,
    Opportunity,
    OpportunityChange,
    Rep,
    StageChange,
    Team,
)
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.forecast.features import FEATURES, deal_features, training_features

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
AS_OF = T0 + timedelta(days=30)
_ids = count(1)
OPEN = ["Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation"]


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def _deal(s, oid: str, rep: str, path: list[tuple[str, float]], **kw: object) -> None:
    last = path[-1][0]
    status = "won" if "Won" in last else "lost" if "Lost" in last else "open"
    s.add(
        Opportunity(
            opportunity_id=oid,
            account_id="ACME",
            owner_rep_id=rep,
            name=f"Deal {oid}",
            product="Atlas",
            stage=last,
            status=status,
            created_at=day(path[0][1]),
            closed_at=day(path[-1][1]) if status != "open" else None,
            amount=kw.get("amount", Decimal(50_000)),
            close_date=kw.get("close_date", day(60).date()),
        )
    )
    s.flush()
    for stage, n in path:
        s.add(StageChange(opportunity_id=oid, stage=stage, entered_at=day(n)))


def _act(s, contact: str, n: float, kind: str = "email", direction: str = "inbound") -> None:
    a = Activity(
        kind=kind,
        direction=direction,
        occurred_at=day(n),
        rep_id="R1",
        contact_id=contact,
        account_id="ACME",
        opportunity_id="D1",
        source="test",
        source_id=f"a{next(_ids)}",
        status="associated",
    )
    s.add(a)
    s.flush()
    if kind == "meeting":
        s.add(
            ActivityParticipant(
                activity_id=a.activity_id, role="attendee", address=f"{contact}@acme.test",
                contact_id=contact,
            )
        )  # fmt: skip


def _change(s, field: str, old: str, new: str, n: float) -> None:
    s.add(OpportunityChange(opportunity_id="D1", field=field, old_value=old, new_value=new,
                            changed_at=day(n)))  # fmt: skip


@pytest.fixture
def deals(store: Store) -> Store:
    """Ann Lee (R1) works D1 at Acme: Discovery, back to Qualification, Discovery again on day
    20; the amount 50,000 -> 60,000 on day 12; the close date pushed from day 60 to day 80 on
    day 18; two rep emails, a buyer email (C1), a buyer call (C2) and a meeting (C3). Ann won W1
    (day 10) and lost L1 (day 12); Bo Chen (R2) lost L2 (day 14)."""
    with store.session() as s:
        s.add(Team(team_id="E", name="East"))
        s.flush()
        s.add_all(
            [
                Rep(rep_id="R1", name="Ann Lee", team_id="E"),
                Rep(rep_id="R2", name="Bo Chen", team_id="E"),
                Account(account_id="ACME", name="Acme", segment="SMB"),
            ]
        )
        s.flush()
        s.add_all([Contact(contact_id=c, account_id="ACME", name=c) for c in ("C1", "C2", "C3")])
        s.flush()
        won = [(st, i * 2) for i, st in enumerate(OPEN)] + [("Closed Won", 10)]
        _deal(s, "W1", "R1", won)
        _deal(s, "L1", "R1", [("Prospecting", 0), ("Qualification", 4), ("Closed Lost", 12)])
        _deal(s, "L2", "R2", [("Prospecting", 1), ("Closed Lost", 14)])
        path = [("Prospecting", 0), ("Qualification", 5), ("Discovery", 10),
                ("Qualification", 15), ("Discovery", 20)]  # fmt: skip
        _deal(s, "D1", "R1", path, amount=Decimal(60_000), close_date=day(80).date())
        _change(s, "amount", "50000", "60000", 12)
        _change(s, "close_date", day(60).date().isoformat(), day(80).date().isoformat(), 18)
        _act(s, "C1", 2, direction="outbound")
        _act(s, "C1", 4)
        _act(s, "C2", 9, kind="call")
        _act(s, "C3", 16, kind="meeting", direction="outbound")
        _act(s, "C1", 25, direction="outbound")
    return store


def _row(store: Store) -> pd.Series:
    frame = deal_features(store, Scope.everything(), as_of=AS_OF)
    assert list(frame.columns) == list(FEATURES)
    return frame.loc["D1"]


def test_features_match_the_hand_made_deal(deals: Store) -> None:
    row = _row(deals)
    assert row["stage"] == "Discovery"
    assert row["stage_rank"] == 2 and row["stages_left"] == 2
    assert row["days_in_stage"] == pytest.approx(10)
    assert row["age_days"] == pytest.approx(30)
    assert row["backward_moves"] == 1 and row["stages_skipped"] == 0
    assert row["amount"] == 60_000 and row["amount_change"] == pytest.approx(0.2)
    assert row["amount_changes"] == 1 and row["close_pushes"] == 1
    assert row["days_to_close"] == pytest.approx(50)
    assert row["buyer_messages"] == 2 and row["callbacks"] == 1
    assert row["rep_touches"] == 2 and row["reply_rate"] == pytest.approx(1.0)
    assert row["contacts_engaged"] == 3 and row["meetings_held"] == 1
    assert row["days_since_buyer"] == pytest.approx(14)  # the meeting on day 16
    assert row["days_since_touch"] == pytest.approx(5)
    assert row["longest_gap_days"] == pytest.approx(9)  # day 16 to day 25
    # Ann: 1 won of 2, shrunk by 10 pseudo-deals toward the org's 1 of 3.
    assert row["owner_win_rate"] == pytest.approx((1 + 10 / 3) / 12)
    assert row["owner_closed"] == 2
    assert row["segment"] == "SMB" and row["product"] == "Atlas"


def test_the_amount_and_close_date_are_replayed_to_the_moment(deals: Store) -> None:
    early = deal_features(deals, Scope.everything(), as_of=day(11)).loc["D1"]
    assert early["amount"] == 50_000 and early["amount_change"] == 0
    assert early["days_to_close"] == pytest.approx(49)  # day 60's date, from day 11's
    assert early["close_pushes"] == 0 and early["backward_moves"] == 0
    assert early["stage"] == "Discovery" and early["contacts_engaged"] == 2


def test_nothing_after_the_moment_changes_the_row(deals: Store) -> None:
    before = _row(deals)
    with deals.session() as s:
        _act(s, "C2", 31)
        _act(s, "C1", 32, kind="meeting", direction="outbound")
        s.add(StageChange(opportunity_id="D1", stage="Negotiation", entered_at=day(33)))
        s.add(StageChange(opportunity_id="D1", stage="Closed Won", entered_at=day(45)))
        _change(s, "amount", "60000", "90000", 35)
        _change(s, "close_date", day(80).date().isoformat(), day(45).date().isoformat(), 40)
        d1 = s.get(Opportunity, "D1")
        assert d1 is not None
        d1.status, d1.stage, d1.closed_at = "won", "Closed Won", day(45)
        d1.amount, d1.close_date = Decimal(90_000), day(45).date()
    after = _row(deals)
    pd.testing.assert_series_equal(before, after)


def test_training_rows_sit_at_fractions_of_each_life(deals: Store) -> None:
    training = training_features(deals, Scope.everything(), until=day(40), fractions=(0.5,))
    moments = training.frame.index.to_frame(index=False).set_index("opportunity_id")["as_of"]
    assert moments["L1"] == day(6)  # halfway from day 0 to its close on day 12
    assert moments["D1"] == day(20)  # still open: halfway to the cut-off
    won = training.labelled("won").won
    assert won.to_dict() == {("W1", day(5)): True, ("L1", day(6)): False, ("L2", day(7.5)): False}
    # D1's close date then (day 80) is in a quarter not over by day 40: its slip is unknown.
    assert pd.isna(training.slipped[("D1", day(20))])
    assert not training.slipped[("W1", day(5))]
    w1 = training.frame.loc[("W1", day(5))]
    assert w1["stage"] == "Discovery" and w1["age_days"] == pytest.approx(5)  # entered day 4
    # By day 5 nobody had closed a deal: the owner's rate is the even prior.
    assert w1["owner_closed"] == 0 and w1["owner_win_rate"] == pytest.approx(0.5)


def test_a_deal_open_past_its_period_end_slipped(deals: Store) -> None:
    # Seen on day 1, D1 expected to close on day 60 (April 30th): by August its quarter is over.
    training = training_features(deals, Scope.everything(), until=day(150), fractions=(0.01,))
    d1 = training.slipped.xs("D1", level="opportunity_id")
    assert d1.tolist() == [True]


def test_before_any_deal_the_frame_is_empty_with_its_columns(deals: Store) -> None:
    frame = deal_features(deals, Scope.everything(), as_of=day(-10))
    assert frame.empty and list(frame.columns) == list(FEATURES)
    assert frame.index.name == "opportunity_id"
