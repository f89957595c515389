"""Commands over the pipeline analytics: ``metrics`` and ``whatif``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, day, errors, money, open_store, steps
from rightturn.errors import ParseError

# The analytics (and pandas, ~0.3 s to import) load only when a command here runs.
SECTIONS = ("integrity", "velocity", "flow", "waterfall", "prospecting", "pareto")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


@app.command()
@errors
def metrics(
    db: DbOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Replay the pipeline as of this date (YYYY-MM-DD)."),
    ] = None,
    by: Annotated[
        str | None, typer.Option(help="Break the metrics down by rep, team, product or segment.")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(help="Q or M: count deals closed in this quarter or month (and coverage)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    only: Annotated[
        str | None,
        typer.Option(
            help=f"Comma-separated sections beyond the pipeline metrics: {','.join(SECTIONS)} "
            "(default: all)."
        ),
    ] = None,
) -> None:
    """Pipeline metrics as of a date: win rate, cycle, coverage from each rep's own win rate,
    integrity flags, velocity, flow, the period's waterfall, prospecting need and Pareto."""
    if by and by not in ("rep", "team", "product", "segment"):
        raise ParseError(f"--by {by!r} is not one of rep, team, product, segment")
    if period and period not in ("Q", "M"):
        raise ParseError(f"--period {period!r} is not Q (quarter) or M (month)")
    sections = tuple(s.strip() for s in only.split(",") if s.strip()) if only else SECTIONS
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ParseError(f"--only {','.join(unknown)}: sections are {','.join(SECTIONS)}")
    from rightturn.analytics.report import metrics_report

    store = open_store(db)
    with steps("Computing the metrics") as step:
        step("reading the pipeline")
        report = metrics_report(
            store, as_of=day(as_of, "--as-of"), by=by, period=period, sections=sections
        )
    if as_json:
        print(json.dumps(report, default=str, indent=2))
        return
    _render(report)


def _render(r: dict[str, Any]) -> None:
    """The metrics report as tables and lines: the headline, the breakdown when asked for,
    coverage per rep, then each section the report holds."""
    console.print(_headline(r))
    if r.get("groups"):
        console.print(_groups(r))
    console.print(_coverage(r))
    if "integrity" in r:
        console.print(_integrity(r["integrity"]))
    if "velocity" in r:
        _print_velocity(r["velocity"])
    if "flow" in r:
        console.print(_flow_line(r["flow"]))
    if "waterfall" in r:
        console.print(_waterfall_line(r["waterfall"]))
    if "pareto" in r:
        console.print(_pareto_line(r["pareto"]))


def _headline(r: dict[str, Any]) -> Table:
    """Won, lost and open deals, win rate, value, the won cycle and the top reps' share."""
    head = Table(
        title=f"Pipeline as of {r['as_of'][:10]}" + (f" ({r['period']})" if r["period"] else "")
    )
    for column in (
        "won",
        "lost",
        "open",
        "win rate",
        "won value",
        "avg deal",
        "cycle (won)",
        "top 20% share",
    ):
        head.add_column(column, justify="right")
    cycle = (
        "—"
        if r["cycle_days_median"] is None
        else f"{r['cycle_days_median']:.0f} d (P90 {r['cycle_days_p90']:.0f})"
    )
    head.add_row(
        f"{r['won']:,}",
        f"{r['lost']:,}",
        f"{r['open']:,}",
        _pct(r["win_rate"]),
        money(r["won_value"]),
        money(r["avg_deal"]),
        cycle,
        _pct(r["top20_revenue_share"]),
    )
    return head


def _groups(r: dict[str, Any]) -> Table:
    """The same figures by rep, team, product or segment (``--by``)."""
    groups = Table(title=f"By {r['by']}")
    for column in ("", "won", "lost", "win rate", "won value", "avg deal", "open value"):
        groups.add_column(column, justify="right" if column else "left")
    for g in r["groups"]:
        groups.add_row(
            str(g["name"]),
            f"{g['won']:,}",
            f"{g['lost']:,}",
            _pct(g["win_rate"]),
            money(g["won_value"]),
            money(g["avg_deal"]),
            money(g["open_value"]),
        )
    return groups


def _coverage(r: dict[str, Any]) -> Table:
    """Each rep's coverage against what their own win rate needs (the 25 largest)."""
    reps = Table(
        title="Coverage per rep: pipeline this period / quota left, against 1 / own win rate"
    )
    for column in ("rep", "won", "lost", "win rate", "won value", "needs", "has", ""):
        reps.add_column(column, justify="left" if column in ("rep", "") else "right")
    for rep in r["reps"][:25]:
        reps.add_row(
            rep["name"],
            f"{rep['won']:,}",
            f"{rep['lost']:,}",
            _pct(rep["win_rate"]),
            money(rep["won_value"]),
            _x(rep["required_coverage"]),
            _x(rep["coverage"]),
            rep["coverage_flag"] or "",
        )
    if len(r["reps"]) > 25:
        reps.caption = f"the 25 largest by won value of {len(r['reps']):,}; --json lists all"
    return reps


def _integrity(integrity: dict[str, Any]) -> Table:
    """The open pipeline's integrity flags: deals and value each."""
    flags = Table(title="Integrity of the open pipeline")
    for column in ("flag", "deals", "value"):
        flags.add_column(column, justify="left" if column == "flag" else "right")
    for name, f in integrity.items():
        flags.add_row(name.replace("_", " "), f"{f['count']:,}", money(f["value"]))
    return flags


def _print_velocity(v: dict[str, Any]) -> None:
    """Time in stage, the deals stalled beyond it and the sales velocity."""
    times = Table(title="Time in stage (days)")
    for column in ("stage", "median", "P90"):
        times.add_column(column, justify="left" if column == "stage" else "right")
    for t in v["stage_times"]:
        times.add_row(t["stage"], str(t["median_days"]), str(t["p90_days"]))
    console.print(times)
    console.print(
        f"Stalled beyond their stage's P90: {v['stalled']['count']:,} deals "
        f"({money(v['stalled']['value'])}). Sales velocity: "
        f"{money(v['sales_velocity_per_month'])} a month."
    )


def _flow_line(flow: dict[str, Any]) -> str:
    """Work in progress, throughput and cycle, against what Little's law predicts."""
    law = flow["littles_law"]
    return (
        f"Flow: {law['avg_wip']} deals in progress on average, {law['throughput_per_week']} "
        f"closed a week, {law['cycle_weeks']} weeks each; Little's law predicts "
        f"{law['predicted_wip']} (ratio {law['ratio']})."
    )


def _waterfall_line(w: dict[str, Any]) -> str:
    """How the period's pipeline moved from its start to the as-of date, bar by bar."""
    bars = " ".join(f"{b['bar']} {money(b['value'])}" for b in w["bars"])
    return f"Waterfall {w['period_start']} to {w['as_of'][:10]}: {bars}"


def _pareto_line(p: dict[str, Any]) -> str:
    """The top reps' share of revenue, and what the rest at the top win rate would add."""
    uplift = p["whatif"]["win_rate"].get("uplift")
    return (
        f"Top {p['top_reps']} of {p['reps']} reps bring {_pct(p['top20_revenue_share'])} of "
        f"revenue; the rest at the top win rate would add {money(uplift)}."
    )


def _count_or_dash(value: float | None, *, sign: int = 0) -> str:
    """A monthly count (a signed difference with ``sign``), or a dash when unknown."""
    if value is None:
        return "—"
    return f"{sign * value:+,.1f}" if sign else f"{value:,.1f}"


def _signed_money(value: float | None) -> str:
    """A difference in dollars with its sign: +$1,000 or -$1,000 (a lower target costs); a dash
    when there is nothing to compute it from (a team with no closed deals)."""
    if value is None:
        return money(None)
    return ("-" if value < 0 else "+") + money(abs(value))


@app.command()
@errors
def whatif(
    metric: Annotated[str, typer.Option(help="The metric to move (win_rate).")] = "win_rate",
    from_: Annotated[
        str, typer.Option("--from", help="Today's win rate: 33% or 0.33 (1% to 99%).")
    ] = "",
    to: Annotated[str, typer.Option(help="The win rate to reach: 40% or 0.4 (1% to 99%).")] = "",
    decrease: Annotated[
        bool, typer.Option("--decrease", help="Allow a target below today's (what a drop costs).")
    ] = False,
    team: Annotated[
        str | None, typer.Option(help='A team, by name ("East 1") or id (default: everyone).')
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="As of this date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    db: DbOption = None,
) -> None:
    """What moving the win rate from x to y is worth: revenue from the same closed deals, and the
    pipeline and qualified opportunities a month no longer needed for the same quota. The rates
    are bounded as in the panel: 1% to 99%, the target above today's unless --decrease."""
    from rightturn.analytics.report import whatif_report

    result = whatif_report(
        open_store(db),
        metric=metric,
        before=from_,
        after=to,
        team=team,
        as_of=day(as_of, "--as-of"),
        allow_decrease=decrease,
    )
    if as_json:
        print(json.dumps(result, indent=2))
        return
    who = f"team {result['team']}" if result["team"] else "the whole org"
    low, high = result["from"], result["to"]
    table = Table(title=f"Win rate {low:.0%} -> {high:.0%} for {who}")
    table.add_column("")
    table.add_column(f"at {low:.0%}", justify="right")
    table.add_column(f"at {high:.0%}", justify="right")
    table.add_column("difference", justify="right")
    table.add_row(
        f"revenue from the same {result['closed_deals']:,} closed deals",
        money(result["revenue_from"]),
        money(result["revenue_to"]),
        _signed_money(result["revenue_gain"]),
    )
    table.add_row(
        f"pipeline needed for the {money(result['annual_quota'])} annual quota",
        money(result["pipeline_needed_from"]),
        money(result["pipeline_needed_to"]),
        _signed_money(-result["pipeline_no_longer_needed"]),
    )
    table.add_row(
        "qualified opportunities needed a month",
        _count_or_dash(result["qualified_per_month_from"]),
        _count_or_dash(result["qualified_per_month_to"]),
        _count_or_dash(result["qualified_per_month_saved"], sign=-1),
    )
    console.print(table)
    console.print(f"Average deal {money(result['avg_deal'])}, from the closed deals' history.")
