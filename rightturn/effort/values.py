"""The values a practice feature takes among touches, and the touches of one value: how a
person's spelling of a value (``issue``, ``T3``, a rep's name) becomes the value the rates show.

A value is matched exactly, then in any case, then (templates) by its number alone (``T3`` for
``T3: Brightwave platform overview``), then (reps) by the rep's id. A value no touch has is a
:class:`~rightturn.errors.ParseError` that lists the values there are, each with its touches, so
the next try is a copy and paste away.
"""

from __future__ import annotations

from collections.abc import Iterable

from rightturn.effort.rates import PracticeRate, feature_value
from rightturn.effort.touches import Touch
from rightturn.errors import ParseError

__all__ = ["find_value", "listed_values", "touches_of"]

_LISTED = 30  # values named in a "no such value" message; more are counted, not listed


def listed_values(rows: Iterable[PracticeRate]) -> str:
    """The values with their touches, as a message lists them."""
    rows = list(rows)
    named = ", ".join(f"{r.value} ({r.touches:,} touches)" for r in rows[:_LISTED])
    more = f" and {len(rows) - _LISTED:,} more" if len(rows) > _LISTED else ""
    return named + more


def _number(value: str) -> str:
    """A template's number, the part before its colon (``T3``)."""
    return value.split(":", 1)[0].strip().casefold()


def find_value(rows: list[PracticeRate], feature: str, given: str, what: str = "value") -> str:
    """The row of ``rows`` (the rates of ``feature``) that ``given`` names; its value as a
    touch carries it (a rep's id, else the value shown). ``what`` names the input in the
    message (``--value``, ``A``)."""
    tests = (
        lambda r: r.value == given,
        lambda r: r.value.casefold() == given.strip().casefold(),
        lambda r: feature == "template" and _number(r.value) == given.strip().casefold(),
        lambda r: bool(r.key) and r.key == given.strip(),
    )
    for test in tests:
        found = [r for r in rows if test(r)]
        if found:
            return found[0].key or found[0].value
    if not rows:
        raise ParseError(
            f"{what} {given!r}: no touches in this period and scope have a {feature}; widen "
            "the period (--since, --until) or the scope (--rep, --team)"
        )
    raise ParseError(
        f"{what} {given!r}: no touch has that {feature}; the {feature} values are "
        f"{listed_values(rows)}"
    )


def touches_of(touches: Iterable[Touch], feature: str, value: str) -> list[Touch]:
    """The touches whose ``feature`` is ``value`` (as :func:`find_value` returns it)."""
    value_of = feature_value(feature)
    return [t for t in touches if value_of(t) == value]
