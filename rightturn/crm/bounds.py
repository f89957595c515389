"""The bounds every stored value keeps, in one place: text without NUL, lengths, integer ranges,
dates within a sane window.

PostgreSQL refuses a NUL in text and integers past 32 bits; SQLite stores both, so a file that
imports on one fails on the other. Every input path (capture, CRM import, the API) bounds its
values with these before they reach the database, and quarantines or refuses — naming the field —
what cannot be bounded.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rightturn.errors import ParseError

INT32_MAX = 2**31 - 1
# An activity or deal date outside this window is a typo or a parser's fallback (year 1, 9999).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
LONGEST_CALL_S = 7 * 24 * 3600  # a week: anything longer is a unit mix-up (ms, not s)


class OutOfBounds(ParseError):
    """A value that cannot be stored as it is; the message names the field and the bound."""


def strip_nul(text: str) -> str:
    """``text`` without NUL characters."""
    return text.replace("\x00", "") if "\x00" in text else text


def clean_text(value: str | None, limit: int | None = None) -> str | None:
    """NUL bytes removed and, with ``limit``, cut to at most ``limit`` characters (an ellipsis
    marks the cut). For free text (subjects, names, notes), where a shorter value is still true."""
    if value is None:
        return None
    value = strip_nul(value)
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def bounded_int(value: int | None, field: str, low: int = 0, high: int = INT32_MAX) -> int | None:
    """``value`` if it lies in [low, high]; else :class:`OutOfBounds` naming the field."""
    if value is None:
        return None
    if not low <= value <= high:
        raise OutOfBounds(f"{field} {value} is outside {low:,} to {high:,}")
    return value


def bounded_time(value: datetime, field: str) -> datetime:
    """A timezone-aware time between 1970 and 2100, else :class:`OutOfBounds`."""
    try:
        inside = EARLIEST <= value <= LATEST
    except (TypeError, OverflowError) as exc:  # naive, or an offset past the year's end
        raise OutOfBounds(f"{field} {value!r} is not a usable time: {exc}") from exc
    if not inside:
        raise OutOfBounds(f"{field} {value.isoformat()} is outside 1970 to 2100")
    return value
