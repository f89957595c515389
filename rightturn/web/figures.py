"""Figures as a person reads them: one format per unit, the name and the meaning from the
registry (:mod:`rightturn.analytics.definitions`), so two pages cannot print one figure two ways.

Templates call ``show(key, value)`` for the text and the ``_figures.html`` macros for the name
with its tooltip; both are Jinja globals.
"""

from __future__ import annotations

from rightturn.analytics.definitions import FIGURES

__all__ = ["show", "show_change", "show_change_interval", "show_interval", "tooltip"]


def show(key: str, value: float | int | None) -> str:
    """``value`` of figure ``key`` in its unit's one format ("31%", "$92,170", "70 days")."""
    if value is None:
        return "—"
    unit = FIGURES[key].unit
    if unit == "%":
        return f"{value:.0%}"
    if unit.startswith("USD"):
        return f"−${-value:,.0f}" if value < 0 else f"${value:,.0f}"
    if unit == "days":
        return f"{value:,.0f} days"
    if unit == "weeks":
        return f"{value:,.1f} weeks"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "0-1":
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}"


def tooltip(key: str) -> str:
    """The figure's name and meaning in one line, for a ``title`` attribute."""
    figure = FIGURES[key]
    return f"{figure.name}: {figure.tooltip}"


Interval = tuple[float, float] | list[float] | None


def show_interval(key: str, interval: Interval) -> str:
    """An interval of figure ``key`` in its unit's format ("21%–28%", "70–90 days"); a dash
    for none."""
    if interval is None:
        return "—"
    return _span(show(key, interval[0]), show(key, interval[1]), "–")


def show_change_interval(key: str, interval: Interval) -> str:
    """An interval of a difference of figure ``key`` ("−7.8 to +2.3 pts"); a dash for none."""
    if interval is None:
        return "—"
    return _span(show_change(key, interval[0]), show_change(key, interval[1]), " to ")


def _span(low: str, high: str, between: str) -> str:
    """Two values joined, their shared unit said once."""
    for unit in (" days", " pts"):
        if low.endswith(unit) and high.endswith(unit):
            low = low.removesuffix(unit)
    return f"{low}{between}{high}"


def show_change(key: str, value: float | None) -> str:
    """A difference of figure ``key``, signed: a share's in percentage points ("+3.1 pts"),
    others in the figure's unit ("−4 days", "+0.4")."""
    if value is None:
        return "—"
    share = FIGURES[key].unit == "%"
    text = f"{abs(value) * 100:.1f} pts" if share else show(key, abs(value))
    if not any(c in "123456789" for c in text):  # rounds to zero: no sign to read into it
        return text
    return ("+" if value > 0 else "−") + text
