"""Reading one CSV file of an import: header check, rows with their line numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from rightturn.errors import SourceError


def check_folder(
    folder: Path, layout: dict[str, tuple[str, ...]], required: tuple[str, ...], what: str
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
        next(iter(read_rows(folder / name, layout[name])), None)
    return present


def read_rows(
    path: Path, required: tuple[str, ...], *, delimiter: str = ","
) -> Iterator[tuple[int, dict[str, str], str]]:
    """Yield ``(line, row, raw)`` for each data row of ``path``.

    The header must hold every ``required`` column (more are allowed); otherwise the whole file is
    refused with a :class:`SourceError` naming the missing columns, before anything is written.
    ``line`` is the 1-based line where the row starts, as an editor shows it.
    """
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise SourceError(
                f"{path} is empty: it needs a header row {','.join(required)}"
            ) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read the header of {path}: {exc}") from exc
        missing = [c for c in required if c not in header]
        if missing:
            raise SourceError(
                f"{path} lacks the column(s) {', '.join(missing)}; its header must name "
                f"{','.join(required)} (found {','.join(header)})"
            )
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                raise SourceError(f"{path}:{start}: cannot read the CSV: {exc}") from exc
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            row = dict(zip(header, cells, strict=False))
            if len(cells) != len(header):
                row["__width__"] = f"{len(cells)} cells for {len(header)} columns"
            yield line, row, delimiter.join(cells)
