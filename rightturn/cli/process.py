"""The ``process`` commands: check a process file, apply it as the next version, show a version's
YAML, and list the versions."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from rightturn.cli.common import DbOption, app, console, err, errors, open_store, plural
from rightturn.crm.zones import org_time_zone
from rightturn.errors import ParseError
from rightturn.process.definition import Cadence, Process, ProcessError, Stage, load_process
from rightturn.process.versions import (
    AppliedProcess,
    apply_process,
    default_version,
    find_version,
    list_versions,
    version_in_force,
)

process_app = typer.Typer(
    help="The sales process: its stages, cadences and versions.", no_args_is_help=True
)
app.add_typer(process_app, name="process")

FileArgument = Annotated[
    Path,
    typer.Argument(help="A process file (YAML); `rightturn process show --default` prints one."),
]


@process_app.command("check")
@errors
def check(file: FileArgument) -> None:
    """Check a process file: its stages and cadences when it is right, else every problem with
    its line (exit code 2). Nothing is stored."""
    try:
        process = load_process(file)
    except ProcessError as exc:
        _problems(exc, "")
    console.print(f"{file}: OK, [bold]{_plain(process.name)}[/]", highlight=False)
    _describe(process)


@process_app.command("apply")
@errors
def apply(
    file: FileArgument,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who applies it (a name or email). Default: your login name."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Put a process file in force as the next version. Earlier versions stay as they were, so
    what was measured under them is not rewritten; the stage order of every page follows."""
    try:
        done = apply_process(open_store(db), file, who=by or _login_name())
    except ProcessError as exc:
        _problems(exc, "; nothing was applied")
    if not done.added:
        console.print(
            f"Version {done.version} ({_plain(done.name)}) is already in force with this text: "
            "nothing changed.",
            highlight=False,
        )
        return
    console.print(
        f"Applied [bold]version {done.version}[/] ({_plain(done.name)}): in force from now.",
        highlight=False,
    )


@process_app.command("show")
@errors
def show(
    version: Annotated[
        int | None,
        typer.Option("--version", min=0, help="The version to show (0: the shipped default)."),
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="The shipped default, to start a process file from.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Print the YAML of the process in force (or of --version N, or the shipped --default):
    redirect it to a file, change it, check it and apply it."""
    if default and version not in (None, 0):
        raise ParseError("give --version N or --default, not both")
    if default or version == 0:
        found = default_version()
    else:
        store = open_store(db)
        found = version_in_force(store) if version is None else find_version(store, version)
    err.print(f"# {_label(found)}", highlight=False, markup=False, soft_wrap=True)
    typer.echo(found.definition, nl=False)


@process_app.command("list")
@errors
def list_(db: DbOption = None) -> None:
    """The process versions, newest first: number, name, when and by whom applied."""
    store = open_store(db)
    versions = list_versions(store)
    if not versions:
        default = default_version()
        console.print(
            f"No process applied yet: the shipped default ({_plain(default.name)}) is in force "
            "as version 0. `rightturn process apply FILE` puts yours in force.",
            highlight=False,
        )
        return
    with store.session() as s:
        zone = org_time_zone(s)
    table = Table(
        "version",
        "name",
        f"applied ({zone})",
        "by",
        "",
        title="Process versions",
        title_justify="left",
    )
    for i, v in enumerate(versions):
        table.add_row(
            str(v.version),
            _plain(v.name),
            _at(v.applied_at, zone),
            _plain(v.applied_by or ""),
            "in force" if i == 0 else "",
        )
    console.print(table)


def _problems(exc: ProcessError, outcome: str) -> NoReturn:
    """Every problem as FILE:LINE: message, their count and ``outcome``; exit code 2."""
    for line, message in exc.problems:
        where = f"{exc.source}:{line}" if line else exc.source
        err.print(f"{where}: {message}", highlight=False, markup=False, soft_wrap=True)
    err.print(
        f"{exc.source}: {plural(len(exc.problems), 'problem')}{outcome}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    raise typer.Exit(2)


def _describe(process: Process) -> None:
    console.print("Stages, in order:", highlight=False)
    for n, stage in enumerate(sorted(process.stages, key=_stage_key), start=1):
        console.print(f"  {n}. {_stage_line(stage)}", highlight=False, markup=False)
    if not process.cadences:
        console.print("No cadences.")
        return
    console.print("Cadences:", highlight=False)
    for cadence in process.cadences:
        console.print(f"  {_cadence_line(cadence)}", highlight=False, markup=False)


def _stage_key(stage: Stage) -> int:
    return {None: 0, "won": 1, "lost": 2}[stage.outcome]


def _stage_line(stage: Stage) -> str:
    notes = [f"{stage.outcome}"] if stage.outcome else []
    if stage.entry:
        notes.append("entry: " + "; ".join(stage.entry))
    if stage.exit:
        notes.append("exit: " + "; ".join(stage.exit))
    if stage.usual_days:
        notes.append(f"usually {plural(stage.usual_days, 'day')}")
    return stage.name + (f" ({', '.join(notes)})" if notes else "")


def _cadence_line(cadence: Cadence) -> str:
    who = cadence.applies_to.audience
    channels = ", ".join(t.channel for t in cadence.touches)
    return (
        f"{cadence.name}: {plural(len(cadence.touches), 'touch', 'touches')} over "
        f"{cadence.span_days:g} days, for {who} ({channels})"
    )


def _label(found: AppliedProcess) -> str:
    if found.version == 0:
        return f"version 0: the shipped default, {found.name}"
    when = found.applied_at.strftime("%Y-%m-%d %H:%M UTC") if found.applied_at else "?"
    return f"version {found.version}: {found.name}, applied {when} by {found.applied_by}"


def _at(when: datetime | None, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") if when else "—"


def _plain(text: str) -> str:
    """Text for Rich with its markup brackets escaped."""
    return escape(text)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment nor the password database
        return "the command line"
