"""The organisation: teams, managers, reps with latent traits, products, accounts, contacts.

Built one team at a time so a 1,000-rep organisation never sits in memory at once; only
the id counters and the set of used seller addresses live for the whole run.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from email.utils import formataddr
from zoneinfo import ZoneInfo

from . import names
from .names import SELLER_DOMAIN, Phone
from .styles import format_id

# (name, timezone, home country); ordered so that even a 3-team org spans US and UK.
REGIONS = [
    ("East", "America/New_York", "US"),
    ("EMEA", "Europe/London", "UK"),
    ("West", "America/Los_Angeles", "US"),
    ("DACH", "Europe/Berlin", "DE"),
    ("Central", "America/Chicago", "US"),
]
TEAM_SIZE = 8
_AREA_TZ = {
    "415": "America/Los_Angeles", "206": "America/Los_Angeles", "213": "America/Los_Angeles",
    "312": "America/Chicago", "512": "America/Chicago", "713": "America/Chicago",
    "303": "America/Denver",
}  # fmt: skip
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
# Seats bought per deal, by segment: (low, high).
SEATS = {"SMB": (5, 40), "Mid-Market": (30, 160), "Enterprise": (100, 500)}
# Annual quota per rep, calibrated so the median rep attains ~70% of it over a 12-month run.
ANNUAL_QUOTA = 1_200_000


@dataclass(frozen=True, slots=True)
class Product:
    """One of the seller's products; list_price is per seat per year."""

    name: str
    series: str
    list_price: int


PRODUCTS = (
    Product("Atlas Forecasting", "Revenue Intelligence", 960),
    Product("Beacon Activity Capture", "Engagement", 480),
    Product("Compass Pipeline Insights", "Revenue Intelligence", 720),
    Product("Harbor Deal Rooms", "Engagement", 360),
    Product("Summit Coaching Studio", "Enablement", 600),
)


@dataclass(slots=True)
class Rep:
    """A seller (or a team manager, is_manager=True) with the latent traits truth/ reveals."""

    rep_id: str
    name: str
    first: str
    emails: list[str]
    phone: Phone
    tz: ZoneInfo
    team: str
    manager_id: str
    quota: int | None
    skill: float
    effort: float
    brief_share: float
    is_manager: bool
    addr: str = ""
    won_revenue: int = 0

    def __post_init__(self) -> None:
        self.addr = formataddr((self.name, self.emails[0]), charset="utf-8")


@dataclass(slots=True)
class Contact:
    """A buyer-side person at an account."""

    contact_id: str
    account: Account
    name: str
    first: str
    emails: list[str]
    phones: list[Phone]
    title: str
    tz: ZoneInfo
    addr: str = ""

    def __post_init__(self) -> None:
        self.addr = formataddr((self.name, self.emails[0]), charset="utf-8")


@dataclass(slots=True)
class Account:
    """A customer or prospect company owned by one rep."""

    account_id: str
    name: str
    domains: list[str]
    industry: str
    segment: str
    parent_id: str
    country: str
    switchboard: Phone
    owner: str
    contacts: list[Contact] = field(default_factory=list)


@dataclass(slots=True)
class Team:
    """A manager, their reps and the reps' territories."""

    name: str
    manager: Rep
    reps: list[Rep]
    accounts: list[Account]

    @property
    def members(self) -> list[Rep]:
        """Manager first, then reps: everyone with a mailbox and a calendar."""
        return [self.manager, *self.reps]


@dataclass(slots=True)
class Counters:
    """Org-wide id counters and widths, fixed before the first id is issued."""

    rep_width: int
    mgr_width: int
    acc_width: int
    con_width: int
    opp_width: int
    call_width: int
    reps: int = 0
    accounts: int = 0
    contacts: int = 0
    opportunities: int = 0
    calls: int = 0
    phones: int = 0
    used_locals: set[str] = field(default_factory=set)
    ids: str = "brightwave"  # the id scheme (styles.format_id)
    seed: str = ""

    @classmethod
    def for_org(cls, reps: int, months: int, ids: str = "brightwave", seed: str = "") -> Counters:
        """Widths from upper bounds on how many ids this org can issue."""
        acc = reps * (accounts_per_rep(months) + 10)
        return cls(
            ids=ids,
            seed=seed,
            rep_width=max(4, len(str(reps))),
            mgr_width=max(3, len(str(reps))),
            acc_width=max(5, len(str(acc))),
            con_width=max(6, len(str(acc * 11))),
            opp_width=max(6, len(str(reps * months * 16))),
            call_width=max(7, len(str(reps * months * 60))),
        )

    def next_rep(self) -> str:
        self.reps += 1
        return format_id(self.ids, "rep", self.reps, self.rep_width, self.seed)

    def manager_id(self, index: int) -> str:
        return format_id(self.ids, "manager", index + 1, self.mgr_width, self.seed)

    def next_account(self) -> str:
        self.accounts += 1
        return format_id(self.ids, "account", self.accounts, self.acc_width, self.seed)

    def next_contact(self) -> str:
        self.contacts += 1
        return format_id(self.ids, "contact", self.contacts, self.con_width, self.seed)

    def next_opportunity(self) -> str:
        self.opportunities += 1
        return format_id(self.ids, "opp", self.opportunities, self.opp_width, self.seed)

    def next_call(self) -> str:
        self.calls += 1
        return f"CL{self.calls:0{self.call_width}d}"

    def next_phone_serial(self) -> int:
        self.phones += 1
        return self.phones


def accounts_per_rep(months: int) -> int:
    """Territory size: enough fresh prospects for a year of sequences and ~8 deals a month."""
    return 30 + 6 * months


def team_layout(reps: int) -> list[tuple[str, str, str, int]]:
    """(team name, timezone, country, rep count) for each team, reps spread evenly."""
    n_teams = math.ceil(reps / TEAM_SIZE)
    out = []
    for k in range(n_teams):
        region, tz, country = REGIONS[k % len(REGIONS)]
        size = reps // n_teams + (1 if k < reps % n_teams else 0)
        out.append((f"{region} {k // len(REGIONS) + 1}", tz, country, size))
    return out


def _seller_emails(rng: random.Random, first: str, last: str, c: Counters) -> list[str]:
    base = f"{names.ascii_slug(first)}.{names.ascii_slug(last)}"
    local, n = base, 1
    while local in c.used_locals:
        n += 1
        local = f"{base}{n}"
    c.used_locals.add(local)
    emails = [f"{local}@{SELLER_DOMAIN}"]
    if rng.random() < 0.3:  # an alias, as sellers who changed address or use initials have
        alias = f"{names.ascii_slug(first)[0]}{names.ascii_slug(last)}"
        if alias not in c.used_locals:
            c.used_locals.add(alias)
            emails.append(f"{alias}@{SELLER_DOMAIN}")
    return emails


def _traits(rng: random.Random) -> tuple[float, float, float]:
    """skill (lognormal, heavy right tail), effort, brief_share.

    Effort is drawn independently of skill on purpose: more touches are not what makes the
    top reps top. Most reps follow up 0-2 times, a few grind 3-5 times.
    """
    skill = rng.lognormvariate(0.0, 1.0)
    u = rng.random()
    if u < 0.8:
        effort = rng.uniform(0.1, 2.0)
    elif u < 0.92:
        effort = rng.uniform(2.0, 3.0)
    else:
        effort = rng.uniform(3.0, 5.0)
    brief = 0.4 + 0.25 * math.log(skill) + rng.gauss(0, 0.1)
    return skill, effort, min(0.95, max(0.05, brief))


def _phone_for(c: Counters, rng: random.Random, country: str, areas: dict) -> Phone:
    return names.allocate_phone(country, rng.choice(areas[country]), c.next_phone_serial())


def build_team(
    rng: random.Random, c: Counters, index: int, layout: tuple[str, str, str, int], months: int
) -> Team:
    """Create one team: its manager, reps (ids continue from previous teams) and territories."""
    team_name, tz_name, country, size = layout
    tz = ZoneInfo(tz_name)
    first, last = names.person_name(rng)
    manager = Rep(
        rep_id=c.manager_id(index),
        name=f"{first} {last}",
        first=first,
        emails=_seller_emails(rng, first, last, c),
        phone=_phone_for(c, rng, country, names.REP_AREAS),
        tz=tz,
        team=team_name,
        manager_id="",
        quota=None,
        skill=1.0,
        effort=0.0,
        brief_share=0.5,
        is_manager=True,
    )
    reps = []
    for _ in range(size):
        first, last = names.person_name(rng)
        skill, effort, brief = _traits(rng)
        reps.append(
            Rep(
                rep_id=c.next_rep(),
                name=f"{first} {last}",
                first=first,
                emails=_seller_emails(rng, first, last, c),
                phone=_phone_for(c, rng, country, names.REP_AREAS),
                tz=tz,
                team=team_name,
                manager_id=manager.rep_id,
                quota=ANNUAL_QUOTA,
                skill=skill,
                effort=effort,
                brief_share=brief,
                is_manager=False,
            )
        )
    accounts: list[Account] = []
    for rep in reps:
        accounts.extend(_territory(rng, c, rep, country, months))
    return Team(team_name, manager, reps, accounts)


def _territory(rng: random.Random, c: Counters, rep: Rep, home: str, months: int) -> list[Account]:
    out: list[Account] = []
    # Skilled reps hold somewhat larger accounts (they earned the bigger territories).
    ent = min(0.4, 0.12 + 0.08 * math.log(rep.skill + 0.01) + 0.05)
    for _ in range(accounts_per_rep(months)):
        u = rng.random()
        segment = "Enterprise" if u < ent else ("Mid-Market" if u < ent + 0.35 else "SMB")
        country = home if rng.random() < 0.8 else rng.choice(["US", "UK", "DE"])
        acc = _account(rng, c, rep, segment, country)
        if out and rng.random() < 0.05:
            parent = rng.choice(out)
            if not parent.parent_id:
                acc.parent_id = parent.account_id
        out.append(acc)
        if rng.random() < 0.02:  # a look-alike domain that contains this one as a substring
            twin = _account(rng, c, rep, segment, country)
            twin.name = f"{rng.choice(['Not', 'My'])}{acc.name.replace(' ', '')}"
            twin.domains = [f"{twin.name.lower()}.com"]
            for ct in twin.contacts:
                ct.emails = [e.split("@")[0] + "@" + twin.domains[0] for e in ct.emails]
                ct.addr = formataddr((ct.name, ct.emails[0]), charset="utf-8")
            out.append(twin)
    return out


def _account(rng: random.Random, c: Counters, rep: Rep, segment: str, country: str) -> Account:
    account_id = c.next_account()
    name = names.company_name(c.accounts)
    domain = names.company_domain(name, "de" if country == "DE" and rng.random() < 0.5 else "com")
    domains = [domain]
    if rng.random() < 0.08:  # a second domain: the UK/DE arm or an acquired brand
        tld = {"US": "co.uk", "UK": "co.uk", "DE": "de"}[country]
        second = domain.rsplit(".", 1)[0] + "." + tld if domain.endswith(".com") else None
        domains.append(second or names.company_domain(name, "com"))
    acc = Account(
        account_id=account_id,
        name=name,
        domains=domains,
        industry=rng.choice(names.INDUSTRIES),
        segment=segment,
        parent_id="",
        country=country,
        switchboard=_phone_for(c, rng, country, names.CONTACT_AREAS),
        owner=rep.rep_id,
    )
    low, high = {"SMB": (2, 4), "Mid-Market": (3, 6), "Enterprise": (5, 9)}[segment]
    pattern = rng.randrange(3)
    used: set[str] = set()
    for _ in range(rng.randint(low, high)):
        acc.contacts.append(_contact(rng, c, acc, pattern, used))
    return acc


def _contact(
    rng: random.Random, c: Counters, acc: Account, pattern: int, used: set[str]
) -> Contact:
    first, last = names.person_name(rng)
    f, la = names.ascii_slug(first), names.ascii_slug(last)
    local = (f"{f}.{la}", f"{f[0]}{la}", f"{f}")[pattern]
    while local in used:
        local += str(rng.randrange(10))
    used.add(local)
    domain = acc.domains[-1] if len(acc.domains) > 1 and rng.random() < 0.3 else acc.domains[0]
    if rng.random() < 0.03:  # mail from a subdomain still belongs to the account
        domain = f"{rng.choice(['mail', 'eu', 'corp'])}.{domain}"
    if rng.random() < 0.03:  # reachable only through the switchboard
        phones = [acc.switchboard]
    else:
        phones = [_phone_for(c, rng, acc.country, names.CONTACT_AREAS)]
    tz = "Europe/London" if acc.country == "UK" else "Europe/Berlin"
    if acc.country == "US":
        tz = _AREA_TZ.get(phones[0].area, "America/New_York")
    return Contact(
        contact_id=c.next_contact(),
        account=acc,
        name=f"{first} {last}",
        first=first,
        emails=[f"{local}@{domain}"],
        phones=phones,
        title=rng.choice(names.BUYER_TITLES),
        tz=ZoneInfo(tz),  # ZoneInfo caches instances by key
    )
