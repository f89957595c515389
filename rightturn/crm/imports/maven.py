"""``rightturn import maven DIR``: the Maven Analytics "CRM + Sales + Opportunities" data set.

Its four files (``sales_pipeline.csv``, ``accounts.csv``, ``products.csv``, ``sales_teams.csv``)
name things rather than give ids, and are dirty the way real exports are. What this reader does:

- **Ids** are made from names (``Moses Frase`` -> rep ``moses-frase``); teams are the managers'
  (``Dustin Brinkmann``'s team, region Central). Managers are not reps: they own no deals.
- **Normalized, because it is safe**: product spellings matched ignoring case, spaces and
  punctuation (``GTXPro`` -> ``GTX Pro``); the sector typo ``technolgy``; the country typo
  ``Philipines``; revenue in millions of USD -> USD.
- **Derived, and said so**: status (Won/Lost -> won/lost, the rest open); stage history
  (Engaging entered at ``engage_date``, Won/Lost at ``close_date``; Prospecting has no date);
  amount (``close_value`` for won deals, the product's list price for the others, whose
  ``close_value`` is empty or 0); segment from head count (SMB < 1,000 employees <= Mid-Market
  < 5,000 <= Enterprise).
- **Kept though incomplete**: open deals without an account, deals without an engage date.
- **Reported**: a row whose agent, account or dates cannot be read.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

from rightturn.crm.imports import values as v
from rightturn.crm.imports.batch import CrmBatch, Row, unique_by
from rightturn.crm.imports.csvfile import NUL, PROBLEM, check_folder, read_rows
from rightturn.crm.imports.report import ImportReport
from rightturn.errors import ParseError

FILES: dict[str, tuple[str, ...]] = {
    "sales_teams.csv": ("sales_agent", "manager", "regional_office"),
    "accounts.csv": (
        "account",
        "sector",
        "year_established",
        "revenue",
        "employees",
        "office_location",
        "subsidiary_of",
    ),
    "products.csv": ("product", "series", "sales_price"),
    "sales_pipeline.csv": (
        "opportunity_id",
        "sales_agent",
        "product",
        "account",
        "deal_stage",
        "engage_date",
        "close_date",
        "close_value",
    ),
}
TYPOS = {"technolgy": "technology", "Philipines": "Philippines"}
STATUS = {"won": "won", "lost": "lost"}
CLOSED_STAGE = {"won": "Won", "lost": "Lost"}
FORECAST = {"won": "Closed", "lost": "Omitted", "Engaging": "Pipeline", "Prospecting": "Pipeline"}
_PIPELINE = "sales_pipeline.csv"
_HISTORY = "sales_pipeline.csv (stage history)"  # its derived stage history


def segment_for(employees: int | None) -> str | None:
    """The segment a head count falls in (thresholds documented in the module docstring)."""
    if employees is None:
        return None
    if employees < 1000:
        return "SMB"
    return "Mid-Market" if employees < 5000 else "Enterprise"


def read_maven(folder: Path) -> CrmBatch:
    """Read the Maven CRM folder into a batch of canonical rows."""
    check_folder(folder, FILES, tuple(FILES), f"the Maven CRM set has {', '.join(FILES)}")
    report = ImportReport(source=str(folder))
    batch = CrmBatch(report=report, paths={f: str((folder / f).resolve()) for f in FILES})
    _teams_and_reps(folder, batch)
    _accounts(folder, batch)
    prices = _products(folder, batch)
    _pipeline(folder, batch, prices)
    return batch


def _rows(folder: Path, name: str, report: ImportReport):
    for line, cells, raw in read_rows(folder / name, FILES[name]):
        report.counts(name).read += 1
        if PROBLEM in cells:
            report.reject(name, line, cells[PROBLEM])
            continue
        if NUL in cells:
            report.warn(name, line, f"{cells[NUL]} NUL bytes removed from its cells")
        yield line, cells, raw


def _teams_and_reps(folder: Path, batch: CrmBatch) -> None:
    report, teams = batch.report, {}
    for line, c, raw in _rows(folder, "sales_teams.csv", report):
        agent, manager = v.text(c["sales_agent"]), v.text(c["manager"])
        if agent is None:
            report.reject("sales_teams.csv", line, "sales_agent is empty")
            continue
        team_id = v.slug(manager) if manager else None
        if manager and team_id not in teams:
            region = v.text(c["regional_office"])
            teams[team_id] = Row(
                "sales_teams.csv (teams)",
                line,
                {
                    "team_id": team_id,
                    "name": f"{manager} ({region})" if region else manager,
                    "region": region,
                    "manager_name": manager,
                    "manager_rep_id": None,
                },
            )
            report.counts("sales_teams.csv (teams)").read += 1
        batch.reps.append(
            Row(
                "sales_teams.csv",
                line,
                {"rep_id": v.slug(agent), "name": agent, "team_id": team_id, "quota": None},
                raw=raw,
            )
        )
    batch.teams = list(teams.values())
    batch.reps = unique_by(batch.reps, "rep_id", report)


def _accounts(folder: Path, batch: CrmBatch) -> None:
    report, fixed = batch.report, Counter[str]()
    for line, c, raw in _rows(folder, "accounts.csv", report):
        name = v.text(c["account"])
        if name is None:
            report.reject("accounts.csv", line, "account (the company name) is empty")
            continue
        try:
            employees = v.parse_int(c["employees"], "employees")
            revenue = v.parse_money(c["revenue"], "revenue")
            year = v.parse_int(c["year_established"], "year_established")
        except ValueError as exc:
            report.reject("accounts.csv", line, str(exc))
            continue
        sector, country = v.text(c["sector"]), v.text(c["office_location"])
        for value in (sector, country):
            if value in TYPOS:
                fixed[f"{value} -> {TYPOS[value]}"] += 1
        parent = v.text(c["subsidiary_of"])
        batch.accounts.append(
            Row(
                "accounts.csv",
                line,
                {
                    "account_id": v.slug(name),
                    "name": name,
                    "industry": TYPOS.get(sector, sector) if sector else None,
                    "segment": segment_for(employees),
                    "parent_account_id": v.slug(parent) if parent else None,
                    "country": TYPOS.get(country, country) if country else None,
                    "employees": employees,
                    "annual_revenue": revenue * 1_000_000 if revenue is not None else None,
                    "year_established": year,
                },
                raw=raw,
            )
        )
    batch.accounts = unique_by(batch.accounts, "account_id", report)
    for fix, n in sorted(fixed.items()):
        report.notes.append(f"accounts.csv: corrected {fix} ({n:,} row{'s' * (n != 1)})")


def _products(folder: Path, batch: CrmBatch) -> dict[str, tuple[str, Decimal | None]]:
    """Products by spelling-insensitive key -> (canonical name, list price)."""
    report, prices = batch.report, {}
    for line, c, raw in _rows(folder, "products.csv", report):
        name = v.text(c["product"])
        if name is None:
            report.reject("products.csv", line, "product is empty")
            continue
        try:
            price = v.parse_money(c["sales_price"], "sales_price")
        except ValueError as exc:
            report.reject("products.csv", line, str(exc))
            continue
        prices[v.match_key(name)] = (name, price)
        batch.products.append(
            Row(
                "products.csv",
                line,
                {"name": name, "series": v.text(c["series"]), "list_price": price},
                raw=raw,
            )
        )
    batch.products = unique_by(batch.products, "name", report)
    return prices


def _pipeline(folder: Path, batch: CrmBatch, prices: dict[str, tuple[str, Decimal | None]]) -> None:
    """The deals: each row's cells read (or the row rejected), its outcome dated, its product
    matched with products.csv, its opportunity and the stage history its dates give; then
    notes on the products renamed, the amounts estimated and the deals without an account."""
    report, file = batch.report, _PIPELINE
    renamed, estimated, no_account = Counter[str](), 0, 0
    for line, c, raw in _rows(folder, file, report):
        try:
            opp_id, agent, stage, engaged, closed, value = _deal_cells(c)
        except ValueError as exc:
            report.reject(file, line, str(exc))
            continue
        status = STATUS.get(stage.lower(), "open")
        undated = _undated(stage, status, engaged, closed)
        if undated is not None:
            report.reject(file, line, undated)
            continue
        product, price = _deal_product(c["product"], prices, renamed, report, line)
        amount = value if status == "won" else price
        if status != "won" and price is not None:
            estimated += 1
        account = v.text(c["account"])
        no_account += account is None
        created = _midnight(engaged)
        closed_at = _midnight(closed) if status != "open" else None
        stage_name = CLOSED_STAGE.get(status, stage)
        batch.opportunities.append(
            Row(
                file,
                line,
                {
                    "opportunity_id": opp_id,
                    "account_id": v.slug(account) if account else None,
                    "owner_rep_id": v.slug(agent),
                    "name": f"{account or 'No account yet'} - {product or 'no product'}",
                    "product": product,
                    "amount": amount,
                    "stage": stage_name,
                    "status": status,
                    "created_at": created,
                    "close_date": closed,
                    "closed_at": closed_at,
                    "forecast_category": FORECAST.get(status if status != "open" else stage),
                },
                raw=raw,
            )
        )
        _stage_history(batch, line, opp_id, (("Engaging", created), (stage_name, closed_at)))
    batch.opportunities = unique_by(batch.opportunities, "opportunity_id", report)
    for change, n in sorted(renamed.items()):
        report.notes.append(f"{file}: product {change} ({n:,} row{'s' * (n != 1)})")
    report.notes.append(
        f"{file}: {estimated:,} lost or open deals carry no value; their amount is the product's "
        "list price"
    )
    report.notes.append(f"{file}: {no_account:,} deals have no account yet; kept without one")


def _deal_cells(
    c: dict[str, str],
) -> tuple[str, str, str, date | None, date | None, Decimal | None]:
    """A deal's id, agent, stage, engage and close dates and value; a ValueError (the row is
    rejected with it) when one is missing or cannot be read."""
    opp_id = v.text(c["opportunity_id"])
    if opp_id is None:
        raise ParseError("opportunity_id is empty")
    agent = v.text(c["sales_agent"])
    if agent is None:
        raise ParseError("sales_agent is empty; every deal needs its owner")
    stage = v.text(c["deal_stage"])
    if stage is None:
        raise ParseError("deal_stage is empty")
    engaged = v.parse_date(c["engage_date"], "engage_date")
    closed = v.parse_date(c["close_date"], "close_date")
    value = v.parse_money(c["close_value"], "close_value")
    return opp_id, agent, stage, engaged, closed, value


def _undated(stage: str, status: str, engaged: date | None, closed: date | None) -> str | None:
    """Why a deal's dates cannot be used (a closed deal without its close date, a close before
    the engagement), or None."""
    if status != "open" and closed is None:
        return f"a {stage} deal without close_date; its outcome cannot be dated"
    if engaged and closed and closed < engaged:
        return f"close_date {closed} is before engage_date {engaged}"
    return None


def _deal_product(
    cell: str,
    prices: dict[str, tuple[str, Decimal | None]],
    renamed: Counter[str],
    report: ImportReport,
    line: int,
) -> tuple[str | None, Decimal | None]:
    """The deal's product as products.csv spells it, and its list price: a spelling matched
    ignoring case and punctuation is counted in ``renamed``; one not in products.csv is kept
    as written, with a warning and no price."""
    raw_product = v.text(cell)
    if not raw_product:
        return None, None
    product, price = prices.get(v.match_key(raw_product), (raw_product, None))
    if product != raw_product:
        renamed[f"{raw_product} -> {product}"] += 1
    elif v.match_key(raw_product) not in prices:
        report.warn(
            _PIPELINE, line, f"product {raw_product!r} is not in products.csv; kept as written"
        )
    return product, price


def _stage_history(
    batch: CrmBatch,
    line: int,
    opp_id: str,
    entered: tuple[tuple[str, datetime | None], ...],
) -> None:
    """The stages a deal's dates say it entered (Engaging at its engage date, Won or Lost at
    its close); a stage without a date has no row."""
    for entered_stage, when in entered:
        if when is not None:
            batch.report.counts(_HISTORY).read += 1
            batch.stage_history.append(
                Row(
                    _HISTORY,
                    line,
                    {
                        "opportunity_id": opp_id,
                        "stage": entered_stage,
                        "entered_at": when,
                        "inferred": False,
                    },
                )
            )


def _midnight(day):
    return datetime.combine(day, time(), tzinfo=UTC) if day is not None else None
