"""Deal scoring: the cold start's priors with no closed deal, the choice between models, the
boosted model's calibration on a simulated org (both backends), slip, and reasons that name the
deal's own numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.forecast.features import (
    FEATURES,
    Training,
    deal_features,
    outcomes,
    training_features,
)
from rightturn.forecast.metrics import auc, ece, reliability
from rightturn.forecast.models import Boosted, ColdStart, SlipRule, score, train, train_slip
from rightturn.forecast.reasons import explain
from rightturn.simulate import simulate_org

# The org imported and captured on SQLite and PostgreSQL: `org` is this module's (bigger) one.
from tests.process.test_inspect import org_url  # noqa: F401

END = date(2026, 6, 30)
CUTOFF = datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
SLIP_AT = datetime(2026, 4, 30, 23, 59, tzinfo=UTC)  # mid-quarter: its end is FINAL
FINAL = datetime(2026, 6, 30, 23, 59, tzinfo=UTC)
OPEN = ["Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation"]


def _frame(n: int, **columns: object) -> pd.DataFrame:
    """``n`` rows of ordinary values, ``columns`` overriding them."""
    base: dict[str, object] = {c: 0.0 for c in FEATURES}
    base.update(stage="Discovery", stage_rank=2.0, stages_left=2.0, segment="SMB",
                product="Atlas", age_days=30.0, days_since_buyer=5.0)  # fmt: skip
    frame = pd.DataFrame({c: [base[c]] * n for c in FEATURES})
    for column, values in columns.items():
        frame[column] = values
    frame.index = pd.Index([f"D{i}" for i in range(n)], name="opportunity_id")
    return frame


def _by_stage() -> pd.DataFrame:
    return _frame(
        len(OPEN),
        stage=OPEN,
        stage_rank=[float(i) for i in range(len(OPEN))],
        stages_left=[float(len(OPEN) - 1 - i) for i in range(len(OPEN))],
    )


def test_with_no_closed_deal_the_cold_start_follows_the_stage_order() -> None:
    empty = _frame(0)
    trained = train(empty, pd.Series([], dtype=bool))
    assert trained.kind == "cold start"
    assert trained.why == "0 won and 0 lost deals; boosting needs 50 won and 50 lost deals"
    p = score(trained, _by_stage())
    assert np.all(np.diff(p.to_numpy()) > 0), p
    assert p.iloc[0] > 0 and p.iloc[-1] < 1


def test_cold_start_learns_field_frequencies_with_laplace_smoothing() -> None:
    # Threaded deals (3 contacts) won 8 of 10; single-threaded ones 2 of 10.
    frame = _frame(20, contacts_engaged=[3.0] * 10 + [1.0] * 10)
    won = pd.Series([True] * 8 + [False] * 2 + [True] * 2 + [False] * 8, index=frame.index)
    model = ColdStart().fit(frame, won)
    terms = model.terms(frame)["contacts_engaged"]
    # (8 + 1) / (10 + 2) over (2 + 1) / (10 + 2), for two levels seen.
    assert terms.iloc[0] == pytest.approx(np.log(9 / 3))
    assert terms.iloc[-1] == pytest.approx(np.log(3 / 9))
    never = model.terms(_frame(1, contacts_engaged=[0.0]))["contacts_engaged"]
    assert never.iloc[0] == 0  # a level never seen says nothing
    p = score(model, frame)
    assert p.iloc[0] > p.iloc[-1]


def test_train_says_why_it_stays_cold_below_the_thresholds() -> None:
    frame = _frame(30, contacts_engaged=[float(i % 4) for i in range(30)])
    won = pd.Series([i % 3 == 0 for i in range(30)], index=frame.index)
    trained = train(frame, won, min_won=5, min_lost=50)
    assert trained.kind == "cold start"
    assert "10 won and 20 lost" in trained.why


def test_the_slip_rule_compares_stage_time_ahead_with_the_period_left() -> None:
    frame = _frame(3, expected_days_left=[10.0, 40.0, 90.0], days_left_in_period=[40.0] * 3)
    trained = train_slip(frame, pd.Series([False] * 3, index=frame.index))
    assert trained.kind == "rule" and isinstance(trained.model, SlipRule)
    p = score(trained, frame).to_numpy()
    assert p[0] < 0.5 and p[1] == pytest.approx(0.5) and p[2] > 0.9


def test_cold_start_reasons_name_the_deals_numbers() -> None:
    frame = _frame(20, contacts_engaged=[3.0] * 10 + [1.0] * 10,
                   days_since_buyer=[2.0] * 10 + [27.0] * 10)  # fmt: skip
    won = pd.Series([True] * 8 + [False] * 2 + [True] * 2 + [False] * 8, index=frame.index)
    explained = explain(ColdStart().fit(frame, won), frame)
    threaded, silent = explained[0], explained[-1]
    assert "3 buyer contacts engaged" in [r.words for r in threaded.positive]
    assert "no buyer reply in 27 days" in [r.words for r in silent.negative]
    assert "1 buyer contact engaged" in [r.words for r in silent.negative]
    assert all(r.effect > 0 for r in threaded.positive)


# --- on a simulated org ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 reps over 9 months: enough closed deals by the cut-off to boost."""
    root = tmp_path_factory.mktemp("forecast-org") / "org"
    simulate_org(root, seed=5, reps=16, months=9, end=END)
    return root


@pytest.fixture(scope="module")
def sets(org_url: str) -> tuple[Training, Training]:  # noqa: F811
    """Training rows (deals created by the cut-off, at five moments each) and test rows (deals
    closed after it, at a random moment after the cut-off)."""
    with Store.open(org_url) as store:
        everyone = Scope.everything()
        fit = training_features(
            store, everyone, until=CUTOFF, fractions=(0.2, 0.35, 0.5, 0.65, 0.8)
        )
        test = training_features(
            store, everyone, since=CUTOFF, until=FINAL, norms_at=CUTOFF, include_open=False
        ).labelled("won")
    later = test.frame.index.get_level_values("as_of") > pd.Timestamp(CUTOFF)
    return fit, Training(test.frame[later], test.won[later], test.slipped[later])


@pytest.mark.slow
def test_the_boosted_model_is_calibrated_on_deals_it_never_saw(
    sets: tuple[Training, Training],
) -> None:
    fit, test = sets[0].labelled("won"), sets[1]
    trained = train(fit.frame, fit.won, groups=fit.groups)
    assert trained.kind == "boosted", trained.why
    p = score(trained, test.frame)
    assert len(p) >= 150
    assert ece(test.won, p) <= 0.08
    assert abs(p.mean() - test.won.mean()) <= 0.05
    for row in reliability(test.won, p, bins=5):
        if row.n >= 30:  # each well-filled bin's observed rate holds its predicted mean
            assert row.observed_low - 0.05 <= row.mean_predicted <= row.observed_high + 0.05
    assert auc(test.won, p) >= 0.8


@pytest.mark.slow
def test_slip_is_learned_and_ranks_the_deals_that_slipped(
    org_url: str,  # noqa: F811
    sets: tuple[Training, Training],
) -> None:
    fit = sets[0].labelled("slipped")
    trained = train_slip(fit.frame, fit.slipped, groups=fit.groups, min_slipped=20, min_kept=20)
    assert trained.kind == "boosted", trained.why
    assert isinstance(trained.model, Boosted)
    # The deals open a month after the cut-off whose period ended by the end of the data.
    with Store.open(org_url) as store:
        now = deal_features(store, Scope.everything(), as_of=SLIP_AT)
        known = outcomes(store, Scope.everything(), now, as_of=SLIP_AT, known_at=FINAL)
    seen = known["slipped"].notna().to_numpy()
    slipped = known["slipped"][seen].astype(bool)
    assert slipped.sum() >= 10 and (~slipped).sum() >= 10
    assert auc(slipped, score(trained, now[seen])) >= 0.6  # 0.64 here: slip is the weak part


@pytest.mark.slow
def test_boosted_reasons_name_the_deals_own_numbers(
    org_url: str,  # noqa: F811
    sets: tuple[Training, Training],
) -> None:
    fit = sets[0].labelled("won")
    trained = train(fit.frame, fit.won, groups=fit.groups)
    with Store.open(org_url) as store:
        now = deal_features(store, Scope.everything(), as_of=CUTOFF).head(20)
    explained = explain(trained, now, reference=fit.frame)
    assert [e.opportunity_id for e in explained] == list(now.index)
    said = 0
    for e in explained:
        row = now.loc[e.opportunity_id]
        assert e.probability == pytest.approx(score(trained, now).loc[e.opportunity_id])
        # The deal's own figures, as the words round them (a rate as a percent).
        figures = {abs(round(float(row[c]) * k)) for c in FEATURES if c not in
                   ("stage", "segment", "product") for k in (1, 100)}  # fmt: skip
        for reason in (*e.positive, *e.negative):
            numbers = {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", reason.words)}
            named = any(row[c] in reason.words for c in ("stage", "segment", "product"))
            assert (numbers & figures) or (not numbers and named), reason
            said += bool(numbers)
    assert said >= 20
