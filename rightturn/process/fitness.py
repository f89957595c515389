"""Token-replay fitness of deals' stage paths against the process's stage model (pm4py).

The stage model becomes a Petri net: one transition per open stage, in the process's order, each
taking the token from the place after the previous stage; a won stage fires only after the last
open stage; a lost stage after any (a silent move from every place to a "losing" place). A deal's
path replays on it; pm4py's token-based replay counts the tokens a path had to invent (a skipped
stage) or left behind (a backward move), and its fitness is 1.0 for a path the model allows.
An open deal replays up to its current stage: the token waiting there is not a deviation.

pm4py (AGPL-3.0) is an optional dependency (``pip install 'rightturn[mining]'``; ``make``
installs it): without it, :func:`replay` returns None and everything else of the conformance
check still works.
"""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from typing import Any

from rightturn.process.definition import Process

__all__ = ["available", "replay"]


def available() -> bool:
    """Whether pm4py is installed."""
    return importlib.util.find_spec("pm4py") is not None


def _net(process: Process) -> tuple[Any, Any, dict[str | None, Any], Any]:
    """The stage model as a Petri net: (net, initial marking, the place after each open stage
    (None: the start), the final place)."""
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

    net = PetriNet("stage model")

    def place(name: str) -> Any:
        p = PetriNet.Place(name)
        net.places.add(p)
        return p

    def transition(name: str, label: str | None, source: Any, target: Any) -> None:
        t = PetriNet.Transition(name, label)
        net.transitions.add(t)
        add_arc_from_to(source, t, net)
        add_arc_from_to(t, target, net)

    after: dict[str | None, Any] = {None: place("start")}
    losing, end = place("losing"), place("end")
    previous = after[None]
    for stage in process.open_stages:
        after[stage] = place(f"after {stage}")
        transition(stage, stage, previous, after[stage])
        previous = after[stage]
    for i, p in enumerate(after.values()):
        transition(f"lose from {i}", None, p, losing)
    for s in process.stages:
        if s.outcome == "won":
            transition(s.name, s.name, previous, end)
        elif s.outcome == "lost":
            transition(s.name, s.name, losing, end)
    return net, Marking({after[None]: 1}), after, end


def replay(
    process: Process, paths: dict[str, tuple[list[str], str | None]]
) -> dict[str, float] | None:
    """Each deal's fitness (0 to 1) from its ``(stage path, open stage or None when closed)``,
    the stage names spelled as the process spells them; None when pm4py is not installed.
    Deals with an empty path are left out."""
    if not available():
        return None
    from pm4py.algo.conformance.tokenreplay import algorithm as token_replay
    from pm4py.objects.log.obj import Event, EventLog, Trace
    from pm4py.objects.petri_net.obj import Marking

    net, start, after, end = _net(process)
    groups: dict[str | None, list[str]] = defaultdict(list)
    for deal, (path, open_in) in paths.items():
        if path:
            groups[open_in].append(deal)
    fitness: dict[str, float] = {}
    for open_in, deals in groups.items():
        log = EventLog([Trace([Event({"concept:name": s}) for s in paths[d][0]]) for d in deals])
        final = Marking({after[open_in] if open_in else end: 1})
        found = token_replay.apply(log, net, start, final, parameters={"show_progress_bar": False})
        fitness.update({d: float(r["trace_fitness"]) for d, r in zip(deals, found, strict=True)})
    return fitness
