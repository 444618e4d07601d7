"""The scalar autodiff engine: `Value`, the table of ops, and the backward pass.

Every op computes, in the forward pass, its value and its *local derivatives* ∂out/∂input,
and stores both on the new node: `node.inputs` and `node.local_grads`. The backward pass
is then the chain rule, the same three lines for every op: `propagate_simply`. Nodes hold
numbers, never functions, so a graph has no reference cycles and is freed at once.

Each op is written once, in `RULES`: its value and its local derivatives as Python
expressions, side by side. The methods you call (`x * y` is `Value.__mul__`) and the
functions in `OPS` are generated from it into _ops_generated.py (`make regen` runs
codegen.py), whose `ValueOps` Value inherits. nary.py makes the nodes (`apply`, `node`)
and the n-ary ops; modes.py holds the grad modes, validation.py the input checks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import islice
from operator import add, mul
from typing import Any, Union

from . import _ops_generated as generated
from . import modes, tracehook
from .collector import no_gc
from .rules import Domain, Op, Rule, rule
from .validation import real_number

Operand = Union["Value", float]  # an op's input: a Value (it gets a gradient), or a constant
#: g(z) = negative_slope·z for z ≤ 0: `leaky_relu`'s default, and nn's leaky_relu layers'.
NEGATIVE_SLOPE = 0.01


def micrograd_has_no_backward(*_: object) -> None:
    """micrograd's `o._backward`, which a node here has not: it says so, and what to call."""
    raise AttributeError("Value has no _backward: there is no per-node backward here (a "
                         "node keeps local_grads); o.backward() runs the whole pass, o to leaves")


class Value(generated.ValueOps):
    """A scalar that remembers how it was made.

    `data` is a finite float. `grad` is ∂root/∂self after `root.backward()`. `op` names
    the op that made it ("" for a leaf), `inputs` are that op's inputs (Values, or floats
    for constants, in order, repeats kept: `a*a` has `a` twice), and `local_grads[i]` is
    ∂self/∂inputs[i], computed in the forward pass, both in one tuple (40 bytes less than
    two), `edges` = (*inputs, *local_grads). The ops (`+ - * / **`, `exp`, `relu`, …, and
    `< <= > >=` on `data`) come from `ValueOps`, generated from RULES. `==` and `hash`
    are identity, so Values can key dicts and sets."""

    __slots__ = ("__weakref__", "data", "edges", "grad", "label", "op")

    edges: tuple[Any, ...]  # the others' types are their __init__'s

    def __init__(self, data: float, label: str | None = None) -> None:
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Value label must be a str or None, got {type(label).__name__}")
        self.data = real_number(data, "Value")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.edges = ()

    @property
    def inputs(self) -> tuple[Operand, ...]:
        return self.edges[: len(self.edges) // 2]

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂input for each input. Settable: break a derivative on purpose and watch
        `gradcheck` catch it."""
        return self.edges[len(self.edges) // 2 :]

    @local_grads.setter
    def local_grads(self, values: Sequence[float]) -> None:
        if len(values) != len(self.inputs):
            raise ValueError(f"local_grads needs {len(self.inputs)} numbers, got {len(values)}")
        self.edges = (*self.inputs, *values)

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Value inputs, in order, repeats kept (constants left out)."""
        return tuple(x for x in self.inputs if isinstance(x, Value))

    _prev = property(lambda self: set(self.parents), doc="micrograd's name: the parents")
    _op = property(lambda self: self.op, doc="micrograd's name for op")
    _backward = property(micrograd_has_no_backward, micrograd_has_no_backward)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def item(self) -> float:  # PyTorch's tensor.item(): the number
        return self.data

    def __float__(self) -> float:
        # math.exp(x) would call this and quietly cut x out of the graph.
        raise TypeError(
            "a Value is not converted to float implicitly, so math.exp(x) and friends would "
            "drop the graph: use x.exp() (or x.log(), x.sqrt(), x.tanh(), x.sigmoid(), "
            "x.relu(), abs(x)) for a differentiable result, or x.data (or x.item()) for the "
            f"number {self.data!r}"
        )

    def __pos__(self) -> Value:  # +x is x: no node
        return self

    def detach(self) -> Value:
        """A new leaf with the same data and label, and no history."""
        copy = Value(self.data, self.label)
        if tracehook.tracing:  # al.compile replays the copy as a value with no gradient
            tracehook.detached(self, copy)
        return copy

    def backward(self, gradient: float = 1.0) -> None:
        """Set `grad` = gradient · ∂self/∂node on every node of the graph below self.
        Interior nodes (made by an op, even from constants only) are recomputed on every
        call. Leaves (the Values you create: inputs and parameters) *accumulate*, as in
        PyTorch: zero them between steps (`model.zero_grad()`, or `x.grad = 0.0`)."""
        seed = real_number(gradient, "backward gradient")
        checked = (mode := modes.current()) is not modes.DEFAULT and mode.setting("anomaly")
        with no_gc():  # the sort's allocations would set the collector off, to find nothing
            order = topological_order(self)
            for node in order:
                if node.edges:
                    node.grad = 0.0
            self.grad = seed if self.edges else self.grad + seed  # a leaf accumulates
            propagate(order, checked)


# === The ops, each written once: value and local derivatives ∂out/∂input side by side, in the
# inputs x, y and the result out (rules.py: what they may use); Domains guard the inputs. ====

_POSITIVE = Domain("x > 0.0", ValueError, "log needs a positive input, got {x!r}")
_NON_NEGATIVE = Domain("x >= 0.0", ValueError, "sqrt needs a non-negative input, got {x!r}")
_NON_ZERO = Domain("y > 0.0 or y < 0.0", ZeroDivisionError, "/ divides by zero: {x!r} / {y!r}")
_POWER_DOMAIN = (
    Domain("x >= 0.0 or float(y).is_integer()", ValueError,
           "** of a negative base to a non-integer power is not real: {x!r} ** {y!r}"),
    Domain("x > 0.0 or x < 0.0 or y >= 0.0", ZeroDivisionError,
           "** of zero to a negative power: {x!r} ** {y!r}"),
    # ∂(xʸ)/∂y = xʸ·log x is not real for x < 0, so a Value exponent needs x ≥ 0.
    Domain("x >= 0.0 or b.__class__ is float", ValueError,
           "** with a Value exponent needs a non-negative base, got {x!r} ** {y!r}; "
           "use a number exponent for a negative base"),
)  # fmt: skip

#: Each primitive: its value and its local derivatives, side by side.
RULES: dict[str, Rule] = {
    "+":          rule("x + y", "1.0", "1.0"),
    "-":          rule("x - y", "1.0", "-1.0"),
    "*":          rule("x * y", "y", "x"),
    "/":          rule("x / y", "1.0 / y", "-out / y", domain=(_NON_ZERO,)),
    # ∂(x⁰)/∂x is 0, even where x⁻¹ overflows (x = 5e-324).
    "**":         rule("power(x, y)", "0.0 if zero(y) else y * power(x, y - 1.0)",
                       "out * log(x) if x > 0.0 else 0.0", domain=_POWER_DOMAIN),
    "neg":        rule("-x", "-1.0"),
    "exp":        rule("exp(x)", "out"),
    "log":        rule("log(x)", "1.0 / x", domain=(_POSITIVE,)),
    # 1/(2·√x), and ±inf at ±0 as 1/±0 is in IEEE arithmetic
    "sqrt":       rule("sqrt(x)", "0.5 / out if out > 0.0 else signed_inf(out)",
                       domain=(_NON_NEGATIVE,)),
    "tanh":       rule("tanh(x)", "1.0 - out * out"),
    "sigmoid":    rule("1.0 / (1.0 + exp(-x)) if x >= 0.0 else exp(x) / (1.0 + exp(x))",
                       "out * (1.0 - out)"),  # two forms, so exp never overflows
    "relu":       rule("x if x > 0.0 else 0.0", "1.0 if x > 0.0 else 0.0"),  # the 0/1 gate
    "leaky_relu": rule("x if x > 0.0 else negative_slope * x",
                       "1.0 if x > 0.0 else negative_slope", "0.0 if x > 0.0 else x",
                       names=("x", "negative_slope")),
    "abs":        rule("abs(x)", "1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0"),
}  # fmt: skip

generated.check(RULES, NEGATIVE_SLOPE)  # the generated code is RULES' own, or "run make regen"


# The n-ary ops: one node however many inputs, so a sum of 100,000 terms is not deep. dot's
# math is written once, here: nary.affine runs it on numbers, al.compile on code.


def dot_value(ws: Sequence[Any], xs: Sequence[Any], b: Any = None, total: Any = sum,
              times: Any = mul, plus: Any = add) -> Any:  # fmt: skip
    """z = Σₖ wₖ·xₖ (+ b), added left to right from 0.0: the pre-activation of a neuron."""
    z = total(map(times, ws, xs), 0.0)
    return z if b is None else plus(z, b)


def dot_edges(ws: Sequence[Any], xs: Sequence[Any], b: Any, w: Any, x: Any) -> tuple[Any, ...]:
    """A dot node's edges: inputs ws, xs (b), then ∂z/∂wₖ = xₖ, ∂z/∂xₖ = wₖ (∂z/∂b = 1)."""
    return (*ws, *xs, *x, *w) if b is None else (*ws, *xs, b, *x, *w, 1.0)


def dot_inputs(inputs: Sequence[Any]) -> tuple[Sequence[Any], Sequence[Any], Any]:
    """dot's inputs (w₁…wₙ, x₁…xₙ) or (w₁…wₙ, x₁…xₙ, b) as ws, xs and b (or None)."""
    n = len(inputs) // 2
    return inputs[:n], inputs[n : 2 * n], inputs[-1] if len(inputs) % 2 else None


def dot_local_grads(inputs: Sequence[Any]) -> tuple[Any, ...]:
    """∂z/∂input for each of dot's inputs (numbers, or code: al.compile's)."""
    ws, xs, b = dot_inputs(inputs)
    return dot_edges((), (), b, ws, xs)[0 if b is None else 1 :]  # the edges of b alone, less b


#: Each op as the engine runs it: the functions generated from RULES, and the n-ary ops.
OPS: dict[str, Op] = {
    **generated.OPS,
    "sum": Op(lambda *xs: sum(xs, 0.0), lambda out, *xs: (1.0,) * len(xs)),
    "dot": Op(lambda *inputs: dot_value(*dot_inputs(inputs)),
              lambda out, *inputs: dot_local_grads(inputs)),
}  # fmt: skip


# === The backward pass =====================================================================


def topological_order(root: Value) -> list[Value]:
    """Every Value below root, each after its inputs, root last: a depth-first search without
    recursion (a chain of a million nodes is fine), inputs in order (one graph, one order)."""
    order: list[Value] = []
    seen = {root}
    path = [root]  # the nodes being visited, and the inputs each has still to visit
    pending = [iter(root.inputs)]
    while path:
        for x in pending[-1]:
            if x.__class__ is not float and x not in seen:
                seen.add(x)  # type: ignore[arg-type]  # not a float: a Value
                edges = x.edges  # type: ignore[union-attr]
                if not edges:
                    order.append(x)  # type: ignore[arg-type]  # a leaf: done at once
                    continue
                path.append(x)  # type: ignore[arg-type]
                pending.append(iter(edges[: len(edges) >> 1]))  # x.inputs, without the call
                break
        else:
            pending.pop()
            order.append(path.pop())
    return order


def propagate_simply(order: Sequence[Value]) -> None:
    """The chain rule as a learner writes it: from the root (last in `order`) back, each node
    adds local · upstream to each input's grad. `propagate` makes the same sums, faster."""
    for node in reversed(order):
        for x, local in zip(node.inputs, node.local_grads):
            if isinstance(x, Value):  # a constant (a float among the inputs) takes none
                x.grad += local * node.grad


def propagate(order: Sequence[Any], checked: bool = False) -> None:
    """`propagate_simply`, fast: the same sums in the same order, to the last bit, for
    finite floats; other grads go to `_propagate_carefully`. Nodes are Values or anything
    with `grad` and `edges`. The zero rule: a zero upstream gradient sends nothing, nor
    does a zero local derivative (0 · inf counts as 0: a closed ReLU gate stops it).
    `checked` (detect_anomaly) raises at the first non-finite gradient, before storing it."""
    for node in reversed(order):
        grad = node.grad
        if grad.__class__ is float:
            if grad == 0.0:
                continue  # nothing to send: the nodes behind every closed ReLU gate
            if not checked and grad - grad == 0.0:  # a finite number: the fast loop
                edges = node.edges  # (*inputs, *local_grads)
                if len(edges) == 2:  # one input (relu, exp, …: half the nodes of a network)
                    x, local = edges
                    if x.__class__ is not float:
                        x.grad += local * grad
                    continue
                if len(edges) == 4:  # two inputs (+, *, …): unpacked, without zip's cost
                    x, y, local, local_y = edges
                    if x.__class__ is not float:
                        x.grad += local * grad
                    if y.__class__ is not float:
                        y.grad += local_y * grad
                    continue
                for x, local in zip(edges, islice(edges, len(edges) >> 1, None)):
                    if x.__class__ is not float:  # constants take no gradient
                        x.grad += local * grad
                continue
        _propagate_carefully(node, grad, checked)


def _propagate_carefully(node: Any, grad: Any, checked: bool) -> None:
    """`propagate` for a non-finite or Value gradient, or under detect_anomaly."""
    edges = node.edges
    for position, (x, local) in enumerate(zip(edges, islice(edges, len(edges) >> 1, None))):
        if x.__class__ is float or (local.__class__ is float and local == 0.0):
            continue
        term = local * grad
        old = x.grad
        first = term.__class__ is not float and old.__class__ is float and old == 0.0
        new_grad = term if first else old + term  # a Value term kept: 0.0 + term is a node
        if checked and not math.isfinite(new_grad):
            # Check the sum, not just the term: finite terms can add up to inf. The bad
            # value is not stored, so the gradients show where backward stopped.
            raise FloatingPointError(
                f"backward of {getattr(node, 'op', '?')} (made at {modes.creation_site(node)}) "
                f"makes a non-finite gradient {new_grad!r} for its input {position}: local "
                f"derivative {local!r} × upstream gradient {grad!r}"
            )
        x.grad = new_grad
