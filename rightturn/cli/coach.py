"""``rightturn coach --rep ID``: a rep's coaching scorecard — where they differ most from the top
group on the practices that earn buyer responses, and their effort against their result."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, day, errors, money, open_store

if TYPE_CHECKING:
    from rightturn.effort.coach import Scorecard, Share

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
        if rep is not None:  # else `coach --rep X notes` would list everyone's notes
            sub = ctx.invoked_subcommand
            fix = f"rightturn coach {sub} --rep {rep}" if sub != "close" else "just its number"
            raise typer.BadParameter(f"give it after the subcommand: {fix}", param_hint="--rep")
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
    _print_card(card, begin, end)


def _print_card(card: Scorecard, begin: datetime, end: datetime) -> None:
    """The scorecard as the terminal shows it: the rep and period, effort and result, the
    practices, the first focus in words and how to read the table."""
    top = " (in the top group)" if card.in_top_group else ""
    console.print(
        f"[bold]{card.name}[/]{top}, {card.team or 'no team'}: "
        f"{begin.date().isoformat()} to {end.date().isoformat()}",
        highlight=False,
    )
    console.print(_results_table(card))
    console.print(_gaps_table(card))
    if card.gaps:
        console.print(f"First focus: {card.gaps[0].sentence}", highlight=False)
    console.print(
        "Effect within rep: the response-rate points a practice adds within each rep's own "
        "touches (Mantel-Haenszel); ? = not clear (its interval holds 0); * = the pooled "
        "effect disagrees (good reps use it more). Gain /100: responses per 100 touches from "
        "matching the top group's share.",
        style="dim",
    )


def _results_table(card: Scorecard) -> Table:
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
    return results


def _gaps_table(card: Scorecard) -> Table:
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
    return gaps


def _share_text(share: Share) -> str:
    return f"{_pct(share.share)} (n={share.n:,})"


@coach_app.command("note")
@errors
def note(
    rep: Annotated[str, typer.Option("--rep", help="The rep: an id, or a rep's unique name.")],
    practice: Annotated[
        str,
        typer.Option("--practice", help="The focus: brief, issue, question, personal or morning."),
    ],
    target: Annotated[
        str | None,
        typer.Option("--target", help="The share of touches to reach, like 60% or 0.6."),
    ] = None,
    text: Annotated[str | None, typer.Option("--note", help="What was agreed, in words.")] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who sets it (a name or email). Default: your login name."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Record a coaching note: a focus (one practice of the scorecard) and a target share for
    a rep. `rightturn coach notes` follows it week by week."""
    from rightturn.cli.process import _login_name
    from rightturn.crm.scope import Scope
    from rightturn.effort.notes import record_note
    from rightturn.process.today import resolve_rep

    store = open_store(db)
    done = record_note(
        store, resolve_rep(store, rep), practice, target, text, by or _login_name(),
        Scope.everything(),
    )  # fmt: skip
    aim = f", target {_pct(done.target)}" if done.target is not None else ""
    console.print(
        escape(f"Recorded note {done.id} for {done.rep}: {done.practice_name}{aim}, by {done.by}."),
        highlight=False,
    )


@coach_app.command("notes")
@errors
def notes(
    rep: Annotated[
        str | None, typer.Option("--rep", help="Only this rep's notes (an id or a name).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Follow up to this day (YYYY-MM-DD).")
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON list.")] = False,
) -> None:
    """Coaching notes, the newest first, each with the rep's share of touches following the
    focus: in the 4 weeks before the note, since it, and in the last 2 weeks against the
    target; and the response rate per touch before and since."""
    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import Scope
    from rightturn.effort.notes import LATEST_WEEKS, WEEKS_BEFORE, notes_for, progresses
    from rightturn.process.today import resolve_rep

    store = open_store(db)
    rep_id = resolve_rep(store, rep) if rep else None
    end = as_of_datetime(day(until, "--until") or datetime.now(UTC).date())
    found = progresses(store, notes_for(store, rep_id, Scope.everything()), until=end)
    if as_json:
        print(json.dumps([p.as_json() for p in found], indent=2))
        return
    if not found:
        console.print("No coaching notes yet: `rightturn coach note --rep ID --practice KEY`.")
        return
    console.print(f"Coaching notes, followed to {end.date().isoformat()}", style="bold")
    for p in found:
        n = p.note
        aim = f" · target {_pct(n.target)}" if n.target is not None else ""
        state = "open" if n.is_open else f"closed {n.closed_at:%Y-%m-%d}"
        met = {True: ": the target is reached", False: ": not yet at the target", None: ""}
        lines = [
            f"Note {n.id} · {n.rep} · {n.practice_name}{aim} · set {n.created_at:%Y-%m-%d} "
            f"by {n.by}, {state}",
            f"  Share following it: {_share_text(p.before)} the "
            f"{WEEKS_BEFORE} weeks before → {_share_text(p.since)} since → "
            f"{_share_text(p.latest)} the last {LATEST_WEEKS} weeks"
            f"{met[p.target_met]}",
            f"  Response rate per touch: {_share_text(p.answered_before)} before → "
            f"{_share_text(p.answered_since)} since",
        ]
        if n.note:
            lines.append(f"  “{n.note}”")
        console.print(escape("\n".join(lines)), highlight=False)
    console.print(
        "Shares count the rep's touches following the focus (emails, for the email "
        "practices); the response rate, touches answered within 14 days of those whose 14 "
        "days are over. Weeks run Monday to Sunday in the org's time zone.",
        style="dim",
    )


@coach_app.command("close")
@errors
def close(
    note_id: Annotated[int, typer.Argument(help="The note's number (`rightturn coach notes`).")],
    db: DbOption = None,
) -> None:
    """Close a coaching note: its focus is done (the note and its weeks stay readable)."""
    from rightturn.crm.scope import Scope
    from rightturn.effort.notes import close_note

    done = close_note(open_store(db), note_id, Scope.everything())
    console.print(
        escape(f"Closed note {done.id} for {done.rep}: {done.practice_name}."), highlight=False
    )
