"""Where Graphviz put things: label and node boxes from `dot -Tjson`, to test layouts.

`dot -Tjson` gives every node's centre and size, and every edge label's text as xdot
text operations (baseline point, alignment, width, font size). A label's box is the
union of its text lines: the width dot measured, and the font's height (ascent 0.8,
descent 0.25 of the size) around the baseline. Two boxes overlap when they share more
than TOLERANCE points in both directions, so touching boxes do not count.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

import graphviz

#: Points two boxes may share before they count as overlapping (dot rounds to 0.5 pt).
TOLERANCE = 0.5


@dataclass(frozen=True)
class Box:
    name: str
    left: float
    bottom: float
    right: float
    top: float

    def overlaps(self, other: Box) -> bool:
        width = min(self.right, other.right) - max(self.left, other.left)
        height = min(self.top, other.top) - max(self.bottom, other.bottom)
        return width > TOLERANCE and height > TOLERANCE


def layout(graph: graphviz.Digraph) -> dict[str, Any]:
    """dot's layout of `graph`, as the parsed `-Tjson` output."""
    done = subprocess.run(
        ["dot", "-Tjson"], input=graph.source.encode("utf-8"), capture_output=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def text_box(name: str, operations: list[dict[str, Any]]) -> Box | None:
    """The box around the text operations ("T") of one xdot list; None if it has no text."""
    size = 14.0
    boxes = []
    for op in operations:
        if op["op"] == "F":
            size = op["size"]
        elif op["op"] == "T":
            x, y = op["pt"]
            width = op["width"]
            left = {"l": x, "c": x - width / 2, "r": x - width}[op["align"]]
            boxes.append((left, y - 0.25 * size, left + width, y + 0.8 * size))
    if not boxes:
        return None
    return Box(
        name,
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def node_boxes(laid_out: dict[str, Any]) -> list[Box]:
    """Every visible node's box (invisible and empty plaintext nodes are left out)."""
    boxes = []
    for node in laid_out.get("objects", []):
        if "pos" not in node or node.get("style") == "invis":
            continue
        x, y = (float(v) for v in node["pos"].split(","))
        half_width = float(node["width"]) * 72 / 2
        half_height = float(node["height"]) * 72 / 2
        boxes.append(
            Box(node["name"], x - half_width, y - half_height, x + half_width, y + half_height)
        )
    return boxes


_LABEL_KEYS = ("_ldraw_", "_xldraw_", "_hldraw_", "_tldraw_")


def edge_label_boxes(laid_out: dict[str, Any]) -> list[Box]:
    """The box of every edge's label, xlabel, head and tail label."""
    names = {node["_gvid"]: node["name"] for node in laid_out.get("objects", [])}
    boxes = []
    for edge in laid_out.get("edges", []):
        name = f"{names[edge['tail']]}->{names[edge['head']]}"
        for key in ("_ldraw_", "_xldraw_", "_hldraw_", "_tldraw_"):
            box = text_box(f"{name} {key.strip('_')}", edge.get(key, []))
            if box is not None:
                boxes.append(box)
    return boxes


def label_overlaps(graph: graphviz.Digraph) -> list[tuple[str, str]]:
    """(label, node or label) for every edge label that overlaps a node or another label."""
    laid_out = layout(graph)
    labels = edge_label_boxes(laid_out)
    nodes = node_boxes(laid_out)
    found = [(label.name, node.name) for label in labels for node in nodes if label.overlaps(node)]
    found += [
        (first.name, second.name)
        for i, first in enumerate(labels)
        for second in labels[i + 1 :]
        if first.overlaps(second)
    ]
    return found


def aspect_ratio(graph: graphviz.Digraph) -> float:
    """The long side of the drawing over its short side (≥ 1), from dot's bounding box."""
    left, bottom, right, top = (float(v) for v in layout(graph)["bb"].split(","))
    width, height = right - left, top - bottom
    return max(width, height) / min(width, height)


def _bezier_points(controls: list[list[float]], steps: int = 16) -> list[tuple[float, float]]:
    """Points along a piecewise cubic Bézier (xdot's "b" operation: 3k + 1 control points)."""
    points = []
    for start in range(0, len(controls) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = controls[start : start + 4]
        for k in range(steps + 1):
            t = k / steps
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3
            points.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return points


def edge_curves(laid_out: dict[str, Any]) -> dict[int, list[tuple[float, float]]]:
    """{edge index: points along its drawn spline}, from each edge's xdot "_draw_"."""
    curves = {}
    for index, edge in enumerate(laid_out.get("edges", [])):
        points = []
        for op in edge.get("_draw_", []):
            if op["op"] in ("b", "B"):
                points += _bezier_points(op["points"])
        if points:
            curves[index] = points
    return curves


def box_distance(box: Box, point: tuple[float, float]) -> float:
    """How far point lies from box (0 inside it)."""
    x, y = point
    dx = max(box.left - x, 0.0, x - box.right)
    dy = max(box.bottom - y, 0.0, y - box.top)
    return float((dx * dx + dy * dy) ** 0.5)


def labels_nearer_another_edge(graph: graphviz.Digraph) -> list[tuple[str, float, float]]:
    """(label text, distance to its own edge, distance to the nearest other edge) for every
    edge label that lies closer to another edge than to its own, from dot's layout."""
    laid_out = layout(graph)
    curves = edge_curves(laid_out)
    found = []
    for index, edge in enumerate(laid_out.get("edges", [])):
        operations = [op for key in _LABEL_KEYS for op in edge.get(key, [])]
        box = text_box(edge.get("label") or edge.get("taillabel") or "", operations)
        if box is None or index not in curves:
            continue
        own = min(box_distance(box, p) for p in curves[index])
        other = min(
            (box_distance(box, p) for k, curve in curves.items() if k != index for p in curve),
            default=float("inf"),
        )
        if other <= own:
            found.append((box.name, round(own, 1), round(other, 1)))
    return found
