"""Associating one activity with its rep, contact, account and opportunity — with the reason why.

The rules, in order (each decision keeps a reason in words people read, and a confidence):

1. **People.** Reps by their addresses and phones; contacts by exact address or phone (a number or
   address shared by several contacts names none of them, only their account if they share one);
   a new person at a known account's domain becomes an auto-created contact of that account.
2. **Account.** The main contact's account, else the account owning the email domain (by its
   registrable domain; free-mail domains never map to an account).
3. **Opportunity.** An explicit reference first: the thread (a message in a thread already filed
   under an opportunity belongs to it, and a person's choice for a thread is final), or an
   opportunity's id or name in the subject. Then, among the account's opportunities open at the
   time, the evidence of :mod:`rightturn.associate.weights` is scored: a participant in its buying
   group, its owner taking part, the only one open, the contact's latest filed activity, its
   product named (another product named speaks against it). A thread that began before a deal
   existed (prospecting that turned into the deal) is scored like any other activity, so it
   belongs to the deal from then on. One is linked only when its score clears ``link_at`` *and*
   leads the runner-up by ``margin``. Otherwise "none" is a decision with a reason: when evidence
   points at several deals, or at a deal the contact buys on (or the only one open there) with
   nothing against it, a person decides (``needs_review``, with ranked suggestions); when nothing
   points at one, or the content says it is about something else, it is filed under the account
   with that reason. A wrong opportunity is worse than none.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rightturn.associate.identity import IdentityIndex, OpenOpportunity, domain_of
from rightturn.associate.weights import FEATURES, Weights
from rightturn.crm.captured import Captured, Party

# An opportunity is a candidate from its creation until a day after it closed: what comes before
# is prospecting, what comes long after is the next conversation.
AFTER_CLOSED = timedelta(days=1)

SENDER_ROLES = ("from", "organizer", "caller")
MAIN_ROLES = ("to", "callee", "attendee", "cc")


@dataclass(frozen=True, eq=False)
class Evidence:
    """What ties one activity to one candidate opportunity."""

    opportunity: OpenOpportunity
    role: bool
    roles: frozenset[str]  # the participating contacts in its buying group
    owner: bool
    only: bool
    product_subject: bool
    product_body: bool
    other_product: bool
    recent: bool
    most_roles: bool
    named: frozenset[str]  # products the activity names

    def vector(self) -> list[float]:
        return [float(getattr(self, f)) for f in FEATURES]


@dataclass(frozen=True)
class ThreadHint:
    """What is already known of the thread an activity belongs to."""

    opportunity_id: str | None
    account_id: str | None
    manual: bool


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
    # (score, evidence) for every candidate opportunity, when the choice was scored
    scored: list[tuple[float, Evidence]] = field(default_factory=list)


def auto_contact_id(address: str) -> str:
    """A stable id for a contact created from an address, so re-runs create the same one."""
    return "auto-" + hashlib.sha1(address.encode()).hexdigest()[:12]


def associate(
    item: Captured,
    index: IdentityIndex,
    thread: ThreadHint | None = None,
    weights: Weights | None = None,
) -> Decision:
    """Decide rep, contact, account and opportunity for a captured item (see module docstring).

    ``weights`` default to the index's (the org's learned weights when there are any)."""
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
        if thread.opportunity_id:
            target = index.deal_label(thread.opportunity_id)
        elif thread.account_id:
            target = f"{index.account_label(thread.account_id)} (no deal)"
        else:
            target = "nothing (not a sales activity)"
        decision.reason = f"a person filed this thread under {target}"
        return decision
    if thread is not None and thread.opportunity_id:
        opp = index.opportunities.get(thread.opportunity_id)
        decision.opportunity_id = thread.opportunity_id
        decision.account_id = opp.account_id if opp else thread.account_id
        decision.status, decision.confidence = "associated", 0.97
        deal = index.deal_label(thread.opportunity_id)
        decision.reason = f"an earlier email of its thread is filed under {deal}"
        return decision
    if decision.account_id is None:
        if people.reason:
            decision.reason = people.reason
        return decision
    _choose_opportunity(item, index, people, decision, weights or index.weights)
    return decision


def describe(ev: Evidence, index: IdentityIndex) -> str:
    """The evidence for one deal in words: "Chidi Hart (Facilities Director, Canyon Peak) is in
    the buying group of Canyon Peak - Atlas Forecasting; its owner Mei Thompson took part"."""
    opp = ev.opportunity
    deal = index.deal_label(opp.opportunity_id)
    if ev.role:
        who = " and ".join(index.contact_label(c) for c in sorted(ev.roles))
        parts = [f"{who} {'is' if len(ev.roles) == 1 else 'are'} in the buying group of {deal}"]
    else:
        parts = [deal]
    if ev.owner:
        parts.append(f"its owner {index.rep_label(opp.owner_rep_id)} took part")
    if ev.only:
        parts.append("the only deal open there")
    if ev.product_subject:
        parts.append(f"the subject names its product {opp.product}")
    if ev.product_body:
        parts.append(f"the text names its product {opp.product}")
    if ev.other_product:
        parts.append(f"but it names {', '.join(sorted(ev.named))}, not {opp.product}")
    if ev.most_roles:
        parts.append("more of its buying group took part than of any other deal's")
    if ev.recent:
        parts.append("the contact's latest activity was filed under it")
    return "; ".join(parts)


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
                index.add_contact(contact_id, account, party.address, party.name)
                return contact_id, account
        self.reason = "no participant is a known contact or at a known account's domain"
        return None, None


def _choose_opportunity(
    item: Captured,
    index: IdentityIndex,
    people: _People,
    decision: Decision,
    weights: Weights,
) -> None:
    """Step 3: pick the opportunity, or decide — with the reason — that it is none of them.

    In order: no deal open at the account; a deal the subject names; the evidence scored and
    the leader linked; a person decides; none, with the reason."""
    account = decision.account_id
    candidates = _candidates(index, account, item.occurred_at)
    via = _how_found(people, index)
    if not candidates:
        decision.status, decision.confidence = "associated", 0.9
        decision.reason = f"{via}; {index.account_label(account)} has no deal open at the time"
        return
    named = _named_in_subject(item, candidates)
    if named is not None:
        decision.opportunity_id = named.opportunity_id
        decision.status, decision.confidence = "associated", 0.95
        decision.reason = f"the subject names {index.deal_label(named.opportunity_id)}"
        return
    found = evidence(item, index, people, candidates)
    decision.scored = sorted(
        zip(weights.scores(found), found, strict=True),
        key=lambda s: (-s[0], s[1].opportunity.opportunity_id),
    )
    if _link_leader(decision, weights, via, index) or _to_review(decision, weights, via, index):
        return
    decision.status, decision.confidence = "associated", 0.9
    decision.reason = f"{via}; {_why_none(decision.scored, index, people)}"


def _candidates(index: IdentityIndex, account: str | None, when: datetime) -> list[OpenOpportunity]:
    """The account's opportunities open at `when` (see :data:`AFTER_CLOSED`)."""
    return [
        opp
        for opp in index.opportunities_by_account.get(account, [])  # type: ignore[arg-type]
        if _open_at(opp, when)
    ]


def _named_in_subject(item: Captured, candidates: list[OpenOpportunity]) -> OpenOpportunity | None:
    """The first candidate whose id or name the subject names: an explicit reference wins over
    any evidence."""
    subject = (item.subject or "").lower()
    for opp in candidates:
        if opp.opportunity_id.lower() in subject or (opp.name and opp.name.lower() in subject):
            return opp
    return None


def _link_leader(decision: Decision, weights: Weights, via: str, index: IdentityIndex) -> bool:
    """Link the best-scored deal when its score clears ``link_at`` and leads the runner-up (or,
    alone, the floor) by ``margin``; whether it did."""
    scored = decision.scored
    (best, top), runner_up = scored[0], (scored[1][0] if len(scored) > 1 else weights.floor)
    # (rounded: 0.9 - 0.7 is 0.1999... in floating point)
    if not (best >= weights.link_at and round(best - runner_up, 6) >= weights.margin):
        return False
    decision.opportunity_id = top.opportunity.opportunity_id
    decision.status = "associated"
    decision.confidence = weights.confidence(best)
    decision.reason = f"{via}; {describe(top, index)}"
    return True


def _to_review(decision: Decision, weights: Weights, via: str, index: IdentityIndex) -> bool:
    """Leave the choice to a person, with ranked suggestions, when the evidence points at deals
    without singling one out, or at a deal the contact buys on (or the only one open there)
    with nothing against it; whether it did."""
    scored = decision.scored
    strong = [ev for sc, ev in scored if sc >= weights.review_at and not ev.other_product]
    plausible = [ev for _, ev in scored if (ev.role or ev.only) and not ev.other_product]
    if not (strong or plausible):
        return False
    decision.status, decision.confidence = "needs_review", weights.confidence(scored[0][0])
    decision.suggestions = [
        (ev.opportunity.opportunity_id, round(sc, 2), describe(ev, index))
        for sc, ev in scored
        if sc > weights.floor or ev in plausible
    ][:5]
    named = strong if len(strong) > 1 else (strong or plausible)
    names = ", ".join(index.deal_label(ev.opportunity.opportunity_id) for ev in named)
    if len(strong) > 1:
        decision.reason = f"{via}; the evidence does not single out one of {names}"
    else:
        decision.reason = f"{via}; {names} is likely but not certain: a person decides"
    return True


def _why_none(scored: list[tuple[float, Evidence]], index: IdentityIndex, people: _People) -> str:
    """Why an activity at an account with open deals belongs to none of them, in words."""
    against = [ev for _, ev in scored if ev.other_product]
    if against:
        return (
            f"it is about {', '.join(sorted(against[0].named))}, which none of the "
            f"{len(scored)} open deal{'s' if len(scored) > 1 else ''} there is about"
        )
    who = index.contact_label(people.contact_id) if people.contact_id else "nobody on it"
    return (
        f"{who} is in the buying group of none of the {len(scored)} deals open there, "
        "and nothing else points at one"
    )


def _open_at(opp: OpenOpportunity, when: datetime) -> bool:
    if opp.created_at is not None and when < opp.created_at:
        return False
    return opp.closed_at is None or when <= opp.closed_at + AFTER_CLOSED


def evidence(
    item: Captured, index: IdentityIndex, people: _People, candidates: list[OpenOpportunity]
) -> list[Evidence]:
    """What ties the activity to each candidate opportunity (see :class:`Evidence`)."""
    named_subject, named_body = _products_named(item, index)
    named = named_subject or named_body
    recent = index.recent_opportunity(people.contact_id, item.occurred_at)
    reps = {people.rep_id} | {rep for _, rep, _ in people.participants if rep}
    role_counts = [len(people.contacts & opp.contacts) for opp in candidates]
    out = []
    for opp, count in zip(candidates, role_counts, strict=True):
        roles = people.contacts & opp.contacts
        subject_names, body_names, other_product = _product_evidence(
            opp.product, named_subject, named_body
        )
        out.append(
            Evidence(
                opportunity=opp,
                role=bool(roles),
                roles=frozenset(roles),
                owner=bool(opp.owner_rep_id and opp.owner_rep_id in reps),
                only=len(candidates) == 1,
                product_subject=subject_names,
                product_body=body_names,
                other_product=other_product,
                recent=recent == opp.opportunity_id,
                most_roles=_most_roles(count, role_counts),
                named=frozenset(named),
            )
        )
    return out


def _products_named(item: Captured, index: IdentityIndex) -> tuple[set[str], set[str]]:
    """The products the subject names, and those the body names. A body that tours several
    products (a platform overview) is evidence for none of them."""
    subject = (item.subject or "").lower()
    body = (item.body_excerpt or "").lower()
    named_subject = {p for p in index.products if p.lower() in subject}
    named_body = {p for p in index.products if p.lower() in body}
    if len(named_body) > 1:
        named_body = set()
    return named_subject, named_body


def _product_evidence(
    product: str | None, named_subject: set[str], named_body: set[str]
) -> tuple[bool, bool, bool]:
    """Whether the subject names the deal's product, whether only the text does, and whether
    the subject names other products instead. Only a subject speaks against a deal: bodies
    mention other products in passing."""
    return (
        bool(product and product in named_subject),
        bool(product and product not in named_subject and product in named_body),
        bool(product and named_subject and product not in named_subject),
    )


def _most_roles(count: int, role_counts: list[int]) -> bool:
    """Whether more of this deal's buying group took part than of any other's. Only between
    buying groups that both took part: one role beats none already."""
    return (
        count > 0
        and sum(c > 0 for c in role_counts) > 1
        and sum(c >= count for c in role_counts) == 1
    )


def _how_found(people: _People, index: IdentityIndex) -> str:
    if people.contact_id and people.contact_id.startswith("auto-"):
        address = people.main.address if people.main else ""
        return f"{address} is new at {index.account_label(people.account_id)}"
    if people.contact_id:
        return f"it is with {index.contact_label(people.contact_id)}"
    return f"{people.reason or 'by its domain'}: {index.account_label(people.account_id)}"
