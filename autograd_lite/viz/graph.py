"""Computation graphs: every Value below a root, the ops between them, and the ReLU gates.

`draw_graph(root)` returns a `graphviz.Digraph` (its DOT text is `.source`; no Graphviz
install is needed until it is rendered). Each Value is a box of rows [label / data / grad]; the
op that made it is an ellipse feeding it, with any constant operands folded into its
text (`** 2`, `× 0.5`, `leaky 0.01`); each edge carries the local derivative ∂out/∂in of
the input it brings. A relu or leaky_relu ellipse says its gate, which is its local
derivative: "gate 1" (open, green) or "gate 0" (closed, grey and dashed; leaky shows its
slope). The legend under the figure lists only what the figure holds.

Edge numbers are real edge labels, which dot lays out as part of the graph, so no number
can land on a node or on another number (an `xlabel` is placed after the layout and can).

The same graph always gives byte-identical DOT: node ids come from counters in
topological order, never from `id()`. `backward_frames` builds its frames with the
same `computation_digraph`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import graphviz

from .. import atomic
from ..core import engine
from ..core.engine import Value
from ..core.validation import whole_number
from ..nn.notation import subscript
from .rendering import DEFAULT_TIMEOUT, format_for, render
from .style import (
    CLOSED_GATE,
    FILL_CLOSED,
    FILL_INPUT,
    FILL_OP,
    FILL_PARAM,
    FILL_ROOT,
    FILL_VALUE,
    OPEN_GATE,
    QUIET,
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
    "DEFAULT_MAX_NODES",
    "RANKDIRS",
    "VALUE_FILLS",
    "computation_digraph",
    "draw_graph",
    "drawn_inputs",
    "gate_state",
    "op_text",
    "save_graph",
]

#: draw_graph refuses graphs with more Values + constants than this (pass max_nodes=...).
DEFAULT_MAX_NODES = 2000
#: The rank directions: top to bottom (the default), left to right, and their reverses.
RANKDIRS = ("TB", "LR", "BT", "RL")
#: The ops whose local derivative is a gate: 1 for z > 0, else 0 (relu) or the slope.
GATE_OPS = ("relu", "leaky_relu")

# How each op reads in a picture; ops not listed show their engine name.
_OP_SYMBOLS = {"*": "×", "/": "÷", "-": "−", "neg": "−x", "sum": "Σ", "leaky_relu": "leaky"}
#: This many uses of one Value by one op, or more, are drawn as one edge (see drawn_inputs).
MERGED_USES = 3
# Constants listed in an op's text before the rest are summarised.
_LISTED_CONSTANTS = 4


class HasNamedParameters(Protocol):
    def named_parameters(self) -> list[tuple[str, Value]]: ...


Params = HasNamedParameters | Iterable[Value] | None


def draw_graph(
    root: Value,
    *,
    rankdir: str = "TB",
    show_grad: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: Params = None,
) -> graphviz.Digraph:
    """The computation graph below `root`, as a Digraph (`.source` is its DOT text).

    Every Value is a box with its label (if any), `data` and, when `show_grad`, its
    `grad`; the op that made it is an ellipse feeding it. There is one edge per use
    (`a*a` draws two edges from `a`; three or more uses by one op with the same local
    derivative are one edge marked "(×n)"), and with `show_grad` each edge into an op
    carries that input's local derivative ∂out/∂in. Constant operands are written into the op
    (`x ** 2` is one ellipse "** 2"). Fills tell the kinds apart: blue inputs (leaves
    that are not parameters), amber parameters (`params`: a Module such as an MLP, or
    Values), white computed values and the green root.

    A relu ellipse shows its gate, its local derivative from the forward pass: "gate 1",
    green, when z was > 0 (the gradient passes unchanged), and "gate 0", grey and dashed
    with a dashed edge from z, when z was ≤ 0 (the gradient stops). A closed leaky_relu
    shows its slope ("gate 0.01"): the gradient is scaled by the slope, not stopped.

    `rankdir` is "TB" (top to bottom: inputs on top, the root at the bottom), "LR",
    "BT" or "RL". `max_nodes` bounds the Values plus constants (edges may number
    4 × max_nodes); a bigger graph raises ValueError at once, after counting only
    max_nodes + 1 of them.
    """
    check_graph_options(root, rankdir, max_nodes, "draw_graph")
    names = parameter_names(params, "draw_graph")
    order = engine.topological_order(root)

    def value_label(node: Value) -> str:
        grad = f"grad {escape(number(node.grad))}" if show_grad else None
        return value_table(node, value_kind(node, root, names), names, grad)

    def edge_attributes(node: Value, position: int, uses: int) -> dict[str, str]:
        return input_edge(node, position, uses, show_grad)

    return computation_digraph(
        order,
        rankdir=rankdir,
        value_label=value_label,
        edge_attributes=edge_attributes,
        legend_items=graph_legend(order, root, names, show_grad),
    )


def computation_digraph(
    order: Sequence[Value],
    *,
    rankdir: str,
    value_label: Callable[[Value], str],
    edge_attributes: Callable[[Value, int, int], dict[str, str]],
    legend_items: Sequence[LegendItem],
) -> graphviz.Digraph:
    """The Digraph of the Values in `order` (topological): a box per Value (its HTML
    label from `value_label`), an ellipse per op (`op_node`), an edge per use of a Value
    (`drawn_inputs`; attributes from `edge_attributes(node, position, uses)`) and the
    legend at the bottom."""
    graph = new_digraph("computation_graph", rankdir)
    graph.attr(
        "graph",
        label=legend(legend_items),
        labelloc="b",
        fontsize="10",
        # One value used at many depths (x+x+…+x) sends dot's positioning into tens of
        # thousands of network-simplex iterations; capping them at 2 per node changes
        # nothing for ordinary graphs (they settle well below).
        nslimit="2",
        ranksep="0.3",
        # a little closer than dot's 0.25 in: the seed graph's widest rank (six parameters
        # and two activations) then fits the notebook's width with 8 pt text
        nodesep="0.2",
    )
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    for node in order:
        graph.node(ids[node], value_label(node), shape="plain")
        if not node.inputs:
            continue
        op_id = f"{ids[node]}_op"
        graph.node(op_id, **op_node(node))
        for x, position, uses in drawn_inputs(node):
            attributes = edge_attributes(node, position, uses)
            if "label" in attributes:
                attributes["label"] = label_with_room(attributes["label"], rankdir)
            graph.edge(ids[x], op_id, **attributes)
        graph.edge(op_id, ids[node])
    return graph


#: Room, in points, that an edge label keeps clear on the side away from its own edge.
LABEL_ROOM = 8


def label_with_room(label: str, rankdir: str) -> str:
    """An edge's HTML-like label with LABEL_ROOM points of empty room on the side away
    from its edge (dot puts a label to the right of its edge when ranks run top to bottom,
    above it when they run left to right).

    Without the room, where two edges cross beside a label the next edge passes right at
    the label's far side, as close as its own: the seed graph's "0.9831" and "-0.3293"
    beside a⁽²⁾₂ read as each other's. `tests/test_figure_layout.py` checks, on dot's
    layout, that every label lies nearer its own edge than any other."""
    markup = label[1:-1]  # html_label's <…>
    if rankdir in ("TB", "BT"):
        cells = f'<tr><td>{markup}</td><td width="{LABEL_ROOM}"></td></tr>'
    else:
        cells = f'<tr><td height="{LABEL_ROOM}"></td></tr><tr><td>{markup}</td></tr>'
    return html_label(f'<table border="0" cellpadding="0" cellspacing="0">{cells}</table>')


def drawn_inputs(node: Value) -> list[tuple[Value, int, int]]:
    """(input, position, uses) per edge drawn into node's op, in input order.

    One edge per use (`a*a` draws two edges from a), except that MERGED_USES or more
    uses of one Value with the same local derivative (x+x+…+x as one Σ) are one edge,
    labelled with their count: two hundred parallel arrows read as a smudge."""
    groups: dict[tuple[Value, float], list[int]] = {}
    for position, (x, local) in enumerate(zip(node.inputs, node.local_grads)):
        if isinstance(x, Value):
            groups.setdefault((x, local), []).append(position)
    edges = []
    for (x, _), positions in groups.items():
        if len(positions) >= MERGED_USES:
            edges.append((x, positions[0], len(positions)))
        else:
            edges.extend((x, position, 1) for position in positions)
    edges.sort(key=lambda edge: edge[1])
    return edges


def check_graph_options(root: object, rankdir: object, max_nodes: object, who: str) -> None:
    """TypeError / ValueError naming `who` for a bad root, rankdir or max_nodes, and
    ValueError if the graph below root is bigger than max_nodes."""
    if not isinstance(root, Value):
        raise TypeError(f"{who} needs a Value as root, got {type(root).__name__} {root!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"{who} rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    _check_size(root, whole_number(max_nodes, f"{who} max_nodes"), who)


def _check_size(root: Value, max_nodes: int, who: str) -> None:
    """ValueError if more than max_nodes Values + constants (or 4× as many uses) lie below root.

    Iterative, and it stops at the first node over the limit, so a 200,000-node graph is
    refused after max_nodes + 1 steps instead of being walked in full.
    """
    max_edges = 4 * max_nodes
    seen = {root}
    stack = [root]
    nodes = 1
    edges = 0
    while stack:
        node = stack.pop()
        for x in node.inputs:
            edges += 1
            if not isinstance(x, Value):
                nodes += 1
            elif x not in seen:
                seen.add(x)
                stack.append(x)
                nodes += 1
            if nodes > max_nodes or edges > max_edges:
                what = (
                    f"more than {max_nodes:,} nodes (Values and constants)"
                    if nodes > max_nodes
                    else f"more than {max_edges:,} edges (4 × max_nodes)"
                )
                raise ValueError(
                    f"{who}: the graph has {what}, above max_nodes={max_nodes:,}; "
                    "pass a larger max_nodes (e.g. max_nodes=10_000) to draw it anyway "
                    "(dot gets slow and the picture unreadable), or draw a smaller "
                    "sub-expression or network"
                )


def parameter_names(params: Params, who: str) -> dict[Value, str]:
    """{θ: name} for the parameters to mark (name '' when only Values were given)."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        pairs = list(params.named_parameters())
    elif isinstance(params, Iterable) and not isinstance(params, (str, bytes, Value)):
        pairs = [("", p) for p in params]
    else:
        raise TypeError(
            f"{who} params must be None, a Module or an iterable of Values, "
            f"got {type(params).__name__} {params!r}"
        )
    names: dict[Value, str] = {}
    for name, p in pairs:
        if not isinstance(p, Value):
            raise TypeError(f"{who} params must hold Values, got {type(p).__name__} {p!r}")
        names[p] = name
    return names


def value_kind(node: Value, root: Value, param_names: dict[Value, str]) -> str:
    """'root', 'param', 'input' (a leaf that is not a parameter) or 'value'."""
    if node is root:
        return "root"
    if node in param_names:
        return "param"
    return "value" if node.inputs else "input"


#: The fill of a value box, by `value_kind`.
VALUE_FILLS = {"root": FILL_ROOT, "param": FILL_PARAM, "input": FILL_INPUT, "value": FILL_VALUE}


def value_table(
    node: Value,
    kind: str,
    param_names: dict[Value, str],
    grad: str | None,
    *,
    name: str | None = None,
    extra_row: str | None = None,
    outline: tuple[int, str] | None = None,
) -> str:
    """A Value's HTML-like label: a column of cells [label / data / grad], filled by kind.

    `grad` is the grad cell's markup (None: no cell); `name` replaces the label;
    `extra_row` (markup) is one more cell under them; `outline` is the table's
    (width, colour), by default 2 black for the root and none for the others."""
    label = name if name is not None else node.label or param_names.get(node)
    # a coloured outline would colour the cells' borders too: theirs stay black
    td = "<td>" if outline is None else '<td color="#000000">'
    cells = []
    if label:
        cells.append(f"{td}<b>{escape(label)}</b></td>")
    cells.append(f"{td}data {escape(number(node.data))}</td>")
    if grad is not None:
        cells.append(f"{td}{grad}</td>")
    # one cell a row: a narrow box, so that a rank of them fits the notebook's width
    rows = "".join(f"<tr>{cell}</tr>" for cell in cells)
    if extra_row is not None:
        rows += f"<tr>{td}{extra_row}</td></tr>"
    width, colour = outline or (2 if kind == "root" else 0, "")
    colour_attribute = f' color="{colour}"' if colour else ""
    return html_label(
        f'<table border="{width}"{colour_attribute} cellborder="1" cellspacing="0" '
        f'cellpadding="4" bgcolor="{VALUE_FILLS[kind]}">{rows}</table>'
    )


def gate_state(node: Value) -> tuple[bool, str] | None:
    """(closed, "gate …") for a relu or leaky_relu node, else None.

    The gate is the op's local derivative with respect to z, stored by the forward pass:
    relu's is 1.0 (open, z > 0) or 0.0 (closed); leaky_relu's is 1.0 or its slope. Both
    the colour and the text are read from it alone, so a z changed by hand after the
    forward pass cannot make them disagree with each other, or with what backward does."""
    if node.op not in GATE_OPS:
        return None
    local = node.local_grads[0]
    return local != 1.0, f"gate {number(local)}"


def op_node(node: Value) -> dict[str, str]:
    """The attributes of the ellipse of the op that made `node`: its text, and its gate."""
    text = "<br/>".join(escape(line) for line in op_text(node))
    attrs = {
        "shape": "ellipse",
        "style": "filled",
        "fillcolor": FILL_OP,
        "fontsize": "11",
        "width": "0.45",
        "height": "0.45",
        "margin": "0.04,0.02",
    }
    gate = gate_state(node)
    if gate is not None:
        closed, gate_text = gate
        colour = CLOSED_GATE if closed else OPEN_GATE
        text += f'<br/><font color="{colour}"><b>{escape(gate_text)}</b></font>'
        attrs.update(color=colour, penwidth="1.5")
        if closed:
            attrs.update(style="filled,dashed", fillcolor=FILL_CLOSED)
    attrs["label"] = html_label(text)
    return attrs


def op_text(node: Value) -> list[str]:
    """The lines an op's ellipse shows: its symbol with its constant operands folded in.

    `x * 0.5` → "× 0.5", `x ** 2` → "** 2", `2 ** x` → "2 ** ·", leaky_relu with slope
    0.01 → "leaky 0.01", a sum with constants 1 and −2 → "Σ + 1 − 2", a dot node whose x
    are numbers → "Σ w·x + b" and "x = (1, 0.5)". Values stay edges.
    """
    op, inputs = node.op, node.inputs
    if op == "dot":
        return _dot_text(inputs)
    symbol = _OP_SYMBOLS.get(op, op)
    constants = [x for x in inputs if isinstance(x, float)]  # the engine stores floats
    if op == "sum":
        return [symbol + _signed(constants)]
    if op == "leaky_relu":
        return [f"{symbol} {number(constants[0])}" if constants else symbol]
    if len(inputs) != 2 or not constants:
        return [symbol]
    left = inputs[0]
    if len(constants) == 2:
        return [f"{number(constants[0])} {symbol} {number(constants[1])}"]  # 2*3, as typed
    if isinstance(left, Value) or op in ("+", "*"):  # x ∘ c, or c + x = + c
        return [f"{symbol} {number(constants[0])}"]
    return [f"{number(constants[0])} {symbol} ·"]  # 1 − x, 1 / x, 2 ** x: x goes at ·


def _signed(constants: list[float]) -> str:
    """' + 1 − 2' for constants [1, −2]; the first few and their count past that."""
    if len(constants) > _LISTED_CONSTANTS:
        return f" + {len(constants)} numbers (Σ {number(sum(constants, 0.0))})"
    return "".join(f" {'−' if c < 0 else '+'} {number(abs(c))}" for c in constants)


def _dot_text(inputs: tuple[engine.Operand, ...]) -> list[str]:
    """'Σ w·x + b', then a line for each of w, x, b that holds numbers."""
    n = len(inputs) // 2
    groups = {"w": inputs[:n], "x": inputs[n : 2 * n], "b": inputs[2 * n :]}
    lines = ["Σ w·x + b" if groups["b"] else "Σ w·x"]
    for name, group in groups.items():
        constants = [(k, x) for k, x in enumerate(group) if not isinstance(x, Value)]
        if not constants:
            continue
        if name == "b":
            lines.append(f"b = {number(constants[0][1])}")
        elif len(constants) == len(group):
            shown = [number(x) for _, x in constants[:_LISTED_CONSTANTS]]
            more = ", …" if len(constants) > _LISTED_CONSTANTS else ""
            lines.append(f"{name} = ({', '.join(shown)}{more})")
        else:
            lines.extend(
                f"{name}{subscript(k + 1)} = {number(x)}"
                for k, x in constants[:_LISTED_CONSTANTS]
            )
    return lines


def input_edge(node: Value, position: int, uses: int, show_grad: bool) -> dict[str, str]:
    """The attributes of the edge bringing input `position` into `node`'s op (standing
    for `uses` uses of it, see `drawn_inputs`).

    Into a gate: green, or grey and dashed when closed; the gate on the ellipse is its
    number. Any other edge, with show_grad, is labelled with its local derivative."""
    gate = gate_state(node) if position == 0 else None
    if gate is not None:
        closed, _ = gate
        if closed:
            return {"style": "dashed", "color": CLOSED_GATE, "penwidth": "1.5"}
        return {"color": OPEN_GATE, "penwidth": "1.5"}
    text = number(node.local_grads[position]) if show_grad else ""
    if uses > 1:
        text = f"{text} (×{uses})" if text else f"×{uses}"
    if not text:
        return {}
    return {
        "label": html_label(escape(text)),
        "fontsize": "10",  # the smallest text of a graph: 8 pt still at 80% of its size
        "fontcolor": QUIET,
        "tooltip": "local derivative ∂out/∂in" + (f", for each of {uses} uses" if uses > 1 else ""),
    }


def graph_legend(
    order: Sequence[Value], root: Value, param_names: dict[Value, str], show_grad: bool
) -> list[LegendItem]:
    """The legend entries for what the figure holds, and nothing else."""
    kinds = {value_kind(node, root, param_names) for node in order}
    items: list[LegendItem] = []
    if "input" in kinds:
        items.append((fill_swatch(FILL_INPUT), "input"))
    if "param" in kinds:
        items.append((fill_swatch(FILL_PARAM), "parameter"))
    items.append((fill_swatch(FILL_ROOT), "root" + (f" {root.label}" if root.label else "")))
    gates = [(node.op, gate_state(node)) for node in order]
    if any(g is not None and not g[0] for _, g in gates):
        items.append((line_swatch(OPEN_GATE), "open gate: the gradient passes"))
    closed = {op for op, g in gates if g is not None and g[0]}
    if "relu" in closed:
        items.append((line_swatch(CLOSED_GATE, dashed=True), "closed gate: the gradient stops"))
    if "leaky_relu" in closed:
        items.append(
            (line_swatch(CLOSED_GATE, dashed=True), "closed leaky gate: the gradient × its slope")
        )
    if show_grad:
        of = root.label or "root"
        items.append((f'<td><font color="{QUIET}">0.5</font></td>', "edge: local ∂out/∂in"))
        items.append(("<td>grad</td>", f"∂{of}/∂(the value)"))
    return items


def save_graph(
    root: Value,
    path: str | os.PathLike[str],
    *,
    rankdir: str = "TB",
    show_grad: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: Params = None,
    portable: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Path:
    """The path written: `draw_graph(root, ...)` rendered to SVG, PNG or PDF (by suffix),
    atomically; `portable=True` for text as shapes (see `rendering.render`). A path that
    exists and is not a regular file raises atomic.NotARegularFileError before any drawing."""
    format_for(path)  # a bad suffix fails before any drawing
    atomic.check_target(path)
    graph = draw_graph(
        root, rankdir=rankdir, show_grad=show_grad, max_nodes=max_nodes, params=params
    )
    return render(graph, path, portable=portable, timeout=timeout)
