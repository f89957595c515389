"""Associating one activity with its rep, contact, account and opportunity — with the reason why.

The rules, in order (each decision keeps a human-readable reason and a confidence):

1. **People.** Reps by their addresses and phones; contacts by exact address or phone (a number or
   address shared by several contacts names none of them, only their account if they share one);
   a new person at a known account's domain becomes an auto-created contact of that account.
2. **Account.** The main contact's account, else the account owning the email domain (by its
   registrable domain; free-mail domains never map to an account).
3. **Opportunity.** An explicit reference first: the thread (a reply inherits the opportunity of
   the message it answers, and a person's choice for a thread is final), or an opportunity's id or
   name in the subject. Then, among the account's opportunities open at the time, evidence is
   scored: a participating contact holds a role on it, its owner took part, its product is named
   in the subject or body. One is linked only when its score clears :data:`LINK_AT` *and* leads
   the runner-up by :data:`MARGIN`; when evidence points at several without singling one out, the
   activity is filed under the account as ``needs_review`` with ranked suggestions; with no
   evidence at all it is filed under the account alone. A wrong opportunity is worse than none.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rightturn.associate.identity import IdentityIndex, OpenOpportunity, domain_of
from rightturn.capture.items import Captured, Party

LINK_AT = 0.6  # lowest score that may link an opportunity
MARGIN = 0.25  # how far ahead of the runner-up it must be
REVIEW_AT = 0.45  # evidence this strong for several opportunities calls for a person
# An opportunity is a candidate from its creation until a day after it closed: what comes before
# is prospecting, what comes long after is the next conversation.
AFTER_CLOSED = timedelta(days=1)
# A contact's latest filed activity this recent is evidence for the same opportunity.
RECENT = timedelta(days=21)

SENDER_ROLES = ("from", "organizer", "caller")
MAIN_ROLES = ("to", "callee", "attendee", "cc")


@dataclass(frozen=True)
class ThreadHint:
    """What is already known of the thread an activity belongs to."""

    opportunity_id: str | None
    account_id: str | None
    manual: bool
    started_at: datetime | None = None  # when the thread's first message was sent


@dataclass(frozen=True)
class NewContact:
    contact_id: str
    account_id: str
    address: str
    name: str | None


@dataclass
class Decision:
    """Everything association decided for one activity."""

    direction: str
    rep_id: str | None
    contact_id: str | None
    account_id: str | None
    opportunity_id: str | None
    status: str  # associated, needs_review, unmatched
    confidence: float | None
    reason: str
    # (party, rep_id, contact_id) for every participant
    participants: list[tuple[Party, str | None, str | None]] = field(default_factory=list)
    suggestions: list[tuple[str, float, str]] = field(default_factory=list)
    new_contacts: list[NewContact] = field(default_factory=list)


def auto_contact_id(address: str) -> str:
    """A stable id for a contact created from an address, so re-runs create the same one."""
    return "auto-" + hashlib.sha1(address.encode()).hexdigest()[:12]


def associate(item: Captured, index: IdentityIndex, thread: ThreadHint | None = None) -> Decision:
    """Decide rep, contact, account and opportunity for a captured item (see module docstring)."""
    people = _People(item, index)
    decision = Decision(
        direction=people.direction,
        rep_id=people.rep_id,
        contact_id=people.contact_id,
        account_id=people.account_id,
        opportunity_id=None,
        status="unmatched",
        confidence=None,
        reason=people.reason,
        participants=people.participants,
        new_contacts=people.new_contacts,
    )
    if thread is not None and thread.manual:
        decision.account_id = thread.account_id or decision.account_id
        decision.opportunity_id = thread.opportunity_id
        decision.status = (
            "associated" if thread.account_id or thread.opportunity_id else "unmatched"
        )
        decision.confidence = 1.0
        target = thread.opportunity_id or thread.account_id or "nothing"
        decision.reason = f"a person filed this thread under {target}"
        return decision
    started = thread.started_at if thread is not None else None
    if (
        thread is not None
        and thread.opportunity_id
        and not _predates(started, thread.opportunity_id, index)
    ):
        opp = index.opportunities.get(thread.opportunity_id)
        decision.opportunity_id = thread.opportunity_id
        decision.account_id = opp.account_id if opp else thread.account_id
        decision.status, decision.confidence = "associated", 0.97
        decision.reason = f"thread of an email already filed under {thread.opportunity_id}"
        return decision
    if decision.account_id is None:
        if people.reason:
            decision.reason = people.reason
        return decision
    _choose_opportunity(item, index, people, decision, started, in_thread=thread is not None)
    return decision


def _predates(started: datetime | None, opportunity_id: str, index: IdentityIndex) -> bool:
    """Whether a thread began before the opportunity existed: then it is the prospect's
    conversation (the one that led to the deal), not the deal's."""
    opp = index.opportunities.get(opportunity_id)
    return bool(started and opp and opp.created_at and started < opp.created_at)


class _People:
    """Step 1 and 2: who took part, which rep and contact it belongs to, which account."""

    def __init__(self, item: Captured, index: IdentityIndex) -> None:
        self.participants: list[tuple[Party, str | None, str | None]] = []
        self.new_contacts: list[NewContact] = []
        self.reason = ""
        reps: list[tuple[Party, str]] = []
        external: list[Party] = []
        for party in item.parties:
            rep = index.rep_of(party.address)
            contacts = index.contacts_of(party.address)
            self.participants.append((party, rep, contacts[0] if len(contacts) == 1 else None))
            if rep:
                reps.append((party, rep))
            elif not index.is_internal(party.address):
                external.append(party)
        sender = item.sender
        sender_rep = index.rep_of(sender.address) if sender else None
        sender_internal = sender is not None and index.is_internal(sender.address)
        if item.direction_hint in ("inbound", "outbound"):
            self.direction = item.direction_hint
        elif not external:
            self.direction = "internal"
        elif sender_internal or sender is None:
            self.direction = "outbound"
        else:
            self.direction = "inbound"
        if self.direction == "outbound" and sender_rep:
            self.rep_id: str | None = sender_rep
        else:
            self.rep_id = next((rep for p, rep in reps if p.role != "from"), None) or next(
                (rep for _, rep in reps), None
            )
        self.external = external
        self.main = self._main_party(item, external)
        self.contact_id, self.account_id = self._contact_and_account(index)
        # Every unambiguous contact among the participants: evidence for contact roles.
        self.contacts = {
            contacts[0]
            for party in external
            if len(contacts := index.contacts_of(party.address)) == 1
        }
        if self.contact_id:
            self.contacts.add(self.contact_id)

    def _main_party(self, item: Captured, external: list[Party]) -> Party | None:
        if not external:
            return None
        if self.direction == "inbound" and item.sender and item.sender in external:
            return item.sender
        for role in MAIN_ROLES:
            for party in external:
                if party.role == role:
                    return party
        return external[0]

    def _contact_and_account(self, index: IdentityIndex) -> tuple[str | None, str | None]:
        if self.main is None:
            self.reason = "no participant outside the company"
            return None, None
        ordered = [self.main] + [p for p in self.external if p is not self.main]
        for party in ordered:
            contacts = index.contacts_of(party.address)
            if len(contacts) == 1:
                return contacts[0], index.account_of_contact.get(contacts[0])
            if len(contacts) > 1:
                accounts = {index.account_of_contact.get(c) for c in contacts}
                if len(accounts) == 1 and None not in accounts:
                    self.reason = f"{party.address} is shared by {len(contacts)} contacts"
                    return None, accounts.pop()
        for party in ordered:
            domain = domain_of(party.address)
            if domain is None:
                continue
            account = index.account_of_domain(domain)
            if account is not None:
                contact_id = auto_contact_id(party.address)
                new = NewContact(contact_id, account, party.address, party.name)
                self.new_contacts.append(new)
                index.add_contact(contact_id, account, party.address)
                return contact_id, account
        self.reason = "no participant is a known contact or at a known account's domain"
        return None, None


def _choose_opportunity(
    item: Captured,
    index: IdentityIndex,
    people: _People,
    decision: Decision,
    started: datetime | None,
    *,
    in_thread: bool = False,
) -> None:
    """Step 3: pick the opportunity, or say why none (see module docstring)."""
    account = decision.account_id
    when = item.occurred_at
    candidates = [
        opp
        for opp in index.opportunities_by_account.get(account, [])  # type: ignore[arg-type]
        if _open_at(opp, when) and not _predates(started, opp.opportunity_id, index)
    ]
    via = _how_found(people)
    if not candidates:
        decision.status, decision.confidence = "associated", 0.9
        decision.reason = f"{via}; the account has no opportunity open at the time"
        return
    subject = (item.subject or "").lower()
    for opp in candidates:
        if opp.opportunity_id.lower() in subject or (opp.name and opp.name.lower() in subject):
            decision.opportunity_id = opp.opportunity_id
            decision.status, decision.confidence = "associated", 0.95
            decision.reason = f"the subject names {opp.opportunity_id}"
            return
    body = (item.body_excerpt or "").lower()
    named = {p for p in index.products if p.lower() in subject}
    # A body that tours several products (a platform overview) is evidence for none of them.
    if sum(p.lower() in body for p in index.products) > 1:
        body = ""
    recent = index.recent_opportunity(people.contact_id, when)
    # People alone are enough for a buyer's new email, a call or a meeting. A rep's new email,
    # or a reply in a thread not filed under a deal, must also name the deal's product: reps
    # write to their deal contacts about other things too (another product, a new need).
    content_needed = item.kind == "email" and (in_thread or decision.direction == "outbound")
    scored = sorted(
        (
            (_score(opp, people, subject, body, named, recent, content_needed), opp)
            for opp in candidates
        ),
        key=lambda s: (-s[0][0], s[1].opportunity_id),
    )
    (best, why), top = scored[0]
    runner_up = scored[1][0][0] if len(scored) > 1 else 0.0
    if best >= LINK_AT and best - runner_up >= MARGIN:
        decision.opportunity_id = top.opportunity_id
        decision.status = "associated"
        decision.confidence = round(min(0.95, 0.4 + best / 2), 2)
        only = " (the only one open)" if len(candidates) == 1 else ""
        decision.reason = f"{via}; {top.opportunity_id}{only}: {why}"
        return
    strong = [(s, o) for s, o in scored if s[0] >= REVIEW_AT]
    if len(strong) > 1 or (strong and best < LINK_AT):
        decision.status, decision.confidence = "needs_review", round(best, 2)
        decision.suggestions = [
            (o.opportunity_id, round(s[0], 2), s[1]) for s, o in scored if s[0] > 0
        ][:5]
        names = ", ".join(o.opportunity_id for _, o in strong)
        decision.reason = f"{via}; evidence does not single out one of {names}"
        return
    decision.status, decision.confidence = "associated", 0.9
    decision.reason = (
        f"{via}; nothing ties it to one of the {len(candidates)} open opportunities there"
    )


def _open_at(opp: OpenOpportunity, when: datetime) -> bool:
    if opp.created_at is not None and when < opp.created_at:
        return False
    return opp.closed_at is None or when <= opp.closed_at + AFTER_CLOSED


def _score(
    opp: OpenOpportunity,
    people: _People,
    subject: str,
    body: str,
    named: set[str],
    recent: str | None,
    content_needed: bool = False,
) -> tuple[float, str]:
    score, why, content = 0.0, [], False
    roles = people.contacts & opp.contacts
    if roles:
        score += 0.45
        why.append(f"contact {', '.join(sorted(roles))} has a role on it")
    if opp.owner_rep_id and (
        opp.owner_rep_id == people.rep_id
        or any(rep == opp.owner_rep_id for _, rep, _ in people.participants)
    ):
        score += 0.25
        why.append(f"its owner {opp.owner_rep_id} took part")
    if opp.product:
        product = opp.product.lower()
        if opp.product in named:
            score += 0.35
            content = True
            why.append(f"its product {opp.product!r} is in the subject")
        elif named:
            # The subject is about another product: evidence against this deal.
            score -= 0.5
            why.append(f"the subject names {', '.join(sorted(named))}, not {opp.product!r}")
        elif product in body:
            score += 0.15
            content = True
            why.append(f"its product {opp.product!r} is in the body")
    if recent == opp.opportunity_id:
        score += 0.2
        why.append("the contact's latest activity was filed under it")
    if content_needed and not content and score > 0:
        score = min(score, 0.3)
        why.append("but the message does not name its product")
    return score, "; ".join(why) or "no evidence"


def _how_found(people: _People) -> str:
    if people.contact_id and people.contact_id.startswith("auto-"):
        return f"new contact at the account's domain ({people.main.address if people.main else ''})"
    if people.contact_id:
        return f"contact {people.contact_id}"
    return f"{people.reason or 'domain'} at account {people.account_id}"
