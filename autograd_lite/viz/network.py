"""Network figures: an MLP drawn the textbook way, layers as columns of units a⁽ˡ⁾ⱼ.

`draw_network(mlp, x, y=y)` returns a `graphviz.Digraph`. The numbers it shows for an
input x (z, a, the gates) and targets y (δ) come from `manual.trace`, the textbook
equations on floats, which match the engine bit for bit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import graphviz

from ..core.engine import Value
from ..core.validation import as_list, finite_numbers
from ..nn import manual
from ..nn.modules import MLP
from ..nn.notation import layer_number, subscript, unit_label, weight_label
from .graph import GATE_OPS
from .style import (
    CLOSED_GATE,
    FILL_CLOSED,
    FILL_INPUT,
    FILL_ROOT,
    NEGATIVE,
    POSITIVE,
    QUIET,
    ZERO,
    LegendItem,
    escape,
    fill_swatch,
    html_label,
    legend,
    line_swatch,
    new_digraph,
    number,
)

__all__ = [
    "MAX_UNITS_PER_LAYER",
    "draw_network",
    "edge_width",
    "gate_closed",
    "shown_units",
    "weight_colour",
]

#: draw_network draws wider layers as their first units, an ellipsis node and the last unit.
MAX_UNITS_PER_LAYER = 10
# Above this many edges between two layers, weights go into edge tooltips instead of labels.
_MAX_LABELLED_EDGES = 16

# One column of units: (unit index j from 0, node id) for each unit drawn.
Column = list[tuple[int, str]]


def draw_network(
    mlp: MLP,
    x: Sequence[float] | None = None,
    *,
    y: Sequence[float] | None = None,
    show_grad: bool | None = None,
) -> graphviz.Digraph:
    """The MLP as the textbook draws it: layer l is a column of units a⁽ˡ⁾ⱼ.

    The inputs are layer 1 (a⁽¹⁾ₖ = xₖ). An edge k → j into layer l is the weight
    Θ⁽ˡ⁾ⱼₖ, labelled with its value and with ∂J/∂Θ⁽ˡ⁾ⱼₖ: always for show_grad=True,
    never for False, and for None (the default) once any parameter's grad is nonzero
    (after `backward()`). Pass True to show a dead network's all-zero gradients.
    Blue edges are positive weights, red negative, and the width grows with |Θ|.
    Each unit shows its bias b⁽ˡ⁾ⱼ. A legend under the figure says all this.

    Given an input `x` (nin numbers), each unit also shows z⁽ˡ⁾ⱼ and a⁽ˡ⁾ⱼ for that
    input. A relu or leaky_relu unit with z ≤ 0 is filled grey, outlined dashed and
    marked "gate closed"; the weights into it are drawn dashed, since no gradient (relu)
    or only a slope's worth (leaky) reaches them for this x. Given targets `y` too
    (one per output), each unit shows δ⁽ˡ⁾ⱼ = ∂J/∂z⁽ˡ⁾ⱼ for J = Σ ½(a⁽ᴸ⁾ − y)², and a
    column of targets yⱼ follows the outputs.

    Any MLP can be drawn. A layer wider than MAX_UNITS_PER_LAYER (10) units shows its
    first 8 units, a "⋮ n more" node and its last unit, with only the edges between units
    shown. Between two layers joined by more than 16 drawn edges the weights move from
    edge labels into edge tooltips (SVG shows them on hover): there they would overlap.
    TypeError / ValueError if x or y is not a list of finite numbers of the right
    length, or y is given without x.
    """
    if not isinstance(mlp, MLP):
        raise TypeError(f"draw_network needs an MLP, got {type(mlp).__name__} {mlp!r}")
    inputs = None if x is None else _numbers(x, mlp.nin, "x")
    if y is not None and inputs is None:
        raise ValueError("draw_network: targets y need an input x (δ depends on both)")
    targets = None if y is None else _numbers(y, mlp.nouts[-1], "y")
    traces = None if inputs is None else manual.trace(mlp, inputs, targets)
    if show_grad is None:
        show_grad = any(p.grad != 0.0 for p in mlp.parameters())

    graph = new_digraph("network", "LR")
    graph.attr("graph", nodesep="0.35", ranksep="1.6", splines="true")
    columns = [_input_column(graph, mlp.nin, inputs)]
    for i in range(len(mlp.layers)):
        columns.append(_unit_column(graph, mlp, i, traces, show_grad))
    if targets is not None:
        _target_column(graph, columns[-1], targets)
    for i in range(len(mlp.layers)):
        _weight_edges(graph, mlp, i, columns, traces, show_grad)
    graph.attr(
        "graph",
        label=legend(_legend_items(mlp, traces, show_grad), per_row=2),
        labelloc="b",
        fontsize="10",
    )
    return graph


def _numbers(values: object, length: int, what: str) -> list[float]:
    """values as `length` finite floats (a Value gives its data), or TypeError / ValueError."""
    items = as_list(values, "draw_network", what, length)
    return finite_numbers(
        [v.data if isinstance(v, Value) else v for v in items], "draw_network", what
    )


def shown_units(n: int) -> list[int]:
    """The unit indices (from 0) drawn for a layer of n units: all of them up to
    MAX_UNITS_PER_LAYER, else the first 8 and the last."""
    if n <= MAX_UNITS_PER_LAYER:
        return list(range(n))
    return [*range(MAX_UNITS_PER_LAYER - 2), n - 1]


def _input_column(graph: graphviz.Digraph, nin: int, inputs: list[float] | None) -> Column:
    """Layer 1: a circle a⁽¹⁾ₖ per input, with its value xₖ when given."""
    column = [(k, f"a1_{k}") for k in shown_units(nin)]
    with graph.subgraph(name="layer_1") as sub:
        sub.attr(rank="same")
        for k, node_id in column:
            lines = [f"<b>{escape(unit_label('a', 1, k + 1))}</b>"]
            if inputs is not None:
                lines.append(f"= {escape(number(inputs[k]))}")
            sub.node(
                node_id,
                html_label("<br/>".join(lines)),
                shape="circle",
                style="filled",
                fillcolor=FILL_INPUT,
            )
        _finish_column(sub, "layer 1<br/>input", column, "a1", nin)
    return column


def _unit_column(
    graph: graphviz.Digraph,
    mlp: MLP,
    i: int,
    traces: list[manual.LayerTrace] | None,
    show_grad: bool,
) -> Column:
    """Layer l = i + 2: a circle per unit (see `_unit_attributes`) and the column's title."""
    layer, ell = mlp.layers[i], layer_number(i)
    column = [(j, f"a{ell}_{j}") for j in shown_units(len(layer.neurons))]
    role = "output" if i == len(mlp.layers) - 1 else "hidden"
    with graph.subgraph(name=f"layer_{ell}") as sub:
        sub.attr(rank="same")
        for j, node_id in column:
            sub.node(node_id, **_unit_attributes(mlp, i, j, traces, show_grad))
        title = f"layer {ell}<br/>{role} · {escape(layer.activation)}"
        _finish_column(sub, title, column, f"a{ell}", len(layer.neurons))
    return column


def _finish_column(
    column: graphviz.Digraph, title: str, units: Column, prefix: str, n: int
) -> None:
    """Adds the column's title on top, the "⋮ n more" node of a wide layer, and keeps the
    units in order j = 1, 2, … from top to bottom."""
    column.node(f"{prefix}_title", html_label(title), shape="plaintext", fontcolor=QUIET)
    order = [f"{prefix}_title", *(node_id for _, node_id in units)]
    hidden = n - len(units)
    if hidden:
        column.node(f"{prefix}_more", html_label(f"⋮<br/>{hidden} more"), shape="plaintext")
        order.insert(len(order) - 1, f"{prefix}_more")
    # dot lays same-rank edges out in their direction, so a chain of invisible edges
    # stacks the column top to bottom in unit order instead of wherever crossings are fewest
    for upper, lower in itertools.pairwise(order):
        column.edge(upper, lower, style="invis")


def gate_closed(layer_activation: str, z: float) -> bool:
    """Is a unit's gate closed for this z: a relu or leaky_relu unit with z ≤ 0 (relu′(0) = 0),
    through which no gradient (relu) or only a slope's worth (leaky) passes."""
    return layer_activation in GATE_OPS and z <= 0.0


def _unit_attributes(
    mlp: MLP, i: int, j: int, traces: list[manual.LayerTrace] | None, show_grad: bool
) -> dict[str, str]:
    """A unit's circle: a⁽ˡ⁾ⱼ, b, ∂J/∂b, and for an input z, a, δ and its gate."""
    layer, ell = mlp.layers[i], layer_number(i)
    bias = layer.neurons[j].b
    lines = [f"<b>{escape(unit_label('a', ell, j + 1))}</b>", f"b = {escape(number(bias.data))}"]
    if show_grad:
        lines.append(f"∂J/∂b = {escape(number(bias.grad))}")
    attrs = {"shape": "circle", "style": "filled", "fillcolor": "#ffffff"}
    if traces is not None:
        trace = traces[i]
        lines.append(f"z = {escape(number(trace.z[j]))}")
        lines.append(f"a = {escape(number(trace.a[j]))}")
        if trace.delta is not None:
            delta = unit_label("δ", ell, j + 1)
            lines.append(f"{escape(delta)} = {escape(number(trace.delta[j]))}")
        if gate_closed(layer.activation, trace.z[j]):
            lines.append("<i>gate closed</i>")
            attrs.update(style="filled,dashed", fillcolor=FILL_CLOSED, color=CLOSED_GATE)
    attrs["label"] = html_label("<br/>".join(lines))
    return attrs


def _target_column(graph: graphviz.Digraph, outputs: Column, targets: list[float]) -> None:
    """A box yⱼ = … right of each output unit, joined to it by a dotted line."""
    with graph.subgraph(name="targets") as sub:
        sub.attr(rank="same")
        for j, node_id in outputs:
            sub.node(
                f"y_{j}",
                html_label(f"<b>y{escape(subscript(j + 1))}</b> = {escape(number(targets[j]))}"),
                shape="box",
                style="filled,rounded",
                fillcolor=FILL_ROOT,
            )
            graph.edge(node_id, f"y_{j}", style="dotted", arrowhead="none", color=QUIET)


def _weight_edges(
    graph: graphviz.Digraph,
    mlp: MLP,
    i: int,
    columns: list[Column],
    traces: list[manual.LayerTrace] | None,
    show_grad: bool,
) -> None:
    """The edges Θ⁽ˡ⁾ⱼₖ into layer l = i + 2: colour by sign, width by |Θ|, dashed into a
    closed gate; labelled with Θ (and ∂J/∂Θ) unless there are too many to read."""
    layer, ell = mlp.layers[i], layer_number(i)
    widest = max((abs(w.data) for lay in mlp.layers for n in lay.neurons for w in n.w), default=0.0)
    # Past a few edges between two layers their labels overlap into noise and push dot
    # into long detours, so there the numbers go into the tooltip (shown on hover in SVG).
    labelled = len(columns[i]) * len(columns[i + 1]) <= _MAX_LABELLED_EDGES
    for j, head in columns[i + 1]:
        closed = traces is not None and gate_closed(layer.activation, traces[i].z[j])
        for k, tail in columns[i]:
            w = layer.neurons[j].w[k]
            lines = [f"{weight_label(ell, j + 1, k + 1)} = {number(w.data)}"]
            if show_grad:
                lines.append(f"∂J/∂Θ = {number(w.grad)}")
            colour = weight_colour(w.data)
            attrs = {
                "color": colour,
                "fontcolor": colour,
                "penwidth": f"{edge_width(w.data, widest):.2f}",
                "fontsize": "10",
                "style": "dashed" if closed else "solid",
                "tooltip": ", ".join(lines),
            }
            if labelled:
                attrs["label"] = html_label("<br/>".join(escape(line) for line in lines))
            graph.edge(tail, head, **attrs)


def weight_colour(w: float) -> str:
    """The colour of a weight's edge: blue for Θ > 0, red for Θ < 0, grey for 0."""
    return POSITIVE if w > 0 else NEGATIVE if w < 0 else ZERO


def edge_width(w: float, widest: float) -> float:
    """The width of a weight's edge, in points: from 0.6 for Θ = 0 to 4 for the largest |Θ|
    of the network (`widest`), growing with |Θ|; 1 when every weight is 0."""
    return 0.6 + 3.4 * abs(w) / widest if widest > 0 else 1.0


def _legend_items(
    mlp: MLP, traces: list[manual.LayerTrace] | None, show_grad: bool
) -> list[LegendItem]:
    """The legend entries for what the figure holds."""
    weights = [w.data for layer in mlp.layers for n in layer.neurons for w in n.w]
    items: list[LegendItem] = []
    if any(w > 0 for w in weights):
        items.append((line_swatch(POSITIVE), "Θ > 0"))
    if any(w < 0 for w in weights):
        items.append((line_swatch(NEGATIVE), "Θ < 0"))
    items.append(("<td>— <b>━━</b></td>", "line width grows with |Θ|"))
    if show_grad:
        items.append(("<td>∂J/∂Θ</td>", "the gradient of J, after backward()"))
    if traces is not None and any(
        gate_closed(layer.activation, z) for layer, t in zip(mlp.layers, traces) for z in t.z
    ):
        items.append((fill_swatch(FILL_CLOSED, dashed=True), "gate closed: z ≤ 0"))
        items.append((line_swatch(CLOSED_GATE, dashed=True), "weight into a closed gate"))
    if traces is not None and traces[-1].delta is not None:
        items.append(("<td>δ</td>", "δ = ∂J/∂z, for J = Σ ½(a − y)²"))
    return items
