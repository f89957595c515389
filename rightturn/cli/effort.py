"""``rightturn effort``: Return-on-Effort — which practices earn buyer responses, with intervals
and n; ``rightturn effort focus-accuracy``: the issue/product classifier on the labelled corpus."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, day, errors, open_store

effort_app = typer.Typer(
    help="Return-on-Effort: response rates by practice.", invoke_without_command=True
)
app.add_typer(effort_app, name="effort")


@effort_app.callback()
@errors
def effort(
    ctx: typer.Context,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="The practice: channel, step, template, length, focus, hour, rep (also "
            "weekday, questions, personal).",
        ),
    ] = "focus",
    db: DbOption = None,
    since: Annotated[
        str | None, typer.Option("--since", help="First day of touches (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Last day (YYYY-MM-DD). Default: today."),
    ] = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="One rep only: an id or a unique name.")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print a list of {"value", "touches", "responses", "rate", "ci_low", '
            '"ci_high"} (and "negative", "meetings", "key").',
        ),
    ] = False,
) -> None:
    """Response rate by practice: for each value, the touches, the buyer responses (a reply in
    the thread, a call back, a meeting booked) within 14 days, the rate and its 95% interval."""
    if ctx.invoked_subcommand is not None:
        return
    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import Scope
    from rightturn.effort.report import effort_report
    from rightturn.process.today import resolve_rep

    store = open_store(db)
    end = as_of_datetime(day(until, "--until") or datetime.now(UTC).date())
    start = day(since, "--since")
    begin = as_of_datetime(start) - timedelta(days=1) if start else None
    rep_id = resolve_rep(store, rep) if rep else None
    report = effort_report(store, Scope.everything(), by, since=begin, until=end, rep_id=rep_id)
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
        return
    title = (
        f"Buyer responses by {by}: {report.responses:,} of {report.touches:,} touches "
        f"to {end.date().isoformat()}"
    )
    table = Table(title=title)
    for header in (by.capitalize(), "Touches", "Responses", "Rate", "95% interval", "Negative"):
        table.add_column(header, justify="left" if header == by.capitalize() else "right")
    for r in report.rows:
        table.add_row(
            r.value,
            f"{r.touches:,}",
            f"{r.responses:,}",
            f"{r.rate:.1%}",
            f"{r.ci_low:.1%}–{r.ci_high:.1%}",
            f"{r.negative:,}",
        )
    console.print(table)
    console.print(
        "Touches of the last 14 days are left out: their buyers may still answer.",
        style="dim",
    )


@effort_app.command("focus-accuracy")
@errors
def focus_accuracy(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON list.")] = False,
) -> None:
    """How often the issue/product classifier agrees with the labelled corpus's writers: the
    model on writers it was not trained on, and the lexicon baseline."""
    from rightturn.effort.focus import evaluate_focus

    found = evaluate_focus()
    if as_json:
        print(json.dumps([asdict(a) for a in found], indent=2))
        return
    table = Table(title="Issue or product focus, against 240 hand-labelled sales emails")
    for header in ("Classifier", "Emails", "Accuracy", "Per writer", "Hard", "Clear"):
        table.add_column(header, justify="left" if header == "Classifier" else "right")
    for a in found:
        table.add_row(
            a.name,
            str(a.emails),
            f"{a.accuracy:.1%}",
            ", ".join(f"{w} {v:.0%}" for w, v in a.by_writer.items()),
            f"{a.hard:.0%}",
            f"{a.clear:.0%}",
        )
    console.print(table)
