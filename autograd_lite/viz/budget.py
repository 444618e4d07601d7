"""How long dot will take to lay a computation graph out, estimated before running it.

dot's time is not set by the number of nodes alone. A chain of 360 tanh nodes takes
0.05 s; `x*x*…*x` with 60 factors (119 nodes) takes 2 s, and one with 1,000 factors
would take hours, because x is used at every depth. dot turns every edge that spans
several ranks into a chain of virtual nodes, one per rank crossed, and then routes a
spline past all of them (`dot -v` shows "routesplines" taking nearly all of the time).
So the estimate counts what dot lays out:

  nodes            the boxes and op ellipses drawn,
  edges            the edges drawn,
  long-edge ranks  the ranks crossed by edges, i.e. dot's virtual nodes.

The ranks are estimated the way `graph_figures` draws: each op two ranks below its
lowest input (every edge is labelled, which doubles dot's ranks), each Value two ranks
below its op, and each leaf just above its first use (where dot's network simplex pulls
it). The estimate is exact for trees and chains and close for the rest.

Measured on the 2-core machine this was written on (Graphviz 2.43, `dot -Tsvg` of
`draw_graph`'s DOT, the faster of two runs; with other jobs running, times were up to
1.6× these), as nodes / edges / long-edge ranks: seconds:

  tanh(tanh(…(x)…)), 180 deep                 361 /  360 /   360:  0.05 s
  x*1 + x*2 + … + x*300 (one Σ)               603 /  901 /   901:  0.23 s
  relu(x*1 − w) + … , 100 terms               604 /  801 /   801:  0.18 s
  x + x + … + x, 1,000 terms (one Σ, 1 edge)    3 /    2 /     2:  0.02 s
  x*x*…*x, 32 / 40 / 60 factors          63–119 / 93–177 / 1953–7021:  0.35 / 0.64 / 2.1 s
  (x+1)*(x+1)*…, 31 / 50 factors        123–199 / 152–247 / 1892–4951:  0.24 / 1.4 s
  (…((x+x)*w + x)*w…), 15 / 20 / 30 levels  62–122 / 90–180 / 1770–7140:  0.75 / 2.7 / 10.9 s
  (…(x*w + b)*b + c)*c + …, 16 / 24 levels   68–100 / 96–144 / 1792–4224:  0.62 / 4.3 s

(With the drawing of before, a chain of + nodes and no budget, issue 11 saw x+x+…+x
with 200 terms, x*x*…*x with 1,000 factors and (x+1)*… with 200 factors each keep dot
busy until the 30 s timeout.) The slowest shapes for their size are those with two or more variables
used at every depth, whose edges cross: their time grows with the square of the
long-edge ranks. The budget below keeps every shape measured under about 1 s (2 s on
a busy machine), so that `autograd-lite draw` answers within 10 s, Python's start and
a PNG's rasterizing included. Of issue 11's three examples, the sum is drawn (one Σ)
and both products are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.engine import Value, topological_order
from .graph import drawn_inputs

__all__ = [
    "MAX_DRAWN_EDGES",
    "MAX_DRAWN_NODES",
    "MAX_FRAME_NODES",
    "MAX_LONG_EDGE_RANKS",
    "LayoutSize",
    "check_frames_budget",
    "check_layout_budget",
    "layout_size",
]

#: The most boxes and op ellipses `autograd-lite draw` sends to dot.
MAX_DRAWN_NODES = 1200
#: The most edges.
MAX_DRAWN_EDGES = 2400
#: The most ranks crossed by edges (dot's virtual nodes), by the module's estimate.
MAX_LONG_EDGE_RANKS = 2000
#: `draw --frames`: the most frames × nodes per frame (one dot run per frame).
MAX_FRAME_NODES = 800


@dataclass(frozen=True)
class LayoutSize:
    """What dot must lay out for `draw_graph(root)`: see the module docstring."""

    values: int  # the boxes (one per Value); the rest of `nodes` are op ellipses
    nodes: int
    edges: int
    long_edge_ranks: int


def layout_size(root: Value) -> LayoutSize:
    """The size of the drawing of the graph below root, counted without running dot."""
    order = topological_order(root)
    rank: dict[Value, int] = {}
    first_use: dict[Value, int] = {}  # a leaf's highest op rank
    nodes = edges = 0
    for node in order:
        nodes += 1
        if not node.inputs:
            rank[node] = 0
            continue
        inputs = [x for x, _, _ in drawn_inputs(node)]
        op_rank = max((rank[x] + 2 for x in inputs), default=0)
        rank[node] = op_rank + 2
        nodes += 1
        edges += len(inputs) + 1
        for x in inputs:
            if not x.inputs:
                first_use[x] = min(first_use.get(x, op_rank), op_rank)
    for leaf, op_rank in first_use.items():
        rank[leaf] = op_rank - 2
    crossed = 0
    for node in order:
        op_rank = rank[node] - 2
        crossed += sum(op_rank - rank[x] - 1 for x, _, _ in drawn_inputs(node))
        crossed += 1 if node.inputs else 0  # op → value: two ranks apart as well
    return LayoutSize(len(order), nodes, edges, crossed)


def check_layout_budget(root: Value, who: str | None = None) -> LayoutSize:
    """The layout size, or a one-line ValueError (starting with `who`, if given) if it is
    over the budget."""
    size = layout_size(root)
    over = [
        f"{what} {have:,} > {limit:,}"
        for what, have, limit in (
            ("nodes", size.nodes, MAX_DRAWN_NODES),
            ("edges", size.edges, MAX_DRAWN_EDGES),
            ("ranks crossed by long edges", size.long_edge_ranks, MAX_LONG_EDGE_RANKS),
        )
        if have > limit
    ]
    if over:
        raise ValueError(
            f"{_prefix(who)}the graph is too big to lay out in a few seconds ({'; '.join(over)}); "
            "a value used at many depths, as in x*x*…*x, costs the most: draw a shorter "
            "expression (a sum a + b + c + … is drawn as one Σ node)"
        )
    return size


def check_frames_budget(size: LayoutSize, who: str | None = None) -> None:
    """A one-line ValueError (starting with `who`, if given) if drawing backward's frames
    of a graph of this `layout_size` would take more than a few seconds: frames × nodes
    > MAX_FRAME_NODES.

    Each frame is a full dot run (one frame per Value), and a PNG frame costs about 6 ms
    per node drawn on the machine of the module docstring: 16 frames of 29 nodes 2.7 s,
    34 of 65 nodes 10.8 s, 64 of 125 nodes 44 s (SVG: 0.9 s, 1.0 s, 6.3 s).
    """
    frames = size.values  # one per Value
    if frames * size.nodes > MAX_FRAME_NODES:
        raise ValueError(
            f"{_prefix(who)}{frames} frames of {size.nodes} nodes each are too many to draw in a "
            f"few seconds (frames × nodes = {frames * size.nodes:,} > {MAX_FRAME_NODES:,}); "
            "draw the frames of a smaller expression, or call viz.save_frames from Python"
        )


def _prefix(who: str | None) -> str:
    return f"{who}: " if who else ""
