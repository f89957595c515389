"""Reading one CSV file of an import: header check, rows with their line numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from rightturn.errors import SourceError

ENCODING = "utf-8-sig"  # UTF-8, with or without the byte-order mark Excel writes
PROBLEM = "__problem__"  # a row's reason to be rejected
NUL = "__nul__"  # how many NUL bytes were taken out of a row's cells
CELL = 100_000  # characters a CRM cell may hold (names, ids, amounts, lists of emails)
HARD_LIMIT = 16 * 2**20  # what the csv module reads at all, so a long cell can be named
RAW = 2000  # characters of the raw row kept with a rejection
csv.field_size_limit(HARD_LIMIT)


def check_folder(
    folder: Path,
    layout: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    what: str,
    *,
    encoding: str = "utf-8-sig",
) -> list[str]:
    """The files of ``layout`` present in ``folder``, after checking all of them can be read.

    A missing folder, a missing required file or a header without a required column refuses
    the whole import, before any row is read or written. ``what`` describes the layout for the
    message (e.g. "the canonical layout needs reps.csv, ...").
    """
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a folder: give the folder that holds {required[0]}")
    missing = [f for f in required if not (folder / f).is_file()]
    if missing:
        raise SourceError(f"{folder} lacks {', '.join(missing)}: {what}")
    present = [f for f in layout if (folder / f).is_file()]
    for name in present:
        next(iter(read_rows(folder / name, layout[name], encoding=encoding)), None)
    return present


def read_rows(
    path: Path, required: tuple[str, ...], *, delimiter: str = ",", encoding: str = ENCODING
) -> Iterator[tuple[int, dict[str, str], str]]:
    """Yield ``(line, row, raw)`` for each data row of ``path``.

    The header must hold every ``required`` column (more are allowed); otherwise the whole file is
    refused with a :class:`SourceError` naming the missing columns, before anything is written.
    ``line`` is the 1-based line where the row starts, as an editor shows it. NUL bytes are taken
    out of every cell (``row[NUL]`` says how many); a row that cannot be used as it is carries
    the reason in ``row[PROBLEM]`` (the caller rejects it, naming the line).
    """
    with _open(path, encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = _header(reader, path, required, encoding)
        start = reader.line_num + 1
        while (cells := _next_cells(reader, path, encoding, start)) is not None:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            row, cells = _row(header, cells)
            yield line, row, delimiter.join(cells)[:RAW]


def _open(path: Path, encoding: str) -> TextIO:
    """The file opened as text, or a SourceError: it cannot be read, or no such encoding."""
    try:
        return path.open(newline="", encoding=encoding)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from exc
    except LookupError:
        raise SourceError(
            f"unknown encoding {encoding!r}: use utf-8, cp1252, latin-1, utf-16, ..."
        ) from None


def _header(
    reader: Iterator[list[str]], path: Path, required: tuple[str, ...], encoding: str
) -> list[str]:
    """The header row's column names, after checking it names every ``required`` column."""
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SourceError(f"{path} is empty: it needs a header row {','.join(required)}") from None
    except UnicodeDecodeError as exc:
        raise _not_encoded(path, encoding, exc) from None
    except csv.Error as exc:
        raise SourceError(f"cannot read the header of {path}: {exc}") from exc
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceError(
            f"{path} lacks the column(s) {', '.join(missing)}; its header must name "
            f"{','.join(required)} (found {','.join(header)})"
        )
    return header


def _next_cells(
    reader: Iterator[list[str]], path: Path, encoding: str, start: int
) -> list[str] | None:
    """The next row's cells (None at the end of the file); a row that cannot be decoded or
    read as CSV refuses the file, naming the line it starts on (``start``)."""
    try:
        return next(reader)
    except StopIteration:
        return None
    except UnicodeDecodeError as exc:
        raise _not_encoded(path, encoding, exc) from None
    except csv.Error as exc:
        raise SourceError(
            f"{path}:{start}: cannot read the CSV ({exc}); a cell over "
            f"{HARD_LIMIT:,} characters is usually an unclosed quote on that line"
        ) from exc


def _row(header: list[str], cells: list[str]) -> tuple[dict[str, str], list[str]]:
    """The row by column and its cells, NUL bytes taken out (``row[NUL]`` says how many), with
    ``row[PROBLEM]`` when the row cannot be used as it is: a cell count other than the
    header's, or a cell longer than any CRM value."""
    nul = sum(c.count("\x00") for c in cells)
    if nul:
        cells = [c.replace("\x00", "") for c in cells]
    row = dict(zip(header, cells, strict=False))
    if len(cells) != len(header):
        row[PROBLEM] = f"the row has {len(cells)} cells for {len(header)} columns"
    elif long := [(h, len(c)) for h, c in zip(header, cells, strict=False) if len(c) > CELL]:
        column, size = long[0]
        row[PROBLEM] = (
            f"column {column} holds {size:,} characters; a CRM cell holds at most "
            f"{CELL:,} (check that column's quoting on this line)"
        )
    if nul:
        row[NUL] = str(nul)
    return row, cells


def _not_encoded(path: Path, encoding: str, exc: UnicodeDecodeError) -> SourceError:
    """A decoding error naming the real line (the decoder reads ahead in blocks, so the CSV
    reader's own line count is behind) and the fix."""
    line = 0
    with path.open("rb") as raw:
        for line, data in enumerate(raw, start=1):
            try:
                data.decode(encoding.removesuffix("-sig") if line > 1 else encoding)
            except UnicodeDecodeError:
                break
    bad = exc.object[exc.start : exc.start + 1].hex()
    return SourceError(
        f"{path}:{line}: not {encoding.removesuffix('-sig').upper()} text (byte 0x{bad}); "
        "re-save the file as UTF-8 (in Excel: Save As, CSV UTF-8), or pass --encoding cp1252 "
        "if it was written by Excel on Windows"
    )
