"""manual: the textbook δ equations on floats agree with the engine to 1e-12."""

from __future__ import annotations

import math
import sys
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_lite.core import nary
from autograd_lite.core.engine import Value
from autograd_lite.nn import ACTIVATIONS, MLP, activate, manual
from autograd_lite.nn.losses import half_squared_error

activations = st.sampled_from(ACTIVATIONS)
numbers = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


@st.composite
def problems(
    draw: st.DrawFn, hidden: str | None = None, output: str | None = None
) -> tuple[MLP, list[float], list[float]]:
    """A small random MLP, an input x and a target y."""
    nin = draw(st.integers(1, 3))
    nouts = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    mlp = MLP(
        nin,
        nouts,
        activation=hidden or draw(activations),
        output_activation=output or draw(activations),
        seed=draw(st.integers(0, 2**32)),
    )
    # biases start at 0: give them values too, so every parameter matters
    for layer in mlp.layers:
        for n in layer.neurons:
            n.b.data = draw(numbers)
    x = draw(st.lists(numbers, min_size=nin, max_size=nin))
    y = draw(st.lists(numbers, min_size=nouts[-1], max_size=nouts[-1]))
    return mlp, x, y


def engine_grads(mlp: MLP, x: list[float], y: list[float]) -> list[float]:
    mlp.zero_grad()
    half_squared_error(mlp(x), y).backward()
    return [p.grad for p in mlp.parameters()]


def assert_agree(mlp: MLP, x: list[float], y: list[float]) -> None:
    by_engine = engine_grads(mlp, x, y)
    by_hand = manual.backprop(mlp, x, y)
    assert len(by_hand) == len(by_engine)
    worst = max(abs(e - m) for e, m in zip(by_engine, by_hand))
    assert worst <= 1e-12, (worst, by_engine, by_hand)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@given(data=st.data())
def test_backprop_agrees_with_the_engine_for_every_activation(
    activation: str, data: st.DataObject
) -> None:
    # the activation in the hidden layers, the output layer, or both
    where = data.draw(st.sampled_from(["hidden", "output", "both"]))
    hidden = activation if where in ("hidden", "both") else None
    output = activation if where in ("output", "both") else None
    assert_agree(*data.draw(problems(hidden=hidden, output=output)))


@given(problem=problems())
def test_trace_deltas_are_the_engines_dJ_dz(problem: tuple[MLP, list[float], list[float]]) -> None:
    mlp, x, y = problem
    # run the engine layer by layer, keeping each z node
    a: list[Value | float] = list(x)
    z_nodes: list[list[Value]] = []
    for layer in mlp.layers:
        zs = [nary.dot(n.w, a, n.b) for n in layer.neurons]
        z_nodes.append(zs)
        a = [activate(z, layer.activation) for z in zs]
    half_squared_error(a, y).backward()
    traces = manual.trace(mlp, x, y)
    for t, zs in zip(traces, z_nodes):
        assert t.z == [z.data for z in zs]  # the same float operations: bit for bit
        assert t.delta is not None
        for d, z in zip(t.delta, zs):
            assert abs(d - z.grad) <= 1e-12


def test_trace_a_is_the_engines_output_bit_for_bit() -> None:
    mlp = MLP(3, [4, 3, 2], activation="tanh", output_activation="sigmoid", seed=11)
    x = [0.3, -1.2, 0.8]
    assert manual.trace(mlp, x)[-1].a == [a.data for a in mlp(x)]


def seed_like_network() -> MLP:
    """The 2-2-2 ReLU network with round weights, for a calculation by hand."""
    mlp = MLP(2, [2, 2], output_activation="relu", seed=0)
    values = [1.0, -1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 2.0, 0.5, -1.0, 1.0, 0.0]
    for p, v in zip(mlp.parameters(), values, strict=True):
        p.data = v
    return mlp


def test_trace_by_hand_on_the_seed_network() -> None:
    # z⁽²⁾ = [1 − 2, 0.5 + 1] = [−1, 1.5], a⁽²⁾ = [0, 1.5]
    # z⁽³⁾ = [0 + 3 + 0.5, 0 + 1.5] = [3.5, 1.5], a⁽³⁾ = z⁽³⁾
    # δ⁽³⁾ = (a⁽³⁾ − y) ⊙ 1 = [2.5, −0.5]
    # δ⁽²⁾ = (Θ⁽³⁾ᵀ δ⁽³⁾) ⊙ g′(z⁽²⁾) = [2.5 + 0.5, 5 − 0.5] ⊙ [0, 1] = [0, 4.5]
    l2, l3 = manual.trace(seed_like_network(), [1.0, 2.0], [1.0, 2.0])
    assert (l2.layer, l2.z, l2.a, l2.delta) == (2, [-1.0, 1.5], [0.0, 1.5], [0.0, 4.5])
    assert (l3.layer, l3.z, l3.a, l3.delta) == (3, [3.5, 1.5], [3.5, 1.5], [2.5, -0.5])


def test_backprop_by_hand_on_the_seed_network() -> None:
    grads = manual.backprop(seed_like_network(), [1.0, 2.0], [1.0, 2.0])
    # ∂J/∂Θ⁽ˡ⁾ⱼₖ = δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ, ∂J/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ, in parameters() order
    assert grads == [0.0, 0.0, 0.0, 4.5, 9.0, 4.5, 0.0, 3.75, 2.5, 0.0, -0.75, -0.5]
    assert grads == engine_grads(seed_like_network(), [1.0, 2.0], [1.0, 2.0])


def test_relu_gate_is_closed_at_exactly_zero_in_both() -> None:
    mlp = MLP(1, [1, 1], output_activation="linear", seed=0)
    mlp.layers[0].neurons[0].w[0].data = 1.0
    mlp.layers[0].neurons[0].b.data = -2.0  # z⁽²⁾ = 0 at x = 2
    (hidden, _) = manual.trace(mlp, [2.0], [5.0])
    assert hidden.z == [0.0] and hidden.delta == [0.0]
    assert manual.backprop(mlp, [2.0], [5.0])[:2] == [0.0, 0.0]
    assert engine_grads(mlp, [2.0], [5.0])[:2] == [0.0, 0.0]


def test_trace_without_targets_has_no_deltas() -> None:
    traces = manual.trace(MLP(2, [3, 1], seed=0), [1.0, 2.0])
    assert [t.layer for t in traces] == [2, 3]
    assert all(t.delta is None for t in traces)
    assert [len(t.z) for t in traces] == [3, 1]


def test_manual_builds_no_values(monkeypatch: pytest.MonkeyPatch) -> None:
    mlp = MLP(2, [3, 2], activation="sigmoid", seed=0)

    def refuse(*args: object) -> None:
        raise AssertionError("manual must not build Values")

    monkeypatch.setattr(Value, "__init__", refuse)
    # Every node is made by a generated method or by nary.py: watch for calls into them.
    makers = ("_ops_generated.py", "nary.py")
    calls: list[str] = []

    def watch(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call":
            calls.append(frame.f_code.co_filename)

    sys.setprofile(watch)
    try:
        grads = manual.backprop(mlp, [0.5, -0.5], [1.0, 0.0])
    finally:
        sys.setprofile(None)
    assert len(grads) == len(mlp.parameters())
    assert not [f for f in calls if f.endswith(makers)]
    sys.setprofile(watch)  # the watch does see the engine at work
    try:
        mlp([0.5, -0.5])
    finally:
        sys.setprofile(None)
    assert [f for f in calls if f.endswith(makers)]


def test_by_layer_reshapes_into_matrices() -> None:
    mlp = seed_like_network()
    (d2, db2), (d3, db3) = manual.by_layer(mlp, manual.backprop(mlp, [1.0, 2.0], [1.0, 2.0]))
    assert d2 == [[0.0, 0.0], [4.5, 9.0]] and db2 == [0.0, 4.5]
    assert d3 == [[0.0, 3.75], [0.0, -0.75]] and db3 == [2.5, -0.5]
    with pytest.raises(ValueError, match=r"manual\.by_layer expects 12 numbers, got 3"):
        manual.by_layer(mlp, [1.0, 2.0, 3.0])


def test_bad_inputs_name_the_function_and_the_lengths() -> None:
    mlp = MLP(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match=r"manual\.trace expects 2 inputs x, got 3"):
        manual.trace(mlp, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"manual\.trace expects 2 targets y, got 1"):
        manual.backprop(mlp, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"targets y\[1\] needs a finite number, got nan"):
        manual.backprop(mlp, [1.0, 2.0], [1.0, math.nan])
    with pytest.raises(ValueError, match="g: unknown activation 'softplus'"):
        manual.g(0.0, "softplus")
    with pytest.raises(ValueError, match="g_prime: unknown activation 'softplus'"):
        manual.g_prime(0.0, 0.0, "softplus")
