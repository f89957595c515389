"""Simulator styles: the same company written by different hands.

Association must hold on orgs we did not simulate, so the simulator can write one org in several
ways that differ in exactly what an association rule might lean on:

- ``name_product``: how often a rep's deal email names the deal's product (or the deal) in its
  subject and body: 1.0 always, 0.05 almost never ("Following up", "Next steps");
- ``continue_thread``: how often a prospecting thread that leads to a deal goes on as the deal's
  thread, instead of the deal starting a new one;
- ``fresh_thread``: how often a rep starts a new thread for a deal email instead of replying in
  the deal's thread;
- ``off_topic``: how often, per deal email, the rep also writes to a deal contact about something
  else (another product for the account): the truth files that mail under no opportunity;
- ``concurrent``: how often an inbound or expansion deal lands at an account that already has an
  open deal (several open deals per account), and ``same_champion`` how often such a second deal
  has the same main contact as one already open;
- ``ids``: the id format of the CRM export: ``brightwave`` (R0001, A00001, O000001), ``salesforce``
  (18-character ids with their case-safe suffix), ``hubspot`` (numeric) or ``uuid``.

Every style is realistic in one respect the ``classic`` style of earlier versions was not: a rep
never runs a cold prospecting sequence at an account where they are working an open deal; mail to
people there is about the deal, or (``off_topic``) says what else it is about.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from rightturn.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Style:
    """How an org writes its mail and its CRM ids (see the module docstring)."""

    name: str
    description: str
    name_product: float = 1.0
    continue_thread: float = 0.0
    fresh_thread: float = 0.0
    off_topic: float = 0.05
    concurrent: float = 0.0
    same_champion: float = 0.3
    ids: str = "brightwave"


STYLES: dict[str, Style] = {
    s.name: s
    for s in (
        Style(
            "classic",
            "reps name the product in every deal email; each deal has its own thread; "
            "Brightwave ids",
        ),
        Style(
            "terse",
            "reps almost never name the product; prospecting threads go on into the deal; "
            "Salesforce 18-character ids",
            name_product=0.05,
            continue_thread=0.8,
            fresh_thread=0.3,
            off_topic=0.02,
            same_champion=0.1,
            ids="salesforce",
        ),
        Style(
            "chatty",
            "reps name the product in some mail, start new threads often and write to deal "
            "contacts about other products (10%); HubSpot numeric ids",
            name_product=0.4,
            continue_thread=0.5,
            fresh_thread=0.5,
            off_topic=0.10,
            concurrent=0.15,
            same_champion=0.2,
            ids="hubspot",
        ),
        Style(
            "multi-deal",
            "accounts often have several open deals at once, often with the same champion; "
            "reps mostly name the product; UUID ids",
            name_product=0.7,
            continue_thread=0.3,
            fresh_thread=0.2,
            off_topic=0.05,
            concurrent=0.35,
            same_champion=0.3,
            ids="uuid",
        ),
    )
}


def style_named(name: str) -> Style:
    """The style called ``name``; ValueError naming the known styles otherwise."""
    try:
        return STYLES[name]
    except KeyError:
        known = ", ".join(STYLES)
        raise ConfigError(f"no simulator style {name!r}; choose one of: {known}") from None


# Salesforce key prefixes: users, accounts, contacts, opportunities.
_SF_PREFIX = {"rep": "005", "manager": "005", "account": "001", "contact": "003", "opp": "006"}
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# HubSpot ids are numeric per object type; distinct ranges keep them apart in one export.
_HS_BASE = {"rep": 51_000_000, "manager": 52_000_000, "account": 9_000_000_000,
            "contact": 701, "opp": 14_000_000_000}  # fmt: skip
_HS_STEP = {"rep": 37, "manager": 41, "account": 2_713, "contact": 1, "opp": 3_187}


def salesforce_id(prefix: str, n: int) -> str:
    """An 18-character Salesforce id: 3-character key prefix, pod, base-62 serial, and the
    3-character suffix Salesforce derives from the case of the first 15."""
    serial = ""
    k = n
    while True:
        k, r = divmod(k, 62)
        serial = _B62[r] + serial
        if k == 0:
            break
    core = (prefix + "5g" + serial.rjust(10, "0"))[:15]
    suffix = ""
    for chunk in (core[0:5], core[5:10], core[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())
        suffix += _SF_SUFFIX[bits]
    return core + suffix


def format_id(scheme: str, kind: str, n: int, width: int, seed: str = "") -> str:
    """The ``n``-th id of ``kind`` (rep, manager, account, contact, opp) in ``scheme``."""
    if scheme == "salesforce":
        # Managers and reps are both users: keep their serials apart.
        return salesforce_id(_SF_PREFIX[kind], n + (500_000 if kind == "manager" else 0))
    if scheme == "hubspot":
        return str(_HS_BASE[kind] + n * _HS_STEP[kind])
    if scheme == "uuid":
        digest = hashlib.md5(f"{seed}:{kind}:{n}".encode()).digest()
        return str(uuid.UUID(bytes=digest, version=4))
    letter = {"rep": "R", "manager": "M", "account": "A", "contact": "C", "opp": "O"}[kind]
    return f"{letter}{n:0{width}d}"
