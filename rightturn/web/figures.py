"""Figures as a person reads them: one format per unit, the name and the meaning from the
registry (:mod:`rightturn.analytics.definitions`), so two pages cannot print one figure two ways.

Templates call ``show(key, value)`` for the text and the ``_figures.html`` macros for the name
with its tooltip; both are Jinja globals.
"""

from __future__ import annotations

from rightturn.analytics.definitions import FIGURES

__all__ = ["show", "tooltip"]


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
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}"


def tooltip(key: str) -> str:
    """The figure's name and meaning in one line, for a ``title`` attribute."""
    figure = FIGURES[key]
    return f"{figure.name}: {figure.tooltip}"
