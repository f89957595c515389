"""The period forecast: what will be won this period, as a range, per rep, team and company.

**Periods** follow the org's fiscal calendar, which is the calendar: quarters start in January,
April, July and October. :func:`parse_period` reads ``2026Q4``, ``2026-11`` (a month) or nothing
(the quarter containing the as-of date).

**The Monte Carlo** (:func:`period_forecast`): each deal is won within the period with
probability ``p_win x p_in_period`` (won at all, then not slipping past the period's end),
independently of the others, and then brings its amount. A deal already won in the period is a
deal with both probabilities 1. On top, **new pipeline** (:class:`NewPipeline`): deals not yet
created that will be created and won before the period ends, a Poisson count per rep whose amounts
are drawn from the amounts such deals had. The mean is exact (a sum of ``amount x p``); the
P10/P50/P90 come from ``runs`` seeded simulations, so the same input gives the same range.

**The period's shock**: deals are not independent (a quarter runs hot or cold for everyone),
so ``shock`` scales each run's not-yet-won value by one factor shared by every rep, mean 1 and
spread ``shock``; the mean is unchanged, the range widens. :func:`period_shock` estimates the
spread from past periods' errors; 0 (the default) keeps the deals independent.

**The movers**: the deals whose outcome makes the range wide, by their share of the company
total's variance from the deals themselves, ``amount² x p x (1 - p)`` (exact, the deals being
independent once the shock is set aside; the shock moves every deal alike and ranks none).

**New pipeline** (:func:`estimate_new_pipeline`): over the ``lookback`` previous periods of the
same length (those the data wholly covers), the deals created after the same point of the period
as today and won by its end, per rep; their mean count per period is the Poisson mean and their
amounts the empirical distribution (pooled over the org, as one rep's few deals would make a poor
distribution).

**Stage-weighted pipeline** (:func:`stage_weighted`), the figure most CRMs show: won so far
in the period plus each open deal expected to close in it (close date within the period) times
its stage's historical win rate. The store keeps no CRM stage probability, so the rate is learned:
of the closed deals that reached the stage, the share won (a won deal reached every open stage).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from rightturn.analytics.snapshot import Snapshot
from rightturn.errors import ParseError

__all__ = [
    "DEAL_COLUMNS",
    "Mover",
    "NewPipeline",
    "Period",
    "PeriodForecast",
    "Range",
    "StageWeighted",
    "estimate_new_pipeline",
    "parse_period",
    "period_deals",
    "period_forecast",
    "period_shock",
    "stage_weighted",
    "stage_win_rates",
]

DEAL_COLUMNS = ("opportunity_id", "amount", "p_win", "p_in_period", "owner_rep_id", "team_id")
SEED = 15
LOOKBACK = 4
# Simulated deal outcomes held at once: runs are drawn in blocks so 10,000 runs over a large
# pipeline stay within tens of megabytes.
_BLOCK_CELLS = 2_000_000
_NOBODY = "(no owner)"
ArrayLike = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class Period:
    """A fiscal period, first and last day included; ``label`` as the user writes it."""

    start: date
    end: date
    label: str

    @property
    def months(self) -> int:
        """Its length in months (3 for a quarter)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def week(self, day: date) -> int:
        """The week of the period ``day`` falls in: 1 for its first seven days (the backtest's
        errors are reported by it)."""
        if not self.start <= day <= self.end:
            raise ParseError(f"{day} is outside {self.label} ({self.start} to {self.end})")
        return (day - self.start).days // 7 + 1

    def shifted(self, periods: int) -> Period:
        """The period ``periods`` lengths later (earlier when negative)."""
        months = self.start.year * 12 + self.start.month - 1 + periods * self.months
        return _span(date(months // 12, months % 12 + 1, 1), self.months)


def _span(start: date, months: int) -> Period:
    following = start.year * 12 + start.month - 1 + months
    end = date(following // 12, following % 12 + 1, 1) - timedelta(days=1)
    if months == 3:
        label = f"{start.year}Q{(start.month - 1) // 3 + 1}"
    else:
        label = f"{start.year}-{start.month:02d}"
    return Period(start, end, label)


_QUARTER = re.compile(r"(\d{4})\s*-?\s*Q([1-4])", re.IGNORECASE)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_period(text: str | None, today: date | None = None) -> Period:
    """``2026Q4`` (a calendar quarter), ``2026-11`` (a month), or None: the quarter containing
    ``today`` (default: the current date)."""
    if text is None or not text.strip():
        day = today or date.today()
        return _span(date(day.year, 3 * ((day.month - 1) // 3) + 1, 1), 3)
    said = text.strip()
    if quarter := _QUARTER.fullmatch(said):
        return _span(date(int(quarter[1]), 3 * int(quarter[2]) - 2, 1), 3)
    month = _MONTH.fullmatch(said)
    if month and 1 <= int(month[2]) <= 12:
        return _span(date(int(month[1]), int(month[2]), 1), 1)
    raise ParseError(f"period {text!r}: give a quarter (2026Q4) or a month (2026-11)")


@dataclass(frozen=True)
class Range:
    """Won value in the period: the exact mean, the simulated P10, P50, P90, and the simulated
    mean and standard deviation (how far the simulation's mean may stray: ``sd / sqrt(runs)``)."""

    mean: float
    p10: float
    p50: float
    p90: float
    simulated_mean: float
    sd: float


@dataclass(frozen=True)
class Mover:
    """A deal whose outcome moves the forecast: its share of the company total's variance."""

    opportunity_id: str
    owner_rep_id: str
    amount: float
    p: float
    variance_share: float


@dataclass(frozen=True)
class NewPipeline:
    """Deals yet to be created and won within the period: ``rates`` is the Poisson mean count
    per rep, ``teams`` each rep's team, ``amounts`` the amounts to draw from (with replacement)."""

    rates: dict[str, float]
    teams: dict[str, str]
    amounts: np.ndarray = field(repr=False)

    @property
    def mean(self) -> float:
        """The expected won value of new pipeline (mean count x mean amount)."""
        return sum(self.rates.values()) * self.moment(1)

    def moment(self, power: int) -> float:
        """The mean of the amounts raised to ``power`` (0 with no amounts)."""
        return (
            float(np.mean(np.asarray(self.amounts, dtype=float) ** power))
            if len(self.amounts)
            else 0.0
        )


@dataclass(frozen=True)
class PeriodForecast:
    """The period's won value for the company, each rep and each team, the deals that move it
    most, and how it was drawn (``runs`` simulations from ``seed``). ``certain`` is the value
    already won (probability 1); ``independent_variance`` the company total's exact variance
    were the deals independent (no ``shock``)."""

    company: Range
    reps: dict[str, Range]
    teams: dict[str, Range]
    movers: list[Mover]
    new_pipeline_mean: float
    certain: float
    independent_variance: float
    shock: float
    runs: int
    seed: int


def _checked(deals: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in DEAL_COLUMNS if c not in deals.columns]
    if missing:
        raise ParseError(f"deals lack the column(s) {', '.join(missing)}: give {DEAL_COLUMNS}")
    frame = deals.loc[:, list(DEAL_COLUMNS)].copy()
    for column in ("p_win", "p_in_period"):
        p = pd.to_numeric(frame[column], errors="coerce")
        if p.isna().any() or (p < 0).any() or (p > 1).any():
            raise ParseError(f"deals' {column} must lie within 0-1 (give 0.35, not 35)")
        frame[column] = p.astype(float)
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce").fillna(0.0).astype(float)
    frame["owner_rep_id"] = frame["owner_rep_id"].fillna(_NOBODY).astype(str)
    frame["team_id"] = frame["team_id"].fillna(_NOBODY).astype(str)
    return frame.reset_index(drop=True)


def _onehot(keys: pd.Series, names: list[str]) -> np.ndarray:
    matrix = np.zeros((len(keys), len(names)))
    matrix[np.arange(len(keys)), pd.Index(names).get_indexer(keys)] = 1.0
    return matrix


def _new_won(new: NewPipeline, reps: list[str], runs: int, rng: np.random.Generator) -> np.ndarray:
    """Simulated new-pipeline won value, one row per run, one column per rep (compound Poisson)."""
    if not len(new.amounts):
        return np.zeros((runs, len(reps)))
    rates = np.array([new.rates.get(r, 0.0) for r in reps])
    counts = rng.poisson(rates, size=(runs, len(reps)))
    drawn = rng.choice(np.asarray(new.amounts, dtype=float), size=int(counts.sum()))
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    return np.bincount(cell, weights=drawn, minlength=counts.size).reshape(counts.shape)


def _range(mean: float, totals: np.ndarray) -> Range:
    p10, p50, p90 = np.percentile(totals, [10, 50, 90])
    return Range(
        mean=mean,
        p10=float(p10),
        p50=float(p50),
        p90=float(p90),
        simulated_mean=float(totals.mean()),
        sd=float(totals.std()),
    )


def period_forecast(
    deals: pd.DataFrame,
    *,
    new_pipeline: NewPipeline | None = None,
    shock: float = 0.0,
    runs: int = 10_000,
    seed: int = SEED,
    movers: int = 10,
) -> PeriodForecast:
    """P10/P50/P90 and mean of the period's won value, per rep, team and company.

    ``deals`` has one row per deal with the columns :data:`DEAL_COLUMNS`: ``amount``, ``p_win``
    (it is ever won), ``p_in_period`` (it closes within the period, given won: 1 - slip), the
    owner and their team. ``shock`` is the spread of the period's common factor (see
    :func:`period_shock`; 0: the deals are independent). ``movers`` deals with the largest share
    of the variance come back.
    """
    if runs < 1:
        raise ParseError(f"runs = {runs}: give at least 1")
    if not 0 <= shock < 10:
        raise ParseError(f"shock = {shock}: give a spread from 0 (none) to about 0.3")
    frame = _checked(deals)
    new = new_pipeline or NewPipeline({}, {}, np.zeros(0))
    p = (frame["p_win"] * frame["p_in_period"]).to_numpy()
    amount = frame["amount"].to_numpy()
    owner_team = dict(zip(frame["owner_rep_id"], frame["team_id"], strict=True))
    owner_team.update({r: new.teams.get(r, _NOBODY) for r in new.rates if r not in owner_team})
    reps = sorted(owner_team)
    teams = sorted(set(owner_team.values()))
    rep_index = pd.Index(reps).get_indexer(frame["owner_rep_id"])
    team_of_rep = _onehot(pd.Series([owner_team[r] for r in reps]), teams)

    rng = np.random.default_rng(seed)
    certain = p >= 1
    uncertain = _simulate(amount[~certain], p[~certain], rep_index[~certain], len(reps), runs, rng)
    uncertain += _new_won(new, reps, runs, rng)
    # One factor per run, mean 1, shared by every rep: won deals stay won.
    sigma = np.sqrt(np.log1p(shock * shock))
    factor = np.exp(sigma * rng.standard_normal(runs) - sigma * sigma / 2)
    won = np.bincount(rep_index[certain], weights=amount[certain], minlength=len(reps))
    per_rep = uncertain  # in place: on a 1,000-rep org each copy is 80 MB
    per_rep *= factor[:, None]
    per_rep += won
    per_team = per_rep @ team_of_rep

    new_rep_mean = np.array([new.rates.get(r, 0.0) for r in reps]) * new.moment(1)
    rep_mean = np.bincount(rep_index, weights=amount * p, minlength=len(reps)) + new_rep_mean
    team_mean = rep_mean @ team_of_rep
    return PeriodForecast(
        company=_range(float(rep_mean.sum()), per_rep.sum(axis=1)),
        reps={r: _range(float(rep_mean[i]), per_rep[:, i]) for i, r in enumerate(reps)},
        teams={t: _range(float(team_mean[i]), per_team[:, i]) for i, t in enumerate(teams)},
        movers=_movers(frame, p, movers),
        new_pipeline_mean=float(new_rep_mean.sum()),
        certain=float(amount[certain].sum()),
        # Bernoulli deals and a compound Poisson (its variance: rate x mean squared amount).
        independent_variance=float(
            np.sum(amount**2 * p * (1 - p)) + sum(new.rates.values()) * new.moment(2)
        ),
        shock=shock,
        runs=runs,
        seed=seed,
    )


def _simulate(
    amount: np.ndarray,
    p: np.ndarray,
    rep_index: np.ndarray,
    n_reps: int,
    runs: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Won value per run (rows) and rep (columns), each deal won with its probability."""
    per_rep = np.zeros((runs, n_reps))
    if not len(amount):
        return per_rep
    # Deals side by side by rep, so each run's per-rep sums are one reduceat over its row.
    order = np.argsort(rep_index, kind="stable")
    amount, p, rep_index = amount[order], p[order].astype(np.float32), rep_index[order]
    owners, starts = np.unique(rep_index, return_index=True)
    block = max(1, _BLOCK_CELLS // len(amount))
    for first in range(0, runs, block):
        n = min(block, runs - first)
        won = rng.random((n, len(amount)), dtype=np.float32) < p
        per_rep[first : first + n, owners] = np.add.reduceat(won * amount, starts, axis=1)
    return per_rep


def period_shock(actuals: ArrayLike, forecasts: Sequence[PeriodForecast]) -> float:
    """The spread of the period's common factor that past periods' errors call for.

    Deals are not independent: a period can run hot or cold for everyone (a budget freeze, a
    strong product release), and then the range drawn from independent deals is too narrow. The
    factor ``m`` (mean 1, lognormal, spread ``s``) scales the uncertain part ``U`` of each run
    (independent variance ``V``, mean ``μ``), so the error's variance is ``V + s² x (V + μ²)``.
    Over past periods' ``actuals`` and the ``forecasts`` made for them, the moment estimate is
    ``s² = Σ((actual - mean)² - V) / Σ(V + μ²)``, 0 when ``V`` explains the errors already. It
    is noisy: with an uncertain part whose own spread is a quarter of its mean, 400 periods pin
    a true 0.15 down to about ± 0.025.
    """
    actual = np.asarray(actuals, dtype=float)
    if len(actual) != len(forecasts):
        raise ParseError(
            f"{len(actual)} actuals for {len(forecasts)} forecasts: give one actual per forecast"
        )
    mean = np.array([f.company.mean for f in forecasts])
    open_mean = mean - np.array([f.certain for f in forecasts])
    variance = np.array([f.independent_variance for f in forecasts])
    scale = float(np.sum(open_mean**2 + variance))
    if scale <= 0:
        return 0.0
    return float(np.sqrt(max(0.0, float(np.sum((actual - mean) ** 2 - variance)) / scale)))


def _movers(frame: pd.DataFrame, p: np.ndarray, top: int) -> list[Mover]:
    variance = frame["amount"].to_numpy() ** 2 * p * (1 - p)
    total = variance.sum()
    if total <= 0:
        return []
    order = np.argsort(-variance, kind="stable")[:top]
    return [
        Mover(
            opportunity_id=str(frame.at[i, "opportunity_id"]),
            owner_rep_id=str(frame.at[i, "owner_rep_id"]),
            amount=float(frame.at[i, "amount"]),
            p=float(p[i]),
            variance_share=float(variance[i] / total),
        )
        for i in order
        if variance[i] > 0
    ]


def _stamp(day: date) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


def _won_between(snap: Snapshot, start: date, end: date) -> pd.DataFrame:
    closed = snap.closed
    closed_at = closed["closed_at"]
    return closed[
        (closed["status"] == "won")
        & (closed_at >= _stamp(start))
        & (closed_at < _stamp(end + timedelta(days=1)))
    ]


def period_deals(snap: Snapshot, period: Period) -> pd.DataFrame:
    """The deals a period forecast runs over, as of the snapshot: those won in the period so far
    (``p_win`` and ``p_in_period`` 1) and every open deal (probabilities NaN: the model's to
    fill). Columns :data:`DEAL_COLUMNS` plus ``status``, ``stage`` and ``close_date``."""
    won = _won_between(snap, period.start, period.end).assign(p_win=1.0, p_in_period=1.0)
    open_ = snap.open.assign(p_win=np.nan, p_in_period=np.nan)
    columns = [*DEAL_COLUMNS, "status", "stage", "close_date"]
    both = pd.concat([won[columns], open_[columns]], ignore_index=True)
    both["stage"] = both["stage"].astype(str)
    return both


def estimate_new_pipeline(
    snap: Snapshot, period: Period, *, lookback: int = LOOKBACK
) -> NewPipeline:
    """Deals yet to be created and won within ``period``, from the ``lookback`` periods before it
    (see the module's docstring): as of the snapshot, nothing later is used."""
    if lookback < 1:
        raise ParseError(f"lookback = {lookback}: give at least 1 past period")
    today = max(snap.as_of.date(), period.start - timedelta(days=1))
    elapsed = today - period.start  # the same point in each past period (negative: not begun)
    # A past period the data does not wholly cover (it starts before the first deal was created)
    # would count as a period with nothing new won: it is left out, not averaged in as zero.
    began = snap.deals["created_at"].min()
    counted = []
    for back in range(1, lookback + 1):
        past = period.shifted(-back)
        if pd.isna(began) or _stamp(past.start) < began.floor("D"):
            break
        won = _won_between(snap, past.start, past.end)
        after = _stamp(past.start + elapsed + timedelta(days=1))
        counted.append(won[won["created_at"] >= after])
    if not counted:
        return NewPipeline({}, {}, np.zeros(0))
    created = pd.concat(counted, ignore_index=True)
    owners = created["owner_rep_id"].fillna(_NOBODY).astype(str)
    rates = (owners.value_counts() / len(counted)).to_dict()
    teams = dict(zip(snap.reps["rep_id"], snap.reps["team_id"].fillna(_NOBODY), strict=True))
    return NewPipeline(
        rates={str(r): float(v) for r, v in rates.items()},
        teams={r: str(teams.get(r, _NOBODY)) for r in rates},
        amounts=created["amount"].dropna().to_numpy(dtype=float),
    )


def stage_win_rates(snap: Snapshot) -> dict[str, float]:
    """Each open stage's historical win rate: of the deals closed by the snapshot that reached
    it (entered it or a later stage; won deals reached them all), the share won."""
    stages = snap.open_stages
    closed = snap.closed
    if not stages or closed.empty:
        return {}
    rank = {s: i for i, s in enumerate(stages)}
    history = snap.stages[snap.stages["opportunity_id"].isin(closed["opportunity_id"])]
    ranks = history["stage"].astype(str).map(rank)
    furthest = ranks.groupby(history["opportunity_id"]).max()
    reached = closed["opportunity_id"].map(furthest)
    reached = reached.fillna(closed["stage"].astype(str).map(rank))
    won = (closed["status"] == "won").to_numpy()
    reached = np.where(won, len(stages), reached.to_numpy(dtype=float))
    rates = {}
    for stage, i in rank.items():
        here = reached >= i
        if here.any():
            rates[stage] = float(won[here].mean())
    return rates


@dataclass(frozen=True)
class StageWeighted:
    """The CRM-style figure for the period: ``won`` so far plus ``weighted`` open pipeline
    (``total``), per rep and per team as well (their totals)."""

    won: float
    weighted: float
    reps: dict[str, float]
    teams: dict[str, float]
    rates: dict[str, float]

    @property
    def total(self) -> float:
        """Won so far plus the stage-weighted open pipeline."""
        return self.won + self.weighted


def stage_weighted(snap: Snapshot, period: Period) -> StageWeighted:
    """Won so far in ``period`` plus open amount x stage win rate for the open deals whose
    close date falls within it, as of the snapshot."""
    rates = stage_win_rates(snap)
    won = _won_between(snap, period.start, period.end)
    open_ = snap.open
    in_period = open_[
        (open_["close_date"] >= pd.Timestamp(period.start))
        & (open_["close_date"] <= pd.Timestamp(period.end))
    ]
    weighted = in_period["amount"].fillna(0) * in_period["stage"].astype(str).map(rates).fillna(
        0.0
    ).astype(float)
    value = pd.concat(
        [won[["owner_rep_id", "team_id"]].assign(v=won["amount"].fillna(0)),
         in_period[["owner_rep_id", "team_id"]].assign(v=weighted)],
        ignore_index=True,
    ).fillna({"owner_rep_id": _NOBODY, "team_id": _NOBODY})  # fmt: skip
    return StageWeighted(
        won=float(won["amount"].fillna(0).sum()),
        weighted=float(weighted.sum()),
        reps={str(k): float(v) for k, v in value.groupby("owner_rep_id")["v"].sum().items()},
        teams={str(k): float(v) for k, v in value.groupby("team_id")["v"].sum().items()},
        rates=rates,
    )
