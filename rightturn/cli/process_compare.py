"""``rightturn process compare V1 V2``: the weeks before a process change against the weeks
after, each figure with its 95% interval, its n and a verdict."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from rightturn.cli.common import DbOption, console, day, errors, open_store, plural
from rightturn.cli.process import process_app
from rightturn.web.figures import show, show_change, show_change_interval, show_interval

if TYPE_CHECKING:  # the domain loads when the command runs, not with every command's --help
    from rightturn.process.compare import Comparison

_VERSION = "A process version (`rightturn process list`; 0: the shipped default)."
# A clear change stands out; green and red stay for won and lost, as on every page.
_CLEAR = "bold"


@process_app.command("compare")
@errors
def compare(
    v1: Annotated[int, typer.Argument(min=0, metavar="V1", help=_VERSION)],
    v2: Annotated[int, typer.Argument(min=0, metavar="V2", help=_VERSION)],
    weeks: Annotated[
        int,
        typer.Option(
            "--weeks", min=1, help="The longest each window may be; both get the same length."
        ),
    ] = 8,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Measure as of the end of this date (YYYY-MM-DD)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one object: as_of, time_zone, horizon_days, weeks, between (versions in "
            "force between the two), cycle_days_at_most (the longest cycle counted), before and "
            "after (version, name, from, to, days, "
            "sequences, won_deals; times in UTC), metrics (key, name, before, before_ci, "
            "before_n, after, after_ci, after_n, change, change_ci, verdict, enough_data, "
            "method; a share is from 0 to 1; an interval is a list of two numbers, low then "
            "high, or null).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """A process change as an experiment: the weeks before version V1 gave way against the
    weeks after V2 came into force (either order; the earlier is "before"), in windows of equal
    length. For the prospecting sequences started in each window, each followed for 30 days:
    touches per prospect, the share who responded, who met the rep and who became an
    opportunity; and the sales cycle of the deals won in each window. Each with its 95%
    interval and n, the change with its interval, and a verdict: better, worse (more, fewer
    for touches), or no clear change when the interval spans 0."""
    from rightturn.analytics.snapshot import as_of_datetime
    from rightturn.crm.scope import Scope
    from rightturn.process.compare import compare_versions

    when = as_of_datetime(day(as_of, "--as-of"))
    found = compare_versions(open_store(db), Scope.everything(), v1, v2, as_of=when, weeks=weeks)
    if as_json:
        print(json.dumps(found.as_json(), indent=2))
        return
    _header(found)
    _table(found)


def _header(found: Comparison) -> None:
    """The versions, the windows in the org's zone, and the rule for what is counted."""
    body = found.as_json()
    zone = ZoneInfo(found.time_zone)

    def at(iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    before, after = body["before"], body["after"]
    order = f" (version {after['version']} came later, so it is after)" if found.swapped else ""
    gap = (
        f"; in force between them: version{'s' if len(found.between) > 1 else ''} "
        + ", ".join(str(v) for v in found.between)
        if found.between
        else ""
    )
    console.print(
        f"[bold]Process change[/]: version {before['version']} ({escape(before['name'])}) → "
        f"version {after['version']} ({escape(after['name'])}){order}{gap}\n"
        f"Windows of {plural(after['days'], 'day')} each, times in {found.time_zone}:\n"
        f"  before: {at(before['from'])} to {at(before['to'])}, "
        f"{plural(before['sequences'], 'prospect sequence')}, "
        f"{plural(before['won_deals'], 'deal')} won\n"
        f"  after:  {at(after['from'])} to {at(after['to'])}, "
        f"{plural(after['sequences'], 'prospect sequence')}, "
        f"{plural(after['won_deals'], 'deal')} won\n"
        f"Each sequence is followed for {found.horizon_days} days from its first touch; only "
        f"those whose {found.horizon_days} days were over by {at(found.as_of.isoformat())} "
        "count.",
        highlight=False,
        markup=True,
    )


def _table(found: Comparison) -> None:
    """One row per figure, then how the intervals were drawn and what the figures cannot say."""
    from rightturn.process.compare import MIN_SEQUENCES, MIN_WON

    table = Table(title="Before and after, with 95% intervals", title_justify="left")
    for header in ("Figure", "Before", "95% interval", "n", "After", "95% interval", "n"):
        table.add_column(header, justify="left" if header == "Figure" else "right")
    table.add_column("Change (95% interval)", justify="right")
    table.add_column("Verdict")
    for m in found.as_json()["metrics"]:
        k = m["key"]
        clear = m["verdict"] != "no clear change"
        verdict = f"[{_CLEAR}]{m['verdict']}[/]" if clear else m["verdict"]
        table.add_row(
            m["name"],
            show(k, m["before"]),
            show_interval(k, m["before_ci"]),
            f"{m['before_n']:,}",
            show(k, m["after"]),
            show_interval(k, m["after_ci"]),
            f"{m['after_n']:,}",
            f"{show_change(k, m['change'])} ({show_change_interval(k, m['change_ci'])})",
            verdict + ("" if m["enough_data"] else " [yellow](few data)[/]"),
        )
    console.print(table)
    if found.cycle_days_at_most is not None:
        console.print(
            f"Sales cycle: deals won with a cycle of at most "
            f"{plural(found.cycle_days_at_most, 'day')} on both sides, the oldest a deal won as "
            "the before window opened could be, given when the deals start.",
            highlight=False,
            style="dim",
        )
    console.print(
        f"Intervals: rates Wilson (the change Newcombe), touches Student t (the change Welch), "
        f"the cycle a bootstrap of the median. Few data: fewer than {MIN_SEQUENCES} sequences "
        f"(or {MIN_WON} won deals) on a side. A before-and-after is not a controlled trial: "
        "the season, hiring or the market move these figures too.",
        highlight=False,
        style="dim",
    )
