"""The misconception lab: run a wrong backward pass beside the engine's, and see where and
why it goes wrong.

    from autograd_lite import lab
    out = lab.VARIANTS["recursive_no_sort"].smallest_graph()   # a diamond
    result = lab.compare(out, "recursive_no_sort")
    print(result)             # every node where they differ, with both gradients
    result.first_divergence   # (frame, node, name, sentence): where it first goes wrong
    result.draw()             # the graph, those nodes outlined in red
    result.player()           # the backward pass, opened at that frame, with the sentence

The variants (variants.py) are functions of a root that return their own dict of
gradients: they read the graph and write nothing into it. The engine's side is the
engine's own `backward()`, run on a copy of the graph, so the Values you pass keep their
`grad` (and no mode, op or rule of the engine is touched). A variant about calling
backward twice is compared with the engine called twice (`Variant.story`).

Only `draw`, `frames` and `player` need graphviz; they import viz when called.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.engine import Value, topological_order
from ..nn.notation import node_names
from .variants import (
    ENGINE_STORIES,
    VARIANTS,
    Gradients,
    Scene,
    Variant,
    assign_not_accumulate,
    custom_variant,
    double_count_second_backward,
    forgot_local_derivative,
    no_zero_grad,
    num,
    recursive_no_sort,
    relu_grad_at_zero_is_one,
)

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "MAX_NODES",
    "VARIANTS",
    "Comparison",
    "Difference",
    "Divergence",
    "Variant",
    "assign_not_accumulate",
    "compare",
    "copy_graph",
    "double_count_second_backward",
    "engine_gradients",
    "forgot_local_derivative",
    "no_zero_grad",
    "recursive_no_sort",
    "relu_grad_at_zero_is_one",
]

#: compare refuses bigger graphs: the lab is for graphs a person reads node by node.
MAX_NODES = 2000
#: Gradients closer than this (relative, or absolute near 0) count as the same: a
#: variant that adds the same terms in another order may differ in the last bits.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Difference:
    """One node where the variant's gradient is not the engine's."""

    node: Value
    name: str
    engine: float
    variant: float


@dataclass(frozen=True)
class Divergence:
    """Where the variant first goes wrong, in the order backward() visits the nodes:
    `frame` indexes `viz.backward_frames(root)` (0 is the root's frame), `node` is the
    node that frame is at, `name` its name there, and `sentence` says why it is wrong."""

    frame: int
    node: Value
    name: str
    sentence: str


@dataclass(frozen=True, repr=False)
class Comparison:
    """What `compare` found: `differences` (in the order backward() visits the nodes) and
    `first_divergence` (None when the variant gets every gradient right here), with both
    full results, `engine` and `wrong`, and every node's `names`. Print it for the table."""

    variant: Variant
    root: Value
    differences: tuple[Difference, ...]
    first_divergence: Divergence | None
    engine: Gradients
    wrong: Gradients
    names: dict[Value, str]
    params: Any = None

    def __str__(self) -> str:
        story = self.story()
        head = (
            f"compare({self.names[self.root]}, {self.variant.name}), against the engine's "
            f"{story}: "
        )
        first = self.first_divergence
        if first is None:
            return head + f"no node differs; on this graph {self.variant.name} is right."
        rows = [("node", "engine", self.variant.name)] + [
            (d.name, *_pair(d.engine, d.variant)) for d in self.differences
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        table = [
            f"  {a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows
        ]
        frames = len(self.names)
        return "\n".join(
            [
                head + f"{len(self.differences)} of {frames} nodes "
                + ("differs" if len(self.differences) == 1 else "differ"),
                *table,
                f"first wrong at {first.name}, step {first.frame + 1} of {frames} of the "
                f"backward pass: {first.sentence}",
            ]
        )

    __repr__ = __str__

    def story(self) -> str:
        """What the engine ran: 'J.backward()', 'J.backward() twice', …"""
        return ENGINE_STORIES[self.variant.story][2].format(root=self.names[self.root])

    def draw(self, *, rankdir: str = "TB") -> graphviz.Digraph:
        """The graph, every box with the engine's grad; the nodes where the variant
        differs are outlined in red, with the variant's grad under the engine's."""
        from ..viz import graph, style  # graphviz is loaded only to draw

        order = topological_order(self.root)
        param_names = graph.parameter_names(self.params, "Comparison.draw")
        wrong = {d.node: d for d in self.differences}

        def value_label(node: Value) -> str:
            kind = graph.value_kind(node, self.root, param_names)
            cell = f"grad {style.escape(num(self.engine[node]))}"
            d = wrong.get(node)
            if d is None:
                return graph.value_table(node, kind, param_names, cell, name=self.names[node])
            note = style.escape(f"{self.variant.name}: {num(d.variant)}")
            return graph.value_table(
                node, kind, param_names, cell, name=self.names[node],
                extra_row=f'<font color="{style.WRONG}"><b>{note}</b></font>',
                outline=(3, style.WRONG),
            )  # fmt: skip

        story = self.story()
        legend = [
            *graph.graph_legend(order, self.root, param_names, show_grad=True),
            (
                style.line_swatch(style.WRONG),
                f"{self.variant.name} gets this grad wrong (its value in red); "
                f"grad: the engine's, after {story}",
            ),
        ]
        return graph.computation_digraph(
            order,
            rankdir=rankdir,
            value_label=value_label,
            edge_attributes=lambda node, position, uses: graph.input_edge(
                node, position, uses, show_grad=True
            ),
            legend_items=legend,
        )

    def frames(self) -> list[graphviz.Digraph]:
        """`viz.backward_frames(root)`: the engine's backward pass, node by node; frame
        `first_divergence.frame` is at the first node the variant gets wrong."""
        from .. import viz

        return list(viz.backward_frames(self.root, params=self.params))

    def caption(self) -> str:
        """The player's sentence: where the variant first goes wrong, and why."""
        first = self.first_divergence
        if first is None:
            return f"{self.variant.name} gets every gradient of this graph right."
        return (
            f"Step {first.frame + 1}, {first.name}, is where {self.variant.name} first goes "
            f"wrong: {first.sentence}"
        )

    def player(self, *, interval_ms: int = 1000) -> Any:
        """`viz.frame_player` over the frames, opened at the first divergence, with
        `caption()` above it (needs anywidget)."""
        from .. import viz

        start = 0 if self.first_divergence is None else self.first_divergence.frame
        return viz.frame_player(
            self.frames(), interval_ms=interval_ms, start=start, caption=self.caption()
        )


def compare(
    root: Value,
    variant: str | Variant | Callable[[Value], Mapping[Value, float]],
    *,
    params: Any = None,
) -> Comparison:
    """The variant's gradients beside the engine's, for the graph below root.

    `variant` is a name in VARIANTS, a Variant, one of this module's variant functions,
    or a backward of your own: a function of the root that returns {node: gradient}
    (nodes left out count as 0), compared with one engine `backward()`. `params` (a
    Module or Values) only colours the pictures and names unlabelled parameters.

    Neither side writes into root's graph. TypeError / ValueError for a root that is not
    a Value made by an op, a graph over MAX_NODES nodes or with a non-finite local
    derivative, an unknown variant, or a variant that returns something else.
    """
    chosen = _variant(variant)
    order = _checked_order(root)
    names = node_names(order, root, _parameter_names(params))
    engine = engine_gradients(root, order, chosen.story)
    wrong = _run(chosen, root, order)
    differences = tuple(
        Difference(node, names[node], engine[node], wrong[node])
        for node in reversed(order)
        if not _same(engine[node], wrong[node])
    )
    first = None
    if differences:
        node = differences[0].node
        scene = Scene(root, order, node, engine, wrong, names)
        frame = len(order) - 1 - order.index(node)  # frames run from the root back
        first = Divergence(frame, node, names[node], chosen.explain(scene))
    return Comparison(chosen, root, differences, first, engine, wrong, names, params)


def copy_graph(order: list[Value]) -> dict[Value, Value]:
    """{node: its copy}: new Values with the same data, labels, ops and stored local
    derivatives, wired the same way, with grad 0. `order` is topological."""
    copies: dict[Value, Value] = {}
    for node in order:
        copy = Value(node.data, node.label)
        if node.edges:
            # The node's own local derivatives (even ones edited by hand), so that the
            # copy's backward() computes exactly what the original's would.
            copy.op = node.op
            inputs = (copies[x] if isinstance(x, Value) else x for x in node.inputs)
            copy.edges = (*inputs, *node.local_grads)
        copies[node] = copy
    return copies


def engine_gradients(root: Value, order: list[Value], story: str) -> Gradients:
    """{node: grad} after the engine's own backward() runs the story (ENGINE_STORIES) on
    a fresh copy of the graph: the original Values are not touched."""
    calls, zero_between, _ = ENGINE_STORIES[story]
    copies = copy_graph(order)
    for call in range(calls):
        if call and zero_between:
            for copy in copies.values():
                if not copy.edges:
                    copy.grad = 0.0  # zero_grad(): the leaves
        copies[root].backward()
    return {node: copies[node].grad for node in order}


def _variant(variant: object) -> Variant:
    if isinstance(variant, Variant):
        return variant
    if isinstance(variant, str):
        if variant not in VARIANTS:
            raise ValueError(
                f"compare: no variant {variant!r:.60}; the lab has {', '.join(VARIANTS)}"
            )
        return VARIANTS[variant]
    if callable(variant):
        for known in VARIANTS.values():
            if known.backward is variant:
                return known
        return custom_variant(variant)
    raise TypeError(
        "compare: variant must be a name in lab.VARIANTS, a Variant or a function of the "
        f"root, got {type(variant).__name__} {variant!r:.60}"
    )


def _checked_order(root: object) -> list[Value]:
    if not isinstance(root, Value):
        raise TypeError(f"compare needs a Value as root, got {type(root).__name__} {root!r:.60}")
    if not root.edges:
        raise ValueError(
            f"compare needs a root made by an op, got the leaf {root!r:.60}: a leaf has no "
            "backward pass to get wrong"
        )
    order = topological_order(root)
    if len(order) > MAX_NODES:
        raise ValueError(
            f"compare: the graph has {len(order):,} nodes, above MAX_NODES = {MAX_NODES:,}; "
            "compare a smaller graph"
        )
    for node in order:
        bad = [g for g in node.local_grads if not math.isfinite(g)]
        if bad:
            raise ValueError(
                f"compare: the {node.op} node {node!r:.60} has the local derivative {bad[0]!r}; "
                "the lab's variants multiply it out where the engine's zero rule skips it, "
                "so they would differ for that reason alone"
            )
    return order


def _parameter_names(params: object) -> dict[Value, str]:
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        pairs = list(params.named_parameters())
    elif isinstance(params, Iterable) and not isinstance(params, (str, bytes, Value)):
        pairs = [("", p) for p in params]
    else:
        raise TypeError(
            "compare: params must be None, a Module or Values, "
            f"got {type(params).__name__} {params!r:.60}"
        )
    return {p: name for name, p in pairs if isinstance(p, Value)}


def _run(variant: Variant, root: Value, order: list[Value]) -> Gradients:
    """{node: the variant's gradient} for every node of order (0 where it gave none)."""
    try:
        grads = variant.backward(root)
    except RecursionError:
        raise ValueError(
            f"compare: {variant.name} recursed past Python's limit of "
            f"{sys.getrecursionlimit()} calls on this graph of {len(order):,} nodes; the "
            "engine's backward() sorts without recursion for that reason"
        ) from None
    if not isinstance(grads, Mapping):
        raise TypeError(
            f"compare: {variant.name} must return a dict {{node: gradient}}, "
            f"got {type(grads).__name__} {grads!r:.60}"
        )
    result: Gradients = {}
    for node in order:
        g = grads.get(node, 0.0)
        if isinstance(g, bool) or not isinstance(g, numbers.Real):
            raise TypeError(
                f"compare: {variant.name} gave {node!r:.60} the gradient "
                f"{type(g).__name__} {g!r:.60}, not a number"
            )
        result[node] = float(g)
    return result


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(
        a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE * 1e-3
    )


def _pair(a: float, b: float) -> tuple[str, str]:
    """a and b with 4 significant digits, or as many more as it takes to tell them apart."""
    for digits in (4, 6, 9, 12):
        shown = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return repr(a), repr(b)
