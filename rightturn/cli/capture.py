"""Commands over captured activity: capture, review, activities export, evaluate, blocklist."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from rightturn.associate.review import ReviewPage
from rightturn.associate.weights import FEATURES
from rightturn.capture.items import Source
from rightturn.capture.pipeline import CaptureStats, capture
from rightturn.capture.pipeline import Progress as ProgressHook
from rightturn.cli.common import (
    DbOption,
    app,
    console,
    day,
    err,
    errors,
    open_store,
    plural,
    steps,
)
from rightturn.config import load_settings, secret
from rightturn.crm.model import ACTIVITY_KINDS
from rightturn.crm.store import Store
from rightturn.errors import ConfigError

capture_app = typer.Typer(
    help="Capture emails, calls and meetings (incremental: a re-run stores nothing twice).",
    no_args_is_help=True,
)
app.add_typer(capture_app, name="capture")
activities_app = typer.Typer(help="Captured activities.", no_args_is_help=True)
app.add_typer(activities_app, name="activities")
evaluate_app = typer.Typer(help="Measure rightturn against a known truth.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")

MINUTES_PER_LOGGED_ACTIVITY = 2.0


# --- capture ------------------------------------------------------------------------------


@capture_app.command("mbox")
@errors
def capture_mbox(
    files: Annotated[list[Path], typer.Argument(help="One or more mbox files.")],
    db: DbOption = None,
) -> None:
    """Capture the messages of mbox files."""
    from rightturn.capture.mailfiles import mail_sources

    _run(db, mail_sources(files, "mbox"))


@capture_app.command("maildir")
@errors
def capture_maildir(
    folder: Annotated[Path, typer.Argument(help="A Maildir (with cur/ and new/).")],
    db: DbOption = None,
) -> None:
    """Capture the messages of a Maildir."""
    from rightturn.capture.mailfiles import mail_sources

    _run(db, mail_sources([folder], "maildir"))


@capture_app.command("eml")
@errors
def capture_eml(
    path: Annotated[Path, typer.Argument(help="An .eml file or a folder of them.")],
    db: DbOption = None,
) -> None:
    """Capture .eml files."""
    from rightturn.capture.mailfiles import mail_sources

    _run(db, mail_sources([path], "eml"))


@capture_app.command("imap")
@errors
def capture_imap(
    host: Annotated[str, typer.Option(help="IMAP server.")],
    user: Annotated[str, typer.Option(help="Mailbox user.")],
    folder: Annotated[
        list[str] | None, typer.Option(help="Folder(s) to capture; repeat the flag. [INBOX]")
    ] = None,
    port: Annotated[int, typer.Option(help="Port (993 for TLS).")] = 993,
    password_env: Annotated[
        str, typer.Option(help="Environment variable holding the password (else a prompt).")
    ] = "RIGHTTURN_IMAP_PASSWORD",
    insecure: Annotated[
        bool, typer.Option(help="Plain text without TLS: only for a local test server.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Capture mail from an IMAP server, incrementally (UIDVALIDITY + UID)."""
    from rightturn.capture.imap import imap_sources

    folders = folder or ["INBOX"]
    password = secret(password_env)
    if password is None:
        if not sys.stdin.isatty():
            raise ConfigError(
                f"no password: set {password_env} (never pass a password as a flag: it would land "
                "in the shell history)"
            )
        password = typer.prompt(f"Password for {user}@{host}", hide_input=True)
    sources = imap_sources(host, port, user, password, folders, ssl=not insecure, insecure=insecure)
    _run(db, sources)


@capture_app.command("calls")
@errors
def capture_calls(
    file: Annotated[Path, typer.Argument(help="A call-log CSV export.")],
    profile: Annotated[str, typer.Option(help="Built-in column layout.")] = "generic",
    map_file: Annotated[
        Path | None, typer.Option("--map", help="A YAML mapping for any other export.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Capture calls from a telephony call log."""
    from rightturn.capture.calls import CallLogSource, load_mapping

    settings = load_settings(db)
    mapping = load_mapping(map_file) if map_file else None
    source = CallLogSource(file, profile=profile, mapping=mapping, region=settings.phone_region)
    _run(db, [source])


@capture_app.command("ics")
@errors
def capture_ics(
    path: Annotated[Path, typer.Argument(help="An .ics file or a folder of them.")],
    since: Annotated[
        str | None, typer.Option(help="Expand recurring events from this date (YYYY-MM-DD).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="... up to this date (YYYY-MM-DD).")] = None,
    db: DbOption = None,
) -> None:
    """Capture meetings from iCalendar files."""
    from rightturn.capture.ics import IcsSource

    window = None
    if since or until:
        if not (since and until):
            raise ConfigError("give both --since and --until, or neither (the default window)")
        start, end = day(since, "--since"), day(until, "--until")
        assert start is not None and end is not None  # both given, checked above
        window = (start, end)
    _run(db, [IcsSource(path, window=window)])


@capture_app.command("org")
@errors
def capture_org(
    folder: Annotated[Path, typer.Argument(help="A simulated org (rightturn simulate --out).")],
    db: DbOption = None,
) -> None:
    """Capture everything a simulated org holds: mailboxes, the call log and calendars."""
    from rightturn.capture.org import org_sources

    _run(db, org_sources(folder, load_settings(db).phone_region))


def _run(db: str | None, sources: Sequence[Source]) -> CaptureStats:
    return capture_sources(open_store(db), sources, load_settings(db).capture_batch)


def capture_sources(store: Store, sources: Sequence[Source], batch: int = 2000) -> CaptureStats:
    """Capture with a progress bar per source, then print the summary."""
    with _progress() as hook:
        stats = capture(store, sources, progress=hook, batch=batch)
    render_capture(stats)
    return stats


@contextmanager
def _progress() -> Iterator[ProgressHook]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[items]:>9,} items · {task.fields[rate]:>7,.0f}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, tuple[TaskID, float]] = {}

        def hook(source: Source, done: int, total: int | None, items: int) -> None:
            if source.key not in tasks:
                tid = bar.add_task(source.label, total=total, items=0, rate=0.0)
                tasks[source.key] = (tid, time.perf_counter())
            tid, started = tasks[source.key]
            rate = items / max(time.perf_counter() - started, 1e-6)
            bar.update(tid, completed=done, total=total, items=items, rate=rate)

        yield hook


def render_capture(stats: CaptureStats) -> None:
    """The summary a capture run ends with."""
    table = Table(title="Capture", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("items read", f"{stats.read:,}")
    table.add_row("new activities stored", f"{stats.stored:,}")
    table.add_row("  filed under an opportunity", f"{stats.with_opportunity:,}")
    for status in ("associated", "needs_review", "unmatched"):
        table.add_row(f"  {status.replace('_', ' ')}", f"{stats.status[status]:,}")
    table.add_row("already stored (merged)", f"{stats.merged:,}")
    for reason, n in sorted(stats.dropped.items()):
        table.add_row(f"filtered: {reason.replace('_', ' ')}", f"{n:,}")
    if stats.skipped:
        table.add_row("filtered before (seen again)", f"{stats.skipped:,}")
    table.add_row(
        "quarantined (unreadable)",
        f"{stats.quarantined:,}",
        style="red" if stats.quarantined else None,
    )
    for reason, n in stats.reasons.most_common(5):
        table.add_row(f"  {reason}", f"{n:,}", style="red")
    if stats.nul_removed:
        table.add_row("NUL bytes removed from stored text", f"{stats.nul_removed:,}")
    table.add_row("contacts created from new addresses", f"{stats.new_contacts:,}")
    console.print(table)
    hours = stats.stored * MINUTES_PER_LOGGED_ACTIVITY / 60
    console.print(
        f"Data entry saved: {plural(stats.stored, 'activity', 'activities')} nobody had to log "
        f"≈ {hours:,.1f} rep hours (assuming {MINUTES_PER_LOGGED_ACTIVITY:g} minutes per "
        "logged activity).",
        highlight=False,
    )
    if stats.status["needs_review"]:
        console.print("Some activities need a person's choice: `rightturn review`.")
    if stats.quarantined:
        console.print("Unreadable input is kept with its reason: `rightturn quarantine`.")


# --- review -------------------------------------------------------------------------------


@app.command()
@errors
def review(
    db: DbOption = None,
    rep: Annotated[str | None, typer.Option(help="Only this rep's activities.")] = None,
    account: Annotated[str | None, typer.Option(help="Only this account's activities.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only email, call or meeting.")] = None,
    order: Annotated[str, typer.Option(help="oldest or newest first.")] = "oldest",
    cursor: Annotated[
        str | None, typer.Option(help="Continue after a page (printed under the table).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many threads.")] = 20,
    resolve_id: Annotated[
        int | None, typer.Option("--resolve", help="Resolve this activity (and its thread).")
    ] = None,
    opportunity: Annotated[
        str | None, typer.Option(help="With --resolve: file under this opportunity.")
    ] = None,
    account_only: Annotated[
        bool, typer.Option(help="With --resolve: file under the account, no opportunity.")
    ] = False,
    unlink: Annotated[bool, typer.Option(help="With --resolve: file under nothing.")] = False,
    same_contact: Annotated[
        bool,
        typer.Option(
            help="With --opportunity: also every waiting item of the same contact that suggests it."
        ),
    ] = False,
) -> None:
    """List what needs review, or resolve one item; a choice applies to its whole thread."""
    from rightturn.associate.review import ORDERS, review_queue

    store = open_store(db)
    if resolve_id is not None:
        _resolve(store, resolve_id, opportunity, account_only, unlink, same_contact)
        return
    if order not in ORDERS:
        raise ConfigError(f"--order {order!r} is not one of {', '.join(ORDERS)}")
    if kind and kind not in ACTIVITY_KINDS:
        raise ConfigError(f"--kind {kind!r} is not one of {', '.join(ACTIVITY_KINDS)}")
    page = review_queue(
        store,
        rep_id=rep,
        account_id=account,
        kind=kind,
        order=order,
        cursor=cursor,
        limit=limit,
    )
    if not page.total:
        console.print("Nothing needs review.")
        return
    _render_queue(page)


def _resolve(
    store: Store,
    activity_id: int,
    opportunity: str | None,
    account_only: bool,
    unlink: bool,
    same_contact: bool,
) -> None:
    from rightturn.associate.review import resolve

    if sum((opportunity is not None, account_only, unlink)) != 1:
        raise ConfigError(
            "choose one of --opportunity ID, --account-only or --unlink for the item to resolve"
        )
    if same_contact and opportunity is None:
        raise ConfigError("--same-contact files the contact's other items under --opportunity ID")
    done = resolve(
        store,
        activity_id,
        opportunity_id=opportunity,
        account_only=account_only,
        unlink=unlink,
        same_contact=same_contact,
    )
    target = done.opportunity_id or done.account_id or "nothing"
    console.print(
        f"Filed {plural(done.threads, 'waiting item')} "
        f"({plural(len(done.activity_ids), 'activity', 'activities')}) under "
        f"{target}. Later automatic runs will keep this choice."
    )


def _render_queue(page: ReviewPage) -> None:
    shown = f"{page.start + 1:,}-{page.start + len(page.items):,} of " if page.items else ""
    table = Table(
        title=f"Needs review: {shown}{plural(page.total, 'thread')}", title_justify="left"
    )
    for column in ("activity", "when", "rep", "contact", "account", "subject", "suggestions"):
        table.add_column(column, overflow="fold")
    for item in page.items:
        suggestions = "\n".join(
            f"{rank}. {item.names.get(opp, opp)} [{opp}]: {why}"
            for rank, (opp, _, why) in enumerate(item.suggestions, start=1)
        )
        contact = ", ".join(x for x in (item.contact_name, item.contact_title) if x)
        table.add_row(
            f"{item.activity_id} ({item.kind}, {plural(item.thread_size, 'item')})",
            f"{item.occurred_at:%Y-%m-%d}",
            item.rep_name or item.rep_id or "",
            contact or item.contact_id or "",
            item.account_name or item.account_id or "",
            item.subject or "",
            suggestions or (item.reason or ""),
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"More: `rightturn review --cursor {page.next_cursor}` (same filters).")
    console.print(
        "Resolve one: `rightturn review --resolve ID --opportunity OPP [--same-contact]` "
        "(or --account-only, --unlink)."
    )


@app.command()
@errors
def associate(
    db: DbOption = None,
    learn: Annotated[
        bool,
        typer.Option(
            help="First learn this org's weights from its review decisions, then re-associate."
        ),
    ] = False,
    forget: Annotated[
        bool, typer.Option(help="Drop learned weights: back to the hand-set rules.")
    ] = False,
) -> None:
    """Associate past activity again (a person's choices are kept), optionally learning from them.

    With --learn, every review decision is evidence of how this org files its activity: a choice
    model over the association evidence is fitted to them (see the README), stored, and used by
    this re-association and every capture after it."""
    from rightturn.associate.learn import forget as forget_weights
    from rightturn.associate.learn import learn as learn_weights
    from rightturn.associate.rerun import reassociate

    if learn and forget:
        raise ConfigError("choose --learn or --forget, not both")
    store = open_store(db)
    if forget:
        dropped = forget_weights(store)
        console.print(
            f"Dropped {plural(dropped, 'learned model')}: association uses the hand-set rules."
        )
    if learn:
        with steps("Learning from review decisions") as step:
            step("reading every activity")
            learned = learn_weights(store)
        console.print(
            f"Learned from {plural(learned.decisions, 'review decision')} and "
            f"{learned.examples - learned.decisions:,} confident links:",
            highlight=False,
        )
        table = Table()
        table.add_column("evidence")
        table.add_column("weight", justify="right")
        weights = learned.weights.as_dict()
        for name in (*FEATURES, "bias"):
            table.add_row(name.replace("_", " "), f"{weights[name]:+.2f}")
        console.print(table)
        console.print(
            f"A deal is linked when it is at least {learned.weights.link_at:.0%} likely; from "
            f"{learned.weights.review_at:.0%} a person decides.",
            highlight=False,
        )
    with steps("Associating past activity again") as step:
        changed = reassociate(store, progress=lambda done, total: step(f"{done:,} of {total:,}"))
    moved = sum(changed.values())
    detail = ", ".join(f"{n:,} now {status.replace('_', ' ')}" for status, n in changed.items())
    console.print(
        f"Re-associated: {plural(moved, 'activity', 'activities')} changed"
        + (f" ({detail})." if detail else ".")
    )


# --- export and evaluation ----------------------------------------------------------------


@activities_app.command("export")
@errors
def export(
    db: DbOption = None,
    format: Annotated[str, typer.Option(help="Output format (csv).")] = "csv",
    dropped: Annotated[
        bool, typer.Option(help="List filtered and quarantined items with their reason instead.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option(help="Write here instead of standard output.")
    ] = None,
) -> None:
    """Write every stored activity as CSV (the columns are a stable contract: see README)."""
    from rightturn.capture.export import export_activities, export_dropped

    if format != "csv":
        raise ConfigError(f"--format {format!r} is not supported; use --format csv")
    store = open_store(db)
    out = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        count = (export_dropped if dropped else export_activities)(store, out)
    finally:
        if output:
            out.close()
    if output:
        console.print(f"Wrote {count:,} rows to {output}.")


@evaluate_app.command("association")
@errors
def evaluate_association_command(
    truth: Annotated[Path, typer.Option(help="The simulated org's truth/ folder.")],
    db: DbOption = None,
) -> None:
    """Precision and recall of contact, account and opportunity against the simulator's truth."""
    from rightturn.associate.evaluate import evaluate_association

    ev = evaluate_association(open_store(db), truth)
    table = Table(title=f"Association against {truth}", title_justify="left")
    for column in ("field", "precision", "recall", "correct", "filed", "truly has one"):
        table.add_column(column, justify="right")
    for name, score in ev.scores.items():
        table.add_row(
            name,
            _pct(score.precision),
            _pct(score.recall),
            f"{score.correct:,}",
            f"{score.predicted:,}",
            f"{score.actual:,}",
        )
    if ev.people_filed:
        auto = ev.automatic
        table.add_row(
            "opp. (engine)",
            _pct(auto.precision),
            _pct(auto.recall),
            f"{auto.correct:,}",
            f"{auto.predicted:,}",
            f"{auto.actual:,}",
        )
    console.print(table)
    weights = (
        "the hand-set rules"
        if ev.learned_from is None
        else f"weights learned from {ev.learned_from:,} review decisions"
    )
    console.print(
        f"Association used {weights}; {ev.people_filed:,} activities were filed by a person "
        "(the last row leaves them out).",
        highlight=False,
    )
    console.print(
        f"{ev.activities:,} true activities: {ev.stored:,} stored, {ev.missing:,} never captured; "
        f"needs review {_pct(ev.review_rate)} of stored; noise dropped "
        f"{ev.noise_dropped:,} of {ev.noise:,}; sales activity wrongly dropped "
        f"{ev.sales_dropped:,}.",
        highlight=False,
    )
    console.print(
        f"{ev.deal_activities:,} deal activities: {_pct(ev.deal_review_rate)} waiting for review, "
        f"{_pct(ev.silent_rate)} silently left at account level ({ev.deal_silent:,}).",
        highlight=False,
    )
    if ev.wrong_opportunities:
        console.print("Wrong opportunity links, by reason:")
        for reason, n in ev.wrong_opportunities.most_common(5):
            console.print(f"  {n:,} × {reason}", highlight=False)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


# --- blocklist ----------------------------------------------------------------------------

blocklist_app = typer.Typer(
    help="Addresses and domains never captured (personal contacts, advisers).",
    no_args_is_help=True,
)
app.add_typer(blocklist_app, name="blocklist")


@blocklist_app.command("add")
@errors
def blocklist_add(
    entries: Annotated[list[str], typer.Argument(help="Emails, domains or phone numbers.")],
    db: DbOption = None,
) -> None:
    """Never capture activity with these participants (applies to future captures)."""
    from rightturn.capture.blocklist import add_entries

    new = add_entries(open_store(db), entries, load_settings(db).phone_region)
    console.print(f"Added {plural(len(new), 'entry', 'entries')} to the blocklist.")


@blocklist_app.command("remove")
@errors
def blocklist_remove(
    entries: Annotated[list[str], typer.Argument(help="Entries to remove.")],
    db: DbOption = None,
) -> None:
    """Capture activity with these participants again."""
    from rightturn.capture.blocklist import remove_entries

    n = remove_entries(open_store(db), entries, load_settings(db).phone_region)
    console.print(f"Removed {plural(n, 'entry', 'entries')}.")


@blocklist_app.command("list")
@errors
def blocklist_list(db: DbOption = None) -> None:
    """Show the blocklist."""
    from rightturn.capture.blocklist import list_entries

    entries = list_entries(open_store(db))
    console.print("\n".join(entries) if entries else "The blocklist is empty.")
