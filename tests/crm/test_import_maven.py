"""The Maven CRM sample: expectations are computed here from the CSV, not from our code."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rightturn.crm.imports import import_maven
from rightturn.crm.model import Account, Opportunity, Product, Rep, StageChange
from rightturn.crm.store import Store
from rightturn.crm.summary import org_summary

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow


def pipeline(folder: Path) -> list[dict[str, str]]:
    with (folder / "sales_pipeline.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_maven_import_gives_the_published_counts_and_win_rate(
    store: Store, maven_dir: Path
) -> None:
    report = import_maven(store, maven_dir)
    assert report.totals.rejected == 0
    rows = pipeline(maven_dir)
    stages = Counter(r["deal_stage"] for r in rows)
    summary = org_summary(store)
    assert summary.opportunities == len(rows) == 8800
    assert summary.reps == 35
    assert summary.accounts == 85
    assert (summary.won, summary.lost) == (stages["Won"], stages["Lost"])
    expected = stages["Won"] / (stages["Won"] + stages["Lost"])
    assert summary.win_rate is not None
    assert round(summary.win_rate, 3) == round(expected, 3) == 0.632
    won_value = sum(Decimal(r["close_value"]) for r in rows if r["deal_stage"] == "Won")
    assert summary.won_value == won_value


def test_per_agent_wins_and_revenue_match_the_csv(store: Store, maven_dir: Path) -> None:
    import_maven(store, maven_dir)
    rows = pipeline(maven_dir)
    expected: dict[str, tuple[int, int, Decimal]] = {}
    for agent in {r["sales_agent"] for r in rows}:
        mine = [r for r in rows if r["sales_agent"] == agent]
        expected[agent] = (
            sum(r["deal_stage"] == "Won" for r in mine),
            sum(r["deal_stage"] == "Lost" for r in mine),
            sum((Decimal(r["close_value"]) for r in mine if r["deal_stage"] == "Won"), Decimal(0)),
        )
    with store.session() as s:
        got = {
            name: (int(won), int(lost), Decimal(value or 0))
            for name, won, lost, value in s.execute(
                select(
                    Rep.name,
                    func.count().filter(Opportunity.status == "won"),
                    func.count().filter(Opportunity.status == "lost"),
                    func.sum(Opportunity.amount).filter(Opportunity.status == "won"),
                )
                .join(Opportunity, Opportunity.owner_rep_id == Rep.rep_id)
                .group_by(Rep.name)
            )
        }
    assert got == expected


def test_dirty_values_are_normalized_and_incomplete_deals_kept(
    store: Store, maven_dir: Path
) -> None:
    import_maven(store, maven_dir)
    rows = pipeline(maven_dir)
    with store.session() as s:
        products = set(s.scalars(select(Product.name)))
        used = set(s.scalars(select(Opportunity.product).distinct()))
        assert used <= products, f"products not in the product list: {used - products}"
        assert s.scalar(select(func.count()).where(Opportunity.product == "GTX Pro")) == sum(
            r["product"] == "GTXPro" for r in rows
        )
        no_account = s.scalar(select(func.count()).where(Opportunity.account_id.is_(None)))
        assert no_account == sum(not r["account"] for r in rows) == 1425
        assert "technolgy" not in set(s.scalars(select(Account.industry)))
        assert s.get(Account, "acme-corporation").industry == "technology"
        # Every won or lost deal's history ends in its outcome, dated at the close date.
        last = s.execute(
            select(StageChange.stage, StageChange.entered_at).where(
                StageChange.opportunity_id == "1C1I7A6R"
            )
        ).all()
        assert sorted(last, key=lambda r: r[1])[-1][0] == "Won"


def test_a_second_maven_import_changes_nothing(store: Store, maven_dir: Path) -> None:
    import_maven(store, maven_dir)
    with store.session() as s:
        before = s.scalar(select(func.count()).select_from(StageChange))
    again = import_maven(store, maven_dir)
    assert not again.changed
    assert again.totals.unchanged == again.totals.read
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(StageChange)) == before
