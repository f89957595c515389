"""Time zones: the org's (a setting, else inferred from the data) and each user's own.

Times are stored in UTC; people read them in a zone. Every shown time is in the viewer's zone:
their own when they set one (``users.time_zone``), else the org's. Day boundaries (an "as of"
day, a week) follow the org's zone, so everyone in the org counts the same days.

The org's zone is the ``time_zone`` setting. Until someone sets it, it is inferred from the one
evidence every company's data carries: when the reps themselves act. Outbound emails and calls
are sent and placed by the reps during their working day, wherever the buyers are (inbound mail
follows the buyers' clocks, meetings both sides'). The data keeps no other clue: captured times
are stored in UTC (a Date header's offset and a meeting's TZID are not kept) and reps carry no
zone. Each rep's clock offset is read from the middle of their day (the mean hour of their last
four weeks' outbound emails and calls, taken to be 13:00 local), and the inferred zone is the
common business zone (``CANDIDATES``) the most reps' offsets fit. With too little activity (fewer
than 20 such activities for every rep) or none that shows a working day, it is UTC, and
:func:`org_zone_source` says so. The inference names a zone by its clock: an org in Paris gets
Europe/Berlin (the same clock) until it sets its own.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rightturn.crm.model import Activity, User
from rightturn.crm.settings import data_version, get_setting, set_setting
from rightturn.crm.types import utcnow
from rightturn.errors import NotFound, ParseError

__all__ = [
    "EXAMPLE",
    "TIME_ZONE",
    "inferred_time_zone",
    "known_zones",
    "org_time_zone",
    "org_zone_source",
    "set_org_time_zone",
    "set_user_time_zone",
    "user_time_zone",
    "valid_zone",
    "viewer_zone",
]

TIME_ZONE = "time_zone"  # the org setting's key
EXAMPLE = "Europe/Berlin"
FALLBACK = "UTC"

# One zone per distinct offset and daylight-saving rule where companies sell from. On a tie (the
# same clock on the days judged: Phoenix and Los Angeles in summer, Lagos and Berlin in winter)
# the earlier wins, so the list runs from the zones most companies sell from.
CANDIDATES = (
    "America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
    "Europe/Berlin", "Asia/Kolkata", "Asia/Singapore", "Australia/Sydney", "Asia/Tokyo",
    "America/Sao_Paulo", "America/Denver", "America/Phoenix", "America/Mexico_City",
    "Europe/Athens", "Asia/Dubai", "Africa/Johannesburg", "Africa/Lagos", "Europe/Moscow",
    "America/Halifax", "America/Anchorage", "Pacific/Honolulu", "Asia/Karachi", "Asia/Dhaka",
    "Asia/Bangkok", "Australia/Brisbane", "Pacific/Auckland",
)  # fmt: skip
MIDDAY = 13.0  # the middle of a working day, local time (08:00 to 18:00, 09:00 to 17:00)
MIN_CONCENTRATION = 0.5  # of the hours' mean on the clock: ~0.74 for a 10-hour day, 0 for none
EVIDENCE_DAYS = 28
MAX_EVIDENCE = 20_000  # the most recent outbound activities read (a month of a large org)
NEAR = 1.5  # hours between a rep's estimated offset and a zone's for the rep to count for it
MIN_EVIDENCE = 20  # outbound emails and calls a rep needs before their hours count
_inferred: dict[str, tuple[int, str]] = {}  # database -> (its data version, the zone inferred)


@functools.cache
def _known() -> dict[str, str]:
    """Every IANA zone name this machine knows, by its lower-case spelling."""
    return {name.lower(): name for name in available_timezones()}


def known_zones() -> list[str]:
    """Every IANA zone name this machine knows, sorted (what a zone picker offers)."""
    return sorted(_known().values())


def valid_zone(name: str) -> str:
    """The IANA zone ``name`` as spelt in the database (``europe/berlin`` -> ``Europe/Berlin``),
    else :class:`ParseError` naming it, with the closest names or an example."""
    text = name.strip()
    found = _known().get(text.lower())
    if found:
        return found
    close = difflib.get_close_matches(text.lower(), list(_known()), n=3, cutoff=0.75)
    hint = (
        "did you mean " + " or ".join(_known()[c] for c in close)
        if close
        else f"write an IANA name like {EXAMPLE} or America/Los_Angeles"
    )
    raise ParseError(f"time zone {name!r} is not an IANA time zone name: {hint}")


def org_time_zone(session: Session) -> str:
    """The org's zone: the ``time_zone`` setting, else the one inferred from the data."""
    return get_setting(session, TIME_ZONE) or inferred_time_zone(session)


def org_zone_source(session: Session) -> str:
    """Where the org's zone comes from, as a person reads it (``set by an admin``, ``inferred
    from the reps' working hours``, or why it is UTC)."""
    if get_setting(session, TIME_ZONE):
        return "set by an admin"
    if inferred_time_zone(session) == FALLBACK:
        return "no working day shows in the reps' outbound activity yet, so UTC"
    return "inferred from the reps' working hours; an admin sets it with `rightturn org timezone`"


def set_org_time_zone(session: Session, name: str) -> str:
    """Set the org's zone (validated); returns it as stored."""
    zone = valid_zone(name)
    set_setting(session, TIME_ZONE, zone)
    return zone


def user_time_zone(session: Session, user_id: int) -> str | None:
    """The user's own zone, or None when they follow the org's."""
    return session.scalar(select(User.time_zone).where(User.user_id == user_id))


def set_user_time_zone(session: Session, email: str, name: str | None) -> str | None:
    """Set a user's own zone (validated), or clear it with None (they then follow the org's)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email!r}: see `rightturn users list`")
    user.time_zone = valid_zone(name) if name else None
    return user.time_zone


def viewer_zone(session: Session, user_id: int | None) -> str:
    """The zone a user reads times in: their own when set, else the org's."""
    own = user_time_zone(session, user_id) if user_id is not None else None
    return own or org_time_zone(session)


def inferred_time_zone(session: Session) -> str:
    """The zone most reps work in, judged by their recent outbound activity (see the module's
    docstring), or UTC. Remembered per database until the data changes."""
    database, version = str(session.get_bind().engine.url), data_version(session)
    known = _inferred.get(database)
    if known is None or known[0] != version:
        known = _inferred[database] = (version, _most_reps_zone(_activity_hours(session)))
    return known[1]


def _activity_hours(session: Session) -> Counter[tuple[str, datetime]]:
    """Each rep's outbound emails and calls of the last weeks of data, counted per UTC hour."""
    outbound = (
        Activity.direction == "outbound",
        Activity.kind.in_(("email", "call")),
        Activity.rep_id.is_not(None),
        Activity.occurred_at <= utcnow(),  # a misdated future message is no evidence
    )
    latest = session.scalar(select(func.max(Activity.occurred_at)).where(*outbound))
    if latest is None:
        return Counter()
    rows = session.execute(
        select(Activity.rep_id, Activity.occurred_at)
        .where(*outbound, Activity.occurred_at > latest - timedelta(days=EVIDENCE_DAYS))
        .order_by(Activity.occurred_at.desc())
        .limit(MAX_EVIDENCE)
    )
    return Counter(
        (rep, t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)) for rep, t in rows
    )


def _most_reps_zone(hours: Counter[tuple[str, datetime]]) -> str:
    """The zone most reps work in, else UTC.

    Each rep's clock offset is estimated from their own hours; the zone is the candidate with the
    most reps within ``NEAR`` hours of it (ties: more of their activity, then the closer fit).
    Judged per rep, not over all activity at once: pooled, an org with a New York and a London
    team would fit Halifax best, where nobody works.
    """
    per_rep: dict[str, Counter[datetime]] = {}
    for (rep, hour), count in hours.items():
        per_rep.setdefault(rep, Counter())[hour] = count
    offsets = {rep: _rep_offset(h) for rep, h in per_rep.items()}
    found = [(o, sum(per_rep[rep].values())) for rep, o in offsets.items() if o is not None]
    if not found:
        return FALLBACK
    latest = max(hour for _, hour in hours)

    def fit(name: str) -> tuple[int, int, float]:
        distances = [(abs(_wrap(_offset_hours(latest, name) - o)), n) for o, n in found]
        near = [(d, n) for d, n in distances if d <= NEAR]
        return len(near), sum(n for _, n in near), -sum(d for d, _ in near)

    best = max(CANDIDATES, key=fit)
    return best if fit(best)[0] else FALLBACK


def _rep_offset(hours: Counter[datetime]) -> float | None:
    """The rep's clock offset from UTC in hours, taking the middle of their working day (the
    circular mean of their activity's hour) to be 13:00 local; None with too little activity
    or activity spread round the clock."""
    total = sum(hours.values())
    if total < MIN_EVIDENCE:
        return None
    x = sum(n * math.cos(_angle(h)) for h, n in hours.items()) / total
    y = sum(n * math.sin(_angle(h)) for h, n in hours.items()) / total
    if math.hypot(x, y) < MIN_CONCENTRATION:  # no working day shows
        return None
    return _wrap(MIDDAY - math.atan2(y, x) * 12 / math.pi)


def _angle(hour: datetime) -> float:
    """The UTC hour's middle on the 24-hour circle, in radians."""
    return (hour.hour + 0.5) * math.pi / 12


def _wrap(hours: float) -> float:
    """Hours folded into [-12, 12)."""
    return (hours + 12) % 24 - 12


def _offset_hours(at: datetime, name: str) -> float:
    offset = at.astimezone(_candidate_zones()[CANDIDATES.index(name)]).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


@functools.cache
def _candidate_zones() -> tuple[ZoneInfo, ...]:
    return tuple(ZoneInfo(name) for name in CANDIDATES)
