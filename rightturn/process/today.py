"""The guided day ("all right turns"): what one rep should do today, in order, each with why.

:func:`guided_day` lists, for a rep and a day (a UTC day, as every ``--as-of`` is):

* ``reply_due`` — a buyer's inbound email or call to the rep (``Activity.direction`` inbound,
  from a contact, in the last :data:`REPLY_WINDOW_DAYS` days) with no outbound activity by the
  rep after it, up to the end of the day, to that contact (as its contact or a participant) or
  on that thread. One item per contact, due since their oldest unanswered message. Writing to a
  colleague of theirs on the same deal is not an answer: their question still waits.
  A reply unanswered is lost money: these are always listed, and always first.
* ``touch_due`` — the next touch of a running prospecting sequence
  (:func:`~rightturn.process.sequences.prospect_sequences`) by the cadence the process gives the
  account's segment: due = the last captured touch + the next touch's ``wait_days``, listed when
  due on or before the day. Touches are counted from captured activity, so a touch done is never
  due again (the next refresh moves on to the one after). A sequence whose plan is complete, or
  whose last touch is :data:`~rightturn.process.sequences.QUIET_DAYS` old (abandoned), has none.
  A contact the rep disqualified or archived, or postponed until after the day (their latest
  disposition, :func:`~rightturn.process.dispositions.latest_dispositions`), has none either.
  A deal's play too: the next touch of the cadence of an open deal's stage
  (:func:`~rightturn.process.deal_plays.deal_plays`: started when the deal entered the stage;
  the touches are the rep's outbound activities filed on the deal since, any channel; ended by
  the cadence's exit rules), due on the plan's day, or its wait after the last touch when that
  is later. Its reason names the deal, the touch, its channel and template, how late, and the
  channels used so far against the plan's. A deal with a touch due is listed once, as the
  touch, its reason saying it is dark or stalled too.
* ``deal_dark`` — the rep's open deals with no buyer response in the process's
  ``day.dark_after_days`` (:func:`~rightturn.analytics.pipeline.quiet_deals`, the Needs attention
  page's definition), due that many days after the last response (or the deal's opening); a
  deal opened more recently than that is not dark yet. A deal the rep disqualified or archived,
  or postponed until after the day, is not listed as dark, stalled or due a touch.
* ``stalled`` — open deals in their stage longer than the stage's ``usual_days`` in the process,
  else than the stage's P90 over the team's completed stays
  (:func:`~rightturn.analytics.health.in_stage`, the Velocity page's definition). A deal that is
  also dark is listed once, as dark, its reason saying it is stalled too.
* ``disposition_due`` — postponed and revisit dates reached: a contact or deal whose latest
  disposition by the rep, decided by the end of the day, is ``postpone`` (until a date) or
  ``revisit`` (on a date) with that date on or before the day; due on that date. A newer
  disposition (qualify, postpone again...) replaces it, so a decision made is never due again.
* ``new_prospect`` — contacts at the rep's accounts (where they own a deal or logged activity)
  with no activity in :data:`PROSPECT_REST_DAYS` days and no open deal of the rep at the account
  or naming them (a prospect, as the sequences define one), larger segments first, at most the
  process's ``day.new_prospects_per_day`` less the sequences the rep started that day; not one
  the rep disqualified, archived or postponed until after the day.

Ranking — ``score = URGENCY[kind] x (1 + min(days overdue, OVERDUE_CAP)) x value`` (the weights,
:func:`~rightturn.process.day_items.score` and :func:`~rightturn.process.day_items.rank` are in
:mod:`rightturn.process.day_items`; the deal kinds are built in :mod:`rightturn.process.day_deals`):

* :data:`URGENCY` weighs the kind (reply_due 10, touch_due 4, disposition_due 3.5, deal_dark 3,
  stalled 2, new_prospect 1): a decision the rep set a date for ranks below a cadence touch
  due (the running play comes first) and above a dark deal (the rep chose this date, and an
  undecided prospect or deal blocks the next step);
* days overdue counts whole days from ``due`` to the day (0 when due today), capped at
  :data:`OVERDUE_CAP`;
* ``value`` is in typical deals: for an item on a deal, amount x win probability / the median
  amount of the team's deals, where the win probability is the deal's stage's historical
  conversion to won over the team's deals (won / deals that reached the stage), or the team's
  win rate when fewer than :data:`MIN_HISTORY` deals reached it (:data:`DEFAULT_WIN` without
  closed deals); for anything else (a prospect, a reply with no deal, a deal with no amount) the
  account's segment weight (:data:`SEGMENT_VALUE`: Enterprise 0.3 > Mid-Market 0.2 > SMB 0.1,
  unknown 0.1). Never below :data:`MIN_VALUE`, so a $0 deal still ranks.

Order: every ``reply_due`` first, then by score, highest first; ties by the kind's order in
:data:`KINDS`, then the earlier due date, then the ids (deal, contact, account), so the same data
gives the same list.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from rightturn.analytics.snapshot import as_of_datetime
from rightturn.crm import queries
from rightturn.crm.model import (
    Account,
    Activity,
    ActivityParticipant,
    Contact,
    Opportunity,
    OpportunityContact,
    Rep,
)
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store, chunks
from rightturn.errors import NotFound, ParseError
from rightturn.process.day_deals import dark_deals, deal_touches, stalled_deals
from rightturn.process.day_items import (
    DayContext,
    DayItem,
    day_context,
    days_words,
    rank,
    score,
    segment_value,
    when_words,
)
from rightturn.process.definition import Process
from rightturn.process.dispositions import DATED, RecordedDisposition, latest_dispositions
from rightturn.process.sequences import QUIET_DAYS, Sequence, prospect_sequences
from rightturn.process.versions import in_force

__all__ = ["PROSPECT_REST_DAYS", "REPLY_WINDOW_DAYS", "guided_day", "resolve_rep"]

# A buyer message older than this is no longer today's answer: its deal shows as dark instead.
REPLY_WINDOW_DAYS = 30
# A contact touched (or heard from) more recently than this is not a new prospect.
PROSPECT_REST_DAYS = 90


# --- reply_due ------------------------------------------------------------------------------


def _replies(ctx: DayContext) -> list[DayItem]:
    """Buyer messages to the rep still waiting for an answer, one item per contact."""
    since = ctx.end - timedelta(days=REPLY_WINDOW_DAYS)
    inbound = ctx.s.execute(
        select(
            Activity.activity_id,
            Activity.kind,
            Activity.occurred_at,
            Activity.contact_id,
            Activity.account_id,
            Activity.opportunity_id,
            Activity.thread_id,
            Activity.subject,
        )
        .where(
            Activity.rep_id == ctx.rep_id,
            Activity.direction == "inbound",
            Activity.kind.in_(("email", "call")),
            Activity.contact_id.is_not(None),
            Activity.occurred_at > since,
            Activity.occurred_at <= ctx.end,
        )
        .order_by(Activity.occurred_at, Activity.activity_id)
    ).all()
    if not inbound:
        return []
    answers = _answers(ctx, min(row.occurred_at for row in inbound))
    waiting: dict[str, Any] = {}
    for row in inbound:
        if row.contact_id in waiting or _answered(row, answers):
            continue
        waiting[row.contact_id] = row
    return [_reply_item(ctx, row) for row in waiting.values()]


def _answers(ctx: DayContext, since: datetime) -> list[tuple[datetime, set[str], Any]]:
    """The rep's outbound activity since ``since``: when, the contacts it reached, its
    thread."""
    rows = ctx.s.execute(
        select(
            Activity.activity_id,
            Activity.occurred_at,
            Activity.contact_id,
            Activity.thread_id,
        ).where(
            Activity.rep_id == ctx.rep_id,
            Activity.direction == "outbound",
            Activity.occurred_at >= since,
            Activity.occurred_at <= ctx.end,
        )
    ).all()
    reached: dict[int, set[str]] = {r.activity_id: {r.contact_id} - {None} for r in rows}
    for chunk in chunks(list(reached)):
        for activity_id, contact_id in ctx.s.execute(
            select(ActivityParticipant.activity_id, ActivityParticipant.contact_id).where(
                ActivityParticipant.activity_id.in_(chunk),
                ActivityParticipant.contact_id.is_not(None),
            )
        ):
            reached[activity_id].add(contact_id)
    return [(r.occurred_at, reached[r.activity_id], r.thread_id) for r in rows]


def _answered(row: Any, answers: list[tuple[datetime, set[str], Any]]) -> bool:
    """Whether an outbound activity after the buyer's message reached them or their thread."""
    for at, contacts, thread in answers:
        if at <= row.occurred_at:
            continue
        if row.contact_id in contacts:
            return True
        if row.thread_id and thread == row.thread_id:
            return True
    return False


def _reply_item(ctx: DayContext, row: Any) -> DayItem:
    due = row.occurred_at.date()
    waited = (ctx.day - due).days
    said = "called" if row.kind == "call" else "wrote"
    about = f' ("{row.subject}")' if row.subject and row.kind == "email" else ""
    when = "today" if waited <= 0 else f"{days_words(waited)} ago"
    value = ctx.item_value(row.opportunity_id, row.account_id)
    return DayItem(
        "reply_due",
        row.account_id,
        row.contact_id,
        row.opportunity_id,
        due,
        f"The buyer {said} {when}{about} and has had no answer: a reply unanswered is lost money",
        score("reply_due", waited, value),
    )


# --- touch_due and new_prospect -------------------------------------------------------------


def _touches(ctx: DayContext, sequences: list[Sequence], held: set[str]) -> list[DayItem]:
    """The next touch of each running sequence, when due by the day, but for ``held``
    contacts (disqualified, archived, postponed)."""
    items = []
    for seq in sequences:
        if seq.contact_id in held:
            continue
        item = _next_touch(ctx, seq)
        if item is not None:
            items.append(item)
    return items


def _next_touch(ctx: DayContext, seq: Sequence) -> DayItem | None:
    if seq.ended_by is not None or not seq.touches:
        return None
    last = seq.touches[-1][0]
    if ctx.end - last >= timedelta(days=QUIET_DAYS):  # abandoned: not today's work
        return None
    cadence = ctx.process.cadence_for("prospect", ctx.segments.get(seq.account_id or ""))
    done = len(seq.touches)
    if cadence is None or done >= len(cadence.touches):
        return None
    touch = cadence.touches[done]
    due = (last + timedelta(days=touch.wait_days)).date()
    if due > ctx.day:
        return None
    template = f", template {touch.template}" if touch.template else ""
    reason = (
        f"Touch {done + 1} of {len(cadence.touches)} of {cadence.name!r}: {touch.channel}"
        f"{template}; {when_words(due, ctx.day)} (last touch {last.date().isoformat()})"
    )
    overdue = (ctx.day - due).days
    value = ctx.account_value(seq.account_id)
    return DayItem(
        "touch_due",
        seq.account_id,
        seq.contact_id,
        None,
        due,
        reason,
        score("touch_due", overdue, value),
    )


def _prospects(ctx: DayContext, sequences: list[Sequence], held: set[str]) -> list[DayItem]:
    """Contacts to start a sequence with today, within the day's capacity, but for ``held``
    contacts (disqualified, archived, postponed)."""
    started = sum(1 for seq in sequences if seq.started_at.date() == ctx.day)
    room = ctx.process.day.new_prospects_per_day - started
    if room <= 0:
        return []
    rested = ctx.end - timedelta(days=PROSPECT_REST_DAYS)
    recent = exists().where(
        Activity.contact_id == Contact.contact_id,
        Activity.occurred_at > rested,
        Activity.occurred_at <= ctx.end,
    )
    live = and_(
        Opportunity.owner_rep_id == ctx.rep_id,
        Opportunity.status == "open",
        or_(Opportunity.created_at.is_(None), Opportunity.created_at <= ctx.end),
    )
    at_account = exists().where(live, Opportunity.account_id == Contact.account_id)
    naming = exists().where(
        live,
        OpportunityContact.opportunity_id == Opportunity.opportunity_id,
        OpportunityContact.contact_id == Contact.contact_id,
    )
    rows = list(
        ctx.s.execute(
            select(Contact.contact_id, Contact.account_id, Account.segment, Account.employees)
            .join(Account, Account.account_id == Contact.account_id)
            .where(
                ctx.own.accounts(Contact.account_id),
                ~recent,
                ~at_account,
                ~naming,
            )
        ).all()
    )
    rows = [r for r in rows if r.contact_id not in held]
    rows.sort(key=lambda r: (-segment_value(r.segment), -(r.employees or 0), r.contact_id))
    return [
        DayItem(
            "new_prospect",
            r.account_id,
            r.contact_id,
            None,
            ctx.day,
            f"Not contacted in {PROSPECT_REST_DAYS} days, no open deal; "
            f"{r.segment or 'unknown'} segment: start the prospecting play",
            score("new_prospect", 0, segment_value(r.segment)),
        )
        for r in rows[:room]
    ]


# --- disposition_due ---------------------------------------------------------------------------


def _held(decided: list[RecordedDisposition], day: date, subject: str = "contact_id") -> set[str]:
    """Contacts (or, ``subject="opportunity_id"``, deals) not to work on ``day``: disqualified,
    archived, or postponed until later."""
    return {
        getattr(d, subject)
        for d in decided
        if getattr(d, subject)
        and (
            d.kind in ("disqualify", "archive")
            or (d.kind == "postpone" and d.on_date is not None and d.on_date > day)
        )
    }


def _decided_on(decided: list[RecordedDisposition], day: date) -> set[str]:
    """Contacts qualified, or whose postpone or revisit date has come by ``day``."""
    return {
        d.contact_id
        for d in decided
        if d.contact_id and (d.kind == "qualify" or (d.on_date is not None and d.on_date <= day))
    }


def _dispositions_due(ctx: DayContext, decided: list[RecordedDisposition]) -> list[DayItem]:
    """Postponed and revisit dates reached (the latest disposition only)."""
    items = []
    for d in decided:
        if d.kind not in DATED or d.on_date is None or d.on_date > ctx.day:
            continue
        when = d.on_date.isoformat()
        head = f"Postponed until {when}" if d.kind == "postpone" else f"Revisit due {when}"
        note = f' (noted: "{d.reason}")' if d.reason else ""
        what = "the deal" if d.opportunity_id else "the prospect"
        value = ctx.item_value(d.opportunity_id, d.account_id)
        items.append(
            DayItem(
                "disposition_due",
                d.account_id,
                d.contact_id,
                d.opportunity_id,
                d.on_date,
                f"{head}: decide on {what} (qualify, disqualify, archive or postpone again)"
                f"{note}; {when_words(d.on_date, ctx.day)}",
                score("disposition_due", (ctx.day - d.on_date).days, value),
            )
        )
    return items


# --- names and the whole day ------------------------------------------------------------------


def _named(s: Session, items: list[DayItem]) -> list[DayItem]:
    """The items with their account, contact and deal names."""
    accounts = {i.account_id for i in items if i.account_id}
    contacts = {i.contact_id for i in items if i.contact_id}
    deals = {i.opportunity_id for i in items if i.opportunity_id}
    names: dict[str, dict[str, Any]] = {"a": {}, "c": {}, "o": {}}
    for chunk in chunks(sorted(accounts)):
        names["a"].update(
            s.execute(select(Account.account_id, Account.name).where(Account.account_id.in_(chunk)))
            .tuples()
            .all()
        )
    for chunk in chunks(sorted(contacts)):
        for cid, name, title in s.execute(
            select(Contact.contact_id, Contact.name, Contact.title).where(
                Contact.contact_id.in_(chunk)
            )
        ):
            names["c"][cid] = (name, title)
    for chunk in chunks(sorted(deals)):
        names["o"].update(
            s.execute(
                select(Opportunity.opportunity_id, Opportunity.name).where(
                    Opportunity.opportunity_id.in_(chunk)
                )
            )
            .tuples()
            .all()
        )
    return [
        replace(
            i,
            account=names["a"].get(i.account_id or ""),
            contact=names["c"].get(i.contact_id or "", (None, None))[0],
            contact_title=names["c"].get(i.contact_id or "", (None, None))[1],
            opportunity=names["o"].get(i.opportunity_id or ""),
        )
        for i in items
    ]


def resolve_rep(store: Store, text: str, scope: Scope | None = None) -> str:
    """The id of the rep ``text`` names: a rep id, else a visible rep's name (any case) when
    only one rep has it. :class:`~rightturn.errors.NotFound` when none does, a
    :class:`~rightturn.errors.ParseError` listing the ids when several do."""
    visible = (scope or Scope.everything()).reps(Rep.rep_id)
    with store.session() as s:
        if s.scalar(select(Rep.rep_id).where(Rep.rep_id == text, visible)):
            return text
        ids = list(
            s.scalars(
                select(Rep.rep_id)
                .where(func.lower(Rep.name) == text.strip().lower(), visible)
                .order_by(Rep.rep_id)
            )
        )
    if not ids:
        raise NotFound(f"no rep {text!r} (give a rep id, or a rep's full name)")
    if len(ids) > 1:
        raise ParseError(f"{len(ids)} reps are named {text!r}: give one id of {', '.join(ids)}")
    return ids[0]


def guided_day(
    store: Store, rep_id: str, *, day: date, scope: Scope, process: Process | None = None
) -> list[DayItem]:
    """The rep's guided day, ranked (see the module docstring for each kind and the rule), by
    the process in force at the end of ``day``.

    ``scope`` is the viewer's: a rep outside it is :class:`~rightturn.errors.NotFound`, as
    every out-of-scope record is. ``process`` overrides the one in force (tests, what-ifs)."""
    with store.session() as s:
        queries.get_rep(s, scope, rep_id)
        ctx = day_context(s, rep_id, day, process or in_force(s, as_of_datetime(day)).process())
        sequences = prospect_sequences(s, ctx.own, as_of=ctx.end, rep_id=rep_id)
        decided = latest_dispositions(s, rep_id, ctx.end)
        held = _held(decided, day)
        held_deals = _held(decided, day, "opportunity_id")
        plays = deal_touches(ctx, held_deals)
        dark = dark_deals(ctx, plays, held_deals)
        stalled = stalled_deals(ctx, [plays, dark], held_deals)
        items = [
            *_replies(ctx),
            *_touches(ctx, sequences, held),
            *plays.values(),
            *_dispositions_due(ctx, decided),
            *dark.values(),
            *stalled,
            # A prospect qualified is past prospecting, and one due a decision is listed once,
            # as the decision.
            *_prospects(ctx, sequences, held | _decided_on(decided, day)),
        ]
        return _named(s, rank(items))
