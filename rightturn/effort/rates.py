"""Response rates by practice: for each value of a practice feature, the touches, the buyer
responses they earned, the rate and its 95% Wilson interval — never a rate without its n.

Only touches whose response window (:data:`~rightturn.effort.touches.WINDOW_DAYS`) is over by the
end date count, so the latest week does not look worse than it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from rightturn.analytics.intervals import wilson
from rightturn.effort.stats import PracticeEffect, practice_effect
from rightturn.effort.touches import LENGTHS, LONGEST, WEEKDAYS, WINDOW_DAYS, Touch
from rightturn.errors import ParseError

__all__ = ["FEATURES", "ORDINAL", "PracticeRate", "feature_value", "practice_rates", "window_over"]


def _questions(t: Touch) -> str | None:
    if t.questions is None:
        return None
    return ("0 questions", "1 question")[t.questions] if t.questions < 2 else "2+ questions"


# Feature -> (the value of a touch, or None when the feature does not apply to it).
FEATURES: dict[str, Callable[[Touch], str | None]] = {
    "channel": lambda t: t.channel,
    "step": lambda t: t.step,
    "template": lambda t: (t.template or "(one-off)") if t.channel == "email" else None,
    "length": lambda t: t.length,
    "focus": lambda t: t.focus,
    "hour": lambda t: f"{t.hour:02d}:00",
    "weekday": lambda t: t.weekday,
    "questions": _questions,
    "personal": lambda t: None if t.personal is None else ("personal" if t.personal else "generic"),
    "rep": lambda t: t.rep_id,
}
# Features whose values have an order of their own (else: the most used first).
ORDINAL: dict[str, list[str]] = {
    "step": [*(str(i) for i in range(1, 8)), "8+", "after reply", "deal"],
    "length": [*(label for _, label in LENGTHS), LONGEST],
    "hour": [f"{h:02d}:00" for h in range(24)],
    "weekday": list(WEEKDAYS),
    "questions": ["0 questions", "1 question", "2+ questions"],
}


@dataclass(frozen=True)
class PracticeRate:
    """One value of a practice: ``responses`` of ``touches`` answered, the rate with its 95%
    interval, how many answers were negative, how many touches led to a meeting and how many
    (on a deal) to a stage advance."""

    value: str
    touches: int
    responses: int
    rate: float
    ci_low: float
    ci_high: float
    negative: int = 0
    meetings: int = 0
    advances: int = 0  # touches on a deal whose stage moved on within the window
    key: str = ""  # the value's id where the value is a name (a rep's id)
    # This value against every other value of the feature, in rate points: pooled over all
    # touches, and within rep (Mantel-Haenszel: what a rep gets by using it), with the 95%
    # interval of the latter and whether the two disagree (see rightturn.effort.stats).
    vs_rest_pooled: float | None = None
    vs_rest_within_rep: float | None = None
    within_ci_low: float | None = None
    within_ci_high: float | None = None
    disagree: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _against_the_rest(per_rep: dict[tuple[str, str], list[int]], value: str) -> PracticeEffect:
    """``value`` (B) against every other value (A), rep by rep."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (rep, v), (n, k) in per_rep.items():
        side = 2 if v == value else 0
        rows[rep][side] += n
        rows[rep][side + 1] += k
    return practice_effect([(r, c[0], c[1], c[2], c[3]) for r, c in sorted(rows.items())])


def window_over(touches: Iterable[Touch], until: datetime) -> list[Touch]:
    """The touches whose response window had closed by ``until``."""
    last = until - timedelta(days=WINDOW_DAYS)
    return [t for t in touches if t.at <= last]


def feature_value(feature: str) -> Callable[[Touch], str | None]:
    """The value function of ``feature``; a :class:`ParseError` names the features."""
    if feature not in FEATURES:
        raise ParseError(f"--by {feature!r}: use one of {', '.join(FEATURES)}")
    return FEATURES[feature]


def practice_rates(
    touches: Iterable[Touch], feature: str, names: dict[str, str] | None = None
) -> list[PracticeRate]:
    """The rate of each value of ``feature`` over ``touches`` (``names`` turns ids into names,
    for ``rep``), in the feature's order, else the most used first."""
    value_of = feature_value(feature)
    touches_list = list(touches)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for t in touches_list:
        value = value_of(t)
        if value is None:
            continue
        c = counts[value]
        c[0] += 1
        c[1] += t.responded
        c[2] += t.negative
        c[3] += t.meeting
        c[4] += t.advanced
    per_rep: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    if feature != "rep":
        for t in touches_list:
            value = value_of(t)
            if value is not None:
                c = per_rep[(t.rep_id, value)]
                c[0] += 1
                c[1] += t.responded
    rows = []
    for value, (n, k, negative, meetings, advances) in counts.items():
        low, high = wilson(k, n) or (0.0, 1.0)
        shown = (names or {}).get(value, value)
        key = value if shown != value else ""
        effect = _against_the_rest(per_rep, value) if per_rep and len(counts) > 1 else None
        within = (effect.within_rep_interval if effect else None) or (None, None)
        rows.append(
            PracticeRate(
                value=shown,
                touches=n,
                responses=k,
                rate=k / n,
                ci_low=low,
                ci_high=high,
                negative=negative,
                meetings=meetings,
                advances=advances,
                key=key,
                vs_rest_pooled=effect.pooled_difference if effect else None,
                vs_rest_within_rep=effect.within_rep_difference if effect else None,
                within_ci_low=within[0],
                within_ci_high=within[1],
                disagree=bool(effect and effect.disagree),
            )
        )
    order = ORDINAL.get(feature)
    if order:
        rows.sort(key=lambda r: order.index(r.value) if r.value in order else len(order))
    else:
        rows.sort(key=lambda r: (-r.touches, r.value))
    return rows
