"""Every op's value and derivative: closed forms, central differences, kinks, stability.

Each op is checked two independent ways on hypothesis floats away from its kinks and
poles: against the closed-form derivative, and against a central difference of the
forward pass (which uses no derivative rule). A wrong local derivative fails both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    Program,
    assert_matches_central_difference,
    away_from_zero,
    positives,
    programs,
    reals,
    sigmoid,
)

import autograd_lite as al
from autograd_lite import Value


@dataclass(frozen=True)
class Unary:
    """out = f(x) for one Value x (constants may sit on either side of the op)."""

    name: str
    f: Callable[[Value], Value]
    value: Callable[[float], float]  # closed form of f
    slope: Callable[[float], float]  # closed form of f'
    domain: st.SearchStrategy[float]


UNARY = [
    Unary("x + c", lambda x: x + 3.0, lambda x: x + 3.0, lambda x: 1.0, reals()),
    Unary("c + x", lambda x: 3 + x, lambda x: 3.0 + x, lambda x: 1.0, reals()),
    Unary("x - c", lambda x: x - 3.0, lambda x: x - 3.0, lambda x: 1.0, reals()),
    Unary("c - x", lambda x: 3.0 - x, lambda x: 3.0 - x, lambda x: -1.0, reals()),
    Unary("x * c", lambda x: x * 2.5, lambda x: 2.5 * x, lambda x: 2.5, reals()),
    Unary("c * x", lambda x: -2.5 * x, lambda x: -2.5 * x, lambda x: -2.5, reals()),
    Unary("x / c", lambda x: x / 4.0, lambda x: x / 4.0, lambda x: 0.25, reals()),
    Unary("c / x", lambda x: 3.0 / x, lambda x: 3.0 / x, lambda x: -3.0 / x**2, away_from_zero()),
    Unary("x * x", lambda x: x * x, lambda x: x * x, lambda x: 2 * x, reals()),
    Unary("x / x", lambda x: x / x, lambda x: 1.0, lambda x: 0.0, away_from_zero()),
    Unary("x - x", lambda x: x - x, lambda x: 0.0, lambda x: 0.0, reals()),
    Unary("-x", lambda x: -x, lambda x: -x, lambda x: -1.0, reals()),
    Unary("x ** 3", lambda x: x**3, lambda x: x**3, lambda x: 3 * x**2, reals()),
    Unary("x ** 2.5", lambda x: x**2.5, lambda x: x**2.5, lambda x: 2.5 * x**1.5, positives()),
    Unary("x ** 0.5", lambda x: x**0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x), positives()),
    Unary("x ** -2", lambda x: x**-2, lambda x: x**-2, lambda x: -2 * x**-3, away_from_zero()),
    Unary("x ** 0", lambda x: x**0, lambda x: 1.0, lambda x: 0.0, away_from_zero()),
    Unary(
        "2 ** x",
        lambda x: 2.0**x,
        lambda x: 2.0**x,
        lambda x: 2.0**x * math.log(2.0),
        reals(-20, 20),
    ),
    Unary(
        "0.5 ** x",
        lambda x: 0.5**x,
        lambda x: 0.5**x,
        lambda x: 0.5**x * math.log(0.5),
        reals(-20, 20),
    ),
    Unary(
        "x ** x",
        lambda x: x**x,
        lambda x: x**x,
        lambda x: x**x * (math.log(x) + 1),
        positives(0.1, 5.0),
    ),
    Unary("exp", lambda x: x.exp(), math.exp, math.exp, reals(-20, 20)),
    Unary("log", lambda x: x.log(), math.log, lambda x: 1 / x, positives(1e-2, 1e3)),
    Unary("sqrt", lambda x: x.sqrt(), math.sqrt, lambda x: 0.5 * x**-0.5, positives(1e-2, 1e3)),
    Unary("tanh", lambda x: x.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2, reals(-10, 10)),
    Unary(
        "sigmoid",
        lambda x: x.sigmoid(),
        sigmoid,
        lambda x: sigmoid(x) * (1 - sigmoid(x)),
        reals(-20, 20),
    ),
    Unary(
        "relu",
        lambda x: x.relu(),
        lambda x: max(x, 0.0),
        lambda x: 1.0 if x > 0 else 0.0,
        away_from_zero(),
    ),
    Unary(
        "leaky_relu",
        lambda x: x.leaky_relu(),
        lambda x: x if x > 0 else 0.01 * x,
        lambda x: 1.0 if x > 0 else 0.01,
        away_from_zero(),
    ),
    Unary(
        "leaky_relu(0.2)",
        lambda x: x.leaky_relu(0.2),
        lambda x: x if x > 0 else 0.2 * x,
        lambda x: 1.0 if x > 0 else 0.2,
        away_from_zero(),
    ),
    Unary("abs", lambda x: x.abs(), abs, lambda x: math.copysign(1.0, x), away_from_zero()),
    Unary(
        "sum",
        lambda x: al.total([x, 2.0, x, x * x]),
        lambda x: 2 * x + 2.0 + x * x,
        lambda x: 2 + 2 * x,
        reals(),
    ),
    Unary(
        "dot",
        lambda x: al.dot([x, 3.0], [x, x], bias=x),
        lambda x: x * x + 3 * x + x,
        lambda x: 2 * x + 4,
        reals(),
    ),
]


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
@given(data=st.data())
def test_op_value_and_derivative_match_closed_form_and_central_difference(
    op: Unary, data: st.DataObject
) -> None:
    x = data.draw(op.domain, label="x")
    leaf = Value(x)
    out = op.f(leaf)
    out.backward()
    assert type(out.data) is float
    assert out.data == pytest.approx(op.value(x), rel=1e-12, abs=1e-12)
    assert leaf.grad == pytest.approx(op.slope(x), rel=1e-9, abs=1e-12)
    assert_matches_central_difference(op.f, [x])


@dataclass(frozen=True)
class Binary:
    """out = f(x, y) for two Values."""

    name: str
    f: Callable[[Value, Value], Value]
    partials: Callable[[float, float], tuple[float, float]]  # (∂f/∂x, ∂f/∂y)
    x: st.SearchStrategy[float]
    y: st.SearchStrategy[float]


BINARY = [
    Binary("x + y", lambda x, y: x + y, lambda x, y: (1.0, 1.0), reals(), reals()),
    Binary("x - y", lambda x, y: x - y, lambda x, y: (1.0, -1.0), reals(), reals()),
    Binary("x * y", lambda x, y: x * y, lambda x, y: (y, x), reals(), reals()),
    Binary("x / y", lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2), reals(), away_from_zero()),
    Binary(
        "x ** y",
        lambda x, y: x**y,
        lambda x, y: (y * x ** (y - 1), x**y * math.log(x)),
        positives(0.1, 5.0),
        reals(-3, 3),
    ),
    Binary("sum", lambda x, y: al.total([x, y, y]), lambda x, y: (1.0, 2.0), reals(), reals()),
    Binary(
        "dot",
        lambda x, y: al.dot([x, y], [y, 2.0], bias=x),
        lambda x, y: (y + 1, x + 2),
        reals(),
        reals(),
    ),
]


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
@given(data=st.data())
def test_binary_op_partials_match_closed_form_and_central_difference(
    op: Binary, data: st.DataObject
) -> None:
    x = data.draw(op.x, label="x")
    y = data.draw(op.y, label="y")
    a, b = Value(x), Value(y)
    op.f(a, b).backward()
    dx, dy = op.partials(x, y)
    assert a.grad == pytest.approx(dx, rel=1e-9, abs=1e-12)
    assert b.grad == pytest.approx(dy, rel=1e-9, abs=1e-12)
    assert_matches_central_difference(op.f, [x, y])


@given(st.lists(reals(), min_size=1, max_size=20), st.data())
def test_sum_gradient_is_the_number_of_times_each_term_appears(
    xs: list[float], data: st.DataObject
) -> None:
    leaves = [Value(x) for x in xs]
    picks = data.draw(st.lists(st.integers(0, len(xs) - 1), min_size=1, max_size=40))
    s = al.total(leaves[i] for i in picks)
    s.backward()
    assert s.data == pytest.approx(math.fsum(xs[i] for i in picks), abs=1e-9)
    assert [v.grad for v in leaves] == [float(picks.count(i)) for i in range(len(xs))]


_DOT_OPERANDS = st.integers(1, 10).flatmap(
    lambda n: st.lists(reals(), min_size=2 * n + 1, max_size=2 * n + 1)
)


@given(_DOT_OPERANDS)
def test_dot_gradients_are_the_other_factor_and_one_for_the_bias(zs: list[float]) -> None:
    n = len(zs) // 2
    ws = [Value(z) for z in zs[:n]]
    xs = [Value(z) for z in zs[n : 2 * n]]
    bias = Value(zs[-1])
    out = al.dot(ws, xs, bias=bias)
    out.backward()
    assert out.data == pytest.approx(math.fsum(w.data * x.data for w, x in zip(ws, xs)) + zs[-1])
    assert [w.grad for w in ws] == [x.data for x in xs]
    assert [x.grad for x in xs] == [w.data for w in ws]
    assert bias.grad == 1.0
    assert_matches_central_difference(lambda *vs: al.dot(vs[:n], vs[n : 2 * n], vs[-1]), zs)


@given(programs())
def test_random_dag_gradients_match_central_differences(program: Program) -> None:
    program = program.checked()
    assert_matches_central_difference(program, program.leaves, rtol=1e-4, atol=1e-5)


@given(programs())
def test_gradcheck_agrees_on_random_dags(program: Program) -> None:
    program = program.checked()
    assert al.gradcheck(program, *program.leaves) is True


# --- kinks: the documented conventions, the same as PyTorch's ------------------------------


def _grad_at(f: Callable[[Value], Value], x: float) -> float:
    leaf = Value(x)
    f(leaf).backward()
    return leaf.grad


def test_relu_gate_is_zero_at_zero() -> None:
    out = Value(0.0).relu()
    assert out.data == 0.0
    assert out.local_grads == (0.0,)
    assert _grad_at(lambda x: x.relu(), 0.0) == 0.0


@given(reals(-1e3, 1e3))
def test_relu_records_its_gate(x: float) -> None:
    gate = Value(x).relu().local_grads
    assert gate == ((1.0,) if x > 0 else (0.0,))
    assert type(gate[0]) is float


def test_relu_gate_is_open_for_the_smallest_positive_input() -> None:
    assert Value(5e-324).relu().local_grads == (1.0,)


def test_leaky_relu_slope_at_zero_is_the_slope() -> None:
    assert _grad_at(lambda x: x.leaky_relu(), 0.0) == 0.01
    assert _grad_at(lambda x: x.leaky_relu(0.2), 0.0) == 0.2


def test_abs_slope_at_zero_is_zero() -> None:
    assert Value(0.0).abs().data == 0.0
    assert _grad_at(lambda x: x.abs(), 0.0) == 0.0


def test_sqrt_slope_at_zero_is_inf() -> None:
    out = Value(0.0).sqrt()
    assert out.data == 0.0
    assert out.local_grads == (math.inf,)
    assert _grad_at(lambda x: x.sqrt(), 0.0) == math.inf


def test_square_slope_at_zero_is_zero() -> None:
    assert _grad_at(lambda x: x**2, 0.0) == 0.0
    assert _grad_at(lambda x: x * x, 0.0) == 0.0


def test_pow_zero_exponent_is_constant_so_its_slope_at_zero_is_zero() -> None:
    # x ** 0 = 1 for every x, so d/dx = 0 everywhere, x = 0 included (PyTorch gives 0 too).
    assert _grad_at(lambda x: x**0, 0.0) == 0.0


def test_pow_with_finite_result_records_an_overflowing_slope_instead_of_raising() -> None:
    # 0.5 ** -1023 = 2**1023 is finite; its slope -1023 * 2**1024 is not. As with
    # sqrt'(0) = inf, the forward op succeeds and the local derivative is infinite.
    out = Value(0.5) ** -1023
    assert out.data == 2.0**1023
    assert math.isinf(out.local_grads[0])
    small = Value(1e-310) ** 1e-4
    assert small.data == pytest.approx(1e-310**1e-4)
    assert math.isinf(small.local_grads[0])


# --- stability: sigmoid and tanh never overflow ---------------------------------------------


@pytest.mark.parametrize("x", [1e4, -1e4, 800.0, -800.0, 1e308, -1e308])
def test_sigmoid_and_tanh_reach_their_limits_exactly_without_overflow(x: float) -> None:
    s, t = Value(x).sigmoid(), Value(x).tanh()
    assert s.data == (1.0 if x > 0 else 0.0)
    assert t.data == math.copysign(1.0, x)
    assert _grad_at(lambda v: v.sigmoid(), x) == 0.0
    assert _grad_at(lambda v: v.tanh(), x) == 0.0


@given(reals(-1e4, 1e4))
def test_sigmoid_and_tanh_stay_in_range_with_finite_slopes(x: float) -> None:
    s, t = Value(x).sigmoid(), Value(x).tanh()
    assert 0.0 <= s.data <= 1.0
    assert -1.0 <= t.data <= 1.0
    assert 0.0 <= s.local_grads[0] <= 0.25
    assert 0.0 <= t.local_grads[0] <= 1.0


@given(reals(-700, 700))
def test_sigmoid_is_symmetric(x: float) -> None:
    assert Value(x).sigmoid().data + Value(-x).sigmoid().data == pytest.approx(1.0, abs=1e-15)


def test_central_difference_reference_catches_a_wrong_local_derivative() -> None:
    # The reference can fail: a test-local tanh whose rule is 1 - out (not 1 - out²).
    def broken_tanh(x: Value) -> Value:
        out = x.tanh()
        out.local_grads = (1.0 - out.data,)
        return out

    assert_matches_central_difference(lambda x: x.tanh(), [0.7])
    with pytest.raises(AssertionError, match="central difference"):
        assert_matches_central_difference(broken_tanh, [0.7])


def test_leaky_relu_slope_is_differentiable_when_it_is_a_value() -> None:
    # ∂/∂slope of (x if x > 0 else slope·x) is x on the closed side, 0 on the open side.
    x, slope = Value(-2.0), Value(0.1)
    x.leaky_relu(slope).backward()
    assert (x.grad, slope.grad) == (0.1, -2.0)
    y, open_slope = Value(3.0), Value(0.1)
    y.leaky_relu(open_slope).backward()
    assert (y.grad, open_slope.grad) == (1.0, 0.0)


@pytest.mark.parametrize("power", [0.5, 0.25, 1 / 3])
def test_pow_slope_at_zero_is_inf_for_powers_between_zero_and_one(power: float) -> None:
    x = Value(0.0)
    (x**power).backward()
    assert x.grad == math.inf  # like sqrt′(0): the honest limit of y·x^(y−1)
