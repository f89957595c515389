"""``rightturn import crm DIR``: the canonical CSV layout.

========================= ===============================================================
file                      columns (more are allowed and ignored)
========================= ===============================================================
reps.csv                  rep_id, name, emails, phones, team, manager_id, quota
accounts.csv              account_id, name, domains, industry, segment, parent_account_id
contacts.csv              contact_id, account_id, name, emails, phones, title
opportunities.csv         opportunity_id, account_id, owner_rep_id, name, product, amount,
                          stage, status, created_at, close_date, closed_at,
                          forecast_category, contact_ids
stage_history.csv (opt.)  opportunity_id, stage, entered_at
opportunity_history.csv   opportunity_id, field, old_value, new_value, changed_at
(optional)
products.csv (optional)   product, series, list_price
========================= ===============================================================

Lists are ``;``-separated; dates and times ISO 8601 (a naive time is UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rightturn.crm.imports import values as v
from rightturn.crm.imports.batch import CrmBatch, Row, unique_by
from rightturn.crm.imports.csvfile import ENCODING, NUL, PROBLEM, check_folder, read_rows
from rightturn.crm.imports.report import ImportReport
from rightturn.crm.model import OPPORTUNITY_STATUSES
from rightturn.errors import ParseError

LAYOUT: dict[str, tuple[str, ...]] = {
    "reps.csv": ("rep_id", "name", "emails", "phones", "team", "manager_id", "quota"),
    "accounts.csv": ("account_id", "name", "domains", "industry", "segment", "parent_account_id"),
    "contacts.csv": ("contact_id", "account_id", "name", "emails", "phones", "title"),
    "opportunities.csv": (
        "opportunity_id",
        "account_id",
        "owner_rep_id",
        "name",
        "product",
        "amount",
        "stage",
        "status",
        "created_at",
        "close_date",
        "closed_at",
        "forecast_category",
        "contact_ids",
    ),
    "stage_history.csv": ("opportunity_id", "stage", "entered_at"),
    "opportunity_history.csv": ("opportunity_id", "field", "old_value", "new_value", "changed_at"),
    "products.csv": ("product", "series", "list_price"),
}
REQUIRED_FILES = ("reps.csv", "accounts.csv", "contacts.csv", "opportunities.csv")


def read_canonical(folder: Path, *, phone_region: str = "US", encoding: str = ENCODING) -> CrmBatch:
    """Read a folder in the canonical layout into a batch; bad rows are reported, not raised."""
    files = check_folder(
        folder,
        LAYOUT,
        REQUIRED_FILES,
        f"the canonical layout needs {', '.join(REQUIRED_FILES)} (stage_history.csv, "
        "opportunity_history.csv and products.csv are optional)",
        encoding=encoding,
    )
    report = ImportReport(source=str(folder))
    batch = CrmBatch(report=report)
    reader = _Reader(batch, phone_region, encoding)
    for name in files:
        batch.paths[name] = str((folder / name).resolve())
        rows = reader.read(folder / name, getattr(reader, "parse_" + name.removesuffix(".csv")))
        setattr(batch, name.removesuffix(".csv"), rows)
    batch.reps = unique_by(batch.reps, "rep_id", report)
    batch.accounts = unique_by(batch.accounts, "account_id", report)
    batch.contacts = unique_by(batch.contacts, "contact_id", report)
    batch.opportunities = unique_by(batch.opportunities, "opportunity_id", report)
    batch.products = unique_by(batch.products, "name", report)
    batch.teams = reader.teams()
    return batch


class _Reader:
    def __init__(self, batch: CrmBatch, phone_region: str, encoding: str) -> None:
        self.batch = batch
        self.encoding = encoding
        self.report = batch.report
        self.region = phone_region
        self.team_rows: dict[str, Row] = {}

    def read(self, path: Path, parse: Callable[[dict[str, str], Row], None]) -> list[Row]:
        rows = []
        for line, cells, raw in read_rows(path, LAYOUT[path.name], encoding=self.encoding):
            self.report.counts(path.name).read += 1
            row = Row(file=path.name, line=line, values={}, raw=raw)
            try:
                if PROBLEM in cells:
                    raise ParseError(cells[PROBLEM])
                if NUL in cells:
                    self.report.warn(
                        path.name, line, f"{cells[NUL]} NUL bytes removed from its cells"
                    )
                parse(cells, row)
            except ValueError as exc:
                self.report.reject(path.name, line, str(exc))
                continue
            rows.append(row)
        return rows

    # --- one parser per file: fill row.values / row.lists or raise ValueError ---------------

    def parse_reps(self, c: dict[str, str], row: Row) -> None:
        team = v.text(c["team"])
        team_id = v.slug(team) if team else None
        if team and team_id not in self.team_rows:
            self.report.counts("reps.csv (teams)").read += 1
            self.team_rows[team_id] = Row(  # type: ignore[index]
                "reps.csv (teams)", row.line, {"team_id": team_id, "name": team}
            )
        manager_id = v.text(c["manager_id"])
        if team_id and manager_id:
            self.team_rows[team_id].values.setdefault("manager_rep_id", manager_id)
        row.values = {
            "rep_id": _required(c, "rep_id"),
            "name": _required(c, "name"),
            "team_id": team_id,
            "manager_id": manager_id,
            "quota": v.parse_money(c["quota"], "quota"),
        }
        row.lists = {
            "emails": [v.email_address(e, "emails") for e in v.split_list(c["emails"])],
            "phones": self.phones(c["phones"], row),
        }

    def parse_accounts(self, c: dict[str, str], row: Row) -> None:
        row.values = {
            "account_id": _required(c, "account_id"),
            "name": _required(c, "name"),
            "industry": v.text(c["industry"]),
            "segment": v.text(c["segment"]),
            "parent_account_id": v.text(c["parent_account_id"]),
        }
        row.lists = {
            "domains": list(
                dict.fromkeys(v.domain_name(d, "domains") for d in v.split_list(c["domains"]))
            )
        }

    def parse_contacts(self, c: dict[str, str], row: Row) -> None:
        row.values = {
            "contact_id": _required(c, "contact_id"),
            "account_id": v.text(c["account_id"]),
            "name": v.text(c["name"]),
            "title": v.text(c["title"]),
        }
        row.lists = {
            "emails": [v.email_address(e, "emails") for e in v.split_list(c["emails"])],
            "phones": self.phones(c["phones"], row),
        }

    def parse_opportunities(self, c: dict[str, str], row: Row) -> None:
        status = (v.text(c["status"]) or "").lower()
        if status not in OPPORTUNITY_STATUSES:
            raise ParseError(
                f"status {c['status']!r} is not one of {', '.join(OPPORTUNITY_STATUSES)}"
            )
        values: dict[str, Any] = {
            "opportunity_id": _required(c, "opportunity_id"),
            "account_id": v.text(c["account_id"]),
            "owner_rep_id": v.text(c["owner_rep_id"]),
            "name": v.text(c["name"]),
            "product": v.text(c["product"]),
            "amount": v.parse_money(c["amount"], "amount"),
            "stage": _required(c, "stage"),
            "status": status,
            "created_at": v.parse_datetime(c["created_at"], "created_at"),
            "close_date": v.parse_date(c["close_date"], "close_date"),
            "closed_at": v.parse_datetime(c["closed_at"], "closed_at"),
            "forecast_category": v.text(c["forecast_category"]),
        }
        if status != "open" and values["closed_at"] is None:
            self.report.warn(row.file, row.line, f"a {status} opportunity without closed_at; kept")
        if status == "open" and values["closed_at"] is not None:
            raise ParseError("status is open but closed_at is set; clear one of them")
        created, closed = values["created_at"], values["closed_at"]
        if created and closed and closed < created:
            raise ParseError(f"closed_at {closed:%Y-%m-%d} is before created_at {created:%Y-%m-%d}")
        row.values = values
        row.lists = {"contact_ids": v.split_list(c["contact_ids"])}

    def parse_stage_history(self, c: dict[str, str], row: Row) -> None:
        entered = v.parse_datetime(c["entered_at"], "entered_at")
        if entered is None:
            raise ParseError("entered_at is empty; a stage change needs its date")
        row.values = {
            "opportunity_id": _required(c, "opportunity_id"),
            "stage": _required(c, "stage"),
            "entered_at": entered,
            "inferred": False,
        }

    def parse_opportunity_history(self, c: dict[str, str], row: Row) -> None:
        changed = v.parse_datetime(c["changed_at"], "changed_at")
        if changed is None:
            raise ParseError("changed_at is empty; a change needs its date")
        row.values = {
            "opportunity_id": _required(c, "opportunity_id"),
            "field": _required(c, "field"),
            "old_value": v.text(c["old_value"]),
            "new_value": v.text(c["new_value"]),
            "changed_at": changed,
        }

    def parse_products(self, c: dict[str, str], row: Row) -> None:
        row.values = {
            "name": _required(c, "product"),
            "series": v.text(c["series"]),
            "list_price": v.parse_money(c["list_price"], "list_price"),
        }

    # --- helpers --------------------------------------------------------------------------

    def phones(self, cell: str, row: Row) -> list[str]:
        """Phones in E.164; one that cannot be read is dropped with a warning, not the row."""
        out = []
        for raw in v.split_list(cell):
            try:
                out.append(v.phone_number(raw, "phones", self.region))
            except ValueError as exc:
                self.report.warn(row.file, row.line, f"{exc}; the number was left out")
        return list(dict.fromkeys(out))

    def teams(self) -> list[Row]:
        for row in self.team_rows.values():
            row.values.setdefault("manager_rep_id", None)
        return list(self.team_rows.values())


def _required(cells: dict[str, str], column: str) -> str:
    value = v.text(cells.get(column))
    if value is None:
        raise ParseError(f"{column} is empty; it is required")
    return value
