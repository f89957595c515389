"""The noise real mailboxes, phones and calendars carry: newsletters, personal mail, internal
mail between colleagues, calls with strangers and recurring internal meetings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from email.utils import formataddr

from . import names, text
from .activity import TeamRun, Thread
from .ics import Meeting
from .mail import Sender
from .names import SELLER_DOMAIN
from .org import Rep


def newsletters(run: TeamRun, rep: Rep) -> None:
    """Weekly external newsletters the rep subscribed to, plus the monthly company all-hands."""
    rng = run.rng
    external = [n for n in text.NEWSLETTERS if "brightwave" not in n[1]]
    subs = rng.sample(external, rng.randint(1, 2))
    for title, addr, list_id in subs:
        sender = Sender(formataddr((title, addr)), addr, UTC)
        send_day = rng.randrange(5)
        hour = rng.randrange(6, 16)
        week = run.start_at.date() - timedelta(days=run.start_at.weekday())
        while True:
            day = week + timedelta(days=send_day)
            week += timedelta(days=7)
            when = datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=UTC)
            if when > run.end_at:
                break
            if when < run.start_at or rng.random() < 0.35:
                continue
            _newsletter(run, rep, sender, title, list_id, when)
    title, addr, list_id = next(n for n in text.NEWSLETTERS if "brightwave" in n[1])
    sender = Sender(formataddr((title, addr)), addr, UTC)
    day = run.start_at.date().replace(day=1)
    while True:
        day = (day + timedelta(days=32)).replace(day=1)
        when = datetime.combine(day + timedelta(days=2), time(16, 0), tzinfo=UTC)
        if when > run.end_at:
            break
        _newsletter(run, rep, sender, title, list_id, when)


def _newsletter(run: TeamRun, rep: Rep, sender: Sender, title: str, list_id: str, when: datetime):
    rng = run.rng
    topic = rng.choice(text.NEWS_TOPICS)
    domain = sender.email.split("@", 1)[1]
    token = f"{rng.getrandbits(48):012x}"
    extra = [
        ("List-Id", f"{title} <{list_id}>"),
        ("List-Unsubscribe", f"<mailto:unsubscribe@{domain}?subject={token}>, "
                             f"<https://{domain}/unsubscribe/{token}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Precedence", "bulk"),
    ]  # fmt: skip
    body = text.NEWSLETTER_BODY.format(topic=topic, date=(when + timedelta(days=20)).date())
    subject = f"{title}: {topic.capitalize()}"
    msg_id = run.email(when, sender, [rep.addr], subject, body, [rep.rep_id], extra=extra,
                       alternative=0.9)  # fmt: skip
    run.truth("email", msg_id, rep, when, "newsletter", "inbound")


def personal(run: TeamRun, rep: Rep) -> None:
    """Friends writing to the work address, and the rep answering some of them."""
    rng = run.rng
    friends = []
    for _ in range(rng.randint(1, 3)):
        first, last = names.person_name(rng)
        local = f"{names.ascii_slug(first)}.{names.ascii_slug(last)}{rng.randrange(100)}"
        email = f"{local}@{rng.choice(text.PERSONAL_DOMAINS)}"
        friends.append((first, f"{first} {last}", email))
    for _ in range(round(rng.uniform(1.5, 3.5) * run.months)):
        first, name, email = rng.choice(friends)
        day = run.random_day(run.start_at, run.end_at)
        when = datetime.combine(day, time(rng.randrange(7, 23), rng.randrange(60)), tzinfo=rep.tz)
        when = when.astimezone(UTC)
        if when > run.end_at:
            continue
        subject, body = rng.choice(text.PERSONAL)
        sender = Sender(formataddr((name, email), charset="utf-8"), email, rep.tz)
        msg_id = run.email(when, sender, [rep.addr], subject, body.format(first=rep.first,
                           name=first), [rep.rep_id], alternative=0.6)  # fmt: skip
        run.truth("email", msg_id, rep, when, "personal", "inbound")
        if rng.random() < 0.35:
            at = when + timedelta(hours=rng.uniform(0.2, 20))
            if at <= run.end_at:
                t = Thread(subject, refs=[msg_id])
                reply = f"Sounds good, {first}!\n\n{rep.first}"
                rid = run.email(at, run.senders[rep.rep_id][0], [sender.addr],
                                "Re: " + subject.removeprefix("Re: "), reply, [rep.rep_id],
                                thread=t)  # fmt: skip
                run.truth("email", rid, rep, at, "personal", "outbound")


def internal(run: TeamRun, rep: Rep) -> None:
    """Mail a rep sends to their manager or teammates; it lands in every participant's box."""
    rng = run.rng
    team = run.team
    others = [m for m in team.members if m is not rep]
    if not others:
        return
    accounts = [a for a in team.accounts if a.owner == rep.rep_id] or team.accounts
    for _ in range(round(rng.uniform(3, 7) * run.months)):
        to = team.manager if rep is not team.manager and rng.random() < 0.5 else rng.choice(others)
        cc = [m for m in others if m is not to and rng.random() < 0.15]
        when, _ = run.business(run.random_day(run.start_at, run.end_at), rep.tz)
        if when > run.end_at:
            continue
        subject, body = rng.choice(text.INTERNAL)
        f = {
            "to_first": to.first,
            "from_first": rep.first,
            "account": rng.choice(accounts).name,
            "industry": rng.choice(names.INDUSTRIES).lower(),
        }
        subject, body = subject.format(**f), body.format(**f)
        owners = [rep.rep_id, to.rep_id] + [m.rep_id for m in cc]
        msg_id = run.email(when, run.sender(rep), [to.addr], subject, body, owners,
                           cc=[m.addr for m in cc], alternative=0.3)  # fmt: skip
        run.truth("email", msg_id, rep, when, "internal", "internal")
        if rng.random() < 0.4:
            at = when + timedelta(hours=rng.uniform(0.1, 6))
            if at <= run.end_at:
                t = Thread(subject, refs=[msg_id])
                quoted = text.quote(body, run.attribution(when, to.tz), rep.name)
                rid = run.email(at, run.senders[to.rep_id][0], [rep.addr], "Re: " + subject,
                                f"Will do.\n\n{to.first}\n\n{quoted}", owners, thread=t,
                                alternative=0.3)  # fmt: skip
                run.truth("email", rid, to, at, "internal", "internal")


def stranger_calls(run: TeamRun, rep: Rep) -> None:
    """Calls to and from numbers nobody in the CRM has: vendors, wrong numbers, recruiters."""
    rng = run.rng
    for _ in range(round(rng.uniform(0.8, 2.2) * run.months)):
        when, _ = run.business(run.random_day(run.start_at, run.end_at), rep.tz)
        if when > run.end_at:
            continue
        other = names.random_phone(rng, rng.choice(("US", "US", "UK", "DE")))
        direction = "inbound" if rng.random() < 0.5 else "outbound"
        cid, _ = run.call(rep, when, direction, other)
        run.truth("call", cid, rep, when, "unknown_call", direction)


def team_meetings(run: TeamRun) -> None:
    """Weekly 1:1s (manager and rep) and a weekly team meeting, as recurring events."""
    rng = run.rng
    mgr = run.team.manager
    until = run.end_at.replace(microsecond=0)
    first_monday = run.start_at.date() + timedelta(days=(7 - run.start_at.weekday()) % 7)
    for i, rep in enumerate(run.team.reps):
        day = first_monday + timedelta(days=i % 5)
        hour = 9 + (i // 5) % 8
        start = datetime.combine(day, time(hour, 30), tzinfo=mgr.tz)
        uid = f"1on1-{rep.rep_id}-{rng.getrandbits(40):010x}@{SELLER_DOMAIN}"
        m = Meeting(
            uid=uid,
            start=start,
            end=start + timedelta(minutes=30),
            summary=f"{mgr.first} / {rep.first} 1:1",
            organizer=(mgr.name, mgr.emails[0]),
            attendees=[(rep.name, rep.emails[0], "ACCEPTED")],
            rrule={"freq": "weekly", "until": until},
            utc=False,
        )
        run.meeting([mgr.rep_id, rep.rep_id], m)
        run.truth("meeting", uid, rep, start.astimezone(UTC), "internal", "internal")
    start = datetime.combine(first_monday, time(8, 30), tzinfo=mgr.tz)
    uid = f"team-{mgr.rep_id}-{rng.getrandbits(40):010x}@{SELLER_DOMAIN}"
    m = Meeting(
        uid=uid,
        start=start,
        end=start + timedelta(minutes=45),
        summary=f"{run.team.name} weekly pipeline review",
        organizer=(mgr.name, mgr.emails[0]),
        attendees=[
            (r.name, r.emails[0], rng.choice(("ACCEPTED", "ACCEPTED", "TENTATIVE")))
            for r in run.team.reps
        ],
        rrule={"freq": "weekly", "byday": "MO", "until": until},
        utc=False,
    )
    run.meeting([m.rep_id for m in run.team.members], m)
    run.truth("meeting", uid, mgr, start.astimezone(UTC), "internal", "internal")
    # A cancelled internal session, as calendars keep them around.
    for rep in run.team.reps[:2]:
        day = run.random_day(run.start_at, run.end_at - timedelta(days=1))
        start_utc, _ = run.business(day, rep.tz)
        uid = f"{rng.getrandbits(64):016x}@{SELLER_DOMAIN}"
        m = Meeting(
            uid=uid,
            start=start_utc,
            end=start_utc + timedelta(hours=1),
            summary="Territory planning",
            organizer=(mgr.name, mgr.emails[0]),
            attendees=[(rep.name, rep.emails[0], "DECLINED")],
            status="CANCELLED",
        )
        run.meeting([mgr.rep_id, rep.rep_id], m)
        run.truth("meeting", uid, rep, start_utc, "internal", "internal")
