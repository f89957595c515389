"""Association on every simulator style: orgs written by different hands.

Each style differs in what an association rule might lean on (product names in mail, thread
shapes, off-topic mail to deal contacts, several open deals per account, id formats); the same
engine must file deal activity precisely on all of them, and never leave deal activity silently
at account level. The figures on the full-size orgs are in the README (``rightturn simulate
--style NAME`` then ``rightturn evaluate association``).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from rightturn.associate.evaluate import Evaluation, evaluate_association
from rightturn.capture.org import org_sources
from rightturn.capture.pipeline import capture
from rightturn.crm.imports import import_crm
from rightturn.crm.store import Store
from rightturn.simulate import STYLES, simulate_org

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


# The README's orgs (20 reps x 12 months, seed 7): small orgs are too few deals for a precision
# target to mean anything (one odd thread moves it a point). Recall floors sit a little under what
# each style measures today (the 0.95 target is not met yet: ambiguous activity waits for a
# person); precision and the silent share hold the targets.
RECALL_FLOOR = {"classic": 0.92, "terse": 0.90, "chatty": 0.86, "multi-deal": 0.85}


@pytest.fixture(scope="module", params=sorted(STYLES))
def styled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    style = request.param
    folder = tmp_path_factory.mktemp(f"org-{style}") / "org"
    simulate_org(folder, seed=7, reps=20, months=12, end=date(2026, 6, 30), style=style)
    store = Store.open(f"sqlite:///{folder.parent / 'org.db'}")
    import_crm(store, folder / "crm")
    capture(store, org_sources(folder, "US"))
    return style, folder, evaluate_association(store, folder / "truth")


def test_every_style_files_deal_activity_precisely_and_never_silently_at_account_level(
    styled: tuple[str, Path, Evaluation],
) -> None:
    style, _, ev = styled
    opp = ev.scores["opportunity"]
    assert opp.precision is not None and opp.precision >= 0.98, (style, opp)
    assert opp.recall is not None and opp.recall >= RECALL_FLOOR[style], (style, opp)
    assert ev.silent_rate is not None and ev.silent_rate <= 0.02, (style, ev.deal_silent)
    assert ev.scores["account"].precision >= 0.99  # type: ignore[operator]


def test_each_style_writes_its_own_id_format(styled: tuple[str, Path, Evaluation]) -> None:
    style, folder, _ = styled
    with (folder / "crm" / "opportunities.csv").open(newline="") as f:
        ids = [row["opportunity_id"] for row in csv.DictReader(f)]
    pattern = {
        "classic": r"O\d{6}",
        "terse": r"006[0-9A-Za-z]{12}[A-Z0-5]{3}",
        "chatty": r"\d{11}",
        "multi-deal": r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
    }[STYLES[style].name]
    assert ids and all(re.fullmatch(pattern, i) for i in ids), ids[:3]
    assert len(set(ids)) == len(ids)


def test_styles_differ_in_how_often_deal_mail_names_the_product(tmp_path: Path) -> None:
    shares = {}
    for style in ("classic", "terse"):
        folder = tmp_path / style
        simulate_org(folder, seed=3, reps=2, months=2, end=date(2026, 6, 30), style=style)
        with (folder / "crm" / "opportunities.csv").open(newline="") as f:
            products = {r["opportunity_id"]: r["product"] for r in csv.DictReader(f)}
        text = "\n".join(p.read_text(encoding="utf-8") for p in (folder / "mail").glob("*.mbox"))
        subjects = re.findall(r"^Subject: (.*)$", text, re.MULTILINE)
        named = sum(any(p in s for p in set(products.values())) for s in subjects)
        shares[style] = named / len(subjects)
    assert shares["terse"] < shares["classic"] / 2, shares


def test_recall_and_review_by_style_for_the_record(styled: tuple[str, Path, Evaluation]) -> None:
    style, _, ev = styled
    opp = ev.scores["opportunity"]
    print(
        f"{style}: precision {opp.precision:.3f} recall {opp.recall:.3f} "
        f"deal review {ev.deal_review_rate:.3f} silent {ev.silent_rate:.3f}"
    )
    assert ev.deal_activities > 0
