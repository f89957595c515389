"""``rightturn coach --rep ID``: a rep's coaching scorecard — where they differ most from the top
group on the practices that earn buyer responses, and their effort against their result."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, day, errors, money, open_store

coach_app = typer.Typer(
    help="Coaching: a rep's scorecard against the top group.", invoke_without_command=True
)
app.add_typer(coach_app, name="coach")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@coach_app.callback()
@errors
def coach(
    ctx: typer.Context,
    rep: Annotated[
        str | None, typer.Option("--rep", help="The rep: an id, or a rep's unique name.")
    ] = None,
    db: DbOption = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="First day of touches (YYYY-MM-DD). Default: 26 weeks."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last day (YYYY-MM-DD). Default: today.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The rep's scorecard: each practice's share of their touches against their team's and the
    top group's, its effect on responses within rep (and pooled), the responses per 100 touches
    they would gain by matching the top group, ranked; and effort against result."""
    if ctx.invoked_subcommand is not None:
        return
    if rep is None:
        raise typer.BadParameter("say which rep: --rep ID or --rep NAME", param_hint="--rep")
    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import Scope
    from rightturn.effort.coach import scorecard
    from rightturn.process.today import resolve_rep

    store = open_store(db)
    rep_id = resolve_rep(store, rep)
    end = as_of_datetime(day(until, "--until") or datetime.now(UTC).date())
    start = day(since, "--since")
    begin = as_of_datetime(start) - timedelta(days=1) if start else end - timedelta(weeks=26)
    card = scorecard(store, rep_id, scope=Scope.everything(), since=begin, until=end)
    if as_json:
        print(json.dumps(card.as_json(), default=str, indent=2))
        return
    top = " (in the top group)" if card.in_top_group else ""
    console.print(
        f"[bold]{card.name}[/]{top}, {card.team or 'no team'}: "
        f"{begin.date().isoformat()} to {end.date().isoformat()}",
        highlight=False,
    )
    results = Table(title="Effort and result")
    for header in ("", "Touches", "Responses", "Rate", "Per 100 touches", "Call h", "Meeting h",
                   "Won", "Won value"):  # fmt: skip
        results.add_column(header, justify="left" if not header else "right")
    for label, r in (("You", card.result), ("Your team", card.team_result),
                     (f"Top group ({card.top_group} reps)", card.top_result)):  # fmt: skip
        results.add_row(
            label,
            f"{r.touches:,}",
            f"{r.responses:,}",
            _pct(r.rate),
            "—" if r.responses_per_100 is None else f"{r.responses_per_100:.1f}",
            f"{r.call_hours:,.1f}",
            f"{r.meeting_hours:,.1f}",
            str(r.won_deals),
            money(r.won_value),
        )
    console.print(results)
    gaps = Table(title="Practices, the biggest gain first")
    for header in ("Practice", "You", "Team", "Top group", "Effect within rep", "Gain /100"):
        gaps.add_column(header, justify="left" if header == "Practice" else "right")
    for g in card.gaps:
        within = g.effect.within_rep_difference
        gaps.add_row(
            g.name + (" *" if g.effect.disagree else ""),
            f"{_pct(g.rep.share)} (n={g.rep.n:,})",
            f"{_pct(g.team.share)}",
            f"{_pct(g.top.share)} (n={g.top.n:,})",
            "—" if within is None else f"{within * 100:+.1f} pts" + ("" if g.clear else " ?"),
            "—" if g.gain_per_100 is None else f"{g.gain_per_100:+.1f}",
        )
    console.print(gaps)
    if card.gaps:
        console.print(f"First focus: {card.gaps[0].sentence}", highlight=False)
    console.print(
        "Effect within rep: the response-rate points a practice adds within each rep's own "
        "touches (Mantel-Haenszel); ? = not clear (its interval holds 0); * = the pooled "
        "effect disagrees (good reps use it more). Gain /100: responses per 100 touches from "
        "matching the top group's share.",
        style="dim",
    )
