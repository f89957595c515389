"""Commands over the CRM: init, import, summary, quarantine, simulate, demo."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from rightturn.cli.common import (
    DbOption,
    app,
    console,
    day,
    err,
    errors,
    import_app,
    money,
    open_store,
    plural,
    steps,
)
from rightturn.config import load_settings
from rightturn.crm.imports import ImportReport, import_crm, import_maven
from rightturn.crm.quarantine import list_quarantine
from rightturn.crm.store import Store, redact
from rightturn.crm.summary import OrgSummary, org_summary
from rightturn.errors import RightturnError

# --- database -----------------------------------------------------------------------------


@app.command()
@errors
def init(db: DbOption = None) -> None:
    """Create the database, or upgrade it to this version's schema."""
    url = load_settings(db).db_url
    store = Store(url)
    done = store.upgrade()
    if done.before is None:
        console.print(f"Created database {redact(url)} (schema {done.after}).")
    elif done.changed:
        console.print(f"Upgraded {redact(url)} from schema {done.before} to {done.after}.")
    else:
        console.print(f"{redact(url)} is up to date (schema {done.after}).")


@app.command()
@errors
def summary(db: DbOption = None) -> None:
    """Show what the database holds: people, accounts, open pipeline by stage, win rate."""
    store = open_store(db)
    _render_summary(org_summary(store), redact(store.url))


@app.command()
@errors
def quarantine(
    db: DbOption = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. crm_row.")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 50,
) -> None:
    """List the input rightturn could not use, with where it came from and why."""
    items, total = list_quarantine(open_store(db), kind=kind, limit=limit)
    if not total:
        console.print("Nothing is quarantined.")
        return
    table = Table(title=f"Quarantine ({total:,} item{'s' * (total != 1)})")
    for column in ("kind", "source", "position", "reason"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(item.kind, item.source, item.position, item.reason)
    console.print(table)
    if total > len(items):
        console.print(f"… and {total - len(items):,} more (--limit to see them).")


# --- imports ------------------------------------------------------------------------------


@import_app.command("crm")
@errors
def import_crm_command(
    folder: Annotated[Path, typer.Argument(help="Folder with reps.csv, accounts.csv, ...")],
    db: DbOption = None,
    encoding: Annotated[
        str,
        typer.Option(help="The files' text encoding, e.g. cp1252 for Excel on Windows."),
    ] = "utf-8-sig",
) -> None:
    """Import CRM data in the canonical CSV layout (see README)."""
    settings = load_settings(db)
    store = Store.open(settings.db_url)
    with steps("Importing") as step:
        report = import_crm(
            store, folder, phone_region=settings.phone_region, progress=step, encoding=encoding
        )
    _render_report(report)
    _reassociate_if_changed(store, report)


@import_app.command("maven")
@errors
def import_maven_command(
    folder: Annotated[Path, typer.Argument(help="Folder with sales_pipeline.csv and friends.")],
    db: DbOption = None,
) -> None:
    """Import the Maven Analytics "CRM + Sales + Opportunities" sample data set."""
    store = open_store(db)
    with steps("Importing") as step:
        report = import_maven(store, folder, progress=step)
    _render_report(report)
    _reassociate_if_changed(store, report)


# --- the demo organisation ----------------------------------------------------------------


@app.command()
@errors
def simulate(
    out: Annotated[Path, typer.Option(help="Folder to write the organisation's raw sources to.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same org.")] = 7,
    reps: Annotated[int, typer.Option(help="Number of sales reps.", min=1)] = 20,
    months: Annotated[int, typer.Option(help="Months of history.", min=1)] = 12,
    end: Annotated[
        str | None, typer.Option(help="Last simulated day (YYYY-MM-DD). Default: today.")
    ] = None,
    style: Annotated[
        str,
        typer.Option(
            help="How the org writes mail and ids: classic, terse, chatty or multi-deal "
            "(see the README's table)."
        ),
    ] = "classic",
) -> None:
    """Write a realistic sales org as raw sources: CRM CSVs, mailboxes, calls, calendars."""
    summary = _simulate(
        out, seed=seed, reps=reps, months=months, end=day(end, "--end"), style=style
    )
    console.print(
        f"Wrote {summary.reps:,} reps, {summary.accounts:,} accounts, "
        f"{summary.opportunities:,} opportunities, {summary.emails:,} emails, "
        f"{summary.calls:,} calls and {summary.meetings:,} meetings "
        f"({summary.start} to {summary.end}) to {summary.out_dir}."
    )


@app.command()
@errors
def demo(
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated org.")] = 7,
    reps: Annotated[int, typer.Option(help="Number of sales reps.", min=1)] = 20,
    months: Annotated[int, typer.Option(help="Months of history.", min=1)] = 12,
    keep: Annotated[
        Path | None, typer.Option(help="Keep the raw sources in this folder (default: a temp one).")
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Empty the database first (for a demo database).")
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the panel when done.")
    ] = True,
    port: Annotated[int, typer.Option(help="Port of the panel.", min=1, max=65535)] = 8000,
) -> None:
    """Simulate a demo sales org, import its CRM, capture its mail, calls and meetings, show
    what is there, add a manager and a rep login, and serve the panel."""
    settings = load_settings(db)
    store = Store(settings.db_url)
    if fresh:
        store.reset()
    store = Store.open(settings.db_url)
    existing = org_summary(store)
    if existing.opportunities:
        raise RightturnError(
            f"database {redact(store.url)} already holds {existing.opportunities:,} "
            "opportunities; pass --fresh to replace a demo database, or --db to use another"
        )
    with _workdir(keep) as folder:
        summary = _simulate(folder, seed=seed, reps=reps, months=months, end=None)
        with steps("Importing the CRM") as step:
            report = import_crm(
                store, folder / "crm", phone_region=settings.phone_region, progress=step
            )
        _render_report(report, brief=True)
        console.print(
            f"Raw sources: {summary.emails:,} emails, {summary.calls:,} calls, "
            f"{summary.meetings:,} meetings in {folder}"
            + ("" if keep else " (a temporary folder, removed afterwards; --keep DIR keeps them)")
        )
        from rightturn.capture.org import org_sources
        from rightturn.cli.capture import capture_sources

        capture_sources(store, org_sources(folder, settings.phone_region))
    _render_summary(org_summary(store), redact(store.url))
    from rightturn.cli.web import render_logins, serve_app
    from rightturn.crm.users import demo_users

    render_logins(demo_users(store), port)
    if serve:
        serve_app(db, "127.0.0.1", port)


# --- helpers ------------------------------------------------------------------------------


def _simulate(
    out: Path, *, seed: int, reps: int, months: int, end: date | None, style: str = "classic"
) -> Any:
    from rightturn.simulate import simulate_org

    with Progress(
        SpinnerColumn(),
        TextColumn("Simulating the org"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("reps"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("simulate", total=reps)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return simulate_org(
            out, seed=seed, reps=reps, months=months, end=end, style=style, progress=tick
        )


def _reassociate_if_changed(store: Store, report: ImportReport) -> None:
    """New identities, roles or deals may move past activity: associate it again."""
    from rightturn.associate.rerun import has_activities, reassociate

    if not report.changed or not has_activities(store):
        return
    with steps("Associating past activity again") as step:
        changed = reassociate(store, progress=lambda done, total: step(f"{done:,} activities"))
    moved = sum(changed.values())
    console.print(f"Re-associated past activity: {plural(moved, 'activity', 'activities')} moved.")


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="rightturn-demo-") as tmp:
        yield Path(tmp)


def _render_report(report: ImportReport, *, brief: bool = False) -> None:
    table = Table(title=f"Import of {report.source}", title_justify="left")
    table.add_column("file")
    for column in ("read", "created", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="right")
    for name, c in report.files.items():
        style = "red" if c.rejected else None
        table.add_row(
            name,
            f"{c.read:,}",
            f"{c.created:,}",
            f"{c.updated:,}",
            f"{c.unchanged:,}",
            f"{c.rejected:,}",
            style=style,
        )
    console.print(table)
    if not brief:
        for note in report.notes:
            console.print(f"[dim]note:[/] {note}", highlight=False)
    for label, problems in (("rejected", report.rejected), ("warning", report.warnings)):
        for problem in problems[:20]:
            colour = "red" if label == "rejected" else "yellow"
            console.print(f"[{colour}]{label}:[/] {problem}", highlight=False)
        if len(problems) > 20:
            console.print(f"… and {len(problems) - 20:,} more {label} rows.")
    if report.rejected:
        console.print("Rejected rows are kept in the quarantine: `rightturn quarantine`.")
    if not report.changed and not report.rejected:
        console.print("Nothing changed: the database already held all of this.")


def _render_summary(s: OrgSummary, where: str) -> None:
    console.print(f"\n[bold]{where}[/]")
    console.print(
        f"{plural(s.reps, 'rep')} and {plural(s.managers, 'manager')} in "
        f"{plural(s.teams, 'team')} · "
        f"{plural(s.accounts, 'account')} · {plural(s.contacts, 'contact')} · "
        f"{plural(s.opportunities, 'opportunity', 'opportunities')}"
        + (f" · {plural(s.activities, 'activity', 'activities')}" if s.activities else ""),
        highlight=False,
    )
    win = f"{s.win_rate:.1%}" if s.win_rate is not None else "n/a (nothing closed yet)"
    console.print(
        f"Won {s.won:,} ({money(s.won_value)}) · lost {s.lost:,} · "
        f"[bold]win rate {win}[/] (won / (won + lost), by count)",
        highlight=False,
    )
    if s.open_by_stage:
        table = Table(title="Open pipeline by stage", title_justify="left")
        table.add_column("stage")
        table.add_column("deals", justify="right")
        table.add_column("amount", justify="right")
        for line in s.open_by_stage:
            table.add_row(line.stage, f"{line.count:,}", money(line.amount))
        table.add_row("[bold]total[/]", f"[bold]{s.open:,}[/]", f"[bold]{money(s.open_value)}[/]")
        console.print(table)
    if s.team_lines:
        teams = Table(title="Teams (give --team the name or the id)", title_justify="left")
        for column in ("team", "id", "manager", "reps"):
            teams.add_column(column, justify="right" if column == "reps" else "left")
        for t in s.team_lines:
            teams.add_row(t.name, t.team_id, t.manager or "—", f"{t.reps:,}")
        console.print(teams)
    if s.quarantined:
        console.print(f"{s.quarantined:,} input items are quarantined: `rightturn quarantine`.")
