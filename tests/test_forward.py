"""Forward mode (`al.jvp`, `al.jacobian(mode="forward")`) against reverse mode, on every op.

The two modes run the same local derivatives in opposite directions; on a random program
they must give the same derivatives (to rounding: the sums are taken in another order).
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import DAG_OPS, Program, programs, reals

import autograd_lite as al
from autograd_lite import Value
from autograd_lite.core.forward import cotangent_of, tangent_of

REL = 1e-12


def close(a: float, b: float, rel: float = REL) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300) or abs(a - b) <= rel * (
        1.0 + max(abs(a), abs(b))
    )


@given(programs(max_leaves=3, max_steps=12), st.lists(reals(-1.0, 1.0), min_size=3, max_size=3))
def test_jvp_is_the_gradient_dotted_with_the_tangent_on_every_op(
    program: Program, direction: list[float]
) -> None:
    program = program.checked()
    tangent = direction[: len(program.leaves)]
    value, derivative = al.jvp(program, program.leaves, tangent)
    xs = [Value(x) for x in program.leaves]
    root = program(*xs)
    root.backward()
    assert value == root.data
    expected = math.fsum(x.grad * t for x, t in zip(xs, tangent))
    assert close(derivative, expected, 1e-9), (derivative, expected)


@given(programs(max_leaves=3, max_steps=12))
def test_jacobian_forward_and_reverse_give_the_same_matrix(program: Program) -> None:
    program = program.checked()

    def outputs(v: list[Value]) -> list[Value]:
        root, pool = program.build(*v)
        return [root, pool[-1], v[0] * v[-1]]

    forward = al.jacobian(outputs, mode="forward")(list(program.leaves))
    reverse = al.jacobian(outputs, mode="reverse")(list(program.leaves))
    assert len(forward) == len(reverse) == 3
    for row_f, row_r in zip(forward, reverse):
        assert len(row_f) == len(row_r) == len(program.leaves)
        for f, r in zip(row_f, row_r):
            assert close(f, r, 1e-9), (forward, reverse)


def test_every_op_of_the_table_is_in_the_fuzzed_programs() -> None:
    made = set()
    for make, _ in DAG_OPS.values():
        a, b = Value(0.7), Value(0.3)
        made.add(make(a, b).op)
    assert made >= set(al.core.engine.OPS)


def test_reverse_jacobian_rows_are_backwards_gradients_to_the_last_bit() -> None:
    rng = random.Random(4)
    for _ in range(50):
        x = [rng.uniform(-1, 1) for _ in range(3)]

        def f(v: list[Value]) -> Value:
            return (v[0] * v[1]).tanh() + v[2].exp() * v[0] + al.total([v[1], v[1], v[2]])

        xs = [Value(c) for c in x]
        f(xs).backward()
        assert al.jacobian(f)(x) == [v.grad for v in xs]


def test_the_seed_network_needs_one_reverse_pass_and_twelve_forward_passes() -> None:
    from autograd_lite.app.demos.seed import seed_loss

    mlp, _, _, J = seed_loss(0)
    params = mlp.parameters()
    assert len(params) == 12
    reverse = cotangent_of(J, params)  # one pass: every ∂J/∂θ
    forward = [tangent_of([J], {p: 1.0})[0] for p in params]  # one pass per θ
    assert forward == pytest.approx(reverse, rel=1e-12, abs=1e-15)
    assert reverse == [p.grad for p in params]  # seed_loss ran J.backward()


def test_jvp_and_jacobian_touch_no_grad() -> None:
    w = Value(2.0, "w")
    w.grad = 5.0
    al.jvp(lambda x: x * w, (3.0,), (1.0,))
    al.jacobian(lambda x: x * w)(3.0)
    al.jacobian(lambda x: x * w, mode="forward")(3.0)
    assert w.grad == 5.0


def test_a_captured_value_is_a_constant_and_a_value_argument_is_a_variable() -> None:
    w = Value(2.0)
    assert al.jvp(lambda x: x * w, (Value(3.0),), (1.0,)) == (6.0, 2.0)
    assert al.jacobian(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0) == ([4.0], [3.0])
    assert al.jacobian(lambda x, y: x * y, argnums=-1)(3.0, 4.0) == [3.0]


def test_the_zero_rule_holds_forward_as_backward() -> None:
    # a closed ReLU gate stops an infinite slope: 0 · inf is 0 in both modes
    f = lambda x: (x.sqrt()).relu() * 0.0 + (x - 1.0).relu()  # noqa: E731
    assert al.jvp(f, (0.0,), (1.0,)) == (0.0, 0.0)
    assert al.jacobian(f, mode="forward")(0.0) == al.jacobian(f)(0.0) == [0.0]


def test_vector_outputs_and_arguments_give_lists() -> None:
    values, tangents = al.jvp(lambda v: [v[0] * v[1], v[0] + 1.0], ([2.0, 3.0],), ([1.0, 0.0],))
    assert values == [6.0, 3.0] and tangents == [3.0, 1.0]


@pytest.mark.parametrize(
    ("primals", "tangents", "error", "message"),
    [
        ((1.0, 2.0), (1.0,), ValueError, r"one tangent per primal: got 2 primals and 1"),
        (([1.0, 2.0], 3.0), ([1.0], 0.0), ValueError, r"tangents\[0\] must be a list of 2"),
        ((1.0, 2.0), (1.0, [0.0]), ValueError, r"tangents\[1\] must be one number"),
        ((1.0, 2.0), (1.0, "x"), TypeError, r"tangents\[1\]"),
        ((1.0, 2.0), (1.0, math.nan), ValueError, r"tangents\[1\]"),
        (1.0, (1.0,), TypeError, r"primals as a tuple or list"),
    ],
)
def test_jvp_refuses_tangents_of_the_wrong_shape_naming_the_argument(
    primals: object, tangents: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        al.jvp(lambda x, y: x * y, primals, tangents)  # type: ignore[arg-type]


def test_jacobian_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="mode must be 'forward' or 'reverse'"):
        al.jacobian(lambda x: x, mode="sideways")
    with pytest.raises(IndexError, match="argnum 2 is out of range for 2"):
        al.jacobian(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="list an argument twice"):
        al.jacobian(lambda x, y: x * y, argnums=(0, -2))(1.0, 2.0)
    with pytest.raises(TypeError, match="return a Value or a non-empty list of Values"):
        al.jacobian(lambda x: 3.0)(1.0)
