"""Reading the values of CSV cells: lists, dates, money, ids, emails, domains, slugs.

Each function raises ``ValueError`` with a message fit to show the user next to the file and line.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from rightturn.crm.identity import domain_name, email_address, phone_number
from rightturn.errors import ParseError

__all__ = [
    "domain_name",
    "email_address",
    "match_key",
    "parse_date",
    "parse_datetime",
    "parse_int",
    "parse_money",
    "phone_number",
    "slug",
    "split_list",
    "text",
]


def text(value: str | None) -> str | None:
    """The stripped cell, or None when it is blank."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def split_list(value: str | None) -> list[str]:
    """A ``;``-separated list cell, blanks and repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for item in (value or "").split(";"):
        item = item.strip()
        if item:
            seen.setdefault(item, None)
    return list(seen)


def parse_datetime(value: str | None, column: str) -> datetime | None:
    """An ISO 8601 date or timestamp; a bare date is midnight UTC, a naive time is UTC."""
    value = text(value)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(
            f"{column} {value!r} is not an ISO 8601 date or time (e.g. 2024-03-31 or "
            "2024-03-31T14:05:00+00:00)"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: str | None, column: str) -> date | None:
    """An ISO 8601 date (a timestamp is cut to its UTC date)."""
    value = text(value)
    if value is None:
        return None
    if len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ParseError(
                f"{column} {value!r} is not an ISO 8601 date (e.g. 2024-03-31)"
            ) from None
    parsed = parse_datetime(value, column)
    return parsed.date() if parsed else None


def parse_money(value: str | None, column: str) -> Decimal | None:
    """A non-negative amount; thousands separators and a leading currency sign are tolerated."""
    value = text(value)
    if value is None:
        return None
    cleaned = value.replace(",", "").replace("_", "").lstrip("$€£ ")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ParseError(f"{column} {value!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise ParseError(f"{column} {value!r} must be a number of zero or more")
    try:
        return amount.quantize(Decimal("0.01"))
    except InvalidOperation:  # more digits than any amount has
        raise ParseError(f"{column} {value!r} is too large for an amount") from None


def parse_int(value: str | None, column: str) -> int | None:
    value = text(value)
    if value is None:
        return None
    try:
        return int(float(value))
    except (ValueError, OverflowError):  # "abc", "nan", "inf"
        raise ParseError(f"{column} {value!r} is not a whole number") from None


def slug(value: str) -> str:
    """A stable id from a name: ``"Moses Frase"`` -> ``"moses-frase"``."""
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def match_key(value: str) -> str:
    """A spelling-insensitive key: ``"GTXPro"`` and ``"GTX Pro"`` both give ``"gtxpro"``."""
    return re.sub(r"[^a-z0-9]", "", value.lower())
