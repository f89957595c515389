"""``rightturn effort``: Return-on-Effort — which practices earn buyer responses, with intervals
and n; ``rightturn effort focus-accuracy``: the issue/product classifier on the labelled corpus."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, day, errors, open_store

if TYPE_CHECKING:
    from rightturn.effort.touches import Touch

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
    team: Annotated[
        str | None, typer.Option("--team", help='One team only: its name ("East 1") or id.')
    ] = None,
) -> None:
    """Response rate by practice: for each value, the touches, the buyer responses (a reply in
    the thread, a call back, a meeting booked) within 14 days, the rate and its 95% interval."""
    if ctx.invoked_subcommand is not None:
        return
    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import Scope
    from rightturn.effort.report import effort_report
    from rightturn.effort.whose import whose_touches
    from rightturn.process.today import resolve_rep

    store = open_store(db)
    end = as_of_datetime(day(until, "--until") or datetime.now(UTC).date())
    start = day(since, "--since")
    begin = as_of_datetime(start) - timedelta(days=1) if start else None
    scope, _ = whose_touches(store, Scope.everything(), team=team)
    rep_id = resolve_rep(store, rep, scope) if rep else None
    report = effort_report(store, scope, by, since=begin, until=end, rep_id=rep_id)
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


# -- A/B between two values, and lift week by week ----------------------------------------------

ByOption = Annotated[
    str,
    typer.Option(
        "--by",
        help="The practice: channel, step, template, length, focus, hour, rep, weekday, "
        "questions, personal.",
    ),
]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="First day of touches (YYYY-MM-DD).")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="Last day (YYYY-MM-DD). Default: today.")
]
RepOption = Annotated[
    str | None, typer.Option("--rep", help="One rep only: an id or a unique name.")
]
TeamOption = Annotated[
    str | None, typer.Option("--team", help='One team only: its name ("East 1") or id.')
]


@dataclass(frozen=True)
class _Read:
    touches: list[Touch]
    until: datetime
    whose: str
    names: dict[str, str]
    zone: str


def _read(
    db: str | None, since: str | None, until: str | None, rep: str | None, team: str | None
) -> _Read:
    """The touches of the period and the rep or team asked for, whose window is over."""
    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import Scope
    from rightturn.crm.zones import org_time_zone
    from rightturn.effort.report import rep_names, scoped_touches
    from rightturn.effort.whose import whose_touches

    store = open_store(db)
    end = as_of_datetime(day(until, "--until") or datetime.now(UTC).date())
    start = day(since, "--since")
    begin = as_of_datetime(start) - timedelta(days=1) if start else None
    scope, label = whose_touches(store, Scope.everything(), rep=rep, team=team)
    with store.session() as s:
        zone = org_time_zone(s)
    touches = scoped_touches(store, scope, since=begin, until=end)
    return _Read(touches, end, label or "everyone", rep_names(store), zone)


def _rate_table(
    title: str, first: str, rows: Sequence[tuple[str, int, int, float | None, str]]
) -> Table:
    table = Table(title=title)
    for header in (first, "Touches", "Responses", "Rate", "95% interval"):
        table.add_column(header, justify="left" if header == first else "right")
    for value, n, k, rate, interval in rows:
        table.add_row(value, f"{n:,}", f"{k:,}", "—" if rate is None else f"{rate:.1%}", interval)
    return table


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} pts"


@effort_app.command("ab")
@errors
def ab(
    a: Annotated[str, typer.Argument(help="Value A, the one to beat (issue, T3, a rep's name).")],
    b: Annotated[str, typer.Argument(help="Value B, set against A.")],
    by: ByOption = "focus",
    db: DbOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    rep: RepOption = None,
    team: TeamOption = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print one object: "feature", "a" and "b" (each {"value", "touches", '
            '"responses", "rate", "ci_low", "ci_high"}), "prob_b_better", "lift", '
            '"lift_ci_low", "lift_ci_high", "decision", "more_touches_needed", "summary", '
            '"within_rep", "pooled", "disagree", "reps".',
        ),
    ] = False,
) -> None:
    """A/B between two values of one practice: P(B better), the expected lift, whether it is
    decided (a rule that holds however often you look) and how many more touches it needs;
    and B against A within each rep's own touches."""
    from rightturn.effort.ab import compare_values
    from rightturn.effort.rates import feature_value

    feature_value(by)  # a bad feature fails before the data is read
    read = _read(db, since, until, rep, team)
    found = compare_values(read.touches, by, a, b, read.names)
    if as_json:
        print(json.dumps(found.as_json(), indent=2))
        return
    r, e = found.result, found.effect
    arms = [
        (f"A: {x.value}" if x is found.a else f"B: {x.value}", x.touches, x.responses, x.rate,
         f"{x.ci_low:.1%}–{x.ci_high:.1%}")
        for x in (found.a, found.b)
    ]  # fmt: skip
    title = f"{by.capitalize()}: B against A, {read.whose}, to {read.until.date().isoformat()}"
    console.print(_rate_table(title, by.capitalize(), arms))
    console.print(f"Chance B is better: {found.chance}")
    console.print(
        f"Expected lift: {_points(r.lift)} (95% credible interval {r.interval[0] * 100:+.1f} "
        f"to {_points(r.interval[1])})"
    )
    console.print(found.summary, style="bold")
    within = (
        f"Within rep ({e.reps_entered} of {e.reps} reps used both; {e.touches_entered:,} "
        f"touches): {_points(e.within_rep_difference)}"
    )
    if e.within_rep_interval:
        low, high = e.within_rep_interval
        within += f" (95% interval {low * 100:+.1f} to {_points(high)}), {e.within_rep_verdict}"
    console.print(within)
    if e.disagree:
        console.print(
            "Pooled and within-rep disagree: the pooled lift moved with who uses B, not only "
            "with B. Trust the within-rep figure for what a rep gets by switching.",
            style="yellow",
        )
    table = Table(title="Each rep's touches (responses)")
    for header in ("Rep", f"A: {found.a.value}", f"B: {found.b.value}"):
        table.add_column(header, justify="left" if header == "Rep" else "right")
    for arms_of in found.reps:
        table.add_row(
            arms_of.rep,
            f"{arms_of.touches_a:,} ({arms_of.responses_a:,})",
            f"{arms_of.touches_b:,} ({arms_of.responses_b:,})",
        )
    console.print(table)


@effort_app.command("weekly")
@errors
def weekly(
    by: Annotated[
        str | None,
        typer.Option("--by", help="Only touches with one value of a practice: the practice."),
    ] = None,
    value: Annotated[
        str | None, typer.Option("--value", help="The value (with --by), e.g. issue or T3.")
    ] = None,
    db: DbOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    rep: RepOption = None,
    team: TeamOption = None,
    around: Annotated[
        str | None,
        typer.Option(
            "--around", help="A change day (YYYY-MM-DD): the rate before it against after."
        ),
    ] = None,
    weeks: Annotated[
        int, typer.Option("--weeks", min=1, help="Weeks on each side of --around, at most.")
    ] = 4,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print one object: "feature", "value", "zone", "weeks" (a list of {"week", '
            '"touches", "responses", "rate", "ci_low", "ci_high"}) and "around" (the '
            "before-and-after, or null).",
        ),
    ] = False,
) -> None:
    """The response rate week by week (Monday to Sunday, in the org's time zone), with 95%
    intervals and n, and with --around, the rate before a change against after it."""
    from rightturn.effort.rates import feature_value
    from rightturn.effort.weekly import weekly_lift

    if by is not None:
        feature_value(by)  # a bad feature fails before the data is read
    change = day(around, "--around")
    read = _read(db, since, until, rep, team)
    found = weekly_lift(
        read.touches,
        read.zone,
        until=read.until,
        feature=by,
        value=value,
        names=read.names,
        change=change,
        weeks=weeks,
    )
    if as_json:
        print(json.dumps(found.as_json(), indent=2))
        return
    what = f"{by} {found.value}, " if by else ""
    title = f"Buyer responses week by week: {what}{read.whose} (weeks in {found.zone})"
    rows = [
        (f"{w.week.isoformat()}", w.touches, w.responses, w.rate,
         "—" if w.ci_low is None else f"{w.ci_low:.1%}–{w.ci_high or 0:.1%}")
        for w in found.weeks
    ]  # fmt: skip
    console.print(_rate_table(title, "Week of", rows))
    ba = found.around
    if ba is not None:
        console.print(
            f"{ba.days} days before {ba.change.isoformat()} (from {ba.start.isoformat()}): "
            f"{ba.before_rate:.1%} of {ba.before_touches:,} touches; {ba.days} days from it "
            f"(to {ba.end.isoformat()}): {ba.after_rate:.1%} of {ba.after_touches:,}."
        )
        console.print(
            f"Change: {_points(ba.lift)} (95% interval {ba.lift_ci_low * 100:+.1f} to "
            f"{_points(ba.lift_ci_high)}): {ba.verdict}. A before-and-after is not a controlled "
            "trial: the season or the buyers can move the rate too.",
            style="bold",
        )
    console.print(
        "Touches of the last 14 days are left out: their buyers may still answer.",
        style="dim",
    )
