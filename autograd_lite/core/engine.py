"""The scalar autodiff engine: `Value`, the backward pass, and the table of ops.

Every op computes, in the forward pass, its value and its *local derivatives*
∂out/∂input, and stores both on the new node: `node.inputs` and `node.local_grads`.
The backward pass is then the same few lines for every op (the chain rule):

    for node in reversed(topological_order(root)):
        for input, local in zip(node.inputs, node.local_grads):
            input.grad += local * node.grad

Nodes hold numbers, never functions, so a graph has no reference cycles and is freed
by reference counting the moment you drop it.

Each op is written once, in `OPS`: its value and its local derivatives as Python
expressions, side by side. The methods you call (`x * y` is `Value.__mul__`) are
generated from that table by nary.py (with codegen.py). Grad modes live in modes.py,
input checks in validation.py, the garbage-collector pause in collector.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import islice
from operator import mul
from typing import TYPE_CHECKING, Any, Protocol, Union

from . import modes, tracehook
from .codegen import Domain, Op, rule
from .collector import no_gc
from .validation import real_number

if TYPE_CHECKING:
    from .signatures import ValueOps  # the generated methods' signatures
else:
    ValueOps = object

# An op's input is a Value (it gets a gradient) or a plain float (a constant).
Operand = Union["Value", float]
#: g(z) = slope·z for z ≤ 0: `leaky_relu`'s default slope, and nn's leaky_relu layers'.
LEAKY_SLOPE = 0.01


# micrograd code calls o._backward() (one node's step) or sets it to define an op.
_NO_BACKWARD_CLOSURE = (
    "Value has no _backward: there is no per-node backward here (a node stores its local "
    "derivatives, local_grads, instead of a closure); o.backward() runs the whole pass, "
    "from o down to every leaf; to define an op, build it from the existing ops"
)


class Value(ValueOps):
    """A scalar that remembers how it was made.

    `data` is a finite float. `grad` is ∂root/∂self after `root.backward()`. `op` names
    the op that made it ("" for a leaf), `inputs` are that op's inputs (Values, or
    floats for constants, in order, repeats kept: `a*a` has `a` twice), and
    `local_grads[i]` is ∂self/∂inputs[i], computed in the forward pass. Both live in
    one tuple, `edges` = (*inputs, *local_grads): one tuple, not two, saves 40 bytes.

    The ops (`+ - * / **`, `exp`, `relu`, …, and `< <= > >=`, which compare `data`) are
    generated from OPS by nary.py. `==` and `hash` are identity-based, so Values can key
    dicts and sets. `float(x)` is refused: see `__float__`.
    """

    __slots__ = ("__weakref__", "data", "edges", "grad", "label", "op")

    data: float
    grad: float
    label: str | None
    op: str
    edges: tuple[Any, ...]

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

    @property
    def _backward(self) -> None:
        """micrograd's per-node closure, which this engine does not have: AttributeError
        saying so, and what to call instead."""
        raise AttributeError(_NO_BACKWARD_CLOSURE)

    @_backward.setter
    def _backward(self, function: object) -> None:
        raise AttributeError(_NO_BACKWARD_CLOSURE)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def item(self) -> float:
        """The number: `data`, as PyTorch's `tensor.item()`."""
        return self.data

    def __float__(self) -> float:
        # math.exp(x) would call this and quietly cut x out of the graph.
        raise TypeError(
            "a Value is not converted to float implicitly, so math.exp(x) and friends would "
            "drop the graph: use x.exp() (or x.log(), x.sqrt(), x.tanh(), x.sigmoid(), "
            "x.relu(), abs(x)) for a differentiable result, or x.data (or x.item()) for the "
            f"number {self.data!r}"
        )

    def __pos__(self) -> Value:
        return self

    def detach(self) -> Value:
        """A new leaf with the same data and label, and no history."""
        copy = Value(self.data, self.label)
        if tracehook.tracing:  # al.compile replays the copy as a value with no gradient
            tracehook.detached(self, copy)
        return copy

    def backward(self, gradient: float = 1.0) -> None:
        """Set `grad` = gradient · ∂self/∂node on every node of the graph below self.

        Interior nodes (made by an op, even from constants only) are recomputed from
        scratch on every call. Leaves (the Values you create: inputs and parameters)
        *accumulate*, as in PyTorch, so two calls give twice the leaf gradient: zero
        them between steps (`model.zero_grad()`, or `x.grad = 0.0`).
        """
        seed = real_number(gradient, "backward gradient")
        mode = modes.current()
        checked = mode is not modes.DEFAULT and mode.setting("anomaly")
        with no_gc():  # see collector.py: the sort's allocations set the collector off
            order = topological_order(self)
            for node in order:
                if node.edges:
                    node.grad = 0.0
            if self.edges:
                self.grad = seed
            else:
                self.grad += seed
            propagate(order, checked)


# ==========================================================================================
# The ops, each written once: its value and its local derivatives ∂out/∂input, as Python
# expressions in the inputs x, y and the result out. They use arithmetic, comparisons with
# < and > (a Value's == is identity), and the helpers exp, log, sqrt, tanh, power (IEEE
# pow), zero (the number 0) and signed_inf, so the derivatives run on floats for
# backward() and on Values for grad(grad(f)). A Domain is a condition on the inputs.
# ==========================================================================================

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


def _dot(*args: float) -> float:
    # args = (w₁…wₙ, x₁…xₙ) or (w₁…wₙ, x₁…xₙ, b)
    n = len(args) // 2
    z: float = sum(map(mul, args[:n], args[n : 2 * n]), 0.0)
    return z + args[-1] if len(args) % 2 else z


def _d_dot(out: Any, *args: Any) -> tuple[Any, ...]:
    # ∂z/∂wₖ = xₖ, ∂z/∂xₖ = wₖ, ∂z/∂b = 1
    n = len(args) // 2
    return (*args[n : 2 * n], *args[:n], *(1.0,) * (len(args) % 2))


#: Each primitive: its value and its local derivatives, side by side.
OPS: dict[str, Op] = {
    "+":          rule("x + y", "1.0", "1.0"),
    "-":          rule("x - y", "1.0", "-1.0"),
    "*":          rule("x * y", "y", "x"),
    "/":          rule("x / y", "1.0 / y", "-out / y", domain=(_NON_ZERO,)),
    # The slope of x⁰ is 0, even where x⁻¹ overflows (x = 5e-324).
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
    "leaky_relu": rule("x if x > 0.0 else slope * x", "1.0 if x > 0.0 else slope",
                       "0.0 if x > 0.0 else x", names=("x", "slope")),
    "abs":        rule("abs(x)", "1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0"),
    # n-ary: one node however many inputs, so a sum of 100,000 terms is not that deep
    "sum":        Op(lambda *xs: sum(xs, 0.0), lambda out, *xs: (1.0,) * len(xs)),
    "dot":        Op(_dot, _d_dot),  # z = Σₖ wₖxₖ + b: a neuron
}  # fmt: skip


# === The backward pass =====================================================================


def topological_order(root: Value) -> list[Value]:
    """Every Value below root, each after all of its inputs; root last.

    An iterative depth-first search (no recursion, so a chain of a million nodes is
    fine) that visits inputs in order, so the same graph gives the same order.
    """
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


class Node(Protocol):
    """What `propagate` needs of a node: a Value, or functional.py's gradient nodes."""

    grad: Any
    edges: tuple[Any, ...]


def propagate(order: Sequence[Node], checked: bool = False) -> None:
    """The chain rule, from the last node of `order` back: each node adds
    local · upstream to each of its inputs' `grad`.

    The zero rule: a zero upstream gradient sends nothing, and neither does a zero local
    derivative, so 0 · inf counts as 0, never NaN: a closed ReLU gate stops the
    gradient, whatever comes from above. `checked` (detect_anomaly) raises at the first
    non-finite gradient, before storing it. Grads that are Values (functional.py's
    gradient graphs) go through the same loop.
    """
    for node in reversed(order):
        grad = node.grad
        if grad.__class__ is float:
            if grad == 0.0:
                continue  # nothing to send: the nodes behind every closed ReLU gate
            if not checked and grad - grad == 0.0:  # a finite number: the fast loop
                edges = node.edges  # (*inputs, *local_grads)
                if len(edges) == 2:  # one input (relu, exp, …: half the nodes of a network)
                    x = edges[0]
                    if x.__class__ is not float:
                        x.grad += edges[1] * grad
                    continue
                for x, local in zip(edges, islice(edges, len(edges) >> 1, None)):
                    if x.__class__ is not float:  # constants take no gradient
                        x.grad += local * grad
                continue
        _propagate_carefully(node, grad, checked)


def _propagate_carefully(node: Node, grad: Any, checked: bool) -> None:
    """`propagate` for one node with a non-finite or Value upstream gradient, or under
    detect_anomaly: zero local derivatives are skipped, and sums are checked."""
    edges = node.edges
    for position, (x, local) in enumerate(zip(edges, islice(edges, len(edges) >> 1, None))):
        if x.__class__ is float or (local.__class__ is float and local == 0.0):
            continue
        term = local * grad
        old = x.grad
        # In a gradient graph (Values), the first term is kept as it is: 0.0 + term would
        # be a node that computes nothing.
        first = term.__class__ is not float and old.__class__ is float and old == 0.0
        new_grad = term if first else old + term
        if checked and not math.isfinite(new_grad):
            # Check the sum, not just the term: finite terms can add up to inf. The bad
            # value is not stored, so the gradients show where backward stopped.
            raise FloatingPointError(
                f"backward of {getattr(node, 'op', '?')} (made at {modes.creation_site(node)}) "
                f"makes a non-finite gradient {new_grad!r} for its input {position}: local "
                f"derivative {local!r} × upstream gradient {grad!r}"
            )
        x.grad = new_grad
