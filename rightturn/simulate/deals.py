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
    """Decide a deal's whole life at creation, then keep only what happened by `end_at`."""
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

    low, high = SEATS[account.segment]
    seats = rng.randint(low, high) * min(3.0, max(0.35, rep.skill**0.75))
    discount = rng.uniform(0.0, 0.25)
    amount = max(1000, int(round(product.list_price * seats * (1 - discount), -2)))
    final_amount = amount
    amount_change = rng.random() < 0.15
    if amount_change:  # scope changes in the proposal: up when multi-threaded, mostly down else
        factor = rng.uniform(1.05, 1.3) if multithreaded else rng.uniform(0.7, 0.95)
        final_amount = max(1000, int(round(amount * factor, -2)))

    cycle = rng.uniform(*CYCLE_DAYS[account.segment])
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
    closed_time = t
    entered.append((WON if won else LOST, closed_time))

    # Pushes of the expected close date: each time the deal is still open near the date it
    # was expected to close, the rep moves the date out.
    history: list[tuple[str, str, str, datetime]] = []
    expected = (created_at + timedelta(days=cycle)).date()
    while expected < closed_time.date():
        at = datetime.combine(expected, created_at.timetz()) - timedelta(days=rng.uniform(1, 7))
        at = max(at, created_at + timedelta(hours=1))
        new = expected + timedelta(days=rng.randint(14, 45))
        history.append(("close_date", expected.isoformat(), new.isoformat(), at))
        expected = new
    if amount_change:
        at = entered[min(3, n_stages - 1)][1] + timedelta(hours=rng.uniform(2, 48))
        at = min(at, closed_time - timedelta(minutes=5))
        history.append(("amount", str(amount), str(final_amount), at))
    history.sort(key=lambda h: h[3])

    kept_history = [h for h in history if h[3] <= end_at]
    stages = [s for s in entered if s[1] <= end_at]
    is_closed = closed_time <= end_at
    close_date = expected
    for h in kept_history:
        if h[0] == "close_date":
            close_date = date.fromisoformat(h[2])
    if not any(h[0] == "close_date" for h in kept_history):
        close_date = (created_at + timedelta(days=cycle)).date()
    shown_amount = amount
    for h in kept_history:
        if h[0] == "amount":
            shown_amount = int(h[2])
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
        amount=int(shown_amount),
        engaged=engaged,
        created_at=created_at,
        stages=stages,
        close_date=close_date,
        closed_at=closed_time if is_closed else None,
        status=("won" if won else "lost") if is_closed else "open",
        qualified=qualified,
        multithreaded=multithreaded,
        stalled=stalled,
        stall_window=stall_window,
        win_probability=round(p_win, 4),
        history=kept_history,
    )
