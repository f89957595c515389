from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rightturn.crm.imports import import_crm
from rightturn.crm.model import (
    AccountDomain,
    BuyerAction,
    Contact,
    ContactPhone,
    Opportunity,
    OpportunityChange,
    OpportunityContact,
    QuarantineItem,
    Rep,
    RepEmail,
    StageChange,
    Team,
)
from rightturn.crm.store import Store
from rightturn.errors import SourceError

FIRST = datetime(2024, 1, 10, tzinfo=UTC)
LATER = datetime(2024, 3, 1, tzinfo=UTC)

FILES = {
    "reps.csv": [
        "rep_id,name,emails,phones,team,manager_id,quota",
        "M1,Maria Manager,maria@seller.io,,East,,",
        "R1,Alice Rep,alice@seller.io;a.rep@seller.io,+1 415 555 0134,East,M1,500000",
        "R2,Bob Rep,Bob@Seller.io,(212) 555-0188,East,M1,450000",
    ],
    "accounts.csv": [
        "account_id,name,domains,industry,segment,parent_account_id",
        "A2,Acme UK,acme.co.uk,Software,SMB,A1",  # the parent comes later in the file
        "A1,Acme,acme.com;https://www.acme-corp.com/,Software,Enterprise,",
        "A3,Not Acme,notacme.com,Retail,SMB,",
    ],
    "contacts.csv": [
        "contact_id,account_id,name,emails,phones,title",
        "C1,A1,Carol Buyer,carol@acme.com,+1 (415) 555-0100,VP Sales",
        "C2,A1,Dan Champion,dan@acme.com,415-555-0100,RevOps",
        "C3,A3,Erin,erin@notacme.com,,CFO",
    ],
    "opportunities.csv": [
        "opportunity_id,account_id,owner_rep_id,name,product,amount,stage,status,created_at,"
        "close_date,closed_at,forecast_category,contact_ids",
        "O1,A1,R1,Acme - Atlas,Atlas,120000,Proposal,open,2024-01-02,2024-04-30,,Best Case,C1;C2",
        "O2,A1,R2,Acme - Beacon,Beacon,40000,Closed Won,won,2023-11-01,2024-01-15,"
        "2024-01-15T16:00:00Z,Closed,C1",
        "O3,A3,R1,Not Acme - Atlas,Atlas,30000,Closed Lost,lost,2023-10-01,2024-01-20,2024-01-20,"
        "Omitted,C3",
    ],
    "stage_history.csv": [
        "opportunity_id,stage,entered_at",
        "O1,Qualification,2024-01-02",
        "O1,Proposal,2024-02-01T10:00:00+01:00",
        "O2,Qualification,2023-11-01",
        "O2,Closed Won,2024-01-15T16:00:00Z",
    ],
}


def write(folder: Path, files: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_clean_folder_imports_every_row_with_its_identities(store: Store, tmp_path: Path) -> None:
    report = import_crm(store, write(tmp_path / "crm", FILES), now=FIRST)
    assert report.totals.rejected == 0
    assert {f: c.created for f, c in report.files.items()} == {
        "reps.csv (teams)": 1,
        "reps.csv": 3,
        "accounts.csv": 3,
        "contacts.csv": 3,
        "opportunities.csv": 3,
        "stage_history.csv": 4,
    }
    with store.session() as s:
        assert s.get(Team, "east").manager_rep_id == "M1"
        assert s.get(Rep, "R1").quota == Decimal("500000")
        emails = dict(s.execute(select(RepEmail.email, RepEmail.rep_id)).tuples().all())
        assert emails == {
            "maria@seller.io": "M1",
            "alice@seller.io": "R1",
            "a.rep@seller.io": "R1",
            "bob@seller.io": "R2",  # addresses are matched case-insensitively
        }
        domains = dict(
            s.execute(select(AccountDomain.domain, AccountDomain.account_id)).tuples().all()
        )
        assert domains == {
            "acme.com": "A1",
            "acme-corp.com": "A1",
            "acme.co.uk": "A2",
            "notacme.com": "A3",
        }
        phones = sorted(s.scalars(select(ContactPhone.phone)))
        assert phones == ["+14155550100", "+14155550100"]  # a shared switchboard, two contacts
        roles = sorted(
            s.execute(
                select(OpportunityContact.opportunity_id, OpportunityContact.contact_id)
            ).tuples()
        )
        assert roles == [("O1", "C1"), ("O1", "C2"), ("O2", "C1"), ("O3", "C3")]
        won = s.get(Opportunity, "O2")
        assert won.closed_at == datetime(2024, 1, 15, 16, tzinfo=UTC)
        assert won.close_date == date(2024, 1, 15)
        proposal = s.scalar(select(StageChange.entered_at).where(StageChange.stage == "Proposal"))
        assert proposal == datetime(2024, 2, 1, 9, tzinfo=UTC)
        # O3 had no stage history: its current stage is recorded, marked as inferred.
        inferred = s.scalars(select(StageChange).where(StageChange.opportunity_id == "O3")).one()
        assert (inferred.stage, inferred.inferred) == ("Closed Lost", True)
        # Forward stage changes are buyer actions; a single (or a lost) stage is not an advance.
        advances = s.execute(
            select(BuyerAction.opportunity_id, BuyerAction.rep_id, BuyerAction.occurred_at).where(
                BuyerAction.kind == "stage_advance"
            )
        ).all()
        assert sorted(advances) == [
            ("O1", "R1", datetime(2024, 2, 1, 9, tzinfo=UTC)),
            ("O2", "R2", datetime(2024, 1, 15, 16, tzinfo=UTC)),
        ]


def test_reimporting_the_same_files_changes_nothing(store: Store, tmp_path: Path) -> None:
    folder = write(tmp_path / "crm", FILES)
    import_crm(store, folder, now=FIRST)
    tables = (
        Rep,
        RepEmail,
        AccountDomain,
        Contact,
        Opportunity,
        StageChange,
        OpportunityChange,
        BuyerAction,
    )
    before = {m.__name__: count(store, m) for m in tables}
    again = import_crm(store, folder, now=LATER)
    assert not again.changed
    assert again.totals.created == again.totals.updated == 0
    assert again.totals.unchanged == again.totals.read
    assert {m.__name__: count(store, m) for m in tables} == before


def test_a_changed_deal_is_updated_and_its_history_kept(store: Store, tmp_path: Path) -> None:
    import_crm(store, write(tmp_path / "v1", FILES), now=FIRST)
    files = dict(FILES)
    files["opportunities.csv"] = [
        FILES["opportunities.csv"][0],
        "O1,A1,R1,Acme - Atlas,Atlas,150000,Negotiation,open,2024-01-02,2024-06-30,,Commit,C1",
        *FILES["opportunities.csv"][2:],
    ]
    report = import_crm(store, write(tmp_path / "v2", files), now=LATER)
    assert report.files["opportunities.csv"].updated == 1
    assert report.files["opportunities.csv"].unchanged == 2
    with store.session() as s:
        changes = {
            c.field: (c.old_value, c.new_value, c.changed_at)
            for c in s.scalars(
                select(OpportunityChange).where(OpportunityChange.opportunity_id == "O1")
            )
        }
        assert changes["close_date"] == ("2024-04-30", "2024-06-30", LATER)  # a pushed close date
        assert changes["amount"][1] == "150000.00"
        assert changes["forecast_category"][:2] == ("Best Case", "Commit")
        stages = s.execute(
            select(StageChange.stage, StageChange.entered_at, StageChange.inferred)
            .where(StageChange.opportunity_id == "O1")
            .order_by(StageChange.entered_at)
        ).all()
        assert stages[-1] == ("Negotiation", LATER, True)
        roles = set(
            s.scalars(
                select(OpportunityContact.contact_id).where(
                    OpportunityContact.opportunity_id == "O1"
                )
            )
        )
        assert roles == {"C1"}


def test_bad_rows_are_rejected_with_file_line_and_reason_and_the_rest_imports(
    store: Store, tmp_path: Path
) -> None:
    files = dict(FILES)
    files["opportunities.csv"] = [
        *FILES["opportunities.csv"],
        "O4,A1,R1,Bad date,Atlas,1000,Proposal,open,2024-13-45,,,,",
        "O5,A1,R1,Bad status,Atlas,1000,Proposal,pending,2024-01-01,,,,",
        "O6,A9,R1,Unknown account,Atlas,1000,Proposal,open,2024-01-01,,,,",
        "O7,A1,R1,Negative,Atlas,-5,Proposal,open,2024-01-01,,,,",
        "O1,A1,R1,Duplicate id,Atlas,1,Proposal,open,2024-01-01,,,,",
        "O8,A1,R1,Too short",
        "O9,A1,R1,Unknown contact,Atlas,1000,Proposal,open,2024-01-01,,,,C1;C404",
    ]
    report = import_crm(store, write(tmp_path / "crm", files), now=FIRST)
    rejected = {p.line: p.reason for p in report.rejected if p.file == "opportunities.csv"}
    assert set(rejected) == {5, 6, 7, 8, 9, 10}
    assert "created_at '2024-13-45' is not an ISO 8601" in rejected[5]
    assert "status 'pending' is not one of open, won, lost" in rejected[6]
    assert "account_id 'A9' names no account" in rejected[7]
    assert "must be a number of zero or more" in rejected[8]
    assert "repeats line 2" in rejected[9]
    assert "cells for 13 columns" in rejected[10]
    assert report.files["opportunities.csv"].created == 4  # O1-O3 and O9
    warning = next(p for p in report.warnings if p.line == 11)
    assert "C404" in warning.reason
    with store.session() as s:
        quarantined = s.scalars(
            select(QuarantineItem).where(QuarantineItem.kind == "crm_row")
        ).all()
        assert {q.position for q in quarantined} == {f"line {n}" for n in rejected}
        assert all(q.source.endswith("opportunities.csv") for q in quarantined)
    # Re-running the same bad file quarantines nothing twice.
    import_crm(store, tmp_path / "crm", now=LATER)
    assert count(store, QuarantineItem) == len(rejected)


def test_a_domain_claimed_by_two_accounts_stays_with_the_first(
    store: Store, tmp_path: Path
) -> None:
    files = dict(FILES)
    files["accounts.csv"] = [*FILES["accounts.csv"], "A4,Acme Copycat,ACME.com,Retail,SMB,"]
    report = import_crm(store, write(tmp_path / "crm", files), now=FIRST)
    assert any("domain 'acme.com' is already given to 'A1'" in p.reason for p in report.warnings)
    with store.session() as s:
        assert s.get(AccountDomain, "acme.com").account_id == "A1"


def test_a_missing_column_refuses_the_file_before_writing_anything(
    store: Store, tmp_path: Path
) -> None:
    files = dict(FILES)
    files["contacts.csv"] = ["contact_id,account_id,name,title", "C1,A1,Carol,VP"]
    with pytest.raises(SourceError, match=r"contacts.csv lacks the column\(s\) emails, phones"):
        import_crm(store, write(tmp_path / "crm", files), now=FIRST)
    assert count(store, Rep) == 0


def test_a_folder_without_the_layout_says_which_files_are_missing(
    store: Store, tmp_path: Path
) -> None:
    with pytest.raises(SourceError, match=r"lacks reps\.csv, accounts\.csv"):
        import_crm(store, write(tmp_path / "crm", {"contacts.csv": FILES["contacts.csv"]}))
