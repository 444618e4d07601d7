"""The scalar autodiff engine: `Value`, the backward pass, and the table of ops.

Every op computes, in the forward pass, its value and its *local derivatives*
∂out/∂input, and stores both on the new node: `node.inputs` and `node.local_grads`.
The backward pass is then the same few lines for every op (the chain rule):

    for node in reversed(topological_order(root)):
        for input, local in zip(node.inputs, node.local_grads):
            input.grad += local * node.grad

Nodes hold numbers, never functions, so a graph has no reference cycles and is freed
by reference counting the moment you drop it.

Each op is written once, in `OPS` below: its value and its local derivatives as Python
expressions, side by side. `fastpaths.py` turns each row into the Value method you
call (`x * y` runs `Value.__mul__`, generated from the "*" row).

Where the rest lives: grad modes and anomaly sites in `modes.py`, input checks in
`validation.py`, the garbage-collector pause in `collector.py`, and the generated
methods in `fastpaths.py`. All of them sit below this module; nothing here imports
anything above it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from operator import mul
from typing import TYPE_CHECKING, Any, Protocol, Union

from . import modes
from .collector import no_gc
from .fastpaths import Domain, Op, methods, rule
from .validation import real_number

# An op's input is a Value (it gets a gradient) or a plain float (a constant).
Operand = Union["Value", float]
#: g(z) = slope·z for z ≤ 0: `leaky_relu`'s default slope, and nn's leaky_relu layers'.
LEAKY_SLOPE = 0.01


class Value:
    """A scalar that remembers how it was made.

    `data` is a finite float. `grad` is ∂root/∂self after `root.backward()`. `op` names
    the op that made it ("" for a leaf), `inputs` are that op's inputs (Values, or
    floats for constants, in order, repeats kept: `a*a` has `a` twice), and
    `local_grads[i]` is ∂self/∂inputs[i], computed in the forward pass.

    Both live in one tuple, `edges` = (*inputs, *local_grads): one tuple instead of two
    saves 40 bytes a node.

    `==` and `hash` are identity-based, so Values can key dicts and sets;
    `< <= > >=` compare `data`. `float(x)` is refused: see `__float__`.
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
        """The op's inputs, in order, repeats kept (`a*a` has `a` twice)."""
        return self.edges[: len(self.edges) // 2]

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂input for each of `inputs`. Settable, to break a derivative on purpose
        and watch `gradcheck` catch it."""
        return self.edges[len(self.edges) // 2 :]

    @local_grads.setter
    def local_grads(self, values: Sequence[float]) -> None:
        inputs = self.inputs
        if len(values) != len(inputs):
            raise ValueError(
                f"local_grads needs one number per input ({len(inputs)}), got {len(values)}"
            )
        self.edges = (*inputs, *values)

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Value inputs, in order, repeats kept (constants left out)."""
        return tuple(x for x in self.inputs if isinstance(x, Value))

    # micrograd's names, so its code and drawings run unchanged (see micrograd.py)
    @property
    def _prev(self) -> set[Value]:
        return set(self.parents)

    @property
    def _op(self) -> str:
        return self.op

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

    # --- comparisons look at data; == and hash stay identity-based ------------------------

    def __lt__(self, other: Operand) -> bool:
        return self.data < _number(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self.data <= _number(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self.data > _number(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _number(other, ">=")

    # --- history ---------------------------------------------------------------------------

    def detach(self) -> Value:
        """A new leaf with the same data and label, and no history."""
        return Value(self.data, self.label)

    def backward(self, gradient: float = 1.0) -> None:
        """Set `grad` = gradient · ∂self/∂node on every node of the graph below self.

        Interior nodes (made by an op, even from constants only) are recomputed from
        scratch on every call. Leaves (the Values you create: inputs and parameters)
        *accumulate*, as in PyTorch, so two calls give twice the leaf gradient: zero
        them between steps (`model.zero_grad()`, or `x.grad = 0.0`).
        """
        seed = real_number(gradient, "backward gradient")
        checked = _anomaly_mode()
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

    if TYPE_CHECKING:  # generated from OPS by fastpaths.py, see `_METHODS` below
        def __add__(self, other: Operand) -> Value: ...
        def __radd__(self, other: float) -> Value: ...
        def __sub__(self, other: Operand) -> Value: ...
        def __rsub__(self, other: float) -> Value: ...
        def __mul__(self, other: Operand) -> Value: ...
        def __rmul__(self, other: float) -> Value: ...
        def __truediv__(self, other: Operand) -> Value: ...
        def __rtruediv__(self, other: float) -> Value: ...
        def __pow__(self, other: Operand) -> Value: ...
        def __rpow__(self, other: float) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def leaky_relu(self, slope: Operand = LEAKY_SLOPE) -> Value: ...
        def abs(self) -> Value: ...


class Node(Protocol):
    """What `propagate` needs of a node: a Value, or functional.py's gradient nodes."""

    grad: Any
    edges: tuple[Any, ...]


def topological_order(root: Value) -> list[Value]:
    """Every Value below root, each after all of its inputs; root last.

    An iterative depth-first search (no recursion, so a chain of a million nodes is
    fine) that visits inputs in order, so the same graph gives the same order.
    """
    order: list[Value] = []
    seen = {root}
    stack = [(root, _inputs_of(root))]
    while stack:
        node, pending = stack[-1]
        for x in pending:
            if x.__class__ is not float and x not in seen:
                seen.add(x)  # type: ignore[arg-type]  # not a float: a Value
                stack.append((x, _inputs_of(x)))  # type: ignore[arg-type]
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _inputs_of(node: Value) -> Iterator[Operand]:
    edges = node.edges
    return islice(edges, len(edges) >> 1)


def propagate(order: Sequence[Node], checked: bool = False) -> None:
    """The chain rule, from the last node of `order` back: each node sends
    local · upstream to each of its inputs' `grad`.

    The zero rule: a zero upstream gradient sends nothing, and neither does a zero local
    derivative, so 0 · inf counts as 0, never NaN. A closed ReLU gate stops the
    gradient, whatever comes from above. `checked` (detect_anomaly) raises at the first
    non-finite gradient, before storing it. Grads that are Values (functional.py's
    gradient graphs) go through the same loop.
    """
    for node in reversed(order):
        grad = node.grad
        if grad.__class__ is float:
            if grad == 0.0:
                continue  # skips the inputs of every closed gate: a third of a ReLU net
            if not checked and grad - grad == 0.0:  # a finite number: the fast loop
                edges = node.edges  # (*inputs, *local_grads)
                for x, local in zip(edges, islice(edges, len(edges) >> 1, None)):
                    if x.__class__ is not float:  # constants take no gradient
                        x.grad += local * grad
                continue
        _propagate_carefully(node, grad, checked)


def _propagate_carefully(node: Node, grad: Any, checked: bool) -> None:
    """One node's share of `propagate` for a non-finite or Value upstream gradient, or
    under detect_anomaly: zero local derivatives are skipped, and sums are checked."""
    edges = node.edges
    for position, (x, local) in enumerate(zip(edges, islice(edges, len(edges) >> 1, None))):
        if x.__class__ is float or (local.__class__ is float and local == 0.0):
            continue
        new_grad = x.grad + local * grad
        if checked and not math.isfinite(new_grad):
            # Check the sum, not just the term: finite terms can add up to inf. The bad
            # value is not stored, so the gradients show where backward stopped.
            raise FloatingPointError(
                f"backward of {getattr(node, 'op', '?')} (made at {modes.creation_site(node)}) "
                f"makes a non-finite gradient {new_grad!r} for its input {position}: local "
                f"derivative {local!r} × upstream gradient {grad!r}"
            )
        x.grad = new_grad


# ==========================================================================================
# The ops, each written once: its value and its local derivatives ∂out/∂input, as Python
# expressions in the inputs x, y and the result out (fastpaths.py compiles them). The
# expressions use arithmetic, comparisons with < and > (a Value's == is identity), and
# the helpers exp, log, sqrt, tanh, power (IEEE pow), zero (a constant 0) and signed_inf, so
# the derivatives run on floats for backward() and on Values for grad(grad(f)).
# ==========================================================================================

_POSITIVE = Domain("x > 0.0", ValueError, "log needs a positive input, got {x!r}")
_NON_NEGATIVE = Domain("x >= 0.0", ValueError, "sqrt needs a non-negative input, got {x!r}")
_NON_ZERO_DIVISOR = Domain(
    "y > 0.0 or y < 0.0", ZeroDivisionError, "/ divides by zero: {x!r} / {y!r}"
)
_POWER_DOMAIN = (
    Domain(
        "x >= 0.0 or float(y).is_integer()",
        ValueError,
        "** of a negative base to a non-integer power is not real: {x!r} ** {y!r}",
    ),
    Domain("x > 0.0 or x < 0.0 or y >= 0.0", ZeroDivisionError,
           "** of zero to a negative power: {x!r} ** {y!r}"),
    # ∂(xʸ)/∂y = xʸ·log x is not real for x < 0, so a Value exponent needs x ≥ 0.
    Domain("x >= 0.0 or b.__class__ is float", ValueError,
           "** with a Value exponent needs a non-negative base, got {x!r} ** {y!r}; "
           "use a number exponent for a negative base"),
)  # fmt: skip


def _sum(*terms: float) -> float:
    return sum(terms, 0.0)  # 0.0, not 0: an empty sum is still a float


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
    "/":          rule("x / y", "1.0 / y", "-out / y", domain=(_NON_ZERO_DIVISOR,)),
    # The slope of x⁰ is 0, even where x⁻¹ overflows (x = 5e-324).
    "**":         rule("power(x, y)", "0.0 if zero(y) else y * power(x, y - 1.0)",
                       "out * log(x) if x > 0.0 else 0.0", domain=_POWER_DOMAIN),
    "neg":        rule("-x", "-1.0"),
    "exp":        rule("exp(x)", "out"),
    "log":        rule("log(x)", "1.0 / x", domain=(_POSITIVE,)),
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
    "sum":        Op(_sum, lambda out, *xs: (1.0,) * len(xs)),
    "dot":        Op(_dot, _d_dot),  # z = Σₖ wₖxₖ + b: a neuron
}  # fmt: skip


def apply(op_name: str, *operands: object) -> Value:
    """Run one op on Values and numbers and return its node, with every check.

    Numbers are constants: they are stored among the inputs with their local
    derivatives, and take no gradient. The generated methods come here for anything
    but Values and floats with finite, in-domain numbers, so the errors are made here.
    """
    op = OPS[op_name]
    inputs = tuple(x if isinstance(x, Value) else _constant(x, op_name) for x in operands)
    numbers = tuple(
        _data(x, op_name, k) if isinstance(x, Value) else x for k, x in enumerate(inputs)
    )
    op.check_domain(*numbers, *inputs)
    out = op.forward(*numbers)
    if not math.isfinite(out):
        raise OverflowError(f"{op_name} overflows: inputs {list(numbers)} give {out!r}")
    return _node(out, op_name, (*inputs, *op.derivative(out, *numbers)))


def _node(data: float, op: str, edges: tuple[Any, ...]) -> Value:
    """A new node (a leaf under no_grad, which records no history)."""
    out = _new(Value)  # skips __init__'s checks: data is a checked finite float
    out.data = data
    out.grad = 0.0
    out.label = None
    mode = modes.current()
    if mode is modes.DEFAULT or mode.setting("record"):
        out.op = op
        out.edges = edges
    else:
        out.op = ""
        out.edges = ()
    if mode is not modes.DEFAULT and mode.setting("anomaly"):
        modes.remember_creation_site(out)
    return out


_new = object.__new__


def total(terms: Iterable[Operand]) -> Value:
    """Σ terms as one node with many inputs, so 100,000 terms is not a 100,000-deep chain.

    `al.sum` is the same function; `from autograd_lite import *` leaves the builtin
    `sum` alone."""
    if isinstance(terms, (str, bytes, Value)) or not isinstance(terms, Iterable):
        raise TypeError(
            f"sum needs an iterable of numbers or Values, got {type(terms).__name__} {terms!r:.60}"
        )
    return apply("sum", *terms)


def dot(ws: Sequence[Operand], xs: Sequence[Operand], bias: Operand | None = None) -> Value:
    """z = Σₖ wₖ·xₖ (+ bias) as one node: the pre-activation of a neuron."""
    return affine([ws], xs, [bias])[0]


def affine(
    rows: Sequence[Sequence[Operand]], xs: Sequence[Operand], biases: Sequence[Operand | None]
) -> list[Value]:
    """[zⱼ = Σₖ Θⱼₖ·xₖ + bⱼ for each row j of Θ]: a layer's pre-activations, z = Θx + b,
    one `dot` node per row (a bias of None: no bias). The inputs' numbers are read once
    for all rows."""
    _check_list(xs, "dot", "inputs")
    if len(rows) != len(biases):
        raise ValueError(f"dot needs one bias per row, got {len(rows)} rows and {len(biases)}")
    try:
        numbers = [x if x.__class__ is float else x.data for x in xs]  # type: ignore[union-attr]
    except AttributeError:  # a number of another type: apply converts it (or refuses it)
        return [apply("dot", *ws, *xs, *_bias(b)) for ws, b in zip(rows, biases)]
    plain = modes.current() is modes.DEFAULT  # no mode in force: nodes can be made inline
    zs = []
    for ws, b in zip(rows, biases):
        _check_list(ws, "dot", "weights")
        if len(ws) != len(xs):
            raise ValueError(f"dot needs as many weights as inputs, got {len(ws)} and {len(xs)}")
        try:
            w_numbers = [w.data for w in ws]  # type: ignore[union-attr]
            z = sum(map(mul, w_numbers, numbers), 0.0)  # the order manual.py adds in, too
            if b is not None:
                z += b.data  # type: ignore[union-attr]
        except AttributeError:  # a plain number among the weights, or as the bias
            zs.append(apply("dot", *ws, *xs, *_bias(b)))
            continue
        # The common case skips apply's per-input checks: a NaN or inf anywhere makes z
        # non-finite too, and then apply finds and names it.
        if z - z != 0.0:
            zs.append(apply("dot", *ws, *xs, *_bias(b)))
        elif plain:  # _node, inlined: a layer makes thousands of these per step
            node = _new(Value)
            node.data, node.grad, node.label, node.op = z, 0.0, None, "dot"
            node.edges = (*ws, *xs, b, *numbers, *w_numbers, 1.0) if b is not None else (
                *ws, *xs, *numbers, *w_numbers)
            zs.append(node)
        else:
            local_grads = (*numbers, *w_numbers, 1.0) if b is not None else (*numbers, *w_numbers)
            zs.append(_node(z, "dot", (*ws, *xs, *_bias(b), *local_grads)))
    return zs


def _bias(b: Operand | None) -> tuple[Operand, ...]:
    return () if b is None else (b,)


def _check_list(seq: object, op: str, what: str) -> None:
    if isinstance(seq, (str, bytes, Value)) or not hasattr(seq, "__len__"):
        raise TypeError(f"{op} needs a list of {what}, got {type(seq).__name__} {seq!r:.60}")


# --- helpers ------------------------------------------------------------------------------


def _anomaly_mode() -> bool:
    mode = modes.current()
    return mode is not modes.DEFAULT and mode.setting("anomaly")


def _constant(x: object, op: str) -> float:
    try:
        return real_number(x, op)
    except TypeError:
        raise TypeError(
            f"{op} needs a real number or a Value, got {type(x).__name__} {x!r:.60}"
        ) from None


def _data(x: Value, op: str, position: int) -> float:
    """x.data, which may have been set by hand: a NaN or inf there is a ValueError here."""
    try:
        return real_number(x.data, op)
    except (TypeError, ValueError):
        raise ValueError(
            f"{op}: input {position} is a Value whose data is {x.data!r}; data must be a "
            "finite number (was it set by hand?)"
        ) from None


def _number(x: object, op: str) -> float:
    return x.data if isinstance(x, Value) else _constant(x, op)


# Each method: (op, how it reads its operands, default of the second operand).
_METHODS = {
    "__add__": ("+", "left", ""), "__radd__": ("+", "right", ""),
    "__sub__": ("-", "left", ""), "__rsub__": ("-", "right", ""),
    "__mul__": ("*", "left", ""), "__rmul__": ("*", "right", ""),
    "__truediv__": ("/", "left", ""), "__rtruediv__": ("/", "right", ""),
    "__pow__": ("**", "left", ""), "__rpow__": ("**", "right", ""),
    "__neg__": ("neg", "unary", ""), "__abs__": ("abs", "unary", ""),
    "exp": ("exp", "unary", ""), "log": ("log", "unary", ""), "sqrt": ("sqrt", "unary", ""),
    "tanh": ("tanh", "unary", ""), "sigmoid": ("sigmoid", "unary", ""),
    "relu": ("relu", "unary", ""), "abs": ("abs", "unary", ""),
    "leaky_relu": ("leaky_relu", "left", f"={LEAKY_SLOPE!r}"),
}  # fmt: skip
for _name, _method in methods(_METHODS, OPS, Value, _node, apply).items():
    setattr(Value, _name, _method)
