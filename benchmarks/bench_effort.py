"""Return-on-Effort against the simulator's truth: are the planted practice effects recovered,
the templates found, the top reps ranked on top, and how long does it take?

    python benchmarks/bench_effort.py [--reps 100] [--months 6] [--seed 5]

Simulates an org, imports its CRM and captures its mail, calls and meetings into a temporary
SQLite database, reads every touch with its practice and outcome, and compares with the truth
files (the planted reply rates of brief and verbose mail, the template each email came from,
each rep's planted top-fifth flag). Prints the figures the README quotes; asserts nothing.
"""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict

from captured_org import captured_org, org_arguments


def main() -> None:
    args = org_arguments(__doc__.splitlines()[0])

    import pandas as pd
    from sqlalchemy import select

    from rightturn.crm.model import Activity
    from rightturn.crm.scope import Scope
    from rightturn.effort.coach import team_scorecards
    from rightturn.effort.rates import practice_rates, window_over
    from rightturn.effort.touches import read_touches
    from rightturn.simulate.activity import REPLY_BASE

    with captured_org(args, "rt-effort-") as (org, store, until):
        started = time.perf_counter()
        with store.session() as s:
            touches = read_touches(s, Scope.everything(), since=None, until=until)
            source = dict(
                s.execute(select(Activity.activity_id, Activity.source_id)).tuples().all()
            )
        took = time.perf_counter() - started
        print(f"touches read with practice and outcome: {len(touches):,} in {took:.1f} s "
              f"({len(touches) / took:,.0f}/s)")  # fmt: skip

        with (org / "truth" / "activities.csv").open(newline="", encoding="utf-8") as f:
            truth = {r["source_id"]: r for r in csv.DictReader(f)}
        kept = window_over(touches, until)
        emails = [t for t in kept if t.channel == "email" and t.focus]
        for r in practice_rates(emails, "focus"):
            planted = REPLY_BASE["brief" if r.value == "issue" else "verbose"]
            print(f"  {r.value:8} {r.rate:.1%} ({r.ci_low:.1%}-{r.ci_high:.1%}, n={r.touches:,}); "
                  f"planted {planted:.0%}; within rep vs the rest "
                  f"{(r.vs_rest_within_rep or 0) * 100:+.1f} points")  # fmt: skip
        agree = sum(
            (t.focus == "issue") == (truth.get(source[t.activity_id], {}).get("style") == "brief")
            for t in emails
        )
        print(f"focus against the simulator's style: {agree / len(emails):.1%} agree")

        clusters: dict[str, Counter[str]] = defaultdict(Counter)
        for t in emails:
            planted_template = truth.get(source[t.activity_id], {}).get("template")
            if planted_template:
                clusters[t.template or "(one-off)"][planted_template] += 1
        named = {k: c for k, c in clusters.items() if k != "(one-off)"}
        total = sum(sum(c.values()) for c in named.values())
        pure = sum(c.most_common(1)[0][1] for c in named.values())
        print(f"templates found: {len(named)} (the simulator has "
              f"{len({k for c in named.values() for k in c})}), purity {pure / total:.3f}, "
              f"one-offs {sum(clusters['(one-off)'].values()):,}")  # fmt: skip

        rates = pd.Series({r.value: r.rate for r in practice_rates(kept, "rep")})
        reps = pd.read_csv(org / "truth" / "reps.csv", dtype={"rep_id": str})
        reps = reps.set_index("rep_id").reindex(rates.index)
        rank = rates.rank(ascending=False)
        top = reps.index[reps["is_top20"] == 1]
        print(f"reps by response rate: the planted top fifth's mean rank {rank[top].mean():.1f} "
              f"of {len(rates)}; Spearman with planted brief share "
              f"{rates.corr(reps['brief_share'], method='spearman'):.2f}, with skill "
              f"{rates.corr(reps['skill'], method='spearman'):.2f}")  # fmt: skip

        started = time.perf_counter()
        active = sorted({t.rep_id for t in touches})
        cards = team_scorecards(store, active, scope=Scope.everything(), since=None, until=until)
        took = time.perf_counter() - started
        firsts = Counter(c.gaps[0].key for c in cards if not c.in_top_group and c.gaps)
        print(f"scorecards: {len(cards)} reps in {took:.1f} s; first focus of reps outside the "
              f"top group: {dict(firsts)}")  # fmt: skip


if __name__ == "__main__":
    main()
