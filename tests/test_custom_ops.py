"""Ops of your own (al.define_op, al.define_function): checked when defined, then
everything a built-in op is (a method, grad and higher order, al.compile, drawing), and
every refusal leaves the op table and Value as they were."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from strategies import reals

import autograd_lite as al
from autograd_lite import Value, viz
from autograd_lite.core import custom, engine
from autograd_lite.core.functional import GradcheckError


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    before = set(engine.OPS)
    yield
    for name in set(engine.OPS) - before:
        al.undefine_op(name)


@pytest.fixture
def softplus() -> str:
    al.define_op("softplus", "log(1.0 + exp(x))", "sigmoid(x)")
    return "softplus"


def state() -> tuple[set[str], set[str]]:
    return set(engine.OPS), set(dir(Value))


@given(reals(-4.0, 4.0))
def test_softplus_is_a_value_method_with_its_derivative_and_the_next(x: float) -> None:
    if "softplus" not in engine.OPS:
        al.define_op("softplus", "log(1.0 + exp(x))", "sigmoid(x)")
    v = Value(x)
    y = v.softplus()  # type: ignore[attr-defined]
    y.backward()
    assert y.data == pytest.approx(math.log1p(math.exp(x)), rel=1e-12)
    assert v.grad == pytest.approx(sigmoid(x), rel=1e-12)
    second = al.grad(al.grad(lambda u: u.softplus()))(x).data
    assert second == pytest.approx(sigmoid(x) * (1.0 - sigmoid(x)), rel=1e-9)
    assert al.gradcheck(lambda u: u.softplus(), x)


def test_compiled_steps_with_the_op_are_eager_to_the_last_bit(softplus: str) -> None:
    w = Value(0.7, "w")

    def f(x: Value) -> Value:
        return (x * w).softplus() * (x - 1.0).softplus()  # type: ignore[attr-defined]

    step = al.compile(f)
    for x in (0.3, -1.2, 2.5):
        w.grad = 0.0
        got = step(x)
        compiled_grad = w.grad
        w.grad = 0.0
        out = f(Value(x))
        out.backward()
        assert got == out.data and compiled_grad == w.grad
    assert "_sigmoid" in step.source
    w.grad = 0.0
    total = step.sum([0.3, -1.2, 2.5])
    eager = sum(f(Value(x)).data for x in (0.3, -1.2, 2.5))
    assert total == pytest.approx(eager, rel=1e-12)


def test_the_op_is_drawn_by_its_name(softplus: str) -> None:
    source = viz.draw_graph(Value(0.5).softplus()).source  # type: ignore[attr-defined]
    assert "softplus" in source


def test_a_wrong_derivative_is_refused_with_gradchecks_table_and_changes_nothing() -> None:
    before = state()
    with pytest.raises(GradcheckError) as caught:
        al.define_op("softplus", "log(1.0 + exp(x))", "exp(x)")  # the value, not the slope
    message = str(caught.value)
    assert "softplus's local derivative is wrong at -1.7" in message
    assert "analytic" in message and "numeric" in message and "<- wrong" in message
    assert state() == before


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        (("os", "__import__('os')", "1.0"), {}, "calls something other than"),
        (("f", "x.data", "1.0"), {}, "uses Attribute"),
        (("f", "x + z", "1.0"), {}, "uses the name 'z'"),
        (("f", "out", "1.0"), {}, "uses the name 'out'"),
        (("f", "'text'", "1.0"), {}, "not a number"),
        (("f", "x +", "1.0"), {}, "is not an expression"),
        (("f", "[x][0]", "1.0"), {}, "uses Subscript"),
        (("f", "lambda: 1", "1.0"), {}, "uses Lambda"),
        (("relu", "x", "1.0"), {}, "'relu' is already an op"),
        (("grad", "x", "1.0"), {}, "'grad' is already an op or a Value attribute"),
        (("exp", "x", "1.0"), {}, "already"),
        (("_mine", "x", "1.0"), {}, "starts with _"),
        (("two words", "x", "1.0"), {}, "must be an identifier"),
        (("f", "x"), {}, "one local derivative per input"),
        (("f", "x", "1.0"), {"domain": "x < -100.0"}, "no sample point"),
        (("f", "x", "1.0"), {"domain": "import os"}, "is not an expression"),
        (("f", "x", "1.0"), {"domain": "out > 0.0"}, "uses the name 'out'"),
    ],
)
def test_a_refusal_names_the_part_and_changes_nothing(
    args: tuple[str, ...], kwargs: dict[str, Any], words: str
) -> None:
    before = state()
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        al.define_op(*args, **kwargs)
    assert state() == before


def test_a_domain_refuses_outside_it_with_the_ops_own_message() -> None:
    al.define_op("logit", "log(x / (1.0 - x))", "1.0 / (x * (1.0 - x))",
                 domain=("x > 0.0", "x < 1.0"))  # fmt: skip
    assert Value(0.25).logit().data == pytest.approx(math.log(1 / 3))  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"logit needs x < 1.0, got x=1.5"):
        Value(1.5).logit()  # type: ignore[attr-defined]


def test_a_two_input_op() -> None:
    al.define_op("hypot", "sqrt(x * x + y * y)", "x / out", "y / out")
    a, b = Value(3.0), Value(4.0)
    h = a.hypot(b)  # type: ignore[attr-defined]
    h.backward()
    assert (h.data, a.grad, b.grad) == (5.0, 0.6, 0.8)


def test_a_hand_written_backward_is_checked_and_runs_eagerly_only() -> None:
    before = state()
    with pytest.raises(GradcheckError, match="cube's local derivative is wrong"):
        al.define_function("cube", lambda x: x**3, lambda out, x: 3.0 * x)
    assert state() == before
    al.define_function("cube", lambda x: x**3, lambda out, x: 3.0 * x * x)
    v = Value(2.0)
    c = v.cube()  # type: ignore[attr-defined]
    c.backward()
    assert (c.data, v.grad) == (8.0, 12.0)
    with pytest.raises(TypeError, match=r"the op 'cube' has a hand-written Python backward"):
        al.compile(lambda u: u.cube())(2.0)


def test_two_threads_defining_one_name_one_wins_and_one_is_refused() -> None:
    results: list[str] = []

    def define() -> None:
        try:
            al.define_op("twice", "2.0 * x", "2.0")
            results.append("defined")
        except ValueError:
            results.append("refused")

    threads = [threading.Thread(target=define) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["defined", "refused"]


def test_undefine_removes_the_op_and_refuses_what_it_did_not_add(softplus: str) -> None:
    al.undefine_op("softplus")
    assert "softplus" not in engine.OPS and not hasattr(Value, "softplus")
    with pytest.raises(ValueError, match="'relu' is not an op define_op"):
        al.undefine_op("relu")
    assert custom.is_defined("softplus") is False
