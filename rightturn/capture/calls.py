"""Call logs as a capture source: ``rightturn capture calls FILE.csv [--profile P | --map M]``.

A phone system's CSV export becomes one :class:`~rightturn.capture.items.Captured` call per row.
What the columns are called and how values are spelled differ by vendor, so a
:class:`CallMapping` says where each field of a call is and how to read it. Two ship built in:

``generic``
    What the simulator (and rightturn's own docs) write; the header is exactly
    ``call_id,started_at,from_number,to_number,direction,duration_s,outcome`` with ISO 8601 times
    (naive times are UTC), ``inbound``/``outbound`` and ``connected``/``voicemail``/``no_answer``.

``ringcentral``
    The shape of a RingCentral-style "Call Log" export: no call id; the start split over
    ``Date`` (``05/04/2026``) and ``Time`` (``9:15:02 AM``) in the account's local time (assumed
    UTC: for another zone write a mapping with ``extends: ringcentral`` and ``timezone:``);
    ``Direction`` is ``Incoming``/``Outgoing``; ``Action Result`` is ``Call connected``,
    ``Accepted``, ``Voicemail``, ``Missed``, ``No Answer``, ``Busy``, ``Hang Up`` or ``Rejected``;
    ``Duration`` is ``h:mm:ss``. Columns: ``Type,Direction,From,To,Date,Time,Action,Action
    Result,Duration``.

Any other export is read with a YAML mapping file (:func:`load_mapping`)::

    extends: generic              # optional: start from a built-in profile
    columns:                      # field: column, or a list of columns joined with a space
      call_id: Call ID            # optional; without it the id is a hash of the call
      started_at: [Date, Time]    # required
      from_number: From           # required
      to_number: To               # required
      direction: Direction        # optional
      duration_s: Duration        # optional: seconds, m:ss or h:mm:ss
      outcome: Status             # optional
    date_format: "%m/%d/%Y %I:%M:%S %p"   # strptime; omitted: ISO 8601
    timezone: America/New_York    # for times without an offset; default UTC
    direction_values: {Incoming: inbound, Outgoing: outbound}
    outcome_values: {Answered: connected, Missed: no_answer, Voicemail: voicemail}
    region: US                    # how to read national numbers; default: the --region given
    encoding: utf-8-sig           # default; cp1252 for some spreadsheet exports
    delimiter: ","                # default

Column names match case-insensitively. Every column the mapping names must be in the header,
or the whole file is refused (:class:`~rightturn.errors.SourceError`) before any row is read.

Rules for one row (what is kept, what is quarantined):

* The start time must parse (``date_format``, or ISO 8601); otherwise the row is
  :class:`~rightturn.capture.items.Rejected` with the reason and the raw row.
* Numbers are normalized to E.164 with :func:`rightturn.crm.identity.phone_number` in the
  mapping's region (else the source's). A number written with the ``00`` international prefix
  (``0044 20 7946 0958``) is read as ``+44...`` when the region cannot read it as dialled. If
  neither number can be read the row is Rejected; if only one can, the call is kept with the party
  that was read (a call happened and counts as the rep's activity) and the other is logged.
* ``source_id`` is the log's call id, or ``call-`` + SHA-1 of the UTC start, both numbers
  (normalized when readable) and the duration, so re-exports of the same log hash the same. The
  hash needs only the start and a number, which the rules above already require.
* A direction or outcome the mapping does not know, or a duration that is not a number, is kept
  as ``None`` and logged once per value: the call is real even when a label is new.

The checkpoint is JSON: the line where the last processed row starts, a digest of the header and
a digest of that row. On resume, rows up to that line are skipped; if the header or that row
changed (the file was rewritten), the file is read again from the top and the pipeline's dedupe
absorbs the repeats. ``done``/``total`` count bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml

from rightturn.capture.items import Captured, Located, Party, Rejected, Role, Source
from rightturn.crm.identity import national_number, phone_number
from rightturn.errors import ConfigError, ParseError, SourceError

log = logging.getLogger(__name__)

FIELDS = ("call_id", "started_at", "from_number", "to_number", "direction", "duration_s", "outcome")
REQUIRED = ("started_at", "from_number", "to_number")
DIRECTIONS = ("inbound", "outbound")
OUTCOMES = ("connected", "voicemail", "no_answer")
EXCERPT = 500  # characters of a raw row kept with a rejection
_ROLES: tuple[tuple[str, Role], ...] = (("from_number", "caller"), ("to_number", "callee"))


@dataclass(frozen=True)
class CallMapping:
    """Where each field of a call is in one export, and how its values are spelled.

    ``columns`` maps a field of :data:`FIELDS` to one or more column names (several are joined
    with a space, e.g. a date and a time column). Value maps are matched case-insensitively; the
    canonical values (``inbound``, ``connected``, ...) are always understood.
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    date_format: str | None = None
    timezone: str = "UTC"
    direction_values: Mapping[str, str] = field(default_factory=dict)
    outcome_values: Mapping[str, str] = field(default_factory=dict)
    region: str | None = None
    encoding: str = "utf-8-sig"
    delimiter: str = ","


PROFILES: dict[str, CallMapping] = {
    "generic": CallMapping(name="generic", columns={f: (f,) for f in FIELDS}),
    "ringcentral": CallMapping(
        name="ringcentral",
        columns={
            "started_at": ("Date", "Time"),
            "from_number": ("From",),
            "to_number": ("To",),
            "direction": ("Direction",),
            "duration_s": ("Duration",),
            "outcome": ("Action Result",),
        },
        date_format="%m/%d/%Y %I:%M:%S %p",
        direction_values={"incoming": "inbound", "outgoing": "outbound"},
        outcome_values={
            "call connected": "connected",
            "accepted": "connected",
            "voicemail": "voicemail",
            "missed": "no_answer",
            "no answer": "no_answer",
            "busy": "no_answer",
            "hang up": "no_answer",
            "rejected": "no_answer",
        },
    ),
}

_KEYS = (
    "extends", "columns", "date_format", "timezone", "direction_values", "outcome_values",
    "region", "encoding", "delimiter",
)  # fmt: skip


def load_mapping(path: Path | str) -> CallMapping:
    """Read a YAML mapping file (format in the module docstring) into a :class:`CallMapping`.

    Raises :class:`~rightturn.errors.ConfigError` naming the file, the key and the fix.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the call mapping {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a YAML mapping with a 'columns:' key (see the docs)")
    unknown = sorted(set(map(str, data)) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(_KEYS)}"
        )
    base_name = data.get("extends")
    if base_name is not None and base_name not in PROFILES:
        raise ConfigError(
            f"{path}: extends: {base_name!r} is not a built-in profile; use one of "
            f"{', '.join(PROFILES)}"
        )
    base = PROFILES[base_name] if base_name else None
    if "columns" in data:
        columns = _columns(path, data["columns"])
    elif base is not None:
        columns = dict(base.columns)
    else:
        raise ConfigError(f"{path}: 'columns:' is missing; name the column of each call field")
    return replace(
        base or CallMapping(name=path.stem, columns=columns),
        name=path.stem,
        columns=columns,
        **{k: _setting(path, k, data[k]) for k in _KEYS[2:] if k in data},
    )


def _columns(path: Path, raw: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: 'columns:' must map fields to column names, e.g. 'to_number: To'"
        )
    columns: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        if key not in FIELDS:
            raise ConfigError(
                f"{path}: columns.{key} is not a call field; the fields are {', '.join(FIELDS)}"
            )
        names = value if isinstance(value, list) else [value]
        if not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise ConfigError(
                f"{path}: columns.{key} must be a column name or a list of them, e.g. [Date, Time]"
            )
        columns[key] = tuple(n.strip() for n in names)
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise ConfigError(
            f"{path}: columns lacks {', '.join(missing)}; every call needs "
            f"{', '.join(REQUIRED)}: name the column that holds each"
        )
    return columns


def _setting(path: Path, key: str, value: Any) -> Any:
    """One scalar or value-map setting of a mapping file, checked."""
    if key in ("direction_values", "outcome_values"):
        allowed = DIRECTIONS if key == "direction_values" else OUTCOMES
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {key} must map export values to {'/'.join(allowed)}")
        bad = {k: v for k, v in value.items() if v not in allowed}
        if bad:
            first = next(iter(bad))
            raise ConfigError(
                f"{path}: {key}.{first} is {bad[first]!r}; each value must be one of "
                f"{', '.join(allowed)}"
            )
        return {str(k).strip().casefold(): v for k, v in value.items()}
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: {key} must be a non-empty string")
    if key == "date_format" and "%" not in value:
        raise ConfigError(f"{path}: date_format {value!r} has no % codes; e.g. '%m/%d/%Y %H:%M'")
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"{path}: timezone {value!r} is not an IANA time zone; e.g. America/New_York"
            ) from None
    if key == "encoding":
        try:
            "".encode(value)
        except LookupError:
            raise ConfigError(f"{path}: encoding {value!r} is unknown; e.g. utf-8-sig") from None
    if key == "delimiter" and len(value) != 1:
        raise ConfigError(f"{path}: delimiter must be one character, e.g. ';'")
    if key == "region":
        return check_region(value, f"{path}: region")
    return value


def check_region(region: str, what: str) -> str:
    """``region`` upper-cased, or a :class:`ConfigError` naming ``what`` and the fix."""
    code = region.upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{what} {region!r} is not a region code; use e.g. US, GB or DE")
    return code


class CallLogSource(Source):
    """A call-log CSV read with a built-in ``profile`` or an explicit ``mapping``.

    ``region`` reads national numbers (``(415) 555-0134``); a mapping's own ``region`` wins,
    since it describes where that phone system lives.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        profile: str = "generic",
        mapping: CallMapping | None = None,
        region: str = "US",
    ) -> None:
        if mapping is None:
            if profile not in PROFILES:
                raise ConfigError(
                    f"call profile {profile!r} is unknown; use one of {', '.join(PROFILES)} "
                    "or a mapping file (--map)"
                )
            mapping = PROFILES[profile]
        self.path = Path(path).absolute()
        self.mapping = mapping
        self.region = check_region(mapping.region or region, "region")
        self.key = f"calls:{self.path}"
        self.label = f"calls {self.path.name}"

    def total(self) -> int | None:
        """The file's size in bytes (``done`` counts bytes read)."""
        try:
            return self.path.stat().st_size
        except OSError as exc:
            raise SourceError(f"cannot read {self.path}: {exc.strerror}") from exc

    def read(self, checkpoint: str | None) -> Iterator[Located]:
        """Yield one item per row after ``checkpoint`` (None: from the first row)."""
        resume = _parse_checkpoint(checkpoint, self.key) if checkpoint else None
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise SourceError(f"cannot read {self.path}: {exc.strerror}") from exc
        with handle:
            lines = _Lines(handle, self.mapping.encoding)
            reader = csv.reader(lines, delimiter=self.mapping.delimiter)
            try:
                header = next(reader)
            except StopIteration:
                raise SourceError(f"{self.path} is empty; it needs a header row") from None
            except csv.Error as exc:
                raise SourceError(f"cannot read the header of {self.path}: {exc}") from exc
            index = self._index(header)
            head = _digest(lines.take())
            if resume and resume["head"] != head:
                log.warning("%s: the header changed since the checkpoint; rereading", self.key)
                resume = None
            row = _RowReader(self, index)
            start = reader.line_num + 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    raise SourceError(f"{self.path}:{start}: cannot read the CSV: {exc}") from exc
                line, start = start, reader.line_num + 1
                raw = lines.take()
                if resume is not None:
                    if line < resume["line"]:
                        continue
                    if line == resume["line"] and _digest(raw) == resume["row"]:
                        resume = None
                        continue
                    # The row the checkpoint names is gone or different: the file was rewritten.
                    log.warning("%s: line %d changed; rereading", self.key, line)
                    yield from self.read(None)
                    return
                if not any(c.strip() for c in cells):
                    continue
                mark = json.dumps({"line": line, "head": head, "row": _digest(raw)})
                yield Located(row.item(line, cells, raw), mark, lines.done)
            if resume is not None:
                log.warning("%s: the file is shorter than the checkpoint; rereading", self.key)
                yield from self.read(None)

    def _index(self, header: list[str]) -> dict[str, list[int]]:
        """Column positions for each mapped field; refuses a header that lacks any of them."""
        found = {h.strip().lstrip("\ufeff").casefold(): i for i, h in enumerate(header)}
        index: dict[str, list[int]] = {}
        missing: list[str] = []
        for fld, names in self.mapping.columns.items():
            index[fld] = [found[n.casefold()] for n in names if n.casefold() in found]
            missing += [n for n in names if n.casefold() not in found]
        if missing:
            raise SourceError(
                f"{self.path} lacks the column(s) {', '.join(missing)} that the "
                f"{self.mapping.name!r} mapping needs (found {','.join(header)}); pass "
                f"--profile with another of {', '.join(PROFILES)} or --map with a mapping file"
            )
        return index


class _RowReader:
    """Turns the cells of one row into a Captured call or a Rejected row."""

    def __init__(self, source: CallLogSource, index: dict[str, list[int]]) -> None:
        self.source, self.index, self.m = source, index, source.mapping
        self.tz = ZoneInfo(self.m.timezone)
        self.warned: set[tuple[str, str]] = set()

    def value(self, cells: list[str], fld: str) -> str:
        parts = [cells[i].strip() if i < len(cells) else "" for i in self.index.get(fld, [])]
        return " ".join(p for p in parts if p)

    def item(self, line: int, cells: list[str], raw: str) -> Captured | Rejected:
        path = str(self.source.path)

        def reject(reason: str) -> Rejected:
            excerpt = raw.rstrip("\r\n")[:EXCERPT]
            return Rejected("call", path, f"line {line}", reason, excerpt)

        started = self.value(cells, "started_at")
        try:
            occurred_at = self.started_at(started)
        except ValueError as exc:
            return reject(str(exc))
        parties: list[Party] = []
        problems: list[str] = []
        keys: list[str] = []
        for fld, role in _ROLES:
            text = self.value(cells, fld)
            try:
                e164 = _phone(text, fld, self.source.region)
            except ValueError as exc:
                foreign = national_number(text)
                if foreign is None:
                    problems.append(str(exc))
                    keys.append(text)
                    continue
                # Another country's national format: association matches it against the
                # known numbers by its national digits.
                e164 = foreign
            parties.append(Party(role, e164))
            keys.append(e164)
        if not parties:
            return reject("; ".join(problems) + "; neither number can be read")
        for problem in problems:
            log.info("%s line %d: %s; kept the call with the other number", path, line, problem)
        duration = self.duration(self.value(cells, "duration_s"))
        source_id = self.value(cells, "call_id")
        if not source_id:
            basis = "|".join([occurred_at.isoformat(), *keys, str(duration)])
            source_id = "call-" + hashlib.sha1(basis.encode()).hexdigest()
        return Captured(
            kind="call",
            source="calls",
            source_id=source_id,
            position=f"{path}:{line}",
            occurred_at=occurred_at,
            parties=parties,
            duration_s=duration,
            outcome=self.label(cells, "outcome", self.m.outcome_values, OUTCOMES),
            direction_hint=self.label(cells, "direction", self.m.direction_values, DIRECTIONS),
        )

    def started_at(self, text: str) -> datetime:
        """The start as aware UTC; naive times are in the mapping's time zone."""
        if not text:
            raise ParseError("started_at is empty: every call needs its start time")
        try:
            if self.m.date_format:
                when = datetime.strptime(text, self.m.date_format)
            else:
                when = datetime.fromisoformat(text)
        except ValueError:
            fmt = self.m.date_format or "ISO 8601 (2026-05-04T15:54:01+00:00)"
            raise ParseError(
                f"started_at has {text!r}, which is not a time in {fmt}; "
                "set date_format in the mapping file to the export's format"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        return when.astimezone(UTC)

    def duration(self, text: str) -> int | None:
        """Seconds from ``75``, ``75.0``, ``1:15`` or ``0:01:15``; None if absent or unreadable."""
        if not text:
            return None
        try:
            if ":" in text:
                seconds = 0
                for part in text.split(":"):
                    seconds = seconds * 60 + int(part)
            else:
                seconds = round(float(text))
        except (ValueError, OverflowError):  # "abc", "nan", "inf"
            seconds = -1
        if seconds < 0:
            self.warn(
                "duration_s",
                text,
                "is not a duration (seconds, m:ss or h:mm:ss, not negative); the call is kept "
                "without one",
            )
            return None
        return seconds

    def label(
        self, cells: list[str], fld: str, values: Mapping[str, str], canonical: tuple[str, ...]
    ) -> str | None:
        """A direction or outcome in its canonical spelling; None (logged once) when unknown."""
        text = self.value(cells, fld)
        if not text:
            return None
        key = text.casefold()
        if key in values:
            return values[key]
        if key in canonical:
            return key
        self.warn(fld, text)
        return None

    def warn(self, fld: str, text: str, problem: str | None = None) -> None:
        # Once per value and run: a new label shows up on every row of an export.
        if (fld, text) not in self.warned:
            self.warned.add((fld, text))
            problem = problem or (
                f"is not in the {self.m.name!r} mapping; kept as unknown (add it to the "
                "mapping's value map)"
            )
            log.warning("%s: %s %r %s", self.source.key, fld, text, problem)


def call_number(text: str, column: str, region: str) -> str:
    """A call's number as association matches it: E.164, or ``national:DIGITS`` for another
    country's national format. Raises ParseError naming ``column`` when it is neither."""
    try:
        return _phone(text, column, region)
    except ValueError:
        foreign = national_number(text)
        if foreign is None:
            raise
        return foreign


def _phone(text: str, column: str, region: str) -> str:
    """E.164 for ``text``, also when written with the ``00`` international prefix."""
    if not text:
        raise ParseError(f"{column} is empty")
    try:
        return phone_number(text, column, region)
    except ValueError:
        # 00 is the international prefix in most of the world; a log kept in the US still
        # writes European numbers that way, and the region's own rules cannot read it.
        if re.match(r"^\s*00[1-9]", text):
            try:
                return phone_number("+" + text.strip()[2:], column, region)
            except ValueError:
                pass
        raise


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _parse_checkpoint(checkpoint: str, key: str) -> dict[str, Any]:
    try:
        mark = json.loads(checkpoint)
        if not isinstance(mark, dict):
            raise ParseError("not an object")
        return {"line": int(mark["line"]), "head": str(mark["head"]), "row": str(mark["row"])}
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(
            f"{key}: the stored checkpoint {checkpoint[:80]!r} is not a call-log checkpoint "
            f"({exc}); reset the checkpoint to read the file from the top"
        ) from None


class _Lines:
    """The file's lines, decoded, counting bytes and keeping the raw text of the current row.

    ``csv.reader`` pulls exactly the lines one row needs, so after each row ``done`` is the bytes
    behind it and :meth:`take` returns that row's raw text.
    """

    def __init__(self, handle: BinaryIO, encoding: str) -> None:
        self.handle, self.encoding = handle, encoding
        self.done = 0
        self.pending: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        data = self.handle.readline()
        if not data:
            raise StopIteration
        # utf-8-sig strips a BOM only at the start of what it decodes: the first line.
        encoding = self.encoding if self.done == 0 else self.encoding.replace("utf-8-sig", "utf-8")
        self.done += len(data)
        # Undecodable bytes become U+FFFD rather than stopping the run: a number or date
        # holding one then fails on its own row, which is quarantined with its raw text.
        text = data.decode(encoding, errors="replace")
        self.pending.append(text)
        return text

    def take(self) -> str:
        """The raw text read since the last call."""
        text, self.pending = "".join(self.pending), []
        return text
