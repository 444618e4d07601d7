"""The scalar autodiff engine: `Value`, its ops, and the backward pass.

Every op computes, in the forward pass, its value and its *local derivatives*
∂out/∂input, and stores both on the new node. The backward pass is then the
same few lines for every op (the chain rule):

    for node in reversed(order):
        for input, local in zip(node.inputs, node.local_grads):
            input.grad += local * node.grad

Nodes hold numbers, never functions, so a graph has no reference cycles and
is freed by reference counting the moment you drop it.

Conventions at kinks (documented, tested, and the same as PyTorch's):
  relu'(0) = 0            the gate is open only for z > 0
  leaky_relu'(0) = slope  same gate
  abs'(0) = 0
  sqrt'(0) = inf          and it is recorded as such: see `detect_anomaly`

This module imports nothing else from autograd_lite.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import math
import numbers
import operator
import sys
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard, Union

# An op's input is a Value (it gets a gradient) or a plain number (a constant).
Operand = Union["Value", float]
# A derivative rule maps (out, *inputs) to one local derivative per input.
Rule = Callable[..., tuple[Any, ...]]


class Value:
    """A scalar that remembers how it was made.

    `data` is always a finite float. `grad` is ∂root/∂self after `root.backward()`.
    `op` names the op that made it ("" for a leaf), `inputs` are that op's inputs
    (Values, or floats for constants, in order, repeats kept: `a*a` has `a` twice),
    and `local_grads[i]` is ∂self/∂inputs[i], computed in the forward pass.

    `==` and `hash` are identity-based, so Values can key dicts and sets;
    `< <= > >=` compare `data`.
    """

    __slots__ = ("__weakref__", "data", "grad", "inputs", "label", "local_grads", "op")

    data: float
    grad: float
    label: str | None
    op: str
    inputs: tuple[Operand, ...]
    local_grads: tuple[Any, ...]

    def __init__(self, data: float, label: str | None = None) -> None:
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Value label must be a str or None, got {type(label).__name__}")
        self.data = _real_number(data, "Value")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.inputs = ()
        self.local_grads = ()

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Value inputs, in order, repeats kept (constants left out)."""
        return tuple(x for x in self.inputs if isinstance(x, Value))

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    # --- arithmetic: each builds one node through `apply` (or `_unary`) ---------------------

    def __add__(self, other: Operand) -> Value:
        return apply("+", self, other)

    def __radd__(self, other: float) -> Value:
        return apply("+", other, self)

    def __sub__(self, other: Operand) -> Value:
        return apply("-", self, other)

    def __rsub__(self, other: float) -> Value:
        return apply("-", other, self)

    def __mul__(self, other: Operand) -> Value:
        return apply("*", self, other)

    def __rmul__(self, other: float) -> Value:
        return apply("*", other, self)

    def __truediv__(self, other: Operand) -> Value:
        return apply("/", self, other)

    def __rtruediv__(self, other: float) -> Value:
        return apply("/", other, self)

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            _check_base_for_value_exponent(self.data, other.data)
        return apply("**", self, other)

    def __rpow__(self, other: float) -> Value:
        _check_base_for_value_exponent(_real_number(other, "**"), self.data)
        return apply("**", other, self)

    def __neg__(self) -> Value:
        return _unary("neg", self)

    def exp(self) -> Value:
        return _unary("exp", self)

    def log(self) -> Value:
        return _unary("log", self)

    def sqrt(self) -> Value:
        return _unary("sqrt", self)

    def tanh(self) -> Value:
        return _unary("tanh", self)

    def sigmoid(self) -> Value:
        return _unary("sigmoid", self)

    def relu(self) -> Value:
        return _unary("relu", self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        return apply("leaky_relu", self, slope)

    def abs(self) -> Value:
        return _unary("abs", self)

    # --- comparisons look at data; == and hash stay identity-based -------------------------

    def __lt__(self, other: Operand) -> bool:
        return self.data < _data(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data(other, ">=")

    # __eq__ and __hash__ are object's: identity. Two Values with equal data are two nodes.

    # --- history -----------------------------------------------------------------------------

    def detach(self) -> Value:
        """A new leaf with the same data and label, and no history."""
        return Value(self.data, self.label)

    def backward(self) -> None:
        """Set `grad` = ∂self/∂node on every node of the graph below self.

        Interior nodes (made by an op, even from constants only) are recomputed from
        scratch on every call. Leaves (the Values you create: inputs and parameters)
        *accumulate*, as in PyTorch, so two calls give twice the leaf gradient: zero
        them between steps (`model.zero_grad()`, or `x.grad = 0.0`).
        """
        order = topological_order(self)
        for node in order:
            if node.inputs:
                node.grad = 0.0
        if self.inputs:
            self.grad = 1.0
        else:
            self.grad += 1.0
        if _mode.get().anomaly:
            _backward_checked(order)
            return
        for node in reversed(order):
            grad = node.grad
            for x, local in zip(node.inputs, node.local_grads):
                if x.__class__ is not float:  # constants (stored as floats) take no gradient
                    x.grad += local * grad  # type: ignore[union-attr]


def topological_order(root: Value) -> list[Value]:
    """Every Value below root, each after all of its inputs; root last.

    An iterative depth-first search (no recursion, so a chain of a million nodes
    is fine) that visits inputs in order, so the same graph gives the same order.
    """
    # The sort makes two small objects per node and no reference cycles, yet on a deep
    # graph those allocations set off the cyclic collector again and again, and each full
    # run walks the whole live graph (half of backward's time on a 1,000,000-node chain).
    # So the collector is paused while it runs.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _depth_first_order(root)
    finally:
        if collecting:
            gc.enable()


def _depth_first_order(root: Value) -> list[Value]:
    order: list[Value] = []
    seen = {root}
    stack: list[tuple[Value, Iterator[Operand]]] = [(root, iter(root.inputs))]
    while stack:
        node, pending = stack[-1]
        for x in pending:
            if x.__class__ is not float and x not in seen:
                seen.add(x)  # type: ignore[arg-type]
                stack.append((x, iter(x.inputs)))  # type: ignore[arg-type, union-attr]
                break
        else:
            stack.pop()
            order.append(node)
    return order


# ===========================================================================================
# The ops. Each one is a forward function on floats (which also checks the domain) and a
# derivative rule. A rule takes (out, *inputs) and returns ∂out/∂input for each input.
# Rules use only arithmetic, comparisons, `_log` and `_power`, so the same rule runs on
# floats (for `backward`) and on Values (for gradients of gradients, `functional.grad`).
# ===========================================================================================


def _log(x: Any) -> Any:
    """log for a float or a Value (rules use it, so it must take both)."""
    return x.log() if isinstance(x, Value) else math.log(x)


def _div(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError(f"/ divides by zero: {x!r} / {y!r}")
    return x / y


def _pow(x: float, y: float) -> float:
    if x < 0.0 and not y.is_integer():
        raise ValueError(
            f"** of a negative base to a non-integer power is not real: {x!r} ** {y!r}"
        )
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError(f"** of zero to a negative power: {x!r} ** {y!r}")
    try:
        return float(x**y)
    except OverflowError:
        raise OverflowError(f"** overflows: {x!r} ** {y!r}") from None


def _power(x: Any, p: Any) -> Any:
    """x ** p for floats or Values (rules use it). A float power too large for a float is
    ±inf, as float * and / give, instead of Python's OverflowError."""
    try:
        return x**p
    except OverflowError:
        if isinstance(x, Value) or isinstance(p, Value):
            raise
        return -math.inf if x < 0 and p % 2 == 1 else math.inf


def _d_pow(out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    # ∂/∂x = y·x^(y−1). At x = 0 that is 1 for y = 1, 0 for y > 1 or y = 0 (a constant),
    # and +inf for 0 < y < 1 (like sqrt'(0)); y < 0 at 0 is refused by the forward pass.
    # ∂/∂y = out·log x, whose limit at x = 0 is 0. A Value exponent needs x ≥ 0
    # (`_check_base_for_value_exponent`); for a constant y with x < 0 it is never used.
    # Rules compare with < and >, never ==: a Value's == is identity.
    at_zero = math.inf if y > 0 else 0.0
    d_x = y * _power(x, y - 1) if (x > 0 or x < 0 or y >= 1) else at_zero
    d_y = out * _log(x) if x > 0 else 0.0
    return d_x, d_y


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp overflows for input {x!r} (the result exceeds 1.8e308)") from None


def _log_forward(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"log needs a positive input, got {x!r}")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0.0:
        raise ValueError(f"sqrt needs a non-negative input, got {x!r}")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    # Two forms so that exp never overflows: exp(-|x|) ≤ 1.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0.0 else slope * x


def _sum(*terms: float) -> float:
    return builtins.sum(terms, 0.0)  # 0.0, not 0: an empty sum is still a float


def _dot(*args: float) -> float:
    # args = (w1..wn, x1..xn) or (w1..wn, x1..xn, bias)
    n = len(args) // 2
    z: float = builtins.sum(map(operator.mul, args[:n], args[n : 2 * n]), 0.0)
    return z + args[-1] if len(args) % 2 else z


def _d_dot(out: Any, *args: Any) -> tuple[Any, ...]:
    # ∂z/∂w_k = x_k, ∂z/∂x_k = w_k, ∂z/∂b = 1
    n = len(args) // 2
    return (*args[n : 2 * n], *args[:n], *(1.0,) * (len(args) % 2))


@dataclass(frozen=True)
class Op:
    """One primitive: the forward value on floats and the local derivatives."""

    forward: Callable[..., float]
    derivative: Rule


#: Each primitive's forward value and local derivative, side by side.
#: `out` is the op's result; the rules return ∂out/∂input for each input.
OPS: dict[str, Op] = {
    "+":          Op(operator.add, lambda out, x, y: (1.0, 1.0)),
    "-":          Op(operator.sub, lambda out, x, y: (1.0, -1.0)),
    "*":          Op(operator.mul, lambda out, x, y: (y, x)),
    "/":          Op(_div,         lambda out, x, y: (1 / y, -out / y)),
    "**":         Op(_pow,         _d_pow),
    "neg":        Op(operator.neg, lambda out, x: (-1.0,)),
    "exp":        Op(_exp,         lambda out, x: (out,)),
    "log":        Op(_log_forward, lambda out, x: (1 / x,)),
    "sqrt":       Op(_sqrt,        lambda out, x: (0.5 / out if out > 0 else math.inf,)),
    "tanh":       Op(math.tanh,    lambda out, x: (1 - out * out,)),
    "sigmoid":    Op(_sigmoid,     lambda out, x: (out * (1 - out),)),
    "relu":       Op(_relu,        lambda out, x: (1.0 if x > 0 else 0.0,)),  # the 0/1 gate
    "leaky_relu": Op(_leaky_relu,  lambda out, x, s: (1.0 if x > 0 else s, 0.0 if x > 0 else x)),
    "abs":        Op(abs,          lambda out, x: (1.0 if x > 0 else -1.0 if x < 0 else 0.0,)),
    "sum":        Op(_sum,         lambda out, *xs: (1.0,) * len(xs)),
    "dot":        Op(_dot,         _d_dot),
}  # fmt: skip


def apply(op_name: str, *inputs: Operand) -> Value:
    """Run one op on Values and numbers and return its node.

    Numbers are constants: they are stored among the inputs, get a local
    derivative like any input, and take no gradient.
    """
    op = OPS[op_name]
    inputs = _as_operands(inputs, op_name)
    xs = [x if x.__class__ is float else x.data for x in inputs]  # type: ignore[union-attr]
    data = op.forward(*xs)
    if not math.isfinite(data):
        raise OverflowError(f"{op_name} overflows: inputs {xs} give {data!r}")
    return _node(data, op_name, inputs, op.derivative(data, *xs))


def _unary(op_name: str, x: Value) -> Value:
    """`apply` for an op of one Value: there is no constant to check, so this skips
    straight to the op's forward value and local derivative (3× faster than `apply`)."""
    op = OPS[op_name]
    data = op.forward(x.data)
    if not math.isfinite(data):
        raise OverflowError(f"{op_name} overflows: input {x.data!r} gives {data!r}")
    return _node(data, op_name, (x,), op.derivative(data, x.data))


def sum(terms: Iterable[Operand]) -> Value:
    """Σ terms as one node with many inputs, so 100,000 terms is not a 100,000-deep chain."""
    return apply("sum", *terms)


def dot(ws: Sequence[Operand], xs: Sequence[Operand], bias: Operand | None = None) -> Value:
    """z = Σₖ wₖ·xₖ (+ bias) as one node: the pre-activation of a neuron."""
    if len(ws) != len(xs):
        raise ValueError(f"dot needs as many weights as inputs, got {len(ws)} and {len(xs)}")
    inputs = (*ws, *xs) if bias is None else (*ws, *xs, bias)
    if not _VALUE_OR_FLOAT.issuperset(map(type, inputs)):
        return apply("dot", *inputs)  # converts other numbers to floats, or raises
    # Every neuron is a dot, so the common case skips apply's per-input checks: a NaN or
    # inf constant would make z non-finite too, and then apply reports it.
    data = [x if x.__class__ is float else x.data for x in inputs]  # type: ignore[union-attr]
    z = _dot(*data)
    if not math.isfinite(z):
        return apply("dot", *inputs)
    return _node(z, "dot", inputs, _d_dot(z, *data))


_VALUE_OR_FLOAT = frozenset({Value, float})


# ===========================================================================================
# Modes: no_grad and detect_anomaly. One context variable holds both, so each new node pays
# for a single lookup, and the state is per thread and per async task.
# ===========================================================================================


@dataclass(frozen=True)
class _Mode:
    record: bool = True  # record inputs and local derivatives (off under no_grad)
    anomaly: bool = False  # remember where nodes were made, check gradients in backward


# _Mode is frozen, so sharing the default instance is safe.
_mode: ContextVar[_Mode] = ContextVar("autograd_lite_mode", default=_Mode())  # noqa: B039

# Where each node was made, filled only inside detect_anomaly. Weak keys: nothing is kept alive.
_creation_site: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()
_PACKAGE_DIR = str(Path(__file__).resolve().parent)


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside, ops build no graph: results are leaves with no inputs. Nests; thread-safe."""
    token = _mode.set(_Mode(record=False, anomaly=_mode.get().anomaly))
    try:
        yield
    finally:
        _mode.reset(token)


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Inside, ops record the graph again, even within `no_grad`."""
    token = _mode.set(_Mode(record=True, anomaly=_mode.get().anomaly))
    try:
        yield
    finally:
        _mode.reset(token)


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside, `backward()` raises FloatingPointError at the first non-finite gradient,
    naming the op and the file:line of the code that made that node."""
    token = _mode.set(_Mode(record=_mode.get().record, anomaly=True))
    try:
        yield
    finally:
        _mode.reset(token)


def is_grad_enabled() -> bool:
    return _mode.get().record


def _node(data: float, op: str, inputs: tuple[Operand, ...], local_grads: tuple[Any, ...]) -> Value:
    out = Value.__new__(Value)  # skips __init__'s checks: data is a checked finite float
    out.data = data
    out.grad = 0.0
    out.label = None
    mode = _mode.get()
    if mode.record:
        out.op = op
        out.inputs = inputs
        out.local_grads = local_grads
    else:
        out.op = ""
        out.inputs = ()
        out.local_grads = ()
    if mode.anomaly:
        _creation_site[out] = _user_call_site()
    return out


def _user_call_site() -> str:
    """file:line of the innermost caller outside this package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _backward_checked(order: list[Value]) -> None:
    """The backward loop of `detect_anomaly`: the fast loop plus a finiteness check."""
    for node in reversed(order):
        grad = node.grad
        for i, (x, local) in enumerate(zip(node.inputs, node.local_grads)):
            if not isinstance(x, Value):
                continue
            new_grad = x.grad + local * grad
            # Check the sum, not just the term: finite terms can add up to inf. The bad
            # value is not stored, so the gradients show where backward stopped.
            if not math.isfinite(new_grad):
                site = _creation_site.get(node, "<made outside detect_anomaly>")
                raise FloatingPointError(
                    f"backward of {node.op} (made at {site}) makes a non-finite gradient "
                    f"{new_grad!r} for its input {i}: local derivative {local!r} "
                    f"× upstream gradient {grad!r}"
                )
            x.grad = new_grad


# ===========================================================================================
# Input checks
# ===========================================================================================


def is_finite_number(x: object) -> TypeGuard[int | float]:
    """True for an int or float (not a bool) with a finite float value; False for NaN, ±inf,
    ints too large for a float (10**400), and anything else."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too large for a float
        return False


def _real_number(x: object, op: str) -> float:
    """x as a finite float, or a TypeError / ValueError naming the op and x."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{op} needs a real number or a Value, got {type(x).__name__} {x!r}")
    try:
        f = float(x)
    except OverflowError:  # e.g. 10**400: a real number with no finite float
        shown = f"{x!r:.40}"
        raise ValueError(f"{op} needs a finite number, got {shown} (too big for a float)") from None
    if not math.isfinite(f):
        raise ValueError(f"{op} needs a finite number, got {f!r}")
    return f


def _as_operands(inputs: tuple[Any, ...], op: str) -> tuple[Operand, ...]:
    """inputs as Values and finite floats: other real numbers become floats, the rest is refused.

    The loop only looks; a new tuple is built just when some input needs converting, so the
    common case (Values and plain floats) costs one pass.
    """
    for x in inputs:
        if x.__class__ is not Value and (x.__class__ is not float or x - x != 0.0):
            return tuple(x if isinstance(x, Value) else _real_number(x, op) for x in inputs)
    return inputs


def _check_base_for_value_exponent(base: float, exponent: float) -> None:
    # ∂(b^y)/∂y = b^y·log b, which is not real for b < 0.
    if base < 0.0:
        raise ValueError(
            "** with a Value exponent needs a non-negative base, "
            f"got {base!r} ** {exponent!r}; use a number exponent for a negative base"
        )


def _data(x: object, op: str) -> float:
    return x.data if isinstance(x, Value) else _real_number(x, op)
