"""Calendars as a capture source: ``rightturn capture ics FILE_OR_DIR``.

Reads one ``.ics`` file or every ``.ics`` under a folder (recursively, in path order) and yields
one :class:`~rightturn.capture.items.Captured` meeting per event, or per occurrence of a
recurring event. The rules:

* **Ids.** ``source_id`` is the event's UID. An occurrence of a recurring event is
  ``UID/START``, where START is the occurrence's original start (its RECURRENCE-ID) as
  ``2026-05-04T13:30:00Z`` (UTC) or ``2026-05-04`` (all-day), so the same series on two people's
  calendars gives the same ids and a moved occurrence keeps its id. An event without a UID (some
  exports omit it) gets ``ics-`` + SHA-1 of its DTSTART, SUMMARY and ORGANIZER.
* **Recurrence.** Series are expanded with ``recurring-ical-events`` within the window (default:
  one year before today to 90 days after, both dates included), lazily and at most
  :data:`MAX_PER_SERIES` occurrences per series (a series past the cap yields the first ones and a
  rejection saying so, so a ``FREQ=SECONDLY`` rule with no end costs nothing); single events are
  always yielded, whatever their date, since history is what capture is for.
* **Cancellations are yielded, not dropped**, with ``cancelled=True``: STATUS:CANCELLED (on the
  event, the series or one occurrence) and every EXDATE that falls in the window. The pipeline
  records them as dropped with the reason.
* **Times.** Occurrences are stored as aware UTC. TZID times use the file's VTIMEZONE (Windows
  names such as ``Eastern Standard Time`` included); all-day (DATE) events are midnight UTC of
  that date; floating times are read as UTC, except in a calendar with Google's X-WR-TIMEZONE,
  where (as Google means it) they are in that zone. ``duration_s`` comes from DTEND or DURATION
  (RFC 5545 defaults: one day for an all-day event without either, zero otherwise).
* **Parties.** ORGANIZER and ATTENDEE ``mailto:`` values, lower-cased, with CN as the name and
  PARTSTAT as ``accepted``, ``declined``, ``tentative`` or ``needs_action`` (RFC 5545's default
  when absent); other attendee forms (``urn:``, ``tel:``) are skipped.
* **Rejections** (:class:`~rightturn.capture.items.Rejected`, the run continues): a file that is
  not iCalendar at all (one rejection for the file, position ``file``); an event without
  DTSTART; an event whose DTSTART, DTEND, DURATION, RRULE, RDATE, EXDATE or RECURRENCE-ID cannot
  be parsed (icalendar keeps such a property as broken rather than failing the file), or whose
  RRULE has no valid FREQ (icalendar reads such a rule as empty: one event); a series
  whose rule cannot be expanded (e.g. RFC 7529 RSCALE). Position is ``event N`` (1-based, in file
  order) and the excerpt names the UID and SUMMARY.

The checkpoint is JSON: the file (relative to the folder), how many items of it are behind and
the id of the last one. A file is expanded whole before its first item is yielded, so resuming
skips exactly those items; if the file changed since (the last id no longer matches), it is read
again from its start and the pipeline's dedupe absorbs the repeats. ``done``/``total`` count
files.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events
import x_wr_timezone

from rightturn.capture.items import Captured, Item, Located, Party, Rejected, Source
from rightturn.crm.identity import email_address
from rightturn.errors import ConfigError, ParseError, SourceError

log = logging.getLogger(__name__)

PAST = timedelta(days=365)
AHEAD = timedelta(days=90)
EXCERPT = 2000  # characters of DESCRIPTION kept as the body excerpt
# Properties without which an event cannot be placed in time; a broken one rejects the event.
# Occurrences kept per series within the capture window: a daily meeting over 15 months is 460,
# a real calendar's busiest series we have seen 2,133; past this it is a runaway rule.
MAX_PER_SERIES = 10_000
PERIOD_S = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,  # the shortest month: never underestimates the work
    "YEARLY": 365 * 86400,
}
FREQUENCIES = tuple(PERIOD_S)
# Repetitions walked from DTSTART to reach the window (about 2.5 s of the rule library's time).
MAX_STEPS = 1_000_000
_TIMING = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
_PARTSTAT = {
    "ACCEPTED": "accepted",
    "DECLINED": "declined",
    "TENTATIVE": "tentative",
    "NEEDS-ACTION": "needs_action",
}


def default_window(today: date | None = None) -> tuple[date, date]:
    """The recurrence window used when none is given: a year back to 90 days ahead."""
    today = today or date.today()
    return today - PAST, today + AHEAD


class IcsSource(Source):
    """An ``.ics`` file or a folder of them; ``window`` bounds recurring expansion (inclusive)."""

    def __init__(self, path: Path | str, *, window: tuple[date, date] | None = None) -> None:
        self.path = Path(path).absolute()
        self.window = window or default_window()
        if self.window[0] > self.window[1]:
            raise ConfigError(
                f"the calendar window {self.window[0]}..{self.window[1]} ends before it starts; "
                "give the earlier date first"
            )
        self.key = f"ics:{self.path}"
        self.label = f"calendar {self.path.name}"

    def files(self) -> list[Path]:
        """The ``.ics`` files read, in the order they are read."""
        if self.path.is_file():
            return [self.path]
        if self.path.is_dir():
            found = (p for p in self.path.rglob("*") if p.suffix.lower() == ".ics" and p.is_file())
            return sorted(found, key=self._name)
        raise SourceError(f"{self.path} is neither an .ics file nor a folder; check the path")

    def total(self) -> int | None:
        """The number of files (``done`` counts files behind)."""
        return len(self.files())

    def read(self, checkpoint: str | None) -> Iterator[Located]:
        """Yield every event of every file after ``checkpoint`` (None: from the start)."""
        resume = _parse_checkpoint(checkpoint, self.key) if checkpoint else None
        for number, path in enumerate(self.files()):
            name = self._name(path)
            if resume is not None and name < resume["file"]:
                continue
            items = list(self.file_items(path))
            start = 0
            if resume is not None and name == resume["file"]:
                behind = resume["item"]
                if 0 < behind <= len(items) and _ident(items[behind - 1]) == resume["last"]:
                    start = behind
                else:
                    log.warning("%s: %s changed since the checkpoint; rereading it", self.key, name)
            resume = None
            for i in range(start, len(items)):
                mark = json.dumps({"file": name, "item": i + 1, "last": _ident(items[i])})
                yield Located(items[i], mark, number + (i == len(items) - 1))

    def file_items(self, path: Path) -> Iterator[Item]:
        """Everything one file yields, in order; never raises for what the file holds."""
        where = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield Rejected("meeting", where, "file", f"cannot read the file: {exc.strerror}")
            return
        try:
            calendars = icalendar.Calendar.from_ical(data, multiple=True)
        except Exception as exc:
            # icalendar signals a malformed file with several exception types (ValueError,
            # IndexError, ...); any of them means this file, not the run, is unreadable.
            yield Rejected(
                "meeting",
                where,
                "file",
                f"not an iCalendar file ({type(exc).__name__}: {exc}); export it again as .ics",
                data[:200].decode("utf-8", errors="replace"),
            )
            return
        if not calendars:
            reason = "holds no complete BEGIN:VCALENDAR ... END:VCALENDAR; export it again as .ics"
            yield Rejected("meeting", where, "file", reason)
            return
        events: list[tuple[int, icalendar.cal.Component]] = []
        for top in calendars:
            # Some tools write a bare VEVENT without the VCALENDAR around it; read it as one.
            inner = [top] if top.name == "VEVENT" else _standard(top, where).subcomponents
            for comp in inner:
                if comp.name == "VEVENT":
                    events.append((len(events) + 1, comp))
        yield from self._events(where, events)

    def _events(
        self, where: str, events: list[tuple[int, icalendar.cal.Component]]
    ) -> Iterator[Item]:
        # A series is the master and its overrides (RECURRENCE-ID), which share the UID.
        series: dict[str, list[tuple[int, icalendar.cal.Component]]] = {}
        for number, comp in events:
            problem = _timing_problem(comp)
            if problem:
                yield Rejected("meeting", where, f"event {number}", problem, _excerpt(comp))
                continue
            uid = str(comp.get("UID") or "").strip() or _synthetic_uid(comp)
            series.setdefault(uid, []).append((number, comp))
        for uid, members in series.items():
            if any(("RRULE" in c or "RDATE" in c or "RECURRENCE-ID" in c) for _, c in members):
                yield from self._occurrences(where, uid, members)
            else:
                for number, comp in members:
                    yield _guarded(comp, uid, where, number)

    def _occurrences(
        self, where: str, uid: str, members: list[tuple[int, icalendar.cal.Component]]
    ) -> Iterator[Item]:
        """Each occurrence of one series within the window, EXDATEs included as cancelled."""
        first, master = members[0]
        excluded: set[str] = set()
        calendar = icalendar.Calendar()
        for _, comp in members:
            if "RECURRENCE-ID" not in comp:
                for prop in _as_list(comp.pop("EXDATE", None)):
                    excluded.update(_key(d.dt) for d in prop.dts)
            calendar.add_component(comp)
        # Expanded without EXDATE, then matched against it: an excluded date is a cancelled
        # occurrence the pipeline must see, and only dates the rule really produces count.
        start, end = self.window
        stop = _utc(end + timedelta(days=1))
        capped = None
        try:
            rule = next((c for _, c in members if "RECURRENCE-ID" not in c and "RRULE" in c), None)
            if rule is not None:
                stop, problem = _expansion_limit(rule, _utc(start), stop)
                if problem:
                    yield Rejected("meeting", where, f"event {first}", problem, _excerpt(master))
                    return
            found = recurring_ical_events.of(calendar).between(_utc(start), stop)
            # The id is the original start (RECURRENCE-ID), which the library sets on every
            # occurrence, so a moved occurrence keeps its id.
            keyed = [(_key((o.get("RECURRENCE-ID") or o["DTSTART"]).dt), o) for o in found]
            keyed.sort(key=lambda pair: (_utc(_start(pair[1])), pair[0]))
        except Exception as exc:
            # The library raises its own and dateutil's errors for rules it cannot expand.
            reason = f"its recurrence cannot be expanded ({type(exc).__name__}: {exc})"
            yield Rejected("meeting", where, f"event {first}", reason, _excerpt(master))
            return
        if len(keyed) > MAX_PER_SERIES:
            keyed = keyed[:MAX_PER_SERIES]
            capped = (
                f"its recurrence has more than {MAX_PER_SERIES:,} occurrences between "
                f"{start} and {end}; the first {MAX_PER_SERIES:,} are kept (check the "
                "RRULE, or capture a shorter window with --since/--until)"
            )
        for key, occ in keyed:
            item = _guarded(occ, f"{uid}/{key}", where, first, key)
            if isinstance(item, Captured):
                item.cancelled = item.cancelled or key in excluded
            yield item
        if capped:
            yield Rejected("meeting", where, f"event {first}", capped, _excerpt(master))

    def _name(self, path: Path) -> str:
        """How a file is named in checkpoints: relative to the folder, or its own name."""
        if path == self.path:
            return path.name
        return path.relative_to(self.path).as_posix()


def _expansion_limit(
    comp: icalendar.cal.Component, start: datetime, stop: datetime
) -> tuple[datetime, str | None]:
    """Where to stop expanding a series, or why it cannot be expanded at all.

    Expansion walks every repetition from DTSTART (the rule library has no shortcut), so the
    work is the repetitions from DTSTART to the window's end, and the memory those in the
    window. A FREQ=SECONDLY rule, or a daily one since year 1, would run for minutes: the end
    is pulled in to just past :data:`MAX_PER_SERIES` occurrences of the window, and a series
    that needs more than :data:`MAX_STEPS` repetitions to get there is refused.
    """
    rule = _as_list(comp.get("RRULE"))[0]
    freq = str(rule.get("FREQ", ["DAILY"])[0]).upper()
    interval = int((rule.get("INTERVAL") or [1])[0]) or 1
    per = 1
    for part in ("BYSECOND", "BYMINUTE", "BYHOUR"):
        per *= max(1, len(rule.get(part) or []))
    step = timedelta(seconds=PERIOD_S[freq] * interval / per)
    first = _utc(_start(comp))
    base = max(start, first)
    if (stop - base) / step > MAX_PER_SERIES:
        stop = base + step * (MAX_PER_SERIES + 1)
    steps = max(0.0, (stop - first) / step)
    if count := (rule.get("COUNT") or [None])[0]:
        steps = min(steps, float(count))
    if steps > MAX_STEPS:
        return stop, (
            f"its recurrence ({freq} from {first:%Y-%m-%d}) needs {steps:,.0f} repetitions to "
            f"reach the capture window; at most {MAX_STEPS:,} are expanded. Fix its DTSTART or "
            "RRULE in the calendar"
        )
    return stop, None


def _guarded(
    comp: icalendar.cal.Component, source_id: str, where: str, number: int, key: str = ""
) -> Item:
    """The meeting for one event or occurrence, or its rejection if a value defeats reading."""
    try:
        return _meeting(comp, source_id, f"{where}:event {number}{' ' + key if key else ''}")
    except Exception as exc:
        # Real calendars hold values no check above foresaw (a DTEND of another type, a
        # PERIOD); one such event is quarantined, never the whole run stopped.
        reason = f"cannot be read ({type(exc).__name__}: {exc}); fix the event and export again"
        return Rejected("meeting", where, f"event {number}", reason, _excerpt(comp))


def _meeting(comp: icalendar.cal.Component, source_id: str, position: str) -> Captured:
    start = _start(comp)
    description = str(comp.get("DESCRIPTION") or "").strip()
    return Captured(
        kind="meeting",
        source="ics",
        source_id=source_id,
        position=position,
        occurred_at=_utc(start),
        parties=_parties(comp),
        subject=str(comp.get("SUMMARY") or "").strip() or None,
        body_excerpt=description[:EXCERPT] or None,
        duration_s=_duration(comp, start),
        cancelled=str(comp.get("STATUS") or "").upper() == "CANCELLED",
    )


def _start(comp: icalendar.cal.Component) -> date:
    """DTSTART as a date or date-time; a time or period there cannot place the event."""
    value = getattr(comp.get("DTSTART"), "dt", None)
    if not isinstance(value, date):
        raise ParseError(f"DTSTART is {value!r}, not a date or date-time")
    return value


def _parties(comp: icalendar.cal.Component) -> list[Party]:
    parties: list[Party] = []
    organizer = comp.get("ORGANIZER")
    if organizer is not None:
        address = _mailto(organizer, "ORGANIZER")
        if address:
            parties.append(Party("organizer", address, _cn(organizer)))
    for attendee in _as_list(comp.get("ATTENDEE")):
        address = _mailto(attendee, "ATTENDEE")
        if address:
            status = str(getattr(attendee, "params", {}).get("PARTSTAT", "NEEDS-ACTION")).upper()
            parties.append(Party("attendee", address, _cn(attendee), _PARTSTAT.get(status)))
    return parties


def _mailto(value: Any, column: str) -> str | None:
    text = str(value).strip()
    if not text.lower().startswith("mailto:"):
        return None
    try:
        return email_address(text[7:], column)
    except ValueError as exc:
        log.debug("skipped a party: %s", exc)
        return None


def _cn(value: Any) -> str | None:
    name = str(getattr(value, "params", {}).get("CN", "")).strip().strip('"')
    return name or None


def _duration(comp: icalendar.cal.Component, start: date) -> int | None:
    end, duration = comp.get("DTEND"), comp.get("DURATION")
    if end is not None:
        delta = _utc(end.dt) - _utc(start)
    elif duration is not None:
        delta = duration.dt
    else:
        all_day = not isinstance(start, datetime)
        delta = timedelta(days=1) if all_day else timedelta(0)
    seconds = int(delta.total_seconds())
    return seconds if seconds >= 0 else None


def _utc(value: date) -> datetime:
    """Aware UTC for a DATE (midnight UTC), a floating time (read as UTC) or a zoned time."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _key(value: date) -> str:
    """An occurrence's original start as it appears in ids."""
    if not isinstance(value, datetime):
        return value.isoformat()
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timing_problem(comp: icalendar.cal.Component) -> str | None:
    """Why an event cannot be placed in time, or None."""
    for name, message in getattr(comp, "errors", []):
        if str(name).upper() in _TIMING:
            return f"{name} cannot be read ({message}); fix it in the calendar and export again"
    if comp.get("DTSTART") is None:
        return "the event has no DTSTART, so it has no time; it cannot be filed"
    for rule in _as_list(comp.get("RRULE")):
        # icalendar reads a rule it cannot parse as an empty one; expanded, that is one event.
        freq = (rule.get("FREQ") or [None])[0] if hasattr(rule, "get") else None
        if str(freq).upper() not in FREQUENCIES:
            return (
                "its RRULE is not a recurrence rule (it needs FREQ=DAILY, WEEKLY, ...); "
                "fix it in the calendar and export again"
            )
    return None


def _standard(calendar: icalendar.Calendar, where: str) -> icalendar.Calendar:
    """The calendar with Google's X-WR-TIMEZONE applied, as RFC 5545 would write it."""
    try:
        return x_wr_timezone.to_standard(calendar)
    except Exception as exc:
        # The conversion is a refinement: without it times are still read, only floating ones
        # as UTC rather than in the calendar's zone.
        log.warning("%s: X-WR-TIMEZONE not applied (%s)", where, exc)
        return calendar


def _synthetic_uid(comp: icalendar.cal.Component) -> str:
    basis = "|".join(
        str(comp.get(name).to_ical().decode() if comp.get(name) is not None else "")
        for name in ("DTSTART", "SUMMARY", "ORGANIZER")
    )
    return "ics-" + hashlib.sha1(basis.encode()).hexdigest()


def _excerpt(comp: icalendar.cal.Component) -> str:
    return f"UID:{comp.get('UID') or '-'} SUMMARY:{comp.get('SUMMARY') or '-'}"[:200]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ident(item: Item) -> str:
    return item.source_id if isinstance(item, Captured) else f"{item.source}#{item.position}"


def _parse_checkpoint(checkpoint: str, key: str) -> dict[str, Any]:
    try:
        mark = json.loads(checkpoint)
        if not isinstance(mark, dict):
            raise ParseError("not an object")
        return {"file": str(mark["file"]), "item": int(mark["item"]), "last": str(mark["last"])}
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(
            f"{key}: the stored checkpoint {checkpoint[:80]!r} is not a calendar checkpoint "
            f"({exc}); reset the checkpoint to read the calendars from the start"
        ) from None
