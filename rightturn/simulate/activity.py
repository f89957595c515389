"""One team's year: prospecting sequences, opportunities and deal threads, as raw mail, calls
and meetings, with a truth row for every distinct activity.

The planted effects live here: reply odds depend on message style (brief ~20%, verbose ~8%)
and a little on timing; sequences stop at a reply; deals carry their lifecycle from deals.py.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from . import names, text
from .deals import FORECAST, Deal, plan_deal
from .ics import CalendarBuffer, Meeting
from .mail import MailBuffer, Sender, new_message_id, render
from .names import SELLER_DOMAIN, Phone
from .org import PRODUCTS, Account, Contact, Counters, Product, Rep, Team
from .styles import STYLES, Style
from .writer import Tables

REPLY_BASE = {"brief": 0.20, "verbose": 0.08}
# What reps call the product when they do not name it.
ALIASES = ("the platform", "our solution", "Brightwave", "the rollout", "the tool")
# Subjects of deal mail that names neither the product nor the deal.
GENERIC_SUBJECTS = (
    "Following up", "Next steps", "{company} / Brightwave", "Our conversation", "Checking in",
    "Quick question", "Proposal", "Timeline", "Notes from today", "{company} next steps",
)  # fmt: skip
# Weekday mornings (local) answer a little better; 40% of sends fall there, so the
# multipliers average to 1 and keep the style averages where they are.
MORNING, AFTERNOON = 1.12, 0.92
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso(dt: datetime) -> str:
    """UTC timestamp as the CSV contract writes it: YYYY-MM-DDTHH:MM:SS+00:00."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass(slots=True)
class Thread:
    """The state a mail client keeps for a conversation."""

    subject: str
    refs: list[str] = field(default_factory=list)
    prev_text: str = ""
    prev_when: str = ""
    prev_name: str = ""
    colleague: Rep | None = None


@dataclass(slots=True)
class Sequence:
    """A prospecting sequence whose output is held until the rep's deals are known: a rep does
    not cold-prospect anyone at an account where they are working an open deal, and a sequence
    that goes on after the deal it led to was created is the deal's from then on."""

    contact: Contact
    thread: Thread
    held: list[tuple[object, tuple]] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    deal: Deal | None = None


class TeamRun:
    """Generates and writes everything for one team; holds only that team's buffers."""

    def __init__(
        self,
        rng: random.Random,
        team: Team,
        counters: Counters,
        tables: Tables,
        start_at: datetime,
        end_at: datetime,
        months: int,
        style: Style | None = None,
    ) -> None:
        self.style = style or STYLES["classic"]
        self.rng = rng
        self.team = team
        self.c = counters
        self.t = tables
        self.start_at = start_at
        self.end_at = end_at
        self.months = months
        self.mail = MailBuffer()
        self.cal = CalendarBuffer()
        self.calls: list[tuple[datetime, list[str]]] = []
        self.senders: dict[str, list[Sender]] = {}
        self._held: Sequence | None = None  # the sequence whose output is being held
        self.sequences: list[Sequence] = []  # the current rep's, until release()
        self.deals: list[Deal] = []  # the current rep's
        self.deal_mails: dict[str, int] = {}  # rep emails per deal, for off-topic mail
        for rep in team.members:
            self.senders[rep.rep_id] = [Sender(rep.addr, rep.emails[0], rep.tz)]
            for alias in rep.emails[1:]:
                addr = rep.addr.replace(f"<{rep.emails[0]}>", f"<{alias}>")
                self.senders[rep.rep_id].append(Sender(addr, alias, rep.tz))

    # --- time helpers ------------------------------------------------------------------------

    def business(self, day: date, tz: ZoneInfo) -> tuple[datetime, bool]:
        """A working-hours moment on `day` (moved to Monday if a weekend) in `tz`, as UTC,
        and whether it is a weekday morning there."""
        wd = day.weekday()
        if wd >= 5:
            day += timedelta(days=7 - wd)
        hour = self.rng.randrange(8, 18)
        local = datetime.combine(day, time(hour, self.rng.randrange(60), self.rng.randrange(60)))
        return local.replace(tzinfo=tz).astimezone(UTC), hour < 12

    def after(self, t: datetime, tz: ZoneInfo, lo: float, hi: float) -> tuple[datetime, bool]:
        """A business moment `lo`..`hi` days after `t`, and always later than `t`."""
        day = (t + timedelta(days=self.rng.uniform(lo, hi))).date()
        at, morning = self.business(day, tz)
        while at <= t:
            day += timedelta(days=1)
            at, morning = self.business(day, tz)
        return at, morning

    def random_day(self, lo: datetime, hi: datetime) -> date:
        span = max(0.0, (hi - lo).total_seconds())
        return (lo + timedelta(seconds=self.rng.uniform(0, span))).date()

    def sender(self, rep: Rep) -> Sender:
        s = self.senders[rep.rep_id]
        # Reps with an alias send from it now and then, as people do from phones or old setups.
        return s[1] if len(s) > 1 and self.rng.random() < 0.25 else s[0]

    @staticmethod
    def attribution(when: datetime, tz: ZoneInfo) -> str:
        d = when.astimezone(tz)
        return f"{_DAYS[d.weekday()]}, {d.day} {_MONTHS[d.month - 1]} {d.year} at {d:%H:%M}"

    # --- recording ---------------------------------------------------------------------------

    def truth(
        self,
        kind: str,
        source_id: str,
        rep: Rep,
        when: datetime,
        category: str,
        direction: str,
        contact: Contact | None = None,
        opp: Deal | None = None,
        style: str = "",
        template: str = "",
        responds_to: str = "",
        buyer_action: str = "",
    ) -> None:
        row = [
            kind, source_id, rep.rep_id, iso(when), category, direction,
            contact.contact_id if contact else "",
            contact.account.account_id if contact else "",
            opp.opportunity_id if opp else "none",
            style, template, responds_to, buyer_action,
        ]  # fmt: skip
        if self._held is not None:
            self._held.times.append(when)
            self._held.held.append(("truth", (when, row)))
        else:
            self.t.row("truth/activities.csv", row)

    def out(self, op, *args) -> None:
        """Write (mail, a call, a meeting, a row) now, or hold it with the open sequence."""
        if self._held is not None:
            self._held.held.append((op, args))
        else:
            op(*args)

    # --- prospecting sequences, held until the rep's deals are known -------------------------

    def begin_sequence(self, contact: Contact, thread: Thread) -> Sequence:
        self._held = Sequence(contact, thread)
        self.sequences.append(self._held)
        return self._held

    def end_sequence(self) -> None:
        self._held = None

    def release(self) -> None:
        """Write the rep's held sequences: drop those at an account where the rep was then working
        an open deal (unless the sequence led to a deal), and file what a sequence wrote after its
        deal was created under that deal."""
        for seq in self.sequences:
            if seq.deal is None and self._collides(seq):
                continue
            for op, args in seq.held:
                if op == "truth":
                    when, row = args
                    if seq.deal is not None and when >= seq.deal.created_at:
                        row[8] = seq.deal.opportunity_id
                    self.t.row("truth/activities.csv", row)
                else:
                    op(*args)  # type: ignore[operator]
        self.sequences.clear()

    def _collides(self, seq: Sequence) -> bool:
        if not seq.times:
            return False
        first, last = min(seq.times), max(seq.times)
        # Not at anyone at an account where the rep is working a deal: that is the deal's
        # buying group growing, which the deal's own activity already is.
        return any(
            d.account is seq.contact.account
            and d.created_at <= last
            and first <= (d.closed_at or self.end_at)
            for d in self.deals
        )

    def email(
        self,
        when: datetime,
        sender: Sender,
        to: list[str],
        subject: str,
        body: str,
        owners: list[str],
        *,
        cc: list[str] | None = None,
        thread: Thread | None = None,
        extra: list[tuple[str, str]] | None = None,
        alternative: float = 0.45,
    ) -> str:
        """Render one message into its owners' mailboxes; returns its Message-ID."""
        domain = sender.email.split("@", 1)[1]
        msg_id = new_message_id(self.rng, domain)
        in_reply_to, refs = "", None
        if thread is not None and thread.refs:
            in_reply_to, refs = thread.refs[-1], list(thread.refs)
        raw = render(
            msg_id=msg_id,
            when=when,
            sender=sender,
            to=to,
            cc=cc or [],
            subject=subject,
            body=body,
            in_reply_to=in_reply_to,
            references=refs,
            extra=extra,
            alternative=self.rng.random() < alternative,
            boundary=f"=_bw_{self.mail.seq:x}_{self.rng.getrandbits(32):08x}",
        )
        self.out(self.mail.add, owners, when, sender.email, raw)
        return msg_id

    def call(
        self,
        rep: Rep,
        when: datetime,
        direction: str,
        other: Phone,
        *,
        outcome: str | None = None,
    ) -> tuple[str, str]:
        """Log a call in calls.csv with numbers as the phone system wrote them."""
        rng = self.rng
        if outcome is None:
            outcome = rng.choices(("connected", "voicemail", "no_answer"), (35, 40, 25))[0]
        duration = {
            "connected": rng.randint(45, 1800),
            "voicemail": rng.randint(15, 70),
            "no_answer": 0,
        }[outcome]
        mine = names.fmt_phone(rep.phone, rng.randrange(6))
        theirs = names.fmt_phone(other, rng.randrange(6))
        call_id = self.c.next_call()
        a, b = (mine, theirs) if direction == "outbound" else (theirs, mine)
        row = [call_id, iso(when), a, b, direction, duration, outcome]
        self.out(self.calls.append, (when, row))
        return call_id, outcome

    def meeting(self, owners: list[str], m: Meeting) -> None:
        self.out(self.cal.add, owners, m)

    # --- buyer-facing mail -------------------------------------------------------------------

    def fields(self, rep: Rep, contact: Contact, product: str) -> dict[str, str]:
        acc = contact.account
        return {
            "first": contact.first,
            "company": acc.name,
            "industry": acc.industry.lower(),
            "rep_first": rep.first,
            # Product-centric prospecting mail pitches whichever product the rep favours today.
            "product": product or self.rng.choice(PRODUCTS).name,
            "seats": str(self.rng.choice((25, 40, 60, 120, 250))),
        }

    def rep_mail(
        self,
        rep: Rep,
        contact: Contact,
        kind: str,
        thread: Thread,
        when: datetime,
        morning: bool,
        category: str,
        opp: Deal | None,
        product: str,
        *,
        hide: bool = False,
    ) -> tuple[str, bool]:
        """A rep-written buyer email; returns (Message-ID, whether the buyer replies). With
        ``hide`` the rep calls the product something else ("the platform")."""
        rng = self.rng
        style = "brief" if rng.random() < rep.brief_share else "verbose"
        f = self.fields(rep, contact, product)
        subject = ""
        tid: str | None
        if style == "brief":
            if kind == "open":
                tid, subject, body = text.brief_opening(rng, f)
            elif kind == "followup":
                tid, body = text.brief_followup(rng, f)
            elif kind == "schedule":
                tid, body = text.brief_deal(rng, f, "brief-schedule")
            elif kind == "cross_sell":
                tid, body = text.cross_sell(rng, f)
            else:
                tid, body = text.brief_deal(rng, f)
        else:
            tid = "verbose-deal-recap" if kind == "deal" and rng.random() < 0.5 else None
            tid, subject, body = text.verbose(rng, f, tid)
        if hide and product:
            alias = rng.choice(ALIASES)
            subject, body = subject.replace(product, alias), body.replace(product, alias)
        if not thread.subject:
            thread.subject = subject or f"{product} for {contact.account.name}"
            subj = thread.subject
        else:
            subj = "Re: " + thread.subject if thread.refs else thread.subject
        own = f"{body}\n\n-- \n{rep.name}\nAccount Executive | Brightwave\n"
        own += f"{rep.phone.canonical()}\nhttps://{SELLER_DOMAIN}\n"
        full = own
        if thread.prev_text:
            full += "\n" + text.quote(thread.prev_text, thread.prev_when, thread.prev_name)
        cc = [thread.colleague.addr] if thread.colleague else []
        owners = [rep.rep_id] + ([thread.colleague.rep_id] if thread.colleague else [])
        msg_id = self.email(when, self.sender(rep), [contact.addr], subj, full, owners, cc=cc,
                            thread=thread)  # fmt: skip
        self.truth("email", msg_id, rep, when, category, "outbound", contact, opp, style, tid)
        thread.refs.append(msg_id)
        thread.prev_text, thread.prev_name = own, rep.name
        thread.prev_when = self.attribution(when, rep.tz)
        p = REPLY_BASE[style] * (MORNING if morning else AFTERNOON)
        return msg_id, rng.random() < p

    def buyer_mail(
        self,
        rep: Rep,
        contact: Contact,
        thread: Thread,
        when: datetime,
        body: str,
        category: str,
        opp: Deal | None,
        responds_to: str = "",
        subject: str = "",
    ) -> str:
        """A buyer's email to the rep (a reply when `responds_to` is set)."""
        rng = self.rng
        own = body
        if rng.random() < 0.5:
            own += f"\n\n-- \n{contact.name}\n{contact.title}, {contact.account.name}\n"
        full = own
        if thread.prev_text and responds_to:
            full += "\n\n" + text.quote(thread.prev_text, thread.prev_when, thread.prev_name)
        subj = subject or ("Re: " + thread.subject if thread.refs else thread.subject)
        cc = [thread.colleague.addr] if thread.colleague else []
        owners = [rep.rep_id] + ([thread.colleague.rep_id] if thread.colleague else [])
        sender = Sender(contact.addr, contact.emails[0], contact.tz)
        msg_id = self.email(when, sender, [rep.addr], subj, full, owners, cc=cc,
                            thread=thread if thread.refs else None, alternative=0.55)  # fmt: skip
        self.truth(
            "email", msg_id, rep, when, category, "inbound", contact, opp,
            responds_to=responds_to, buyer_action="reply" if responds_to else "",
        )  # fmt: skip
        thread.refs.append(msg_id)
        thread.prev_text, thread.prev_name = own, contact.name
        thread.prev_when = self.attribution(when, contact.tz)
        return msg_id

    def answer(
        self,
        rep: Rep,
        contact: Contact,
        thread: Thread,
        msg_id: str,
        when: datetime,
        replied: bool,
        category: str,
        opp: Deal | None,
        stop: datetime | None = None,
    ) -> datetime | None:
        """The buyer's reaction to a rep email: a reply, an auto-reply or silence.

        Returns the reply time when the buyer replied within the simulated period. On a deal
        that closes first (`stop`), the reply comes before the close rather than not at all.
        """
        rng = self.rng
        if replied:
            at = when + timedelta(hours=rng.uniform(0.5, 30))
            if stop is not None and at >= stop:
                at = when + (stop - when) * rng.uniform(0.2, 0.9)
            if at > self.end_at:
                return None
            f = self.fields(rep, contact, "")
            body = rng.choice(text.BUYER_REPLIES).format(**f)
            self.buyer_mail(rep, contact, thread, at, body, category, opp, responds_to=msg_id)
            return at
        at = when + timedelta(minutes=rng.uniform(0.2, 4))
        if rng.random() < 0.04 and at <= self.end_at:  # out of office
            back = (at + timedelta(days=rng.randint(3, 14))).date().isoformat()
            prefix = rng.choice(("Automatic reply: ", "Out of Office: ", "Out of Office Re: "))
            body = text.AUTO_REPLY.format(back=back, name=contact.name)
            sender = Sender(contact.addr, contact.emails[0], contact.tz)
            extra = [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")]
            auto = Thread(thread.subject, refs=[msg_id])
            owners = [rep.rep_id]
            aid = self.email(at, sender, [rep.addr], prefix + thread.subject, body, owners,
                             thread=auto, extra=extra, alternative=0.0)  # fmt: skip
            self.truth("email", aid, rep, at, "auto_reply", "inbound", contact, None)
        return None

    # --- opportunities -----------------------------------------------------------------------

    def opportunities(
        self, rep: Rep, territory: list[Account], seeds: list[tuple[datetime, Sequence]]
    ) -> None:
        """Create ~8 opportunities a month (prospecting replies first, then inbound and
        expansion), write their CRM rows and truth, and simulate each deal's activity; then
        the rep's off-topic mail and held prospecting sequences."""
        by_account: dict[str, list[Deal]] = {}
        won_accounts: list[Account] = []
        for created, source, seq in self._openings(rep, seeds):
            if created > self.end_at:
                continue
            contact = seq.contact if seq is not None else None
            if contact is None:
                contact, source = self._new_buyer(
                    territory, by_account, won_accounts, created, source
                )
            account, contact, product = self._place(territory, by_account, contact, created, seq)
            deal = plan_deal(
                self.rng, self.c.next_opportunity(), rep, account, contact, product, source,
                created, self.end_at,
            )  # fmt: skip
            by_account.setdefault(account.account_id, []).append(deal)
            self.deals.append(deal)
            if deal.status == "won":
                rep.won_revenue += deal.amount
                if account not in won_accounts:
                    won_accounts.append(account)
            self.write_deal(deal)
            self.deal_activity(deal, self._lead(seq, deal))
        self.off_topic(rep, by_account)
        self.release()
        self.deals.clear()
        self.deal_mails.clear()

    def _openings(
        self, rep: Rep, seeds: list[tuple[datetime, Sequence]]
    ) -> list[tuple[datetime, str, Sequence | None]]:
        """When the rep's deals are created and where they come from, in time order: the
        prospecting replies in the period, then inbound and expansion deals up to the target."""
        rng = self.rng
        target = round(8 * self.months * rng.uniform(0.85, 1.15))
        plan: list[tuple[datetime, str, Sequence | None]] = [
            (t, "prospecting", seq) for t, seq in seeds if t <= self.end_at
        ]
        for _ in range(max(0, target - len(plan))):
            day = self.random_day(self.start_at, self.end_at - timedelta(days=1))
            t, _ = self.business(day, rep.tz)
            plan.append((t, "expansion" if rng.random() < 0.3 else "inbound", None))
        plan.sort(key=lambda p: p[0])
        return plan

    def _new_buyer(
        self,
        territory: list[Account],
        by_account: dict[str, list[Deal]],
        won_accounts: list[Account],
        created: datetime,
        source: str,
    ) -> tuple[Contact, str]:
        """Who an inbound or expansion deal starts with, and its source: at an account with an
        open deal (by the style), an expansion at an account won before (inbound when there is
        none yet), else anyone in the territory."""
        rng, st = self.rng, self.style
        busy = [
            a for a in territory
            if any(self._open_at(d, created) for d in by_account.get(a.account_id, []))
        ]  # fmt: skip
        if st.concurrent and busy and rng.random() < st.concurrent:
            account = rng.choice(busy)  # another deal where one is already open
        elif source == "expansion":
            done = [a for a in won_accounts if self._won_before(by_account[a.account_id], created)]
            account = rng.choice(done) if done else rng.choice(territory)
            source = source if done else "inbound"
        else:
            account = rng.choice(territory)
        return rng.choice(account.contacts), source

    def _place(
        self,
        territory: list[Account],
        by_account: dict[str, list[Deal]],
        contact: Contact,
        created: datetime,
        seq: Sequence | None,
    ) -> tuple[Account, Contact, Product]:
        """The deal's account, primary contact and product: a product not already in play at
        the account (else the deal lands at another account), the one the prospecting mail
        pitched if it did, and (by the style) the champion of a deal already open there."""
        rng = self.rng
        account = contact.account
        free, live = self._free_products(by_account, account, created)
        while not free:  # every product already in play here: the deal lands elsewhere
            account = rng.choice(territory)
            contact = rng.choice(account.contacts)
            free, live = self._free_products(by_account, account, created)
        product = rng.choice(free)
        pitched = [p for p in free if seq is not None and p.name in seq.thread.subject]
        if pitched:  # the deal is for what the prospecting mail was about
            product = pitched[0]
        if live and rng.random() < self.style.same_champion:  # the same champion on a second deal
            contact = rng.choice(live).engaged[0]
        return account, contact, product

    def _lead(self, seq: Sequence | None, deal: Deal) -> Thread | None:
        """Mark the sequence that led to `deal` as its own; returns its thread when the deal's
        mail goes on in it (by the style)."""
        if seq is None or seq.contact not in deal.engaged:
            return None
        seq.deal = deal  # the sequence led to this deal
        st = self.style
        if st.continue_thread and self.rng.random() < st.continue_thread:
            return seq.thread
        return None

    def deal_subject(self, d: Deal) -> str:
        """The subject a rep gives a deal thread: naming the product, or (by the style) not."""
        st = self.style
        if st.name_product >= 1 or self.rng.random() < st.name_product:
            return f"{d.product.name} for {d.account.name}"
        return self.rng.choice(GENERIC_SUBJECTS).format(company=d.account.name)

    def off_topic(self, rep: Rep, by_account: dict[str, list[Deal]]) -> None:
        """Mail to deal contacts about something else: another product for their company,
        one the account has no open deal on. The truth files it under no opportunity."""
        rng, rate = self.rng, self.style.off_topic
        if rate <= 0:
            return
        for d in self.deals:
            for _ in range(self.deal_mails.get(d.opportunity_id, 0)):
                if rng.random() >= rate:
                    continue
                stop = min(d.closed_at or self.end_at, self.end_at)
                if stop <= d.created_at + timedelta(days=1):
                    continue
                when, morning = self.business(
                    self.random_day(d.created_at + timedelta(days=1), stop), rep.tz
                )
                if not d.created_at < when < stop:
                    continue
                contact = rng.choice(d.engaged)
                open_products = {
                    o.product.name
                    for o in by_account.get(d.account.account_id, [])
                    if self._open_at(o, when)
                }
                others = [p for p in PRODUCTS if p.name not in open_products]
                if not others:
                    continue
                other = rng.choice(others).name
                subject = rng.choice(text.CROSS_SELL_SUBJECTS).format(
                    product=other, company=d.account.name
                )
                thread = Thread(subject)
                msg_id, yes = self.rep_mail(
                    rep, contact, "cross_sell", thread, when, morning, "cross_sell", None, other
                )
                self.answer(rep, contact, thread, msg_id, when, yes, "cross_sell", None)

    def _free_products(
        self, by_account: dict[str, list[Deal]], account: Account, t: datetime
    ) -> tuple[list[Product], list[Deal]]:
        """Products with no deal open on `account` at `t` (concurrent deals differ in
        product), and the deals that are open."""
        live = [d for d in by_account.get(account.account_id, []) if self._open_at(d, t)]
        taken = [d.product.name for d in live]
        return [p for p in PRODUCTS if p.name not in taken], live

    @staticmethod
    def _open_at(d: Deal, t: datetime) -> bool:
        return d.created_at <= t and (d.closed_at is None or d.closed_at > t)

    @staticmethod
    def _won_before(deals: list[Deal], t: datetime) -> bool:
        return any(d.status == "won" and d.closed_at and d.closed_at < t for d in deals)

    def write_deal(self, d: Deal) -> None:
        t = self.t
        t.row("crm/opportunities.csv", [
            d.opportunity_id, d.account.account_id, d.owner.rep_id, d.name, d.product.name,
            d.amount, d.stage, d.status, iso(d.created_at), d.close_date.isoformat(),
            iso(d.closed_at) if d.closed_at else "", FORECAST[d.stage],
            ";".join(c.contact_id for c in d.engaged),
        ])  # fmt: skip
        t.rows(
            "crm/stage_history.csv",
            [[d.opportunity_id, s, iso(at)] for s, at in d.recorded_stages],
        )
        t.rows(
            "crm/opportunity_history.csv",
            [[d.opportunity_id, f, old, new, iso(at)] for f, old, new, at in d.history],
        )
        outcome = d.status
        t.row("truth/opportunities.csv", [
            d.opportunity_id, int(d.qualified), int(d.multithreaded), int(d.stalled), d.slips,
            d.win_probability, outcome, d.skipped_stage or "", int(d.moved_back),
        ])  # fmt: skip

    def colleague(self, rep: Rep) -> Rep:
        """Who a rep Cc's on buyer mail: their manager or a teammate acting as SE."""
        others = [r for r in self.team.reps if r is not rep]
        if not others or self.rng.random() < 0.4:
            return self.team.manager
        return self.rng.choice(others)

    def deal_activity(self, d: Deal, lead: Thread | None = None) -> None:
        """Mail, calls and meetings on a live deal, sparse while it is stalled. ``lead`` is the
        prospecting thread the deal's mail goes on in, when it does."""
        rng, rep = self.rng, d.owner
        stop = min(d.closed_at or self.end_at, self.end_at)
        thread = lead if lead is not None else Thread(self.deal_subject(d))
        when, morning = self.after(d.created_at, rep.tz, 0.05, 2)
        k = 0
        while when < stop:
            contact = d.engaged[k % len(d.engaged)]
            k += 1
            self._deal_email(d, thread, contact, k, when, morning, stop)
            if rng.random() < 0.3 or (len(d.engaged) > 1 and k <= len(d.engaged)):
                # Buyers write first too; on multi-threaded deals each contact speaks up.
                self._buyer_deal_mail(d, contact, when, stop)
            if rng.random() < 0.4:
                self._deal_call(d, contact, when, stop)
            stalled = d.stall_window and d.stall_window[0] <= when <= d.stall_window[1]
            gap = rng.uniform(30, 60) if stalled else rng.uniform(9, 30)
            when, morning = self.after(when, rep.tz, gap, gap + 1)
        for stage, entered in d.stages[2:4]:  # Discovery and Proposal meetings
            if rng.random() < 0.35:
                self.deal_meeting(d, stage, entered, stop)

    def _deal_email(
        self,
        d: Deal,
        thread: Thread,
        contact: Contact,
        k: int,
        when: datetime,
        morning: bool,
        stop: datetime,
    ) -> None:
        """The rep's `k`-th email on the deal, to `contact`, and the buyer's reaction: in the
        deal's thread or (by the style) a new one, naming the product or not, now and then
        with a colleague on Cc."""
        rng, rep, st = self.rng, d.owner, self.style
        mail_thread = thread
        if st.fresh_thread and k > 1 and rng.random() < st.fresh_thread:
            mail_thread = Thread(self.deal_subject(d))  # a new thread for this email
        hide = st.name_product < 1 and rng.random() >= st.name_product
        mail_thread.colleague = self.colleague(rep) if rng.random() < 0.1 else None
        msg_id, yes = self.rep_mail(rep, contact, "deal", mail_thread, when, morning, "deal",
                                    d, d.product.name, hide=hide)  # fmt: skip
        self.deal_mails[d.opportunity_id] = self.deal_mails.get(d.opportunity_id, 0) + 1
        self.answer(rep, contact, mail_thread, msg_id, when, yes, "deal", d, stop)
        mail_thread.colleague = None

    def _buyer_deal_mail(self, d: Deal, author: Contact, when: datetime, stop: datetime) -> None:
        """A buyer's own email on the deal, a new thread a day or more after the rep's `when`
        (none if that is past `stop`), calling the product (by the style) something else."""
        rng, rep, st = self.rng, d.owner, self.style
        at, _ = self.after(when, author.tz, 1, 6)
        if at >= stop:
            return
        subj, body = rng.choice(text.BUYER_DEAL_MAIL)
        f = self.fields(rep, author, d.product.name)
        if st.name_product < 1 and rng.random() >= st.name_product:
            f["product"] = rng.choice(ALIASES)
        fresh = Thread(f"{subj.format(**f)} - {d.account.name}")
        self.buyer_mail(rep, author, fresh, at, body.format(**f), "deal", d)

    def _deal_call(self, d: Deal, contact: Contact, when: datetime, stop: datetime) -> None:
        """A call on the deal with `contact` after the rep's `when` (none if that is past
        `stop`), a quarter of them inbound."""
        rng, rep = self.rng, d.owner
        at, _ = self.after(when, rep.tz, 0.5, 5)
        if at >= stop:
            return
        direction = "inbound" if rng.random() < 0.25 else "outbound"
        cid, _ = self.call(rep, at, direction, contact.phones[0])
        self.truth("call", cid, rep, at, "deal", direction, contact, d)

    def deal_meeting(self, d: Deal, stage: str, entered: datetime, stop: datetime) -> None:
        rng, rep = self.rng, d.owner
        start, _ = self.after(entered, rep.tz, 0.5, 6)
        if start >= stop:
            return
        attendees = [
            (c.name, c.emails[0], rng.choices(("ACCEPTED", "TENTATIVE", "DECLINED",
                                                "NEEDS-ACTION"), (75, 10, 5, 10))[0])
            for c in d.engaged
        ]  # fmt: skip
        owners = [rep.rep_id]
        if rng.random() < 0.3:
            mate = self.colleague(rep)
            attendees.append((mate.name, mate.emails[0], "ACCEPTED"))
            owners.append(mate.rep_id)
        uid = f"{rng.getrandbits(64):016x}@{SELLER_DOMAIN}"
        utc = rng.random() < 0.6
        m = Meeting(
            uid=uid,
            start=start if utc else start.astimezone(rep.tz),
            end=(start + timedelta(minutes=rng.choice((30, 45, 60)))),
            summary=f"{d.account.name} - {'Demo' if stage == 'Discovery' else 'Proposal review'}",
            organizer=(rep.name, rep.emails[0]),
            attendees=attendees,
            status="CANCELLED" if rng.random() < 0.08 else "CONFIRMED",
            utc=utc,
            location=rng.choice(("Zoom", "Google Meet", f"{d.account.name} office")),
        )
        if not utc:
            m.end = m.end.astimezone(rep.tz)
        self.meeting(owners, m)
        self.truth("meeting", uid, rep, start, "deal", "outbound", d.engaged[0], d)

    # --- flushing ----------------------------------------------------------------------------

    def flush(self, out_dir: Path) -> int:
        """Write the team's mailboxes, calendars and calls; returns mailbox bytes."""
        owners = [m.rep_id for m in self.team.members]
        written = self.mail.flush(out_dir / "mail", owners)
        self.cal.flush(out_dir / "calendar", owners, self.end_at)
        self.calls.sort(key=lambda c: (c[0], c[1][0]))
        self.t.rows("calls/calls.csv", [row for _, row in self.calls])
        self.calls.clear()
        return written
