"""The period forecast against closed forms, simulated true outcomes and hand-made pipelines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, poisson

from rightturn.analytics.snapshot import Snapshot
from rightturn.errors import ParseError
from rightturn.forecast.period import (
    NewPipeline,
    estimate_new_pipeline,
    parse_period,
    period_forecast,
    period_shock,
    stage_weighted,
    stage_win_rates,
)


def _deals(amounts, p_win, p_in=1.0, owners=None, teams=None) -> pd.DataFrame:
    n = len(amounts)
    owners = owners or ["alice"] * n
    return pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "amount": amounts,
            "p_win": p_win,
            "p_in_period": p_in,
            "owner_rep_id": owners,
            "team_id": teams or ["east"] * n,
        }
    )


# --- periods --------------------------------------------------------------------------------


def test_periods_are_calendar_quarters_and_months() -> None:
    q4 = parse_period("2026q4")
    assert (q4.start, q4.end, q4.label) == (date(2026, 10, 1), date(2026, 12, 31), "2026Q4")
    nov = parse_period("2026-11")
    assert (nov.start, nov.end, nov.months) == (date(2026, 11, 1), date(2026, 11, 30), 1)
    assert parse_period(None, date(2026, 2, 14)).label == "2026Q1"
    assert parse_period("2026Q1").shifted(-1).label == "2025Q4"
    assert parse_period("2026-01").shifted(-2).label == "2025-11"


def test_weeks_of_a_period_count_from_its_first_day() -> None:
    q4 = parse_period("2026Q4")
    assert [q4.week(date(2026, 10, d)) for d in (1, 7, 8, 15)] == [1, 1, 2, 3]
    assert q4.week(date(2026, 12, 31)) == 14  # 92 days: a thirteenth week and a day
    with pytest.raises(ParseError, match="outside 2026Q4"):
        q4.week(date(2027, 1, 1))


def test_a_period_not_understood_is_refused_with_the_forms_it_takes() -> None:
    with pytest.raises(ParseError, match=r"2026Q4.*2026-11"):
        parse_period("Q4 next year")
    with pytest.raises(ParseError):
        parse_period("2026-13")


# --- the Monte Carlo ------------------------------------------------------------------------


def test_a_certain_deal_gives_its_amount_at_every_percentile() -> None:
    result = period_forecast(_deals([5_000.0], 1.0), runs=500)
    c = result.company
    assert c.p10 == c.p50 == c.p90 == c.mean == 5_000.0


def test_the_mean_is_exact_and_the_simulation_agrees_within_its_standard_error() -> None:
    rng = np.random.default_rng(1)
    amounts = rng.lognormal(10, 1, size=200)
    p_win, p_in = rng.uniform(size=200), rng.uniform(size=200)
    result = period_forecast(_deals(amounts, p_win, p_in), runs=20_000, seed=4)
    exact = float(np.sum(amounts * p_win * p_in))
    assert result.company.mean == pytest.approx(exact)
    p = p_win * p_in
    sd = float(np.sqrt(np.sum(amounts**2 * p * (1 - p))))
    assert result.company.sd == pytest.approx(sd, rel=0.03)
    assert abs(result.company.simulated_mean - exact) < 4 * sd / np.sqrt(20_000)


def test_percentiles_match_the_binomial_for_identical_deals() -> None:
    result = period_forecast(_deals([1.0] * 100, 0.3), runs=20_000)
    c = result.company
    assert c.p10 <= c.p50 <= c.p90
    for got, q in ((c.p10, 0.1), (c.p50, 0.5), (c.p90, 0.9)):
        assert abs(got - binom.ppf(q, 100, 0.3)) <= 1


def test_the_same_seed_gives_the_same_range() -> None:
    deals = _deals([100.0, 200.0, 300.0], [0.2, 0.5, 0.7])
    assert period_forecast(deals, seed=9, runs=1000) == period_forecast(deals, seed=9, runs=1000)


def test_p10_to_p90_holds_the_actual_eight_periods_in_ten_when_deals_close_as_predicted() -> None:
    """A calibration test of the range: draw each period's truth from the same probabilities."""
    rng = np.random.default_rng(20)
    inside, periods = 0, 400
    for i in range(periods):
        n = int(rng.integers(10, 60))
        amounts = rng.lognormal(9, 0.8, size=n)
        p_win, p_in = rng.beta(2, 3, size=n), rng.uniform(0.5, 1, size=n)
        actual = float(amounts[rng.uniform(size=n) < p_win * p_in].sum())
        r = period_forecast(_deals(amounts, p_win, p_in), runs=2_000, seed=i).company
        inside += r.p10 <= actual <= r.p90
    # 80% expected; the binomial's standard error over 400 periods is 2 points.
    assert 0.74 <= inside / periods <= 0.86


def _shocked_periods(periods: int, shock: float, seed: int):
    """Periods whose truth runs hot or cold together: the uncertain part scaled by one factor
    of mean 1 and spread ``shock``, as :func:`period_forecast` assumes; each with a won deal."""
    rng = np.random.default_rng(seed)
    sigma = np.sqrt(np.log1p(shock**2))
    for _ in range(periods):
        n = int(rng.integers(100, 300))  # a company's pipeline: the shock outweighs the luck
        amounts = rng.lognormal(9, 0.8, size=n)
        p_win = np.append(rng.beta(2, 3, size=n - 1), 1.0)  # the last one is already won
        factor = np.exp(sigma * rng.standard_normal() - sigma**2 / 2)
        won = rng.uniform(size=n) < p_win
        actual = amounts[-1] + factor * float(amounts[:-1][won[:-1]].sum())
        yield _deals(amounts, p_win), actual


def test_the_shock_is_estimated_from_past_errors() -> None:
    past = list(_shocked_periods(400, 0.15, seed=31))
    forecasts = [period_forecast(deals, runs=10) for deals, _ in past]
    assert period_shock([a for _, a in past], forecasts) == pytest.approx(0.15, abs=0.03)
    calm = list(_shocked_periods(400, 0.0, seed=32))
    forecasts = [period_forecast(deals, runs=10) for deals, _ in calm]
    assert period_shock([a for _, a in calm], forecasts) < 0.03


@pytest.mark.slow  # 600 forecasts of 200 deals: about ten seconds
def test_with_the_shock_p10_to_p90_holds_eight_periods_in_ten() -> None:
    inside = {0.0: 0, 0.2: 0}
    periods = list(_shocked_periods(300, 0.2, seed=33))
    for i, (deals, actual) in enumerate(periods):
        for shock in inside:
            r = period_forecast(deals, shock=shock, runs=2_000, seed=i).company
            inside[shock] += r.p10 <= actual <= r.p90
    assert 0.73 <= inside[0.2] / len(periods) <= 0.87
    assert inside[0.0] / len(periods) < 0.6  # independent deals: far too narrow a range


def test_the_shock_keeps_the_mean_and_what_is_already_won() -> None:
    rng = np.random.default_rng(6)
    amounts, p = rng.uniform(1e3, 1e4, 50), rng.uniform(size=50)
    r = period_forecast(_deals(amounts, p), shock=0.3, runs=40_000).company
    assert abs(r.simulated_mean - r.mean) < 4 * r.sd / np.sqrt(40_000)
    won = period_forecast(_deals([7_000.0], 1.0), shock=0.3, runs=1_000).company
    assert won.p10 == won.p90 == 7_000.0


def test_reps_and_teams_add_up_to_the_company() -> None:
    rng = np.random.default_rng(5)
    owners = ["alice", "bob", "carol", "dan"] * 10
    team_of = {"alice": "east", "bob": "east", "carol": "west", "dan": "west"}
    deals = _deals(
        rng.uniform(1e3, 1e5, 40), rng.uniform(size=40), 0.8, owners, [team_of[o] for o in owners]
    )
    result = period_forecast(deals, runs=3000)
    assert set(result.reps) == set(team_of) and set(result.teams) == {"east", "west"}
    assert sum(r.mean for r in result.reps.values()) == pytest.approx(result.company.mean)
    assert sum(r.simulated_mean for r in result.reps.values()) == pytest.approx(
        result.company.simulated_mean
    )
    for team in ("east", "west"):
        members = [r for r, t in team_of.items() if t == team]
        assert result.teams[team].simulated_mean == pytest.approx(
            sum(result.reps[r].simulated_mean for r in members)
        )
    # Reps' ranges do not add up (a P10 of a sum is not the sum of P10s), but they bound it.
    assert result.company.p90 <= sum(r.p90 for r in result.reps.values())


def test_new_pipeline_alone_is_a_compound_poisson() -> None:
    new = NewPipeline(rates={"alice": 3.0}, teams={"alice": "east"}, amounts=np.array([100.0]))
    result = period_forecast(_deals([], []), new_pipeline=new, runs=20_000)
    c = result.company
    assert c.mean == result.new_pipeline_mean == 300.0
    assert c.simulated_mean == pytest.approx(300.0, abs=4 * np.sqrt(3) * 100 / np.sqrt(20_000))
    assert c.p50 == 100 * poisson.median(3.0)
    assert result.independent_variance == pytest.approx(3.0 * 100.0**2)  # rate x E[amount²]
    assert c.sd**2 == pytest.approx(result.independent_variance, rel=0.05)
    assert result.teams["east"].mean == 300.0


def test_the_movers_are_the_deals_with_the_most_variance() -> None:
    deals = _deals([1_000.0, 50_000.0, 20_000.0, 9_000.0], [0.5, 0.5, 0.99, 1.0])
    movers = period_forecast(deals, runs=100).movers
    assert [m.opportunity_id for m in movers] == ["O1", "O2", "O0"]  # a certain deal moves nothing
    assert sum(m.variance_share for m in movers) == pytest.approx(1.0)


def test_probabilities_given_as_percentages_are_refused() -> None:
    with pytest.raises(ParseError, match="p_win"):
        period_forecast(_deals([1.0], 40))


# --- stage-weighted and new pipeline on a hand-made snapshot ------------------------------


STAGES = ["Prospecting", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]


def _at(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


def _snapshot(rows: list[tuple], as_of: str) -> Snapshot:
    """``rows``: (id, owner, amount, status, stages entered as (stage, day), close date,
    created day)."""
    deals, stages = [], []
    for oid, owner, amount, status, path, close, created in rows:
        last, closed_at = path[-1], None
        if status != "open":
            closed_at = _at(last[1])
        deals.append(
            {
                "opportunity_id": oid,
                "owner_rep_id": owner,
                "team_id": "east",
                "amount": amount,
                "close_date": pd.Timestamp(close),
                "created_at": _at(created),
                "closed_at": closed_at,
                "status": status,
                "stage": last[0],
            }
        )
        stages += [{"opportunity_id": oid, "stage": s, "entered_at": _at(d)} for s, d in path]
    frame = pd.DataFrame(deals)
    frame["closed_at"] = pd.to_datetime(frame["closed_at"], utc=True)
    reps = pd.DataFrame({"rep_id": ["alice", "bob"], "name": ["Alice", "Bob"], "team_id": "east"})
    when = datetime.fromisoformat(as_of).replace(tzinfo=UTC)
    return Snapshot(when, frame, pd.DataFrame(stages), pd.DataFrame(), reps, STAGES)


def _path(*stages_days: str) -> list[tuple[str, str]]:
    return list(zip(stages_days[::2], stages_days[1::2], strict=True))


HAND_MADE = [
    # closed before: two won, one lost in Prospecting, one lost in Proposal
    ("W1", "alice", 500.0, "won", _path("Prospecting", "2026-01-05", "Proposal", "2026-02-01",
     "Negotiation", "2026-03-01", "Closed Won", "2026-03-20"), "2026-03-20", "2026-01-05"),
    ("W2", "bob", 1_000.0, "won", _path("Prospecting", "2026-08-01", "Closed Won", "2026-10-10"),
     "2026-10-10", "2026-08-01"),
    ("L1", "alice", 800.0, "lost", _path("Prospecting", "2026-02-01", "Closed Lost", "2026-03-01"),
     "2026-03-01", "2026-02-01"),
    ("L2", "bob", 700.0, "lost", _path("Prospecting", "2026-04-01", "Proposal", "2026-05-01",
     "Closed Lost", "2026-06-01"), "2026-06-01", "2026-04-01"),
    # open
    ("A", "alice", 300.0, "open", _path("Prospecting", "2026-09-01", "Proposal", "2026-10-01"),
     "2026-12-15", "2026-09-01"),
    ("B", "bob", 100.0, "open", _path("Prospecting", "2026-10-20"), "2026-11-30", "2026-10-20"),
    ("C", "alice", 900.0, "open", _path("Prospecting", "2026-09-01", "Proposal", "2026-09-10",
     "Negotiation", "2026-10-01"), "2027-02-01", "2026-09-01"),
]  # fmt: skip


def test_stage_win_rates_are_the_share_won_of_closed_deals_that_reached_the_stage() -> None:
    snap = _snapshot(HAND_MADE, "2026-11-15")
    # Prospecting: all four closed deals reached it, two won; Proposal: W1, W2 (won deals
    # reach every stage) and L2; Negotiation: the two won deals.
    assert stage_win_rates(snap) == {
        "Prospecting": 0.5,
        "Proposal": pytest.approx(2 / 3),
        "Negotiation": 1.0,
    }


def test_stage_weighted_is_won_so_far_plus_open_deals_closing_in_the_period_by_stage_rate() -> None:
    snap = _snapshot(HAND_MADE, "2026-11-15")
    figure = stage_weighted(snap, parse_period("2026Q4"))
    # W2 won in Q4 (1,000); A 300 x 2/3 and B 100 x 0.5 close in Q4; C closes in 2027.
    assert figure.won == 1_000.0
    assert figure.weighted == pytest.approx(200.0 + 50.0)
    assert figure.total == pytest.approx(1_250.0)
    assert figure.reps == {"alice": pytest.approx(200.0), "bob": pytest.approx(1_050.0)}
    assert figure.teams == {"east": pytest.approx(1_250.0)}


def test_new_pipeline_counts_deals_created_after_the_same_point_and_won_in_period() -> None:
    day = "2026-08-01"  # as of: 31 days into 2026Q3
    rows = [
        # 2026Q2 (from April 1st): created after May 2nd and won by June 30th: counted
        ("N1", "alice", 400.0, "won",
         _path("Prospecting", "2026-05-10", "Closed Won", "2026-06-20"),
         "2026-06-20", "2026-05-10"),
        # created too early in its quarter: not counted
        ("N2", "alice", 999.0, "won",
         _path("Prospecting", "2026-04-10", "Closed Won", "2026-06-20"),
         "2026-06-20", "2026-04-10"),
        # 2026Q1: counted; created in Q1 but won in Q2: not counted
        ("N3", "bob", 600.0, "won", _path("Prospecting", "2026-02-15", "Closed Won", "2026-03-25"),
         "2026-03-25", "2026-02-15"),
        ("N4", "bob", 999.0, "won", _path("Prospecting", "2026-03-15", "Closed Won", "2026-04-25"),
         "2026-04-25", "2026-03-15"),
    ]  # fmt: skip
    # The data must cover 2026Q1 from its first day for that quarter to count.
    early = ("E0", "bob", 10.0, "lost",
             _path("Prospecting", "2025-12-01", "Closed Lost", "2025-12-20"),
             "2025-12-20", "2025-12-01")  # fmt: skip
    new = estimate_new_pipeline(_snapshot([*rows, early], day), parse_period("2026Q3"), lookback=2)
    assert new.rates == {"alice": 0.5, "bob": 0.5}
    assert sorted(new.amounts) == [400.0, 600.0]
    assert new.mean == pytest.approx(1.0 * 500.0)
    # Without it, 2026Q1 began before the data did: only 2026Q2 counts (not Q1 as nothing won).
    new = estimate_new_pipeline(_snapshot(rows, day), parse_period("2026Q3"), lookback=2)
    assert new.rates == {"alice": 1.0}
