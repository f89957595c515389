"""The panel's clock: the zone a request's times are shown in, the org's zone its days are
counted in, and the Jinja filter that shows a stored (UTC) time in the viewer's zone.

Templates call ``value|local_time`` (the ``when`` macro does); the zone comes from a context
variable ``render`` sets around the template, because macros imported with ``{% from %}`` do
not see the page's context. The API keeps ISO times in UTC: only the panel converts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from fastapi import Request

from rightturn.crm.zones import FALLBACK, org_time_zone, user_time_zone, valid_zone
from rightturn.errors import ParseError

__all__ = ["Zones", "day_start", "local_time", "showing", "zones_of"]

_shown: ContextVar[ZoneInfo | None] = ContextVar("shown_zone", default=None)  # None: UTC


@dataclass(frozen=True)
class Zones:
    """A request's zones: ``viewer`` shows its times, ``org`` bounds its days."""

    viewer: str
    org: str


def zones_of(request: Request) -> Zones:
    """The signed-in viewer's zone (their own, else the org's) and the org's; read once per
    request. Without a viewer (the sign-in page), the org's."""
    cached = getattr(request.state, "zones", None)
    if cached is not None:
        return cached
    who = getattr(request.state, "viewer", None)
    with request.app.state.store.session() as s:
        org = _usable(org_time_zone(s)) or FALLBACK
        own = _usable(user_time_zone(s, who.account.user_id)) if who is not None else None
    found = Zones(own or org, org)
    request.state.zones = found
    return found


def _usable(name: str | None) -> str | None:
    """A stored zone this machine knows; None for one it does not (a page still renders)."""
    try:
        return valid_zone(name) if name else None
    except ParseError:
        return None


@contextmanager
def showing(zone: str) -> Iterator[None]:
    """Show times in ``zone`` while the block renders."""
    token = _shown.set(ZoneInfo(zone))
    try:
        yield
    finally:
        _shown.reset(token)


def local_time(value: datetime | date | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time in the viewer's zone; a dash for none. Naive values are UTC (as stored),
    ISO text is read as a time (a report's ``as_of``), and a bare date is a day in no zone."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_shown.get() or UTC).strftime(fmt)


def day_start(day: date, zone: str) -> datetime:
    """Midnight starting ``day`` in ``zone`` (timezone-aware; adding a day keeps local midnight
    across a daylight-saving change)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))
