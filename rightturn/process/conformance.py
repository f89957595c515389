"""Deals against the stage model: the path each deal took, its deviations, its fitness, and the
process map of what deals actually did.

A deal conforms when it enters the process's open stages in order, one after the other, and
closes from there: won from the last open stage, lost from any. Each move between two stages
(from the deal's stage history, up to the as-of date) is one of

* ``start`` (created in the first stage), ``forward`` (to the next stage), ``won`` (from the
  last open stage), ``lost`` (from any);
* ``skip``: over one or more open stages (created in Discovery; Qualification to Proposal;
  won straight from Discovery) — the stages jumped over are named;
* ``backward``: to an earlier open stage, or out of a closed stage again (a reopened deal);
* ``outside``: to or from a stage the process does not name (it keeps its place on the map,
  and is left out of the checks).

Every move into a stage (all but ``lost``, ``backward`` and ``outside``) is also checked against
the criteria of the process file: the exit criteria of the stage left and the entry criteria of
the stage entered, on the data as of the move (:mod:`rightturn.process.criteria`). A criterion
not met is an *advance with criteria unmet*.

Fitness is pm4py's token-based replay of the path on the stage model
(:mod:`rightturn.process.fitness`). Roll-ups are per rep, team or product line (the deal's own
product series), and the map counts every move with the median days it took.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.crm.model import Opportunity, Product, Rep, StageChange, Team
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.errors import ParseError
from rightturn.process.criteria import Evidence, read_evidence
from rightturn.process.definition import Process
from rightturn.process.fitness import available, replay
from rightturn.process.versions import process_in_force

__all__ = [
    "BY",
    "DEVIATIONS",
    "MOVE_KINDS",
    "Conformance",
    "ConformanceRollup",
    "DealPath",
    "Move",
    "check_conformance",
    "deal_paths",
    "rollup",
    "summarize_paths",
]

BY = ("rep", "team", "product")
MOVE_KINDS = ("start", "forward", "won", "lost", "skip", "backward", "outside")
# The deviations a deal list can be filtered on, in words.
DEVIATIONS = {
    "skip": "skipped a stage",
    "backward": "moved backward",
    "unmet": "advanced with criteria unmet",
    "unfit": "does not fit the stage model",
}
_ADVANCES = ("start", "forward", "won", "skip")


@dataclass(frozen=True)
class Move:
    """A deal entering ``to`` from ``source`` (None: the deal was created in ``to``)."""

    source: str | None
    to: str
    at: datetime
    kind: str
    days: float | None = None  # since entering ``source``
    skipped: tuple[str, ...] = ()
    unmet: tuple[str, ...] = ()  # "exit of Discovery: at least 2 buyer contacts engaged"


@dataclass(frozen=True)
class DealPath:
    """One deal's path through the stages, with its deviations and fitness (None without
    pm4py, or with no stage of the process in its path)."""

    opportunity_id: str
    name: str
    rep_id: str | None
    product_line: str
    status: str
    moves: tuple[Move, ...]
    fitness: float | None

    @property
    def skipped(self) -> list[str]:
        return [s for m in self.moves for s in m.skipped]

    @property
    def backward(self) -> int:
        return sum(m.kind == "backward" for m in self.moves)

    @property
    def unmet(self) -> list[str]:
        return [u for m in self.moves for u in m.unmet]

    @property
    def advances(self) -> int:
        return sum(m.kind in _ADVANCES for m in self.moves)

    @property
    def stages(self) -> list[str]:
        return [m.to for m in self.moves]

    def deviates(self, kind: str) -> bool:
        """Whether the path shows deviation ``kind`` (a key of :data:`DEVIATIONS`)."""
        if kind == "skip":
            return bool(self.skipped)
        if kind == "backward":
            return self.backward > 0
        if kind == "unmet":
            return bool(self.unmet)
        return self.fitness is not None and self.fitness < 1.0

    @property
    def conforms(self) -> bool:
        return not (self.skipped or self.backward or self.unmet)


@dataclass(frozen=True)
class ConformanceRollup:
    """Conformance of a group of deals."""

    key: str
    name: str
    deals: int
    conforming_share: float | None
    fitness_avg: float | None
    skipped_share: float | None
    backward_share: float | None
    advances: int
    unmet_share: float | None
    top_unmet: str | None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Conformance:
    """The conformance check of every deal in a scope, overall and per group, with the map."""

    process_version: int
    process_name: str
    as_of: datetime
    by_what: str
    overall: ConformanceRollup
    by: list[ConformanceRollup]
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    fitness_available: bool

    def as_json(self) -> dict[str, Any]:
        head = self.overall.as_json()
        del head["key"], head["name"]
        return {
            "process_version": self.process_version,
            "process_name": self.process_name,
            "as_of": self.as_of.isoformat(),
            "by_what": self.by_what,
            **head,
            "fitness_available": self.fitness_available,
            "by": [r.as_json() for r in self.by],
            "map": {"nodes": self.nodes, "edges": self.edges},
        }


class _Model:
    """The process's stages as the checks read them: names in any case, open stages' order."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.open = process.open_stages
        self.index = {s: i for i, s in enumerate(self.open)}
        self.outcome = {s.name: s.outcome for s in process.stages}
        self.spelling = {s.name.casefold(): s.name for s in process.stages}
        self.stage = {s.name: s for s in process.stages}

    def kind(self, source: str | None, to: str) -> tuple[str, tuple[str, ...]]:
        """The kind of the move ``source`` -> ``to`` and the open stages it jumped over."""
        if to not in self.outcome or (source is not None and source not in self.outcome):
            return "outside", ()
        if source is not None and self.outcome[source] is not None:
            return "backward", ()
        if self.outcome[to] == "lost":
            return "lost", ()
        at = -1 if source is None else self.index[source]
        target = len(self.open) if self.outcome[to] == "won" else self.index[to]
        if target <= at:
            return "backward", ()
        skipped = tuple(self.open[at + 1 : target])
        if skipped:
            return "skip", skipped
        return ("start" if source is None else "won" if to not in self.index else "forward"), ()

    def unmet(self, source: str | None, to: str, at: datetime, evidence: Evidence) -> list[str]:
        """The criteria of leaving ``source`` and entering ``to`` not met by ``at``."""
        out = []
        for name, which in ((source, "exit"), (to, "entry")):
            if name is None:
                continue
            for c in self.stage[name].criteria(which):  # type: ignore[arg-type]
                if not evidence.met(c, at):
                    out.append(f"{which} of {name}: {c.text}")
        return out


def _paths(
    s: Session, scope: Scope, model: _Model, as_of: datetime, rep_id: str | None
) -> list[DealPath]:
    q = (
        select(
            Opportunity.opportunity_id,
            Opportunity.name,
            Opportunity.owner_rep_id,
            Opportunity.product,
            Product.series,
            StageChange.stage,
            StageChange.entered_at,
        )
        .join(StageChange, StageChange.opportunity_id == Opportunity.opportunity_id)
        .outerjoin(Product, Product.name == Opportunity.product)
        .where(
            scope.reps(Opportunity.owner_rep_id),
            Opportunity.created_at <= as_of,
            StageChange.entered_at <= as_of,
        )
        .order_by(Opportunity.opportunity_id, StageChange.entered_at, StageChange.id)
    )
    if rep_id is not None:
        q = q.where(Opportunity.owner_rep_id == rep_id)
    rows: dict[str, list[Any]] = {}
    for row in s.execute(q):
        rows.setdefault(row[0], []).append(row)
    evidence = read_evidence(s, scope, until=as_of, rep_id=rep_id)
    out = [_path(model, found, evidence.get(opp)) for opp, found in rows.items()]
    fitness = replay(model.process, {p.opportunity_id: _trace(model, p) for p in out}) or {}
    return [p if p.opportunity_id not in fitness else _with_fitness(p, fitness) for p in out]


def _path(model: _Model, rows: list[Any], evidence: Evidence | None) -> DealPath:
    opp, name, rep, product, series = rows[0][:5]
    moves: list[Move] = []
    source: str | None = None
    since: datetime | None = None
    for *_, said, at in rows:
        stage = model.spelling.get(said.casefold(), said)
        if stage == source:
            continue  # the same stage recorded twice is no move
        kind, skipped = model.kind(source, stage)
        unmet = (
            model.unmet(source, stage, at, evidence)
            if kind in _ADVANCES and evidence is not None
            else []
        )
        days = (at - since).total_seconds() / 86400 if since else None
        moves.append(Move(source, stage, at, kind, days, skipped, tuple(unmet)))
        source, since = stage, at
    last = model.outcome.get(moves[-1].to, None) if moves else None
    status = {"won": "won", "lost": "lost"}.get(last or "", "open")
    return DealPath(opp, name or opp, rep, series or product or "", status, tuple(moves), None)


def _trace(model: _Model, path: DealPath) -> tuple[list[str], str | None]:
    """The path as the replay reads it: the process's stages only, and the open stage the deal
    waits in (None once closed)."""
    stages = [m.to for m in path.moves if m.to in model.outcome]
    collapsed = [s for i, s in enumerate(stages) if i == 0 or s != stages[i - 1]]
    last = collapsed[-1] if collapsed else None
    return collapsed, (last if last in model.index else None)


def _with_fitness(path: DealPath, fitness: dict[str, float]) -> DealPath:
    return DealPath(**{**path.__dict__, "fitness": fitness[path.opportunity_id]})


def deal_paths(
    store: Store, scope: Scope, *, as_of: datetime, rep_id: str | None = None
) -> tuple[int, Process, list[DealPath]]:
    """Every deal's path in ``scope`` (one rep's with ``rep_id``) as of ``as_of``, checked
    against the process in force then: (its version, the process, the paths)."""
    version, process = process_in_force(store, as_of)
    with store.session() as s:
        return version, process, _paths(s, scope, _Model(process), as_of, rep_id)


def _share(hits: int, n: int) -> float | None:
    return hits / n if n else None


def rollup(key: str, name: str, paths: list[DealPath]) -> ConformanceRollup:
    """The conformance figures of ``paths``."""
    n = len(paths)
    fits = [p.fitness for p in paths if p.fitness is not None]
    advances = sum(p.advances for p in paths)
    unmet_moves = sum(bool(m.unmet) for p in paths for m in p.moves)
    criteria = Counter(u for p in paths for u in p.unmet)
    return ConformanceRollup(
        key=key,
        name=name,
        deals=n,
        conforming_share=_share(sum(p.conforms for p in paths), n),
        fitness_avg=statistics.fmean(fits) if fits else None,
        skipped_share=_share(sum(bool(p.skipped) for p in paths), n),
        backward_share=_share(sum(p.backward > 0 for p in paths), n),
        advances=advances,
        unmet_share=_share(unmet_moves, advances),
        top_unmet=criteria.most_common(1)[0][0] if criteria else None,
    )


def process_map(model: Process, paths: list[DealPath]) -> tuple[list[dict], list[dict]]:
    """The discovered map: each stage with the deals that entered it, and each move that
    happened with how many deals made it, its kind and the median days it took."""
    entered = Counter(s for p in paths for s in set(p.stages))
    outcome = {s.name: s.outcome for s in model.stages}
    order = {name: i for i, name in enumerate(model.stage_order)}
    nodes = [
        {"stage": s, "deals": entered[s], "outcome": outcome.get(s), "in_process": s in outcome}
        for s in sorted(entered, key=lambda s: (order.get(s, len(order)), s))
    ]
    moves: dict[tuple[str | None, str], list[Move]] = {}
    for p in paths:
        for m in p.moves:
            moves.setdefault((m.source, m.to), []).append(m)
    edges: list[dict[str, Any]] = [
        {
            "from": source,
            "to": to,
            "deals": len(made),
            "kind": made[0].kind,
            "median_days": _median([m.days for m in made if m.days is not None]),
        }
        for (source, to), made in moves.items()
    ]
    edges.sort(key=lambda e: -int(e["deals"]))
    return nodes, edges


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _groups(s: Session, by: str, paths: list[DealPath]) -> dict[str, tuple[str, str]]:
    """Each deal's group for ``by``: opportunity id -> (group key, group name)."""
    if by == "product":
        return {p.opportunity_id: (p.product_line, p.product_line or "(no product)") for p in paths}
    reps = {
        r: (name, team, tname)
        for r, name, team, tname in s.execute(
            select(Rep.rep_id, Rep.name, Rep.team_id, Team.name).outerjoin(
                Team, Team.team_id == Rep.team_id
            )
        )
    }
    out = {}
    for p in paths:
        name, team, tname = reps.get(p.rep_id or "", (None, None, None))
        if by == "rep":
            out[p.opportunity_id] = (p.rep_id or "", name or "(no owner)")
        else:
            out[p.opportunity_id] = (team or "", tname or "(no team)")
    return out


def check_conformance(
    store: Store, scope: Scope, *, as_of: datetime, by: Literal["rep", "team", "product"] = "rep"
) -> Conformance:
    """Every deal in ``scope`` against the stage model of the process in force at ``as_of``:
    overall, per ``by`` group, and the discovered process map."""
    if by not in BY:
        raise ParseError(f"--by {by!r}: use one of {', '.join(BY)}")
    version, process, paths = deal_paths(store, scope, as_of=as_of)
    return summarize_paths(store, version, process, paths, as_of=as_of, by=by)


def summarize_paths(
    store: Store,
    version: int,
    process: Process,
    paths: list[DealPath],
    *,
    as_of: datetime,
    by: str = "rep",
) -> Conformance:
    """The roll-ups and map of paths already checked (:func:`deal_paths`), per ``by`` group."""
    with store.session() as s:
        groups = _groups(s, by, paths)
    parts: dict[tuple[str, str], list[DealPath]] = {}
    for p in paths:
        parts.setdefault(groups[p.opportunity_id], []).append(p)
    rows = [rollup(key, name, part) for (key, name), part in parts.items()]
    rows.sort(key=lambda r: (r.name.lower(), r.key))
    nodes, edges = process_map(process, paths)
    return Conformance(
        version,
        process.name,
        as_of,
        by,
        rollup("", "All deals", paths),
        rows,
        nodes,
        edges,
        fitness_available=available(),
    )
