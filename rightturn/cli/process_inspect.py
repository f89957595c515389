"""``rightturn inspect``: prospecting plan against actual, per rep, team or product line."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, day, errors, open_store
from rightturn.errors import ParseError

BY = ("rep", "team", "product")


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@app.command()
@errors
def inspect(
    db: DbOption = None,
    by: Annotated[str, typer.Option(help="Roll up per rep, team or product (line).")] = "rep",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Inspect as of the end of this date (YYYY-MM-DD)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Prospecting plan against actual: touches planned by now (or by the exit) against done,
    on time, channel followed, exit rule honoured, abandoned before touch 3, and the spread
    between reps."""
    if by not in BY:
        raise ParseError(f"--by {by!r} is not one of {', '.join(BY)}")
    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import Scope
    from rightturn.process.inspect import inspect_process

    store = open_store(db)
    when = as_of_datetime(day(as_of, "--as-of"))
    result = inspect_process(store, Scope.everything(), as_of=when, by=by)  # type: ignore[arg-type]
    if as_json:
        print(json.dumps(result.as_json(), default=str, indent=2))
        return
    _render(result.as_json())


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
