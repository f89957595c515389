"""Plan against actual: recovered prospecting sequences against the simulator's truth, a
hand-made exit violation, and the ``rightturn inspect --json`` contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rightturn.capture.org import org_sources
from rightturn.capture.pipeline import capture
from rightturn.cli import app
from rightturn.crm.imports import import_crm
from rightturn.crm.model import Account, Activity, Contact, Opportunity, Rep
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.process.definition import default_process
from rightturn.process.inspect import check_sequences, inspect_by
from rightturn.process.sequences import prospect_sequences
from rightturn.simulate import simulate_org
from tests.conftest import pg_schema, pg_unavailable

END = date(2026, 6, 30)
AS_OF = datetime(2026, 6, 30, 23, 59, tzinfo=UTC)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inspect-org") / "org"
    simulate_org(root, seed=23, reps=12, months=3, end=END)
    return root


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def org_url(
    request: pytest.FixtureRequest, org: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The simulated org imported and captured, on SQLite and on PostgreSQL."""

    def load(url: str) -> None:
        with Store.open(url) as store:
            import_crm(store, org / "crm")
            capture(store, org_sources(org, "US"))

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('inspect-db') / 'org.db'}"
        load(url)
        yield url
        return
    problem = pg_unavailable()
    if problem:
        pytest.skip(problem)
    with pg_schema() as url:
        load(url)
        yield url


def _derived(url: str) -> pd.DataFrame:
    with Store.open(url) as store, store.session() as s:
        seqs = prospect_sequences(s, Scope.everything(), as_of=AS_OF)
    return pd.DataFrame(
        {
            "rep_id": [q.rep_id for q in seqs],
            "n": [len(q.touches) for q in seqs],
            "responded": [q.ended_by in ("buyer reply", "meeting booked") for q in seqs],
            "violations": [len(q.after_exit) for q in seqs],
        }
    )


def test_touches_per_prospect_track_the_truth(org: Path, org_url: str) -> None:
    truth = pd.read_csv(org / "truth" / "sequences.csv")
    truth["n"] = truth["touches"] + 1  # the truth counts follow-ups after the first message
    derived = _derived(org_url)
    # Nearly every planted sequence is found (some are dropped where the rep had a deal).
    assert 0.9 * len(truth) <= len(derived) <= 1.02 * len(truth)
    per_rep = pd.DataFrame(
        {
            "truth": truth.groupby("rep_id")["n"].mean(),
            "derived": derived.groupby("rep_id")["n"].mean(),
        }
    ).dropna()
    assert len(per_rep) == truth["rep_id"].nunique()
    # The reps' effort is recovered: same order, and close in value.
    assert per_rep["truth"].corr(per_rep["derived"], method="spearman") >= 0.9
    assert (per_rep["truth"] - per_rep["derived"]).abs().mean() <= 0.1
    assert abs(truth["n"].mean() - derived["n"].mean()) <= 0.1
    # The simulated reps stop at a reply, so they never break the exit rule.
    assert derived["violations"].sum() == 0


def test_replied_share_matches_the_truth(org: Path, org_url: str) -> None:
    truth = pd.read_csv(org / "truth" / "sequences.csv")
    derived = _derived(org_url)
    assert abs(truth["replied"].mean() - derived["responded"].mean()) <= 0.05


def test_rollups_agree_with_the_sequences(org_url: str) -> None:
    derived = _derived(org_url)
    with Store.open(org_url) as store:
        found = inspect_by(store, Scope.everything(), as_of=AS_OF)
    rep = found["rep"]
    assert rep.overall.sequences == len(derived)
    assert rep.overall.actual_touches_avg == pytest.approx(derived["n"].mean(), abs=1e-3)
    # The default cadence plans 8 touches: reps do fewer than planned, as in the seed.
    assert rep.overall.planned_touches_avg > rep.overall.actual_touches_avg
    means = derived.groupby("rep_id")["n"].mean()
    assert {r.key for r in rep.by} == set(means.index)
    for row in rep.by:
        assert row.actual_touches_avg == pytest.approx(means[row.key], abs=1e-3)
        assert row.name and row.name != row.key  # names, not ids
    assert rep.overall.rep_spread["std"] == pytest.approx(means.std(ddof=1), abs=1e-3)
    assert rep.overall.rep_spread["p10"] <= rep.overall.rep_spread["p90"]
    assert 0 <= rep.overall.abandoned_before_3_share <= 1
    assert sum(t.sequences for t in found["team"].by) == len(derived)
    assert sum(p.sequences for p in found["product"].by) == len(derived)


def test_inspect_json_contract(org_url: str) -> None:
    result = CliRunner().invoke(
        app, ["inspect", "--db", org_url, "--as-of", "2026-06-30", "--by", "team", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    for key in (
        "process_version",
        "planned_touches_avg",
        "actual_touches_avg",
        "abandoned_before_3_share",
        "by",
    ):
        assert key in body
    assert body["by"] and body["by_what"] == "team"
    for row in body["by"]:
        for key in ("key", "planned_touches_avg", "actual_touches_avg", "abandoned_before_3_share"):
            assert key in row
    table = CliRunner().invoke(app, ["inspect", "--db", org_url, "--as-of", "2026-06-30"])
    assert table.exit_code == 0, table.output
    bad = CliRunner().invoke(app, ["inspect", "--db", org_url, "--by", "colour"])
    assert bad.exit_code == 2 and "--by" in bad.output


def _act(s, n: int, when: datetime, direction: str, kind: str = "email") -> None:  # type: ignore[no-untyped-def]
    s.add(
        Activity(
            kind=kind,
            direction=direction,
            occurred_at=when,
            rep_id="R1",
            contact_id="C1",
            account_id="A1",
            source="test",
            source_id=f"m{n}",
        )
    )


def test_emailing_after_a_reply_counts_one_violation(store: Store) -> None:
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    day = timedelta(days=1)
    with store.session() as s:
        s.add(Rep(rep_id="R1", name="Rita Rep"))
        s.add(Account(account_id="A1", name="Acme"))
        s.add(Contact(contact_id="C1", account_id="A1", name="Carl Buyer"))
        s.flush()
        _act(s, 1, t0, "outbound")  # touch 1
        _act(s, 2, t0 + 2 * day, "outbound", "call")  # touch 2 (the plan's call)
        _act(s, 3, t0 + 3 * day, "inbound")  # the buyer replies: the sequence ends
        _act(s, 4, t0 + 3.2 * day, "outbound")  # the rep's answer: fine
        _act(s, 5, t0 + 6 * day, "outbound")  # the cadence carried on: a violation
        # Sixty quiet days later a new sequence starts; a deal at the account then ends it.
        _act(s, 6, t0 + 70 * day, "outbound")
        s.add(
            Opportunity(
                opportunity_id="O1", account_id="A1", owner_rep_id="R1", stage="Qualification",
                status="open", created_at=t0 + 72 * day,
            )
        )  # fmt: skip
        _act(s, 7, t0 + 75 * day, "outbound")  # deal work: no prospect touch
        s.commit()
    as_of = t0 + 90 * day
    with store.session() as s:
        seqs = prospect_sequences(s, Scope.everything(), as_of=as_of)
        checks = check_sequences(s, Scope.everything(), default_process(), as_of=as_of)
        assert prospect_sequences(s, Scope(frozenset({"R2"})), as_of=as_of) == []
    assert [len(q.touches) for q in seqs] == [2, 1]
    first, second = seqs
    assert [c for _, c in first.touches] == ["email", "call"]
    assert (first.ended_by, first.ended_at) == ("buyer reply", t0 + 3 * day)
    assert [when for when, _ in first.after_exit] == [t0 + 6 * day]
    assert (second.ended_by, second.ended_at) == ("opportunity", t0 + 72 * day)
    one = checks[0]
    assert one.violations == 1 and one.done == 2
    assert one.planned == default_process().cadence_for("prospect").planned_by(3.0)  # type: ignore[union-attr]
    assert one.channel_followed == 2 and one.on_time == 2


def test_the_process_in_force_is_the_one_inspected(store: Store) -> None:
    from rightturn.process.definition import FILES
    from rightturn.process.inspect import inspect_process
    from rightturn.process.versions import apply_process

    before = inspect_process(store, Scope.everything(), as_of=datetime.now(UTC))
    assert (before.process_version, before.as_json()["process_version"]) == (0, 0)
    applied = apply_process(store, FILES / "light-touch.yaml", who="test")
    after = inspect_process(store, Scope.everything(), as_of=datetime.now(UTC))
    assert after.process_version == applied.version >= 1
    assert after.process_name != before.process_name
