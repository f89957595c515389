"""The process map as an SVG: the stages in the process's order, every move deals made between
them, drawn so a deviation stands out.

Open stages sit on one row, left to right, after a "created" node; won closes the row; lost
sits below it. Moves the model allows are straight grey-blue arrows (lost ones light, curving
down); a skip arcs above the row in amber, a backward move arcs below it in red; stages the
process does not name sit on a row of their own above, their moves dashed. An arrow's width
grows with the deals that made the move; its label is that count, and hovering tells the median
days; each arrow links to the deals behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

__all__ = ["process_map_svg"]

NODE_W, NODE_H, GAP = 118, 46, 58
ROW, TOP_ROW, LOST_ROW = 150, 40, 300
COLOURS = {
    "start": "#5b7fa6",
    "forward": "#5b7fa6",
    "won": "#2e8b57",
    "lost": "#b7bfc9",
    "skip": "#d48806",
    "backward": "#c0392b",
    "outside": "#8e7cc3",
}


@dataclass
class _Box:
    x: float
    y: float
    label: str
    deals: int
    kind: str  # created, open, won, lost, outside

    @property
    def cx(self) -> float:
        return self.x + NODE_W / 2

    @property
    def cy(self) -> float:
        return self.y + NODE_H / 2


def _layout(nodes: list[dict[str, Any]]) -> tuple[dict[str | None, _Box], float]:
    opened = [n for n in nodes if n["in_process"] and n["outcome"] is None]
    won = [n for n in nodes if n["outcome"] == "won"]
    lost = [n for n in nodes if n["outcome"] == "lost"]
    outside = [n for n in nodes if not n["in_process"]]
    boxes: dict[str | None, _Box] = {None: _Box(10, ROW, "(created)", 0, "created")}
    x = 10 + NODE_W + GAP
    for n in opened:
        boxes[n["stage"]] = _Box(x, ROW, n["stage"], n["deals"], "open")
        x += NODE_W + GAP
    for i, n in enumerate(won):
        boxes[n["stage"]] = _Box(x, ROW + i * (NODE_H + 10), n["stage"], n["deals"], "won")
    for i, n in enumerate(lost):
        boxes[n["stage"]] = _Box(x - (NODE_W + GAP) * i, LOST_ROW, n["stage"], n["deals"], "lost")
    for i, n in enumerate(outside):
        boxes[n["stage"]] = _Box(
            10 + NODE_W + GAP + i * (NODE_W + GAP), TOP_ROW - 30, n["stage"], n["deals"], "outside"
        )
    return boxes, x + NODE_W + 10


def _path(a: _Box, b: _Box, kind: str) -> tuple[str, float, float]:
    """The SVG path of a move from ``a`` to ``b`` and where its label goes."""
    if kind == "skip":
        x1, y1, x2, y2 = a.cx, a.y, b.cx, b.y
        lift = 30 + abs(x2 - x1) * 0.18
        cy = y1 - lift
        return f"M{x1},{y1} Q{(x1 + x2) / 2},{cy} {x2},{y2}", (x1 + x2) / 2, y1 - lift / 2 - 4
    if kind == "backward" or (b.kind == "open" and a.kind in ("won", "lost")):
        x1, y1, x2, y2 = a.cx, a.y + NODE_H, b.cx, b.y + NODE_H
        drop = 26 + abs(x2 - x1) * 0.12
        return (
            f"M{x1},{y1} Q{(x1 + x2) / 2},{y1 + drop} {x2},{y2}",
            (x1 + x2) / 2,
            y1 + drop / 2 + 12,
        )
    if b.kind == "lost":
        x1, y1, x2, y2 = a.cx, a.y + NODE_H, b.x + 8, b.cy
        return f"M{x1},{y1} Q{x1},{y2} {x2},{y2}", x1 + 6, (y1 + y2) / 2
    if a.kind == "outside" or b.kind == "outside":
        down = a.y < b.y  # from the row above into the process's row, or back up
        y1, y2 = (a.y + NODE_H, b.y) if down else (a.y, b.y + NODE_H)
        return f"M{a.cx},{y1} L{b.cx},{y2}", (a.cx + b.cx) / 2 + 6, (y1 + y2) / 2
    x1, y1, x2, y2 = a.x + NODE_W, a.cy, b.x - 2, b.cy
    return f"M{x1},{y1} L{x2},{y2}", (x1 + x2) / 2 - 4, y1 - 9


def _edge(
    e: dict[str, Any], boxes: dict[str | None, _Box], widest: int, base: str, query: dict
) -> str:
    a, b = boxes.get(e["from"]), boxes.get(e["to"])
    if a is None or b is None:
        return ""
    d, lx, ly = _path(a, b, e["kind"])
    colour = COLOURS.get(e["kind"], "#5b7fa6")
    width = 1.2 + 7 * e["deals"] / max(widest, 1)
    days = f", median {e['median_days']:g} days" if e.get("median_days") is not None else ""
    source = e["from"] or "created"
    title = f"{source} → {e['to']}: {e['deals']:,} deals ({e['kind']}){days}"
    move = (e["from"] or "") + ">" + e["to"]
    href = f"{base}?{urlencode({**query, 'move': move})}"
    dash = ' stroke-dasharray="5 4"' if e["kind"] == "outside" else ""
    return (
        f'<a href="{escape(href)}" class="pm-edge" data-kind="{e["kind"]}" '
        f'data-move="{escape(source + ">" + e["to"])}" data-deals="{e["deals"]}">'
        f"<title>{escape(title)}</title>"
        f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width:.1f}"{dash} '
        f'marker-end="url(#pm-arrow-{e["kind"]})" opacity="0.85"/>'
        f'<text x="{lx:.0f}" y="{ly:.0f}" class="pm-count" fill="{colour}">'
        f"{e['deals']:,}</text></a>"
    )


def _node(box: _Box) -> str:
    fill = {"won": "#e8f5ee", "lost": "#f3f4f6", "outside": "#f1edfa", "created": "#fff"}.get(
        box.kind, "#eef3f9"
    )
    count = f"{box.deals:,} deals" if box.kind != "created" else "deals start"
    return (
        f'<g class="pm-node" data-stage="{escape(box.label)}">'
        f'<rect x="{box.x}" y="{box.y}" width="{NODE_W}" height="{NODE_H}" rx="8" fill="{fill}" '
        f'stroke="#9aa7b5"/>'
        f'<text x="{box.cx}" y="{box.y + 19}" text-anchor="middle" class="pm-stage">'
        f"{escape(box.label[:18])}</text>"
        f'<text x="{box.cx}" y="{box.y + 36}" text-anchor="middle" class="pm-deals">{count}</text>'
        "</g>"
    )


def process_map_svg(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    base: str = "/inspection/deals",
    query: dict[str, str] | None = None,
) -> str:
    """The map of ``nodes`` and ``edges`` (as :func:`rightturn.process.conformance.process_map`
    returns them) as inline SVG, each arrow linking to ``base?move=FROM>TO`` with ``query``."""
    boxes, width = _layout(nodes)
    widest = max((e["deals"] for e in edges), default=1)
    markers = "".join(
        f'<marker id="pm-arrow-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" '
        f'markerHeight="11" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
        for k, c in COLOURS.items()
    )
    ordered = sorted(edges, key=lambda e: e["kind"] in ("lost",), reverse=True)
    body = "".join(_edge(e, boxes, widest, base, query or {}) for e in ordered)
    # Room above the row only for what goes there: skip arcs and stages outside the process.
    above = any(e["kind"] in ("skip", "outside") for e in edges)
    top = -10 if above else ROW - 40
    height = LOST_ROW + NODE_H + 12 - top
    return (
        f'<svg class="process-map" viewBox="0 {top} {width:.0f} {height}" role="img" '
        f'aria-label="Process map: the moves deals made between stages" '
        f'preserveAspectRatio="xMinYMin meet" width="100%">'
        f"<defs>{markers}</defs>{body}{''.join(_node(b) for b in boxes.values())}</svg>"
    )
