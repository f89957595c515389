"""The identity graph: who an email address or phone number is, and which account a domain is.

Loaded once per capture run from the store (a few set-based queries), then consulted in memory for
every item, so association costs dictionary look-ups, not queries. Domains are compared by their
*registrable* part (Public Suffix List): ``mail.vantage.com`` is ``vantage.com``, ``acme.co.uk``
stays ``acme.co.uk``, and ``notvantage.com`` is never ``vantage.com`` — no substring matching.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from publicsuffixlist import PublicSuffixList
from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.associate.weights import DEFAULT, Weights
from rightturn.crm.identity import NATIONAL, national_digits
from rightturn.crm.model import (
    Account,
    AccountDomain,
    Activity,
    AssociationModel,
    BlocklistEntry,
    Contact,
    ContactEmail,
    ContactPhone,
    Opportunity,
    OpportunityContact,
    Product,
    Rep,
    RepEmail,
    RepPhone,
)

# Domains where anyone can get an address: never evidence of a company.
FREE_MAIL = frozenset(
    (
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
        "ymail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com",
        "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com",
        "gmx.com", "gmx.de", "gmx.net", "web.de", "t-online.de", "mail.com", "zoho.com",
        "yandex.com",
        "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com", "orange.fr", "free.fr",
        "laposte.net",
        "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "btinternet.com", "fastmail.com",
        "hey.com", "tutanota.com",
    )
)  # fmt: skip

_PSL = PublicSuffixList()
# How many filed activities per contact the index keeps for the "latest activity" evidence.
FILED_PER_CONTACT = 16


@lru_cache(maxsize=200_000)
def registrable(domain: str) -> str:
    """The registrable domain (``mail.acme.co.uk`` -> ``acme.co.uk``); the input if it has none."""
    return _PSL.privatesuffix(domain) or domain


def domain_of(address: str) -> str | None:
    """The domain of an email address (None for a phone number)."""
    at = address.rfind("@")
    return address[at + 1 :] if at > 0 else None


@dataclass
class OpenOpportunity:
    """What association needs to know of an opportunity."""

    opportunity_id: str
    account_id: str
    owner_rep_id: str | None
    name: str | None
    product: str | None
    created_at: datetime | None
    closed_at: datetime | None
    contacts: set[str] = field(default_factory=set)


@dataclass
class IdentityIndex:
    """Addresses, phones and domains resolved to reps, contacts and accounts."""

    rep_by_email: dict[str, str] = field(default_factory=dict)
    rep_by_phone: dict[str, str] = field(default_factory=dict)
    contacts_by_email: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    contacts_by_phone: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    account_of_contact: dict[str, str | None] = field(default_factory=dict)
    account_by_domain: dict[str, str] = field(default_factory=dict)  # exact and registrable
    company_domains: set[str] = field(default_factory=set)  # the seller's own
    opportunities_by_account: dict[str, list[OpenOpportunity]] = field(
        default_factory=lambda: defaultdict(list)
    )
    opportunities: dict[str, OpenOpportunity] = field(default_factory=dict)
    products: list[str] = field(default_factory=list)
    blocklist: set[str] = field(default_factory=set)
    # contact -> sorted (when, opportunity) of activities filed under an opportunity
    filed: dict[str, list[tuple[datetime, str]]] = field(default_factory=lambda: defaultdict(list))
    by_national: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    recent_window: timedelta = timedelta(days=21)
    # Names for the reasons people read: contact -> (name, title), account and rep -> name.
    contact_names: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    account_names: dict[str, str] = field(default_factory=dict)
    rep_names: dict[str, str] = field(default_factory=dict)
    weights: Weights = DEFAULT

    # --- names for reasons --------------------------------------------------------------------

    def account_label(self, account_id: str | None) -> str:
        return self.account_names.get(account_id or "", account_id or "no account")

    def rep_label(self, rep_id: str | None) -> str:
        return self.rep_names.get(rep_id or "", rep_id or "nobody")

    def contact_label(self, contact_id: str | None) -> str:
        """``Chidi Hart (Facilities Director, Canyon Peak)``, as far as the CRM knows it."""
        name, title = self.contact_names.get(contact_id or "", (None, None))
        account = self.account_of_contact.get(contact_id or "")
        where = ", ".join(x for x in (title, self.account_names.get(account or "")) if x)
        who = name or contact_id or "an unknown contact"
        return f"{who} ({where})" if where else who

    def deal_label(self, opportunity_id: str | None) -> str:
        opp = self.opportunities.get(opportunity_id or "")
        return (opp.name if opp and opp.name else None) or opportunity_id or "no deal"

    # --- look-ups ---------------------------------------------------------------------------

    def resolve(self, address: str) -> str:
        """The known E.164 number a ``national:`` number stands for, when exactly one fits."""
        if address.startswith(NATIONAL):
            if not self.by_national:  # built on first need: parsing every number costs
                for phone in [*self.rep_by_phone, *self.contacts_by_phone]:
                    if (digits := national_digits(phone)) is not None:
                        self.by_national[digits].add(phone)
            found = self.by_national.get(address[len(NATIONAL) :], set())
            if len(found) == 1:
                return next(iter(found))
        return address

    def rep_of(self, address: str) -> str | None:
        return self.rep_by_email.get(address) or self.rep_by_phone.get(address)

    def is_internal(self, address: str) -> bool:
        """A rep's own address or phone, or any address at the seller's own domains."""
        if self.rep_of(address):
            return True
        domain = domain_of(address)
        return domain is not None and registrable(domain) in self.company_domains

    def contacts_of(self, address: str) -> list[str]:
        if "@" in address:
            return self.contacts_by_email.get(address, [])
        return self.contacts_by_phone.get(address, [])

    def account_of_domain(self, domain: str) -> str | None:
        """The account owning this domain, exactly or by its registrable domain; never free mail."""
        if domain in FREE_MAIL:
            return None
        found = self.account_by_domain.get(domain)
        if found is None:
            reg = registrable(domain)
            if reg not in FREE_MAIL:
                found = self.account_by_domain.get(reg)
        return found

    def is_free_mail(self, address: str) -> bool:
        domain = domain_of(address)
        return domain is not None and (domain in FREE_MAIL or registrable(domain) in FREE_MAIL)

    def is_blocked(self, address: str) -> bool:
        if address in self.blocklist:
            return True
        domain = domain_of(address)
        return domain is not None and (
            domain in self.blocklist or registrable(domain) in self.blocklist
        )

    def recent_opportunity(self, contact_id: str | None, when: datetime) -> str | None:
        """The opportunity of the contact's latest filed activity before ``when``, if recent."""
        if contact_id is None:
            return None
        filed = self.filed.get(contact_id)
        if not filed:
            return None
        i = bisect_left(filed, (when, ""))
        if i == 0:
            return None
        at, opp = filed[i - 1]
        return opp if when - at <= self.recent_window else None

    def record_filed(
        self, contact_id: str | None, when: datetime, opportunity_id: str | None
    ) -> None:
        """Remember a filed activity; only the latest few per contact, so memory stays flat."""
        if contact_id and opportunity_id:
            filed = self.filed[contact_id]
            insort(filed, (when, opportunity_id))
            if len(filed) > FILED_PER_CONTACT:
                del filed[0]

    # --- growing during a run ---------------------------------------------------------------

    def add_contact(
        self, contact_id: str, account_id: str | None, address: str, name: str | None = None
    ) -> None:
        self.account_of_contact[contact_id] = account_id
        self.contact_names.setdefault(contact_id, (name or address, None))
        target = self.contacts_by_email if "@" in address else self.contacts_by_phone
        if contact_id not in target[address]:  # a batch retried after a conflict adds it again
            target[address].append(contact_id)


def load_index(session: Session, *, filed: bool = True) -> IdentityIndex:
    """Build the index from the store: one query per identity table.

    ``filed=False`` skips each contact's latest filed activities (a replay of the history
    rebuilds them as it walks, so reading them all first would be wasted)."""
    index = IdentityIndex()
    index.rep_by_email = dict(
        session.execute(select(RepEmail.email, RepEmail.rep_id)).tuples().all()
    )
    index.rep_by_phone = dict(
        session.execute(select(RepPhone.phone, RepPhone.rep_id)).tuples().all()
    )
    for email, contact in session.execute(select(ContactEmail.email, ContactEmail.contact_id)):
        index.contacts_by_email[email].append(contact)
    for phone, contact in session.execute(select(ContactPhone.phone, ContactPhone.contact_id)):
        index.contacts_by_phone[phone].append(contact)
    for contact_id, account_id, name, title in session.execute(
        select(Contact.contact_id, Contact.account_id, Contact.name, Contact.title)
    ):
        index.account_of_contact[contact_id] = account_id
        if name or title:
            index.contact_names[contact_id] = (name, title)
    accounts = select(Account.account_id, Account.name)
    index.account_names = dict(session.execute(accounts).tuples().all())
    index.rep_names = dict(session.execute(select(Rep.rep_id, Rep.name)).tuples().all())
    for domain, account in session.execute(select(AccountDomain.domain, AccountDomain.account_id)):
        index.account_by_domain[domain] = account
        # A registrable domain belongs to the account that owns it outright, else to the first
        # account owning one of its subdomains.
        index.account_by_domain.setdefault(registrable(domain), account)
    index.company_domains = {
        registrable(d) for d in (domain_of(e) for e in index.rep_by_email) if d is not None
    } - FREE_MAIL
    opps = session.execute(
        select(
            Opportunity.opportunity_id,
            Opportunity.account_id,
            Opportunity.owner_rep_id,
            Opportunity.name,
            Opportunity.product,
            Opportunity.created_at,
            Opportunity.closed_at,
        ).where(Opportunity.account_id.is_not(None))
    )
    for row in opps:
        opp = OpenOpportunity(*row)
        index.opportunities[opp.opportunity_id] = opp
        index.opportunities_by_account[opp.account_id].append(opp)
    for opp_id, contact in session.execute(
        select(OpportunityContact.opportunity_id, OpportunityContact.contact_id)
    ):
        if opp_id in index.opportunities:
            index.opportunities[opp_id].contacts.add(contact)
    names = {name for name in session.scalars(select(Product.name))}
    names |= {o.product for o in index.opportunities.values() if o.product}
    # Longest first, so "GTX Plus Pro" is found before "GTX Pro" in the same subject.
    index.products = sorted(names, key=len, reverse=True)
    index.blocklist = set(session.scalars(select(BlocklistEntry.entry)))
    learned = session.scalar(
        select(AssociationModel.weights).order_by(AssociationModel.model_id.desc()).limit(1)
    )
    if learned:
        index.weights = Weights.from_dict(learned)
    if not filed:
        return index
    latest = select(Activity.contact_id, Activity.occurred_at, Activity.opportunity_id).where(
        Activity.contact_id.is_not(None), Activity.opportunity_id.is_not(None)
    )
    for contact, when, opp in session.execute(latest):
        index.filed[contact].append((when, opp))
    for contact, entries in index.filed.items():
        entries.sort()
        index.filed[contact] = entries[-FILED_PER_CONTACT:]
    return index
