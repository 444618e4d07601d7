"""Rare paths that once gave a wrong gradient with no error (issue 10), each checked against
what PyTorch (float64) gives, or against the documented convention where we differ."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Value
from autograd_lite.core import nary

# --- grad: each argument is a fresh variable (no "perturbation confusion") -------------------


def test_grad_of_an_argument_that_f_also_captures_counts_only_the_argument() -> None:
    x = Value(3.0)
    assert al.grad(lambda y: x * y)(x).data == 3.0  # not 6: f's own x is a constant to it


def test_grad_of_grad_with_the_outer_variable_captured_inside_is_one() -> None:
    assert al.grad(lambda x: al.grad(lambda y: x * y)(x))(3.0).data == 1.0  # not 2


def test_grad_of_one_value_passed_twice_treats_the_two_arguments_as_two_variables() -> None:
    v = Value(3.0)
    da, db = al.grad(lambda a, b: a * b, argnums=(0, 1))(v, v)
    assert (da.data, db.data) == (3.0, 3.0)  # not (6, 6)


def test_grad_result_still_carries_history_to_the_callers_value() -> None:
    x = Value(2.0)
    d = al.grad(lambda y: y * y * x)(x)  # ∂/∂y (y²x) = 2yx, at y = x: 2x²
    assert d.data == 8.0
    d.backward()  # d(2x²)/dx through the fresh variable's history = 4x
    assert x.grad == 8.0


def test_grad_refuses_an_argument_listed_twice_in_argnums() -> None:
    with pytest.raises(ValueError, match="twice"):
        al.grad(lambda a, b: a * b, argnums=(0, 0))(1.0, 2.0)


# --- grad, hessian and gradcheck record their own graph whatever the caller's mode ----------


def test_grad_hessian_and_gradcheck_work_inside_no_grad() -> None:
    with al.no_grad():
        assert al.grad(lambda x: x * x)(3.0).data == 6.0
        assert al.grad(al.grad(lambda x: x**3))(2.0).data == 12.0
        assert al.hessian(lambda x, y: x * x * y)(1.0, 2.0) == [[4.0, 2.0], [2.0, 0.0]]
        assert al.gradcheck(lambda x: x.tanh() * x, 0.3) is True
        assert not al.is_grad_enabled()  # and the caller's mode is untouched
        assert (Value(1.0) * 2.0).inputs == ()


# --- grad follows only the paths that reach a requested variable -----------------------------


def test_grad_ignores_an_infinite_slope_on_a_branch_that_never_reaches_the_variable() -> None:
    assert al.grad(lambda x, y: x * y + y.sqrt(), 0)(1.0, 0.0).data == 0.0
    x, y = Value(1.0), Value(0.0)
    (x * y + y.sqrt()).backward()
    assert x.grad == 0.0  # backward agrees (and torch gives 0.0)


def test_grad_through_an_infinite_slope_on_the_path_is_an_error() -> None:
    with pytest.raises(FloatingPointError, match="sqrt"):
        al.grad(lambda x: x.sqrt())(0.0)


# --- the math module cannot silently drop the graph -----------------------------------------


@pytest.mark.parametrize(
    "function", [math.exp, math.tanh, math.sin, math.log, math.sqrt, math.isfinite, float]
)
def test_a_math_function_on_a_value_is_a_type_error_that_says_what_to_use(
    function: Callable[[float], object],
) -> None:
    x = Value(0.5)
    with pytest.raises(TypeError, match=r"x\.exp\(\).*x\.data \(or x\.item\(\)\)"):
        function(x)  # type: ignore[arg-type]
    assert x.grad == 0.0 and x.inputs == ()


def test_the_number_is_easy_to_get() -> None:
    x = Value(0.5)
    assert x.data == 0.5 and x.item() == 0.5 and math.exp(x.item()) == math.exp(0.5)


# --- abs and unary plus ----------------------------------------------------------------------


def test_abs_of_a_value_is_the_abs_op() -> None:
    x = Value(-2.0)
    out = abs(x)
    assert out.op == "abs" and out.data == 2.0
    out.backward()
    assert x.grad == -1.0


def test_unary_plus_returns_the_value_itself() -> None:
    x = Value(-2.0)
    assert +x is x


# --- pow's slope at subnormal inputs ---------------------------------------------------------


@pytest.mark.parametrize("x", [5e-324, -5e-324, 1e-310, 0.0, -0.0])
@pytest.mark.parametrize("zero", [0, 0.0])
def test_the_slope_of_x_to_the_zero_is_zero_everywhere(x: float, zero: float) -> None:
    v = Value(x)
    (v**zero).backward()
    assert v.grad == 0.0  # torch: 0.0; 0·x⁻¹ would be 0·inf = NaN
    assert al.grad(lambda v: v**zero)(x).data == 0.0


def test_pow_slopes_at_a_subnormal_base_and_a_value_exponent_of_zero() -> None:
    x, y = Value(5e-324), Value(0.0)
    (x**y).backward()
    assert x.grad == 0.0  # torch: 0.0
    assert y.grad == math.log(5e-324)  # torch: -744.4400719213812


# --- signed zero -----------------------------------------------------------------------------


def test_sqrt_slope_at_negative_zero_is_minus_inf_as_in_torch() -> None:
    v = Value(-0.0)
    v.sqrt().backward()
    assert v.grad == -math.inf
    w = Value(0.0)
    w.sqrt().backward()
    assert w.grad == math.inf


def test_pow_one_half_slope_at_negative_zero_is_plus_inf_as_ieee_pow_has_it() -> None:
    # The documented difference: torch gives −inf here (it computes x**0.5 as sqrt); we use
    # ½·x^(−½) with IEEE pow, for which (−0)^(−½) = +inf. README: conventions.
    v = Value(-0.0)
    (v**0.5).backward()
    assert v.grad == math.inf


# --- the zero rule: a zero sends nothing back -----------------------------------------------


def test_a_zero_upstream_gradient_sends_nothing_through_an_infinite_slope() -> None:
    x = Value(0.0)
    (x.sqrt() * 0.0).backward()
    assert x.grad == 0.0  # the true derivative of sqrt(x)·0 is 0 (torch: NaN)


def test_a_closed_relu_gate_stops_even_an_infinite_gradient() -> None:
    x = Value(-1.0)
    ((x.relu() * 1e308) * 1e308).backward()  # the gate's upstream gradient is inf
    assert x.grad == 0.0  # torch: 0.0


def test_a_zero_slope_stops_an_infinite_gradient_but_a_nonzero_slope_passes_it() -> None:
    x = Value(0.0)
    (x * x).sqrt().backward()  # ∂(x·x)/∂x = 0 at 0: the inf from sqrt stops there
    assert x.grad == 0.0
    y = Value(0.0)
    (y * 2.0).sqrt().backward()
    assert y.grad == math.inf


def test_nodes_behind_a_closed_gate_are_skipped_and_keep_grad_zero() -> None:
    x, w = Value(1.0), Value(-2.0)
    z = x * w  # z = −2: the gate below is closed
    out = z.relu() + 1.0
    out.backward()
    assert (z.grad, w.grad, x.grad) == (0.0, 0.0, 0.0)


# --- errors name sum and dot -----------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, 5, Value(1.0), "abc"])
def test_sum_of_something_that_is_not_a_list_names_sum(bad: object) -> None:
    with pytest.raises(TypeError, match=rf"sum needs .* got {type(bad).__name__}"):
        al.total(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sum needs"):
        al.total(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("ws", "xs"), [(None, None), ([Value(1.0)], None), (5, [1.0])])
def test_dot_of_something_that_is_not_a_list_names_dot(ws: object, xs: object) -> None:
    with pytest.raises(TypeError, match=r"dot needs a list of (weights|inputs), got"):
        al.dot(ws, xs)  # type: ignore[arg-type]


# --- data set by hand ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    ("op_name", "use"),
    [
        ("relu", lambda v: v.relu()),
        ("sigmoid", lambda v: v.sigmoid()),
        ("exp", lambda v: v.exp()),
        ("abs", lambda v: abs(v)),
        (r"\+", lambda v: v + 1.0),
        (r"\*", lambda v: 0.0 * v),
        ("/", lambda v: 1.0 / v),
        (r"\*\*", lambda v: v**2),
        ("leaky_relu", lambda v: v.leaky_relu()),
        ("sum", lambda v: al.total([v, 1.0])),
        ("dot", lambda v: al.dot([v], [2.0])),
        ("dot", lambda v: al.dot([Value(1.0)], [v])),
    ],
)
def test_a_non_finite_number_set_as_data_is_caught_by_the_next_op(
    bad: float, op_name: str, use: Callable[[Value], Value]
) -> None:
    v = Value(1.0)
    v.data = bad
    with pytest.raises(ValueError, match=rf"^{op_name}: input \d is a Value whose data is"):
        use(v)


def test_an_op_on_finite_data_set_by_hand_works() -> None:
    v = Value(1.0)
    v.data = 4.0
    assert v.sqrt().data == 2.0


def test_an_int_exponent_takes_the_fast_path_and_a_huge_one_is_refused() -> None:
    x = Value(3.0)
    assert (x**2).inputs == (x, 2.0) and type((x**2).inputs[1]) is float
    with pytest.raises(ValueError, match=r"\*\* needs a finite number"):
        x ** 10**400
    assert nary.apply("**", x, 2).data == 9.0


@pytest.mark.parametrize(
    "use",
    [
        lambda v: v.relu(),
        lambda v: -v,
        lambda v: abs(v),
        lambda v: v + 1.0,
        lambda v: v * 2.0,
        lambda v: 2.0 - v,
        lambda v: al.dot([v], [1.0]),
        lambda v: al.dot([Value(1.0)], [v]),
        lambda v: al.total([v, 1.0]),
    ],
)
@pytest.mark.parametrize("data", [3, np.float32(0.5), np.float64(0.25), np.int64(2)])
def test_a_real_number_of_another_kind_set_as_data_is_read_as_a_float(
    use: Callable[[Value], Value], data: object
) -> None:
    v = Value(1.0)
    v.data = data  # type: ignore[assignment]
    out = use(v)
    assert type(out.data) is float and out.data == use(Value(float(data))).data  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [True, "a", None, 10**400, complex(1, 0)])
@pytest.mark.parametrize(
    ("op_name", "use"),
    [("relu", lambda v: v.relu()), ("neg", lambda v: -v), (r"\+", lambda v: v + 1.0),
     (r"\*", lambda v: 2.0 * v), ("dot", lambda v: al.dot([Value(1.0)], [v]))],
)  # fmt: skip
def test_a_non_number_set_as_data_is_refused_naming_the_op(
    data: object, op_name: str, use: Callable[[Value], Value]
) -> None:
    v = Value(1.0)
    v.data = data  # type: ignore[assignment]
    with pytest.raises(ValueError, match=rf"^{op_name}: input \d is a Value whose data is"):
        use(v)


@pytest.mark.parametrize("xs", [[1, 2.0], [np.float32(1.0), 2.0], [Value(1.0), 2]])
def test_dot_checks_lengths_whatever_kind_of_numbers_it_is_given(xs: list[object]) -> None:
    ws = [Value(100.0), Value(10.0), Value(1.0)]
    with pytest.raises(ValueError, match="dot needs as many weights as inputs, got 3 and 2"):
        al.dot(ws, xs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dot needs as many weights as inputs, got 2 and 3"):
        al.dot(ws[:2], [*xs, 3.0])  # type: ignore[arg-type]


@pytest.mark.parametrize("data", ["a", None, 10**400])
def test_a_weight_whose_data_is_not_a_number_is_refused_naming_dot(data: object) -> None:
    w = Value(1.0)
    w.data = data  # type: ignore[assignment]
    with pytest.raises(ValueError, match=r"^dot: input 0 is a Value whose data is"):
        al.dot([w], [1.0])


def test_grad_ignores_a_pole_off_the_path_of_a_power() -> None:
    # ∂(0ʸ)/∂(base) has no finite value at y = 0.5, but the base is not a variable here.
    assert al.grad(lambda y: 0.0**y)(0.5).data == 0.0
    zero = Value(0.0)
    assert al.grad(lambda y: zero**y)(0.5).data == 0.0
    y = Value(0.5)
    (zero**y).backward()
    assert y.grad == 0.0  # backward agrees


def test_grad_through_a_pole_of_a_power_is_a_floating_point_error() -> None:
    with pytest.raises(FloatingPointError, match=r"\*\*'s local derivative has no finite value"):
        al.grad(lambda x: x**0.5)(0.0)
    with pytest.raises(FloatingPointError):
        al.hessian(lambda x, y: x**y)(0.0, 0.5)
