"""Hypothesis strategies and the central-difference reference shared by the engine tests.

As in minitorch, numbers come from a safe range and are shifted away from kinks (relu at 0)
and poles (1/x at 0), so that a central difference is a fair reference for a derivative.

`programs()` draws random expression DAGs: a list of op choices, each over nodes picked
from a growing pool, so nodes are reused (`a*a`, a node feeding several later nodes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import assume
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import Value

# --- numbers -------------------------------------------------------------------------------


def reals(lo: float = -5.0, hi: float = 5.0) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi]."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(
    lo: float = -5.0, hi: float = 5.0, margin: float = 0.1
) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] with |x| ≥ margin: near 0 they are shifted out to ±margin."""
    return reals(lo, hi).map(lambda x: x if abs(x) >= margin else math.copysign(margin, x))


def positives(lo: float = 0.1, hi: float = 10.0) -> st.SearchStrategy[float]:
    """Floats in [lo, hi], lo > 0: away from the poles and edges of log, sqrt and 1/x."""
    assert lo > 0
    return reals(lo, hi)


# --- the reference -------------------------------------------------------------------------


def sigmoid(x: float) -> float:
    """σ(x) in closed form, for expected values (the engine's is the stable two-branch one)."""
    return 1.0 / (1.0 + math.exp(-x))


def evaluate(f: Callable[..., Value], xs: Sequence[float]) -> float:
    """f at the point xs, as a float (forward data only: no derivative rule is used)."""
    return f(*(Value(x) for x in xs)).data


def central_difference(
    f: Callable[..., Value], xs: Sequence[float], i: int, eps: float = 1e-6
) -> float:
    """∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h, with h = eps·max(1, |xᵢ|)."""
    h = eps * max(1.0, abs(xs[i]))
    up = list(xs)
    down = list(xs)
    up[i] += h
    down[i] -= h
    return (evaluate(f, up) - evaluate(f, down)) / (up[i] - down[i])


def backward_grads(f: Callable[..., Value], xs: Sequence[float]) -> tuple[list[float], float]:
    """(∂f/∂x for each x by backward(), f's value) at the point xs."""
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    return [v.grad for v in leaves], out.data


def assert_matches_central_difference(
    f: Callable[..., Value], xs: Sequence[float], rtol: float = 1e-5, atol: float = 1e-6
) -> None:
    """backward() agrees with central differences for every input of f at xs.

    The allowed error has a term for rounding in f itself (|f|·1e-8 ≈ |f|·ulp / 2h).
    """
    analytic, fx = backward_grads(f, xs)
    for i, a in enumerate(analytic):
        n = central_difference(f, xs, i)
        tol = atol + rtol * abs(n) + 1e-8 * abs(fx)
        assert abs(a - n) <= tol, (
            f"input {i} at {list(xs)}: backward {a!r}, central difference {n!r}"
        )


# --- random expression DAGs ----------------------------------------------------------------

Step = tuple[str, int, int]


def _kink_free(a: Value, b: Value) -> bool:
    return abs(a.data) > 1e-2


def _small(a: Value, b: Value) -> bool:
    return abs(a.data) < 20.0


#: op name -> (node builder over two pool nodes a, b; admissibility guard or None).
#: Every engine op appears; ops with a restricted domain get an input that is inside it.
Make = Callable[[Value, Value], Value]
Guard = Callable[[Value, Value], bool]
DAG_OPS: dict[str, tuple[Make, Guard | None]] = {
    "add":        (lambda a, b: a + b, None),
    "radd":       (lambda a, b: 1.5 + a, None),
    "sub":        (lambda a, b: a - b, None),
    "rsub":       (lambda a, b: 2.0 - a, None),
    "mul":        (lambda a, b: a * b, None),
    "square":     (lambda a, b: a * a, None),
    "scale":      (lambda a, b: 0.5 * a, None),
    "div":        (lambda a, b: a / (b * b + 1.0), None),
    "rdiv":       (lambda a, b: 2.0 / (a * a + 1.0), None),
    "pow_int":    (lambda a, b: a**3, None),
    "pow_real":   (lambda a, b: (a * a + 0.5) ** 1.5, None),
    "pow_value":  (lambda a, b: (a * a + 0.5) ** b.tanh(), None),
    "rpow":       (lambda a, b: 1.5**a, _small),
    "neg":        (lambda a, b: -a, None),
    "exp":        (lambda a, b: a.exp(), _small),
    "log":        (lambda a, b: (a * a + 0.5).log(), None),
    "sqrt":       (lambda a, b: (a * a + 0.5).sqrt(), None),
    "tanh":       (lambda a, b: a.tanh(), None),
    "sigmoid":    (lambda a, b: a.sigmoid(), None),
    "relu":       (lambda a, b: a.relu(), _kink_free),
    "leaky_relu": (lambda a, b: a.leaky_relu(0.1), _kink_free),
    "abs":        (lambda a, b: a.abs(), _kink_free),
    "sum":        (lambda a, b: al.total([a, b, a, 1.0]), None),
    "dot":        (lambda a, b: al.dot([a, b], [b, 3.0], bias=a), None),
}  # fmt: skip

#: Every node of a random DAG stays below this in magnitude (no overflow, fair differences).
DAG_BOUND = 1e4


@dataclass(frozen=True)
class Program:
    """A random expression DAG over len(leaves) inputs; the root sums every node."""

    leaves: tuple[float, ...]
    steps: tuple[Step, ...]

    def build(self, *xs: Value, check: bool = False) -> tuple[Value, list[Value]]:
        """(root, every node in creation order). check=True rejects (hypothesis `assume`)
        points near a kink, outside a guard, or above DAG_BOUND."""
        pool = list(xs)
        for name, i, j in self.steps:
            make, guard = DAG_OPS[name]
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            if check and guard is not None:
                assume(guard(a, b))
            node = make(a, b)
            if check:
                assume(abs(node.data) < DAG_BOUND)
            pool.append(node)
        return al.total(pool), pool

    def __call__(self, *xs: Value) -> Value:
        return self.build(*xs)[0]

    def checked(self) -> Program:
        """self, after rejecting (with `assume`) an inadmissible draw. Use inside @given."""
        self.build(*(Value(x) for x in self.leaves), check=True)
        return self


@st.composite
def programs(draw: st.DrawFn, max_leaves: int = 3, max_steps: int = 10) -> Program:
    """A random DAG: 1..max_leaves inputs in [-2, 2], then 1..max_steps ops over the pool."""
    leaves = tuple(draw(st.lists(reals(-2.0, 2.0), min_size=1, max_size=max_leaves)))
    index = st.integers(0, 10**6)
    steps = draw(
        st.lists(
            st.tuples(st.sampled_from(sorted(DAG_OPS)), index, index),
            min_size=1,
            max_size=max_steps,
        )
    )
    return Program(leaves, tuple(steps))
