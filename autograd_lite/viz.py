"""Pictures of backprop: computation graphs and network figures, as `graphviz.Digraph`s.

`draw_graph(root)` draws every Value below `root`: what flowed forward (data), what flowed
back (grad), and where a ReLU gate stopped the gradient. `draw_network(mlp, x)` draws an
MLP the textbook way: layers as columns, units a⁽ˡ⁾ⱼ as circles, edges Θ⁽ˡ⁾ⱼₖ.

Both return a `graphviz.Digraph`, which shows inline in Jupyter and whose DOT text is
`.source`; that needs no Graphviz install. Only `render` / `save_graph` run Graphviz's
`dot` program, and say how to install it when it is missing (`GraphvizNotFound`).

The same graph always gives byte-identical DOT: node ids come from counters in
topological order, never from `id()`.
"""

from __future__ import annotations

import html
import itertools
import os
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import graphviz

from . import engine, manual
from .engine import Value
from .nn import MLP
from .notation import layer_number, unit_label, weight_label
from .validation import is_finite_number

__all__ = [
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "FORMATS",
    "MAX_UNITS_PER_LAYER",
    "GraphvizNotFound",
    "RenderError",
    "draw_graph",
    "draw_network",
    "format_for",
    "render",
    "save_graph",
]

#: draw_graph refuses graphs with more Values + constants than this (pass max_nodes=...).
DEFAULT_MAX_NODES = 2000
#: render stops dot after this many seconds (a graph that slow is unreadable anyway).
DEFAULT_TIMEOUT = 60.0
#: The output formats, by file suffix.
FORMATS: dict[str, str] = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
#: draw_network draws wider layers as their first units, an ellipsis node and the last unit.
MAX_UNITS_PER_LAYER = 10
# Above this many edges between two layers, weights go into edge tooltips instead of labels.
_MAX_LABELLED_EDGES = 16

_RANKDIRS = ("LR", "RL", "TB", "BT")
_FONT = "Helvetica,Arial,sans-serif"

# Colours: node kinds (fill), weight signs (edges) and gates.
_FILL_INPUT = "#dbeafe"  # light blue
_FILL_PARAM = "#fde68a"  # amber
_FILL_CONST = "#eeeeee"  # grey
_FILL_ROOT = "#bbf7d0"  # green
_FILL_VALUE = "#ffffff"
_FILL_CLOSED = "#d4d4d4"  # a unit or gate the gradient cannot pass
_POSITIVE = "#1d4ed8"  # blue
_NEGATIVE = "#dc2626"  # red
_ZERO = "#9ca3af"  # grey
_OPEN_GATE = "#15803d"  # green
_CLOSED_GATE = "#6b7280"  # grey

# How each op reads in a picture; ops not listed show their engine name.
_OP_SYMBOLS = {"*": "×", "/": "÷", "-": "−", "neg": "−x", "sum": "Σ", "dot": "Σ w·x"}


class RenderError(RuntimeError):
    """dot could not turn a graph into an image: it failed, took too long, or is missing."""


class GraphvizNotFound(RenderError):
    """Graphviz's `dot` program is not installed (or not on PATH); the message says how."""


class _HasNamedParameters(Protocol):
    def named_parameters(self) -> list[tuple[str, Value]]: ...


# ===========================================================================================
# Computation graphs
# ===========================================================================================


def draw_graph(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: _HasNamedParameters | Iterable[Value] | None = None,
) -> graphviz.Digraph:
    """The computation graph below `root`, as a Digraph (`.source` is its DOT text).

    Every Value is a box with its label (if any), `data` and, when `show_grad`, its
    `grad`; the op that made it is a circle feeding it. There is one edge per use (`a*a`
    draws two edges from `a`), and with `show_grad` each edge into an op carries that
    input's local derivative ∂out/∂in. Fill colours tell the kinds apart: blue inputs
    (leaves that are not parameters), amber parameters (`params`: a Module such as an
    MLP, or Values), small grey constants (the plain numbers an op was given, one node
    per use) and the green root.

    A ReLU gate is the edge into a relu op: solid green "gate 1" when open; dashed grey
    "gate 0" when closed (z ≤ 0), where the gradient stops. A leaky_relu gate with
    z ≤ 0 is dashed grey too, marked with its slope ("gate 0.01"): the gradient is
    scaled by the slope, not stopped.

    `max_nodes` bounds the Values plus constants drawn (edges may number 4 × max_nodes);
    a bigger graph raises ValueError at once, after counting only max_nodes + 1 of them.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph needs a Value as root, got {type(root).__name__} {root!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(
            f"draw_graph rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}"
        )
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph max_nodes must be a positive int, got {max_nodes!r}")
    _check_size(root, max_nodes)
    param_names = _parameter_names(params)

    graph = _new_digraph("computation_graph", rankdir)
    graph.attr(
        "graph",
        label=_html(_graph_legend(show_grad)),
        labelloc="b",
        fontsize="10",
        # One value used at many depths (x+x+…+x) sends dot's positioning into tens of
        # thousands of network-simplex iterations; capping them at 2 per node changes
        # nothing for ordinary graphs (they settle well below) and makes ~100 terms take
        # seconds instead of minutes. Deeper ones still grow with the square of the depth:
        # `render`'s timeout is what stops those.
        nslimit="2",
    )
    order = engine.topological_order(root)
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    constants = 0
    for node in order:
        node_id = ids[node]
        kind = "root" if node is root else _kind(node, param_names)
        label = node.label if node.label is not None else param_names.get(node)
        graph.node(node_id, _value_label(node, label, kind, show_grad), shape="plain")
        if not node.inputs:
            continue
        op_id = f"{node_id}_op"
        graph.node(
            op_id,
            _html(_escape(_OP_SYMBOLS.get(node.op, node.op))),
            shape="circle",
            style="filled",
            fillcolor="#f5f5f5",
            fontsize="11",
            width="0.45",
            margin="0.02",
        )
        for position, (x, local) in enumerate(zip(node.inputs, node.local_grads)):
            if isinstance(x, Value):
                source = ids[x]
            else:
                # a constant: its own small node per use, so the picture reads left to right
                source = f"c{constants}"
                constants += 1
                graph.node(
                    source,
                    _html(_escape(_number(x))),
                    shape="ellipse",
                    style="filled",
                    fillcolor=_FILL_CONST,
                    color=_ZERO,
                    fontsize="10",
                    height="0.3",
                    margin="0.03,0.01",
                )
            graph.edge(source, op_id, **_input_edge(node, position, float(local), show_grad))
        graph.edge(op_id, node_id)
    return graph


def _check_size(root: Value, max_nodes: int) -> None:
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
                    f"draw_graph: the graph has {what}, above max_nodes={max_nodes:,}; "
                    "pass a larger max_nodes (e.g. max_nodes=10_000) to draw it anyway "
                    "(dot gets slow and the picture unreadable), or draw a smaller "
                    "sub-expression or network"
                )


def _parameter_names(params: _HasNamedParameters | Iterable[Value] | None) -> dict[Value, str]:
    """{θ: name} for the parameters to mark (name '' when only Values were given)."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        pairs = list(params.named_parameters())
    elif isinstance(params, Iterable) and not isinstance(params, (str, bytes, Value)):
        pairs = [("", p) for p in params]
    else:
        raise TypeError(
            "draw_graph params must be None, a Module or an iterable of Values, "
            f"got {type(params).__name__} {params!r}"
        )
    names: dict[Value, str] = {}
    for name, p in pairs:
        if not isinstance(p, Value):
            raise TypeError(f"draw_graph params must hold Values, got {type(p).__name__} {p!r}")
        names[p] = name
    return names


def _kind(node: Value, param_names: dict[Value, str]) -> str:
    if node in param_names:
        return "param"
    return "value" if node.inputs else "input"


def _value_label(node: Value, label: str | None, kind: str, show_grad: bool) -> str:
    """An HTML-like label: one row of cells [label | data | grad], filled by kind."""
    fill = {
        "root": _FILL_ROOT,
        "param": _FILL_PARAM,
        "input": _FILL_INPUT,
        "value": _FILL_VALUE,
    }[kind]
    cells = []
    if label:
        cells.append(f"<td><b>{_escape(label)}</b></td>")
    cells.append(f"<td>data {_escape(_number(node.data))}</td>")
    if show_grad:
        cells.append(f"<td>grad {_escape(_number(node.grad))}</td>")
    border = "2" if kind == "root" else "0"
    return _html(
        f'<table border="{border}" cellborder="1" cellspacing="0" cellpadding="4" '
        f'bgcolor="{fill}">' + f"<tr>{''.join(cells)}</tr></table>"
    )


def _input_edge(node: Value, position: int, local: float, show_grad: bool) -> dict[str, str]:
    """Attributes of the edge carrying input `position` into `node`'s op.

    Its text is an xlabel, placed after layout: a plain label would make dot double
    every rank of the graph to make room, which costs a lot on big graphs.
    """
    gate = _gate(node, position, local)
    if gate is None:
        if not show_grad:
            return {}
        return {
            "xlabel": _html(_escape(_number(local))),
            "fontsize": "9",
            "fontcolor": "#555555",
            "tooltip": "local derivative ∂out/∂in",
        }
    closed, text = gate
    if closed:
        return {
            "xlabel": _html(_escape(text)),
            "style": "dashed",
            "color": _CLOSED_GATE,
            "fontcolor": _CLOSED_GATE,
            "fontsize": "10",
            "penwidth": "1.5",
            "tooltip": "closed gate: the gradient stops (relu) or shrinks (leaky_relu) here",
        }
    return {
        "xlabel": _html(_escape(text)),
        "color": _OPEN_GATE,
        "fontcolor": _OPEN_GATE,
        "fontsize": "10",
        "penwidth": "1.5",
        "tooltip": "open gate: the gradient passes unchanged",
    }


def _gate(node: Value, position: int, local: float) -> tuple[bool, str] | None:
    """(closed, text) for the gate edge of a relu / leaky_relu input, else None."""
    if position != 0:
        return None  # leaky_relu's second input is its slope, not a gate
    if node.op == "relu":
        # the engine records the gate as relu's local derivative: 1.0 open, 0.0 closed
        return (True, "gate 0") if local == 0.0 else (False, "gate 1")
    if node.op == "leaky_relu":
        x = node.inputs[0]
        z = x.data if isinstance(x, Value) else float(x)
        return (True, f"gate {_number(local)}") if z <= 0.0 else (False, "gate 1")
    return None


def _graph_legend(show_grad: bool) -> str:
    parts = [
        "blue: input",
        "amber: parameter",
        "grey: constant",
        "green: root",
        "dashed grey: closed ReLU gate (gradient stops)",
    ]
    if show_grad:
        parts.append("edge numbers: local derivative ∂out/∂in")
    return _escape(" · ".join(parts))


# ===========================================================================================
# Network figures
# ===========================================================================================


def draw_network(
    mlp: MLP, x: Sequence[float] | None = None, *, show_grad: bool | None = None
) -> graphviz.Digraph:
    """The MLP as the textbook draws it: layer l is a column of units a⁽ˡ⁾ⱼ.

    The inputs are layer 1 (a⁽¹⁾ₖ = xₖ). An edge k → j into layer l is the weight
    Θ⁽ˡ⁾ⱼₖ, labelled with its value and with ∂J/∂Θ⁽ˡ⁾ⱼₖ: always for show_grad=True,
    never for False, and for None (the default) once any parameter's grad is nonzero
    (after `backward()`). Pass True to show a dead network's all-zero gradients.
    Blue edges are positive weights, red negative, and the width grows with |Θ|.
    Each unit shows its bias b⁽ˡ⁾ⱼ.

    Given an input `x` (nin numbers), each unit also shows z⁽ˡ⁾ⱼ and a⁽ˡ⁾ⱼ for that
    input. A relu or leaky_relu unit with z ≤ 0 is filled grey, outlined dashed and
    marked "gate closed"; the relu weights into it are drawn dashed, since no gradient
    reaches them for this x.

    Any MLP can be drawn. A layer wider than MAX_UNITS_PER_LAYER (10) units shows its
    first 8 units, a "⋮ n more" node and its last unit, with only the edges between units
    shown. Between two layers joined by more than 16 drawn edges the weights move from
    edge labels into edge tooltips (SVG shows them on hover): there they would overlap.
    Raises ValueError if x does not hold exactly nin finite numbers.
    """
    if not isinstance(mlp, MLP):
        raise TypeError(f"draw_network needs an MLP, got {type(mlp).__name__} {mlp!r}")
    inputs = None if x is None else _check_x(mlp, x)
    # z and a per layer, computed exactly as the engine computes them (manual.trace)
    activity = None if inputs is None else [(t.z, t.a) for t in manual.trace(mlp, inputs)]
    if show_grad is None:
        show_grad = any(p.grad != 0.0 for p in mlp.parameters())
    widest = max(
        (abs(w.data) for layer in mlp.layers for n in layer.neurons for w in n.w), default=0.0
    )

    graph = _new_digraph("network", "LR")
    graph.attr("graph", nodesep="0.35", ranksep="1.6", splines="true")
    columns: list[list[tuple[int, str]]] = []  # per layer: (unit index j from 0, node id)

    # layer 1: the inputs
    shown = _shown_units(mlp.nin)
    columns.append([(k, f"a1_{k}") for k in shown])
    with graph.subgraph(name="layer_1") as column:
        column.attr(rank="same")
        for k in shown:
            lines = [f"<b>{_escape(unit_label('a', 1, k + 1))}</b>"]
            if inputs is not None:
                lines.append(f"= {_escape(_number(inputs[k]))}")
            column.node(
                f"a1_{k}",
                _html("<br/>".join(lines)),
                shape="circle",
                style="filled",
                fillcolor=_FILL_INPUT,
            )
        _finish_column(column, "layer 1<br/>input", [f"a1_{k}" for k in shown], "a1", mlp.nin)

    for i, layer in enumerate(mlp.layers):
        ell = layer_number(i)
        shown = _shown_units(len(layer.neurons))
        columns.append([(j, f"a{ell}_{j}") for j in shown])
        role = "output" if i == len(mlp.layers) - 1 else "hidden"
        with graph.subgraph(name=f"layer_{ell}") as column:
            column.attr(rank="same")
            for j in shown:
                column.node(f"a{ell}_{j}", **_unit_attrs(mlp, i, j, activity, show_grad))
            _finish_column(
                column,
                f"layer {ell}<br/>{role} · {_escape(layer.activation)}",
                [f"a{ell}_{j}" for j in shown],
                f"a{ell}",
                len(layer.neurons),
            )

    for i, layer in enumerate(mlp.layers):
        ell = layer_number(i)
        # Past a few edges between two layers their labels overlap into noise and push dot
        # into long detours, so there the numbers go into the tooltip (shown on hover in SVG).
        labelled = len(columns[i]) * len(columns[i + 1]) <= _MAX_LABELLED_EDGES
        for j, head in columns[i + 1]:
            neuron = layer.neurons[j]
            closed = (
                activity is not None and layer.activation == "relu" and activity[i][0][j] <= 0.0
            )
            for k, tail in columns[i]:
                w = neuron.w[k]
                lines = [f"{weight_label(ell, j + 1, k + 1)} = {_number(w.data)}"]
                if show_grad:
                    lines.append(f"∂J/∂Θ = {_number(w.grad)}")
                colour = _POSITIVE if w.data > 0 else _NEGATIVE if w.data < 0 else _ZERO
                width = 0.6 + 3.4 * abs(w.data) / widest if widest > 0 else 1.0
                attrs = {
                    "color": colour,
                    "fontcolor": colour,
                    "penwidth": f"{width:.2f}",
                    "fontsize": "10",
                    "style": "dashed" if closed else "solid",
                    "tooltip": ", ".join(lines),
                }
                if labelled:
                    attrs["label"] = _html("<br/>".join(_escape(line) for line in lines))
                graph.edge(tail, head, **attrs)
    return graph


def _check_x(mlp: MLP, x: object) -> list[float]:
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"draw_network x must be a list of {mlp.nin} numbers, got {x!r}")
    if len(x) != mlp.nin:
        raise ValueError(
            f"draw_network: x has {len(x)} values but the network expects nin={mlp.nin}: {x!r}"
        )
    values = []
    for k, xk in enumerate(x):
        if isinstance(xk, Value):
            xk = xk.data
        if not is_finite_number(xk):
            raise ValueError(f"draw_network: x[{k}] must be a finite number, got {xk!r}")
        values.append(float(xk))
    return values


def _shown_units(n: int) -> list[int]:
    """The unit indices (from 0) drawn for a layer of n units."""
    if n <= MAX_UNITS_PER_LAYER:
        return list(range(n))
    return [*range(MAX_UNITS_PER_LAYER - 2), n - 1]


def _finish_column(
    column: graphviz.Digraph, title: str, node_ids: list[str], prefix: str, n: int
) -> None:
    """Adds the column's title on top, the "⋮ n more" node of a wide layer, and keeps the
    units in order j = 1, 2, … from top to bottom."""
    column.node(f"{prefix}_title", _html(title), shape="plaintext", fontcolor="#444444")
    order = [f"{prefix}_title", *node_ids]
    hidden = n - len(node_ids)
    if hidden:
        column.node(f"{prefix}_more", _html(f"⋮<br/>{hidden} more"), shape="plaintext")
        order.insert(len(order) - 1, f"{prefix}_more")
    # dot lays same-rank edges out in their direction, so a chain of invisible edges
    # stacks the column top to bottom in unit order instead of wherever crossings are fewest
    for upper, lower in itertools.pairwise(order):
        column.edge(upper, lower, style="invis")


def _unit_attrs(
    mlp: MLP,
    i: int,
    j: int,
    activity: list[tuple[list[float], list[float]]] | None,
    show_grad: bool,
) -> dict[str, str]:
    layer = mlp.layers[i]
    ell = layer_number(i)
    bias = layer.neurons[j].b
    lines = [f"<b>{_escape(unit_label('a', ell, j + 1))}</b>"]
    lines.append(f"b = {_escape(_number(bias.data))}")
    if show_grad:
        lines.append(f"∂J/∂b = {_escape(_number(bias.grad))}")
    attrs = {"shape": "circle", "style": "filled", "fillcolor": "#ffffff"}
    if activity is not None:
        z, a = activity[i][0][j], activity[i][1][j]
        lines.append(f"z = {_escape(_number(z))}")
        lines.append(f"a = {_escape(_number(a))}")
        if layer.activation in ("relu", "leaky_relu") and z <= 0.0:
            lines.append("<i>gate closed</i>")
            attrs.update(style="filled,dashed", fillcolor=_FILL_CLOSED, color=_CLOSED_GATE)
    attrs["label"] = _html("<br/>".join(lines))
    return attrs


# ===========================================================================================
# Files
# ===========================================================================================


def format_for(path: str | os.PathLike[str]) -> str:
    """'svg', 'png' or 'pdf' from the file suffix; ValueError naming the valid suffixes."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the image format of {str(path)!r}: "
            f"the file name must end in {', '.join(FORMATS)}"
        )
    return FORMATS[suffix]


def render(
    graph: graphviz.Digraph,
    path: str | os.PathLike[str],
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Path:
    """The path written: `graph` drawn by Graphviz's `dot` as SVG, PNG or PDF (by suffix).

    Creates missing parent directories. Raises GraphvizNotFound, saying how to install
    Graphviz, when `dot` is not on PATH (the DOT text is still `graph.source`), and
    RenderError when dot fails or takes longer than `timeout` seconds (None: no limit).
    """
    path = Path(path)
    fmt = format_for(path)
    source = graph.source.encode(graph.encoding or "utf-8")
    try:
        # dot is run here rather than through graph.pipe so that a graph dot lays out
        # slowly (one value used at many depths costs dot quadratic time) cannot hang us;
        # graph.render would also leave the DOT file beside the image.
        done = subprocess.run(
            [graph.engine, f"-T{fmt}"],
            input=source,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise GraphvizNotFound(
            "render: Graphviz's `dot` program was not found on PATH (the Python package "
            "graphviz alone cannot draw). Install Graphviz: Debian/Ubuntu: "
            "`sudo apt-get install graphviz`; macOS: `brew install graphviz`; conda: "
            "`conda install -c conda-forge graphviz`. The DOT text is still available "
            "as graph.source"
        ) from None
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"render: dot did not finish within {timeout:g} s, so it was stopped; the graph "
            "is too big or tangled to lay out: draw a smaller one (or pass a larger timeout)"
        ) from None
    if done.returncode != 0:
        stderr = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        raise RenderError(
            f"render: dot failed with exit status {done.returncode}: {stderr or 'no message'}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(done.stdout)
    return path


def save_graph(
    root: Value,
    path: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: _HasNamedParameters | Iterable[Value] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Path:
    """The path written: `draw_graph(root, ...)` rendered to SVG, PNG or PDF (by suffix)."""
    format_for(path)  # a bad suffix fails before any drawing
    graph = draw_graph(
        root, rankdir=rankdir, show_grad=show_grad, max_nodes=max_nodes, params=params
    )
    return render(graph, path, timeout=timeout)


# ===========================================================================================
# Text
# ===========================================================================================


def _new_digraph(name: str, rankdir: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(name=name)
    graph.attr("graph", rankdir=rankdir, fontname=_FONT)
    graph.attr("node", fontname=_FONT)
    graph.attr("edge", fontname=_FONT)
    return graph


def _number(x: float) -> str:
    """x to 4 significant digits; -0.0 shows as 0."""
    if x == 0.0:
        return "0"
    return f"{x:.4g}"


def _escape(text: str) -> str:
    """text for inside an HTML-like label, shown literally.

    Control characters become visible escapes (a newline shows as \\n). Backslashes are
    doubled because dot still reads \\N, \\G, \\n... inside HTML-like labels; then & < > "
    become entities. { } | need nothing here: they are special only in record labels.
    """
    visible = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return html.escape(visible.replace("\\", "\\\\"), quote=True)


def _html(markup: str) -> str:
    """markup (already escaped) wrapped as an HTML-like label, which graphviz passes as is."""
    return f"<{markup}>"
