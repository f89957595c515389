"""Loading a batch of CRM rows into the store: the one path every CRM import ends at.

Readers (``canonical``, ``maven``) turn files into a :class:`CrmBatch` of typed rows; this module
checks the references between them and the database, and upserts by id in one transaction, so a
repeated import changes nothing and a failed one leaves nothing half-done. Writes are set-based:
one query to read what exists, one bulk insert and one bulk update per table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Integer, Numeric, delete, insert, select, update
from sqlalchemy.orm import Session

from rightturn.crm.bounds import (
    EARLIEST,
    INT32_MAX,
    LATEST,
    OutOfBounds,
    bounded_int,
    bounded_time,
    clean_text,
)
from rightturn.crm.imports.report import ImportReport
from rightturn.crm.model import (
    Account,
    AccountDomain,
    Base,
    Contact,
    ContactEmail,
    ContactPhone,
    Opportunity,
    OpportunityChange,
    OpportunityContact,
    Product,
    QuarantineItem,
    Rep,
    RepEmail,
    RepPhone,
    StageChange,
    Team,
)
from rightturn.crm.settings import bump_data_version
from rightturn.crm.stages import record_stage_advances
from rightturn.crm.store import Store, chunks
from rightturn.crm.types import utcnow

# What each batch list is stored as, so its values can be bounded by the columns.
BOUNDED = (
    ("teams", Team),
    ("reps", Rep),
    ("accounts", Account),
    ("contacts", Contact),
    ("products", Product),
    ("opportunities", Opportunity),
    ("stage_history", StageChange),
    ("opportunity_history", OpportunityChange),
)

# Fields whose every change is kept, so close-date pushes and amount changes can be replayed.
TRACKED_FIELDS = ("close_date", "amount", "forecast_category", "owner_rep_id")

T = TypeVar("T")
Progress = Callable[[str], None]


@dataclass
class Row:
    """One input row: its column values, its list cells, and where it came from."""

    file: str
    line: int
    values: dict[str, Any]
    lists: dict[str, list[str]] = field(default_factory=dict)
    raw: str = ""


@dataclass
class CrmBatch:
    """Everything one import read, ready to load."""

    report: ImportReport
    teams: list[Row] = field(default_factory=list)
    reps: list[Row] = field(default_factory=list)
    accounts: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    products: list[Row] = field(default_factory=list)
    opportunities: list[Row] = field(default_factory=list)
    stage_history: list[Row] = field(default_factory=list)
    opportunity_history: list[Row] = field(default_factory=list)
    # file name -> path, so quarantined rows say exactly where they came from
    paths: dict[str, str] = field(default_factory=dict)


def unique_by(rows: Iterable[Row], key: str, report: ImportReport) -> list[Row]:
    """Keep the first row per id; a repeated id is rejected, naming the line it repeats."""
    first: dict[Any, Row] = {}
    kept = []
    for row in rows:
        value = row.values[key]
        if value in first:
            report.reject(
                row.file,
                row.line,
                f"{key} {value!r} repeats line {first[value].line}; ids must be unique",
            )
            continue
        first[value] = row
        kept.append(row)
    return kept


def load_batch(
    store: Store, batch: CrmBatch, *, now: datetime | None = None, progress: Progress | None = None
) -> ImportReport:
    """Upsert the batch into the store in one transaction and return its report."""
    now = now or utcnow()
    step = progress or (lambda _label: None)
    with store.session() as session:
        _Loader(session, batch, now, step).run()
        # Every import, even one that changed nothing it counts (history rows, buyer actions).
        bump_data_version(session)
    if batch.report.changed:
        step("updating the query planner's statistics")
        store.analyze()
    return batch.report


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal | float) and isinstance(new, Decimal | float):
        return Decimal(str(old)) == Decimal(str(new))
    return bool(old == new)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class _Loader:
    def __init__(self, session: Session, batch: CrmBatch, now: datetime, step: Progress) -> None:
        self.s = session
        self.b = batch
        self.r = batch.report
        self.now = now
        self.step = step
        self.created: set[tuple[str, Any]] = set()  # (file, id) of rows this import created
        self.updated_rows: set[tuple[str, int]] = set()

    def run(self) -> None:
        b = self.b
        for name, model in BOUNDED:
            setattr(b, name, self.bound(model, getattr(b, name)))
        self.step("teams and reps")
        self.upsert(Team, b.teams)
        self.upsert(Rep, b.reps)
        self.sync_owned(RepEmail, "email", "rep_id", b.reps, "emails", "email address")
        self.sync_children(RepPhone, "rep_id", "phone", b.reps, "phones")
        self.step("accounts")
        accounts = self.order_parents_first(b.accounts)
        self.upsert(Account, accounts)
        self.sync_owned(AccountDomain, "domain", "account_id", accounts, "domains", "domain")
        self.step("contacts")
        contacts = self.require(b.contacts, "account_id", Account, "account")
        self.upsert(Contact, contacts)
        self.sync_children(ContactEmail, "contact_id", "email", contacts, "emails")
        self.sync_children(ContactPhone, "contact_id", "phone", contacts, "phones")
        self.upsert(Product, b.products)
        self.step("opportunities")
        opps = self.require(b.opportunities, "account_id", Account, "account")
        opps = self.require(opps, "owner_rep_id", Rep, "rep")
        self.drop_unknown_contacts(opps)
        self.record_field_changes(opps)
        self.upsert(Opportunity, opps)
        self.sync_children(OpportunityContact, "opportunity_id", "contact_id", opps, "contact_ids")
        self.step("stage history")
        self.insert_history(StageChange, b.stage_history, ("opportunity_id", "stage", "entered_at"))
        self.insert_history(
            OpportunityChange,
            b.opportunity_history,
            ("opportunity_id", "field", "changed_at", "new_value"),
        )
        self.record_current_stages(opps)
        self.step("buyer actions")
        if advances := record_stage_advances(self.s):
            self.r.notes.append(f"{advances:,} stage advances recorded as buyer actions")
        self.quarantine()
        self.count_unchanged()

    # --- generic upserts ------------------------------------------------------------------

    def bound(self, model: type[Base], rows: list[Row]) -> list[Row]:
        """Every value storable in its column on any database, before anything is written.

        Free text longer than its column (a 301-character deal name) is cut, with a warning; an
        id that long, a number past its column's range or a date outside 1970-2100 rejects the
        row, naming the column: a cut id could name another record.
        """
        columns = model.table().columns
        kept = []
        for row in rows:
            try:
                for name, value in list(row.values.items()):
                    if name in columns:
                        row.values[name] = self._bounded(row, columns[name], value)
            except OutOfBounds as exc:
                self.r.reject(row.file, row.line, f"{exc}; fix the cell and import again")
                continue
            kept.append(row)
        return kept

    def _bounded(self, row: Row, column: Any, value: Any) -> Any:
        kind = column.type
        if isinstance(value, str) and getattr(kind, "length", None):
            if len(value) <= kind.length:
                return value
            if column.primary_key or column.foreign_keys:  # a cut id could name another record
                raise OutOfBounds(
                    f"{column.name} is {len(value):,} characters; an id holds at most "
                    f"{kind.length:,}"
                )
            self.r.warn(
                row.file,
                row.line,
                f"{column.name} is {len(value):,} characters; the first {kind.length - 1:,} "
                "are kept",
            )
            return clean_text(value, kind.length)
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and isinstance(kind, Integer):
            return bounded_int(value, column.name, -INT32_MAX, INT32_MAX)
        if isinstance(value, Decimal | float | int) and isinstance(kind, Numeric):
            limit = Decimal(10) ** ((kind.precision or 16) - (kind.scale or 0))
            if not abs(Decimal(str(value))) < limit:
                raise OutOfBounds(f"{column.name} {value} is larger than {limit - 1:,}")
            return value
        if isinstance(value, datetime):
            return bounded_time(value, column.name)
        if isinstance(value, date) and not (EARLIEST.date() <= value <= LATEST.date()):
            raise OutOfBounds(f"{column.name} {value} is outside 1970 to 2100")
        return value

    def upsert(self, model: type[Base], rows: list[Row]) -> None:
        if not rows:
            return
        table = model.table()
        pk = table.primary_key.columns.values()[0]
        existing: dict[Any, dict[str, Any]] = {}
        keys = [row.values[pk.name] for row in rows]
        for chunk in chunks(keys):
            for rec in self.s.execute(select(table).where(pk.in_(chunk))).mappings():
                existing[rec[pk.name]] = dict(rec)
        new, changed = [], []
        for row in rows:
            old = existing.get(row.values[pk.name])
            if old is None:
                new.append(row.values)
                self.created.add((row.file, row.values[pk.name]))
                self.r.counts(row.file).created += 1
            elif not all(_same(old[col], val) for col, val in row.values.items()):
                changed.append(row.values)
                self.mark_updated(row)
        for part in chunks(new):
            self.s.execute(insert(model), list(part))
        for chunk in chunks(changed):
            self.s.execute(update(model), list(chunk))

    def mark_updated(self, row: Row) -> None:
        """Count a row as updated once, whether its columns or its lists changed."""
        if (row.file, row.line) not in self.updated_rows:
            self.updated_rows.add((row.file, row.line))
            self.r.counts(row.file).updated += 1

    def existing_ids(self, model: type[Base]) -> set[Any]:
        pk = model.table().primary_key.columns.values()[0]
        return set(self.s.scalars(select(pk)))

    def require(self, rows: list[Row], column: str, model: type[Base], noun: str) -> list[Row]:
        """Reject rows whose non-empty reference names a record that exists nowhere."""
        known = self.existing_ids(model)
        kept = []
        for row in rows:
            ref = row.values.get(column)
            if ref is not None and ref not in known:
                self.r.reject(
                    row.file,
                    row.line,
                    f"{column} {ref!r} names no {noun} in this import or the database; add "
                    f"the {noun} or leave the cell empty",
                )
                continue
            kept.append(row)
        return kept

    def sync_children(
        self, model: type[Base], parent: str, child: str, rows: list[Row], list_name: str
    ) -> None:
        """Make each parent's child rows (phones, emails, contact roles) exactly its list cell."""
        table = model.table()
        have: dict[Any, set[str]] = defaultdict(set)
        for chunk in chunks([row.values[parent] for row in rows]):
            query = select(table.c[parent], table.c[child]).where(table.c[parent].in_(chunk))
            for p, c in self.s.execute(query):
                have[p].add(c)
        target = {row.values[parent]: set(row.lists.get(list_name, [])) for row in rows}
        self._apply_sets(model, parent, child, rows, have, target)

    def sync_owned(
        self, model: type[Base], item: str, owner: str, rows: list[Row], list_name: str, noun: str
    ) -> None:
        """Like sync_children, for identities one owner holds alone (a rep's email, a domain).

        An identity already given to another owner — earlier in the file, or in the database to
        an owner this import does not restate — stays where it is, and the report says so.
        """
        table = model.table()
        owners = {row.values[owner] for row in rows}
        wanted = {i for row in rows for i in row.lists.get(list_name, [])}
        holders: dict[str, Any] = {}
        for chunk in chunks(sorted(wanted)):
            query = select(table.c[item], table.c[owner]).where(table.c[item].in_(chunk))
            holders.update(self.s.execute(query).tuples().all())
        have: dict[Any, set[str]] = defaultdict(set)
        for chunk in chunks(sorted(owners)):
            query = select(table.c[owner], table.c[item]).where(table.c[owner].in_(chunk))
            for o, i in self.s.execute(query):
                have[o].add(i)
        claimed: dict[str, Row] = {}
        target: dict[Any, set[str]] = {}
        for row in rows:
            who = row.values[owner]
            target[who] = set()
            for i in row.lists.get(list_name, []):
                holder = holders.get(i)
                if i in claimed and claimed[i].values[owner] != who:
                    first = claimed[i]
                    self.r.warn(
                        row.file,
                        row.line,
                        f"{noun} {i!r} is already given to {first.values[owner]!r} on line "
                        f"{first.line}; kept there",
                    )
                elif holder is not None and holder != who and holder not in owners:
                    self.r.warn(
                        row.file, row.line, f"{noun} {i!r} belongs to {holder!r}; kept there"
                    )
                else:
                    claimed[i] = row
                    target[who].add(i)
        self._apply_sets(model, owner, item, rows, have, target)

    def _apply_sets(
        self,
        model: type[Base],
        parent: str,
        child: str,
        rows: list[Row],
        have: dict[Any, set[str]],
        target: dict[Any, set[str]],
    ) -> None:
        table = model.table()
        inserts = []
        # Every delete runs before any insert, so an identity can move between two owners.
        for row in rows:
            key = row.values[parent]
            old, new = have.get(key, set()), target[key]
            if old == new:
                continue
            if (row.file, key) not in self.created:
                self.mark_updated(row)
            if old - new:
                self.s.execute(
                    delete(model).where(table.c[parent] == key, table.c[child].in_(old - new))
                )
            inserts += [{parent: key, child: c} for c in sorted(new - old)]
        for part in chunks(inserts):
            self.s.execute(insert(model), list(part))

    # --- references between rows ---------------------------------------------------------

    def order_parents_first(self, rows: list[Row]) -> list[Row]:
        """Accounts sorted so each parent is written before its subsidiaries.

        A parent that exists nowhere, or a loop of parents, is cut (the parent left empty) and
        reported: the account itself is still worth having.
        """
        by_id = {row.values["account_id"]: row for row in rows}
        known = self.existing_ids(Account) | set(by_id)
        ordered: list[Row] = []
        state: dict[Any, int] = {}  # 1 visiting, 2 done
        for row in rows:
            parent = row.values.get("parent_account_id")
            if parent is not None and parent not in known:
                self.r.warn(
                    row.file,
                    row.line,
                    f"parent_account_id {parent!r} is not a known account; left empty",
                )
                row.values["parent_account_id"] = None

        def visit(row: Row) -> None:
            key = row.values["account_id"]
            if state.get(key) == 2:
                return
            state[key] = 1
            parent = row.values.get("parent_account_id")
            if parent in by_id:
                if state.get(parent) == 1:
                    self.r.warn(
                        row.file, row.line, f"parent_account_id {parent!r} makes a loop; left empty"
                    )
                    row.values["parent_account_id"] = None
                else:
                    visit(by_id[parent])
            state[key] = 2
            ordered.append(row)

        for row in rows:
            visit(row)
        return ordered

    def drop_unknown_contacts(self, opps: list[Row]) -> None:
        known = self.existing_ids(Contact)
        for row in opps:
            ids = row.lists.get("contact_ids", [])
            missing = [c for c in ids if c not in known]
            if missing:
                self.r.warn(
                    row.file,
                    row.line,
                    f"contact_ids {', '.join(missing)} not in contacts.csv or the database; "
                    "the opportunity is kept without them",
                )
                row.lists["contact_ids"] = [c for c in ids if c in known]

    # --- history --------------------------------------------------------------------------

    def record_field_changes(self, opps: list[Row]) -> None:
        """Keep a history row for every tracked field an import sees change."""
        table = Opportunity.table()
        cols = [table.c.opportunity_id, *(table.c[f] for f in TRACKED_FIELDS)]
        old: dict[str, Any] = {}
        for chunk in chunks([r.values["opportunity_id"] for r in opps]):
            for rec in self.s.execute(
                select(*cols).where(table.c.opportunity_id.in_(chunk))
            ).mappings():
                old[rec["opportunity_id"]] = rec
        changes = []
        for row in opps:
            before = old.get(row.values["opportunity_id"])
            if before is None:
                continue
            for f in TRACKED_FIELDS:
                if f in row.values and not _same(before[f], row.values[f]):
                    changes.append(
                        {
                            "opportunity_id": row.values["opportunity_id"],
                            "field": f,
                            "old_value": _text(before[f]),
                            "new_value": _text(row.values[f]),
                            "changed_at": self.now,
                        }
                    )
        for part in chunks(changes):
            self.s.execute(insert(OpportunityChange), list(part))

    def insert_history(self, model: type[Base], rows: list[Row], key: tuple[str, ...]) -> None:
        """Insert history rows not stored yet; history is only ever added to."""
        if not rows:
            return
        rows = self.require(rows, "opportunity_id", Opportunity, "opportunity")
        table = model.table()
        opp_ids = sorted({r.values["opportunity_id"] for r in rows})
        have: set[tuple[Any, ...]] = set()
        for chunk in chunks(opp_ids):
            query = select(*(table.c[k] for k in key)).where(table.c.opportunity_id.in_(chunk))
            have.update(tuple(t) for t in self.s.execute(query))
        new = []
        for row in rows:
            ident = tuple(row.values[k] for k in key)
            if ident in have:
                continue
            have.add(ident)
            new.append(row.values)
            self.r.counts(row.file).created += 1
        for part in chunks(new):
            self.s.execute(insert(model), list(part))

    def record_current_stages(self, opps: list[Row]) -> None:
        """Make sure each opportunity's history ends in its current stage.

        When no source said when the stage was entered, the import records it (``inferred``):
        at the creation date for a new opportunity, else now, when the change was first seen.
        """
        table = StageChange.table()
        latest: dict[str, tuple[datetime, str]] = {}
        for chunk in chunks([r.values["opportunity_id"] for r in opps]):
            query = select(table.c.opportunity_id, table.c.entered_at, table.c.stage).where(
                table.c.opportunity_id.in_(chunk)
            )
            for opp_id, entered, stage in self.s.execute(query):
                if opp_id not in latest or (entered, stage) > latest[opp_id]:
                    latest[opp_id] = (entered, stage)
        new = []
        for row in opps:
            opp_id, stage = row.values["opportunity_id"], row.values["stage"]
            last = latest.get(opp_id)
            if last is not None and last[1] == stage:
                continue
            when = self.now if last is not None else (row.values.get("created_at") or self.now)
            new.append(
                {"opportunity_id": opp_id, "stage": stage, "entered_at": when, "inferred": True}
            )
        for part in chunks(new):
            self.s.execute(insert(StageChange), list(part))
        if new:
            self.r.notes.append(
                f"{len(new):,} current stages had no dated stage history; recorded as inferred"
            )

    # --- bookkeeping ----------------------------------------------------------------------

    def quarantine(self) -> None:
        rows = self.r.rejected
        if not rows:
            return
        table = QuarantineItem.table()
        items = {
            ("crm_row", self.b.paths.get(p.file, p.file), f"line {p.line}"): p.reason for p in rows
        }
        have: set[tuple[Any, ...]] = set()
        for chunk in chunks(sorted({k[1] for k in items})):
            query = select(table.c.kind, table.c.source, table.c.position).where(
                table.c.source.in_(chunk)
            )
            have.update(tuple(t) for t in self.s.execute(query))
        new = [
            {"kind": k[0], "source": k[1], "position": k[2], "reason": reason}
            for k, reason in items.items()
            if k not in have
        ]
        for part in chunks(new):
            self.s.execute(insert(QuarantineItem), list(part))

    def count_unchanged(self) -> None:
        for counts in self.r.files.values():
            counts.unchanged = max(
                0, counts.read - counts.created - counts.updated - counts.rejected
            )
