"""The explorer: a computation graph you can move, as one self-contained HTML page.

    page = viz.explore(J)            # in Jupyter: shows inline (a widget)
    page.save("out/J.html")          # or: autograd-lite draw "relu(x*w + b)" x=1 ... -o J.html

The page holds the graph as dot lays it out in the house style (graph.py), a slider and a
number box for each leaf (inputs and parameters), and JavaScript that recomputes the
forward and backward passes in the page when one moves: every node's data and grad, every
ReLU gate (open green, closed grey and dashed), every edge's local derivative. That code
is generated from the engine's rules (compiler/jscode.py), so its numbers are the engine's.
A value outside an op's domain shows the engine's own error text, never a NaN on a node.
Play, a step slider and the arrow keys replay the backward pass in `backward_frames`'
order, the current node outlined with its chain-rule product written out; clicking a node
writes ∂root/∂node as the sum of its consumers' terms. No network, no server: the page
opens from disk. Where no JavaScript runs (a saved notebook opened unexecuted) the
notebook shows a picture of the graph instead.
"""

from __future__ import annotations

import functools
import html
import json
import os
from pathlib import Path
from typing import Any

import graphviz

from .. import atomic
from ..compiler.jscode import program
from ..core import engine
from ..core.engine import Value
from ..nn.notation import node_names
from .budget import check_layout_budget
from .display import PortableFigure, import_anywidget
from .graph import (
    GATE_OPS,
    Params,
    check_graph_options,
    computation_digraph,
    graph_legend,
    input_edge,
    parameter_names,
    value_kind,
    value_table,
)
from .rendering import DEFAULT_TIMEOUT, image_bytes
from .style import CLOSED_GATE, CURRENT, FILL_CLOSED, FILL_OP, OPEN_GATE, WRONG, escape, number

__all__ = ["Explorer", "explore"]

_UI = Path(__file__).with_name("explorer.js")
def _digraph(order: list[Value], root: Value, names: dict[Value, str], rankdir: str) -> Any:
    """The house-style graph, every box named, its edges given ids (e{node}_{position})
    the page finds."""
    index = {node: k for k, node in enumerate(order)}
    shown = node_names(order, root, names)

    def value_label(node: Value) -> str:
        grad = f"grad {escape(number(node.grad))}"
        kind = value_kind(node, root, names)
        return value_table(node, kind, names, grad, name=shown[node])

    def edge_attributes(node: Value, position: int, uses: int) -> dict[str, str]:
        return {**input_edge(node, position, uses, True), "id": f"e{index[node]}_{position}"}

    return computation_digraph(order, rankdir=rankdir, value_label=value_label,
                               edge_attributes=edge_attributes,
                               legend_items=graph_legend(order, root, names, True))  # fmt: skip


def _model(order: list[Value], root: Value, param_names: dict[Value, str]) -> dict[str, Any]:
    """What the page's script needs to know of the graph (JSON)."""
    index = {node: k for k, node in enumerate(order)}
    return {
        "names": list(node_names(order, root, param_names).values()),
        "ops": [node.op for node in order],
        "inputs": [[index[x] if isinstance(x, Value) else None for x in node.inputs]
                   for node in order],
        "leaves": [k for k, node in enumerate(order) if not node.edges],
        "kinds": [value_kind(node, root, param_names) for node in order],
        "data": [node.data for node in order],
        "gates": [k for k, node in enumerate(order) if node.op in GATE_OPS],
        "colours": {"current": CURRENT, "open": OPEN_GATE, "closed": CLOSED_GATE,
                    "closed_fill": FILL_CLOSED, "op_fill": FILL_OP, "wrong": WRONG},
    }


class Explorer:
    """The explorer of one graph: `html()` is the page, `save(path)` writes it, and in
    Jupyter it displays inline. Made by `explore(root)`."""

    def __init__(self, root: Value, params: Params, rankdir: str, timeout: float | None) -> None:
        order = engine.topological_order(root)
        param_names = parameter_names(params, "explore")
        self.graph: graphviz.Digraph = _digraph(order, root, param_names, rankdir)
        svg = image_bytes(self.graph, "svg", timeout=timeout).decode("utf-8")
        self.svg = svg[svg.index("<svg"):]
        self.model = _model(order, root, param_names)
        self.script = program(order)
        self._timeout = timeout

    def html(self) -> str:
        """The whole page: the graph, its controls, its data and its code, nothing fetched."""
        data = json.dumps(self.model).replace("</", "<\\/")
        code = (self.script + _UI.read_text("utf-8")).replace("</", "<\\/")
        return _PAGE.format(title=html.escape(self.model["names"][-1]), svg=self.svg,
                            model=data, code=code)  # fmt: skip

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the page to `path` (.html), all or nothing (atomic.write_bytes), making
        its folder if need be, as `render` does."""
        target = check_page_path(path, "explore")
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(target, self.html().encode("utf-8"))
        return target

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """In Jupyter: the page in a widget, with a picture of the graph beside it for
        wherever no widget runs (a saved notebook opened unexecuted)."""
        still = PortableFigure(self.graph, timeout=self._timeout)
        try:
            widget = _widget_class()(page=self.html())
        except ImportError:
            return still._repr_mimebundle_()
        data, metadata = widget._repr_mimebundle_(**kwargs)
        still_data, still_metadata = still._repr_mimebundle_()
        return {**still_data, **data, "text/plain": repr(self)}, {**metadata, **still_metadata}

    def __repr__(self) -> str:
        leaves = len(self.model["leaves"])
        word = "leaf" if leaves == 1 else "leaves"
        return f"Explorer({len(self.model['names'])} values, {leaves} {word})"


def check_page_path(path: object, who: str) -> Path:
    """path as a Path to an .html file we may write, or an error naming it (before
    anything is drawn or written)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: path must be a str or os.PathLike, got {path!r:.60}")
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(
            f"{who}: the page is HTML: give a path ending in .html, got {str(path)!r:.60}"
        )
    atomic.check_target(target)
    return target


def explore(
    root: Value,
    path: str | os.PathLike[str] | None = None,
    *,
    params: Params = None,
    rankdir: str = "TB",
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Explorer:
    """The explorer of the graph below `root` (see the module docstring); with `path`,
    also written there as a page. A graph over the draw budget is refused with its
    one-line message, and a path that is not an .html file we may write, before anything
    is drawn."""
    check_graph_options(root, rankdir, 10**9, "explore")
    if path is not None:
        check_page_path(path, "explore")
    check_layout_budget(root, "explore")
    explorer = Explorer(root, params, rankdir, timeout)
    if path is not None:
        explorer.save(path)
    return explorer


@functools.cache
def _widget_class() -> type:
    """The widget, made on first use (anywidget: the `notebooks` dependency group)."""
    anywidget, traitlets = import_anywidget("explore", "or save the page and open it")

    class ExplorerWidget(anywidget.AnyWidget):  # type: ignore[misc,name-defined]
        _esm = _WIDGET_ESM
        page = traitlets.Unicode("").tag(sync=True)

    return ExplorerWidget


# The widget shows the page in an iframe: its styles and script stay its own.
_WIDGET_ESM = """
function render({ model, el }) {
  const frame = document.createElement("iframe");
  frame.style.width = "100%";
  frame.style.height = "640px";
  frame.style.border = "1px solid #ddd";
  frame.srcdoc = model.get("page");
  el.appendChild(frame);
}
export default { render };
"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title}: autograd-lite explorer</title>
<style>
body {{ font: 14px Helvetica, Arial, sans-serif; margin: 0; color: #222; overflow: hidden; }}
#al-top {{ display: flex; flex-wrap: wrap; gap: 16px; padding: 8px 12px;
  border-bottom: 1px solid #ddd; background: #fafafa; }}
#al-leaves {{ display: grid; grid-template-columns: auto 160px 150px; gap: 4px 8px;
  align-items: center; max-height: 220px; overflow: auto; }}
#al-leaves input[type=number] {{ width: 146px; }}
#al-side {{ flex: 1; min-width: 320px; }}
#al-steps {{ display: flex; gap: 8px; align-items: center; }}
#al-error {{ color: #b91c1c; font-weight: bold; min-height: 1.2em; }}
#al-explain {{ font-family: Menlo, Consolas, monospace; font-size: 13px; white-space: pre-wrap;
  min-height: 2.4em; }}
#al-graph {{ overflow: auto; padding: 8px 8px 0; }}
#al-graph g.node {{ cursor: pointer; }}
</style></head>
<body>
<div id="al-top">
  <div id="al-leaves"></div>
  <div id="al-side">
    <div id="al-steps"><button id="al-play" type="button">play</button>
      <input id="al-step" type="range" min="0" value="0">
      <span id="al-step-text"></span></div>
    <div id="al-error" role="alert"></div>
    <div id="al-explain">Move a slider: every value and gradient follows. Click a node:
its gradient, term by term. Arrow keys: step through backward.</div>
  </div>
</div>
<div id="al-graph">{svg}</div>
<script>
const MODEL = {model};
{code}
</script>
</body></html>
"""
