"""Pipeline analytics against independent computations: Maven's CSV, a simulated org's truth."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rightturn.analytics.flow import WATERFALL_BARS, waterfall
from rightturn.analytics.health import integrity, velocity
from rightturn.analytics.metrics import SHRINK, pipeline_metrics, rep_table
from rightturn.analytics.performers import pareto, whatif_change
from rightturn.analytics.report import metrics_report
from rightturn.analytics.snapshot import as_of_datetime, load_snapshot
from rightturn.cli import app
from rightturn.crm.deals import DEAL_FIELDS
from rightturn.crm.imports import import_crm, import_maven
from rightturn.crm.model import Account, Opportunity, Rep
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.simulate import simulate_org

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


END = date(2026, 6, 30)
CONTRACT = ("win_rate", "won", "lost", "open", "won_value", "avg_deal", "cycle_days_median")
REP_CONTRACT = (
    "rep_id",
    "name",
    "won",
    "lost",
    "win_rate",
    "won_value",
    "required_coverage",
    "coverage",
)


# --- Maven: the public data set, checked against pandas over its CSV ------------------------


@pytest.fixture(scope="module")
def maven(maven_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('maven') / 'm.db'}")
    import_maven(store, maven_dir)
    return store


def _maven_expected(maven_dir: Path) -> tuple[pd.DataFrame, float]:
    deals = pd.read_csv(maven_dir / "sales_pipeline.csv")
    closed = deals[deals["deal_stage"].isin(["Won", "Lost"])]
    per_agent = closed.groupby("sales_agent").agg(
        won=("deal_stage", lambda s: int((s == "Won").sum())),
        lost=("deal_stage", lambda s: int((s == "Lost").sum())),
    )
    per_agent["revenue"] = (
        closed[closed["deal_stage"] == "Won"].groupby("sales_agent")["close_value"].sum()
    )
    per_agent["win_rate"] = per_agent["won"] / (per_agent["won"] + per_agent["lost"])
    overall = (closed["deal_stage"] == "Won").mean()
    return per_agent, overall


def test_maven_win_rate_and_per_agent_figures_match_pandas(maven: Store, maven_dir: Path) -> None:
    expected, overall = _maven_expected(maven_dir)
    report = metrics_report(maven, sections=())
    assert round(overall, 3) == 0.632  # the figure the data set is known for
    assert report["win_rate"] == pytest.approx(overall, abs=1e-4)
    assert report["won"] == expected["won"].sum() and report["lost"] == expected["lost"].sum()
    assert report["won_value"] == pytest.approx(expected["revenue"].sum())
    reps = {r["name"]: r for r in report["reps"]}
    assert set(reps) == set(expected.index)
    for agent, row in expected.iterrows():
        got = reps[agent]
        assert (got["won"], got["lost"]) == (row["won"], row["lost"]), agent
        assert got["win_rate"] == pytest.approx(row["win_rate"], abs=1e-4), agent
        assert got["won_value"] == pytest.approx(row["revenue"]), agent


def test_maven_top20_share_matches_pandas(maven: Store, maven_dir: Path) -> None:
    expected, _ = _maven_expected(maven_dir)
    revenue = expected["revenue"].fillna(0).sort_values(ascending=False)
    top = revenue.iloc[: round(len(revenue) * 0.2)].sum() / revenue.sum()
    assert metrics_report(maven, sections=())["top20_revenue_share"] == pytest.approx(top, abs=1e-4)


def test_maven_by_product_sums_to_the_whole(maven: Store) -> None:
    report = metrics_report(maven, by="product", sections=())
    assert sum(g["won"] for g in report["groups"]) == report["won"]
    assert sum(g["won_value"] for g in report["groups"]) == pytest.approx(report["won_value"])


def test_maven_as_of_a_past_date_counts_only_what_had_closed(maven: Store, maven_dir: Path) -> None:
    deals = pd.read_csv(maven_dir / "sales_pipeline.csv", parse_dates=["close_date"])
    cut = pd.Timestamp("2017-06-30")
    closed = deals[deals["deal_stage"].isin(["Won", "Lost"]) & (deals["close_date"] <= cut)]
    report = metrics_report(maven, as_of=cut.date(), sections=())
    assert report["won"] == int((closed["deal_stage"] == "Won").sum())
    assert report["lost"] == int((closed["deal_stage"] == "Lost").sum())


# --- a simulated org: planted effects ----------------------------------------------------


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    root = tmp_path_factory.mktemp("analytics-org") / "org"
    simulate_org(root, seed=5, reps=20, months=12, end=END)
    store = Store.open(f"sqlite:///{root.parent / 'org.db'}")
    import_crm(store, root / "crm")
    return store, root


def _snapshot(store: Store, when: date = END, scope: Scope | None = None):  # type: ignore[no-untyped-def]
    with store.session() as s:
        return load_snapshot(s, scope or Scope.everything(), as_of_datetime(when))


def test_the_top_fifth_and_its_share_match_the_simulators_truth(org) -> None:  # type: ignore[no-untyped-def]
    store, root = org
    truth = pd.read_csv(root / "truth" / "reps.csv")
    with store.session() as s:
        result = pareto(s, _snapshot(store))
    assert set(result["top_rep_ids"]) == set(truth.loc[truth["is_top20"] == 1, "rep_id"])
    share = truth.loc[truth["is_top20"] == 1, "won_revenue"].sum() / truth["won_revenue"].sum()
    assert result["top20_revenue_share"] == pytest.approx(share, abs=1e-4)
    compared = {c["metric"]: c for c in result["comparison"]}
    # The planted effect: top reps win more often.
    assert compared["win_rate"]["top"] > compared["win_rate"]["rest"]
    uplift = result["whatif"]["win_rate"]
    assert uplift["revenue"] >= uplift["actual_revenue"]


def test_stalled_deals_are_the_ones_the_truth_marks_stalled(org) -> None:  # type: ignore[no-untyped-def]
    store, root = org
    truth = pd.read_csv(root / "truth" / "opportunities.csv").set_index("opportunity_id")
    with store.session() as s:
        snap = _snapshot(store)
        found = velocity(s, snap)["stalled"]
    flagged = {d["opportunity_id"] for d in found["deals"]}
    assert found["count"] == len(flagged) > 5
    open_ids = set(snap.open["opportunity_id"])
    base = truth.loc[list(open_ids), "stalled"].mean()
    precision = truth.loc[list(flagged), "stalled"].mean()
    # Stalled deals are several times likelier among the flagged than among all open deals.
    assert precision > 2 * base, (precision, base)


def test_waterfall_balances_and_lists_its_deals(org) -> None:  # type: ignore[no-untyped-def]
    store, _ = org
    with store.session() as s:
        result = waterfall(s, Scope.everything(), period="Q", as_of=date(2026, 5, 31))
    bars = {b["bar"]: b for b in result["bars"]}
    assert list(bars) == list(WATERFALL_BARS)
    assert result["balanced"]
    plus = sum(bars[b]["value"] for b in ("start", "created", "pulled_in", "increased"))
    minus = sum(bars[b]["value"] for b in ("won", "lost", "pushed_out", "decreased"))
    assert plus - minus == pytest.approx(bars["end"]["value"], abs=0.01)
    assert bars["start"]["deals"] > 0 and bars["won"]["deals"] > 0
    for bar in bars.values():
        assert len(bar["opportunity_ids"]) == bar["deals"] == len(bar["deal_values"])
        assert sum(bar["deal_values"]) == pytest.approx(bar["value"] or 0, abs=0.05)
        assert bar["deal_values"] == sorted(bar["deal_values"], reverse=True)
    # The end bar is exactly the open deals expected to close in the quarter on May 31st.
    snap = _snapshot(store, date(2026, 5, 31))
    in_q = snap.open[
        (snap.open["close_date"] >= "2026-04-01") & (snap.open["close_date"] <= "2026-06-30")
    ]
    assert set(bars["end"]["opportunity_ids"]) == set(in_q["opportunity_id"])
    assert bars["end"]["value"] == pytest.approx(in_q["amount"].sum())


def test_as_of_replays_stage_history_from_the_csv(org) -> None:  # type: ignore[no-untyped-def]
    store, root = org
    history = pd.read_csv(root / "crm" / "stage_history.csv")
    history["entered_at"] = pd.to_datetime(history["entered_at"], utc=True)
    cut = pd.Timestamp("2026-03-31T23:59:59.999999", tz="UTC")
    seen = history[history["entered_at"] <= cut].sort_values("entered_at")
    last = seen.groupby("opportunity_id")["stage"].last()
    snap = _snapshot(store, date(2026, 3, 31))
    assert int((last == "Closed Won").sum()) == int((snap.deals["status"] == "won").sum())
    assert int((last == "Closed Lost").sum()) == int((snap.deals["status"] == "lost").sum())
    open_stages = last[~last.isin(["Closed Won", "Closed Lost"])]
    got = snap.open.set_index("opportunity_id")["stage"]
    assert got.sort_index().to_dict() == open_stages.sort_index().to_dict()


def test_coverage_uses_each_reps_own_win_rate_shrunk_to_the_team(org) -> None:  # type: ignore[no-untyped-def]
    store, _ = org
    reps = rep_table(_snapshot(store))
    row = reps.iloc[0]
    closed = row["won"] + row["lost"]
    assert closed > 0
    # required coverage is 1 / the shrunk rate, which lies between the rep's and the team's.
    assert row["required_coverage"] == pytest.approx(1 / row["shrunk_win_rate"])
    team = reps[reps["team_id"] == row["team_id"]]
    team_rate = team["won"].sum() / (team["won"].sum() + team["lost"].sum())
    own = row["own_win_rate"]
    assert min(own, team_rate) - 1e-9 <= row["shrunk_win_rate"] <= max(own, team_rate) + 1e-9
    expected = (row["won"] + SHRINK * team_rate) / (closed + SHRINK)
    assert row["shrunk_win_rate"] == pytest.approx(expected, rel=1e-3)
    flagged = reps[reps["coverage_flag"] == "below need"]
    assert (flagged["coverage"] < flagged["required_coverage"]).all()


def test_integrity_flags_list_their_deals(org) -> None:  # type: ignore[no-untyped-def]
    store, _ = org
    with store.session() as s:
        snap = _snapshot(store)
        flags = integrity(s, snap)
    open_ids = set(snap.open["opportunity_id"])
    for name, flag in flags.items():
        ids = {d["opportunity_id"] for d in flag["deals"]}
        assert len(ids) == flag["count"] and ids <= open_ids, name
    past = {d["opportunity_id"] for d in flags["past_close_date"]["deals"]}
    expected = set(snap.open.loc[snap.open["close_date"] < pd.Timestamp(END), "opportunity_id"])
    assert past == expected
    assert flags["close_date_pushed"]["count"] > 0
    assert all(d["pushes"] >= 1 for d in flags["close_date_pushed"]["deals"])
    # Each deal named as every list of deals names it: the CRM's name, account and owner.
    with store.session() as s:
        crm = {
            oid: (name, account, owner)
            for oid, name, account, owner in s.execute(
                select(Opportunity.opportunity_id, Opportunity.name, Account.name, Rep.name)
                .join(Account, Account.account_id == Opportunity.account_id)
                .join(Rep, Rep.rep_id == Opportunity.owner_rep_id)
            )
        }
    for deal in flags["past_close_date"]["deals"]:
        assert set(DEAL_FIELDS) <= set(deal) and deal["status"] == "open"
        named = (deal["name"], deal["account"], deal["owner"])
        assert named == crm[deal["opportunity_id"]] and deal["rep"] == deal["owner"]


def test_littles_law_holds_roughly_on_a_steady_org(org) -> None:  # type: ignore[no-untyped-def]
    from rightturn.analytics.flow import flow

    law = flow(_snapshot(org[0]))["littles_law"]
    assert 0.7 < law["ratio"] < 1.4, law


def test_whatif_change_math() -> None:
    deals = pd.DataFrame(
        {
            "opportunity_id": ["a", "b", "c", "d"],
            "status": ["won", "lost", "lost", "open"],
            "amount": [1000.0, 500.0, 700.0, 300.0],
            "team_id": ["t", "t", "t", "t"],
        }
    )
    from rightturn.analytics.snapshot import Snapshot

    reps = pd.DataFrame({"rep_id": ["r"], "team_id": ["t"], "quota": [120_000.0]})
    snap = Snapshot(
        datetime(2026, 1, 1, tzinfo=UTC), deals, pd.DataFrame(), pd.DataFrame(), reps, []
    )
    out = whatif_change(snap, before=0.25, after=0.5)
    assert out["closed_deals"] == 3 and out["avg_deal"] == 1000
    assert out["revenue_gain"] == pytest.approx(3 * 0.25 * 1000)
    assert out["pipeline_no_longer_needed"] == pytest.approx(120_000 / 0.25 - 120_000 / 0.5)
    assert out["qualified_per_month_saved"] == pytest.approx(40 - 20)
    with pytest.raises(ValueError, match="below 1%"):
        whatif_change(snap, before=0, after=0.5)


def test_a_managers_metrics_cover_only_their_team(org) -> None:  # type: ignore[no-untyped-def]
    store, _ = org
    with store.session() as s:
        from sqlalchemy import select

        from rightturn.crm.model import Rep
        from rightturn.crm.scope import scope_for

        team = s.scalar(select(Rep.team_id).where(Rep.team_id.is_not(None)).limit(1))
        scope = scope_for(s, "manager", None, team)
    everyone = pipeline_metrics(_snapshot(store))
    mine = pipeline_metrics(_snapshot(store, scope=scope))
    assert {r["rep_id"] for r in mine["reps"]} <= set(scope.rep_ids or ())
    assert 0 < mine["won"] < everyone["won"]


# --- the command line contract -----------------------------------------------------------


def test_metrics_json_keeps_its_contract(org) -> None:  # type: ignore[no-untyped-def]
    store, _ = org
    result = CliRunner().invoke(
        app, ["metrics", "--db", store.url, "--as-of", END.isoformat(), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    for key in (*CONTRACT, "top20_revenue_share", "reps"):
        assert key in body, key
    assert body["win_rate"] == pytest.approx(body["won"] / (body["won"] + body["lost"]), abs=1e-4)
    for rep in body["reps"]:
        assert set(REP_CONTRACT) <= set(rep)
    for section in ("integrity", "velocity", "flow", "waterfall", "prospecting", "pareto"):
        assert section in body
    assert not any(isinstance(v, float) and math.isnan(v) for v in body.values()), (
        "JSON numbers are never NaN"
    )


def test_metrics_and_whatif_commands_render_and_refuse_bad_input(org) -> None:  # type: ignore[no-untyped-def]
    store, _ = org
    runner = CliRunner()
    shown = runner.invoke(
        app, ["metrics", "--db", store.url, "--by", "team"], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.output
    assert "Pipeline as of" in shown.output and "By team" in shown.output
    bad = runner.invoke(app, ["metrics", "--db", store.url, "--by", "planet"])
    assert bad.exit_code == 2 and "rep, team, product, segment" in bad.output
    what = runner.invoke(
        app, ["whatif", "--from", "0.33", "--to", "0.5", "--db", store.url], env={"COLUMNS": "200"}
    )
    assert what.exit_code == 0, what.output
    assert "pipeline needed" in what.output
    wrong = runner.invoke(app, ["whatif", "--from", "33", "--to", "50", "--db", store.url])
    assert wrong.exit_code == 2 and "between 0 and 1" in wrong.output


def test_the_cli_offers_every_section() -> None:
    from rightturn.analytics import report
    from rightturn.cli import analytics

    assert analytics.SECTIONS == report.SECTIONS


def test_every_section_copes_with_no_deals(tmp_path: Path, org) -> None:  # type: ignore[no-untyped-def]
    empty = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    report = metrics_report(empty)
    assert (report["won"], report["win_rate"], report["reps"]) == (0, None, [])
    assert report["velocity"]["stalled"]["count"] == 0 and report["flow"]["avg_wip"] == 0
    store, _ = org
    nobody = metrics_report(store, Scope(frozenset({"no-such-rep"})))
    assert nobody["won"] == 0 and nobody["integrity"]["past_close_date"]["count"] == 0
    before = metrics_report(store, as_of=date(2020, 1, 1))
    assert before["won"] == before["open"] == 0


def test_skips_and_backward_moves_count_between_open_stages_only(tmp_path: Path) -> None:
    from rightturn.analytics.snapshot import Snapshot

    t = pd.Timestamp("2026-01-01", tz="UTC")
    day = pd.Timedelta(days=1)
    history = [
        ("skip", "Prospecting", t),
        ("skip", "Proposal", t + day),  # over Qualification and Discovery
        ("back", "Prospecting", t),
        ("back", "Qualification", t + day),
        ("back", "Prospecting", t + 2 * day),
        ("plain", "Prospecting", t),
        ("plain", "Qualification", t + day),
        ("plain", "Discovery", t + 2 * day),  # passes the loss stage the order puts here
    ]
    order = ["Prospecting", "Qualification", "Closed Lost", "Discovery", "Proposal", "Closed Won"]
    stages = pd.DataFrame(history, columns=["opportunity_id", "stage", "entered_at"])
    stages["rank"] = stages["stage"].map({s: i for i, s in enumerate(order)}).astype(float)
    deals = pd.DataFrame(
        {
            "opportunity_id": ["skip", "back", "plain"],
            "account_id": "a",
            "owner_rep_id": "r",
            "rep": "R",
            "stage": ["Proposal", "Prospecting", "Discovery"],
            "status": "open",
            "amount": [1.0, 2.0, 3.0],
            "close_date": pd.Timestamp("2026-12-31"),
        }
    )
    changes = pd.DataFrame(columns=["opportunity_id", "field", "old_value", "new_value"])
    snap = Snapshot(t + 3 * day, deals, stages, changes, pd.DataFrame(), order)
    snap.memo[("responded", 14)] = set()
    snap.memo["contacts_per_deal"] = pd.Series({"skip": 2.0, "back": 2.0, "plain": 2.0})
    with Store.open(f"sqlite:///{tmp_path / 'names.db'}") as store, store.session() as s:
        flags = integrity(s, snap)  # names from an empty store: none
    assert [d["opportunity_id"] for d in flags["skipped_stages"]["deals"]] == ["skip"]
    assert flags["skipped_stages"]["deals"][0]["skips"] == 1
    assert [d["opportunity_id"] for d in flags["moved_backwards"]["deals"]] == ["back"]
    assert flags["single_contact"]["count"] == 0


def test_a_reps_required_coverage_is_the_same_whoever_looks(org) -> None:  # type: ignore[no-untyped-def]
    store, _ = org
    admin = {r["rep_id"]: r for r in metrics_report(store, as_of=END, sections=())["reps"]}
    rep_id = next(iter(admin))
    with store.session() as s:
        from rightturn.crm.scope import scope_for

        own = scope_for(s, "rep", rep_id, None)
    mine = metrics_report(store, own, as_of=END, sections=())["reps"]
    assert [r["rep_id"] for r in mine] == [rep_id]
    for key in ("shrunk_win_rate", "required_coverage", "coverage_flag"):
        assert mine[0][key] == admin[rep_id][key], key
