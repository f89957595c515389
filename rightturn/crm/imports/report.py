"""What an import did: counts per file, the rows it could not use, and what it normalized."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """A row the import rejected (``rejected``) or kept with a gap (``warning``)."""

    file: str
    line: int
    reason: str
    severity: str = "rejected"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class FileCounts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass
class ImportReport:
    """The summary an import ends with; ``changed`` is false for a repeated import."""

    source: str
    files: dict[str, FileCounts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self, file: str) -> FileCounts:
        return self.files.setdefault(file, FileCounts())

    def reject(self, file: str, line: int, reason: str) -> None:
        self.problems.append(Problem(file, line, reason, "rejected"))
        self.counts(file).rejected += 1

    def warn(self, file: str, line: int, reason: str) -> None:
        self.problems.append(Problem(file, line, reason, "warning"))

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "rejected"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def totals(self) -> FileCounts:
        total = FileCounts()
        for c in self.files.values():
            total.read += c.read
            total.created += c.created
            total.updated += c.updated
            total.unchanged += c.unchanged
            total.rejected += c.rejected
        return total

    @property
    def changed(self) -> bool:
        t = self.totals
        return bool(t.created or t.updated)
