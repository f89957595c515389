"""``rightturn inspect``: prospecting plan against actual, per rep, team or product line; and
``rightturn process conformance``: deals against the stage model."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, day, errors, open_store
from rightturn.cli.process import process_app
from rightturn.errors import ParseError

BY = ("rep", "team", "product")


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


ByOption = Annotated[str, typer.Option(help="Roll up per rep, team or product (line).")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="As of the end of this date (YYYY-MM-DD).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _run(
    db: str | None,
    by: str,
    as_of: str | None,
    as_json: bool,
    check: Callable[..., Any],
    render: Callable[[dict[str, Any]], None],
) -> None:
    """Check ``--by``, run ``check(store, scope, as_of=..., by=...)`` over the whole org, and
    print its ``as_json()`` as JSON or through ``render``."""
    if by not in BY:
        raise ParseError(f"--by {by!r} is not one of {', '.join(BY)}")
    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import Scope

    store = open_store(db)
    when = as_of_datetime(day(as_of, "--as-of"))
    result = check(store, Scope.everything(), as_of=when, by=by).as_json()
    if as_json:
        print(json.dumps(result, default=str, indent=2))
        return
    render(result)


@app.command()
@errors
def inspect(
    db: DbOption = None,
    by: ByOption = "rep",
    as_of: AsOfOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Prospecting plan against actual: touches planned by now (or by the exit) against done,
    on time, channel followed, exit rule honoured, abandoned before touch 3, and the spread
    between reps. Deals against the stage model: `rightturn process conformance`."""
    from rightturn.process.inspect import inspect_process

    _run(db, by, as_of, as_json, inspect_process, _render)


def _render(r: dict[str, Any]) -> None:
    """The inspection as a headline and one table row per group."""
    spread = r["rep_spread"]
    console.print(
        f"[bold]{r['process_name']}[/] (version {r['process_version']}), as of {r['as_of'][:10]}: "
        f"{r['sequences']} prospect sequences by {r['reps']} reps\n"
        f"touches per prospect: planned {_num(r['planned_touches_avg'])}, "
        f"done {_num(r['actual_touches_avg'])}; abandoned before touch 3: "
        f"{_pct(r['abandoned_before_3_share'])}; on time {_pct(r['on_time_share'])}; "
        f"channel followed {_pct(r['channel_followed_share'])}; "
        f"touches after a reply: {r['exit_violations']}\n"
        f"between reps (touches done per prospect): std {_num(spread['std'])}, "
        f"p10 {_num(spread['p10'])}, p90 {_num(spread['p90'])}",
        highlight=False,
    )
    table = Table(title=f"Plan against actual by {r['by_what']}")
    for header in (
        r["by_what"].capitalize(), "Prospects", "Planned", "Done", "Abandoned <3", "Days apart",
        "On time", "Channel", "After reply",
    ):  # fmt: skip
        table.add_column(header, justify="left" if header == r["by_what"].capitalize() else "right")
    for g in r["by"]:
        table.add_row(
            g["name"],
            str(g["sequences"]),
            _num(g["planned_touches_avg"]),
            _num(g["actual_touches_avg"]),
            _pct(g["abandoned_before_3_share"]),
            _num(g["median_days_between_touches"], 1),
            _pct(g["on_time_share"]),
            _pct(g["channel_followed_share"]),
            str(g["exit_violations"]),
        )
    console.print(table)


@process_app.command("conformance")
@errors
def conformance(
    db: DbOption = None,
    by: ByOption = "rep",
    as_of: AsOfOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Deals against the stage model: skipped stages, backward moves, advances with the stage's
    criteria unmet, token-replay fitness (pm4py), and the map of the moves deals made."""
    from rightturn.process.conformance import check_conformance

    _run(db, by, as_of, as_json, check_conformance, _render_conformance)


def _render_conformance(r: dict[str, Any]) -> None:
    """The headline, one row per group, and the moves deals made (deviations first)."""
    fitness = (
        f"fitness {_num(r['fitness_avg'])}"
        if r["fitness_available"]
        else "fitness not computed (install pm4py: pip install 'rightturn[mining]')"
    )
    console.print(
        f"[bold]{r['process_name']}[/] (version {r['process_version']}), as of {r['as_of'][:10]}: "
        f"{r['deals']} deals; conforming {_pct(r['conforming_share'])}; {fitness}\n"
        f"skipped a stage {_pct(r['skipped_share'])}; moved backward "
        f"{_pct(r['backward_share'])}; advances with criteria unmet {_pct(r['unmet_share'])} "
        f"of {r['advances']}" + (f" (most often: {r['top_unmet']})" if r["top_unmet"] else ""),
        highlight=False,
    )
    what = r["by_what"].capitalize()
    table = Table(title=f"Deals against the stage model by {r['by_what']}")
    for header in (what, "Deals", "Conforming", "Fitness", "Skipped", "Backward", "Unmet"):
        table.add_column(header, justify="left" if header == what else "right")
    for g in r["by"]:
        table.add_row(
            g["name"],
            str(g["deals"]),
            _pct(g["conforming_share"]),
            _num(g["fitness_avg"]),
            _pct(g["skipped_share"]),
            _pct(g["backward_share"]),
            _pct(g["unmet_share"]),
        )
    console.print(table)
    moves = Table(title="The moves deals made (the process map)")
    for header in ("From", "To", "Deals", "Kind", "Median days"):
        moves.add_column(header, justify="right" if header in ("Deals", "Median days") else "left")
    usual = ("start", "forward", "won", "lost")
    for e in sorted(r["map"]["edges"], key=lambda e: (e["kind"] in usual, -e["deals"])):
        style = None if e["kind"] in usual else "yellow"
        moves.add_row(
            e["from"] or "(created)",
            e["to"],
            str(e["deals"]),
            e["kind"],
            _num(e["median_days"], 1),
            style=style,
        )
    console.print(moves)
