"""The coaching pages' charts: a rep's practices against their team and the top group, and a
coaching note's weeks (the share following its practice against the target, the response rate
beneath). Drawn as every panel chart is (:mod:`rightturn.web.charts`): a title, axis titles
with units, the n on hover."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rightturn.analytics.definitions import FIGURES

# The panel's one palette and figure frame, shared with every chart rather than copied.
from rightturn.web.charts import _BLUE, _GREY, _INK, _LEGEND_ON_TOP, _ORANGE, _html

__all__ = ["note_progress_chart", "practice_shares_chart"]


def practice_shares_chart(gaps: list[dict[str, Any]]) -> str:
    """Per practice (``gaps``: the scorecard's, the biggest gain first), horizontal bars of the
    rep's, the team's and the top group's shares, each with its n on hover, and the gain per
    100 touches written beside the practice."""
    rows = gaps[::-1]  # a horizontal bar chart draws its first row at the bottom
    # The gain sits in the practice's label, so it reads beside the bars at any width.
    labels = [f"{g['name']}<br><b>{_gain(g)}</b>" for g in rows]
    fig = go.Figure()
    for side, name, color in (("top", "Top group", _GREY), ("team", "Team", _ORANGE),
                              ("rep", "This rep", _BLUE)):  # fmt: skip
        fig.add_bar(
            name=name,
            orientation="h",
            y=labels,
            x=[(g[side]["share"] or 0) * 100 for g in rows],
            marker_color=color,
            customdata=[[g[side]["k"], g[side]["n"]] for g in rows],
            hovertemplate=name + ": %{x:.0f}% (%{customdata[0]:,} of n = %{customdata[1]:,})"
            "<extra></extra>",
        )
    fig.update_layout(
        title={
            "text": "Practices: this rep, the team and the top group",
            "subtitle": {
                "text": "Share of the touches each applies to; under its name, "
                f"{FIGURES['coach_gain_per_100'].name.lower()}"
            },
        },
        barmode="group",
        xaxis_title="Share of the touches it applies to (%)",
        xaxis_range=[0, 100],
        yaxis={"categoryorder": "array", "categoryarray": labels, "automargin": True},
        height=180 + 70 * len(rows),
    )
    return _html(fig, "chart-practices", legend=_LEGEND_ON_TOP)


def _gain(g: dict[str, Any]) -> str:
    gain = g["gain_per_100"]
    if gain is None:
        return "gain —"
    return f"{gain:+.1f} per 100 touches" + ("" if g["clear"] else " (not clear)")


def note_progress_chart(p: dict[str, Any], div_id: str) -> str:
    """A note's weeks (``p``: :meth:`~rightturn.effort.notes.NoteProgress.as_json`): on top
    the share of touches following the practice with the target as a line and the note's week
    marked; beneath, the response rate per touch with its 95% interval (weeks whose touches
    are still earning answers drawn hollow)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12)
    weeks = p["weeks"]
    # Every week on the axis (a week without touches is a gap in the line, not a missing tick).
    fig.add_scatter(
        row=1, col=1, name="Share following it", x=[w["week"] for w in weeks],
        y=[None if w["share"] is None else w["share"] * 100 for w in weeks],
        mode="lines+markers", line={"color": _BLUE}, marker={"size": 8},
        customdata=[[w["followed"], w["applicable"]] for w in weeks],
        hovertemplate="Week of %{x|%Y-%m-%d}: %{y:.0f}% (%{customdata[0]:,} of n = "
        "%{customdata[1]:,})<extra></extra>",
    )  # fmt: skip
    if p["target"] is not None:
        fig.add_hline(
            y=p["target"] * 100, row=1, col=1, line={"color": _ORANGE, "dash": "dash"},
            annotation_text=f"Target {p['target']:.0%}", annotation_position="top left",
        )  # fmt: skip
    rated = [w for w in p["weeks"] if w["touches"]]
    fig.add_scatter(
        row=2, col=1, name="Response rate", x=[w["week"] for w in rated],
        y=[w["rate"] * 100 for w in rated], mode="markers",
        marker={"size": 8, "color": _GREY,
                "symbol": ["circle" if w["rate_final"] else "circle-open" for w in rated]},
        error_y={
            "type": "data", "symmetric": False, "color": _GREY,
            "array": [(w["ci_high"] - w["rate"]) * 100 for w in rated],
            "arrayminus": [(w["rate"] - w["ci_low"]) * 100 for w in rated],
        },
        customdata=[[w["responses"], w["touches"], w["ci_low"] * 100, w["ci_high"] * 100,
                     "" if w["rate_final"] else " (still earning answers)"] for w in rated],
        hovertemplate="Week of %{x|%Y-%m-%d}: %{y:.1f}% (95% interval %{customdata[2]:.1f}–"
        "%{customdata[3]:.1f}%), %{customdata[0]:,} of n = %{customdata[1]:,}"
        "%{customdata[4]}<extra></extra>",
    )  # fmt: skip
    noted = p["created_at"][:10]
    fig.add_vline(x=noted, row="all", col=1, line={"color": _INK, "dash": "dot"})
    fig.update_yaxes(title_text="Following it (%)", range=[0, 100], row=1, col=1)
    fig.update_yaxes(title_text="Answered (%)", rangemode="tozero", row=2, col=1)
    if weeks:  # half a week's room each side, so the first and last points are whole
        pad = timedelta(days=3)
        first, last = date.fromisoformat(weeks[0]["week"]), date.fromisoformat(weeks[-1]["week"])
        fig.update_xaxes(type="date", range=[(first - pad).isoformat(), (last + pad).isoformat()])
    fig.update_xaxes(title_text="Week starting (Monday)", row=2, col=1)
    fig.update_layout(
        title={
            "text": f"{p['practice_name']}: week by week",
            "subtitle": {"text": f"The dotted line is the note ({noted}); hover for n"},
        },
        height=460,
        showlegend=False,
    )
    return _html(fig, div_id)
