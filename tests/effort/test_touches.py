"""Practices and buyer responses read from captured activity, against the simulator's truth on
every simulator style: replies found exactly, templates found from text, and the planted effect
of brief issue-focused mail (a 20% reply rate against 8% for verbose product mail) recovered
within its interval."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

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
) -> tuple[str, list[Touch], dict[int, dict[str, str]], dict[int, set[str]]]:
    """Each style's org (12 reps x 5 months): its touches, each touch's truth row, and the
    truth's responses to each touch (their buyer actions; a plain answer is a reply)."""
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
    return style, touches, truth, answered


def test_replies_are_found_exactly(styled) -> None:  # type: ignore[no-untyped-def]
    style, touches, _, answered = styled
    ours = {t.activity_id for t in touches if t.response == "reply"}
    theirs = {a for a, found in answered.items() if "reply" in found}
    assert theirs, style
    found = len(ours & theirs)
    assert found / len(ours) >= 0.99, (style, len(ours - theirs))  # precision
    assert found / len(theirs) >= 0.97, (style, len(theirs - ours))  # recall


def test_call_backs_answer_the_reps_call(styled) -> None:  # type: ignore[no-untyped-def]
    style, touches, _, answered = styled
    ours = {t.activity_id for t in touches if t.response == "call back"}
    theirs = {a for a, found in answered.items() if "call_back" in found}
    assert ours <= {t.activity_id for t in touches if t.channel == "call"}
    assert len(ours & theirs) >= 0.9 * len(theirs), style


def test_templates_are_found_from_the_text(styled) -> None:  # type: ignore[no-untyped-def]
    """Each template the simulator wrote from is one cluster (purity), found for nearly every
    email that used it."""
    style, touches, truth, _ = styled
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
    style, touches, truth, _ = styled
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
    _, touches, _, _ = styled
    kept = window_over(touches, UNTIL)
    assert kept and max(t.at for t in kept) <= datetime(2026, 6, 16, 23, 59, tzinfo=UTC)
    assert len(kept) < len(touches)
