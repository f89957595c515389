"""RFC 5545 calendars, one per rep and manager, written with `icalendar`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import icalendar

PRODID = "-//Brightwave//Calendar Export 2.1//EN"


@dataclass(slots=True)
class Meeting:
    """One calendar event as the organiser's server stores it; shared by every calendar it is on.

    `start`/`end` are aware; `utc` decides whether they are written as UTC (Z) or with a TZID.
    """

    uid: str
    start: datetime
    end: datetime
    summary: str
    organizer: tuple[str, str]  # (name, email)
    attendees: list[tuple[str, str, str]]  # (name, email, PARTSTAT)
    status: str = "CONFIRMED"
    rrule: dict | None = None
    utc: bool = True
    location: str = ""


@dataclass(slots=True)
class CalendarBuffer:
    """One team's meetings per calendar owner, written when the team is done."""

    events: dict[str, list[Meeting]] = field(default_factory=dict)
    distinct: int = 0

    def add(self, owners: list[str], meeting: Meeting) -> None:
        self.distinct += 1
        done: list[str] = []
        for owner in owners:
            if owner not in done:
                done.append(owner)
                self.events.setdefault(owner, []).append(meeting)

    def flush(self, cal_dir: Path, owners: list[str], stamp: datetime) -> None:
        """Write `<owner>.ics` for every owner (an empty calendar if they have no events).

        DTSTAMP is the fixed `stamp`, never the wall clock, so output is reproducible.
        """
        for owner in owners:
            cal = icalendar.Calendar()
            cal.add("prodid", PRODID)
            cal.add("version", "2.0")
            cal.add("calscale", "GREGORIAN")
            for m in sorted(self.events.pop(owner, []), key=lambda m: (m.start, m.uid)):
                cal.add_component(_event(m, stamp))
            cal.add_missing_timezones()
            (cal_dir / f"{owner}.ics").write_bytes(cal.to_ical())
        self.events.clear()


def _address(name: str, email: str, **params: str) -> icalendar.vCalAddress:
    addr = icalendar.vCalAddress(f"mailto:{email}")
    addr.params["cn"] = name
    for k, v in params.items():
        addr.params[k] = v
    return addr


def _event(m: Meeting, stamp: datetime) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", m.uid)
    ev.add("dtstamp", stamp)
    start, end = m.start, m.end
    if m.utc:
        start, end = start.astimezone(stamp.tzinfo), end.astimezone(stamp.tzinfo)
    ev.add("dtstart", start)
    ev.add("dtend", end)
    ev.add("summary", m.summary)
    if m.location:
        ev.add("location", m.location)
    ev.add("status", m.status)
    if m.rrule:
        ev.add("rrule", m.rrule)
    ev.add("organizer", _address(*m.organizer))
    for name, email, partstat in m.attendees:
        ev.add("attendee", _address(name, email, partstat=partstat, role="REQ-PARTICIPANT"))
    return ev
