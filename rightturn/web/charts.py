"""The panel's charts, drawn by Plotly (plotly.js served from the package, so no CDN).

Each function takes the plain data a domain function returned and gives an HTML fragment;
every chart has a title, axis titles with units, and hover text.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from rightturn.analytics.definitions import FIGURES

__all__ = [
    "OUTCOME_COLORS",
    "WATERFALL_LABELS",
    "activity_mix_chart",
    "compare_chart",
    "coverage_chart",
    "cumulative_flow_chart",
    "effort_rates_chart",
    "funnel_chart",
    "open_pipeline_chart",
    "pareto_chart",
    "plan_actual_chart",
    "stage_time_chart",
    "throughput_chart",
    "waterfall_chart",
    "week_over_week_chart",
    "weekly_lift_chart",
]

_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}
# Won is green and lost red on every chart and in the CSS (static/app.css --won, --lost; a test
# keeps them equal), and no other series uses either colour, so green always means won.
OUTCOME_COLORS = {"won": "#2E8540", "lost": "#D43F3A"}
_KIND_COLORS = {"email": "#4C78A8", "call": "#F58518", "meeting": "#B279A2"}


_LEGEND_ON_TOP = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"}


# At the figure's bottom edge, under the x axis title, with room made for it: for charts whose
# height varies, where a legend placed relative to the plot would cover the axis title.
_LEGEND_AT_BOTTOM = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"}


def _html(
    fig: go.Figure, div_id: str, *, legend: dict[str, Any] | None = None, bottom: int = 50
) -> str:
    top = 80 if fig.layout.title.subtitle.text else 50
    fig.update_layout(
        margin={"l": 60, "r": 20, "t": top, "b": bottom},
        autosize=True,
        template="plotly_white",
        font={"family": "system-ui, sans-serif", "size": 13},
        legend=legend or {"orientation": "h", "y": -0.2},
    )
    html = fig.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG, div_id=div_id)
    # plotly.js (4.8 MB) loads with `defer`, so the page shows before it is parsed; each chart
    # draws once it has (deferred scripts run before DOMContentLoaded).
    return html.replace(
        "<script>", '<script>document.addEventListener("DOMContentLoaded", () => {', 1
    ).replace("</script>", "});</script>", 1)


def week_over_week_chart(
    this_week: dict[str, int], last_week: dict[str, int], whose: str = "Team activity"
) -> str:
    """Grouped bars: each activity type, the 7 days before vs the last 7 days; ``whose``
    activity it is opens the title (the team's, or a rep's own)."""
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
        title=f"{whose}: last 7 days vs the 7 days before",
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


# --- pipeline analytics ------------------------------------------------------------------------

_BLUE, _ORANGE, _PURPLE, _GREY, _TEAL, _INK = (
    "#4C78A8",
    "#F58518",
    "#B279A2",
    "#BAB0AC",
    "#72B7B2",
    "#102A43",
)
_WON, _LOST = OUTCOME_COLORS["won"], OUTCOME_COLORS["lost"]
_STAGE_COLORS = ("#9ECAE9", "#4C78A8", "#72B7B2", "#B279A2", "#EECA3B", "#F58518", "#9D755D")
_MANY_REPS = 40  # beyond this, a rep axis drops its names (hover shows them)

WATERFALL_LABELS = {
    "start": "Start",
    "created": "Created",
    "pulled_in": "Pulled in",
    "increased": "Increased",
    "won": "Won",
    "lost": "Lost",
    "pushed_out": "Pushed out",
    "decreased": "Decreased",
    "end": "Now",
}
_WATERFALL_OUT = {"won", "lost", "pushed_out", "decreased"}


def _stage_color(i: int) -> str:
    return _STAGE_COLORS[i % len(_STAGE_COLORS)]


def _usd(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"


def _unique_labels(rows: list[dict[str, Any]]) -> list[str]:
    """Rep names as axis categories; two reps of one name would share a bar, so those get
    their id."""
    names = [r["name"] or r["rep_id"] for r in rows]
    seen = {n for n in names if names.count(n) > 1}
    return [f"{n} ({r['rep_id']})" if n in seen else n for n, r in zip(names, rows, strict=True)]


def funnel_chart(stages: list[dict[str, Any]]) -> str:
    """The funnel of deals that reached each stage, ending with the won ones; each level says
    how many went on to the next."""
    labels = [s["stage"] for s in stages] + ["Won"]
    reached = [s["reached"] for s in stages] + [stages[-1]["reached_next"]]
    text, hover = [], []
    for i, s in enumerate(stages):
        following = labels[i + 1]
        conv = "—" if s["conversion"] is None else f"{s['conversion']:.0%}"
        text.append(f"{s['reached']:,} ({conv})")
        hover.append(
            f"{s['stage']}: {s['reached']:,} deals reached it<br>"
            f"{s['reached_next']:,} ({conv}) went on to {following}"
        )
    text.append(f"{reached[-1]:,} won")
    hover.append(f"{reached[-1]:,} deals won")
    fig = go.Figure(
        go.Funnel(
            y=labels,
            x=reached,
            text=text,
            textinfo="text",
            # Inside the wide levels, beside the narrow ones: never clipped, always readable.
            textposition=["inside" if n >= 0.45 * max(reached) else "outside" for n in reached],
            hovertext=hover,
            hoverinfo="text",
            marker={"color": [*(_stage_color(i) for i in range(len(stages))), _WON]},
            connector={"fillcolor": "#eef2f7"},
        )
    )
    fig.update_layout(
        title={
            "text": "Stage conversion",
            "subtitle": {"text": "Deals that reached each stage (% that went on)"},
        },
        xaxis_title="Deals that reached the stage (count)",
        yaxis_title="Stage",
        height=380,
    )
    return _html(fig, "chart-funnel")


def coverage_chart(reps: list[dict[str, Any]], period_name: str, limit: int = 30) -> str:
    """Per rep, horizontal bars of coverage (pipeline closing this period / quota left) with a
    marker at the rep's own need (1 / their win rate); the reps furthest below need on top."""
    rows = [r for r in reps if r["coverage"] is not None and r["required_coverage"]]
    rows.sort(key=lambda r: (r["coverage"] / r["required_coverage"], r["name"] or ""))
    total = len(rows)
    rows = rows[:limit][::-1]  # a horizontal bar chart draws its first row at the bottom
    labels = _unique_labels(rows)
    fig = go.Figure()
    groups = (
        ("below need", "Below need", _ORANGE),
        (None, "Within need", _BLUE),
        ("above need", "Above 2x need (check for padding)", _PURPLE),
    )
    for flag, name, color in groups:
        mine = [i for i, r in enumerate(rows) if r["coverage_flag"] == flag]
        if not mine:
            continue
        fig.add_bar(
            name=name,
            orientation="h",
            y=[labels[i] for i in mine],
            x=[rows[i]["coverage"] for i in mine],
            marker_color=color,
            customdata=[
                [
                    _usd(rows[i]["pipeline"]),
                    _usd(rows[i]["remaining_quota"]),
                    rows[i]["required_coverage"],
                ]
                for i in mine
            ],
            hovertemplate="%{y}<br>Coverage %{x:.2f}x: %{customdata[0]} pipeline for "
            "%{customdata[1]} quota left<br>Needs %{customdata[2]:.2f}x<extra></extra>",
        )
    fig.add_scatter(
        name="Needed (1 ÷ own win rate)",
        mode="markers",
        y=labels,
        x=[r["required_coverage"] for r in rows],
        marker={"symbol": "line-ns-open", "size": 18, "line": {"width": 3}, "color": _INK},
        hovertemplate="%{y}<br>Needs %{x:.2f}x quota left<extra></extra>",
    )
    subtitle = f"Pipeline ÷ quota left this {period_name}, per rep"
    if total > len(rows):
        subtitle = f"The {len(rows)} reps furthest below need, of {total:,}"
    fig.update_layout(
        title={"text": "Coverage against need", "subtitle": {"text": subtitle}},
        barmode="overlay",
        xaxis_title="Coverage (x quota left this " + period_name + ")",
        xaxis_ticksuffix="x",
        xaxis_rangemode="tozero",
        yaxis_title=None,
        yaxis_automargin=True,
        yaxis={"categoryorder": "array", "categoryarray": labels},
        height=max(340, 180 + 28 * len(rows)),
    )
    return _html(fig, "chart-coverage", legend=_LEGEND_AT_BOTTOM, bottom=100)


def stage_time_chart(stage_times: list[dict[str, Any]]) -> str:
    """Grouped bars of the median and P90 days deals spent in each stage."""
    stages = [t["stage"] for t in stage_times]
    fig = go.Figure()
    for key, name, color in (("median_days", "Median", _BLUE), ("p90_days", "P90", _ORANGE)):
        values = [t[key] for t in stage_times]
        fig.add_bar(
            name=name,
            x=stages,
            y=values,
            marker_color=color,
            text=["" if v is None else f"{v:.0f} d" for v in values],
            textposition="outside",
            customdata=[t["stays"] for t in stage_times],
            hovertemplate=f"%{{x}}<br>{name}: %{{y:.1f}} days "
            "over %{customdata:,} completed stays<extra></extra>",
        )
    fig.update_layout(
        title={
            "text": "Time in stage",
            "subtitle": {"text": "Median and P90 days, over completed stays"},
        },
        barmode="group",
        xaxis_title="Stage",
        yaxis_title="Days in stage",
        yaxis_rangemode="tozero",
        xaxis_automargin=True,
        height=440,
    )
    return _html(fig, "chart-stage-time", legend=_LEGEND_AT_BOTTOM, bottom=90)


def _flow_weeks(flow: dict[str, Any]) -> int:
    """The first week with anything in progress or closed: leading empty weeks only squash
    the chart."""
    for i, (wip, done) in enumerate(zip(flow["wip"], flow["throughput"], strict=True)):
        if done["closed"] or any(v for k, v in wip.items() if k != "week_end"):
            return max(i - 1, 0)
    return 0


def cumulative_flow_chart(flow: dict[str, Any]) -> str:
    """Stacked areas of the deals open in each stage at each week's end (cumulative flow);
    the furthest stage at the bottom."""
    first = _flow_weeks(flow)
    rows = flow["wip"][first:]
    weeks = [r["week_end"] for r in rows]
    fig = go.Figure()
    stages = list(flow["stages"])
    for stage in reversed(stages):
        fig.add_scatter(
            name=stage,
            x=weeks,
            y=[r[stage] for r in rows],
            mode="lines",
            stackgroup="wip",
            line={"width": 0.5, "color": _stage_color(stages.index(stage))},
            hovertemplate=f"{stage}: %{{y:,}} deals<extra></extra>",
        )
    fig.update_layout(
        title={
            "text": "Cumulative flow",
            "subtitle": {"text": "Open deals by stage at each week's end"},
        },
        xaxis_title="Week ending",
        yaxis_title="Open deals (count)",
        hovermode="x unified",
        legend_traceorder="reversed",
        height=460,
    )
    return _html(fig, "chart-cfd", legend=_LEGEND_AT_BOTTOM, bottom=90)


def throughput_chart(flow: dict[str, Any]) -> str:
    """Stacked bars of deals won and lost each week, with the average closed."""
    rows = flow["throughput"][_flow_weeks(flow) :]
    fig = go.Figure(
        [
            go.Bar(
                name=name,
                x=[r["week_end"] for r in rows],
                y=[r[outcome] for r in rows],
                marker_color=OUTCOME_COLORS[outcome],
                hovertemplate=f"Week ending %{{x}}<br>%{{y:,}} deals {outcome}<extra></extra>",
            )
            for outcome, name in (("won", "Won"), ("lost", "Lost"))
        ]
    )
    average = flow.get("throughput_per_week")
    if average is not None:
        fig.add_hline(
            y=average,
            line={"dash": "dash", "color": _ORANGE},
            annotation_text=f"26-week average {average:.1f}",
            annotation_position="top left",
        )
    fig.update_layout(
        title={"text": "Throughput", "subtitle": {"text": "Deals closed (won or lost) per week"}},
        barmode="stack",
        xaxis_title="Week ending",
        yaxis_title="Deals closed (count)",
        height=420,
    )
    return _html(fig, "chart-throughput")


_WATERFALL_COLORS = {  # into the pipeline teal, out of it orange; won and lost in theirs
    "start": _BLUE,
    "created": _TEAL,
    "pulled_in": _TEAL,
    "increased": _TEAL,
    "won": _WON,
    "lost": _LOST,
    "pushed_out": _ORANGE,
    "decreased": _ORANGE,
    "end": _BLUE,
}


def _waterfall_steps(bars: list[dict[str, Any]]) -> tuple[list[float], list[float], list[str]]:
    """Each bar's base, height and amount text: the totals stand on zero, what came in rises
    from the running level and what left falls from it."""
    level, bases, heights, text = 0.0, [], [], []
    for b in bars:
        value = b["value"] or 0.0
        if b["bar"] in ("start", "end"):
            # The end bar shows the end the data says, never a running sum.
            level = value
            bases.append(0.0)
            heights.append(value)
            text.append(_usd(value))
        elif b["bar"] in _WATERFALL_OUT:
            level -= value
            bases.append(level)
            heights.append(value)
            text.append("−" + _usd(value) if value else "$0")
        else:
            bases.append(level)
            heights.append(value)
            level += value
            text.append("+" + _usd(value) if value else "$0")
    return bases, heights, text


def waterfall_chart(waterfall: dict[str, Any]) -> str:
    """The period's pipeline from its start to now: totals at both ends, what came in going up
    and what left going down; won bars green and lost red, as on every chart (floating bars:
    a Plotly waterfall trace takes one colour per direction, not per bar)."""
    bars = waterfall["bars"]
    bases, heights, text = _waterfall_steps(bars)
    hover = [
        f"{WATERFALL_LABELS[b['bar']]}: {t} in {b['deals']:,} deal{'' if b['deals'] == 1 else 's'}"
        for b, t in zip(bars, text, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            # Each bar's amount under its name: a label on a bar that ends near the axis would
            # sit on the axis labels.
            x=[
                f"{WATERFALL_LABELS[b['bar']]}<br><b>{t}</b>"
                for b, t in zip(bars, text, strict=True)
            ],
            y=heights,
            base=bases,
            marker_color=[_WATERFALL_COLORS[b["bar"]] for b in bars],
            hovertext=hover,
            hoverinfo="text",
        )
    )
    fig.update_layout(
        title=f"Pipeline closing {waterfall['period_start']} to {waterfall['period_end']}: "
        f"from the period's start to {waterfall['as_of'][:10]}",
        xaxis_title="What happened to the deals",
        yaxis_title="Pipeline value (USD)",
        yaxis_tickprefix="$",
        yaxis_tickformat=",.0f",
        showlegend=False,
        height=440,
    )
    return _html(fig, "chart-waterfall")


def pareto_chart(pareto: dict[str, Any]) -> str:
    """Bars of won value per rep, largest first, and the cumulative share of revenue on a
    second axis; the top fifth of reps shaded, 80% of revenue marked."""
    curve = pareto["curve"]
    labels = _unique_labels(curve)
    many = len(curve) > _MANY_REPS
    fig = go.Figure()
    fig.add_bar(
        name="Won value",
        x=labels,
        y=[c["won_value"] for c in curve],
        marker_color=[_BLUE if i < pareto["top_reps"] else _GREY for i in range(len(curve))],
        customdata=[c["rank"] for c in curve],
        hovertemplate="#%{customdata} %{x}<br>Won %{y:$,.0f}<extra></extra>",
    )
    fig.add_scatter(
        name="Cumulative share of revenue",
        x=labels,
        y=[c["cumulative_share"] for c in curve],
        yaxis="y2",
        mode="lines+markers" if not many else "lines",
        line={"color": _ORANGE, "width": 2},
        hovertemplate="Top %{customdata} reps: %{y:.0%} of revenue<extra></extra>",
        customdata=[c["rank"] for c in curve],
    )
    fig.add_hline(
        y=0.8,
        yref="y2",
        line={"dash": "dot", "color": _INK},
        annotation_text="80% of revenue",
        annotation_position="bottom right",
    )
    if pareto["top_reps"]:
        share = pareto["top20_revenue_share"]
        fig.add_vrect(
            x0=-0.5,
            x1=pareto["top_reps"] - 0.5,
            fillcolor=_BLUE,
            opacity=0.08,
            line_width=0,
            annotation_text=f"Top 20%: {pareto['top_reps']} rep"
            f"{'' if pareto['top_reps'] == 1 else 's'}"
            + ("" if share is None else f", {share:.0%} of revenue"),
            annotation_position="top left",
        )
    fig.update_layout(
        title="Revenue by rep (Pareto)",
        xaxis_title="Reps, largest won value first" + (" (hover for names)" if many else ""),
        xaxis_showticklabels=not many,
        xaxis_tickangle=-35 if not many else None,
        xaxis_automargin=True,
        yaxis_title="Won value (USD)",
        yaxis_tickprefix="$",
        yaxis_tickformat=",.0f",
        # Headroom above the largest bar for the top group's label.
        yaxis_range=[0, 1.15 * max((c["won_value"] or 0 for c in curve), default=0) or 1],
        yaxis2={
            "title": "Cumulative share of revenue",
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.05],
            "tick0": 0,
            "dtick": 0.2,
            "tickformat": ".0%",
            "showgrid": False,
        },
        height=480,
    )
    # The legend above the plot: below it, it would cover the slanted rep names.
    return _html(fig, "chart-pareto", legend=_LEGEND_ON_TOP)


def plan_actual_chart(rows: list[dict[str, Any]], limit: int = 40) -> str:
    """Per rep, horizontal bars of the touches per prospect the cadence planned against those
    made; the reps furthest short of plan on top (``rows``: the inspection's ``by`` rows)."""
    rows = [r for r in rows if r["actual_touches_avg"] is not None]
    rows.sort(key=lambda r: (r["actual_touches_avg"] - (r["planned_touches_avg"] or 0), r["name"]))
    total = len(rows)
    rows = rows[:limit][::-1]  # a horizontal bar chart draws its first row at the bottom
    labels = _unique_labels(rows)
    fig = go.Figure()
    for key, name, color in (
        ("planned_touches_avg", "Planned by now", _GREY),
        ("actual_touches_avg", "Done", _BLUE),
    ):
        fig.add_bar(
            name=name,
            orientation="h",
            y=labels,
            x=[r[key] for r in rows],
            marker_color=color,
            customdata=[r["sequences"] for r in rows],
            hovertemplate="%{y}<br>" + name + ": %{x:.2f} touches per prospect"
            "<br>%{customdata} prospects<extra></extra>",
        )
    subtitle = "Touches per prospect: what the cadence made due, against what was done"
    if total > len(rows):
        subtitle = f"The {len(rows)} reps furthest short of plan, of {total:,}"
    fig.update_layout(
        title={"text": "Plan against actual", "subtitle": {"text": subtitle}},
        barmode="group",
        xaxis_title="Touches per prospect",
        xaxis_rangemode="tozero",
        yaxis_title=None,
        yaxis_automargin=True,
        yaxis={"categoryorder": "array", "categoryarray": labels},
        height=max(340, 180 + 34 * len(rows)),
    )
    return _html(fig, "chart-plan-actual", legend=_LEGEND_AT_BOTTOM, bottom=100)


def compare_chart(metrics: list[dict[str, Any]]) -> str:
    """One small panel per figure of a process comparison: before and after, each a point with
    its 95% interval as error bars and its n on hover (``metrics``: the comparison's rows)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[m["name"] for m in metrics])
    for col, m in enumerate(metrics, start=1):
        axis = FIGURES[m["key"]].unit
        scale, unit = (100, "%") if axis == "%" else (1, f" {axis}")
        for side, color in (("before", _GREY), ("after", _BLUE)):
            value, ci = m[side], m[f"{side}_ci"]
            if value is None:
                continue
            low, high = ci if ci else (value, value)
            fig.add_scatter(
                row=1,
                col=col,
                x=[side.capitalize()],
                y=[value * scale],
                mode="markers",
                marker={"color": color, "size": 11},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [(high - value) * scale],
                    "arrayminus": [(value - low) * scale],
                    "color": color,
                },
                hovertemplate=f"{side.capitalize()}: %{{y:.1f}}{unit} "
                f"(95% interval {low * scale:.1f}–{high * scale:.1f}), n = {m[f'{side}_n']:,}"
                "<extra></extra>",
                showlegend=False,
            )
        fig.update_yaxes(title_text=axis, row=1, col=col, rangemode="tozero")
    fig.update_layout(title="Before and after the change, with 95% intervals", height=360)
    fig.update_annotations(font_size=12)
    return _html(fig, "chart-compare")


# --- Return-on-Effort --------------------------------------------------------------------------

_LABEL_CHARS = 48  # a practice value's label on an axis; hover gives it whole


def _short_label(value: str) -> str:
    return value if len(value) <= _LABEL_CHARS else value[: _LABEL_CHARS - 1] + "…"


# A rate's hover after its value: its interval and n (customdata from _rate_custom).
_RATE_HOVER = (
    "(95% interval %{customdata[0]:.1f}–%{customdata[1]:.1f}%)<br>%{customdata[3]:,} "
    "responses of n = %{customdata[2]:,} touches<extra></extra>"
)


def _rate_error(rows: list[dict[str, Any]], color: str) -> dict[str, Any]:
    """Error bars from each row's 95% interval (``rate``, ``ci_low``, ``ci_high``), in points."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [(r["ci_high"] - r["rate"]) * 100 for r in rows],
        "arrayminus": [(r["rate"] - r["ci_low"]) * 100 for r in rows],
        "color": color,
    }


def _with_n(title: str, each: str) -> dict[str, Any]:
    """A rate chart's title, its subtitle saying where its intervals and n are."""
    return {"text": title, "subtitle": {"text": f"Each {each} with its 95% interval; hover for n"}}


def _rate_custom(rows: list[dict[str, Any]]) -> list[list[float]]:
    return [[r["ci_low"] * 100, r["ci_high"] * 100, r["touches"], r["responses"]] for r in rows]


def effort_rates_chart(rows: list[dict[str, Any]], feature: str) -> str:
    """The response rate of each value of a practice, a point with its 95% interval as error
    bars and its n on hover (``rows``: :class:`~rightturn.effort.rates.PracticeRate` as JSON),
    in the rows' order from the top."""
    labels = [_short_label(r["value"]) for r in rows]
    # Two reps of one name (or two long values cut alike) would share a row: give them their key.
    twice = {label for label in labels if labels.count(label) > 1}
    labels = [
        f"{label} ({r['key'] or i + 1})" if label in twice else label
        for i, (label, r) in enumerate(zip(labels, rows, strict=True))
    ]
    fig = go.Figure(
        go.Scatter(
            x=[r["rate"] * 100 for r in rows],
            y=labels,
            mode="markers",
            marker={"color": _BLUE, "size": 10},
            error_x=_rate_error(rows, _BLUE),
            text=[r["value"] for r in rows],
            customdata=_rate_custom(rows),
            hovertemplate="%{text}<br>%{x:.1f}% answered " + _RATE_HOVER,
        )
    )
    fig.update_layout(
        title=_with_n(f"{FIGURES['touch_response_rate'].name}, by {feature}", "point"),
        xaxis_title="Touches answered within 14 days (%)",
        xaxis_rangemode="tozero",
        yaxis={"categoryorder": "array", "categoryarray": labels[::-1], "automargin": True},
        height=max(240, 150 + 30 * len(rows)),
        showlegend=False,
    )
    return _html(fig, "chart-effort-rates")


def weekly_lift_chart(weeks: list[dict[str, Any]], around: dict[str, Any] | None, what: str) -> str:
    """The response rate week by week, each week a point with its 95% interval and its n on
    hover (weeks without touches left as gaps); with ``around`` (a before-and-after), the
    change day marked and each side's rate drawn across its days. ``what`` names the touches."""
    shown = [w for w in weeks if w["touches"]]
    fig = go.Figure(
        go.Scatter(
            name="Week",
            x=[w["week"] for w in shown],
            y=[w["rate"] * 100 for w in shown],
            mode="markers+lines",
            line={"color": _BLUE, "width": 1},
            marker={"color": _BLUE, "size": 8},
            error_y=_rate_error(shown, "#9ECAE9"),
            customdata=_rate_custom(shown),
            hovertemplate="Week of %{x|%Y-%m-%d}: %{y:.1f}% " + _RATE_HOVER,
        )
    )
    if around is not None:
        for side, start, end, color in (
            ("before", around["start"], around["change"], _GREY),
            ("after", around["change"], around["end"], _ORANGE),
        ):
            rate, n = around[f"{side}_rate"] * 100, around[f"{side}_touches"]
            fig.add_scatter(
                name=f"{side.capitalize()}: {rate:.1f}% of {n:,}",
                x=[start, end],
                y=[rate, rate],
                mode="lines",
                line={"color": color, "width": 3, "dash": "dash"},
                hovertemplate=f"{side.capitalize()} the change, {start} to {end}: {rate:.1f}% "
                f"of n = {n:,} touches<extra></extra>",
            )
        fig.add_vline(
            x=around["change"],
            line={"color": _INK, "dash": "dot"},
            annotation_text=f"Change {around['change']}",
            annotation_position="top left",
        )
    fig.update_layout(
        title=_with_n(f"{FIGURES['touch_response_rate_weekly'].name}: {what}", "week"),
        xaxis_title="Week starting (Monday)",
        yaxis_title="Touches answered within 14 days (%)",
        yaxis_rangemode="tozero",
        height=400,
    )
    return _html(fig, "chart-weekly-lift", legend=_LEGEND_ON_TOP)
