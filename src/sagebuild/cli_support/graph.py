"""The pipeline as a picture: Mermaid text and a standalone HTML page with an inline SVG.

The SVG is laid out here (no CDN, no script): states go into layers by the longest path from
StartAt once the loops' back edges are set aside, rows are ordered by their predecessors, and
edges are drawn as curves (back edges loop round on the right). A run's path colours the
states: visited green, failed red, current blue.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sagebuild.cli_support.runs import RunPath

_MERMAID_RESERVED = {
    "end",
    "graph",
    "subgraph",
    "flowchart",
    "class",
    "classdef",
    "style",
    "click",
    "default",
    "linkstyle",
    "direction",
}
_OPS = {
    "BooleanEquals": "=",
    "StringEquals": "=",
    "NumericEquals": "=",
    "TimestampEquals": "=",
    "NumericLessThan": "<",
    "NumericGreaterThan": ">",
    "NumericLessThanEquals": "≤",
    "NumericGreaterThanEquals": "≥",
    "StringMatches": "~",
    "StringLessThan": "<",
    "StringGreaterThan": ">",
    "TimestampLessThan": "<",
    "TimestampGreaterThan": ">",
}
COLOURS = {
    "visited": ("#c8e6c9", "#2e7d32"),
    "failed": ("#ffcdd2", "#c62828"),
    "current": ("#bbdefb", "#1565c0"),
    "idle": ("#ffffff", "#607d8b"),
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # next | choice | default | catch
    label: str = ""


def _condition(rule: dict[str, Any]) -> str:
    if "And" in rule or "Or" in rule:
        joiner = " and " if "And" in rule else " or "
        return joiner.join(_condition(r) for r in rule.get("And") or rule.get("Or") or [])
    if "Not" in rule:
        return "not " + _condition(rule["Not"])
    variable = str(rule.get("Variable", "")).removeprefix("$.")
    for key, value in rule.items():
        if key in ("Variable", "Next"):
            continue
        if key == "IsPresent":
            return f"{variable} present" if value else f"{variable} missing"
        if key.startswith("Is"):
            return f"{variable} {key[2:].lower()}"
        op = _OPS.get(key.removesuffix("Path"), key)
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        return f"{variable} {op} {shown}"
    return variable


def edges_of(asl: dict[str, Any]) -> list[Edge]:
    """Every transition of the top-level states: Next, Choice rules, Default and Catch."""
    edges: list[Edge] = []
    for name, state in asl.get("States", {}).items():
        if state.get("Next"):
            edges.append(Edge(name, state["Next"], "next"))
        for rule in state.get("Choices", []):
            edges.append(Edge(name, rule["Next"], "choice", _condition(rule)))
        if state.get("Default"):
            edges.append(Edge(name, state["Default"], "default", "otherwise"))
        for catch in state.get("Catch", []):
            edges.append(Edge(name, catch["Next"], "catch", "error"))
    return edges


def node_ids(names: list[str]) -> dict[str, str]:
    """Mermaid-safe, unique ids for state names ("Run ETL?" → "Run_ETL")."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = re.sub(r"\W+", "_", name, flags=re.ASCII).strip("_") or "state"
        if base[0].isdigit() or base.lower() in _MERMAID_RESERVED:
            base = f"s_{base}"
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        ids[name] = candidate
    return ids


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _status_classes(names: list[str], path: RunPath | None) -> dict[str, str]:
    classes: dict[str, str] = {}
    if path is None:
        return classes
    for name in names:
        if name == path.current:
            classes[name] = "current"
        elif name in path.failed:
            classes[name] = "failed"
        elif name in path.visited:
            classes[name] = "visited"
    return classes


def to_mermaid(asl: dict[str, Any], path: RunPath | None = None) -> str:
    """The state machine as a Mermaid `flowchart TD` (Choice states as diamonds)."""
    states: dict[str, Any] = asl.get("States", {})
    names = list(states)
    ids = node_ids(names)
    lines = ["flowchart TD"]
    for name in names:
        kind, label = states[name].get("Type"), _mermaid_text(name)
        if kind == "Choice":
            lines.append(f'    {ids[name]}{{"{label}"}}')
        elif kind in ("Succeed", "Fail"):
            lines.append(f'    {ids[name]}(["{label}"])')
        elif kind == "Wait":
            lines.append(f'    {ids[name]}[/"{label}"/]')
        else:
            lines.append(f'    {ids[name]}["{label}"]')
    for edge in edges_of(asl):
        if edge.target not in ids:
            continue
        arrow = "-.->" if edge.kind == "catch" else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"    {ids[edge.source]} {arrow}{label} {ids[edge.target]}")
    classes = _status_classes(names, path)
    for status in ("visited", "failed", "current"):
        fill, stroke = COLOURS[status]
        members = [ids[n] for n in names if classes.get(n) == status]
        if members:
            lines.append(f"    classDef {status} fill:{fill},stroke:{stroke},stroke-width:2px")
            lines.append(f"    class {','.join(members)} {status}")
    return "\n".join(lines) + "\n"


# --- layout ------------------------------------------------------------------------------


@dataclass
class Box:
    name: str
    kind: str
    layer: int
    x: float = 0.0  # centre
    y: float = 0.0  # centre
    width: float = 0.0
    height: float = 0.0


@dataclass
class Layout:
    boxes: dict[str, Box] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    back_edges: set[tuple[str, str]] = field(default_factory=set)
    width: float = 0.0
    height: float = 0.0


CHAR_WIDTH, BOX_HEIGHT, ROW_GAP, COLUMN_GAP, MARGIN = 7.2, 34.0, 30.0, 28.0, 40.0


def _back_edges(start: str, graph: dict[str, list[str]], names: list[str]) -> set[tuple[str, str]]:
    back: set[tuple[str, str]] = set()
    seen: set[str] = set()
    on_stack: set[str] = set()
    for root in [start] + names:
        if root in seen or root not in graph:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        seen.add(root)
        on_stack.add(root)
        while stack:
            node, index = stack[-1]
            children = graph[node]
            if index < len(children):
                stack[-1] = (node, index + 1)
                child = children[index]
                if child in on_stack:
                    back.add((node, child))
                elif child not in seen and child in graph:
                    seen.add(child)
                    on_stack.add(child)
                    stack.append((child, 0))
            else:
                on_stack.discard(node)
                stack.pop()
    return back


def layout(asl: dict[str, Any]) -> Layout:
    """Layered positions of every state (longest path from StartAt, loops set aside)."""
    states: dict[str, Any] = asl.get("States", {})
    names = list(states)
    edges = [e for e in edges_of(asl) if e.target in states]
    graph = _adjacency(names, edges)
    start = asl.get("StartAt", names[0] if names else "")
    back = _back_edges(start, graph, names)
    forward = {n: [c for c in graph[n] if (n, c) not in back] for n in names}
    layer, order = _layers(names, forward, start)
    rows: dict[int, list[str]] = defaultdict(list)
    for name in order:
        rows[layer[name]].append(name)
    result = Layout(edges=edges, back_edges=back)
    result.boxes = _boxes(states, layer)
    bottom = _place_rows(rows, _predecessors(forward), result.boxes)
    if result.boxes:
        _fit(result, bottom)
    return result


def _adjacency(names: list[str], edges: list[Edge]) -> dict[str, list[str]]:
    """Each state's distinct successors, in the order of its edges."""
    graph: dict[str, list[str]] = {n: [] for n in names}
    for edge in edges:
        if edge.target not in graph[edge.source]:
            graph[edge.source].append(edge.target)
    return graph


def _layers(
    names: list[str], forward: dict[str, list[str]], start: str
) -> tuple[dict[str, int], list[str]]:
    """Each state's layer (its longest forward path from a source) and a topological order,
    StartAt first."""
    indegree: dict[str, int] = defaultdict(int)
    for children in forward.values():
        for child in children:
            indegree[child] += 1
    layer = {n: 0 for n in names}
    ready = [n for n in names if indegree[n] == 0]
    ready.sort(key=lambda n: n != start)
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in forward[node]:
            layer[child] = max(layer[child], layer[node] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    return layer, order


def _predecessors(forward: dict[str, list[str]]) -> dict[str, list[str]]:
    predecessors: dict[str, list[str]] = defaultdict(list)
    for source, children in forward.items():
        for child in children:
            predecessors[child].append(source)
    return predecessors


def _boxes(states: dict[str, Any], layer: dict[str, int]) -> dict[str, Box]:
    """An unplaced box per state, sized by its name (Choice diamonds larger)."""
    boxes: dict[str, Box] = {}
    for name in states:
        kind = states[name].get("Type", "Task")
        width = len(name) * CHAR_WIDTH + 28
        height = BOX_HEIGHT
        if kind == "Choice":
            width, height = width + 36, BOX_HEIGHT + 14
        boxes[name] = Box(name, kind, layer[name], width=width, height=height)
    return boxes


def _place_rows(
    rows: dict[int, list[str]], predecessors: dict[str, list[str]], boxes: dict[str, Box]
) -> float:
    """Centre each row on x = 0, ordered by its predecessors; returns the y below the last."""
    position: dict[str, float] = {}
    y = MARGIN
    for index in sorted(rows):
        row = rows[index]
        original = list(row)
        keys = {n: _barycentre(n, predecessors, position, original) for n in original}
        row.sort(key=keys.__getitem__)
        tallest = max(boxes[n].height for n in row)
        total = sum(boxes[n].width for n in row) + COLUMN_GAP * (len(row) - 1)
        x = -total / 2
        for name in row:
            box = boxes[name]
            box.x, box.y = x + box.width / 2, y + tallest / 2
            x += box.width + COLUMN_GAP
            position[name] = box.x
        y += tallest + ROW_GAP
    return y


def _fit(result: Layout, bottom: float) -> None:
    """Shift the boxes right of the margin and size the picture."""
    left = min(b.x - b.width / 2 for b in result.boxes.values())
    right = max(b.x + b.width / 2 for b in result.boxes.values())
    for box in result.boxes.values():
        box.x += MARGIN - left
    result.width = right - left + 2 * MARGIN + 120  # room for the loops on the right
    result.height = bottom + MARGIN


def _barycentre(
    name: str, predecessors: dict[str, list[str]], position: dict[str, float], row: list[str]
) -> float:
    placed = [position[p] for p in predecessors[name] if p in position]
    return sum(placed) / len(placed) if placed else float(row.index(name)) * 1000


# --- SVG / HTML --------------------------------------------------------------------------


def _shape(box: Box, fill: str, stroke: str) -> str:
    left, top = box.x - box.width / 2, box.y - box.height / 2
    common = f'fill="{fill}" stroke="{stroke}" stroke-width="1.6"'
    if box.kind == "Choice":
        points = (
            f"{box.x:.1f},{top:.1f} {left + box.width:.1f},{box.y:.1f} "
            f"{box.x:.1f},{top + box.height:.1f} {left:.1f},{box.y:.1f}"
        )
        return f'<polygon points="{points}" {common}/>'
    radius = box.height / 2 if box.kind in ("Succeed", "Fail") else 6
    return (
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
        f'rx="{radius:.1f}" {common}/>'
    )


def _edge_path(edge: Edge, layout_: Layout) -> str:
    source, target = layout_.boxes[edge.source], layout_.boxes[edge.target]
    if (edge.source, edge.target) in layout_.back_edges or target.layer <= source.layer:
        sx, sy = source.x + source.width / 2, source.y
        tx, ty = target.x + target.width / 2, target.y
        bulge = max(sx, tx) + 50 + 6 * abs(source.layer - target.layer)
        return f"M{sx:.1f},{sy:.1f} C{bulge:.1f},{sy:.1f} {bulge:.1f},{ty:.1f} {tx:.1f},{ty:.1f}"
    sx, sy = source.x, source.y + source.height / 2
    tx, ty = target.x, target.y - target.height / 2
    middle = (sy + ty) / 2
    return f"M{sx:.1f},{sy:.1f} C{sx:.1f},{middle:.1f} {tx:.1f},{middle:.1f} {tx:.1f},{ty:.1f}"


def to_svg(asl: dict[str, Any], path: RunPath | None = None) -> str:
    """The state machine as one `<svg>` element, a run's path coloured."""
    laid = layout(asl)
    classes = _status_classes(list(laid.boxes), path)
    taken = set(path.edges) if path else set()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{laid.width:.0f}" '
        f'height="{laid.height:.0f}" viewBox="0 0 {laid.width:.0f} {laid.height:.0f}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        "<defs>",
    ]
    for marker, colour in (("arrow", "#78909c"), ("arrow-taken", COLOURS["visited"][1])):
        parts.append(
            f'<marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{colour}"/></marker>'
        )
    parts.append("</defs>")
    for edge in laid.edges:
        is_taken = (edge.source, edge.target) in taken
        colour = COLOURS["visited"][1] if is_taken else "#90a4ae"
        dash = ' stroke-dasharray="5,4"' if edge.kind == "catch" else ""
        width = "2.2" if is_taken else "1.1"
        marker = "arrow-taken" if is_taken else "arrow"
        label = html.escape(f"{edge.source} → {edge.target}: {edge.label or edge.kind}")
        parts.append(
            f'<path class="edge edge-{edge.kind}{" taken" if is_taken else ""}" '
            f'd="{_edge_path(edge, laid)}" fill="none" stroke="{colour}" stroke-width="{width}"'
            f'{dash} marker-end="url(#{marker})"><title>{label}</title></path>'
        )
    for name, box in laid.boxes.items():
        status = classes.get(name, "idle")
        fill, stroke = COLOURS[status]
        parts.append(
            f'<g class="state {status}" data-state="{html.escape(name)}">'
            f"<title>{html.escape(name)} ({box.kind}) {status}</title>"
            f"{_shape(box, fill, stroke)}"
            f'<text x="{box.x:.1f}" y="{box.y + 4:.1f}" text-anchor="middle" fill="#263238">'
            f"{html.escape(name)}</text></g>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def to_html(
    asl: dict[str, Any], path: RunPath | None = None, title: str = "sagebuild pipeline"
) -> str:
    """A standalone page (no script, no external resource) holding the SVG and a legend."""
    legend = " ".join(
        f'<span style="background:{fill};border:2px solid {stroke};padding:2px 8px;'
        f'margin-right:6px;border-radius:4px">{label}</span>'
        for label, (fill, stroke) in (
            ("visited", COLOURS["visited"]),
            ("failed", COLOURS["failed"]),
            ("current", COLOURS["current"]),
            ("not reached", COLOURS["idle"]),
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#263238}"
        "svg{max-width:none}</style>\n</head>\n<body>\n"
        f'<h1 style="font-size:18px">{html.escape(title)}</h1>\n'
        f"<p>{legend}; dashed arrows are error (Catch) paths.</p>\n"
        f"{to_svg(asl, path)}\n</body>\n</html>\n"
    )
