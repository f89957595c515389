"""Which captured items are not sales activity, and why. Every dropped item keeps its reason.

========== ==========================================================================
reason     rule
========== ==========================================================================
blocklist  a participant's address or domain is on the blocklist (``rightturn blocklist``)
cancelled  a cancelled meeting (or cancelled occurrence)
bulk       mail with List-Unsubscribe, List-Id, or Precedence: bulk/list/junk
auto_reply mail with Auto-Submitted (other than "no"), X-Autoreply/X-Autorespond, or an
           out-of-office / automatic-reply subject
internal   every participant is a rep or at the company's own domains
personal   no participant is a known contact or at a known account, and the other party
           writes from a free-mail domain
========== ==========================================================================
"""

from __future__ import annotations

import re

from rightturn.associate.identity import IdentityIndex, domain_of
from rightturn.capture.items import Captured

_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|absence)\b",
    re.IGNORECASE,
)


def drop_reason(item: Captured, index: IdentityIndex) -> tuple[str, str] | None:
    """``(reason, detail)`` when the item is not sales activity, else None."""
    for party in item.parties:
        if index.is_blocked(party.address):
            return "blocklist", f"{party.address} is on the blocklist"
    if item.cancelled:
        return "cancelled", "the meeting was cancelled"
    if item.kind == "email":
        found = _bulk_or_auto(item)
        if found:
            return found
    external = [p for p in item.parties if not index.is_internal(p.address)]
    if not external:
        return "internal", "every participant is a rep or at the company's domains"
    if item.kind != "call" and not any(_known(p.address, index) for p in external):
        free = [p.address for p in external if index.is_free_mail(p.address)]
        if free and len(free) == len(external):
            return "personal", f"{free[0]} is a free-mail address of nobody known"
    return None


def _bulk_or_auto(item: Captured) -> tuple[str, str] | None:
    h = item.headers
    if "list-unsubscribe" in h or "list-id" in h:
        return "bulk", "a mailing list or newsletter (List-Unsubscribe/List-Id)"
    precedence = h.get("precedence", "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        return "bulk", f"Precedence: {precedence}"
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return "auto_reply", f"Auto-Submitted: {auto}"
    if "x-autoreply" in h or "x-autorespond" in h:
        return "auto_reply", "X-Autoreply"
    if item.subject and _AUTO_SUBJECT.match(item.subject):
        return "auto_reply", f"subject {item.subject[:60]!r}"
    return None


def _known(address: str, index: IdentityIndex) -> bool:
    if index.contacts_of(address):
        return True
    domain = domain_of(address)
    return domain is not None and index.account_of_domain(domain) is not None
