"""Functions of functions, built on the engine: gradcheck, grad and hessian.

Higher-order gradients reuse the engine's local-derivative rules (`engine.RULES`): each is
plain arithmetic, so called on Values instead of floats it *builds a graph* for the local
derivative. Running the engine's chain rule (`engine.propagate`) with those Values gives
a gradient that is itself a Value with history, which can be differentiated again:
`grad(grad(f))`.

Each call records its own graph, whatever the caller's mode: inside `no_grad` too, as
`torch.func.grad` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from .engine import OPS, Value, propagate, topological_order
from .modes import enable_grad
from .validation import real_number

__all__ = [
    "GradcheckError",
    "grad",
    "gradcheck",
    "gradients_as_values",
    "hessian",
    "single_value",
]


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
    point = [x.data if isinstance(x, Value) else real_number(x, "gradcheck") for x in inputs]
    variables = [Value(x) for x in point]
    with enable_grad():
        single_value(f(*variables), "gradcheck").backward()
    analytic = [v.grad for v in variables]

    def f_at(xs: list[float]) -> float:
        # Recorded like the analytic pass, so that f runs the same way in both (a test
        # that edits a node's local_grads needs the node to have inputs).
        with enable_grad():
            return f(*(Value(x) for x in xs)).data

    numeric = []
    for i in range(len(point)):
        up = point.copy()
        down = point.copy()
        up[i] += eps
        down[i] -= eps
        numeric.append((f_at(up) - f_at(down)) / (2 * eps))

    rows = [(x, a, n, abs(a - n)) for x, a, n in zip(point, analytic, numeric)]
    if all(diff <= atol + rtol * abs(n) for _, _, n, diff in rows):
        return True
    table = "\n".join(
        f"{x:>12.6g}  {a:>22.15g}  {n:>22.15g}  {d:>12.3g}"
        + ("" if d <= atol + rtol * abs(n) else "  <- wrong")
        for x, a, n, d in rows
    )
    raise GradcheckError(
        f"gradcheck failed at {point} (eps={eps}, atol={atol}, rtol={rtol}):\n"
        f"{'input':>12}  {'analytic':>22}  {'numeric':>22}  {'difference':>12}\n{table}"
    )


class _Adjoint:
    """A node of the gradient computation: `grad` collects ∂root/∂(its Value) as a Value,
    and `edges` holds, as a Value's do, the inputs' _Adjoints and then the local
    derivatives, as Values."""

    __slots__ = ("edges", "grad")

    def __init__(self) -> None:
        self.grad: Any = 0.0
        self.edges: tuple[Any, ...] = ()


def gradients_as_values(root: Value, wrt: Sequence[Value]) -> list[Value]:
    """∂root/∂x for each x in `wrt`, as Values with history (differentiable again).

    The variables in `wrt` are independent: the chain rule stops at them, whatever made
    them. Only the paths from root to a variable are followed, so an infinite local
    derivative elsewhere (sqrt at 0 on a branch that never reaches a variable) does not
    matter. On a path, it raises FloatingPointError: the gradient has no finite Value.
    """
    variables = set(wrt)
    adjoints: dict[Value, _Adjoint] = {}  # the nodes that lead to a variable, inputs first
    for node in topological_order(root):
        if node in variables:
            adjoints[node] = _Adjoint()
        elif node.edges and any(x in adjoints for x in node.parents):
            adjoints[node] = _adjoint_of(node, adjoints)
    if root not in adjoints:
        return [Value(0.0) for _ in wrt]
    adjoints[root].grad = 1.0
    propagate(list(adjoints.values()))
    return [_as_value(adjoints[x].grad) if x in adjoints else Value(0.0) for x in wrt]


def _adjoint_of(node: Value, adjoints: dict[Value, _Adjoint]) -> _Adjoint:
    """node's _Adjoint: its inputs that lead to a variable, with their local derivatives
    from the op's rule, run on the node's Values (so they carry history)."""
    adjoint = _Adjoint()
    wanted = [k for k, x in enumerate(node.inputs) if isinstance(x, Value) and x in adjoints]
    try:
        locals_ = OPS[node.op].local_grads_for(wanted, node, *node.inputs)
    except (ArithmeticError, ValueError) as error:  # a pole: 0 to a negative power, say
        raise FloatingPointError(
            f"{node.op}'s local derivative has no finite value at {node.inputs} ({error}); "
            "a higher-order gradient cannot go through it"
        ) from None
    inputs: list[_Adjoint] = []
    local_grads: list[Any] = []
    for k, local in zip(wanted, locals_):
        x = node.inputs[k]
        if isinstance(local, float):
            if local == 0.0:
                continue  # the zero rule: nothing to send
            if local - local != 0.0:
                raise FloatingPointError(
                    f"{node.op}'s local derivative is {local!r} at {node.inputs}; "
                    "a higher-order gradient cannot go through it"
                )
        inputs.append(adjoints[x])  # type: ignore[index]  # wanted: Values in adjoints
        local_grads.append(local)
    adjoint.edges = (*inputs, *local_grads)
    return adjoint


def _as_value(gradient: float | Value) -> Value:
    return gradient if isinstance(gradient, Value) else Value(gradient)


def grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function that returns ∂f/∂x at its arguments, for x the argument(s) at `argnums`.

    The result is a Value with history, so `grad(grad(f))(2.0)` is f''(2). With a sequence
    of argnums it returns a tuple. Arguments may be numbers or Values.

    Each differentiated argument becomes a fresh variable, distinct from everything f
    captures: for a Value x it is `x + 0.0`, a new node whose history still leads to x.
    So `grad(lambda y: x * y)(x)` is x (f's own x is a constant to it), and gradients of
    gradients come out right (no "perturbation confusion").
    """
    single = isinstance(argnums, int) and not isinstance(argnums, bool)
    listed = (argnums,) if isinstance(argnums, int) and single else _argnums(argnums)
    _unique(listed, listed, argnums)

    def gradient(*args: float | Value) -> Any:
        for p in listed:
            if not -len(args) <= p < len(args):
                raise IndexError(f"grad: argnum {p} is out of range for {len(args)} arguments")
        # as torch.func: -1 is the last argument, so (0, -2) of two arguments lists 0 twice
        positions = tuple(p % len(args) for p in listed)
        _unique(positions, listed, argnums)
        with enable_grad():
            # numbers become Values (constants, unless differentiated); Values stay as given
            values = [a if isinstance(a, Value) else Value(real_number(a, "grad")) for a in args]
            variables = [_fresh_variable(values[p]) for p in positions]
            for p, variable in zip(positions, variables):
                values[p] = variable
            grads = gradients_as_values(single_value(f(*values), "grad"), variables)
        return grads[0] if single else tuple(grads)

    return gradient


def _argnums(argnums: object) -> tuple[int, ...]:
    """argnums as a tuple of ints, or a TypeError naming it (a bool is no position)."""
    try:
        listed: tuple[object, ...] = tuple(cast(Iterable[object], argnums))
    except TypeError:
        listed = (None,)
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in listed):
        raise TypeError(f"grad: argnums must be an int or a sequence of ints, got {argnums!r:.60}")
    return cast(tuple[int, ...], listed)


def _unique(positions: tuple[int, ...], listed: tuple[int, ...], argnums: object) -> None:
    """ValueError if two of argnums name the same argument (after -1 is read as the last)."""
    if len(set(positions)) != len(positions):
        same = "" if positions == listed else f" (as positions: {positions})"
        raise ValueError(
            f"grad: argnums {argnums!r:.60} lists an argument twice{same}; argnums must be unique"
        )


def single_value(out: object, who: str) -> Value:
    """out, if f returned one Value; else a TypeError naming `who` (grad, hessian,
    gradcheck and al.compile all need f to return one)."""
    if not isinstance(out, Value):
        raise TypeError(
            f"{who} needs f to return a single Value, got {type(out).__name__}; "
            "reduce it first, e.g. with autograd_lite.total"
        )
    return out


def _fresh_variable(arg: Value) -> Value:
    """A new variable with arg's value: `arg + 0.0`, a node that f cannot have captured,
    whose history leads back to arg (so gradients of gradients reach arg)."""
    fresh = arg + 0.0
    fresh.label = arg.label
    return fresh


def hessian(f: Callable[..., Value]) -> Callable[..., list[list[float]]]:
    """A function that returns the matrix H[i][j] = ∂²f/∂xᵢ∂xⱼ at its arguments, as floats."""

    def matrix(*args: float | Value) -> list[list[float]]:
        xs = [Value(a.data if isinstance(a, Value) else real_number(a, "hessian")) for a in args]
        with enable_grad():
            first = gradients_as_values(single_value(f(*xs), "hessian"), xs)
            return [[g.data for g in gradients_as_values(d_i, xs)] for d_i in first]

    return matrix
