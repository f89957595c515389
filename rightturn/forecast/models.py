"""Win and slip probabilities from :mod:`rightturn.forecast.features` rows.

* :class:`ColdStart` works from the first day: a prior per stage (from the stage order alone
  with no closed deal; from the closed deals' outcomes at each stage, Laplace-smoothed toward
  that order, once there are some) plus naive-Bayes log-likelihood ratios of a few categorical
  fields (segment, product, and bands of engagement), Laplace-smoothed, as Odoo's predictive
  lead scoring does.
* :class:`Boosted`: scikit-learn's HistGradientBoostingClassifier, calibrated by isotonic
  regression with cross-validation (a deal's rows kept in one fold), so 70% means 70%.
* :func:`train` picks Boosted once ``min_won`` won and ``min_lost`` lost deals are there, else
  ColdStart, and says which and why. :func:`score` gives each deal's probability.

Slip (the deal not closing in its current period) uses the same :func:`train` on the
``slipped`` labels; with too few closed deals, :class:`SlipRule`: the stage norms ahead of the
deal against the days left in its period, P = logistic((expected days left - days left in
period) / :data:`SLIP_SCALE_DAYS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from rightturn.errors import ConfigError
from rightturn.forecast.features import CATEGORICAL, FEATURES

__all__ = [
    "SLIP_SCALE_DAYS",
    "Boosted",
    "ColdStart",
    "Model",
    "SlipRule",
    "Trained",
    "score",
    "train",
    "train_slip",
]

SLIP_SCALE_DAYS = 14.0


class Model(Protocol):
    """What :func:`score` and the reasons need of a fitted model."""

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray: ...


def _bands(frame: pd.DataFrame) -> pd.DataFrame:
    """The naive-Bayes fields: categorical ones as they are, counts cut into bands."""
    return pd.DataFrame(
        {
            "segment": frame["segment"].astype(str),
            "product": frame["product"].astype(str),
            "contacts_engaged": pd.cut(
                frame["contacts_engaged"], [-1, 0, 1, 2, np.inf], labels=["0", "1", "2", "3+"]
            ).astype(str),
            "meetings_held": np.where(frame["meetings_held"] > 0, "yes", "no"),
            "days_since_buyer": pd.cut(
                frame["days_since_buyer"],
                [-1, 14, 30, 60, np.inf],
                labels=["<14", "14-30", "30-60", "60+"],
            ).astype(str),
            "close_pushes": np.where(frame["close_pushes"] > 0, "pushed", "not pushed"),
        },
        index=frame.index,
    )


NB_FIELDS = ("segment", "product", "contacts_engaged", "meetings_held", "days_since_buyer",
             "close_pushes")  # fmt: skip


def _logit(p: np.ndarray | float) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def _order_prior(frame: pd.DataFrame) -> np.ndarray:
    """The k-th (from 0) of n open stages: (k + 1) / (n + 1)."""
    k = frame["stage_rank"].to_numpy(dtype=float)
    n = k + frame["stages_left"].to_numpy(dtype=float) + 1
    return (k + 1) / (n + 1)


class ColdStart:
    """Stage prior plus naive-Bayes field terms; with zero closed deals, the stage order's
    prior alone: the k-th of n open stages wins ``(k + 1) / (n + 1)`` of the time.

    ``alpha`` is the Laplace pseudo-count; ``prior_weight`` the pseudo-deals a stage's observed
    win rate is pulled toward the order's prior by.
    """

    def __init__(self, *, alpha: float = 1.0, prior_weight: float = 10.0) -> None:
        self.alpha = alpha
        self.prior_weight = prior_weight

    def fit(self, frame: pd.DataFrame, labels: pd.Series) -> ColdStart:
        y = np.asarray(labels, dtype=bool)
        order = _order_prior(frame)
        stages = frame["stage"].astype(str).to_numpy()
        self.stage_prior_: dict[str, float] = {}
        for stage in np.unique(stages):
            mine = stages == stage
            base = float(order[mine][0])
            wins = float(y[mine].sum())
            self.stage_prior_[stage] = (wins + self.prior_weight * base) / (
                mine.sum() + self.prior_weight
            )
        self.terms_: dict[str, dict[str, float]] = {}
        won, lost = y.sum(), (~y).sum()
        bands = _bands(frame)
        for fld in NB_FIELDS:
            values = bands[fld].to_numpy()
            levels = np.unique(values)
            k = len(levels)
            self.terms_[fld] = {
                v: math.log((((values == v) & y).sum() + self.alpha) / (won + self.alpha * k))
                - math.log((((values == v) & ~y).sum() + self.alpha) / (lost + self.alpha * k))
                for v in levels
            }
        return self

    def prior(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row's stage prior (the order's when the stage was not seen in training)."""
        order = _order_prior(frame)
        seen = frame["stage"].astype(str).map(self.stage_prior_).to_numpy(dtype=float)
        return np.where(np.isnan(seen), order, seen)

    def terms(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each row's log-odds term per naive-Bayes field (0 for a value not seen)."""
        bands = _bands(frame)
        return pd.DataFrame(
            {f: bands[f].map(self.terms_.get(f, {})).fillna(0.0) for f in NB_FIELDS},
            index=frame.index,
        )

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        logit = _logit(self.prior(frame)) + self.terms(frame).sum(axis=1).to_numpy()
        return 1 / (1 + np.exp(-logit))


def _matrix(frame: pd.DataFrame) -> pd.DataFrame:
    x = frame[list(FEATURES)].copy()
    for column in CATEGORICAL:
        x[column] = x[column].astype("category")
    return x


class Boosted:
    """HistGradientBoostingClassifier on every feature (stage, segment and product as
    categories), calibrated by ``method`` (isotonic) over ``folds`` group folds."""

    def __init__(
        self,
        *,
        method: str = "isotonic",
        folds: int = 5,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        seed: int = 0,
    ) -> None:
        self.method = method
        self.folds = folds
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.seed = seed

    def fit(
        self, frame: pd.DataFrame, labels: pd.Series, groups: pd.Series | None = None
    ) -> Boosted:
        x = _matrix(frame)
        self.categories_ = {c: list(x[c].cat.categories) for c in CATEGORICAL}
        y = np.asarray(labels, dtype=int)
        base = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            categorical_features="from_dtype",
            l2_regularization=1.0,
            random_state=self.seed,
        )
        g = np.arange(len(x)) if groups is None else pd.factorize(np.asarray(groups))[0]
        splits = list(GroupKFold(n_splits=self.folds).split(x, y, g))
        self.model_ = CalibratedClassifierCV(base, method=self.method, cv=splits).fit(x, y)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        x = _matrix(frame)
        for column, levels in self.categories_.items():
            x[column] = pd.Categorical(x[column].astype(str), categories=levels)
        return self.model_.predict_proba(x)[:, 1]


class SlipRule:
    """P(slip) with no closed deal to learn from: the stage norms still ahead of the deal
    against the days left in its period, on a logistic of ``scale`` days."""

    def __init__(self, *, scale: float = SLIP_SCALE_DAYS) -> None:
        self.scale = scale

    def fit(self, frame: pd.DataFrame, labels: pd.Series) -> SlipRule:
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        gap = frame["expected_days_left"] - frame["days_left_in_period"]
        return 1 / (1 + np.exp(-gap.to_numpy(dtype=float) / self.scale))


@dataclass
class Trained:
    """A fitted model, its kind (``boosted``, ``cold start`` or ``rule``) and why it was
    chosen, in words."""

    model: Model
    kind: str
    why: str


def _counts(labels: pd.Series, groups: pd.Series | None) -> tuple[int, int]:
    """Positive and negative deals (each deal once, however many rows it has)."""
    y = pd.Series(np.asarray(labels, dtype=bool), index=labels.index)
    if groups is not None:
        y = y.groupby(np.asarray(groups)).first()
    return int(y.sum()), int((~y).sum())


def _choose(
    frame: pd.DataFrame,
    labels: pd.Series,
    groups: pd.Series | None,
    need: tuple[int, int],
    words: tuple[str, str],
    fallback: tuple[ColdStart | SlipRule, str],
) -> Trained:
    """Boosted when the positive and negative deals reach ``need``, else the fallback; the
    reason in ``words`` (what a positive and a negative deal are)."""
    if min(need) < 0:
        raise ConfigError(f"the deals needed to boost must be 0 or more, got {need}")
    yes, no = _counts(labels, groups)
    counted = f"{yes} {words[0]} and {no} {words[1]}"
    if yes >= need[0] and no >= need[1]:
        model = Boosted().fit(frame, labels, groups)
        enough = f"at least {need[0]} {words[0]} and {need[1]} {words[1]}"
        return Trained(model, "boosted", f"{counted} ({enough})")
    model_, kind = fallback
    why = f"{counted}; boosting needs {need[0]} {words[0]} and {need[1]} {words[1]}"
    return Trained(model_.fit(frame, labels), kind, why)


def train(
    frame: pd.DataFrame,
    labels: pd.Series,
    *,
    groups: pd.Series | None = None,
    min_won: int = 50,
    min_lost: int = 50,
) -> Trained:
    """The win model: :class:`Boosted` with ``min_won`` won and ``min_lost`` lost deals (a
    deal counted once over its rows, by ``groups``), else :class:`ColdStart`."""
    words = ("won", "lost deals")
    return _choose(frame, labels, groups, (min_won, min_lost), words, (ColdStart(), "cold start"))


def train_slip(
    frame: pd.DataFrame,
    slipped: pd.Series,
    *,
    groups: pd.Series | None = None,
    min_slipped: int = 50,
    min_kept: int = 50,
) -> Trained:
    """The slip model: :class:`Boosted` on the ``slipped`` labels with ``min_slipped`` deals
    that slipped and ``min_kept`` that closed in their period, else :class:`SlipRule`."""
    words = ("slipped", "kept their period")
    return _choose(frame, slipped, groups, (min_slipped, min_kept), words, (SlipRule(), "rule"))


def score(trained: Trained | Model, frame: pd.DataFrame) -> pd.Series:
    """Each row's probability, indexed as ``frame``."""
    model = trained.model if isinstance(trained, Trained) else trained
    return pd.Series(model.predict_proba(frame), index=frame.index, name="probability")
