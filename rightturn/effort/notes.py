"""Coaching notes: a manager sets a rep a focus (one practice of the scorecard,
:data:`~rightturn.effort.coach.PRACTICES`) and a target share of touches following it, and the
scorecard follows it week by week.

A note's **progress** runs from :data:`WEEKS_BEFORE` weeks before the note to the as-of day, in
Monday-to-Sunday weeks of the org's time zone (:func:`~rightturn.effort.weekly.week_of`). Each
week has the rep's share of touches following the practice (``k`` of the ``n`` touches it applies
to: emails for the email practices) — whether the change happened — and their response rate per
touch with its 95% Wilson interval — whether it paid. A share is known the moment a touch is
made; a response rate only once the touches' :data:`~rightturn.effort.touches.WINDOW_DAYS` days
for an answer are over, so the last two weeks' rates count only the touches whose days are over.

Notes are only added and closed, never edited: a new focus is a new note. Recording one does not
bump the data version: no cached figure reads notes, and a bump would throw away every cached
report of the org for a line of text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from rightturn.analytics.performers import rate_input
from rightturn.crm import queries
from rightturn.crm.model import CoachingNote, Rep
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.crm.types import utcnow
from rightturn.crm.zones import org_time_zone
from rightturn.effort.coach import PRACTICES, Practice, Share
from rightturn.effort.rates import window_over
from rightturn.effort.touches import WINDOW_DAYS, Touch, read_touches
from rightturn.effort.weekly import week_of, weekly_rates
from rightturn.errors import Conflict, NotFound, ParseError

__all__ = [
    "LATEST_WEEKS",
    "MAX_BY",
    "MAX_NOTE",
    "WEEKS_BEFORE",
    "Note",
    "NoteProgress",
    "WeekProgress",
    "close_note",
    "notes_for",
    "practice_of",
    "progress",
    "progresses",
    "record_note",
    "target_input",
]

WEEKS_BEFORE = 4  # the baseline a change is read against
LATEST_WEEKS = 2  # "where the rep is now": long enough for a few dozen touches
MAX_NOTE = 1000
MAX_BY = 320


@dataclass(frozen=True)
class Note:
    """One coaching note, with the rep's and the practice's names for display."""

    id: int
    rep_id: str
    rep: str
    practice: str
    practice_name: str
    target: float | None
    note: str | None
    by: str
    created_at: datetime
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rep_id": self.rep_id,
            "rep": self.rep,
            "practice": self.practice,
            "practice_name": self.practice_name,
            "target": self.target,
            "note": self.note,
            "by": self.by,
            "created_at": self.created_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }


@dataclass(frozen=True)
class WeekProgress:
    """One week of a note's progress: the share following the practice and the response rate
    (None where no touch counts)."""

    week: date  # its Monday
    followed: int
    applicable: int
    touches: int  # touches whose days for an answer were over by the as-of day
    responses: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    rate_final: bool  # every touch of the week has had its days for an answer

    @property
    def share(self) -> float | None:
        return self.followed / self.applicable if self.applicable else None


@dataclass(frozen=True)
class NoteProgress:
    """A note's weeks, and the share before it, since it and in the latest weeks."""

    note: Note
    zone: str
    until: datetime
    weeks: list[WeekProgress]
    before: Share  # the WEEKS_BEFORE weeks before the note's week
    since: Share  # from the note's week on
    latest: Share  # the LATEST_WEEKS weeks up to the as-of day
    answered_before: Share  # responses of the touches before the note (days for an answer over)
    answered_since: Share  # and from the note's week on

    @property
    def target_met(self) -> bool | None:
        """Whether the latest weeks' share reached the target (None: no target, or no touch)."""
        share = self.latest.share
        if self.note.target is None or share is None:
            return None
        return share >= self.note.target

    def as_json(self) -> dict[str, Any]:
        """``rightturn coach notes --json``: the note's fields, ``zone``, ``until``,
        ``before``/``since``/``latest`` (touches following the practice, each ``{"k", "n",
        "share"}``), ``answered_before``/``answered_since`` (touches answered, the same keys),
        ``target_met`` and ``weeks`` (each ``{"week", "followed", "applicable", "share",
        "touches", "responses", "rate", "ci_low", "ci_high", "rate_final"}``)."""

        def share(s: Share) -> dict[str, Any]:
            return {"k": s.k, "n": s.n, "share": s.share}

        return {
            **self.note.as_json(),
            "zone": self.zone,
            "until": self.until.isoformat(),
            "before": share(self.before),
            "since": share(self.since),
            "latest": share(self.latest),
            "answered_before": share(self.answered_before),
            "answered_since": share(self.answered_since),
            "target_met": self.target_met,
            "weeks": [
                {
                    "week": w.week.isoformat(),
                    "followed": w.followed,
                    "applicable": w.applicable,
                    "share": w.share,
                    "touches": w.touches,
                    "responses": w.responses,
                    "rate": w.rate,
                    "ci_low": w.ci_low,
                    "ci_high": w.ci_high,
                    "rate_final": w.rate_final,
                }
                for w in self.weeks
            ],
        }


def practice_of(key: str) -> Practice:
    """The scorecard's practice ``key``; a ParseError lists the keys."""
    wanted = key.strip().lower()
    for p in PRACTICES:
        if p.key == wanted:
            return p
    keys = "; ".join(f"{p.key}: {p.name}" for p in PRACTICES)
    raise ParseError(f"practice {key!r} is not one the scorecard follows; use one of {keys}")


def target_input(value: str | float | None) -> float | None:
    """A target share as a person writes it, ``60%`` or ``0.6`` (None or blank: no target)."""
    if value is None or not str(value).strip():
        return None
    share = rate_input("target", value, noun="share of touches", example=0.6)
    if not 0 <= share <= 1:
        raise ParseError(
            f"target {str(value).strip()!r} is {'below 0%' if share < 0 else 'above 100%'}: "
            "a share of touches is from 0% to 100%, like 60% or 0.6"
        )
    return share


def _text(value: str | None, name: str, limit: int) -> str | None:
    said = (value or "").strip()
    if len(said) > limit:
        raise ParseError(
            f"{name} is {len(said):,} characters: keep it to {limit:,} (say the rest in person)"
        )
    return said or None


def _note(row: CoachingNote, rep: str | None) -> Note:
    practice = next((p.name for p in PRACTICES if p.key == row.practice), row.practice)
    return Note(
        row.id,
        row.rep_id,
        rep or row.rep_id,
        row.practice,
        practice,
        row.target,
        row.note,
        row.created_by,
        row.created_at,
        row.closed_at,
    )


def record_note(
    store: Store,
    rep_id: str,
    practice: str,
    target: str | float | None,
    note: str | None,
    by: str,
    scope: Scope,
    *,
    at: datetime | None = None,
) -> Note:
    """Record a focus for ``rep_id`` (in ``scope``, else NotFound): a practice key of the
    scorecard, an optional target share and note, and who set it (``at``: now by default)."""
    chosen = practice_of(practice)
    share = target_input(target)
    text = _text(note, "the note", MAX_NOTE)
    who = _text(by, "who recorded it", MAX_BY)
    if who is None:
        raise ParseError("say who records the note (a name or an email)")
    with store.session() as s:
        rep = queries.get_rep(s, scope, rep_id)
        row = CoachingNote(
            rep_id=rep_id,
            practice=chosen.key,
            target=share,
            note=text,
            created_by=who,
            created_at=at or utcnow(),
        )
        s.add(row)
        s.flush()
        return _note(row, rep["name"])


def notes_for(
    store: Store, rep_id: str | None, scope: Scope, *, open_only: bool = False
) -> list[Note]:
    """The notes of ``rep_id`` (in ``scope``, else NotFound), or of every rep in ``scope`` when
    None: the newest first."""
    with store.session() as s:
        if rep_id is not None:
            queries.get_rep(s, scope, rep_id)
        q = (
            select(CoachingNote, Rep.name)
            .join(Rep, Rep.rep_id == CoachingNote.rep_id)
            .where(scope.reps(CoachingNote.rep_id))
            .order_by(CoachingNote.created_at.desc(), CoachingNote.id.desc())
        )
        if rep_id is not None:
            q = q.where(CoachingNote.rep_id == rep_id)
        if open_only:
            q = q.where(CoachingNote.closed_at.is_(None))
        return [_note(row, name) for row, name in s.execute(q)]


def close_note(store: Store, note_id: int, scope: Scope, *, at: datetime | None = None) -> Note:
    """Close note ``note_id`` (one of a rep in ``scope``, else NotFound): the focus is done.
    Closing a closed note is a Conflict naming when it was closed."""
    with store.session() as s:
        found = s.execute(
            select(CoachingNote, Rep.name)
            .join(Rep, Rep.rep_id == CoachingNote.rep_id)
            .where(CoachingNote.id == note_id, scope.reps(CoachingNote.rep_id))
        ).first()
        if found is None:
            raise NotFound(f"no coaching note {note_id} (`rightturn coach notes` lists them)")
        row, name = found
        if row.closed_at is not None:
            raise Conflict(
                f"coaching note {note_id} was closed on {row.closed_at.date().isoformat()}: "
                "record a new note for a new focus"
            )
        row.closed_at = at or utcnow()
        s.flush()
        return _note(row, name)


def _share(touches: list[Touch], practice: Practice) -> Share:
    used = [t for t in touches if practice.applies(t)]
    return Share(sum(practice.follows(t) for t in used), len(used))


def progress(store: Store, note: Note, *, until: datetime) -> NoteProgress:
    """The note's progress week by week, from :data:`WEEKS_BEFORE` weeks before the note's
    week to the week of ``until`` (see the module docstring)."""
    return progresses(store, [note], until=until)[0]


def progresses(store: Store, notes: list[Note], *, until: datetime) -> list[NoteProgress]:
    """:func:`progress` of each of ``notes``, in their order: each rep's touches are read once,
    from the earliest of their notes' weeks (reading them takes most of the time)."""
    with store.session() as s:
        zone = org_time_zone(s)
        tz = ZoneInfo(zone)
        touches: dict[str, list[Touch]] = {}
        for rep_id in dict.fromkeys(n.rep_id for n in notes):
            first = min(_first_week(n, tz) for n in notes if n.rep_id == rep_id)
            start = datetime.combine(first, time.min, tzinfo=tz)
            touches[rep_id] = read_touches(
                s, Scope(frozenset({rep_id})), since=start, until=until, rep_id=rep_id
            )
    return [_follow(n, touches[n.rep_id], zone, until) for n in notes]


def _first_week(note: Note, tz: ZoneInfo) -> date:
    return week_of(note.created_at, tz) - timedelta(weeks=WEEKS_BEFORE)


def _follow(note: Note, touches: list[Touch], zone: str, until: datetime) -> NoteProgress:
    """The note's weeks from the rep's ``touches`` (read from its first week, or earlier)."""
    practice = practice_of(note.practice)
    tz = ZoneInfo(zone)
    noted, first, last = week_of(note.created_at, tz), _first_week(note, tz), week_of(until, tz)
    by_week: dict[date, list[Touch]] = {}
    for t in touches:
        by_week.setdefault(week_of(t.at, tz), []).append(t)
    rates = {w.week: w for w in weekly_rates(window_over(touches, until), zone)}
    answered_by = until - timedelta(days=WINDOW_DAYS)
    weeks = []
    week = first
    while week <= last:
        share = _share(by_week.get(week, []), practice)
        rate = rates.get(week)
        week_end = datetime.combine(week + timedelta(days=7), time.min, tzinfo=tz)
        weeks.append(
            WeekProgress(
                week,
                share.k,
                share.n,
                rate.touches if rate else 0,
                rate.responses if rate else 0,
                rate.rate if rate else None,
                rate.ci_low if rate else None,
                rate.ci_high if rate else None,
                week_end <= answered_by,
            )
        )
        week += timedelta(weeks=1)
    latest_from = last - timedelta(weeks=LATEST_WEEKS - 1)
    return NoteProgress(
        note,
        zone,
        until,
        weeks,
        _sum(w for w in weeks if w.week < noted),
        _sum(w for w in weeks if w.week >= noted),
        _sum(w for w in weeks if w.week >= latest_from),
        _answered(w for w in weeks if w.week < noted),
        _answered(w for w in weeks if w.week >= noted),
    )


def _sum(weeks: Iterable[WeekProgress]) -> Share:
    chosen = list(weeks)
    return Share(sum(w.followed for w in chosen), sum(w.applicable for w in chosen))


def _answered(weeks: Iterable[WeekProgress]) -> Share:
    chosen = list(weeks)
    return Share(sum(w.responses for w in chosen), sum(w.touches for w in chosen))
