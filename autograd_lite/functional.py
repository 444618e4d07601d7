"""Functions of functions, built on the engine: gradcheck, grad and hessian.

Higher-order gradients reuse the engine's derivative rules (`engine.OPS`): each rule is
plain arithmetic, so called on Values instead of floats it *builds a graph* for the local
derivative. Running the chain rule with those Values gives a gradient that is itself a
Value with history, which can be differentiated again: `grad(grad(f))`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .engine import OPS, Value, no_grad, topological_order

__all__ = ["GradcheckError", "grad", "gradcheck", "hessian"]


class GradcheckError(AssertionError):
    """backward() and central differences disagree."""


def gradcheck(
    f: Callable[..., Value],
    *inputs: float | Value,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True if backward() agrees with central differences at `inputs`.

    Agreement means |analytic − numeric| ≤ atol + rtol·|numeric| for every input, where
    numeric = (f(x + eps) − f(x − eps)) / 2·eps. Otherwise raises GradcheckError with a
    table of input, analytic value, numeric value and difference.
    """
    point = [x.data if isinstance(x, Value) else float(x) for x in inputs]
    variables = [Value(x) for x in point]
    out = f(*variables)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck needs f to return a Value, got {type(out).__name__}")
    out.backward()
    analytic = [v.grad for v in variables]

    def f_at(xs: list[float]) -> float:
        with no_grad():
            return f(*(Value(x) for x in xs)).data

    numeric = []
    for i in range(len(point)):
        up = point.copy()
        down = point.copy()
        up[i] += eps
        down[i] -= eps
        numeric.append((f_at(up) - f_at(down)) / (2 * eps))

    rows = [(i, a, n, abs(a - n)) for i, (a, n) in enumerate(zip(analytic, numeric))]
    if all(diff <= atol + rtol * abs(n) for _, _, n, diff in rows):
        return True
    table = "\n".join(
        f"{i:>5}  {a:>22.15g}  {n:>22.15g}  {d:>12.3g}"
        + ("" if d <= atol + rtol * abs(n) else "  <- wrong")
        for i, a, n, d in rows
    )
    raise GradcheckError(
        f"gradcheck failed at {point} (eps={eps}, atol={atol}, rtol={rtol}):\n"
        f"input  {'analytic':>22}  {'numeric':>22}  {'difference':>12}\n{table}"
    )


def gradients_as_values(root: Value, wrt: Sequence[Value]) -> list[Value]:
    """∂root/∂x for each x in `wrt`, as Values with history (differentiable again).

    The chain rule of `Value.backward`, run on Values: each node's local derivatives come
    from its op's rule in `engine.OPS`, called on the node's Value inputs.
    """
    grads: dict[Value, Value] = {root: Value(1.0)}
    variables = set(wrt)
    for node in reversed(topological_order(root)):
        upstream = grads.get(node)
        # The chain rule stops at the variables: they are independent, whatever made them.
        if upstream is None or not node.inputs or node in variables:
            continue
        locals_ = OPS[node.op].derivative(node, *node.inputs)
        for x, local in zip(node.inputs, locals_):
            if not isinstance(x, Value):
                continue
            if isinstance(local, float) and not math.isfinite(local):
                raise FloatingPointError(
                    f"{node.op}'s local derivative is {local!r} at {node.inputs}; "
                    "a higher-order gradient cannot go through it"
                )
            contribution = local * upstream
            grads[x] = grads[x] + contribution if x in grads else contribution
    return [grads[x] if x in grads else Value(0.0) for x in wrt]


def grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function that returns ∂f/∂x at its arguments, for x the argument(s) at `argnums`.

    The result is a Value with history, so `grad(grad(f))(2.0)` is f''(2). With a sequence
    of argnums it returns a tuple. Arguments may be numbers or Values.
    """
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def gradient(*args: float | Value) -> Any:
        for p in positions:
            if not -len(args) <= p < len(args):
                raise IndexError(f"grad: argnum {p} is out of range for {len(args)} arguments")
        values = [a if isinstance(a, Value) else Value(a) for a in args]
        out = f(*values)
        if not isinstance(out, Value):
            raise TypeError(
                f"grad needs f to return a single Value, got {type(out).__name__}; "
                "reduce it first, e.g. with autograd_lite.sum"
            )
        grads = gradients_as_values(out, [values[p] for p in positions])
        return grads[0] if isinstance(argnums, int) else tuple(grads)

    return gradient


def hessian(f: Callable[..., Value]) -> Callable[..., list[list[float]]]:
    """A function that returns the matrix H[i][j] = ∂²f/∂xᵢ∂xⱼ at its arguments, as floats."""

    def matrix(*args: float | Value) -> list[list[float]]:
        xs = [Value(a.data if isinstance(a, Value) else a) for a in args]
        out = f(*xs)
        if not isinstance(out, Value):
            raise TypeError(f"hessian needs f to return a single Value, got {type(out).__name__}")
        first = gradients_as_values(out, xs)
        return [[g.data for g in gradients_as_values(d_i, xs)] for d_i in first]

    return matrix
