"""Return-on-Effort statistics, checked against published values, closed forms, scipy and
seeded simulation (never against the module's own output)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from rightturn.effort.stats import (
    DECISION_RATIO,
    ab_test,
    log_evidence,
    more_touches_needed,
    practice_effect,
    touches_needed,
)
from rightturn.errors import ParseError

# -- pooled and within-rep effect ---------------------------------------------------------------

# cicalc (GSK Biostatistics, R) documents one example for both stratified estimators: two strata,
# treatment 7/10 and 5/10, control 5/10 and 4/10 (12/20 against 9/20 pooled). Its printed results:
# risk difference 0.15, Sato 95% interval (-0.1528, 0.4528); MH risk ratio 1.333 with interval
# (0.7344, 2.4208). Treatment is our B.
PUBLISHED = [("stratum 1", 10, 5, 10, 7), ("stratum 2", 10, 4, 10, 5)]


def test_mantel_haenszel_difference_matches_the_published_example() -> None:
    effect = practice_effect(PUBLISHED)
    assert effect.within_rep_difference == pytest.approx(0.15)
    assert effect.within_rep_interval == pytest.approx((-0.1528, 0.4528), abs=5e-5)


def test_mantel_haenszel_ratio_matches_the_published_example() -> None:
    effect = practice_effect(PUBLISHED)
    assert effect.within_rep_ratio == pytest.approx(4 / 3)
    assert effect.within_rep_ratio_interval == pytest.approx((0.7344, 2.4208), abs=5e-5)


def test_one_balanced_rep_gives_the_two_sample_binomial_variance() -> None:
    # Sato's variance reduces, for one stratum with equal arms, to p1(1-p1)/n + p0(1-p0)/n.
    effect = practice_effect([("ana", 200, 30, 200, 50)])
    se = math.sqrt(0.15 * 0.85 / 200 + 0.25 * 0.75 / 200)
    assert effect.within_rep_difference == pytest.approx(0.10)
    assert effect.within_rep_interval == pytest.approx((0.10 - 1.959964 * se, 0.10 + 1.959964 * se))


def test_pooled_difference_is_b_minus_a_with_newcombes_published_interval() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II: 56/70 - 48/80 = 0.2000, method 10
    # interval (0.0524, 0.3339). Split over two reps: pooling adds the counts.
    effect = practice_effect([("ana", 50, 30, 40, 30), ("bo", 30, 18, 30, 26)])
    assert effect.pooled_difference == pytest.approx(0.2)
    assert effect.pooled_interval == pytest.approx((0.0524, 0.3339), abs=5e-5)
    # Katz log interval of the pooled ratio (56/70) / (48/80) = 4/3.
    half = 1.959964 * math.sqrt(1 / 56 - 1 / 70 + 1 / 48 - 1 / 80)
    assert effect.pooled_ratio == pytest.approx(4 / 3)
    assert effect.pooled_ratio_interval == pytest.approx(
        (4 / 3 * math.exp(-half), 4 / 3 * math.exp(half))
    )


def test_reps_with_one_side_only_enter_the_pooled_figure_but_not_the_within_rep_one() -> None:
    both = [("ana", 40, 8, 60, 18), ("bo", 30, 3, 20, 4)]
    only_a = ("cy", 500, 10, 0, 0)
    with_cy, without = practice_effect([*both, only_a]), practice_effect(both)
    assert with_cy.within_rep_difference == without.within_rep_difference
    assert with_cy.within_rep_interval == without.within_rep_interval
    assert with_cy.pooled_difference != without.pooled_difference
    assert (with_cy.reps, with_cy.reps_entered) == (3, 2)
    assert (with_cy.touches, with_cy.touches_entered) == (650, 150)


def test_no_rep_on_both_sides_leaves_the_within_rep_figures_empty() -> None:
    effect = practice_effect([("ana", 40, 8, 0, 0), ("bo", 0, 0, 20, 4)])
    assert effect.within_rep_difference is None and effect.within_rep_interval is None
    assert effect.within_rep_verdict == "no clear difference"
    assert effect.pooled_difference == pytest.approx(0.0)
    assert not effect.disagree


def test_simpsons_paradox_is_flagged_as_a_disagreement() -> None:
    # Good reps write B and get replies whatever they write; within each rep B is no better.
    effect = practice_effect([("good", 100, 40, 900, 360), ("weak", 900, 90, 100, 10)])
    assert effect.pooled_difference == pytest.approx(370 / 1000 - 130 / 1000)
    assert effect.pooled_verdict == "B better"
    assert effect.within_rep_difference == pytest.approx(0.0, abs=1e-12)
    assert effect.within_rep_verdict == "no clear difference"
    assert effect.disagree


def test_a_reversal_within_rep_is_a_disagreement() -> None:
    # Within each rep B loses 5 points; pooled, B's heavy use by the good rep makes it win.
    effect = practice_effect([("good", 200, 100, 1800, 810), ("weak", 1800, 270, 200, 20)])
    assert effect.pooled_verdict == "B better"
    assert effect.within_rep_verdict == "A better"
    assert effect.disagree


def test_no_confounding_means_agreement() -> None:
    rows = [(f"rep {i}", 300, 30 + 10 * i, 300, 60 + 10 * i) for i in range(5)]
    effect = practice_effect(rows)
    assert effect.pooled_verdict == effect.within_rep_verdict == "B better"
    assert effect.pooled_difference == pytest.approx(0.10)
    assert effect.within_rep_difference == pytest.approx(0.10)
    assert not effect.disagree


def test_a_wider_within_rep_interval_alone_is_not_a_disagreement() -> None:
    # Pooled is decided, within-rep is not (only one small rep has both sides), yet its interval
    # holds the pooled estimate: the within-rep figure lacks touches, it does not contradict.
    effect = practice_effect([("ana", 500, 50, 0, 0), ("bo", 0, 0, 500, 100), ("cy", 20, 2, 20, 4)])
    assert effect.pooled_verdict == "B better"
    assert effect.within_rep_verdict == "no clear difference"
    assert not effect.disagree


def _disagreement_rate(confounded: bool, lift: float, draws: int, seed: int) -> float:
    """Share of simulated teams (20 reps, own base rates) where ``disagree`` is raised."""
    rng = np.random.default_rng(seed)
    flagged = 0
    for _ in range(draws):
        base = rng.uniform(0.05, 0.40, size=20)
        touches_a, touches_b = rng.integers(20, 80, size=20), rng.integers(20, 80, size=20)
        if confounded:  # good reps write B, weak reps A
            touches_a, touches_b = touches_a + (base <= 0.25) * 150, touches_b + (base > 0.25) * 150
        replies_a, replies_b = rng.binomial(touches_a, base), rng.binomial(touches_b, base + lift)
        rows = [
            (i, int(touches_a[i]), int(replies_a[i]), int(touches_b[i]), int(replies_b[i]))
            for i in range(20)
        ]
        flagged += practice_effect(rows).disagree
    return flagged / draws


@pytest.mark.parametrize("lift", [0.0, 0.05])
def test_disagreement_is_rare_without_confounding_and_usual_with_it(lift: float) -> None:
    assert _disagreement_rate(confounded=False, lift=lift, draws=200, seed=21) <= 0.03
    # Confounded, the pooled figure overstates B by some 15 points, with or without a real lift.
    assert _disagreement_rate(confounded=True, lift=lift, draws=200, seed=22) >= 0.9


@pytest.mark.parametrize(
    "row, message",
    [(("ana", 10, 11, 10, 1), "rep 'ana', practice A"), (("ana", 10, 1, -1, 0), "practice B")],
)
def test_impossible_counts_name_the_rep_and_side(row: tuple, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        practice_effect([row])


def test_a_rep_given_twice_is_refused() -> None:
    with pytest.raises(ParseError, match="'ana' appears twice"):
        practice_effect([("ana", 10, 1, 10, 2), ("ana", 5, 1, 5, 2)])


def _mh_coverage(draws: int, seed: int) -> float:
    """Share of Sato intervals covering a common 8-point lift over many small, confounded reps."""
    rng = np.random.default_rng(seed)
    covered = 0
    for _ in range(draws):
        base = rng.uniform(0.05, 0.40, size=30)  # each rep's own response rate on A
        touches_a = rng.integers(3, 15, size=30)
        touches_b = rng.integers(3, 15, size=30) + (base > 0.25) * 10  # good reps use B more
        replies_a, replies_b = rng.binomial(touches_a, base), rng.binomial(touches_b, base + 0.08)
        rows = [
            (i, int(touches_a[i]), int(replies_a[i]), int(touches_b[i]), int(replies_b[i]))
            for i in range(30)
        ]
        low, high = practice_effect(rows).within_rep_interval or (0.0, 0.0)
        covered += low <= 0.08 <= high
    return covered / draws


def test_within_rep_interval_covers_the_true_difference_about_95_percent() -> None:
    assert 0.90 <= _mh_coverage(200, seed=7) <= 0.99


@pytest.mark.slow
def test_within_rep_interval_coverage_is_95_percent_over_4000_draws() -> None:
    assert 0.94 <= _mh_coverage(4000, seed=8) <= 0.96


# -- A/B comparison: the posterior -----------------------------------------------------------------


def _closed_form_prob_b_better(a_a: int, b_a: int, a_b: int, b_b: int) -> float:
    """Evan Miller's exact sum for P(p_b > p_a) with Beta posteriors and integer a_b."""
    i = np.arange(a_b)
    terms = (
        special.betaln(a_a + i, b_a + b_b)
        - np.log(b_b + i)
        - special.betaln(1 + i, b_b)
        - special.betaln(a_a, b_a)
    )
    return float(np.exp(terms).sum())


@pytest.mark.parametrize(
    "k_a, n_a, k_b, n_b", [(3, 20, 7, 20), (0, 10, 1, 10), (12, 100, 9, 100), (40, 50, 45, 50)]
)
def test_prob_b_better_matches_scipy_double_integration(
    k_a: int, n_a: int, k_b: int, n_b: int
) -> None:
    post_a, post_b = stats.beta(1 + k_a, 1 + n_a - k_a), stats.beta(1 + k_b, 1 + n_b - k_b)
    expected, _ = integrate.dblquad(
        lambda y, x: post_a.pdf(x) * post_b.pdf(y), 0, 1, lambda x: x, 1, epsabs=1e-10
    )
    assert ab_test(k_a, n_a, k_b, n_b).prob_b_better == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "k_a, n_a, k_b, n_b", [(160, 2000, 200, 2000), (30, 5000, 45, 5000), (900, 3000, 880, 3000)]
)
def test_prob_b_better_matches_the_closed_form_sum_at_large_counts(
    k_a: int, n_a: int, k_b: int, n_b: int
) -> None:
    expected = _closed_form_prob_b_better(1 + k_a, 1 + n_a - k_a, 1 + k_b, 1 + n_b - k_b)
    assert ab_test(k_a, n_a, k_b, n_b).prob_b_better == pytest.approx(expected, abs=1e-8)


def test_swapping_the_arms_gives_one_minus_the_probability() -> None:
    forward, backward = ab_test(14, 120, 25, 130), ab_test(25, 130, 14, 120)
    assert forward.prob_b_better + backward.prob_b_better == pytest.approx(1.0, abs=1e-9)
    assert forward.lift == pytest.approx(-backward.lift)
    assert forward.interval[0] == pytest.approx(-backward.interval[1], abs=1e-7)


def test_lift_and_credible_interval_match_the_posterior() -> None:
    result = ab_test(12, 150, 27, 160, prior=(0.5, 0.5))
    assert result.lift == pytest.approx(27.5 / 161 - 12.5 / 151)
    assert result.relative_lift == pytest.approx((27.5 / 161) / (12.5 / 151) - 1)
    rng = np.random.default_rng(3)
    draws = rng.beta(27.5, 133.5, 2_000_000) - rng.beta(12.5, 138.5, 2_000_000)
    assert result.interval == pytest.approx(tuple(np.quantile(draws, [0.025, 0.975])), abs=1e-3)


def test_impossible_counts_and_priors_are_refused() -> None:
    with pytest.raises(ParseError, match="practice B: 11 responses of 10"):
        ab_test(1, 10, 11, 10)
    with pytest.raises(ParseError, match="prior"):
        ab_test(1, 10, 1, 10, prior=(0, 1))


def test_the_array_evidence_is_the_one_ab_test_decides_on() -> None:
    counts = np.array([[5, 100, 15, 100], [24, 300, 60, 300], [0, 10, 10, 10], [3, 25, 0, 25]])
    evidence = np.exp(log_evidence(*counts.T))
    for row, value in zip(counts, evidence, strict=True):
        result = ab_test(*(int(x) for x in row))
        assert result.evidence == pytest.approx(value)
        assert (result.decision != "not yet") == (value >= DECISION_RATIO)


# -- A/B comparison: the decision under repeated looking -------------------------------------------


def _declarations(p_a: float, p_b: float, experiments: int, max_n: int, seed: int, look: int = 25):
    """Each simulated test's first declaration (+1 B better, -1 A better, 0 none).

    A manager looks after every ``look`` touches per arm up to ``max_n`` and stops at the first
    declaration; the rule is the module's (evidence at least DECISION_RATIO, for the side ahead).
    """
    rng = np.random.default_rng(seed)
    looks = max_n // look
    k_a = rng.binomial(look, p_a, size=(experiments, looks)).cumsum(axis=1)
    k_b = rng.binomial(look, p_b, size=(experiments, looks)).cumsum(axis=1)
    n = look * np.arange(1, looks + 1)
    decided = log_evidence(k_a, n, k_b, n) >= math.log(DECISION_RATIO)
    first = decided.argmax(axis=1)
    ahead = np.sign(k_b - k_a)[np.arange(experiments), first]
    return np.where(decided.any(axis=1), ahead, 0)


def test_no_difference_is_declared_better_in_at_most_5_percent_of_tests() -> None:
    declared = _declarations(0.10, 0.10, experiments=400, max_n=2000, seed=11)
    assert np.mean(declared != 0) <= 0.065


@pytest.mark.slow
@pytest.mark.parametrize("base", [0.05, 0.10, 0.20, 0.40])
def test_no_difference_is_declared_in_5_percent_at_any_base_rate(base: float) -> None:
    declared = _declarations(base, base, experiments=2000, max_n=2000, seed=int(base * 100))
    print(f"base {base:.0%}: false 'better' {np.mean(declared != 0):.2%} (looks every 25)")
    assert np.mean(declared != 0) <= 0.055


@pytest.mark.slow
@pytest.mark.parametrize("base", [0.02, 0.05, 0.20, 0.40])
def test_no_difference_is_declared_in_5_percent_looking_after_every_touch(base: float) -> None:
    declared = _declarations(base, base, experiments=2000, max_n=2000, seed=99, look=1)
    print(f"base {base:.0%}: false 'better' {np.mean(declared != 0):.2%} (looks every touch)")
    assert np.mean(declared != 0) <= 0.055


@pytest.mark.slow
@pytest.mark.parametrize("base", [0.05, 0.20])
def test_no_difference_is_declared_in_5_percent_looking_on_to_20000_touches(base: float) -> None:
    declared = _declarations(base, base, experiments=2000, max_n=20_000, seed=5)
    print(f"base {base:.0%}: false 'better' {np.mean(declared != 0):.2%} (to 20,000 per arm)")
    assert np.mean(declared != 0) <= 0.055


def test_a_real_lift_from_8_to_20_percent_is_found_by_300_touches() -> None:
    declared = _declarations(0.08, 0.20, experiments=400, max_n=300, seed=12)
    assert np.mean(declared == 1) >= 0.8
    assert np.mean(declared == -1) == 0


@pytest.mark.slow
def test_power_at_8_to_20_percent_over_2000_tests() -> None:
    declared = _declarations(0.08, 0.20, experiments=2000, max_n=300, seed=12)
    print(f"8% -> 20%: 'B better' by 300 per arm in {np.mean(declared == 1):.1%}")
    assert np.mean(declared == 1) >= 0.85


@pytest.mark.slow
def test_power_at_a_3_point_lift_is_measured() -> None:
    declared = _declarations(0.10, 0.13, experiments=2000, max_n=2000, seed=13)
    print(f"10% -> 13%: 'B better' by 2,000 per arm in {np.mean(declared == 1):.1%}")
    assert 0.4 <= np.mean(declared == 1) <= 0.7 and np.mean(declared == -1) <= 0.005


# -- sample size ---------------------------------------------------------------------------------


def test_touches_needed_falls_as_the_lift_grows_and_rises_with_power() -> None:
    needed = [touches_needed(0.10, 0.10 + lift) for lift in (0.01, 0.02, 0.04, 0.08, 0.16)]
    assert needed == sorted(needed, reverse=True) and len(set(needed)) == 5
    assert touches_needed(0.10, 0.14, power=0.9) > touches_needed(0.10, 0.14, power=0.8)
    assert touches_needed(0.10, 0.14) == touches_needed(0.14, 0.10)


@pytest.mark.parametrize("p_a, p_b", [(0.08, 0.20), (0.30, 0.20)])
def test_touches_needed_gives_the_promised_power_in_simulation(p_a: float, p_b: float) -> None:
    n = touches_needed(p_a, p_b)
    found = np.mean(_declarations(p_a, p_b, experiments=1000, max_n=n, seed=14, look=n) != 0)
    # One look at n: the normal approximation itself, within Monte Carlo error (sd 1.3 points).
    assert found == pytest.approx(0.8, abs=0.04)
    looked_along = _declarations(p_a, p_b, experiments=1000, max_n=n, seed=15, look=n // 10)
    # Looking along the way finds it sooner, never later: the figure errs long.
    assert 0.8 <= np.mean(looked_along != 0) <= 0.95


def test_more_touches_needed_is_none_once_decided() -> None:
    assert more_touches_needed(24, 300, 60, 300) is None


def test_more_touches_needed_reaches_a_decision_if_the_observed_rates_hold() -> None:
    more = more_touches_needed(10, 100, 14, 100)
    assert more is not None and more > 0
    n = 100 + more
    rate_a, rate_b = 11 / 102, 15 / 102  # the posterior means it sized for
    assert np.exp(log_evidence(round(rate_a * n), n, round(rate_b * n), n)) >= DECISION_RATIO
    fewer = 100 + more // 3
    assert np.exp(log_evidence(round(rate_a * fewer), fewer, round(rate_b * fewer), fewer)) < 20


def test_more_touches_needed_takes_a_given_lift_and_refuses_none_to_find() -> None:
    small, large = (more_touches_needed(10, 100, 10, 100, lift=x) for x in (0.03, 0.10))
    assert small is not None and large is not None and small > large > 0
    with pytest.raises(ParseError, match="give lift="):
        more_touches_needed(10, 100, 10, 100)
    with pytest.raises(ParseError, match="p_b"):
        more_touches_needed(10, 100, 10, 100, lift=0.95)
