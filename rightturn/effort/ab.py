"""A/B between two values of one practice (two templates, issue against product focus): the
counts of each arm, the Beta-Binomial comparison with a decision that holds however often a
manager looks (:func:`~rightturn.effort.stats.ab_test`), how many more touches it needs
(:func:`~rightturn.effort.stats.more_touches_needed`) and the within-rep view
(:func:`~rightturn.effort.stats.practice_effect`): whether B wins in each rep's own hands, or
only because the reps who use it would have done well anyway.

``summary`` says it in a sales manager's words ("Not decided yet: about 340 more touches
each"); the CLI and the panel both print it, so they cannot say it two ways.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rightturn.effort.rates import PracticeRate, feature_value, practice_rates
from rightturn.effort.stats import ABResult, PracticeEffect, ab_test, more_touches_needed
from rightturn.effort.stats import practice_effect as effect_of
from rightturn.effort.touches import Touch
from rightturn.effort.values import find_value
from rightturn.errors import ParseError

__all__ = ["SIZING_LIFT", "ABComparison", "RepArms", "compare_values"]

# The smallest lift worth finding, which sizes a test whose arms have responded alike so far
# (their observed lift, zero, would need infinitely many touches): two rate points.
SIZING_LIFT = 0.02


@dataclass(frozen=True)
class RepArms:
    """One rep's touches and responses on each arm."""

    rep: str  # the rep's name
    rep_id: str
    touches_a: int
    responses_a: int
    touches_b: int
    responses_b: int


@dataclass(frozen=True)
class ABComparison:
    """Value ``b`` of ``feature`` against value ``a``: each arm's rate with its n, the A/B
    result, the touches still needed per arm (None once decided; sized for ``sized_lift``)
    and the within-rep effect with each rep's counts."""

    feature: str
    a: PracticeRate
    b: PracticeRate
    result: ABResult
    more_touches: int | None
    sized_lift: float | None
    effect: PracticeEffect
    reps: list[RepArms]

    @property
    def chance(self) -> str:
        """P(B better) as a person reads it: never a certain 0% or 100% from finite data."""
        p = self.result.prob_b_better
        return "over 99%" if p > 0.99 else "under 1%" if p < 0.01 else f"{p:.0%}"

    @property
    def about(self) -> str | None:
        """The touches still needed per arm as a sentence gives them ("about 340"); None once
        decided."""
        return None if self.more_touches is None else f"about {_about(self.more_touches)}"

    @property
    def summary(self) -> str:
        """The comparison in a sales manager's words."""
        a, b, r = _short(self.feature, self.a), _short(self.feature, self.b), self.result
        if r.decision != "not yet":
            first, second = (b, self.b), (a, self.a)
            (better, x), (worse, y) = (
                (first, second) if r.decision == "B better" else (second, first)
            )
            return (
                f"Decided: {better} earns more responses than {worse} ({x.rate:.1%} of "
                f"{x.touches:,} touches against {y.rate:.1%} of {y.touches:,})."
            )
        chance = f"the chance {b} is better is {self.chance}"
        if self.more_touches == 0:
            return (
                f"Not decided yet, although both have the touches a {_points(self.sized_lift)} "
                f"difference would need: the real difference is probably smaller ({chance})."
            )
        return (
            f"Not decided yet: {self.about} more touches each to "
            f"tell a {_points(self.sized_lift)} difference ({chance})."
        )

    def as_json(self) -> dict[str, Any]:
        """``rightturn effort ab --json`` (see the CLI's help for the keys)."""
        r, e = self.result, self.effect
        return {
            "feature": self.feature,
            "a": self.a.as_json(),
            "b": self.b.as_json(),
            "prob_b_better": r.prob_b_better,
            "lift": r.lift,
            "relative_lift": r.relative_lift,
            "lift_ci_low": r.interval[0],
            "lift_ci_high": r.interval[1],
            "evidence": r.evidence,
            "decision": r.decision,
            "more_touches_needed": self.more_touches,
            "sized_for_lift": self.sized_lift,
            "summary": self.summary,
            "within_rep": {
                **_difference(e.within_rep_difference, e.within_rep_interval, e.within_rep_verdict),
                "reps_entered": e.reps_entered,
                "touches_entered": e.touches_entered,
            },
            "pooled": _difference(e.pooled_difference, e.pooled_interval, e.pooled_verdict),
            "disagree": e.disagree,
            "reps": [asdict(rep) for rep in self.reps],
        }


def _difference(
    difference: float | None, interval: tuple[float, float] | None, verdict: str
) -> dict[str, Any]:
    low, high = interval or (None, None)
    return {"difference": difference, "ci_low": low, "ci_high": high, "verdict": verdict}


def _short(feature: str, row: PracticeRate) -> str:
    """A value as a sentence names it: a template by its number (``T3``), as the table
    beside it gives the whole label."""
    return row.value.split(":", 1)[0] if feature == "template" else row.value


def _points(lift: float | None) -> str:
    return f"{abs(lift or 0) * 100:.1f}-point"


def _about(n: int) -> str:
    """``n`` to two significant figures: a sample size is an estimate, not a count."""
    if n < 100:
        return f"{n:,}"
    digits = len(str(n)) - 2
    return f"{round(n, -digits):,}"


def compare_values(
    touches: list[Touch],
    feature: str,
    a: str,
    b: str,
    names: dict[str, str] | None = None,
) -> ABComparison:
    """Value ``b`` of ``feature`` against ``a`` over ``touches`` (each spelled as
    :func:`~rightturn.effort.values.find_value` reads it; ``names`` turns rep ids into names).
    Raises ParseError for a value no touch has (listing those there are) or twice the same."""
    rows = practice_rates(touches, feature, names)
    key_a, key_b = find_value(rows, feature, a, "A"), find_value(rows, feature, b, "B")
    if key_a == key_b:
        raise ParseError(f"A {a!r} and B {b!r} are the same {feature}: give two different values")
    arm_a, arm_b = (next(r for r in rows if (r.key or r.value) == k) for k in (key_a, key_b))
    value_of = feature_value(feature)
    per_rep: dict[str, list[int]] = {}
    for t in touches:
        value = value_of(t)
        if value in (key_a, key_b):
            counts = per_rep.setdefault(t.rep_id, [0, 0, 0, 0])
            side = 0 if value == key_a else 2
            counts[side] += 1
            counts[side + 1] += t.responded
    reps = sorted(
        (RepArms((names or {}).get(rep, rep), rep, *c) for rep, c in per_rep.items()),
        key=lambda r: (-(r.touches_a + r.touches_b), r.rep),
    )
    ka, na, kb, nb = arm_a.responses, arm_a.touches, arm_b.responses, arm_b.touches
    sized: float | None = None
    if (ka + 1) / (na + 2) == (kb + 1) / (nb + 2):
        sized = SIZING_LIFT
    more = more_touches_needed(ka, na, kb, nb, lift=sized)
    if more is not None and sized is None:
        sized = (kb + 1) / (nb + 2) - (ka + 1) / (na + 2)
    effect = effect_of([(r.rep_id, r.touches_a, r.responses_a, r.touches_b, r.responses_b)
                        for r in reps])  # fmt: skip
    return ABComparison(feature, arm_a, arm_b, ab_test(ka, na, kb, nb), more, sized, effect, reps)
