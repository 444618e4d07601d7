"""al.exercises: the ladder grades right answers right, and wrong answers of several kinds
wrong, each at the first input where it disagrees, with both numbers and a hint."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest

import autograd_lite as al
from autograd_lite import Value, exercises
from autograd_lite.app.demos import DEMO_X, demo_target, seed_loss
from autograd_lite.learn.exercises import _SEED_CASES, seed_case
from autograd_lite.nn import manual


def grade_of(n: int, answer: Callable[..., Any]) -> tuple[bool, str]:
    grade = exercises.check(n, answer)
    assert str(grade) == repr(grade) == grade.text and bool(grade) is grade.passed
    assert "\n" not in grade.text  # one paragraph
    return grade.passed, grade.text


def assert_wrong(text: str, where: str, actual: str, expected: str, hint: str) -> None:
    assert " not yet. " in text
    assert f"{where}, your " in text
    assert f" is {actual} where the engine's is {expected}" in text
    assert hint in text.split("Hint: ")[1]


# --- 1. tanh′ ---------------------------------------------------------------------------------


def tanh_slope(x: float) -> float:
    return 1.0 - math.tanh(x) ** 2


def test_exercise_1_passes_the_right_derivative_in_either_form() -> None:
    for answer in (tanh_slope, lambda x: 1.0 / math.cosh(x) ** 2):
        passed, text = grade_of(1, answer)
        assert passed and text == (
            "Exercise 1 (tanh′): right. Your tanh′ is the engine's local derivative at all 5 "
            "inputs, x from -3 to 2, and gradcheck accepts it against central differences."
        )


@pytest.mark.parametrize(
    ("answer", "actual", "hint"),
    [
        (math.tanh, "0.4621", "that number is tanh(x) itself"),
        (lambda x: -tanh_slope(x), "-0.7864", "the size is right but not the sign"),
        (lambda x: 1.0 - x * x, "0.75", "your formula would be right if tanh(x) were x"),
        (lambda x: 1.0, "1", "tanh is steepest at x = 0"),
    ],
)
def test_exercise_1_finds_wrong_derivatives(
    answer: Callable[[float], float], actual: str, hint: str
) -> None:
    passed, text = grade_of(1, answer)
    assert not passed
    assert_wrong(text, "At x = 0.5", actual, "0.7864", hint)
    assert "(gradcheck's central differences agree with the engine, not with you)" in text


def test_exercise_1_tells_a_near_miss_gradcheck_would_pass() -> None:
    passed, text = grade_of(1, lambda x: tanh_slope(x) * (1 + 1e-4))
    assert not passed
    assert "your tanh′(x) is 0.7865 where the engine's is 0.7864" in text
    assert "close enough to pass gradcheck, whose tolerance is 1e-3, but not the exact" in text


def test_exercise_1_wrong_only_at_a_later_input_is_caught_there() -> None:
    passed, text = grade_of(1, lambda x: tanh_slope(x) if x != 2.0 else 0.5)
    assert not passed and "At x = 2, your tanh′(x) is 0.5 where the engine's is 0.07065" in text


def test_the_hints_do_not_give_the_formula_away() -> None:
    wrong = [math.tanh, lambda x: -tanh_slope(x), lambda x: 1.0 - x * x, lambda x: 2.0]
    for answer in wrong:
        hint = exercises.check(1, answer).text.split("Hint: ")[1]
        assert not re.search(r"1 [-−] (tanh|out)|cosh|sech|tanh\(x\)\s*\*\*|²", hint), hint


# --- 2. backward for out = tanh(x·w) -----------------------------------------------------------


def backward(out: Value) -> None:
    u = out.parents[0]
    x, w = u.parents
    out.grad = 1.0
    u.grad = out.grad * (1.0 - out.data**2)
    x.grad = u.grad * w.data
    w.grad = u.grad * x.data


def test_exercise_2_passes_the_chain_rule_by_hand() -> None:
    passed, text = grade_of(2, backward)
    assert passed and text.startswith("Exercise 2 (backward of out = tanh(x·w)): right. At all 3")


def _forgot_local(out: Value) -> None:
    backward(out)
    u = out.parents[0]
    for leaf in u.parents:
        leaf.grad = u.grad


def _swapped(out: Value) -> None:
    backward(out)
    u = out.parents[0]
    x, w = u.parents
    x.grad, w.grad = u.grad * x.data, u.grad * w.data


def _no_tanh_slope(out: Value) -> None:
    u = out.parents[0]
    x, w = u.parents
    u.grad = 1.0
    x.grad, w.grad = w.data, x.data


@pytest.mark.parametrize(
    ("answer", "quantity", "actual", "expected", "hint"),
    [
        (_forgot_local, "∂out/∂x", "0.5966", "-0.8949", "from u to x and to w the chain rule"),
        (_swapped, "∂out/∂x", "0.2983", "-0.8949", "your ∂out/∂x would be right for ∂out/∂w"),
        (_no_tanh_slope, "∂out/∂u", "1", "0.5966", "u reaches out through tanh"),
        (lambda out: None, "∂out/∂u", "0", "0.5966", "every gradient is still 0"),
    ],
)
def test_exercise_2_finds_wrong_backwards(
    answer: Callable[[Value], None], quantity: str, actual: str, expected: str, hint: str
) -> None:
    passed, text = grade_of(2, answer)
    assert not passed
    assert_wrong(text, "At x = 0.5, w = -1.5", actual, expected, hint)
    assert f"your {quantity} is" in text


def test_exercise_2_gives_each_point_a_fresh_graph() -> None:
    seen: list[tuple[Value, float]] = []

    def recording(out: Value) -> None:
        seen.append((out, out.parents[0].parents[0].grad))
        backward(out)

    assert exercises.check(2, recording).passed
    assert len(seen) == 3 and len({id(out) for out, _ in seen}) == 3
    assert all(grad == 0.0 for _, grad in seen)  # every grad starts at 0, as the task says


# --- 3. δ⁽²⁾ of the seed network ---------------------------------------------------------------


def delta2(theta3: list[list[float]], delta3: list[float], z2: list[float]) -> list[float]:
    return [
        sum(theta3[j][k] * delta3[j] for j in range(2)) * (1.0 if z2[k] > 0.0 else 0.0)
        for k in range(2)
    ]


def test_exercise_3_passes_the_delta_equation() -> None:
    passed, text = grade_of(3, delta2)
    assert passed and "your δ⁽²⁾ is the engine's ∂J/∂z⁽²⁾" in text


def _rows(theta3: list[list[float]], delta3: list[float], z2: list[float]) -> list[float]:
    return delta2([list(c) for c in zip(*theta3)], delta3, z2)  # Θ instead of Θᵀ


def _no_gate(theta3: list[list[float]], delta3: list[float], z2: list[float]) -> list[float]:
    return delta2(theta3, delta3, [1.0, 1.0])


def _open_at_zero(theta3: list[list[float]], delta3: list[float], z2: list[float]) -> list[float]:
    return delta2(theta3, delta3, [z if z != 0.0 else 1.0 for z in z2])


def _output_not_slope(
    theta3: list[list[float]], delta3: list[float], z2: list[float]
) -> list[float]:
    return [d * max(z, 0.0) for d, z in zip(delta2(theta3, delta3, [1.0, 1.0]), z2)]


DEMO = "For the demo's network (seed 0; z⁽²⁾₂ < 0, its gate closed)"


@pytest.mark.parametrize(
    ("answer", "where", "quantity", "actual", "expected", "hint"),
    [
        (_rows, DEMO, "δ⁽²⁾₁", "-0.4224", "1.037", "column k of Θ⁽³⁾, not row k"),
        (_no_gate, DEMO, "δ⁽²⁾₂", "-0.2849", "0", "where its gate is closed, nothing passes"),
        (_open_at_zero, "For the demo's network with b⁽²⁾₂ set so that z⁽²⁾₂ = 0 exactly",
         "δ⁽²⁾₂", "-0.2849", "0", "at z = 0 exactly, this engine (as PyTorch) takes relu′(0) = 0"),
        (_output_not_slope, DEMO, "δ⁽²⁾₁", "1.701", "1.037",
         "ReLU's slope g′(z⁽²⁾), not its output"),
    ],
)  # fmt: skip
def test_exercise_3_finds_wrong_deltas(
    answer: Callable[..., list[float]], where: str, quantity: str, actual: str, expected: str,
    hint: str,
) -> None:  # fmt: skip
    passed, text = grade_of(3, answer)
    assert not passed
    assert_wrong(text, where, actual, expected, hint)
    assert f"your {quantity} is" in text


def test_exercise_3_says_central_differences_cannot_judge_the_kink() -> None:
    _, text = grade_of(3, _open_at_zero)
    assert "(at this kink central differences cannot decide; the convention does)" in text


def test_exercise_3_cases_are_the_seed_network_and_agree_with_the_hand_derivation() -> None:
    assert tuple(DEMO_X) == exercises.SEED_X and list(exercises.SEED_Y) == demo_target(DEMO_X)
    demo_mlp = seed_loss(0)[0]
    assert [p.data for p in exercises.seed_network(0).parameters()] == [
        p.data for p in demo_mlp.parameters()
    ]
    for case in _SEED_CASES:
        _, delta3, z2, expected = seed_case(case)
        traces = manual.trace(case.network(), list(exercises.SEED_X), list(exercises.SEED_Y))
        assert z2 == traces[0].z and delta3 == traces[1].delta
        assert expected == pytest.approx(traces[0].delta, abs=1e-15)
    gates = [seed_case(case)[2] for case in _SEED_CASES]
    assert gates[0][1] < 0.0 and min(gates[1]) > 0.0 and gates[2][1] == 0.0  # as described


# --- 4. one SGD step ---------------------------------------------------------------------------


def sgd_step(params: list[Value], lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad


def test_exercise_4_passes_one_step() -> None:
    passed, text = grade_of(4, sgd_step)
    assert passed and "every θ of the seed network moved to where" in text


def _plus(params: list[Value], lr: float) -> None:
    for p in params:
        p.data += lr * p.grad


def _no_lr(params: list[Value], lr: float) -> None:
    for p in params:
        p.data -= p.grad


def _rebinds(params: list[Value], lr: float) -> None:
    for p in params:
        p = p - lr * p.grad


def _steps_the_grads(params: list[Value], lr: float) -> None:
    for p in params:
        p.grad -= lr * p.grad


def _some(params: list[Value], lr: float) -> None:
    sgd_step(params[:3], lr)


WITH = "With α = 0.1 on the seed network (seed 0) after J.backward()"


@pytest.mark.parametrize(
    ("answer", "name", "actual", "hint"),
    [
        (_plus, "Θ⁽²⁾₁₁", "1.297", "the gradient points the way J grows"),
        (_no_lr, "Θ⁽²⁾₁₁", "0.1558", "the learning rate α times the gradient"),
        (_rebinds, "Θ⁽²⁾₁₁", "1.193", "only rebinds a name; change p.data"),
        (_steps_the_grads, "Θ⁽²⁾₁₁", "1.193", "your step changed the gradients"),
        (_some, "Θ⁽³⁾₁₁", "0.03906", "some θ with a nonzero gradient did not move"),
    ],
)
def test_exercise_4_finds_wrong_steps(
    answer: Callable[[list[Value], float], None], name: str, actual: str, hint: str
) -> None:
    passed, text = grade_of(4, answer)
    assert not passed
    assert f"{WITH}, your {name} after the step is {actual} where the engine's is" in text
    assert hint in text.split("Hint: ")[1]


def test_exercise_4_refuses_a_step_that_stores_a_value_in_data() -> None:
    def builds_a_graph(params: list[Value], lr: float) -> None:
        for p in params:
            p.data = p - lr * p.grad  # type: ignore[assignment]

    passed, text = grade_of(4, builds_a_graph)
    assert not passed
    assert "your function gave Value Value(data=1.0893" in text
    assert "Check what it stores in θ.data" in text


# --- bad answers and bad calls -------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_an_answer_that_raises_is_graded_not_raised(n: int) -> None:
    def broken(*args: object) -> None:
        raise ZeroDivisionError("float division by zero")

    passed, text = grade_of(n, broken)
    assert not passed
    assert "your function raised ZeroDivisionError: float division by zero." in text
    assert f"Make it run on that input first (`exercises.task({n})` says what it gets" in text


@pytest.mark.parametrize(
    ("n", "answer", "says"),
    [
        (1, lambda x: "0.78", "your function gave str '0.78' for tanh′(x), where a number"),
        (1, lambda x: Value(0.78), "your function gave Value Value(data=0.78"),
        (2, lambda out: setattr(out.parents[0], "grad", None), "gave NoneType None for u.grad"),
        (3, lambda t, d, z: [1.0], "your function returned list [1.0], where δ⁽²⁾ is a list of 2"),
        (3, lambda t, d, z: "ab", "your function returned str 'ab'"),
    ],
)
def test_an_answer_of_the_wrong_kind_is_told_so(
    n: int, answer: Callable[..., Any], says: str
) -> None:
    passed, text = grade_of(n, answer)
    assert not passed and says in text and "Check what it returns" in text


def test_check_refuses_a_bad_exercise_number_or_answer() -> None:
    with pytest.raises(ValueError, match="there are exercises 1 to 4, got 5"):
        exercises.check(5, tanh_slope)
    with pytest.raises(ValueError, match="there are exercises 1 to 4, got 0"):
        exercises.check(0, tanh_slope)
    with pytest.raises(TypeError, match="needs the exercise's number, 1 to 4, got str '1'"):
        exercises.check("1", tanh_slope)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got bool True"):
        exercises.check(True, tanh_slope)
    with pytest.raises(TypeError, match=r"check\(1, your_function\): your_function must be a "
                       "function, got float 0.7864"):  # fmt: skip
        exercises.check(1, 0.7864)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="there are exercises 1 to 4"):
        exercises.task(9)


def test_each_task_names_the_function_to_write() -> None:
    for n, name in [(1, "tanh_slope(x)"), (2, "backward(out)"), (3, "delta2(theta3, delta3, z2)"),
                    (4, "sgd_step(params, lr)")]:  # fmt: skip
        assert exercises.task(n).startswith(f"Exercise {n} (") and name in exercises.task(n)
    assert al.exercises is exercises and al.lab is al.learn.lab
