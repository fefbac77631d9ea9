"""Progression routes as an SVG diagram: levels as lanes, nodes linking to their pages.

Rendered on the server from the graph (no script, no network): lanes for MBO 2, 3, 4, roles
and HBO programmes; one box per qualification, role or programme; an arrow per route.

Layout rules, so that it stays readable: labels are wrapped onto as many lines as they need
(never cut), and every box of the diagram has the same height, so the gaps between rows are free
in every lane. Arrows are drawn orthogonally: out of the right side of a box into the gap after
its lane, along a free row gap across any lanes in between, and into the left side of the
target from the gap before its lane. So an arrow never crosses a box. Routes with a condition are
dashed and numbered; the numbers are explained under the diagram.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from kdgraph.pages.rows import Row, value

LANES = ("mbo 2", "mbo 3", "mbo 4", "beroep of functie", "hbo-opleiding")
LANE_TITLES_EN = {"beroep of functie": "occupation or role", "hbo-opleiding": "HBO programme"}
BOX_WIDTH, GAP, LINE, PAD, ROW_GAP, TOP, LEFT = 176, 64, 15, 9, 24, 54, 12
CHARS_PER_LINE = 24  # at 12px a 176px box holds about 26 characters


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


def from_rows(rows: list[Row], local: Callable[[str], str]) -> tuple[list[DiagramNode], list[RouteEdge]]:
    """Nodes and edges from route rows: from, to, fromLabel, toLabel, toKind; fromLevel, toLevel,
    condition where known."""
    nodes: dict[str, DiagramNode] = {}
    edges = []
    lane_of_kind = {"beroep": "beroep of functie", "hbo-opleiding": "hbo-opleiding"}
    for row in rows:
        source, target = row["from"].value, row["to"].value
        if source not in nodes:
            lane = f"mbo {value(row, 'fromLevel')}" if value(row, "fromLevel") else "mbo ?"
            nodes[source] = DiagramNode(source, row["fromLabel"].value, lane, local(source))
        kind = row["toKind"].value.rsplit("/", 1)[-1]
        lane = f"mbo {value(row, 'toLevel')}" if value(row, "toLevel") else lane_of_kind.get(kind, kind)
        nodes[target] = DiagramNode(target, row["toLabel"].value, lane, local(target))
        edge = RouteEdge(source, target, value(row, "condition") or None)
        if edge not in edges:
            edges.append(edge)
    return list(nodes.values()), edges


def _lines(label: str) -> list[str]:
    return textwrap.wrap(label, CHARS_PER_LINE, break_long_words=False) or [label]


def render(
    nodes: list[DiagramNode],
    edges: list[RouteEdge],
    title: str,
    lang: str = "nl",
    labels_lang: str | None = None,
) -> str:
    by_lane: dict[str, list[DiagramNode]] = {}
    for node in sorted(nodes, key=lambda n: n.label.lower()):
        by_lane.setdefault(node.lane, []).append(node)
    lanes = [lane for lane in LANES if lane in by_lane] + sorted(set(by_lane) - set(LANES))
    column = {lane: i for i, lane in enumerate(lanes)}
    lines = {node.iri: _lines(node.label) for node in nodes}
    box_height = max((len(v) for v in lines.values()), default=1) * LINE + 2 * PAD
    row = box_height + ROW_GAP
    lane_width = BOX_WIDTH + GAP
    position: dict[str, tuple[float, float]] = {}
    for lane in lanes:
        for index, node in enumerate(by_lane[lane]):
            position[node.iri] = (LEFT + column[lane] * lane_width, TOP + index * row)
    rows = max((len(by_lane[lane]) for lane in lanes), default=1)
    conditions = sorted({e.condition for e in edges if e.condition})
    legend_height = 18 * len(conditions) + (8 if conditions else 0)
    height = TOP + rows * row + legend_height
    width = LEFT + len(lanes) * lane_width - GAP + LEFT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="routes" role="group" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#12355b"/></marker></defs>',
    ]
    for lane in lanes:
        left = LEFT + column[lane] * lane_width - 6
        parts.append(
            f'<rect x="{left}" y="4" width="{BOX_WIDTH + 12}" height="{TOP + rows * row - 8}" rx="8" '
            'fill="#f2f6fb"/>'
        )
        name = LANE_TITLES_EN.get(lane, lane.replace("mbo", "MBO")) if lang == "en" else lane
        parts.append(f'<text x="{left + 10}" y="24" font-size="13" font-weight="bold">{escape(name)}</text>')
    # In each gap, one vertical track per source leaving through it and one per target entered
    # from it: arrows from one box share a trunk, arrows into one box share their last stretch.
    drawable = [e for e in edges if e.source in position and e.target in position]
    tracks: dict[int, list[tuple[str, str]]] = {}
    for edge in drawable:
        out_track = ("out", edge.source)
        if out_track not in tracks.setdefault(_gap_of(edge.source, position, lane_width), []):
            tracks[_gap_of(edge.source, position, lane_width)].append(out_track)
    for edge in drawable:
        gap = _gap_before(edge.target, position, lane_width)
        if gap != _gap_of(edge.source, position, lane_width) and ("in", edge.target) not in tracks.setdefault(
            gap, []
        ):
            tracks[gap].append(("in", edge.target))
    sources = sorted({e.source for e in drawable})

    def track_x(gap: int, track: tuple[str, str]) -> float:
        users = tracks[gap]
        spacing = (GAP - 16) / max(len(users), 1)
        return LEFT + gap * lane_width + BOX_WIDTH + 8 + spacing * (users.index(track) + 0.5)

    def corridor(y: float, source: str) -> float:
        """The free row gap nearest to y (between two rows of boxes, or above the first), a little
        apart per source so that the corridors of different sources do not run on one line."""
        index = max(0, min(rows, round((y - TOP + ROW_GAP / 2) / row)))
        offset = (sources.index(source) % 5 - 2) * 3
        return TOP + index * row - ROW_GAP / 2 + offset

    for edge in drawable:
        (x1, y1), (x2, y2) = position[edge.source], position[edge.target]
        sy, ty = y1 + box_height / 2, y2 + box_height / 2
        out_gap = _gap_of(edge.source, position, lane_width)
        in_gap = _gap_before(edge.target, position, lane_width)
        gx1 = track_x(out_gap, ("out", edge.source))
        points = [(x1 + BOX_WIDTH, sy), (gx1, sy)]
        if in_gap == out_gap:
            points += [(gx1, ty)]
        else:
            gx2 = track_x(in_gap, ("in", edge.target))
            cy = corridor(ty, edge.source)
            points += [(gx1, cy), (gx2, cy), (gx2, ty)]
        if x2 > x1:
            points.append((x2, ty))
        else:  # same lane or backwards: into the right side of the target
            points.append((x2 + BOX_WIDTH, ty))
        path = " ".join(f"{'M' if i == 0 else 'L'} {x:.1f} {y:.1f}" for i, (x, y) in enumerate(points))
        dash = ' stroke-dasharray="5 3"' if edge.condition else ""
        colour = "#7a2e00" if edge.condition else "#12355b"
        parts.append(
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.3"{dash} '
            'marker-end="url(#arrow)">'
            f"<title>{escape(edge.condition or '')}</title></path>"
        )
        if edge.condition:
            number = conditions.index(edge.condition) + 1
            lx, ly = points[-2]
            parts.append(
                f'<text x="{lx - 4:.1f}" y="{ly - 4:.1f}" font-size="11" text-anchor="end" fill="#7a2e00">'
                f"{number}</text>"
            )
    for node in nodes:
        x, y = position[node.iri]
        text_lines = lines[node.iri]
        # labels in another language than the page's (Dutch where no English one exists) say so
        marked = f' lang="{labels_lang}"' if labels_lang and labels_lang != lang else ""
        first = y + box_height / 2 - (len(text_lines) - 1) * LINE / 2 + 4
        spans = "".join(
            f'<tspan x="{x + 8}" y="{first + i * LINE:.1f}">{escape(line)}</tspan>'
            for i, line in enumerate(text_lines)
        )
        parts.append(
            f'<a href="{escape(node.href)}"><rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{box_height}" '
            f'rx="5" fill="#fff" stroke="#12355b"/><text font-size="12" fill="#1d2430"{marked}>'
            f"<title>{escape(node.label)}</title>{spans}</text></a>"
        )
    for index, condition in enumerate(conditions, start=1):
        y = TOP + rows * row + 14 + (index - 1) * 18
        parts.append(
            f'<text x="{LEFT}" y="{y}" font-size="12" fill="#7a2e00">{index}: '
            f'<tspan lang="nl">“{escape(condition)}”</tspan></text>'  # the source's words, in Dutch
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _gap_of(iri: str, position: dict[str, tuple[float, float]], lane_width: int) -> int:
    """The gap right of this box's lane (numbered by the lane on its left)."""
    return round((position[iri][0] - LEFT) / lane_width)


def _gap_before(iri: str, position: dict[str, tuple[float, float]], lane_width: int) -> int:
    """The gap left of this box's lane; a box in the first lane uses the gap after it."""
    return max(round((position[iri][0] - LEFT) / lane_width) - 1, 0)
