"""How a node is made: `node`, and the checked `apply`; and the n-ary ops.

`x * y` runs `Value.__mul__` (in _ops_generated.py), which makes its node inline when the
numbers are plain finite floats in the op's domain. Anything else (another kind of number,
a NaN set by hand, log of 0, an overflow) goes to `apply`, which checks everything and
raises an error naming the op and the value. This module hands `apply` and `node` (and
`Value`) to the generated module, which cannot import them: engine.py imports it.

`total` (Σ terms), `dot` (Σ wₖxₖ + b) and `affine` (z = Θx + b, one dot per row) make
one node with many inputs: the shapes a network is made of.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from . import _ops_generated, modes, tracehook
from .engine import OPS, Operand, Value, dot_edges, dot_value
from .validation import real_number

__all__ = ["affine", "apply", "dot", "total"]

_new = object.__new__  # a Value without __init__'s checks, for data already checked


def apply(op_name: str, *operands: object) -> Value:
    """Run one op on Values and numbers and return its node, with every check.

    Numbers are constants: they are stored among the inputs with their local
    derivatives, and take no gradient.
    """
    op = OPS[op_name]
    try:
        inputs = tuple(x if isinstance(x, Value) else _constant(x, op_name) for x in operands)
        numbers = tuple(
            _data(x, op_name, k) if isinstance(x, Value) else x for k, x in enumerate(inputs)
        )
        op.check_domain(*numbers, *inputs)
        out = op.forward(*numbers)
        if out - out != 0.0:
            raise OverflowError(f"{op_name} overflows: inputs {list(numbers)} give {out!r}")
    except Exception as error:
        if tracehook.tracing:  # al.compile: f may catch it, and take a path that depends on it
            tracehook.refused(op_name, operands, error)
        raise
    return node(out, op_name, (*inputs, *op.local_grads(out, *numbers)))


def node(data: float, op: str, edges: tuple[Any, ...]) -> Value:
    """A new node, as the grad modes in force have it: a leaf under no_grad, its
    creation site remembered under detect_anomaly."""
    out = _new(Value)
    out.data, out.grad, out.label = data, 0.0, None
    mode = modes.current()
    if not mode.open:
        mode = modes.settle()
    if mode is modes.DEFAULT or mode.setting("record"):
        out.op, out.edges = op, edges
    else:
        out.op, out.edges = "", ()
    if tracehook.tracing:  # al.compile replays no_grad ops too, and checks unused ones
        tracehook.made(out, op, edges)
    if mode is not modes.DEFAULT and mode.setting("anomaly"):
        modes.remember_creation_site(out)
    return out


def total(terms: Iterable[Operand]) -> Value:
    """Σ terms as one node with many inputs, so 100,000 terms is not a 100,000-deep chain.
    (Not called `sum`, so that `from autograd_lite import *` leaves the builtin alone.)"""
    try:
        iterator = iter(terms) if not isinstance(terms, (str, bytes)) else None
    except TypeError:  # not iterable: a number, None, a Value
        iterator = None
    if iterator is None:
        raise TypeError(
            f"sum needs an iterable of numbers or Values, got {type(terms).__name__} {terms!r:.60}"
        )
    terms = tuple(iterator)
    numbers = _numbers_of(terms)
    out = sum(numbers, 0.0) if numbers is not None else math.nan
    if out - out != 0.0:  # another kind of number, or a NaN or inf: apply names it
        return apply("sum", *terms)
    return node(out, "sum", (*terms, *(1.0,) * len(terms)))  # ∂Σ/∂xᵢ = 1


def dot(ws: Sequence[Operand], xs: Sequence[Operand], bias: Operand | None = None) -> Value:
    """z = Σₖ wₖ·xₖ (+ bias) as one node: the pre-activation of a neuron."""
    return affine([ws], xs, [bias])[0]


def affine(
    rows: Sequence[Sequence[Operand]], xs: Sequence[Operand], biases: Sequence[Operand | None]
) -> list[Value]:
    """[zⱼ = Σₖ Θⱼₖ·xₖ + bⱼ for each row j of Θ]: a layer's pre-activations, z = Θx + b,
    one `dot` node per row (a bias of None: no bias). The inputs' numbers are read once
    for all rows: a network makes thousands of these nodes per step."""
    n = len(xs) if xs.__class__ is list else _length(xs, "inputs")
    if len(rows) != len(biases):
        raise ValueError(f"dot needs one bias per row, got {len(rows)} rows and {len(biases)}")
    for ws in rows:
        if (ws.__class__ is not list and _length(ws) != n) or len(ws) != n:
            raise ValueError(f"dot needs as many weights as inputs, got {len(ws)} and {n}")
    numbers = _numbers_of(xs)
    if numbers is None:  # a number of another type: apply converts it (or refuses it)
        return [apply("dot", *ws, *xs, *([] if b is None else [b])) for ws, b in zip(rows, biases)]
    fast = modes.current() is modes.DEFAULT  # no grad mode in force: make the nodes inline
    zs = []
    for ws, b in zip(rows, biases):
        w_numbers = [w.data if w.__class__ is Value else math.nan for w in ws]
        b_number = None if b is None else b.data if b.__class__ is Value else math.nan
        try:
            z = dot_value(w_numbers, numbers, b_number)
        except (TypeError, OverflowError):  # data set by hand to a string, None, 10**400
            z = math.nan
        # No per-input checks: a NaN or inf anywhere (or a weight that is not a Value)
        # makes z non-finite too, and data set by hand to another kind of number can make
        # z something else than a float: then apply converts, or finds and names the culprit.
        # (A weight's data set by hand to True counts as 1 here, as it does in Python.)
        if z.__class__ is not float or z - z != 0.0:
            zs.append(apply("dot", *ws, *xs, *([] if b is None else [b])))
            continue
        edges = dot_edges(ws, xs, b, w_numbers, numbers)
        if fast:
            v = _new(Value)
            v.data, v.grad, v.label, v.op, v.edges = z, 0.0, None, "dot", edges
            zs.append(v)
        else:
            zs.append(node(z, "dot", edges))
    return zs


def _length(seq: object, what: str = "weights") -> int:
    """len(seq), or a TypeError naming dot for something that is not a list."""
    if seq.__class__ is not list and (
        isinstance(seq, (str, bytes, Value)) or not hasattr(seq, "__len__")
    ):
        raise TypeError(f"dot needs a list of {what}, got {type(seq).__name__} {seq!r:.60}")
    return len(seq)


def _numbers_of(operands: Sequence[object]) -> list[float] | None:
    """The numbers of Values and floats, or None if anything else is among them."""
    numbers = [x.data if x.__class__ is Value else x for x in operands]
    return numbers if _JUST_FLOAT.issuperset(map(type, numbers)) else None  # type: ignore[return-value]


_JUST_FLOAT = frozenset({float})



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
            f"{op}: input {position} is a Value whose data is {x.data!r:.60}; data must be a "
            "finite number (was it set by hand?)"
        ) from None


# The generated methods call these three; it cannot import them (see the module doc).
_ops_generated.__dict__.update(Value=Value, apply=apply, node=node)
