"""Deal scoring against outcomes on a simulated org: train on the deals closed before a cut-off,
score the deals closed after it at two thirds of their life, and print AUC, Brier and ECE for
the boosted model, the cold start and two stage-only baselines; then the slip model's on the
deals open a month after the cut-off whose quarter is over by the end of the data.

    .venv/bin/python benchmarks/bench_forecast.py [--reps 40] [--months 12] [--style classic]

Prints figures; asserts nothing. Deals still open at the end are left out of the test (their
outcome is unknown), which leaves out the longest deals.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from rightturn.analytics.snapshot import Snapshot, load_snapshot
from rightturn.capture.org import org_sources
from rightturn.capture.pipeline import capture
from rightturn.crm.imports import import_crm
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.forecast.features import deal_features, outcomes, training_features
from rightturn.forecast.metrics import auc, brier, ece
from rightturn.forecast.models import ColdStart, score, train, train_slip
from rightturn.forecast.period import stage_win_rates
from rightturn.simulate import simulate_org

END = date(2026, 6, 30)


def _line(name: str, y: pd.Series, p: pd.Series) -> str:
    a, b, e = auc(y, p), brier(y, p), ece(y, p)
    return f"{name:<12} AUC {a:.3f}  Brier {b:.4f}  ECE {e:.3f}"


def measure(url: str, cutoff: datetime, end: datetime) -> None:
    """Train at ``cutoff``; test win on deals closed after it, each seen at 2/3 of its life,
    and slip on the deals open a month after it whose quarter ended by ``end``."""
    everyone = Scope.everything()
    slip_at = cutoff + timedelta(days=30)
    with Store.open(url) as store:
        t0 = time.perf_counter()
        rows = training_features(
            store, everyone, until=cutoff, fractions=(0.2, 0.35, 0.5, 0.65, 0.8)
        )
        test = training_features(
            store, everyone, since=cutoff, until=end, fractions=(2 / 3,), norms_at=cutoff,
            include_open=False,
        ).labelled("won")  # fmt: skip
        seconds = time.perf_counter() - t0
        now = deal_features(store, everyone, as_of=slip_at)
        known = outcomes(store, everyone, now, as_of=slip_at, known_at=end)
        crm_rates = stage_win_rates(load_snapshot_at(store, cutoff))
    keep = test.frame.index.get_level_values("as_of") > pd.Timestamp(cutoff)
    x, y = test.frame[keep], test.won[keep]
    tr = rows.labelled("won")
    print(f"features: {len(rows.frame)} training rows, {len(x)} test deals in {seconds:.1f}s")
    print(f"training win rate {tr.won.mean():.3f}; test win rate {y.mean():.3f}")
    boosted = train(tr.frame, tr.won, groups=tr.groups)
    cold = ColdStart().fit(tr.frame, tr.won)
    at_stage = tr.won.groupby(tr.frame["stage"].to_numpy()).mean()
    baseline = x["stage"].map(at_stage).fillna(tr.won.mean()).astype(float)
    crm = x["stage"].map(crm_rates).fillna(tr.won.mean()).astype(float)
    print(f"model chosen: {boosted.kind} ({boosted.why})")
    p = score(boosted, x)
    print(_line("boosted", y, p))
    print(_line("cold start", y, score(cold, x)))
    print(_line("stage now", y, baseline) + "   (win rate of training rows in the stage)")
    print(_line("stage CRM", y, crm) + "   (win rate of deals that reached the stage)")
    for name, base in (("stage now", baseline), ("stage CRM", crm)):
        b_model, b_base = brier(y, p), brier(y, base)
        if b_model is not None and b_base:
            print(f"Brier better than {name} by {1 - b_model / b_base:.1%}")
    # The same model on an ordinary day's pipeline: every deal open then whose end is known.
    done = known["won"].notna().to_numpy()
    day_won = known["won"][done].astype(bool)
    print(f"open on {slip_at:%Y-%m-%d} and closed by the end: {done.sum()} of {len(done)} deals")
    print(_line("boosted", day_won, score(boosted, now[done])))
    sl = rows.labelled("slipped")
    slip = train_slip(sl.frame, sl.slipped, groups=sl.groups)
    seen = known["slipped"].notna().to_numpy()
    slipped = known["slipped"][seen].astype(bool)
    print(f"slip model: {slip.kind} ({slip.why})")
    print(f"slip test: {seen.sum()} deals open on {slip_at:%Y-%m-%d}, {slipped.mean():.3f} slipped")
    print(_line("slip", slipped, score(slip, now[seen])))


def load_snapshot_at(store: Store, when: datetime) -> Snapshot:
    with store.session() as s:
        return load_snapshot(s, Scope.everything(), when)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--style", default="classic")
    parser.add_argument("--cutoff-months", type=int, default=4, help="months before the end")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "org"
        t0 = time.perf_counter()
        simulate_org(root, seed=args.seed, reps=args.reps, months=args.months, end=END,
                     style=args.style)  # fmt: skip
        url = f"sqlite:///{Path(tmp) / 'org.db'}"
        with Store.open(url) as store:
            import_crm(store, root / "crm")
            capture(store, org_sources(root, "US"))
        print(f"{args.reps} reps x {args.months} months, style {args.style}, seed {args.seed}: "
              f"built in {time.perf_counter() - t0:.0f}s")  # fmt: skip
        end = datetime.combine(END, datetime.max.time(), tzinfo=UTC)
        measure(url, end - timedelta(days=30 * args.cutoff_months), end)


if __name__ == "__main__":
    main()
