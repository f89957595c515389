"""Why a deal scored what it did: its top positive and negative reasons, in plain words with the
deal's own numbers ('no buyer reply in 21 days', '3 buyer contacts engaged').

How a reason's weight is found depends on the model:

* :class:`~rightturn.forecast.models.ColdStart`: its own log-odds terms, exactly: the stage's
  prior against even odds, and each naive-Bayes field's log-likelihood ratio;
* any other model (:class:`~rightturn.forecast.models.Boosted`): the difference a feature makes,
  the deal's probability less its mean probability when the feature takes, in turn, the values
  of ``draws`` training deals (the rest of the deal unchanged): an interventional, one feature
  at a time cousin of SHAP, which would also split interactions between features. Features
  that only move together (the stage with its rank and norms; days in stage with their ratio
  to the norm; the owner's rate with their closed count; buyer messages with the reply rate)
  are swapped as one. A reason's weight is in probability points.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rightturn.forecast.features import FEATURES
from rightturn.forecast.models import ColdStart, Model, Trained

__all__ = ["Explained", "Reason", "explain", "words"]


@dataclass(frozen=True)
class Reason:
    """One feature's push on a score: ``effect`` > 0 raises it (log-odds for the cold start,
    probability points otherwise), ``words`` says it with the deal's numbers."""

    feature: str
    words: str
    effect: float


@dataclass(frozen=True)
class Explained:
    """A deal's probability with its strongest reasons each way, strongest first."""

    opportunity_id: str
    probability: float
    positive: tuple[Reason, ...]
    negative: tuple[Reason, ...]


def _n(value: float, one: str, many: str) -> str:
    n = round(value)
    return f"{n} {one if n == 1 else many}"


def _since_buyer(row: pd.Series) -> str:
    days = float(row["days_since_buyer"])
    if days > float(row["age_days"]):
        return f"no buyer reply in the deal's {row['age_days']:.0f} days"
    if days >= 7:
        return f"no buyer reply in {days:.0f} days"
    return f"the buyer was last heard from {days:.0f} days ago"


def _in_stage(row: pd.Series) -> str:
    return (
        f"{row['days_in_stage']:.0f} days in {row['stage']} (usually {row['stage_norm_days']:.0f})"
    )


_WORDS: dict[str, Callable[[pd.Series], str]] = {
    "stage": lambda r: f"in {r['stage']}",
    "stage_rank": lambda r: f"in {r['stage']}",
    "stages_left": lambda r: f"{_n(r['stages_left'], 'stage', 'stages')} still ahead",
    "days_in_stage": _in_stage,
    "stage_time_ratio": _in_stage,
    "age_days": lambda r: f"open {r['age_days']:.0f} days",
    "amount": lambda r: f"amount {r['amount']:,.0f}",
    "amount_change": lambda r: f"amount changed {r['amount_change']:+.0%} since it was first set",
    "close_pushes": lambda r: f"close date pushed {_n(r['close_pushes'], 'time', 'times')}",
    "days_to_close": lambda r: (
        f"close date {r['days_to_close']:.0f} days away"
        if r["days_to_close"] >= 0
        else f"close date passed {-r['days_to_close']:.0f} days ago"
    ),
    "backward_moves": lambda r: f"moved back {_n(r['backward_moves'], 'stage', 'stages')}",
    "stages_skipped": lambda r: f"skipped {_n(r['stages_skipped'], 'stage', 'stages')}",
    "buyer_messages": lambda r: f"{_n(r['buyer_messages'], 'buyer message', 'buyer messages')}",
    "buyer_messages_30d": lambda r: (
        f"{_n(r['buyer_messages_30d'], 'buyer message', 'buyer messages')} in the last 30 days"
    ),
    "days_since_buyer": _since_buyer,
    "rep_touches": lambda r: f"{_n(r['rep_touches'], 'touch', 'touches')} by the rep",
    "rep_touches_30d": lambda r: (
        f"{_n(r['rep_touches_30d'], 'touch', 'touches')} by the rep in the last 30 days"
    ),
    "days_since_touch": lambda r: f"last activity {r['days_since_touch']:.0f} days ago",
    "reply_rate": lambda r: (
        f"the buyer answered {r['buyer_messages']:.0f} of {r['rep_touches']:.0f} touches"
    ),
    "callbacks": lambda r: f"{_n(r['callbacks'], 'call', 'calls')} from the buyer",
    "contacts_engaged": lambda r: (
        f"{_n(r['contacts_engaged'], 'buyer contact', 'buyer contacts')} engaged"
    ),
    "meetings_held": lambda r: f"{_n(r['meetings_held'], 'meeting', 'meetings')} held",
    "longest_gap_days": lambda r: f"a silence of {r['longest_gap_days']:.0f} days",
    "owner_win_rate": lambda r: (
        f"the owner wins {r['owner_win_rate']:.0%} of deals "
        f"({r['owner_closed']:.0f} closed, shrunk to the org's rate)"
    ),
    "owner_closed": lambda r: f"the owner has closed {_n(r['owner_closed'], 'deal', 'deals')}",
    "stage_norm_days": lambda r: f"{r['stage']} usually takes {r['stage_norm_days']:.0f} days",
    "expected_days_left": lambda r: (
        f"about {r['expected_days_left']:.0f} days of usual stage time still ahead"
    ),
    "days_left_in_period": lambda r: (
        f"{r['days_left_in_period']:.0f} days left in the close date's quarter"
    ),
    "amount_changes": lambda r: f"amount changed {_n(r['amount_changes'], 'time', 'times')}",
    "segment": lambda r: f"{r['segment']} segment",
    "product": lambda r: f"product {r['product']}",
}


def words(feature: str, row: pd.Series) -> str:
    """``feature`` of the deal in ``row`` in plain words, with the deal's own numbers."""
    say = _WORDS.get(feature)
    if say is not None:
        return say(row)
    return f"{FEATURES.get(feature, feature)}: {row[feature]}"


def _cold_effects(model: ColdStart, frame: pd.DataFrame) -> pd.DataFrame:
    prior = np.clip(model.prior(frame), 1e-6, 1 - 1e-6)
    effects = model.terms(frame)
    effects.insert(0, "stage", np.log(prior / (1 - prior)))
    return effects


# Features that only move together (a stage comes with its rank, its norm and what lies ahead),
# swapped as one: a deal in Proposal with Prospecting's rank is no deal at all.
_TOGETHER = {
    "stage": ("stage", "stage_rank", "stages_left", "stage_norm_days", "expected_days_left"),
    "days_in_stage": ("days_in_stage", "stage_time_ratio"),
    "owner_win_rate": ("owner_win_rate", "owner_closed"),
    "buyer_messages": ("buyer_messages", "reply_rate"),
}
_GROUPS = {
    **{f: (f,) for f in FEATURES if not any(f in g for g in _TOGETHER.values())},
    **_TOGETHER,
}


def _delta_effects(
    model: Model, frame: pd.DataFrame, reference: pd.DataFrame, draws: int
) -> pd.DataFrame:
    """Each feature's difference: the probability less its mean over ``draws`` rows of
    ``reference`` lending the feature their value (the rest of the deal kept)."""
    p = model.predict_proba(frame)
    rng = np.random.default_rng(0)
    lenders = reference.iloc[rng.choice(len(reference), size=min(draws, len(reference)))]
    k = len(lenders)
    stacked = frame.loc[frame.index.repeat(k)].reset_index(drop=True)
    effects = {}
    for lead, columns in _GROUPS.items():
        moved = stacked.copy()
        for column in columns:
            moved[column] = np.tile(lenders[column].to_numpy(), len(frame))
        others = model.predict_proba(moved).reshape(len(frame), k).mean(axis=1)
        effects[lead] = p - others
    return pd.DataFrame(effects, index=frame.index)


def _distinct(reasons: Iterable[Reason]) -> list[Reason]:
    """The reasons with different words (stage and its rank say the same thing), first kept."""
    seen: set[str] = set()
    out = []
    for reason in reasons:
        if reason.words not in seen:
            seen.add(reason.words)
            out.append(reason)
    return out


def explain(
    trained: Trained | Model,
    frame: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    top: int = 3,
    floor: float = 0.005,
    draws: int = 20,
) -> list[Explained]:
    """Each deal in ``frame`` (indexed by ``opportunity_id``) with its ``top`` reasons each way;
    effects smaller than ``floor`` are no reason. For a model other than the cold start,
    ``draws`` rows of ``reference`` (the training rows; without it, ``frame``) lend their
    values (see the module's docstring)."""
    model = trained.model if isinstance(trained, Trained) else trained
    p = model.predict_proba(frame)
    if isinstance(model, ColdStart):
        effects = _cold_effects(model, frame)
    else:
        effects = _delta_effects(model, frame, frame if reference is None else reference, draws)
    out = []
    for i, (key, row) in enumerate(frame.iterrows()):
        mine = effects.iloc[i].sort_values()
        up = _distinct(
            Reason(f, words(f, row), float(e)) for f, e in mine[::-1].items() if e > floor
        )
        down = _distinct(Reason(f, words(f, row), float(e)) for f, e in mine.items() if e < -floor)
        deal = key[0] if isinstance(key, tuple) else key
        out.append(Explained(str(deal), float(p[i]), tuple(up[:top]), tuple(down[:top])))
    return out
