"""The panel's charts, drawn by Plotly (plotly.js served from the package, so no CDN).

Each function takes the plain data a domain function returned and gives an HTML fragment;
every chart has a title, axis titles with units, and hover text.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

__all__ = ["activity_mix_chart", "open_pipeline_chart", "week_over_week_chart"]

_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}
_KIND_COLORS = {"email": "#4C78A8", "call": "#F58518", "meeting": "#54A24B"}


def _html(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        autosize=True,
        template="plotly_white",
        font={"family": "system-ui, sans-serif", "size": 13},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG, div_id=div_id)  # type: ignore[no-any-return]


def week_over_week_chart(this_week: dict[str, int], last_week: dict[str, int]) -> str:
    """Grouped bars: each activity type, the 7 days before vs the last 7 days."""
    labels = [k.capitalize() + ("s" if not k.endswith("s") else "") for k in this_week]
    fig = go.Figure(
        [
            go.Bar(
                name="7 days before", x=labels, y=list(last_week.values()), marker_color="#BAB0AC"
            ),
            go.Bar(
                name="Last 7 days", x=labels, y=list(this_week.values()), marker_color="#4C78A8"
            ),
        ]
    )
    fig.update_layout(
        title="Team activity: last 7 days vs the 7 days before",
        barmode="group",
        xaxis_title="Activity type",
        yaxis_title="Count",
    )
    return _html(fig, "chart-week")


def open_pipeline_chart(stages: list[dict[str, Any]]) -> str:
    """Bars of open value per stage, in process order, with the deal count on hover."""
    fig = go.Figure(
        go.Bar(
            x=[s["stage"] for s in stages],
            y=[s["value"] for s in stages],
            customdata=[s["deals"] for s in stages],
            hovertemplate="%{x}<br>%{y:$,.0f} in %{customdata} deals<extra></extra>",
            marker_color="#4C78A8",
        )
    )
    fig.update_layout(
        title="Open pipeline by stage",
        xaxis_title="Stage",
        yaxis_title="Open value (USD)",
        yaxis_tickprefix="$",
        yaxis_tickformat=",.0f",
    )
    return _html(fig, "chart-pipeline")


def activity_mix_chart(rows: list[dict[str, Any]], title: str) -> str:
    """Stacked weekly bars of emails, calls and meetings."""
    fig = go.Figure()
    for kind, color in _KIND_COLORS.items():
        mine = [r for r in rows if r["kind"] == kind]
        fig.add_bar(
            name=kind.capitalize() + "s",
            x=[r["week"] for r in mine],
            y=[r["count"] for r in mine],
            marker_color=color,
        )
    fig.update_layout(
        title=title,
        barmode="stack",
        xaxis_title="Week starting (Monday)",
        yaxis_title="Activities per week",
    )
    return _html(fig, "chart-mix")
