"""Return-on-Effort statistics: does a practice earn responses, within rep as well as pooled,
and has an A/B comparison of two practices been decided?

* :func:`practice_effect` compares practice B with practice A (or one value with the rest) two
  ways: **pooled** over every touch (risk difference with Newcombe's interval) and **within
  rep**, the Mantel-Haenszel risk difference stratified by rep with Sato's variance, which stays
  valid both with a few large reps and with many reps of a few touches each. A coach reads the
  two together: "brief mail works" shows within rep; "good reps write brief mail" shows pooled
  only. ``disagree`` flags where they tell different stories.
* :func:`ab_test` reports the Beta-Binomial posterior (P(B > A), the expected lift, a 95%
  credible interval) and a decision that stays honest however often a manager looks: the
  normal-mixture sequential probability ratio (mSPRT, Johari et al. 2017, "Peeking at A/B
  tests") must reach :data:`DECISION_RATIO`. For a normal lift of known variance it is a test
  martingale under no difference, so by Ville's inequality the chance it *ever* reaches 20 is
  at most 1/20, whenever and however often anyone looks. The null "A and B respond alike" is
  composite (the common rate p is unknown), but p enters the lift's distribution only through
  its variance p(1 - p)(1/n_a + 1/n_b), and the ratio takes that variance at the pooled rate,
  which estimates p under that null whatever p is. So the guarantee is asymptotic (the
  normal approximation); the simulations quoted at :data:`DECISION_RATIO` measure it at small
  rates and samples, looking every 25 touches and after every touch.
* :func:`touches_needed` and :func:`more_touches_needed` size a test for that same rule.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rightturn.analytics.intervals import Z95, newcombe
from rightturn.errors import ParseError

__all__ = [
    "DECISION_RATIO",
    "MIXING_SDS",
    "ABResult",
    "PracticeEffect",
    "ab_test",
    "log_evidence",
    "more_touches_needed",
    "practice_effect",
    "touches_needed",
]

Interval = tuple[float, float]
Verdict = Literal["B better", "A better", "no clear difference"]
Decision = Literal["B better", "A better", "not yet"]

# The mixture likelihood ratio at which a comparison is decided: 1/alpha with alpha = 5%, so by
# Ville's inequality at most 5% of no-difference tests are ever declared (either way), at any
# looking pace. Measured (tests/effort/test_stats.py -m slow -s; seeded, 2,000 null tests per
# base rate, stopping at the first declaration): looks every 25 touches per arm up to 2,000 per
# arm, false "better" 1.0% at a 5% base rate, 1.5% at 10%, 1.45% at 20%, 1.9% at 40%; a look
# after every touch, 1.1% at 2%, 1.65% at 5%, 2.5% at 20%, 2.25% at 40%; looks every 25 up to
# 20,000 per arm, 1.6% at 5%, 2.25% at 20%. Power with looks every 25: 8% -> 20% is declared
# "B better" by 300 touches per arm in 90.6% of tests, 10% -> 13% by 2,000 per arm in 52%.
DECISION_RATIO = 20.0

# The spreads (sd, in response-rate points: 0.03 is three) of the lifts the mixture averages
# over, doubling from 3 to 25 points, so a lift of any size in that range is found without
# knowing it in advance. One spread of 0.05 found 3-point lifts a little sooner (10% -> 13%:
# 57% against 52% by 2,000 per arm) but left 0/10 against 10/10, or 10/100 against 30/100,
# undecided. Chosen for power, not from the null runs: the guarantee holds for any spreads
# fixed before the data.
MIXING_SDS = (0.03, 0.06, 0.12, 0.25)


@dataclass(frozen=True)
class PracticeEffect:
    """Practice B's effect on the response rate against practice A, pooled and within rep.

    Differences are B minus A in rate points (0.05 is five points); ratios are B over A.
    ``within_rep_*`` is the Mantel-Haenszel estimate stratified by rep: only reps with touches
    on both sides enter it (``reps_entered`` of ``reps``, ``touches_entered`` of ``touches``);
    None when no rep has both.

    ``disagree`` is True when the two differences have opposite signs and at least one interval
    excludes 0, or when one interval excludes 0 and the other's interval excludes the first's
    estimate: the pooled figure is not what a rep gets by taking up the practice (it moved with
    who uses it), or not only. A within-rep interval that is merely wider (fewer touches enter
    it) and still holds the pooled estimate is not a disagreement.
    """

    touches_a: int
    responses_a: int
    touches_b: int
    responses_b: int
    pooled_difference: float | None
    pooled_interval: Interval | None
    pooled_ratio: float | None
    pooled_ratio_interval: Interval | None
    within_rep_difference: float | None
    within_rep_interval: Interval | None
    within_rep_ratio: float | None
    within_rep_ratio_interval: Interval | None
    reps: int
    reps_entered: int
    touches: int
    touches_entered: int
    pooled_verdict: Verdict
    within_rep_verdict: Verdict
    disagree: bool


@dataclass(frozen=True)
class ABResult:
    """An A/B comparison of two practices' response rates.

    ``prob_b_better`` is the posterior P(p_b > p_a); ``lift`` the posterior mean of p_b - p_a
    and ``interval`` its 95% credible interval; ``relative_lift`` is E[p_b] / E[p_a] - 1 (a
    ratio of posterior means, defined even with no response yet on A). ``evidence`` is the
    mixture likelihood ratio the decision reads; ``decision`` is "B better" or "A better" once
    it reaches :data:`DECISION_RATIO`, else "not yet".
    """

    prob_b_better: float
    lift: float
    relative_lift: float
    interval: Interval
    evidence: float
    decision: Decision


# -- pooled and within-rep effect of a practice ------------------------------------------------


def _check_counts(where: str, responses: int, touches: int) -> None:
    if touches < 0 or not 0 <= responses <= touches:
        raise ParseError(
            f"{where}: {responses} responses of {touches} touches; responses must be between "
            "0 and the touches, touches 0 or more"
        )


def _verdict(interval: Interval | None) -> Verdict:
    if interval is not None and interval[0] > 0:
        return "B better"
    if interval is not None and interval[1] < 0:
        return "A better"
    return "no clear difference"


def _excludes(interval: Interval, value: float) -> bool:
    return not interval[0] <= value <= interval[1]


def _conflict(
    pooled: float | None,
    pooled_interval: Interval | None,
    within: float | None,
    within_interval: Interval | None,
) -> bool:
    """Whether the pooled and within-rep figures tell different stories (see PracticeEffect)."""
    if pooled is None or within is None or pooled_interval is None or within_interval is None:
        return False
    pooled_decided, within_decided = _excludes(pooled_interval, 0), _excludes(within_interval, 0)
    if pooled * within < 0 and (pooled_decided or within_decided):
        return True
    return (pooled_decided and _excludes(within_interval, pooled)) or (
        within_decided and _excludes(pooled_interval, within)
    )


def _log_interval(ratio: float, variance: float) -> Interval:
    half = Z95 * math.sqrt(variance)
    return ratio * math.exp(-half), ratio * math.exp(half)


def _pooled_ratio(ka: int, na: int, kb: int, nb: int) -> tuple[float | None, Interval | None]:
    """Risk ratio B/A with the Katz log interval (None without a response on either side)."""
    if ka == 0 or kb == 0:
        return None, None
    ratio = (kb / nb) / (ka / na)
    return ratio, _log_interval(ratio, 1 / kb - 1 / nb + 1 / ka - 1 / na)


def _mantel_haenszel(strata: np.ndarray) -> tuple[float, Interval, float | None, Interval | None]:
    """MH risk difference (Sato's variance) and risk ratio (Greenland-Robins variance).

    ``strata`` has rows (touches_a, responses_a, touches_b, responses_b), each side non-empty.
    """
    na, ka, nb, kb = (strata[:, i].astype(float) for i in range(4))
    n = na + nb
    weight = na * nb / n
    difference = float(np.sum((kb * na - ka * nb) / n) / weight.sum())
    # Sato (1989), Biometrics 45:1323, with B as the exposed group: dually consistent, so right
    # for many small reps as well as a few large ones (Greenland-Robins' needs large strata).
    p = (nb * nb * ka - na * na * kb + nb * na * (na - nb) / 2) / (n * n)
    q = (kb * (na - ka) + ka * (nb - kb)) / (2 * n)
    variance = max((difference * p.sum() + q.sum()) / weight.sum() ** 2, 0.0)
    half = Z95 * math.sqrt(variance)
    interval = (difference - half, difference + half)
    r, s = float(np.sum(kb * na / n)), float(np.sum(ka * nb / n))
    if r == 0 or s == 0:
        return difference, interval, None, None
    # Greenland & Robins (1985), Biometrics 41:55: the variance of log RR_MH.
    log_variance = float(np.sum(((ka + kb) * na * nb - ka * kb * n) / (n * n))) / (r * s)
    return difference, interval, r / s, _log_interval(r / s, log_variance)


def practice_effect(
    counts: Sequence[tuple[Hashable, int, int, int, int]],
) -> PracticeEffect:
    """Practice B against practice A, pooled over all touches and within rep.

    ``counts`` has one row per rep: ``(rep, touches_a, responses_a, touches_b, responses_b)``.
    The pooled difference uses every touch; the within-rep (Mantel-Haenszel, stratified by rep)
    one only reps with touches on both sides, as a rep who never used A says nothing about B
    against A in that rep's hands. Raises ParseError on impossible counts or a repeated rep.
    """
    seen: set[Hashable] = set()
    for rep, na, ka, nb, kb in counts:
        if rep in seen:
            raise ParseError(f"rep {rep!r} appears twice in the counts; give one row per rep")
        seen.add(rep)
        _check_counts(f"rep {rep!r}, practice A", ka, na)
        _check_counts(f"rep {rep!r}, practice B", kb, nb)
    rows = np.array([row[1:] for row in counts], dtype=np.int64).reshape(-1, 4)
    na, ka, nb, kb = (int(total) for total in rows.sum(axis=0))
    both = rows[(rows[:, 0] > 0) & (rows[:, 2] > 0)]
    pooled = kb / nb - ka / na if na and nb else None
    pooled_interval = newcombe(ka, na, kb, nb)
    pooled_ratio, pooled_ratio_interval = (
        _pooled_ratio(ka, na, kb, nb) if na and nb else (None, None)
    )
    within, within_interval, within_ratio, within_ratio_interval = (
        _mantel_haenszel(both) if len(both) else (None, None, None, None)
    )
    return PracticeEffect(
        touches_a=na,
        responses_a=ka,
        touches_b=nb,
        responses_b=kb,
        pooled_difference=pooled,
        pooled_interval=pooled_interval,
        pooled_ratio=pooled_ratio,
        pooled_ratio_interval=pooled_ratio_interval,
        within_rep_difference=within,
        within_rep_interval=within_interval,
        within_rep_ratio=within_ratio,
        within_rep_ratio_interval=within_ratio_interval,
        reps=len(rows),
        reps_entered=len(both),
        touches=na + nb,
        touches_entered=int(both[:, [0, 2]].sum()),
        pooled_verdict=_verdict(pooled_interval),
        within_rep_verdict=_verdict(within_interval),
        disagree=_conflict(pooled, pooled_interval, within, within_interval),
    )


# -- A/B comparison that survives repeated looking ---------------------------------------------


def _log_mixture(lift: np.ndarray | float, variance: np.ndarray | float) -> np.ndarray:
    """The log mixture likelihood ratio of an observed ``lift`` whose variance is ``variance``.

    For one spread tau the normal mixture has a closed form; the ratio is the plain average of
    the closed forms over MIXING_SDS (a mixture of test martingales is one).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = [
            0.5 * np.log(variance / (variance + tau * tau))
            + tau * tau * lift * lift / (2 * variance * (variance + tau * tau))
            for tau in MIXING_SDS
        ]
        return np.logaddexp.reduce(np.stack(terms), axis=0) - math.log(len(MIXING_SDS))


def log_evidence(
    k_a: np.ndarray | int, n_a: np.ndarray | int, k_b: np.ndarray | int, n_b: np.ndarray | int
) -> np.ndarray:
    """The log of the mixture likelihood ratio for "the two response rates differ".

    The normal-mixture SPRT statistic, the lift averaged over normal spreads MIXING_SDS and the
    lift's variance taken at the pooled rate (its value under no difference). Works on arrays
    (a simulation's every look at once) as on single counts; 0 (a ratio of 1, no evidence)
    while an arm has no touches, minus infinity when every touch responded alike.
    """
    ka, na, kb, nb = (np.asarray(x, dtype=float) for x in (k_a, n_a, k_b, n_b))
    empty = (na == 0) | (nb == 0)
    na, nb = np.where(empty, 1.0, na), np.where(empty, 1.0, nb)
    pooled = (ka + kb) / (na + nb)
    variance = pooled * (1 - pooled) * (1 / na + 1 / nb)
    log_ratio = np.where(variance > 0, _log_mixture(kb / nb - ka / na, variance), -np.inf)
    return np.where(empty, 0.0, log_ratio)


class _Posterior:
    """A Beta(a, b) posterior, through scipy.special so quad's thousands of calls stay cheap."""

    def __init__(self, a: float, b: float) -> None:
        from scipy import special  # imported when used: scipy takes a while to load

        self.a, self.b, self._special = a, b, special
        self._log_norm = float(special.betaln(a, b))

    def pdf(self, x: float) -> float:
        if not 0 < x < 1:
            return 0.0
        return math.exp((self.a - 1) * math.log(x) + (self.b - 1) * math.log1p(-x) - self._log_norm)

    def cdf(self, x: float) -> float:
        return float(self._special.betainc(self.a, self.b, min(max(x, 0.0), 1.0)))

    def support(self) -> tuple[float, float, float]:
        """Where all but 2e-13 of the mass lies, and the median between."""
        low = float(self._special.betaincinv(self.a, self.b, 1e-13))
        high = float(self._special.betainccinv(self.a, self.b, 1e-13))
        return low, float(self._special.betaincinv(self.a, self.b, 0.5)), high


def _prob_b_better(post_a: _Posterior, post_b: _Posterior) -> float:
    """P(p_b > p_a) for independent Beta posteriors: the integral of f_b(x) F_a(x) over x."""
    from scipy import integrate

    # Integrate only where B's posterior has mass, with both bulks marked, so that quad does not
    # step over a narrow peak when thousands of touches make the posteriors sharp.
    low, middle_b, high = post_b.support()
    marks = [x for x in (post_a.support()[1], middle_b) if low < x < high]
    value, _ = integrate.quad(
        lambda x: post_b.pdf(x) * post_a.cdf(x), low, high, points=marks, epsabs=1e-11, limit=200
    )
    return min(max(value, 0.0), 1.0)


def _difference_quantile(post_a: _Posterior, post_b: _Posterior, share: float) -> float:
    """The ``share`` quantile of p_b - p_a: P(p_b - p_a <= d) is 1 - P(p_b > p_a + d)."""
    from scipy import integrate, optimize

    low, middle, high = post_a.support()

    def below(d: float) -> float:
        value, _ = integrate.quad(
            lambda x: post_a.pdf(x) * post_b.cdf(x + d),
            low,
            high,
            points=[middle],
            epsabs=1e-11,
            limit=200,
        )
        return value - share

    return float(optimize.brentq(below, -1.0, 1.0, xtol=1e-9))


def _decision(k_a: int, n_a: int, k_b: int, n_b: int) -> Decision:
    """The rule: decided once the evidence reaches DECISION_RATIO, for the side ahead."""
    if float(log_evidence(k_a, n_a, k_b, n_b)) < math.log(DECISION_RATIO):
        return "not yet"
    return "B better" if k_b / n_b > k_a / n_a else "A better"


def ab_test(
    k_a: int, n_a: int, k_b: int, n_b: int, *, prior: tuple[float, float] = (1, 1)
) -> ABResult:
    """Compare B's response rate (``k_b`` of ``n_b``) with A's (``k_a`` of ``n_a``).

    The posterior figures use a Beta(``prior``) on each rate (the default is uniform); the
    decision does not depend on the prior and holds under repeated looking (module docstring).
    Raises ParseError on impossible counts or a prior that is not two positive numbers.
    """
    _check_counts("practice A", k_a, n_a)
    _check_counts("practice B", k_b, n_b)
    if len(prior) != 2 or min(prior) <= 0:
        raise ParseError(f"prior {prior!r}: give two positive numbers (alpha, beta), e.g. (1, 1)")
    post_a = _Posterior(prior[0] + k_a, prior[1] + n_a - k_a)
    post_b = _Posterior(prior[0] + k_b, prior[1] + n_b - k_b)
    mean_a, mean_b = post_a.a / (post_a.a + post_a.b), post_b.a / (post_b.a + post_b.b)
    log_ratio = float(log_evidence(k_a, n_a, k_b, n_b))
    return ABResult(
        prob_b_better=_prob_b_better(post_a, post_b),
        lift=mean_b - mean_a,
        relative_lift=mean_b / mean_a - 1,
        interval=(
            _difference_quantile(post_a, post_b, 0.025),
            _difference_quantile(post_a, post_b, 0.975),
        ),
        evidence=math.exp(log_ratio),
        decision=_decision(k_a, n_a, k_b, n_b),
    )


# -- how many touches a test needs -------------------------------------------------------------


def _check_rate(name: str, rate: float) -> None:
    if not 0 < rate < 1:
        raise ParseError(f"{name} = {rate!r}: give a response rate strictly between 0 and 1")


def _power_at(p_a: float, p_b: float, n: float) -> float:
    """The chance the decision rule has decided by ``n`` touches per arm, from that look alone.

    The rule decides when the observed lift passes a boundary (the lift at which the evidence
    reaches DECISION_RATIO at the pooled rate); the observed lift is taken as normal. Ignoring the
    earlier looks makes this an underestimate: a test may cross sooner and stop.
    """
    from scipy import optimize
    from scipy.stats import norm

    pooled = (p_a + p_b) / 2
    v0 = 2 * pooled * (1 - pooled) / n
    v1 = (p_a * (1 - p_a) + p_b * (1 - p_b)) / n

    def short(lift: float) -> float:
        return float(_log_mixture(lift, v0)) - math.log(DECISION_RATIO)

    if short(1.0) < 0:  # so few touches that not even a 100-point lift would be decided
        return 0.0
    boundary = optimize.brentq(short, 0.0, 1.0)
    return float(norm.sf((boundary - abs(p_b - p_a)) / math.sqrt(v1)))


def touches_needed(p_a: float, p_b: float, *, power: float = 0.8) -> int:
    """Touches per arm at which the decision rule finds the lift from ``p_a`` to ``p_b`` with
    probability ``power``.

    A normal approximation at the rule's own boundary, read at the last look only, so it errs
    long: a manager looking along the way decides a little sooner (measured in the tests).
    Raises ParseError when the rates are equal (no sample finds a zero lift) or out of range.
    """
    _check_rate("p_a", p_a)
    _check_rate("p_b", p_b)
    if not 0 < power < 1:
        raise ParseError(f"power = {power!r}: give a probability strictly between 0 and 1")
    if p_a == p_b:
        raise ParseError(
            f"p_a and p_b are both {p_a!r}: no sample finds a zero lift; give p_b as the "
            "smallest lift worth finding"
        )
    high = 1
    while _power_at(p_a, p_b, high) < power:
        high *= 2
    low = high // 2  # the power is below target here (or high is 1)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if _power_at(p_a, p_b, middle) >= power else (middle, high)
    return high


def more_touches_needed(
    k_a: int, n_a: int, k_b: int, n_b: int, *, lift: float | None = None, power: float = 0.8
) -> int | None:
    """More touches per arm (counted from the arm with fewer) for a decision, None if decided.

    The rates are the posterior means under a uniform prior ((k + 1) / (n + 2), so no response
    yet is not a rate of zero); B's is A's plus ``lift`` when given, else observed. 0 means the
    arms already have the touches that lift needs, yet nothing is decided: the true lift is
    probably smaller. Raises ParseError when the lift is zero (give ``lift=``) or out of range.
    """
    _check_counts("practice A", k_a, n_a)
    _check_counts("practice B", k_b, n_b)
    if _decision(k_a, n_a, k_b, n_b) != "not yet":
        return None
    p_a = (k_a + 1) / (n_a + 2)
    p_b = p_a + lift if lift is not None else (k_b + 1) / (n_b + 2)
    if p_b == p_a:
        raise ParseError(
            "A and B have responded at the same rate so far: give lift=, the smallest lift "
            "worth finding (0.02 is two points)"
        )
    return max(touches_needed(p_a, p_b, power=power) - min(n_a, n_b), 0)
