"""The guided day's deal items (the rules are in :mod:`rightturn.process.today`): the next
touch of a deal's stage play, dark deals and stalled deals, each deal listed once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd

from rightturn.analytics.health import in_stage
from rightturn.analytics.pipeline import quiet_deals
from rightturn.process.day_items import DayContext, DayItem, days_words, score, when_words
from rightturn.process.deal_plays import DealPlay, deal_plays
from rightturn.process.definition import Process

__all__ = ["dark_deals", "deal_touches", "stalled_deals"]


def deal_touches(ctx: DayContext, held: set[str]) -> dict[str, DayItem]:
    """The next touch of each running deal play due by the day, by deal, but for ``held``
    deals (disqualified, archived, postponed)."""
    out = {}
    for play in deal_plays(ctx.s, ctx.snap, ctx.rep_id, ctx.process):
        due = play.next_due()
        if play.opportunity_id in held or due is None or due > ctx.day:
            continue
        done = len(play.touches)
        touch = play.cadence.touches[done]
        template = f", template {touch.template}" if touch.template else ""
        reason = (
            f"{play.name or 'Unnamed deal'}: touch {done + 1} of {len(play.cadence.touches)}, "
            f"{touch.channel}{template}, of {play.cadence.name!r}; {when_words(due, ctx.day)} "
            f"(in {play.stage} since {play.started_at.date().isoformat()}; {_so_far(play)})"
        )
        value = ctx.item_value(play.opportunity_id, play.account_id)
        out[play.opportunity_id] = DayItem(
            "touch_due",
            play.account_id,
            None,
            play.opportunity_id,
            due,
            reason,
            score("touch_due", (ctx.day - due).days, value),
        )
    return out


def _so_far(play: DealPlay) -> str:
    """The play's touches so far, and which used another channel than the plan's."""
    if not play.touches:
        return "no touch yet"
    article = {"email": "an email", "call": "a call", "meeting": "a meeting"}
    off = [
        f"touch {n} was {article.get(kind, kind)} where the plan said {planned.channel}"
        for n, ((_, kind), planned) in enumerate(
            zip(play.touches, play.cadence.touches, strict=False), 1
        )
        if kind != planned.channel
    ]
    done = len(play.touches)
    head = f"{done} touch{'es' if done > 1 else ''} done, the last {play.touches[-1][0].date()}"
    return f"{head}; {'; '.join(off)}" if off else f"{head}, channels as planned"


# --- deal_dark and stalled ------------------------------------------------------------------


def dark_deals(ctx: DayContext, touches: dict[str, DayItem], held: set[str]) -> dict[str, DayItem]:
    """The rep's open deals with no buyer response in ``dark_after_days``, by deal; a deal
    with a touch due gets a note on the touch instead, a ``held`` one nothing."""
    days = ctx.process.day.dark_after_days
    deals, _ = quiet_deals(ctx.s, ctx.own, days=days, as_of=ctx.end, limit=10_000)
    created = ctx.snap.deals.set_index("opportunity_id")["created_at"]
    out = {}
    for deal in deals:
        if deal["opportunity_id"] in held:
            continue
        last = deal["last_buyer_response"]
        # Dark since the last response, or since the deal was opened when there was none.
        since = last if last else created.get(deal["opportunity_id"])
        due = (since + timedelta(days=days)).date() if since and not pd.isna(since) else ctx.day
        if due > ctx.day:  # opened less than dark_after_days ago: not dark yet, only new
            continue
        heard = f"the last on {last.date().isoformat()}" if last else "none since it opened"
        if deal["opportunity_id"] in touches:
            item = touches[deal["opportunity_id"]]
            note = f"also dark: no buyer response in {days} days ({heard})"
            touches[deal["opportunity_id"]] = replace(item, reason=f"{item.reason}; {note}")
            continue
        reason = f"No buyer response in {days} days ({heard}); {deal['stage']}: re-engage"
        value = ctx.deal_value(deal["amount"], deal["stage"], deal["account_id"])
        out[deal["opportunity_id"]] = DayItem(
            "deal_dark",
            deal["account_id"],
            None,
            deal["opportunity_id"],
            due,
            reason,
            score("deal_dark", (ctx.day - due).days, value),
        )
    return out


def _usual_days(process: Process) -> dict[str, int]:
    return {s.name.lower(): s.usual_days for s in process.stages if s.usual_days}


def stalled_deals(
    ctx: DayContext, listed: list[dict[str, DayItem]], held: set[str]
) -> list[DayItem]:
    """Open deals in their stage beyond its usual time; one already ``listed`` (due a touch,
    or dark) gets a note instead, a ``held`` one nothing."""
    deals = in_stage(ctx.snap)
    deals = deals[(deals["owner_rep_id"] == ctx.rep_id) & ~deals["opportunity_id"].isin(held)]
    usual = _usual_days(ctx.process)
    items = []
    for deal in deals.itertuples():
        limit = usual.get(str(deal.stage).lower(), deal.stage_p90)
        spent = deal.days_in_stage
        if pd.isna(limit) or pd.isna(spent) or spent <= limit:
            continue
        since = "the process's usual" if str(deal.stage).lower() in usual else "the team's P90 of"
        limit_days = f"{round(float(limit), 1):g}"
        note = f"in {deal.stage} {days_words(int(spent))}, beyond {since} {limit_days} days"
        where = next((d for d in listed if deal.opportunity_id in d), None)
        if where is not None:
            item = where[deal.opportunity_id]
            where[deal.opportunity_id] = replace(item, reason=f"{item.reason}; also {note}")
            continue
        due = (ctx.end - timedelta(days=float(spent)) + timedelta(days=float(limit))).date()
        value = ctx.deal_value(deal.amount, deal.stage, deal.account_id)
        items.append(
            DayItem(
                "stalled",
                deal.account_id,
                None,
                deal.opportunity_id,
                due,
                f"Stalled: {note}; move it on or close it",
                score("stalled", (ctx.day - due).days, value),
            )
        )
    return items
