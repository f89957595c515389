"""Every outbound touch with its practice and what the buyer did next: the rows Return-on-Effort
counts.

A **touch** is an outbound email or call from a rep to a buyer contact (meetings are outcomes,
not touches). Its **practice** is what the rep chose:

* ``channel`` (email, call); ``step``: its place in the prospecting sequence (``1``..``7``, then
  ``8+``; :func:`~rightturn.process.sequences.prospect_sequences`), ``deal`` while the rep has an
  open deal with the buyer, ``after reply`` for the rep's later mail in a sequence that ended;
* ``template``: the near-duplicate cluster of its text (:mod:`rightturn.effort.templates`);
* for email, ``words`` (the body without quotes and signature) and its ``length`` band,
  ``questions`` asked, ``focus`` (issue or product: :mod:`rightturn.effort.focus`) and
  ``personal`` (it names the buyer's company, or the buyer beyond the greeting);
* ``hour`` and ``weekday`` in the org's time zone, and ``gap_days`` since the rep's previous touch
  to that buyer.

Its **outcome** (:data:`WINDOW_DAYS`): the buyer's first response to it within the window —
a **reply** (an inbound email from the buyer in the same thread: its reply headers name the
touch, or it shares the touch's thread or subject; a buyer's mail on another subject is their own
initiative, not a response), a **call back** (an inbound call from the buyer returning the rep's
latest call), or, for prospecting, a **meeting** (held, or accepted, with the buyer: it credits
the latest prospecting touch before it; on a live deal meetings are the deal's course, not an
answer to one email) — whether a reply was a **negative** one (an
opt-out or "not interested": :data:`NEGATIVE`), whether a meeting followed, and whether the
buyer's deal advanced a stage within the window. Evidence any org's mail and calendar
holds; nothing from the simulator's truth.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.crm.model import (
    Account,
    Activity,
    ActivityParticipant,
    BuyerAction,
    Contact,
    Opportunity,
    StageChange,
)
from rightturn.crm.scope import Scope
from rightturn.crm.zones import org_time_zone
from rightturn.effort.focus import classify_many, questions
from rightturn.effort.templates import cluster_templates
from rightturn.process.sequences import prospect_sequences

__all__ = [
    "LENGTHS",
    "NEGATIVE",
    "WEEKDAYS",
    "WINDOW_DAYS",
    "Touch",
    "length_band",
    "read_touches",
]

WINDOW_DAYS = 14
_WINDOW = timedelta(days=WINDOW_DAYS)
# Length bands of an email body, in words: (upper bound, label).
LENGTHS = ((75, "under 75 words"), (150, "75-150 words"), (250, "150-250 words"))
LONGEST = "over 250 words"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# A response that says no: an opt-out or a refusal, in the buyer's own words.
NEGATIVE = re.compile(
    r"unsubscribe|remove me|take me off|opt[ -]?out|stop (?:emailing|contacting|sending)|"
    r"do not (?:email|contact)|don't (?:email|contact)|not interested|no thanks|no thank you|"
    r"not a (?:fit|priority)|not looking",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w[\w'’-]*")


def length_band(words: int) -> str:
    """The length band of an email of ``words`` words."""
    return next((label for top, label in LENGTHS if words < top), LONGEST)


@dataclass
class Touch:
    """One outbound touch, its practice and its outcome (see the module docstring)."""

    activity_id: int
    rep_id: str
    contact_id: str
    account_id: str | None
    opportunity_id: str | None
    at: datetime
    channel: str
    step: str = "other"
    template: str | None = None
    words: int | None = None
    questions: int | None = None
    focus: str | None = None
    personal: bool | None = None
    hour: int = 0
    weekday: str = "Mon"
    gap_days: float | None = None
    responded: bool = False
    response: str | None = None  # reply, call back, meeting
    negative: bool = False
    meeting: bool = False
    advanced: bool = False
    thread: str | None = None  # the thread id, else the subject's key

    @property
    def length(self) -> str | None:
        return None if self.words is None else length_band(self.words)


def _email_practice(touch: Touch, subject: str | None, body: str | None, names: set[str]) -> None:
    text = body or ""
    touch.words = len(_WORD.findall(text))
    touch.questions = len(questions(text))
    lines = text.lower().split("\n")
    after_greeting = "\n".join(lines[1:]) if len(lines) > 1 else text.lower()
    touch.personal = any(n and n in after_greeting for n in names)


def _names(first: str | None, account: str | None) -> set[str]:
    """Lower-case names that personalise a message to a buyer: their first name (four letters
    or more, so "Al" is not found in "also") and their company's name."""
    out = set()
    if first and len(first) >= 4:
        out.add(first.lower())
    if account and len(account) >= 3:
        out.add(account.lower())
    return out


def read_touches(
    session: Session,
    scope: Scope,
    *,
    since: datetime | None,
    until: datetime,
    rep_id: str | None = None,
) -> list[Touch]:
    """Every touch of the reps in ``scope`` (of ``rep_id``) from ``since`` to ``until``, with its
    practice and its outcome (responses are read up to ``until`` too, so a touch near the end
    has had less time to earn one: callers compare touches whose window is over)."""
    zone = ZoneInfo(org_time_zone(session))
    q = (
        select(
            Activity.activity_id,
            Activity.rep_id,
            Activity.contact_id,
            Activity.account_id,
            Activity.opportunity_id,
            Activity.occurred_at,
            Activity.kind,
            Activity.subject,
            Activity.body_excerpt,
            Contact.name,
            Account.name,
            Activity.thread_id,
            Activity.subject_key,
        )
        .join(Contact, Contact.contact_id == Activity.contact_id)
        .outerjoin(Account, Account.account_id == Contact.account_id)
        .where(
            Activity.direction == "outbound",
            Activity.kind.in_(("email", "call")),
            Activity.rep_id.is_not(None),
            Activity.occurred_at <= until,
            scope.reps(Activity.rep_id),
        )
        .order_by(Activity.occurred_at, Activity.activity_id)
    )
    if rep_id is not None:
        q = q.where(Activity.rep_id == rep_id)
    touches: list[Touch] = []
    texts: dict[int, tuple[str, set[str]]] = {}
    last: dict[tuple[str, str], datetime] = {}
    for (
        aid,
        rep,
        contact,
        account,
        opp,
        at,
        kind,
        subject,
        body,
        person,
        company,
        thread,
        subject_key,
    ) in session.execute(q):
        local = at.astimezone(zone)
        t = Touch(aid, rep, contact, account, opp, at, kind, hour=local.hour,
                  weekday=WEEKDAYS[local.weekday()], thread=thread or subject_key)  # fmt: skip
        previous = last.get((rep, contact))
        t.gap_days = (at - previous).total_seconds() / 86400 if previous else None
        last[(rep, contact)] = at
        if kind == "email":
            names = _names((person or "").split(" ")[0], company)
            _email_practice(t, subject, body, names)
            texts[aid] = (f"{subject or ''}\n{body or ''}", names)
        if since is None or at >= since:
            touches.append(t)
    emails = [t for t in touches if t.activity_id in texts]
    for t, label in zip(
        emails, classify_many([texts[t.activity_id][0] for t in emails]), strict=True
    ):
        t.focus = label
    _steps(session, scope, touches, until, rep_id)
    templates = cluster_templates(
        {a: texts[a] for a in (t.activity_id for t in touches) if a in texts}
    )
    for t in touches:
        t.template = templates.get(t.activity_id)
    _outcomes(session, scope, touches, until, rep_id)
    return touches


def _steps(
    session: Session, scope: Scope, touches: list[Touch], until: datetime, rep_id: str | None
) -> None:
    """Each touch's step: its place in its prospecting sequence, else deal or after reply."""
    place: dict[tuple[str, str, datetime], str] = {}
    after: set[tuple[str, str, datetime]] = set()
    for seq in prospect_sequences(session, scope, as_of=until, rep_id=rep_id):
        for i, (at, _) in enumerate(seq.touches, start=1):
            place[(seq.rep_id, seq.contact_id, at)] = str(i) if i < 8 else "8+"
        after |= {(seq.rep_id, seq.contact_id, at) for at, _ in seq.after_exit}
    for t in touches:
        key = (t.rep_id, t.contact_id, t.at)
        t.step = place.get(key) or ("after reply" if key in after else "deal")


@dataclass
class _Index:
    """The touches by what an answer can name: the rep and buyer (meetings, prospecting only),
    the thread (replies), the rep's calls (call backs), and the touch itself (reply headers)."""

    by_pair: dict[tuple[str, str], list[Touch]]
    by_thread: dict[tuple[str, str, str], list[Touch]]
    calls: dict[tuple[str, str], list[Touch]]
    own: dict[int, Touch]

    @classmethod
    def of(cls, touches: list[Touch]) -> _Index:
        index = cls(defaultdict(list), defaultdict(list), defaultdict(list), {})
        for t in touches:
            index.own[t.activity_id] = t
            if t.step != "deal":  # a meeting answers prospecting, not deal work
                index.by_pair[(t.rep_id, t.contact_id)].append(t)
            if t.channel == "call":
                index.calls[(t.rep_id, t.contact_id)].append(t)
            if t.channel == "email" and t.thread:
                index.by_thread[(t.rep_id, t.contact_id, t.thread)].append(t)
        return index

    def answered(self, row: Any, named: dict[int | None, int | None]) -> Touch | None:
        """The touch an inbound email or call answers, if any."""
        aid, rep, contact, at, kind, _, _, thread, key = row
        if kind != "email":
            return _latest_before(self.calls.get((rep, contact), []), at)
        touch = self.own.get(named.get(aid) or -1)
        for thread_key in (thread, key):
            if touch is None and thread_key:
                touch = _latest_before(self.by_thread.get((rep, contact, thread_key), []), at)
        return touch


def _outcomes(
    session: Session, scope: Scope, touches: list[Touch], until: datetime, rep_id: str | None
) -> None:
    """Each touch's outcome (see the module docstring): replies by thread, call-backs and
    meetings by time; a stage advance of its deal."""
    if not touches:
        return
    start = min(t.at for t in touches)
    index = _Index.of(touches)
    inbound = select(
        Activity.activity_id, Activity.rep_id, Activity.contact_id, Activity.occurred_at,
        Activity.kind, Activity.body_excerpt, Activity.subject, Activity.thread_id,
        Activity.subject_key,
    ).where(
        Activity.direction == "inbound",
        Activity.kind.in_(("email", "call")),
        Activity.contact_id.is_not(None),
        Activity.occurred_at.between(start, until),
        scope.reps(Activity.rep_id) if rep_id is None else Activity.rep_id == rep_id,
    ).order_by(Activity.occurred_at)  # fmt: skip
    named: dict[int | None, int | None] = dict(
        session.execute(
            select(BuyerAction.activity_id, BuyerAction.responds_to_activity_id).where(
                BuyerAction.kind == "reply",
                BuyerAction.occurred_at.between(start, until),
                BuyerAction.responds_to_activity_id.is_not(None),
            )
        )
        .tuples()
        .all()
    )
    for row in session.execute(inbound):
        touch = index.answered(row, named)
        if touch is None or touch.responded:
            continue
        touch.responded = True
        touch.response = "reply" if row.kind == "email" else "call back"
        touch.negative = bool(NEGATIVE.search(f"{row.subject or ''}\n{row.body_excerpt or ''}"))
    _meetings(session, index.by_pair, start, until)
    _advances(session, touches, start, until)


def _latest_before(pair: list[Touch], at: datetime) -> Touch | None:
    """The rep's latest touch to the buyer before ``at``, if ``at`` falls in its window."""
    i = bisect_right(pair, at, key=lambda t: t.at) - 1
    if i < 0 or at - pair[i].at > _WINDOW:
        return None
    return pair[i]


def _meetings(
    session: Session,
    by_pair: dict[tuple[str, str], list[Touch]],
    start: datetime,
    until: datetime,
) -> None:
    """A meeting with the buyer (held, or accepted) within a touch's window credits it; the
    first such meeting also counts as the response when the buyer had not written or called."""
    rows = session.execute(
        select(Activity.rep_id, ActivityParticipant.contact_id, Activity.occurred_at)
        .join(ActivityParticipant, ActivityParticipant.activity_id == Activity.activity_id)
        .where(
            Activity.kind == "meeting",
            Activity.occurred_at.between(start, until + _WINDOW),
            ActivityParticipant.contact_id.is_not(None),
            ActivityParticipant.response.is_distinct_from("declined"),
        )
    )
    for rep, contact, at in rows:
        touch = _latest_before(by_pair.get((rep, contact), []), at)
        if touch is None:
            continue
        touch.meeting = True
        if not touch.responded:
            touch.responded, touch.response = True, "meeting"


def _advances(session: Session, touches: list[Touch], start: datetime, until: datetime) -> None:
    """A touch on a deal whose stage changed within its window (a loss is no advance)."""
    opps = {t.opportunity_id for t in touches if t.opportunity_id}
    if not opps:
        return
    moved: dict[str, list[datetime]] = defaultdict(list)
    rows = session.execute(
        select(StageChange.opportunity_id, StageChange.entered_at, StageChange.stage)
        .join(Opportunity, Opportunity.opportunity_id == StageChange.opportunity_id)
        .where(StageChange.entered_at.between(start, until))
    )
    for opp, at, stage in rows:
        if opp in opps and "lost" not in stage.lower():
            moved[opp].append(at)
    for t in touches:
        if t.opportunity_id in moved:
            t.advanced = any(t.at < at <= t.at + _WINDOW for at in moved[t.opportunity_id])
