"""The blocklist: addresses and domains whose mail, calls and meetings are never captured
(a rep's spouse, a lawyer, a personal bank). Entries are lower-cased emails, domains or phones."""

from __future__ import annotations

from sqlalchemy import delete, select

from rightturn.crm.identity import domain_name, email_address, phone_number
from rightturn.crm.model import BlocklistEntry
from rightturn.crm.store import Store


def normalize_entry(value: str, region: str = "US") -> str:
    """An email address, a domain or a phone number, normalized as capture sees them."""
    value = value.strip()
    if "@" in value and not value.startswith("@"):
        return email_address(value, "blocklist entry")
    if any(c.isalpha() for c in value):
        return domain_name(value, "blocklist entry")
    return phone_number(value, "blocklist entry", region)


def add_entries(store: Store, values: list[str], region: str = "US") -> list[str]:
    """Add entries (a ParseError names a bad one); returns those that were new."""
    entries = [normalize_entry(v, region) for v in values]
    with store.session() as s:
        have = set(s.scalars(select(BlocklistEntry.entry)))
        new = [e for e in dict.fromkeys(entries) if e not in have]
        s.add_all(BlocklistEntry(entry=e) for e in new)
    return new


def remove_entries(store: Store, values: list[str], region: str = "US") -> int:
    entries = [normalize_entry(v, region) for v in values]
    with store.session() as s:
        gone = s.execute(delete(BlocklistEntry).where(BlocklistEntry.entry.in_(entries)))
        return gone.rowcount  # type: ignore[attr-defined]


def list_entries(store: Store) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(BlocklistEntry.entry).order_by(BlocklistEntry.entry)))
