"""Practices and buyer responses read from captured activity, against the simulator's truth on
every simulator style: replies found exactly, templates found from text, and the planted effect
of brief issue-focused mail (a 20% reply rate against 8% for verbose product mail) recovered
within its interval."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from rightturn.capture.org import org_sources
from rightturn.capture.pipeline import capture
from rightturn.crm.imports import import_crm
from rightturn.crm.model import Activity
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.effort.rates import practice_rates, window_over
from rightturn.effort.touches import Touch, read_touches
from rightturn.simulate import STYLES, simulate_org
from rightturn.simulate.activity import REPLY_BASE

END = date(2026, 6, 30)
UNTIL = datetime(2026, 6, 30, 23, 59, tzinfo=UTC)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=sorted(STYLES))
def styled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[Touch], dict[int, dict[str, str]], dict[int, set[str]], Path]:
    """Each style's org (12 reps x 5 months): its touches, each touch's truth row, and the
    truth's responses to each touch (their buyer actions; a plain answer is a reply), and the
    org's folder (its database is org.db beside it)."""
    style = request.param
    folder = tmp_path_factory.mktemp(f"effort-{style}") / "org"
    simulate_org(folder, seed=11, reps=12, months=5, end=END, style=style)
    with Store.open(f"sqlite:///{folder.parent / 'org.db'}") as store:
        import_crm(store, folder / "crm")
        capture(store, org_sources(folder, "US"))
        with store.session() as s:
            touches = read_touches(s, Scope.everything(), since=None, until=UNTIL)
            ids = select(Activity.activity_id, Activity.source_id)
            source = dict(s.execute(ids).tuples().all())
    with (folder / "truth" / "activities.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_source = {r["source_id"]: r for r in rows}
    truth = {t.activity_id: by_source.get(source[t.activity_id], {}) for t in touches}
    actions: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r["responds_to"]:
            actions[r["responds_to"]].add(r["buyer_action"] or "reply")
    answered = {t.activity_id: actions.get(source[t.activity_id], set()) for t in touches}
    return style, touches, truth, answered, folder


def test_replies_are_found_exactly(styled) -> None:  # type: ignore[no-untyped-def]
    style, touches, _, answered, _ = styled
    ours = {t.activity_id for t in touches if t.response == "reply"}
    theirs = {a for a, found in answered.items() if "reply" in found}
    assert theirs, style
    found = len(ours & theirs)
    assert found / len(ours) >= 0.99, (style, len(ours - theirs))  # precision
    assert found / len(theirs) >= 0.97, (style, len(theirs - ours))  # recall


def test_call_backs_answer_the_reps_call(styled) -> None:  # type: ignore[no-untyped-def]
    style, touches, _, answered, _ = styled
    ours = {t.activity_id for t in touches if t.response == "call back"}
    theirs = {a for a, found in answered.items() if "call_back" in found}
    assert ours <= {t.activity_id for t in touches if t.channel == "call"}
    assert len(ours & theirs) >= 0.9 * len(theirs), style


def test_templates_are_found_from_the_text(styled) -> None:  # type: ignore[no-untyped-def]
    """Each template the simulator wrote from is one cluster (purity), found for nearly every
    email that used it."""
    style, touches, truth, _, _ = styled
    clusters: dict[str, Counter[str]] = defaultdict(Counter)
    used = [t for t in touches if t.channel == "email" and truth[t.activity_id].get("template")]
    for t in used:
        clusters[t.template or "(one-off)"][truth[t.activity_id]["template"]] += 1
    named = {k: c for k, c in clusters.items() if k != "(one-off)"}
    pure = sum(c.most_common(1)[0][1] for c in named.values())
    assert pure / sum(sum(c.values()) for c in named.values()) >= 0.98, style
    assert sum(clusters["(one-off)"].values()) <= 0.03 * len(used), style


def test_the_planted_brief_mail_effect_is_recovered(styled) -> None:  # type: ignore[no-untyped-def]
    """The simulator answers brief issue-focused mail 20% of the time and verbose product mail
    8% (REPLY_BASE): each lies within the interval of the rate measured by focus."""
    style, touches, truth, _, _ = styled
    emails = [t for t in window_over(touches, UNTIL) if t.channel == "email" and t.focus]
    agree = sum(
        (t.focus == "issue") == (truth[t.activity_id].get("style") == "brief") for t in emails
    )
    assert agree / len(emails) >= 0.97, style  # the classifier reads the simulator's mail
    rates = {r.value: r for r in practice_rates(emails, "focus")}
    for focus, style_name in (("issue", "brief"), ("product", "verbose")):
        r, planted = rates[focus], REPLY_BASE[style_name]
        assert r.ci_low - 0.01 <= planted <= r.ci_high + 0.01, (style, focus, r)
    assert rates["issue"].ci_low > rates["product"].ci_high, style


def test_no_touch_of_the_window_end_is_counted(styled) -> None:  # type: ignore[no-untyped-def]
    _, touches, _, _, _ = styled
    kept = window_over(touches, UNTIL)
    assert kept and max(t.at for t in kept) <= datetime(2026, 6, 16, 23, 59, tzinfo=UTC)
    assert len(kept) < len(touches)


def test_reps_rank_by_response_rate_as_the_truth_ranks_their_skill(styled) -> None:  # type: ignore[no-untyped-def]
    """The planted top reps (the top fifth by won revenue) rank in the top half by response
    rate, and the reps' rates follow the planted habit that earns answers (their share of brief
    mail). 12 reps x 5 months is a small team: the floor allows for its noise."""
    import pandas as pd

    style, touches, _, _, folder = styled
    rates = pd.Series({r.value: r.rate for r in practice_rates(window_over(touches, UNTIL), "rep")})
    truth = pd.read_csv(folder / "truth" / "reps.csv", dtype={"rep_id": str}).set_index("rep_id")
    truth = truth[truth.index.isin(rates.index)]
    assert len(truth) == len(rates), style
    brief = truth["brief_share"].reindex(rates.index)
    assert rates.corr(brief, method="spearman") >= 0.4, style
    rank = rates.rank(ascending=False)
    top = truth.index[truth["is_top20"] == 1]
    assert rank[top].mean() <= len(rates) / 2, (style, rank[top].tolist())


def test_a_weak_reps_scorecard_points_at_the_planted_practice(styled) -> None:  # type: ignore[no-untyped-def]
    """For the rep with the least planted skill the first focus is brief or issue-focused mail
    (the practice the simulator rewards), with a clear within-rep effect and a gain; the shares
    are the rep's own."""
    import pandas as pd

    from rightturn.effort.coach import scorecard

    style, touches, _, _, folder = styled
    truth = pd.read_csv(folder / "truth" / "reps.csv", dtype={"rep_id": str}).set_index("rep_id")
    weakest = truth[truth.index.isin({t.rep_id for t in touches})]["skill"].idxmin()
    with Store.open(f"sqlite:///{folder.parent / 'org.db'}") as store:
        card = scorecard(store, weakest, scope=Scope.everything(), since=None, until=UNTIL)
    first = card.gaps[0]
    assert first.key in ("brief", "issue"), (style, [g.key for g in card.gaps])
    assert first.clear and first.gain_per_100 is not None and first.gain_per_100 > 0
    assert first.top.share is not None and first.rep.share is not None
    assert first.top.share > first.rep.share
    mine = [t for t in window_over(touches, UNTIL) if t.rep_id == weakest and t.words is not None]
    assert first.rep.n == len(mine)
    assert card.result.touches == sum(t.rep_id == weakest for t in window_over(touches, UNTIL))
    assert str(first.rep.n) in first.sentence
    assert not card.in_top_group and card.top_result.rate > card.result.rate  # type: ignore[operator]


def test_the_commands_json_contracts(styled) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from rightturn.cli import app

    style, touches, _, _, folder = styled
    db = f"sqlite:///{folder.parent / 'org.db'}"
    runner = CliRunner()
    out = runner.invoke(app, ["effort", "--by", "step", "--db", db, "--until", "2026-06-30",
                              "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {"value", "touches", "responses", "rate", "ci_low", "ci_high"} <= set(rows[0])
    assert sum(r["touches"] for r in rows) == len(window_over(touches, UNTIL))
    rep = touches[0].rep_id
    card = runner.invoke(app, ["coach", "--rep", rep, "--db", db, "--until", "2026-06-30",
                               "--json"])  # fmt: skip
    assert card.exit_code == 0, card.output
    found = json.loads(card.output)
    assert found["rep_id"] == rep and found["name"] != rep
    assert {"result", "team_result", "top_result", "gaps", "in_top_group"} <= set(found)
    assert {"key", "rep", "top", "effect", "gain_per_100", "sentence"} <= set(found["gaps"][0])
    bad = runner.invoke(app, ["effort", "--by", "colour", "--db", db])
    assert bad.exit_code == 2 and "channel, step, template" in bad.output, style
