"""The reps' calls and their bias on a hand-made history in a real store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rightturn.analytics.snapshot import load_snapshot
from rightturn.crm.model import Opportunity, OpportunityChange, Rep, StageChange, Team
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.forecast.calls import (
    BIAS_SHRINK,
    CallBias,
    CategoryHistory,
    RepCall,
    adjusted_commit,
    call_bias,
    calls_from,
    category,
    rep_calls,
)
from rightturn.forecast.period import parse_period

QUARTERS = ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _deal(session, oid, rep, amount, stages, status, close, category_now, created=None):
    """A deal entering ``stages`` [(stage, day)], closed at the last one unless open."""
    session.add(
        Opportunity(
            opportunity_id=oid,
            owner_rep_id=rep,
            amount=amount,
            stage=stages[-1][0],
            status=status,
            created_at=_at(created or stages[0][1], 9),
            close_date=close,
            closed_at=None if status == "open" else _at(stages[-1][1]),
            forecast_category=category_now,
        )
    )
    session.flush()
    for stage, day in stages:
        session.add(StageChange(opportunity_id=oid, stage=stage, entered_at=_at(day)))


@pytest.fixture
def history(store: Store) -> Store:
    """Alice commits 100 every quarter of 2026 and wins 50 (a deal she did not commit); Bob,
    new in Q4, commits 100 and wins it. Carol (west) has one open Commit deal for 2027Q1."""
    with store.session() as s:
        s.add_all([Team(team_id="east", name="East"), Team(team_id="west", name="West")])
        s.flush()  # no ORM relationships: the parents go first by hand
        s.add_all(
            [
                Rep(rep_id="alice", name="Alice", team_id="east"),
                Rep(rep_id="bob", name="Bob", team_id="east"),
                Rep(rep_id="carol", name="Carol", team_id="west"),
            ]
        )
        s.flush()
        for q in QUARTERS:
            period = parse_period(q)
            start, end = period.start, period.end
            # Committed at the mid-point, lost at the end; the change of category is recorded.
            lost = f"X-{q}"
            _deal(s, lost, "alice", 100, [("Negotiation", start + timedelta(days=5)),
                  ("Closed Lost", end - timedelta(days=3))], "lost", end - timedelta(days=3),
                  "Omitted")  # fmt: skip
            s.add(
                OpportunityChange(
                    opportunity_id=lost,
                    field="forecast_category",
                    old_value="COMMIT",
                    new_value="Omitted",
                    changed_at=_at(end - timedelta(days=3)),
                )
            )
            # Created after the mid-point and won: in nobody's commit.
            _deal(s, f"Y-{q}", "alice", 50, [("Proposal", end - timedelta(days=20)),
                  ("Closed Won", end - timedelta(days=2))], "won", end - timedelta(days=2),
                  "Closed")  # fmt: skip
        # Bob's deal was in Negotiation at Q4's mid-point; no category change was recorded, so
        # its category then is the one open Negotiation deals carry today (Commit).
        _deal(s, "B", "bob", 100, [("Negotiation", date(2026, 10, 20)),
              ("Closed Won", date(2026, 12, 10))], "won", date(2026, 12, 10), "Closed")  # fmt: skip
        _deal(s, "Z", "carol", 700, [("Negotiation", date(2026, 12, 20))], "open",
              date(2027, 3, 1), "Commit")  # fmt: skip
        # Bob's M is in Negotiation (Commit) now; on November 15th it was in Proposal, where
        # open deals are Best Case today (BC), and no category change was recorded.
        _deal(s, "M", "bob", 300, [("Proposal", date(2026, 11, 1)), ("Negotiation",
              date(2026, 12, 1))], "open", date(2026, 12, 20), "Commit")  # fmt: skip
        _deal(s, "BC", "alice", 40, [("Proposal", date(2026, 11, 1))], "open",
              date(2026, 12, 5), "best_case")  # fmt: skip
        s.commit()
    return store


def test_categories_are_read_in_any_case_or_spacing() -> None:
    assert category("BEST_CASE") == category("best case") == category("Best Case") == "best case"
    assert category(" commit ") == "commit"
    assert category("Most likely") is None and category(None) is None


def test_calls_as_of_mid_quarter_replay_the_category_then(history: Store) -> None:
    with history.session() as s:
        calls = {c.rep_id: c for c in rep_calls(s, Scope.everything(), _at(date(2026, 11, 15)))}
    alice, bob = calls["alice"], calls["bob"]
    # X-2026Q4 was Commit then (stored Omitted now); BC is Best Case; Y-2026Q4 not created yet.
    assert (alice.won, alice.commit, alice.best_case) == (0.0, 100.0, 140.0)
    # B was open in Negotiation, inferred Commit; M was in Proposal, inferred Best Case.
    assert (bob.won, bob.commit, bob.best_case) == (0.0, 100.0, 400.0)


def test_one_category_history_replays_to_any_date_as_rep_calls_does(history: Store) -> None:
    everyone = Scope.everything()
    q4 = parse_period("2026Q4")
    with history.session() as s:
        replay = CategoryHistory(s, everyone)
        full = load_snapshot(s, everyone, _at(date(2026, 12, 31)))
        for day in (date(2026, 10, 25), date(2026, 11, 15), date(2026, 12, 31)):
            snap = full.history.snapshot(_at(day))
            assert calls_from(snap, replay.as_of(snap), q4) == rep_calls(s, everyone, _at(day))


def test_calls_include_what_is_already_won(history: Store) -> None:
    with history.session() as s:
        calls = {c.rep_id: c for c in rep_calls(s, Scope.everything(), _at(date(2026, 12, 31)))}
    # By the year's end Alice won Y (50) and lost X; Bob won B, and M is Commit as stored.
    assert (calls["alice"].won, calls["alice"].commit) == (50.0, 50.0)
    assert (calls["bob"].won, calls["bob"].commit) == (100.0, 400.0)


def test_a_rep_who_commits_100_and_closes_50_has_bias_one_half(history: Store) -> None:
    with history.session() as s:
        bias = {b.rep_id: b for b in call_bias(s, Scope.everything(), _at(date(2027, 1, 15)))}
    alice, bob = bias["alice"], bias["bob"]
    assert (alice.periods, alice.committed, alice.won, alice.own) == (4, 400.0, 200.0, 0.5)
    # The team: 500 committed (Alice 400, Bob 100), 300 won.
    team = 300 / 500
    assert alice.team == bob.team == pytest.approx(team)
    assert alice.shrunk == pytest.approx((4 * 0.5 + BIAS_SHRINK * team) / (4 + BIAS_SHRINK))
    # One period: Bob's perfect quarter is pulled most of the way to the team's.
    assert (bob.periods, bob.own) == (1, 1.0)
    assert bob.shrunk == pytest.approx((1.0 + BIAS_SHRINK * team) / (1 + BIAS_SHRINK))
    assert team < bob.shrunk < 1.0
    assert "carol" not in bias  # no commit in a past quarter: no bias to speak of


def test_bias_over_fewer_periods_uses_only_those(history: Store) -> None:
    with history.session() as s:
        bias = {b.rep_id: b for b in call_bias(s, Scope.everything(), _at(date(2027, 1, 15)),
                                               periods=1)}  # fmt: skip
    assert bias["alice"].periods == 1 and bias["alice"].own == 0.5
    assert bias["alice"].team == pytest.approx(150 / 200)


def test_the_adjusted_commit_scales_each_rep_by_their_bias() -> None:
    calls = [
        RepCall("alice", "Alice", "east", won=50.0, commit=200.0, best_case=300.0),
        RepCall("carol", "Carol", "west", won=0.0, commit=700.0, best_case=700.0),
    ]
    bias = [CallBias("alice", "east", 4, 400.0, 200.0, own=0.5, team=0.6, shrunk=0.55)]
    assert adjusted_commit(calls, bias) == {"alice": pytest.approx(110.0), "carol": 700.0}
