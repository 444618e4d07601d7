"""gradcheck, grad (to the 3rd order), hessian, no_grad/enable_grad, detach, detect_anomaly."""

from __future__ import annotations

import gc
import inspect
import math
import re
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import pytest
from hypothesis import given
from strategies import Program, backward_grads, programs, reals, sigmoid

import autograd_lite as al
from autograd_lite import Value

# --- gradcheck ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "point"),
    [
        (lambda x: x * x, [3.0]),
        (lambda x, y: (x * y).tanh() + x.exp() / (y * y + 1), [0.3, -1.2]),
        (lambda x, y, z: al.dot([x, y], [z, z], bias=x.sigmoid()) ** 2, [0.5, -0.25, 2.0]),
        (lambda x: (x.relu() + x.abs() + x.leaky_relu()).log(), [1.5]),
    ],
)
def test_gradcheck_passes_on_correct_functions(f: Callable[..., Value], point: list[float]) -> None:
    assert al.gradcheck(f, *point) is True
    assert al.gradcheck(f, *(Value(x) for x in point)) is True


def _broken_square(x: Value) -> Value:
    """x * x with a wrong local derivative: (1, 1) instead of (x, x), so d/dx = 2, not 2x."""
    out = x * x
    out.local_grads = (1.0, 1.0)
    return out


def _table_rows(message: str) -> list[list[float]]:
    numbers = re.compile(r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)")
    return [[float(n) for n in numbers.findall(line)] for line in message.splitlines()[2:]]


def test_gradcheck_catches_a_wrong_local_derivative() -> None:
    assert _broken_square(Value(3.0)).data == 9.0  # the forward value is right
    with pytest.raises(al.GradcheckError) as info:
        al.gradcheck(_broken_square, 3.0)
    message = str(info.value)
    for column in ("input", "analytic", "numeric", "difference"):
        assert column in message
    assert "3.0" in message  # the point
    # A row with the analytic value 2, the numeric value 6 and their difference 4.
    assert any(
        len(row) >= 3 and row[-3] == 2.0 and abs(row[-2] - 6.0) < 1e-5 and abs(row[-1] - 4.0) < 1e-5
        for row in _table_rows(message)
    ), message


def test_gradcheck_table_has_a_row_per_input_and_flags_the_wrong_one() -> None:
    def f(x: Value, y: Value) -> Value:
        return _broken_square(x) + y * 5.0

    with pytest.raises(al.GradcheckError) as info:
        al.gradcheck(f, 3.0, 1.0)
    rows = _table_rows(str(info.value))
    assert len(rows) == 2
    assert rows[0][-3] == 2.0 and abs(rows[0][-2] - 6.0) < 1e-5
    assert rows[1][-3] == 5.0 and abs(rows[1][-2] - 5.0) < 1e-5


def test_gradcheck_does_not_pass_a_derivative_that_is_slightly_wrong() -> None:
    def f(x: Value) -> Value:
        out = x.exp()
        out.local_grads = (out.data * 1.01,)
        return out

    with pytest.raises(al.GradcheckError):
        al.gradcheck(f, 0.5)
    assert al.gradcheck(f, 0.5, rtol=0.05) is True  # tolerances are keyword arguments
    with pytest.raises(al.GradcheckError):
        al.gradcheck(f, 0.5, eps=1e-4, atol=1e-8, rtol=1e-6)


def test_backward_and_grad_share_one_derivative_rule_per_op(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 7: the fast float path and the differentiable path come from the same rule, so
    # a (test-local, deliberately wrong) tanh rule shows up in both once the methods are
    # generated from the patched table.
    from autograd_lite.core import codegen, engine, rules

    wrong = rules.rule("tanh(x)", "2 * x")
    monkeypatch.setitem(engine.OPS, "tanh", codegen.compile_op("tanh", wrong))
    monkeypatch.setattr(Value, "tanh", codegen.compile_method("tanh", "tanh", wrong))
    x = Value(0.5)
    x.tanh().backward()
    assert x.grad == 1.0
    assert al.grad(lambda v: v.tanh())(0.5).data == 1.0


# --- grad: derivatives to the 3rd order against closed forms ----------------------------------


def _nth(f: Callable[..., Value], path: Sequence[int]) -> Callable[..., Value]:
    """∂ⁿf/∂x_{path[-1]}…∂x_{path[0]} by nesting grad, one argnum per level."""
    for argnum in path:
        f = al.grad(f, argnums=argnum)
    return f



@dataclass(frozen=True)
class Slopes:
    """f and its first three derivatives in closed form, at points away from kinks."""

    name: str
    f: Callable[[Value], Value]
    derivatives: Callable[[float], tuple[float, float, float]]
    points: tuple[float, ...] = (-1.7, 0.0, 2.3)


def _tanh_slopes(x: float) -> tuple[float, float, float]:
    t = math.tanh(x)
    return 1 - t * t, -2 * t * (1 - t * t), -2 * (1 - t * t) * (1 - 3 * t * t)


def _sigmoid_slopes(x: float) -> tuple[float, float, float]:
    s = sigmoid(x)
    d = s * (1 - s)
    return d, d * (1 - 2 * s), d * (1 - 6 * s + 6 * s * s)


def _self_power_slopes(x: float) -> tuple[float, float, float]:
    f, g1 = x**x, math.log(x) + 1  # x**x = exp(x log x)
    return f * g1, f * (g1**2 + 1 / x), f * (g1**3 + 3 * g1 / x - 1 / x**2)


LN2 = math.log(2.0)
POSITIVE = (0.3, 1.0, 4.5)
KINKED = (-1.5, 0.5, 3.0)  # both sides of the kink at 0
SLOPES = [
    Slopes("x + c", lambda x: x + 3.0, lambda x: (1.0, 0.0, 0.0)),
    Slopes("c + x", lambda x: 3.0 + x, lambda x: (1.0, 0.0, 0.0)),
    Slopes("x - c", lambda x: x - 3.0, lambda x: (1.0, 0.0, 0.0)),
    Slopes("c - x", lambda x: 3.0 - x, lambda x: (-1.0, 0.0, 0.0)),
    Slopes("c * x", lambda x: 2.5 * x, lambda x: (2.5, 0.0, 0.0)),
    Slopes("x * c", lambda x: x * 2.5, lambda x: (2.5, 0.0, 0.0)),
    Slopes("x * x", lambda x: x * x, lambda x: (2 * x, 2.0, 0.0)),
    Slopes("x * x * x", lambda x: x * x * x, lambda x: (3 * x * x, 6 * x, 6.0)),
    Slopes("x / c", lambda x: x / 4.0, lambda x: (0.25, 0.0, 0.0)),
    Slopes(
        "c / x", lambda x: 3.0 / x, lambda x: (-3 / x**2, 6 / x**3, -18 / x**4), (-2.0, 0.5, 3.0)
    ),
    Slopes(
        "x / (x + 2)",
        lambda x: x / (x + 2.0),
        lambda x: (2 / (x + 2) ** 2, -4 / (x + 2) ** 3, 12 / (x + 2) ** 4),
        (-1.5, 0.0, 4.0),
    ),
    Slopes("-x", lambda x: -x, lambda x: (-1.0, 0.0, 0.0)),
    Slopes("x ** 3", lambda x: x**3, lambda x: (3 * x * x, 6 * x, 6.0)),
    Slopes(
        "x ** 2.5",
        lambda x: x**2.5,
        lambda x: (2.5 * x**1.5, 3.75 * x**0.5, 1.875 * x**-0.5),
        POSITIVE,
    ),
    Slopes(
        "x ** -2",
        lambda x: x**-2,
        lambda x: (-2 * x**-3, 6 * x**-4, -24 * x**-5),
        (-1.5, 0.4, 3.0),
    ),
    Slopes(
        "2 ** x",
        lambda x: 2.0**x,
        lambda x: (2**x * LN2, 2**x * LN2**2, 2**x * LN2**3),
        (-3.0, 0.0, 5.5),
    ),
    Slopes("x ** x", lambda x: x**x, _self_power_slopes, POSITIVE),
    Slopes("exp", lambda x: x.exp(), lambda x: (math.exp(x),) * 3, (-4.0, 0.0, 3.0)),
    Slopes("log", lambda x: x.log(), lambda x: (1 / x, -1 / x**2, 2 / x**3), POSITIVE),
    Slopes(
        "sqrt",
        lambda x: x.sqrt(),
        lambda x: (0.5 * x**-0.5, -0.25 * x**-1.5, 0.375 * x**-2.5),
        POSITIVE,
    ),
    Slopes("tanh", lambda x: x.tanh(), _tanh_slopes, (-2.0, 0.0, 0.7)),
    Slopes("sigmoid", lambda x: x.sigmoid(), _sigmoid_slopes, (-3.0, 0.0, 1.5)),
    Slopes("relu", lambda x: x.relu(), lambda x: (1.0 if x > 0 else 0.0, 0.0, 0.0), KINKED),
    Slopes(
        "leaky_relu",
        lambda x: x.leaky_relu(0.1),
        lambda x: (1.0 if x > 0 else 0.1, 0.0, 0.0),
        KINKED,
    ),
    Slopes("abs", lambda x: x.abs(), lambda x: (math.copysign(1.0, x), 0.0, 0.0), KINKED),
    Slopes(
        "sum",
        lambda x: al.total([x, 2.0, x, x.exp()]),
        lambda x: (2 + math.exp(x), math.exp(x), math.exp(x)),
    ),
    Slopes(
        "dot",
        lambda x: al.dot([x, x], [x * x, 2.0], bias=x),
        lambda x: (3 * x * x + 3, 6 * x, 6.0),
    ),
]


@pytest.mark.parametrize(
    ("op", "x"),
    [(op, x) for op in SLOPES for x in op.points],
    ids=[f"{op.name} at {x}" for op in SLOPES for x in op.points],
)
def test_grad_matches_closed_forms_to_the_third_order(op: Slopes, x: float) -> None:
    expected = op.derivatives(x)
    for order in (1, 2, 3):
        d = _nth(op.f, [0] * order)(x)
        assert isinstance(d, Value)
        assert d.data == pytest.approx(expected[order - 1], rel=1e-9, abs=1e-9), f"order {order}"


@dataclass(frozen=True)
class Partials:
    """f(x, y) and its partial derivatives to the 3rd order, keyed by sorted argnum path
    (missing paths are 0), at points (x, y)."""

    name: str
    f: Callable[[Value, Value], Value]
    partials: Callable[[float, float], dict[tuple[int, ...], float]]
    points: tuple[tuple[float, float], ...] = ((1.3, -0.7), (-2.0, 0.4))


def _power_partials(x: float, y: float) -> dict[tuple[int, ...], float]:
    p, lx = x**y, math.log(x)
    return {
        (0,): y * x ** (y - 1),
        (1,): p * lx,
        (0, 0): y * (y - 1) * x ** (y - 2),
        (0, 1): x ** (y - 1) * (1 + y * lx),
        (1, 1): p * lx**2,
        (0, 0, 0): y * (y - 1) * (y - 2) * x ** (y - 3),
        (0, 0, 1): x ** (y - 2) * ((2 * y - 1) + y * (y - 1) * lx),
        (0, 1, 1): x ** (y - 1) * lx * (2 + y * lx),
        (1, 1, 1): p * lx**3,
    }


PARTIALS = [
    Partials("x + y", lambda x, y: x + y, lambda x, y: {(0,): 1.0, (1,): 1.0}),
    Partials("x - y", lambda x, y: x - y, lambda x, y: {(0,): 1.0, (1,): -1.0}),
    Partials("x * y", lambda x, y: x * y, lambda x, y: {(0,): y, (1,): x, (0, 1): 1.0}),
    Partials(
        "x / y",
        lambda x, y: x / y,
        lambda x, y: {
            (0,): 1 / y,
            (1,): -x / y**2,
            (0, 1): -1 / y**2,
            (1, 1): 2 * x / y**3,
            (0, 1, 1): 2 / y**3,
            (1, 1, 1): -6 * x / y**4,
        },
    ),
    Partials(
        "x ** y",
        lambda x, y: x**y,
        _power_partials,
        ((0.5, -1.5), (2.0, 2.5), (1.7, 0.0), (3.0, 1.0)),
    ),
    Partials(
        "dot",
        lambda x, y: al.dot([x, y], [y, x]),
        lambda x, y: {(0,): 2 * y, (1,): 2 * x, (0, 1): 2.0},
    ),
    Partials("sum", lambda x, y: al.total([x, y, x]), lambda x, y: {(0,): 2.0, (1,): 1.0}),
]


@pytest.mark.parametrize(
    ("op", "point"),
    [(op, p) for op in PARTIALS for p in op.points],
    ids=[f"{op.name} at {p}" for op in PARTIALS for p in op.points],
)
def test_grad_partials_match_closed_forms_to_the_third_order_in_any_order(
    op: Partials, point: tuple[float, float]
) -> None:
    expected = op.partials(*point)
    for order in (1, 2, 3):
        for path in product((0, 1), repeat=order):  # (0, 1) and (1, 0): mixed partials agree
            got = _nth(op.f, path)(*point).data
            want = expected.get(tuple(sorted(path)), 0.0)
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), f"path {path}"


def test_grad_of_grad_is_the_second_derivative() -> None:
    def f(x: Value) -> Value:
        return x**3

    assert al.grad(al.grad(f))(2.0).data == 12.0
    assert al.grad(al.grad(al.grad(f)))(2.0).data == 6.0


def test_third_derivative_of_a_square_at_zero_is_zero() -> None:
    assert al.grad(al.grad(lambda x: x**2))(0.0).data == 2.0
    assert al.grad(al.grad(al.grad(lambda x: x**2)))(0.0).data == 0.0


def test_grad_returns_differentiable_values_and_leaves_inputs_alone() -> None:
    x = Value(2.0)
    d = al.grad(lambda v: v * v * v)(x)
    assert isinstance(d, Value) and d.data == 12.0
    assert d.inputs  # it has history
    assert x.grad == 0.0  # grad does not write .grad


def test_grad_with_several_argnums_returns_a_tuple() -> None:
    def f(x: Value, y: Value, z: Value) -> Value:
        return x * y * y + z.exp()

    both = al.grad(f, argnums=(0, 2))(2.0, 3.0, 0.0)
    assert isinstance(both, tuple) and len(both) == 2
    assert [d.data for d in both] == [9.0, 1.0]
    (only,) = al.grad(f, argnums=(1,))(2.0, 3.0, 0.0)
    assert only.data == 12.0
    assert al.grad(f, argnums=1)(2.0, 3.0, 0.0).data == 12.0


def test_grad_treats_a_value_argument_with_history_as_the_variable() -> None:
    # ∂f/∂v at v = the argument; the history below v is not differentiated through.
    h = Value(1.5) * 2.0
    assert al.grad(lambda v: v * v)(h).data == 6.0
    s = Value(0.0).sqrt()  # sqrt'(0) = inf lies below s, not between s and f(s)
    assert al.grad(lambda v: v * 3.0)(s).data == 3.0


@pytest.mark.parametrize("argnum", [2, 5, -3])
def test_grad_names_an_argnum_out_of_range(argnum: int) -> None:
    with pytest.raises(IndexError, match=rf"grad: argnum {argnum} is out of range for 2 arg"):
        al.grad(lambda x, y: x * y, argnums=argnum)(1.0, 2.0)
    with pytest.raises(IndexError, match="out of range"):
        al.grad(lambda x, y: x * y, argnums=(0, argnum))(1.0, 2.0)


@pytest.mark.parametrize("argnums", [(0, -2), (-1, 1), (1, -1, 0)])
def test_grad_refuses_argnums_that_name_an_argument_twice_once_negatives_are_read(
    argnums: tuple[int, ...],
) -> None:
    # as torch.func: -2 of two arguments is argument 0, so (0, -2) lists it twice
    with pytest.raises(ValueError, match=r"lists an argument twice .* must be unique"):
        al.grad(lambda x, y: x * y * y, argnums=argnums)(2.0, 4.0)
    with pytest.raises(ValueError, match="unique"):
        al.grad(lambda x, y: x * y, argnums=(1, 1))
    with pytest.raises(TypeError, match="argnums must be an int or a sequence of ints"):
        al.grad(lambda x, y: x * y, argnums=True)  # type: ignore[arg-type]
    dx, dy = al.grad(lambda x, y: x * y * y, argnums=(0, -1))(2.0, 4.0)
    assert (dx.data, dy.data) == (16.0, 16.0)


def test_grad_of_an_unused_argument_is_zero() -> None:
    assert al.grad(lambda x, y: y * y, argnums=0)(1.0, 2.0).data == 0.0


@pytest.mark.parametrize(
    "f",
    [lambda x: 3.0, lambda x: x.data, lambda x: (x, x), lambda x: [x * x], lambda x: None],
    ids=["float", "data", "tuple", "list", "None"],
)
def test_grad_and_hessian_need_f_to_return_a_single_value(f: Callable[[Value], object]) -> None:
    with pytest.raises(TypeError, match="Value"):
        al.grad(f)(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Value"):
        al.hessian(f)(1.0)  # type: ignore[arg-type]


@given(programs())
def test_grad_agrees_with_backward_on_random_dags(program: Program) -> None:
    program = program.checked()
    expected, _ = backward_grads(program, program.leaves)
    got = al.grad(program, argnums=tuple(range(len(program.leaves))))(*program.leaves)
    assert [d.data for d in got] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_a_dropped_higher_order_graph_is_freed_at_once() -> None:
    gc.disable()
    try:
        x = Value(0.7)
        d2 = al.grad(al.grad(lambda v: (v * v).tanh() * v.exp()))(x)
        ref = weakref.ref(d2)
        del d2
        assert ref() is None
    finally:
        gc.enable()


# --- hessian ---------------------------------------------------------------------------------


def _numeric_hessian(f: Callable[..., Value], xs: Sequence[float]) -> list[list[float]]:
    """H[i][j] ≈ ∂gᵢ/∂xⱼ by central differences of g = the backward() gradient."""
    columns = []
    for j in range(len(xs)):
        h = 1e-5 * max(1.0, abs(xs[j]))
        up, down = list(xs), list(xs)
        up[j] += h
        down[j] -= h
        g_up, _ = backward_grads(f, up)
        g_down, _ = backward_grads(f, down)
        columns.append([(a - b) / (up[j] - down[j]) for a, b in zip(g_up, g_down)])
    return [[columns[j][i] for j in range(len(xs))] for i in range(len(xs))]


def _assert_hessian_matches(f: Callable[..., Value], xs: Sequence[float]) -> None:
    hess = al.hessian(f)(*xs)
    numeric = _numeric_hessian(f, xs)
    grads, _ = backward_grads(f, xs)
    scale = 1.0 + max(abs(g) for g in grads)
    for i, j in product(range(len(xs)), repeat=2):
        tol = 1e-4 * abs(numeric[i][j]) + 1e-6 * scale
        assert abs(hess[i][j] - numeric[i][j]) <= tol, (i, j, hess, numeric)


def _smooth(x: Value, y: Value, z: Value) -> Value:
    return (
        x * y.exp()
        + (x * x + z * z + 1).log() * y.tanh()
        + z.sigmoid() * x**3
        + (x * x + 1).sqrt() / (y * y + 2)
        + (z * z + 0.5) ** y.sigmoid()
        - 2.0 ** (x * z)
    )


@given(reals(-1.5, 1.5), reals(-1.5, 1.5), reals(-1.5, 1.5))
def test_hessian_matches_central_differences_of_the_gradient(x: float, y: float, z: float) -> None:
    _assert_hessian_matches(_smooth, [x, y, z])


@given(programs(max_steps=8))
def test_hessian_of_random_dags_matches_central_differences_of_the_gradient(
    program: Program,
) -> None:
    program = program.checked()
    _assert_hessian_matches(program, program.leaves)


@given(reals(-1.5, 1.5), reals(-1.5, 1.5), reals(-1.5, 1.5))
def test_hessian_is_symmetric_and_made_of_floats(x: float, y: float, z: float) -> None:
    hess = al.hessian(_smooth)(x, y, z)
    assert isinstance(hess, list) and len(hess) == 3
    assert all(isinstance(row, list) and len(row) == 3 for row in hess)
    assert all(type(h) is float for row in hess for h in row)
    for i, j in product(range(3), repeat=2):
        assert hess[i][j] == pytest.approx(hess[j][i], rel=1e-9, abs=1e-12)


def test_hessian_of_a_quadratic_is_its_matrix() -> None:
    def f(x: Value, y: Value) -> Value:
        return 3 * x * x + 2 * x * y - y * y + x - 7

    assert al.hessian(f)(0.5, -4.0) == [[6.0, 2.0], [2.0, -2.0]]


# --- no_grad, enable_grad and detach ---------------------------------------------------------


def _one_of_each(x: Value, y: Value) -> list[Value]:
    return [
        x + y, x - 1, 2 * y, x / y, x**2, x**y, 2**x, -x, x.exp(), x.log(), x.sqrt(), x.tanh(),
        x.sigmoid(), x.relu(), x.leaky_relu(), x.abs(), al.total([x, y, 3]), al.dot([x], [y], x),
    ]  # fmt: skip


def test_no_grad_builds_no_graph() -> None:
    x, y = Value(1.5), Value(0.5)
    recorded = _one_of_each(x, y)
    with al.no_grad():
        assert not al.is_grad_enabled()
        untracked = _one_of_each(x, y)
    assert all(out.inputs for out in recorded)
    for out, ref in zip(untracked, recorded):
        assert out.inputs == () and out.local_grads == ()
        assert out.data == ref.data  # same values, no history


def test_no_grad_leaks_no_gradient() -> None:
    x = Value(2.0)
    with al.no_grad():
        c = x * 3.0
    out = c * x
    out.backward()
    assert x.grad == 6.0  # c counts as a constant: d(c·x)/dx = c, not 2·3·x
    assert c.grad == 2.0  # c is a leaf of its own


def test_no_grad_nests_and_restores_the_outer_mode() -> None:
    x = Value(1.0)
    with al.no_grad():
        with al.no_grad():
            assert (x * 2).inputs == ()
        assert (x * 2).inputs == ()
        with al.enable_grad():
            assert al.is_grad_enabled()
            assert (x * 2).inputs == (x, 2.0)
        assert (x * 2).inputs == ()
    assert al.is_grad_enabled()
    assert (x * 2).inputs == (x, 2.0)


def test_no_grad_is_restored_after_an_exception_inside_it() -> None:
    x = Value(-1.0)
    with pytest.raises(ValueError, match="log"), al.no_grad():
        x.log()  # a domain error is still raised at the forward op
    assert al.is_grad_enabled()
    with pytest.raises(KeyError), al.no_grad(), al.no_grad():
        raise KeyError("inner")
    assert al.is_grad_enabled()
    assert (x * 2).inputs == (x, 2.0)


def test_no_grad_in_one_thread_does_not_affect_another() -> None:
    both_inside = threading.Barrier(2, timeout=30)
    both_done = threading.Barrier(2, timeout=30)
    inputs: dict[str, tuple[object, ...]] = {}
    errors: list[BaseException] = []

    def run(name: str, quiet: bool) -> None:
        try:
            x = Value(1.0)
            if quiet:
                with al.no_grad():
                    both_inside.wait()
                    inputs[name] = (x * 2).inputs
                    both_done.wait()
            else:
                both_inside.wait()  # the other thread is inside no_grad now
                inputs[name] = (x * 2).inputs
                both_done.wait()
        except BaseException as e:  # report it to the main thread
            errors.append(e)

    threads = [
        threading.Thread(target=run, args=("quiet", True)),
        threading.Thread(target=run, args=("loud", False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert inputs["quiet"] == ()
    assert len(inputs["loud"]) == 2


def test_detach_has_the_same_data_and_no_history() -> None:
    x = Value(2.0)
    y = (x * 3).tanh()
    d = y.detach()
    assert d is not y
    assert d.data == y.data
    assert d.inputs == () and d.local_grads == ()
    assert d.grad == 0.0


def test_detach_leaks_no_gradient() -> None:
    x = Value(2.0)
    y = x * x
    out = y.detach() * x
    out.backward()
    assert x.grad == 4.0  # y.detach() is the constant 4, not x²
    assert y.grad == 0.0


# --- detect_anomaly ----------------------------------------------------------------------------

THIS_FILE = Path(__file__).name


def _line() -> int:
    """The caller's line number."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def test_detect_anomaly_names_the_op_and_the_line_that_made_the_node() -> None:
    x = Value(0.0)
    with al.detect_anomaly():
        y = x.sqrt()
        line = _line() - 1
        z = y * 2.0
        with pytest.raises(FloatingPointError) as info:
            z.backward()
    message = str(info.value)
    assert "sqrt" in message
    assert f"{THIS_FILE}:{line}" in message


def test_without_detect_anomaly_the_same_backward_gives_inf() -> None:
    x = Value(0.0)
    y = x.sqrt()
    z = y * 2.0
    z.backward()  # no error, as in PyTorch: sqrt′(0) · 2 = inf
    assert x.grad == math.inf


def test_detect_anomaly_stops_at_the_first_non_finite_gradient() -> None:
    x = Value(0.0)
    with al.detect_anomaly():
        inner = x.sqrt()
        outer = inner.sqrt()
        line = _line() - 1
        z = outer * 2.0
        with pytest.raises(FloatingPointError) as info:
            z.backward()
    assert f"{THIS_FILE}:{line}" in str(info.value)
    assert inner.grad == 0.0  # backward stopped before it reached inner's inputs


def test_detect_anomaly_gives_no_site_for_nodes_made_outside_it() -> None:
    x = Value(0.0)
    y = x.sqrt()
    z = y * 2.0
    with pytest.raises(FloatingPointError, match="sqrt") as info, al.detect_anomaly():
        z.backward()
    assert THIS_FILE not in str(info.value)


def test_detect_anomaly_catches_a_gradient_that_overflows_as_contributions_add_up() -> None:
    x = Value(1e-300)
    with al.detect_anomaly():
        out = x * 1e308 + x * 1e308  # out = 2e8; each path gives ∂out/∂x = 1e308
        with pytest.raises(FloatingPointError, match=r"\*"):
            out.backward()  # 1e308 + 1e308 = inf


def test_detect_anomaly_is_restored_after_an_exception_inside_it() -> None:
    with pytest.raises(KeyError), al.detect_anomaly():
        raise KeyError("inner")
    x = Value(0.0)
    z = x.sqrt() * 2.0
    z.backward()  # the mode is off again: no error
    assert x.grad == math.inf


@given(programs())
def test_detect_anomaly_gives_the_same_finite_gradients(program: Program) -> None:
    program = program.checked()
    expected, _ = backward_grads(program, program.leaves)
    with al.detect_anomaly():
        got, _ = backward_grads(program, program.leaves)
    assert got == expected


def test_detect_anomaly_keeps_no_node_alive() -> None:
    gc.disable()
    try:
        with al.detect_anomaly():
            x = Value(0.5)
            hidden = x.exp()
            out = hidden * x
            out.backward()
            refs = weakref.ref(out), weakref.ref(hidden)
            del out, hidden
            assert [r() for r in refs] == [None, None]
    finally:
        gc.enable()


# --- grad(grad(f)) against central differences of grad(f), with captured Values --------------


def _assert_derivative_matches(g: Callable[[float], float], dg: float, x: float) -> None:
    """dg ≈ (g(x + h) − g(x − h)) / 2h, with room for rounding in g."""
    h = 1e-5 * max(1.0, abs(x))
    numeric = (g(x + h) - g(x - h)) / (2 * h)
    assert abs(dg - numeric) <= 1e-4 * abs(numeric) + 1e-6 * (1.0 + abs(g(x))), (dg, numeric)


@given(programs(max_leaves=3, max_steps=8))
def test_grad_of_grad_matches_central_differences_when_f_captures_outside_values(
    program: Program,
) -> None:
    # f(x) = P(x, c₁, c₂): the c's are Values from outside f, as a model's parameters are.
    program = program.checked()
    x0, *rest = program.leaves
    captured = [Value(c) for c in rest]

    def f(x: Value) -> Value:
        return program(x, *captured)

    def g(x: float) -> float:
        return float(al.grad(f)(x).data)

    _assert_derivative_matches(g, al.grad(al.grad(f))(x0).data, x0)
    assert all(c.grad == 0.0 for c in captured)  # grad never writes .grad


@given(programs(max_leaves=3, max_steps=8))
def test_grad_of_a_function_whose_inner_grad_captures_the_outer_variable(
    program: Program,
) -> None:
    # F(x) = ∂P(y, x, c)/∂y at y = x: the inner grad must treat its own argument y as a
    # variable distinct from the captured x (no perturbation confusion). The reference
    # for ∂P/∂y is backward() on three separate leaves, independent of grad.
    x0, *rest = program.leaves
    c = rest[0] if rest else 0.7
    program = Program((x0, x0, c), program.steps).checked()  # admissible at y = x = x0
    captured = Value(c)

    def F(x: Value) -> Value:
        return al.grad(lambda y: program(y, x, captured))(x)  # type: ignore[no-any-return]

    def dP_dy(x: float) -> float:
        return backward_grads(program, [x, x, c])[0][0]

    assert F(Value(x0)).data == pytest.approx(dP_dy(x0), rel=1e-9, abs=1e-12)
    _assert_derivative_matches(dP_dy, al.grad(F)(x0).data, x0)


def test_a_gradient_graph_keeps_its_first_terms_as_they_are() -> None:
    # 0.0 + term would add a node that computes nothing, one per input of every node.
    def f(x: Value) -> Value:
        y = x
        for _ in range(20):
            y = (y * 0.9 + 0.1).tanh()
        return y

    d2 = al.grad(al.grad(f))(0.3)
    constant_adds = [
        n for n in al.topological_order(d2)
        if n.op == "+" and any(c.__class__ is float and c == 0.0 for c in n.inputs)
    ]  # fmt: skip
    # left: the fresh variables' x + 0.0, one per grad, and the first terms sent by each
    # gradient graph's root (a float 1.0 upstream takes propagate's fast loop); there were
    # 64 before terms were kept as they are
    assert len(constant_adds) <= 6
