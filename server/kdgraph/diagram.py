"""Progression routes as an SVG diagram: levels as lanes, nodes linking to their pages.

Rendered on the server from the graph (no script, no network): lanes for MBO 2, 3, 4, roles
and HBO programmes; one box per qualification, role or programme; an arrow per route, with
its condition written on the arrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

LANES = ("mbo 2", "mbo 3", "mbo 4", "beroep of functie", "hbo-opleiding")
LANE_WIDTH, BOX_WIDTH, BOX_HEIGHT, ROW, TOP = 230, 190, 34, 58, 46


@dataclass(frozen=True)
class RouteEdge:
    source: str  # IRI
    target: str
    condition: str | None


@dataclass(frozen=True)
class DiagramNode:
    iri: str
    label: str
    lane: str
    href: str


def render(nodes: list[DiagramNode], edges: list[RouteEdge], title: str) -> str:
    by_lane: dict[str, list[DiagramNode]] = {lane: [] for lane in LANES}
    for node in sorted(nodes, key=lambda n: n.label.lower()):
        by_lane.setdefault(node.lane, []).append(node)
    lanes = [lane for lane in LANES if by_lane.get(lane)]
    position: dict[str, tuple[int, int]] = {}
    for column, lane in enumerate(lanes):
        for row, node in enumerate(by_lane[lane]):
            position[node.iri] = (20 + column * LANE_WIDTH, TOP + row * ROW)
    height = TOP + max((len(by_lane[lane]) for lane in lanes), default=1) * ROW + 10
    width = 20 + len(lanes) * LANE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="routes" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#12355b"/></marker></defs>',
    ]
    for column, lane in enumerate(lanes):
        x = 10 + column * LANE_WIDTH
        parts.append(
            f'<rect x="{x}" y="4" width="{LANE_WIDTH - 20}" height="{height - 8}" rx="8" fill="#f2f6fb"/>'
        )
        parts.append(f'<text x="{x + 10}" y="26" font-size="13" font-weight="bold">{escape(lane)}</text>')
    for edge in edges:
        if edge.source not in position or edge.target not in position:
            continue
        (x1, y1), (x2, y2) = position[edge.source], position[edge.target]
        sx, sy = x1 + BOX_WIDTH, y1 + BOX_HEIGHT / 2
        tx, ty = (
            (x2, y2 + BOX_HEIGHT / 2)
            if x2 > x1
            else (x2 + BOX_WIDTH / 2, y2 + (BOX_HEIGHT if y2 < y1 else 0))
        )
        parts.append(
            f'<path d="M {sx} {sy} C {sx + 40} {sy}, {tx - 40} {ty}, {tx} {ty}" fill="none" '
            f'stroke="#12355b" stroke-width="1.3" marker-end="url(#arrow)"/>'
        )
        if edge.condition:
            parts.append(
                f'<text x="{(sx + tx) / 2}" y="{(sy + ty) / 2 - 4}" font-size="10" text-anchor="middle" '
                f'fill="#7a2e00">{escape(edge.condition)}</text>'
            )
    for node in nodes:
        x, y = position[node.iri]
        text = node.label if len(node.label) <= 28 else node.label[:27] + "…"
        parts.append(
            f'<a href="{escape(node.href)}"><rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" '
            f'rx="5" fill="#fff" stroke="#12355b"/><text x="{x + 8}" y="{y + 21}" font-size="12">'
            f"<title>{escape(node.label)}</title>{escape(text)}</text></a>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
