"""A sales process as data: stages with criteria, cadences (plays), dispositions, capacity.

A process is a YAML file (the shipped ones are in ``rightturn/process/files/``):

.. code-block:: yaml

    name: Default B2B process
    stages:
      - name: Prospecting
      - name: Qualification
        entry: [a buyer reply]
      - name: Discovery
        entry: [a meeting with a buyer held]
        exit: [at least 2 buyer contacts engaged]
      - name: Closed Won
        outcome: won
      - name: Closed Lost
        outcome: lost
    cadences:
      - name: Prospecting
        applies_to: {stage: prospect}     # prospects: contacts without an open deal
        touches:
          - {channel: email, wait_days: 0, template: first-touch}
          - {channel: call, wait_days: 2}
        exit_on: [buyer reply, meeting booked, bounce, opt-out, disposition]
    dispositions:
      disqualify_reasons: [no budget, no need, chose a competitor, no response]
    day:
      new_prospects_per_day: 10
      dark_after_days: 14

:func:`load_process` reads and validates one, and every error names its line
(:class:`ProcessError` holds them all). Criteria are sentences from a fixed vocabulary
(:data:`CRITERIA`), so each can be evaluated on the captured data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rightturn.errors import ParseError

__all__ = [
    "CHANNELS",
    "CRITERIA",
    "DISPOSITIONS",
    "EXIT_RULES",
    "FILES",
    "Cadence",
    "Criterion",
    "DayPlan",
    "Process",
    "ProcessError",
    "Stage",
    "Touch",
    "default_process",
    "load_process",
    "parse_process",
    "read_process_file",
]

FILES = Path(__file__).parent / "files"
CHANNELS = ("email", "call", "meeting", "other")
DISPOSITIONS = ("qualify", "disqualify", "postpone", "archive", "revisit")
EXIT_RULES = ("buyer reply", "meeting booked", "bounce", "opt-out", "disposition")
# Criteria a stage's entry or exit can require, each evaluable on captured and imported data.
# "at least N buyer contacts engaged" takes any N from 1 to 50.
CRITERIA = (
    "amount set",
    "close date set",
    "a buyer reply",
    "a meeting with a buyer held",
    "at least N buyer contacts engaged",
)
_AT_LEAST = re.compile(r"^at least (\d+) buyer contacts? engaged$")


@dataclass(frozen=True)
class Criterion:
    """One evaluable criterion: ``kind`` is one of amount_set, close_date_set, buyer_reply,
    meeting_held, buyer_contacts; ``at_least`` counts buyer contacts."""

    kind: str
    at_least: int = 1
    text: str = ""


def parse_criterion(text: str) -> Criterion:
    """A criterion sentence as written in a process file; a :class:`ParseError` names the
    sentences it may be."""
    said = " ".join(str(text).lower().split())
    fixed = {
        "amount set": "amount_set",
        "close date set": "close_date_set",
        "a buyer reply": "buyer_reply",
        "a meeting with a buyer held": "meeting_held",
    }
    if said in fixed:
        return Criterion(fixed[said], text=said)
    match = _AT_LEAST.match(said)
    if match and 1 <= int(match.group(1)) <= 50:
        return Criterion("buyer_contacts", int(match.group(1)), said)
    raise ParseError(f"{text!r} is not a criterion we can check; use one of: {'; '.join(CRITERIA)}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(_Strict):
    """A stage deals move through; ``outcome`` marks the closed ones."""

    name: str = Field(min_length=1, max_length=100)
    outcome: Literal["won", "lost"] | None = None
    entry: tuple[str, ...] = ()
    exit: tuple[str, ...] = ()
    # Days a deal usually stays; beyond it the guided day calls the deal stuck (None: learned
    # from history, the stage's P90).
    usual_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("entry", "exit")
    @classmethod
    def _criteria(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            parse_criterion(text)
        return value

    def criteria(self, which: Literal["entry", "exit"]) -> list[Criterion]:
        """The stage's entry or exit criteria, parsed."""
        return [parse_criterion(t) for t in getattr(self, which)]


class Touch(_Strict):
    """One step of a cadence: a channel, the days to wait after the previous touch, and the
    template the play suggests."""

    channel: Literal["email", "call", "meeting", "other"]
    wait_days: float = Field(ge=0, le=365)
    template: str | None = Field(default=None, max_length=200)


class AppliesTo(_Strict):
    """Who a cadence is for: prospects (contacts with no open deal) or deals in given stages,
    optionally only some segments (account industries) or product lines."""

    stage: str = "prospect"  # "prospect" or a stage name
    segments: tuple[str, ...] = ()
    products: tuple[str, ...] = ()

    @property
    def audience(self) -> str:
        """Whom the cadence is for, in words: ``prospects, segments SMB`` or ``deals in
        Proposal, products Atlas``."""
        who = "prospects" if self.stage.lower() == "prospect" else f"deals in {self.stage}"
        if self.segments:
            who += f", segments {', '.join(self.segments)}"
        if self.products:
            who += f", products {', '.join(self.products)}"
        return who


class Cadence(_Strict):
    """A play: ordered touches, and what ends it early."""

    name: str = Field(min_length=1, max_length=100)
    applies_to: AppliesTo = AppliesTo()
    touches: tuple[Touch, ...] = Field(min_length=1, max_length=50)
    exit_on: tuple[
        Literal["buyer reply", "meeting booked", "bounce", "opt-out", "disposition"], ...
    ] = (
        "buyer reply",
        "meeting booked",
        "bounce",
        "opt-out",
        "disposition",
    )

    @property
    def span_days(self) -> float:
        """Days from the first touch to the last, when every wait is kept."""
        return self.due_days[-1]

    @property
    def due_days(self) -> list[float]:
        """Each touch's day after the first one, when every wait is kept (the first: 0)."""
        return list(accumulate(t.wait_days if i else 0.0 for i, t in enumerate(self.touches)))

    def planned_by(self, days_since_start: float) -> int:
        """Touches the plan has made due ``days_since_start`` after the first one."""
        return sum(1 for day in self.due_days if day <= days_since_start)


class Dispositions(_Strict):
    """What a prospect or deal can be given instead of the next touch."""

    disqualify_reasons: tuple[str, ...] = (
        "no budget",
        "no need",
        "chose a competitor",
        "no response",
    )


class DayPlan(_Strict):
    """The guided day's limits: new prospects a rep starts a day, when a deal is dark."""

    new_prospects_per_day: int = Field(default=10, ge=0, le=500)
    dark_after_days: int = Field(default=14, ge=1, le=365)


class Process(_Strict):
    """A whole process definition (see the module's docstring for the file)."""

    name: str = Field(min_length=1, max_length=200)
    stages: tuple[Stage, ...] = Field(min_length=2)
    cadences: tuple[Cadence, ...] = ()
    dispositions: Dispositions = Dispositions()
    day: DayPlan = DayPlan()

    @model_validator(mode="after")
    def _consistent(self) -> Process:
        names = [s.name.lower() for s in self.stages]
        wrong = []
        if len(set(names)) != len(names):
            wrong.append("stages: a stage is named twice")
        for outcome in ("won", "lost"):
            if not any(s.outcome == outcome for s in self.stages):
                wrong.append(f"stages: no stage has outcome: {outcome}")
        if not any(s.outcome is None for s in self.stages):
            wrong.append("stages: every stage is closed; name the open ones in order")
        for cadence in self.cadences:
            target = cadence.applies_to.stage.lower()
            if target != "prospect" and target not in names:
                wrong.append(
                    f"cadence {cadence.name!r}: applies_to.stage {cadence.applies_to.stage!r} "
                    "is not a stage of this process (or 'prospect')"
                )
        if wrong:
            raise ParseError("; ".join(wrong))
        return self

    @property
    def open_stages(self) -> list[str]:
        """The open stages, in order."""
        return [s.name for s in self.stages if s.outcome is None]

    @property
    def ordered_stages(self) -> list[Stage]:
        """Every stage in process order: the open ones, then won, then lost."""
        rank = {None: 0, "won": 1, "lost": 2}
        return sorted(self.stages, key=lambda s: rank[s.outcome])

    @property
    def stage_order(self) -> list[str]:
        """The names of :attr:`ordered_stages`."""
        return [s.name for s in self.ordered_stages]

    def cadence_for(
        self, stage: str = "prospect", segment: str | None = None, product: str | None = None
    ) -> Cadence | None:
        """The first cadence that applies to a prospect (or a deal in ``stage``)."""
        for cadence in self.cadences:
            rule = cadence.applies_to
            if rule.stage.lower() != stage.lower():
                continue
            if rule.segments and (segment or "").lower() not in {x.lower() for x in rule.segments}:
                continue
            if rule.products and (product or "").lower() not in {x.lower() for x in rule.products}:
                continue
            return cadence
        return None


class ProcessError(ParseError):
    """A process file that cannot be used; ``problems`` lists each as (line, message)."""

    def __init__(self, source: str, problems: list[tuple[int | None, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [
            f"{source}:{line}: {msg}" if line else f"{source}: {msg}" for line, msg in problems
        ]
        super().__init__("\n".join(lines))


def _plain(node: yaml.Node, lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> Any:
    """The YAML node as Python values, recording each value's line (1-based) by its path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _plain(value_node, lines, (*path, key))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, lines, (*path, i)) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest part of ``loc`` the file has (a missing key: its parent)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _problems(
    exc: ValidationError, lines: dict[tuple[Any, ...], int]
) -> list[tuple[int | None, str]]:
    """Each validation error with its line, its place written for people (``stages #2.entry``,
    counting from 1), and without the echoes pydantic adds (a list "too short" only because one
    of its items failed)."""
    errors = [
        (tuple(p for p in e["loc"] if not str(p).startswith("function-")), e) for e in exc.errors()
    ]
    problems = []
    for loc, error in errors:
        deeper = any(len(other) > len(loc) and other[: len(loc)] == loc for other, _ in errors)
        if error["type"] == "too_short" and deeper:
            continue
        where = "".join(f" #{p + 1}" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append((_line(lines, loc), f"{where or 'the process'}: {message}"))
    return sorted(problems, key=lambda p: p[0] or 0)


def parse_process(text: str, source: str = "the process file") -> Process:
    """A process from YAML text; :class:`ProcessError` lists every problem with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProcessError(
            source, [(mark.line + 1 if mark else None, f"not YAML: {problem}")]
        ) from None
    if node is None:
        raise ProcessError(
            source, [(None, "the file is empty: start from `rightturn process show --default`")]
        )
    lines: dict[tuple[Any, ...], int] = {}
    data = _plain(node, lines, ())
    if not isinstance(data, dict):
        raise ProcessError(source, [(1, "a process is a mapping with name, stages and cadences")])
    try:
        return Process.model_validate(data)
    except ValidationError as exc:
        raise ProcessError(source, _problems(exc, lines)) from None


def read_process_file(path: Path) -> str:
    """A process file's text; a clear error for a file that cannot be read or is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParseError(f"cannot read the process file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ParseError(f"{path} is not UTF-8 text: save it as UTF-8") from None


def load_process(path: Path) -> Process:
    """The process in a YAML file (errors name the file and each problem's line)."""
    return parse_process(read_process_file(path), str(path))


def default_process() -> Process:
    """The shipped default: the usual B2B stages and the 8-touch, three-week prospecting play."""
    return load_process(FILES / "default.yaml")
