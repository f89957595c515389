"""Bad cells in CRM files: bounded or rejected with file, line and column; the import goes on.

Before: a 301-character deal name or a NUL in a cell aborted the PostgreSQL import with a
traceback naming no file or line; a non-UTF-8 file gave no advice and the wrong line; a 10 MB
cell said "field larger than field limit (131072)".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rightturn.cli import app
from rightturn.crm.imports import import_crm
from rightturn.crm.model import Account, Opportunity
from rightturn.crm.store import Store
from rightturn.errors import SourceError

HEADERS = {
    "reps.csv": "rep_id,name,emails,phones,team,manager_id,quota",
    "accounts.csv": "account_id,name,domains,industry,segment,parent_account_id",
    "contacts.csv": "contact_id,account_id,name,emails,phones,title",
    "opportunities.csv": "opportunity_id,account_id,owner_rep_id,name,product,amount,stage,"
    "status,created_at,close_date,closed_at,forecast_category,contact_ids",
}


def folder(tmp_path: Path, accounts: list[str], opportunities: list[str] | None = None) -> Path:
    out = tmp_path / "crm"
    out.mkdir(exist_ok=True)
    rows = {
        "reps.csv": ["R1,Alice Rep,alice@seller.io,,East,,"],
        "accounts.csv": accounts,
        "contacts.csv": ["C1,A1,Carol Buyer,carol@acme.com,,VP Sales"],
        "opportunities.csv": opportunities or [],
    }
    for name, header in HEADERS.items():
        (out / name).write_text("\n".join([header, *rows[name]]) + "\n", encoding="utf-8")
    return out


def test_a_long_deal_name_is_kept_cut_and_a_nul_is_removed(store: Store, tmp_path: Path) -> None:
    name = "Acme - " + "Atlas " * 60  # 366 characters (stripped): an ordinary long deal name
    crm = folder(
        tmp_path,
        ["A1,Ac\x00me,acme.com,Software,SMB,"],
        [f"O1,A1,R1,{name},Atlas,1000,Proposal,open,2026-01-02,2026-04-30,,,C1"],
    )
    report = import_crm(store, crm)
    assert not report.rejected, report.rejected
    with store.session() as s:
        assert s.scalar(select(Account.name)) == "Acme"
        stored = s.scalar(select(Opportunity.name)) or ""
    assert len(stored) == 300 and stored.startswith("Acme - Atlas")
    warnings = " ".join(p.reason for p in report.warnings)
    assert "name is 366 characters" in warnings and "NUL" in warnings


def test_an_id_too_long_or_an_amount_past_its_column_rejects_that_row_only(
    store: Store, tmp_path: Path
) -> None:
    crm = folder(
        tmp_path,
        ["A1,Acme,acme.com,Software,SMB,", "A" * 80 + ",Long Id Inc,long.com,,,"],
        [
            "O1,A1,R1,Acme - Atlas,Atlas,1000,Proposal,open,2026-01-02,2026-04-30,,,C1",
            "O2,A1,R1,Acme - Huge,Atlas,1" + "0" * 20 + ",Proposal,open,2026-01-02,2026-04-30,,,",
        ],
    )
    report = import_crm(store, crm)
    reasons = {(p.file, p.line): p.reason for p in report.rejected}
    assert "account_id is 80 characters" in reasons[("accounts.csv", 3)]
    assert "amount" in reasons[("opportunities.csv", 3)]
    with store.session() as s:
        assert s.scalars(select(Opportunity.opportunity_id)).all() == ["O1"]


def test_a_huge_cell_names_its_line_and_column(store: Store, tmp_path: Path) -> None:
    crm = folder(tmp_path, ["A1,Acme,acme.com,Software,SMB,", "A2,Big," + "x" * 10**6 + ",,,"])
    report = import_crm(store, crm)
    (problem,) = report.rejected
    assert (problem.file, problem.line) == ("accounts.csv", 3)
    assert "column domains holds 1,000,000 characters" in problem.reason


def test_a_file_not_in_utf8_names_the_real_line_and_the_fix(tmp_path: Path) -> None:
    crm = folder(tmp_path, [f"A{n},Acme {n},acme{n}.com,,," for n in range(1, 1000)])
    path = crm / "accounts.csv"
    with path.open("ab") as f:
        f.write("A1000,Caf\u00e9 Soci\u00e9t\u00e9,cafe.fr,,,\n".encode("cp1252"))
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(SourceError) as raised:
        import_crm(store, crm)
    message = str(raised.value)
    assert f"{path}:1001:" in message and "UTF-8" in message and "--encoding cp1252" in message
    # and the fix it names works
    result = CliRunner().invoke(
        app, ["import", "crm", str(crm), "--db", store.url, "--encoding", "cp1252"]
    )
    assert result.exit_code == 0, result.output
    with store.session() as s:
        assert s.get(Account, "A1000").name == "Café Société"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("", "--db is empty"),
        ("garbage://", "rightturn works with sqlite"),
        ("not a url", "is not a URL"),
    ],
)
def test_a_bad_db_flag_is_one_clear_line(flag: str, expected: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["summary", "--db", flag], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output


def test_a_file_that_is_not_a_database_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["summary", "--db", f"sqlite:///{path}"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2
    assert "not a database" in result.output and "Traceback" not in result.output
