"""Opportunity lifecycles: qualification, threading, stalls, slips and the outcome.

Pure functions of a `random.Random`; no I/O. The whole future of a deal is decided when it is
created, then cut at the end date, so a deal still open at the end keeps its current stage.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .org import SEATS, Account, Contact, Product, Rep

STAGES = ("Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation")
WON, LOST = "Closed Won", "Closed Lost"
FORECAST = {
    "Prospecting": "Pipeline",
    "Qualification": "Pipeline",
    "Discovery": "Pipeline",
    "Proposal": "Best Case",
    "Negotiation": "Commit",
    WON: "Closed",
    LOST: "Omitted",
}
CYCLE_DAYS = {"SMB": (20, 50), "Mid-Market": (40, 100), "Enterprise": (80, 180)}
# Where lost deals drop out: early stages lose most.
_LOSS_STAGE_WEIGHTS = (0.3, 0.25, 0.2, 0.15, 0.1)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(slots=True)
class Deal:
    """One opportunity, its recorded history up to the end date and its latent truth."""

    opportunity_id: str
    account: Account
    owner: Rep
    product: Product
    source: str  # prospecting, inbound, expansion
    name: str
    amount: int  # as the CRM shows it at the end date
    engaged: list[Contact]
    created_at: datetime
    stages: list[tuple[str, datetime]]  # entered up to the end date
    close_date: date  # current expected (open) or actual (closed) close date
    closed_at: datetime | None
    status: str  # open, won, lost
    qualified: bool
    multithreaded: bool
    stalled: bool
    stall_window: tuple[datetime, datetime] | None
    win_probability: float
    history: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    # The stage history as the CRM records it (a stage skipped, a move back): see
    # :func:`as_recorded_stages`. ``stages`` stays the deal's true path.
    recorded_stages: list[tuple[str, datetime]] = field(default_factory=list)
    skipped_stage: str | None = None
    moved_back: bool = False

    @property
    def stage(self) -> str:
        return self.stages[-1][0]

    @property
    def slips(self) -> int:
        return sum(1 for h in self.history if h[0] == "close_date")

    @property
    def active_until(self) -> datetime:
        """When activity on the deal stops: its close, or the end of the record."""
        return self.closed_at or self.stages[-1][1] + timedelta(days=3650)


@dataclass(slots=True)
class _Traits:
    """What decides a deal's odds, drawn first: qualification, threading, a stall, the outcome,
    and who at the account is engaged."""

    qualified: bool
    multithreaded: bool
    stalled: bool
    p_win: float
    won: bool
    engaged: list[Contact]


@dataclass(slots=True)
class _Timeline:
    """When each stage is entered, up to and including the close, and the stall in it."""

    cycle: float  # the days the deal was expected to take, when created
    n_stages: int  # open stages the deal goes through before it closes
    entered: list[tuple[str, datetime]]
    closed_time: datetime
    stall_window: tuple[datetime, datetime] | None


def _draw_traits(
    rng: random.Random, rep: Rep, account: Account, primary: Contact, source: str
) -> _Traits:
    """The latent truth of a deal: a better rep qualifies and multi-threads more and stalls
    less, and each of those moves the odds of winning."""
    ls = math.log(rep.skill)
    qualified = rng.random() < _sigmoid(-0.3 + 1.1 * ls)
    others = [c for c in account.contacts if c is not primary]
    multithreaded = bool(others) and rng.random() < _sigmoid(-0.7 + 1.0 * ls)
    stalled = rng.random() < min(0.45, max(0.08, 0.22 - 0.08 * ls))
    logit = -1.7 + 0.75 * ls + 1.0 * qualified + 0.9 * multithreaded - 1.1 * stalled
    logit += {"expansion": 0.5, "inbound": 0.2}.get(source, 0.0)
    p_win = _sigmoid(logit)
    won = rng.random() < p_win
    engaged = [primary]
    if multithreaded:
        engaged += rng.sample(others, min(len(others), rng.randint(1, 3)))
    return _Traits(qualified, multithreaded, stalled, p_win, won, engaged)


def _draw_amounts(
    rng: random.Random, rep: Rep, account: Account, product: Product, multithreaded: bool
) -> tuple[int, int | None]:
    """The amount at creation (seats by segment and rep, less a discount), and the amount a
    scope change in the proposal moves it to, if there is one."""
    low, high = SEATS[account.segment]
    seats = rng.randint(low, high) * min(3.0, max(0.35, rep.skill**0.75))
    discount = rng.uniform(0.0, 0.25)
    amount = max(1000, int(round(product.list_price * seats * (1 - discount), -2)))
    if not rng.random() < 0.15:
        return amount, None
    # Scope changes in the proposal: up when multi-threaded, mostly down else.
    factor = rng.uniform(1.05, 1.3) if multithreaded else rng.uniform(0.7, 0.95)
    return amount, max(1000, int(round(amount * factor, -2)))


def _draw_timeline(
    rng: random.Random, segment: str, won: bool, stalled: bool, created_at: datetime
) -> _Timeline:
    """The stages a deal goes through (a lost one drops out, early stages most often), how
    long each takes, the stall that stretches one of them, and the close."""
    cycle = rng.uniform(*CYCLE_DAYS[segment])
    if won:
        n_stages, base = len(STAGES), cycle
    else:
        exit_at = rng.choices(range(len(STAGES)), _LOSS_STAGE_WEIGHTS)[0]
        n_stages, base = exit_at + 1, cycle * (exit_at + 1) / len(STAGES) * rng.uniform(0.7, 1.2)
    stall_stage = rng.randrange(n_stages) if stalled else -1
    stall_extra = rng.uniform(30, 100) if stalled else 0.0
    # Unstalled deals still run late sometimes: the classic "next quarter".
    late = rng.uniform(5, 50) if not stalled and rng.random() < 0.3 else 0.0
    weights = [rng.uniform(0.6, 1.4) for _ in range(n_stages)]
    total_w = sum(weights)
    entered: list[tuple[str, datetime]] = []
    t = created_at
    stall_window = None
    for i in range(n_stages):
        entered.append((STAGES[i], t))
        span = base * weights[i] / total_w + late / n_stages
        if i == stall_stage:
            stall_window = (t, t + timedelta(days=span + stall_extra))
            span += stall_extra
        t += timedelta(days=span)
    entered.append((WON if won else LOST, t))
    return _Timeline(cycle, n_stages, entered, t, stall_window)


def _draw_history(
    rng: random.Random,
    created_at: datetime,
    timeline: _Timeline,
    amount: int,
    final_amount: int | None,
) -> list[tuple[str, str, str, datetime]]:
    """The CRM's field history, in time order: the pushes of the expected close date (each
    time the deal is still open near the date it was expected to close, the rep moves the date
    out), and the scope change, if any, soon after the proposal stage."""
    history: list[tuple[str, str, str, datetime]] = []
    closed_time = timeline.closed_time
    expected = (created_at + timedelta(days=timeline.cycle)).date()
    while expected < closed_time.date():
        at = datetime.combine(expected, created_at.timetz()) - timedelta(days=rng.uniform(1, 7))
        at = max(at, created_at + timedelta(hours=1))
        new = expected + timedelta(days=rng.randint(14, 45))
        history.append(("close_date", expected.isoformat(), new.isoformat(), at))
        expected = new
    if final_amount is not None:
        proposal_at = timeline.entered[min(3, timeline.n_stages - 1)][1]
        at = proposal_at + timedelta(hours=rng.uniform(2, 48))
        at = min(at, closed_time - timedelta(minutes=5))
        history.append(("amount", str(amount), str(final_amount), at))
    history.sort(key=lambda h: h[3])
    return history


def _as_recorded(
    history: list[tuple[str, str, str, datetime]], created_at: datetime, cycle: float, amount: int
) -> tuple[date, int]:
    """The expected close date and the amount as the CRM shows them after `history` (what
    was recorded by the end date): the last push's date, else the one expected at creation."""
    close_date = (created_at + timedelta(days=cycle)).date()
    shown_amount = amount
    for field_name, _, new, _ in history:
        if field_name == "close_date":
            close_date = date.fromisoformat(new)
        elif field_name == "amount":
            shown_amount = int(new)
    return close_date, shown_amount


def stage_sloppiness(rep: Rep) -> float:
    """How often a rep's deals leave the stage model in the CRM, from 0 to 0.3 of their deals:
    a latent trait of its own, drawn from the rep's id so the rest of the org is unchanged."""
    return random.Random(f"stage-sloppiness:{rep.rep_id}").uniform(0.0, 0.3)


def as_recorded_stages(
    opportunity_id: str, rep: Rep, stages: list[tuple[str, datetime]]
) -> tuple[list[tuple[str, datetime]], str | None, bool]:
    """The stage history as the CRM records it, the stage skipped (or None) and whether the
    deal moved back. Reps sometimes jump a stage (the deal went to Proposal straight from
    Qualification in the CRM) and sometimes move a deal back and on again (a buyer reopened a
    question in Proposal): a sloppy rep's deals (:func:`stage_sloppiness`) do either more often,
    at most one per deal. Only a middle open stage, between two others, is skipped or left
    backward, so the first and current stages and the close stay as they were."""
    rng = random.Random(f"stage-record:{opportunity_id}")
    sloppiness = stage_sloppiness(rep)
    opened = [i for i, (name, _) in enumerate(stages) if name in STAGES]
    draw = rng.random()
    if len(opened) < 3 or draw >= 1.5 * sloppiness:
        return list(stages), None, False
    j = opened[rng.randrange(1, len(opened) - 1)]  # a middle stage, with one before and after
    if draw < sloppiness:
        return stages[:j] + stages[j + 1 :], stages[j][0], False
    (previous, _), (stage, entered), (_, left) = stages[j - 1], stages[j], stages[j + 1]
    back = entered + (left - entered) * 0.3
    again = entered + (left - entered) * 0.6
    return [*stages[: j + 1], (previous, back), (stage, again), *stages[j + 1 :]], None, True


def plan_deal(
    rng: random.Random,
    opportunity_id: str,
    rep: Rep,
    account: Account,
    primary: Contact,
    product: Product,
    source: str,
    created_at: datetime,
    end_at: datetime,
) -> Deal:
    """Decide a deal's whole life at creation, then keep only what happened by `end_at`.

    The draws run in a fixed order (traits, amounts, timeline, history): the same seed gives
    the same org only while it stays so."""
    traits = _draw_traits(rng, rep, account, primary, source)
    amount, final_amount = _draw_amounts(rng, rep, account, product, traits.multithreaded)
    timeline = _draw_timeline(rng, account.segment, traits.won, traits.stalled, created_at)
    history = _draw_history(rng, created_at, timeline, amount, final_amount)

    kept_history = [h for h in history if h[3] <= end_at]
    stages = [s for s in timeline.entered if s[1] <= end_at]
    recorded, skipped, moved_back = as_recorded_stages(opportunity_id, rep, stages)
    closed_time = timeline.closed_time
    is_closed = closed_time <= end_at
    close_date, shown_amount = _as_recorded(kept_history, created_at, timeline.cycle, amount)
    if is_closed:
        close_date = closed_time.date()
    suffix = {"expansion": " - Expansion", "inbound": ""}.get(source, "")
    return Deal(
        opportunity_id=opportunity_id,
        account=account,
        owner=rep,
        product=product,
        source=source,
        name=f"{account.name} - {product.name}{suffix}",
        amount=shown_amount,
        engaged=traits.engaged,
        created_at=created_at,
        stages=stages,
        close_date=close_date,
        closed_at=closed_time if is_closed else None,
        status=("won" if traits.won else "lost") if is_closed else "open",
        qualified=traits.qualified,
        multithreaded=traits.multithreaded,
        stalled=traits.stalled,
        stall_window=timeline.stall_window,
        win_probability=round(traits.p_win, 4),
        history=kept_history,
        recorded_stages=recorded,
        skipped_stage=skipped,
        moved_back=moved_back,
    )
