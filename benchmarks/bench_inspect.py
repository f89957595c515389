"""Inspection against the simulator's truth: does `rightturn inspect` recover the planted cadence
adherence, and how long does it take?

    python benchmarks/bench_inspect.py [--reps 100] [--months 6] [--seed 5]

Simulates an org into a temporary folder, imports its CRM and captures its mail, calls and
meetings into a temporary SQLite database, derives the prospecting sequences and compares them
per rep with ``truth/sequences.csv`` (the touches each sequence really had, first included, and
whether the buyer replied). Prints the figures the README quotes; asserts nothing.
"""

from __future__ import annotations

import time

from captured_org import captured_org, org_arguments


def main() -> None:
    args = org_arguments(__doc__.splitlines()[0])

    import pandas as pd

    from rightturn.crm.scope import Scope
    from rightturn.process.conformance import deal_paths, summarize_paths
    from rightturn.process.inspect import inspect_process
    from rightturn.process.sequences import prospect_sequences

    with captured_org(args, "rt-inspect-") as (org, store, as_of):
        with store.session() as s:
            started = time.perf_counter()
            sequences = prospect_sequences(s, Scope.everything(), as_of=as_of)
            took = time.perf_counter() - started
        started = time.perf_counter()
        report = inspect_process(store, Scope.everything(), as_of=as_of).as_json()
        whole = time.perf_counter() - started
        started = time.perf_counter()
        version, process, paths = deal_paths(store, Scope.everything(), as_of=as_of)
        conformance = summarize_paths(store, version, process, paths, as_of=as_of)
        checked = time.perf_counter() - started

        truth = pd.read_csv(org / "truth" / "sequences.csv")
        truth["n"] = truth["touches"] + 1  # the truth counts the follow-ups; we count every touch
        found = pd.DataFrame(
            {
                "rep_id": [q.rep_id for q in sequences],
                "n": [len(q.touches) for q in sequences],
                "responded": [q.ended_by in ("buyer reply", "meeting booked") for q in sequences],
            }
        )
        per_rep = pd.DataFrame(
            {
                "truth": truth.groupby("rep_id")["n"].mean(),
                "found": found.groupby("rep_id")["n"].mean(),
            }
        ).dropna()
        rank = per_rep["truth"].corr(per_rep["found"], method="spearman")
        gap = (per_rep["truth"] - per_rep["found"]).abs().mean()
        print(f"sequences found {len(found):,} (truth {len(truth):,}) in {took:.2f} s; "
              f"the whole inspection {whole:.2f} s")  # fmt: skip
        print(f"touches per prospect by rep: Spearman {rank:.3f} against the truth, mean absolute "
              f"gap {gap:.3f} touches over {len(per_rep)} reps")  # fmt: skip
        print(f"replied share: truth {truth['replied'].mean():.3f}, found "
              f"{found['responded'].mean():.3f}")  # fmt: skip
        print(f"headline: planned {report['planned_touches_avg']:.2f}, done "
              f"{report['actual_touches_avg']:.2f}, abandoned before touch 3 "
              f"{report['abandoned_before_3_share']:.0%}")  # fmt: skip
        multi = pd.read_csv(org / "truth" / "opportunities.csv").set_index("opportunity_id")[
            "multithreaded"
        ]
        missed = pd.DataFrame(
            {
                "multithreaded": [multi.get(p.opportunity_id) for p in paths],
                "missed": [any("contacts engaged" in u for u in p.unmet) for p in paths],
                "far": [p.advances >= 4 for p in paths],
            }
        )
        rates = missed[missed["far"]].groupby("multithreaded")["missed"].mean()
        c, nan = conformance.overall, float("nan")
        sloppy = pd.read_csv(org / "truth" / "reps.csv").set_index("rep_id")
        off = (
            pd.DataFrame(
                {
                    "rep_id": [p.rep_id for p in paths],
                    "off": [bool(p.skipped or p.backward) for p in paths],
                }
            )
            .groupby("rep_id")["off"]
            .mean()
        )
        rep_rank = off.corr(sloppy["stage_sloppiness"].reindex(off.index), method="spearman")
        planted = pd.read_csv(org / "truth" / "opportunities.csv", keep_default_na=False)
        planted_n = int((planted["skipped_stage"] != "").sum() + planted["moved_back"].sum())
        print(f"deals against the stage model: {c.deals:,} deals in {checked:.2f} s; skipped "
              f"{c.skipped_share:.1%}, backward {c.backward_share:.1%} "
              f"({sum(bool(p.skipped or p.backward) for p in paths):,} deals off the model, "
              f"{planted_n:,} planted), fitness {c.fitness_avg or nan:.3f}; per rep, share off "
              f"the model against planted sloppiness: Spearman {rep_rank:.2f}; "
              f"'2 buyer contacts engaged' unmet on planted multi-threaded deals "
              f"{rates.get(1, nan):.0%}, on single-threaded {rates.get(0, nan):.0%}")  # fmt: skip


if __name__ == "__main__":
    main()
