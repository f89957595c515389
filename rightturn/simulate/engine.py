"""simulate_org: the entry point that builds the organisation team by team and writes it."""

from __future__ import annotations

import calendar as _calendar
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from rightturn.errors import ConfigError

from . import noise, org, prospecting, writer
from .activity import TeamRun
from .deals import stage_sloppiness
from .org import PRODUCTS, Counters
from .styles import Style, style_named


@dataclass(frozen=True)
class SimulationSummary:
    """What simulate_org wrote. `emails` counts distinct Message-IDs; `mailbox_messages`
    counts copies (a message Cc'd to a colleague is in two mailboxes)."""

    out_dir: Path
    reps: int
    managers: int
    teams: int
    accounts: int
    contacts: int
    opportunities: int
    emails: int
    mailbox_messages: int
    calls: int
    meetings: int
    start: date
    end: date
    seed: int
    style: str = "classic"


def period_start(end: date, months: int) -> date:
    """The first simulated day: `months` calendar months before the day after `end`
    (end 2025-06-30, 6 months -> 2025-01-01)."""
    after = end + timedelta(days=1)
    y, m = divmod(after.year * 12 + after.month - 1 - months, 12)
    m += 1
    return date(y, m, min(after.day, _calendar.monthrange(y, m)[1]))


def simulate_org(
    out_dir: Path,
    *,
    seed: int = 7,
    reps: int = 20,
    months: int = 12,
    end: date | None = None,
    style: str | Style = "classic",
    progress: Callable[[int, int], None] | None = None,
) -> SimulationSummary:
    """Write a simulated B2B sales organisation to `out_dir` as raw sources plus truth.

    Layout: crm/ (CSV exports), mail/<rep_id>.mbox, calls/calls.csv, calendar/<rep_id>.ics
    and truth/ (the latent traits and per-activity labels the raw sources hide). The same
    seed and arguments (with an explicit `end`) give byte-identical output. Teams are
    generated and written one at a time, so memory stays flat as `reps` grows.

    Raises ValueError for reps < 1, months < 1, or an `out_dir` that is a file or a
    non-empty directory that is not a previous simulation's output.

    ``style`` (a name in ``styles.STYLES`` or a ``Style``) says how the org writes its mail and
    its CRM ids; see :mod:`rightturn.simulate.styles`.
    """
    style = style_named(style) if isinstance(style, str) else style
    if not isinstance(reps, int) or reps < 1:
        raise ConfigError(f"reps must be a positive integer, got {reps!r}")
    if not isinstance(months, int) or months < 1:
        raise ConfigError(f"months must be a positive integer, got {months!r}")
    if months > 120:
        raise ConfigError(f"months must be at most 120 (ten years), got {months}")
    out_dir = Path(out_dir)
    end = end or date.today()
    start = period_start(end, months)
    start_at = datetime.combine(start, time(0, 0), tzinfo=UTC)
    end_at = datetime.combine(end, time(23, 59, 59), tzinfo=UTC)
    writer.prepare(out_dir)

    counters = Counters.for_org(reps, months, ids=style.ids, seed=str(seed))
    tables = writer.Tables(out_dir)
    traits: list[org.Rep] = []
    totals = {"emails": 0, "copies": 0, "meetings": 0, "calls": 0, "managers": 0, "teams": 0}
    done = 0
    try:
        tables.rows("crm/products.csv", [[p.name, p.series, p.list_price] for p in PRODUCTS])
        for index, layout in enumerate(org.team_layout(reps)):
            # One generator per team, seeded from (seed, team): a team's output does not
            # depend on how many random numbers earlier teams happened to draw.
            rng = random.Random(f"rightturn-simulate:{seed}:{index}")
            team = org.build_team(rng, counters, index, layout, months)
            _write_team_crm(tables, team)
            run = TeamRun(rng, team, counters, tables, start_at, end_at, months, style)
            noise.team_meetings(run)
            noise.internal(run, team.manager)
            noise.newsletters(run, team.manager)
            for rep in team.reps:
                territory = [a for a in team.accounts if a.owner == rep.rep_id]
                prospects = [c for a in territory for c in a.contacts]
                rng.shuffle(prospects)
                seeds = prospecting.sequences(run, rep, prospects)
                run.opportunities(rep, territory, seeds)
                noise.newsletters(run, rep)
                noise.personal(run, rep)
                noise.internal(run, rep)
                noise.stranger_calls(run, rep)
                done += 1
                if progress is not None:
                    progress(done, reps)
            totals["emails"] += run.mail.distinct
            totals["copies"] += run.mail.copies
            totals["meetings"] += run.cal.distinct
            totals["calls"] += len(run.calls)
            totals["managers"] += 1
            totals["teams"] += 1
            run.flush(out_dir)
            traits.extend(team.reps)
        _write_rep_truth(tables, traits)
    finally:
        tables.close()

    summary = SimulationSummary(
        out_dir=out_dir,
        reps=reps,
        managers=totals["managers"],
        teams=totals["teams"],
        accounts=counters.accounts,
        contacts=counters.contacts,
        opportunities=counters.opportunities,
        emails=totals["emails"],
        mailbox_messages=totals["copies"],
        calls=totals["calls"],  # written (a dropped prospecting sequence's calls are not)
        meetings=totals["meetings"],
        start=start,
        end=end,
        seed=seed,
        style=style.name,
    )
    marker = {**asdict(summary), "out_dir": None, "months": months, "style": style.name}
    writer.write_marker(out_dir, marker)
    return summary


def _write_team_crm(t: writer.Tables, team: org.Team) -> None:
    for r in team.members:
        t.row("crm/reps.csv", [
            r.rep_id, r.name, ";".join(r.emails), r.phone.canonical(), r.team, r.manager_id,
            "" if r.quota is None else r.quota,
        ])  # fmt: skip
    for a in team.accounts:
        t.row("crm/accounts.csv", [
            a.account_id, a.name, ";".join(a.domains), a.industry, a.segment, a.parent_id,
        ])  # fmt: skip
        t.rows("crm/contacts.csv", [
            [c.contact_id, a.account_id, c.name, ";".join(c.emails),
             ";".join(p.canonical() for p in c.phones), c.title]
            for c in a.contacts
        ])  # fmt: skip


def _write_rep_truth(t: writer.Tables, reps: list[org.Rep]) -> None:
    """Latent traits; is_top20 marks the top fifth of reps by won revenue."""
    ranked = sorted(reps, key=lambda r: (-r.won_revenue, r.rep_id))
    top = {r.rep_id for r in ranked[: max(1, round(len(reps) * 0.2))]}
    for r in reps:
        t.row("truth/reps.csv", [
            r.rep_id, round(r.skill, 4), round(r.effort, 3), round(r.brief_share, 3),
            r.won_revenue, int(r.rep_id in top), round(stage_sloppiness(r), 4),
        ])  # fmt: skip
