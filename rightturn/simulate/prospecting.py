"""Prospecting sequences: a first message, follow-up touches that stop at a reply, and what
a reply leads to (a scheduling mail, an intro meeting, sometimes an opportunity).

How many follow-ups a rep makes is their latent `effort`; whether a touch is answered
depends on style and timing (TeamRun.rep_mail), never on how hard the rep pushes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .activity import Sequence, TeamRun, Thread, poisson
from .ics import Meeting
from .names import SELLER_DOMAIN
from .org import Contact, Rep


def sequences(run: TeamRun, rep: Rep, prospects: list[Contact]) -> list[tuple[datetime, Sequence]]:
    """Run the rep's prospecting sequences (held until the rep's deals are known: see
    TeamRun.release); returns (when, sequence) of opportunities born from replies."""
    rng = run.rng
    seeds: list[tuple[datetime, Sequence]] = []
    n = round(rng.uniform(15, 19) * run.months)
    last_start = run.end_at - timedelta(days=2)
    for i in range(n):
        contact = prospects[i % len(prospects)]
        when, morning = run.business(run.random_day(run.start_at, last_start), rep.tz)
        planned = poisson(rng, rep.effort)
        thread = Thread("")
        seq = run.begin_sequence(contact, thread)
        touches, replied_at = 0, None
        last_id = ""
        for k in range(planned + 1):
            if k:
                when, morning = run.after(when, rep.tz, 2, 8)
            if when > run.end_at:
                break
            touches += k > 0
            if k == 0 or rng.random() < 0.8:
                kind = "open" if k == 0 else "followup"
                last_id, yes = run.rep_mail(
                    rep, contact, kind, thread, when, morning, "prospecting", None, ""
                )
                replied_at = run.answer(
                    rep, contact, thread, last_id, when, yes, "prospecting", None
                )
            else:
                replied_at = prospect_call(run, rep, contact, when)
            if replied_at:
                break
        run.out(run.t.row, "truth/sequences.csv", [rep.rep_id, contact.contact_id, touches,
                                                   int(replied_at is not None)])  # fmt: skip
        if replied_at:
            seeds.extend((t, seq) for t, _ in after_reply(run, rep, contact, thread, replied_at))
        run.end_sequence()
    return seeds


def prospect_call(run: TeamRun, rep: Rep, contact: Contact, when: datetime) -> datetime | None:
    call_id, outcome = run.call(rep, when, "outbound", contact.phones[0])
    run.truth("call", call_id, rep, when, "prospecting", "outbound", contact)
    if outcome == "voicemail" and run.rng.random() < 0.08:
        at = when + timedelta(hours=run.rng.uniform(2, 40))
        if at <= run.end_at:
            cb, _ = run.call(rep, at, "inbound", contact.phones[0], outcome="connected")
            run.truth("call", cb, rep, at, "prospecting", "inbound", contact,
                       responds_to=call_id, buyer_action="call_back")  # fmt: skip
            return at
    return None


def after_reply(
    run: TeamRun, rep: Rep, contact: Contact, thread: Thread, replied_at: datetime
) -> list[tuple[datetime, Contact]]:
    """A buyer engaged: the rep proposes a call, the buyer may accept a meeting, and some
    of these turn into opportunities."""
    rng = run.rng
    when, morning = run.after(replied_at, rep.tz, 0.05, 1.5)
    if when > run.end_at:
        return []
    sched_id, yes = run.rep_mail(
        rep, contact, "schedule", thread, when, morning, "prospecting", None, ""
    )
    run.answer(rep, contact, thread, sched_id, when, yes, "prospecting", None)
    born = when
    if rng.random() < 0.6:
        start, _ = run.after(when, rep.tz, 1, 7)
        if start <= run.end_at:
            uid = f"{rng.getrandbits(64):016x}@{SELLER_DOMAIN}"
            m = Meeting(
                uid=uid,
                start=start,
                end=start + timedelta(minutes=30),
                summary=f"Brightwave / {contact.account.name}: intro call",
                organizer=(rep.name, rep.emails[0]),
                attendees=[(contact.name, contact.emails[0], "ACCEPTED")],
                location="Zoom",
            )
            run.meeting([rep.rep_id], m)
            run.truth("meeting", uid, rep, start, "prospecting", "outbound", contact,
                       responds_to=sched_id, buyer_action="meeting_accepted")  # fmt: skip
            born = start
    if rng.random() < 0.55:
        return [(born + timedelta(days=rng.uniform(0, 3)), contact)]
    return []
