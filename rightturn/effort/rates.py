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
    interval, and how many answers were negative and how many touches led to a meeting."""

    value: str
    touches: int
    responses: int
    rate: float
    ci_low: float
    ci_high: float
    negative: int = 0
    meetings: int = 0
    key: str = ""  # the value's id where the value is a name (a rep's id)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


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
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for t in touches:
        value = value_of(t)
        if value is None:
            continue
        c = counts[value]
        c[0] += 1
        c[1] += t.responded
        c[2] += t.negative
        c[3] += t.meeting
    rows = []
    for value, (n, k, negative, meetings) in counts.items():
        low, high = wilson(k, n) or (0.0, 1.0)
        shown = (names or {}).get(value, value)
        key = value if shown != value else ""
        rows.append(PracticeRate(shown, n, k, k / n, low, high, negative, meetings, key))
    order = ORDINAL.get(feature)
    if order:
        rows.sort(key=lambda r: order.index(r.value) if r.value in order else len(order))
    else:
        rows.sort(key=lambda r: (-r.touches, r.value))
    return rows
