"""autograd_lite.micrograd: micrograd's API on our engine, checked against micrograd 0.1.0.

micrograd 0.1.0 as shipped is installed by the `test` dependency group, so the comparisons
here run against the real package, not against our memory of it.
"""

from __future__ import annotations

import gc
import math
import random
import re
import subprocess
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import graphviz
import micrograd.engine as mg_engine
import micrograd.nn as mg_nn
import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.core import engine, nary
from autograd_lite.micrograd import MLP, Layer, Module, Neuron, Value, draw_dot

# --- Value: micrograd's constructor, the engine's objects ----------------------------------


def test_value_returns_an_engine_value_so_every_op_takes_the_fast_path() -> None:
    a = Value(2.0)
    assert type(a) is engine.Value
    assert type(a * Value(3.0)) is engine.Value


@pytest.fixture
def checked_path_calls() -> Iterator[list[str]]:
    """The ops that went through nary.apply (the checked path) while the test ran."""
    calls: list[str] = []

    def profile(frame: Any, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is nary.apply.__code__:
            calls.append(frame.f_locals["op_name"])

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(None)


def test_ops_on_micrograd_values_and_numbers_skip_the_checked_path(
    checked_path_calls: list[str],
) -> None:
    a, b = Value(2.0), Value(-3.0)
    out = ((2 * a * b + a / b - b) ** 2).tanh() + (a.exp() * 0.5 + 1).relu()
    out.backward()
    assert checked_path_calls == []
    assert a.grad != 0.0


def test_a_network_skips_the_checked_path(checked_path_calls: list[str]) -> None:
    random.seed(4)
    model = MLP(2, [3, 3, 1])
    out = model([Value(0.5), -1.5])
    assert isinstance(out, engine.Value)
    (out * out).backward()
    assert checked_path_calls == []
    assert any(p.grad != 0.0 for p in model.parameters())


def test_the_probe_sees_the_checked_path(checked_path_calls: list[str]) -> None:
    # the engine makes its errors in `apply`: so a division by zero passes through it
    with pytest.raises(ZeroDivisionError):
        Value(2.0) / 0.0
    assert checked_path_calls == ["/"]


def test_isinstance_holds_for_leaves_and_op_results_and_not_for_numbers() -> None:
    a = Value(2.0)
    assert isinstance(a, Value)
    assert isinstance(a * a + 1.0, Value)
    assert isinstance(al.Value(1.0), Value)
    assert not isinstance(2.0, Value)
    assert not isinstance(mg_engine.Value(2.0), Value)


def test_the_ops_are_reachable_on_the_class_as_in_micrograd_tests() -> None:
    x = Value(0.5)
    assert Value.tanh(x).data == math.tanh(0.5)
    assert Value.exp(x).data == math.exp(0.5)
    assert Value.relu(x).data == 0.5


def test_micrograd_signature_data_children_op_label() -> None:
    a = Value(2.0, (), "", label="a")
    assert (a.data, a.grad, a.label) == (2.0, 0.0, "a")
    b = Value(-1, label="b")
    assert b.data == -1.0 and isinstance(b.data, float)


def test_an_empty_label_is_stored_as_none_and_not_shown() -> None:
    a = Value(2.0)
    assert a.label is None
    assert repr(a) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(2.0, label="a")) == "Value(data=2.0, grad=0.0, label='a')"


def test_micrograd_repr_format_with_float_grads() -> None:
    x = Value(-4.0)
    y = x * x
    y.backward()
    assert repr(y) == "Value(data=16.0, grad=1.0)"
    assert repr(mg_engine.Value(16.0)) == "Value(data=16.0, grad=0)"  # micrograd's int 0


@pytest.mark.parametrize(("children", "op"), [((1,), ""), ((), "+"), ("ab", "*")])
def test_a_node_made_by_hand_is_refused_saying_to_use_the_ops(children: Any, op: str) -> None:
    with pytest.raises(ValueError, match=r"_children.*local derivatives.*make it with the ops"):
        Value(1.0, children, op)


def test_a_node_made_by_hand_from_values_is_refused_too() -> None:
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match="'\\+'"):
        Value(3.0, (a, b), "+")


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        ("2.0", TypeError, "Value needs a real number, got str"),
        (None, TypeError, "got NoneType"),
        (True, TypeError, "got bool"),
        (1 + 2j, TypeError, "got complex"),
        (math.nan, ValueError, "finite"),
        (math.inf, ValueError, "finite"),
    ],
)
def test_bad_data_is_refused_at_once(data: object, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        Value(data)  # type: ignore[arg-type]
    mg_engine.Value(data)  # micrograd takes it, and fails later (or never)


def test_a_label_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=5)  # type: ignore[arg-type]


def test_numpy_scalars_are_real_numbers() -> None:
    assert Value(np.float64(0.25)).data == 0.25
    assert Value(np.int64(-3)).data == -3.0
    assert (np.int64(2) * Value(1.5)).data == 3.0


def test_negative_base_to_a_fractional_power_raises_where_micrograd_goes_complex() -> None:
    with pytest.raises(ValueError, match="not real"):
        Value(-1.0) ** 0.5
    assert isinstance((mg_engine.Value(-1.0) ** 0.5).data, complex)


def test_division_by_zero_and_overflow_raise_naming_the_op() -> None:
    with pytest.raises(ZeroDivisionError, match="/ divides by zero"):
        Value(1.0) / 0.0
    with pytest.raises(OverflowError, match="exp overflows"):
        Value(1000.0).exp()


# --- _prev, _op, and the graph's shape -----------------------------------------------------


def test_prev_is_the_set_of_value_parents_and_op_names_the_op() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    assert c._prev == {a, b} and c._op == "*"
    assert (a * a)._prev == {a}
    assert a._prev == set() and a._op == ""


def test_constants_are_not_values_in_prev_where_micrograd_wraps_them() -> None:
    a = Value(2.0)
    assert (a * 2.0)._prev == {a}
    mg_a = mg_engine.Value(2.0)
    assert len((mg_a * 2.0)._prev) == 2  # micrograd made a Value(2.0) leaf for the constant


def test_ops_are_named_as_the_engine_names_them() -> None:
    a, b = Value(2.0), Value(3.0)
    assert [(a - b)._op, (a / b)._op, (-a)._op, (a**2.0)._op, a.relu()._op] == [
        "-", "/", "neg", "**", "relu",
    ]  # fmt: skip
    mg_a = mg_engine.Value(2.0)
    assert [(mg_a**2)._op, mg_a.relu()._op] == ["**2", "ReLU"]


# --- the lecture's examples give the lecture's gradients -----------------------------------


def test_lecture_L_equals_d_times_f() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    L.backward()
    assert L.data == -8.0
    grads = {v.label: v.grad for v in (a, b, c, d, e, f, L)}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}


def lecture_neuron(activation: Callable[[engine.Value], engine.Value]) -> dict[str, float]:
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    n = x1w1 + x2w2 + b
    o = activation(n)
    o.backward()
    return {
        "o": o.data, "n": n.grad, "b": b.grad,
        "x1": x1.grad, "w1": w1.grad, "x2": x2.grad, "w2": w2.grad,
    }  # fmt: skip


LECTURE_NEURON = {
    "o": 0.7071, "n": 0.5, "b": 0.5, "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0,
}  # fmt: skip


def test_lecture_tanh_neuron() -> None:
    got = lecture_neuron(lambda n: n.tanh())
    assert got == pytest.approx(LECTURE_NEURON, abs=1e-4)
    assert got["o"] == pytest.approx(math.sqrt(0.5), rel=1e-15)
    assert got["w2"] == 0.0  # x2 = 0: exactly nothing reaches w2


def tanh_from_exp(n: engine.Value) -> engine.Value:
    e = (2 * n).exp()
    return (e - 1) / (e + 1)


def test_lecture_tanh_written_with_exp_and_division_gives_the_same_gradients() -> None:
    by_exp = lecture_neuron(tanh_from_exp)
    assert by_exp == pytest.approx(LECTURE_NEURON, abs=1e-4)
    assert by_exp == pytest.approx(lecture_neuron(lambda n: n.tanh()), rel=1e-12, abs=1e-15)


def test_lecture_a_plus_a_counts_a_twice() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert a.grad == 2.0


def test_lecture_a_used_in_two_branches_accumulates() -> None:
    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    f = (a * b) * (a + b)
    f.backward()
    assert (f.data, a.grad, b.grad) == (-6.0, -3.0, -8.0)


def test_lecture_mixed_number_ops() -> None:
    a = Value(2.0)
    assert [(a + 1).data, (1 + a).data, (2 * a).data, (a - 1).data, (a / 4).data] == [
        3.0, 3.0, 4.0, 1.0, 0.5,
    ]  # fmt: skip
    assert [(a**2).data, (a.exp()).data] == [4.0, math.exp(2.0)]


# --- our engine underneath: deep graphs, no cycles, the second backward, higher order ------


def chain(value: Callable[[float], Any], n: int) -> tuple[Any, Any]:
    x = value(1.0)
    y = x
    for _ in range(n):
        y = y * 0.9999 + 0.0001
    return x, y


def test_a_deep_graph_works_where_micrograd_hits_the_recursion_limit() -> None:
    depth = 3 * sys.getrecursionlimit()
    x, y = chain(Value, depth)
    y.backward()
    assert x.grad == pytest.approx(0.9999**depth, rel=1e-9)
    _, mg_y = chain(mg_engine.Value, depth)
    with pytest.raises(RecursionError):
        mg_y.backward()


def test_a_dropped_graph_is_freed_at_once_where_micrograd_leaves_it_to_the_collector() -> None:
    def weak_nodes(value: Callable[[float], Any]) -> list[weakref.ref[Any]]:
        x = value(0.5)
        y = (x * x + x).relu() * 2.0
        y.backward()
        refs, stack = [], [y]
        while stack:
            node = stack.pop()
            refs.append(weakref.ref(node))
            stack.extend(node._prev)
        return refs

    gc.collect()
    gc.disable()  # reference counting alone, as between two collections
    try:
        ours = weak_nodes(Value)
        theirs = weak_nodes(mg_engine.Value)
        assert len(ours) >= 4 and all(r() is None for r in ours)
        assert any(r() is not None for r in theirs)  # closures hold micrograd's nodes in cycles
    finally:
        gc.enable()
        gc.collect()


def second_backward(value: Callable[[float], Any]) -> tuple[float, float]:
    a, b = value(2.0), value(-3.0)
    z = a * b + b
    z.backward()
    once = a.grad
    z.backward()
    return once, a.grad


def test_a_second_backward_accumulates_leaves_only_where_micrograd_double_counts() -> None:
    assert second_backward(Value) == (-3.0, -6.0)  # leaves accumulate, as in PyTorch
    assert second_backward(mg_engine.Value) == (-3.0, -9.0)  # micrograd adds into a*b again


def test_backward_takes_a_seed_gradient() -> None:
    a = Value(2.0)
    y = a * a
    y.backward(5.0)
    assert a.grad == 20.0


def test_higher_order_on_micrograd_values() -> None:
    second = al.grad(al.grad(lambda x: x.tanh()))(Value(0.5))
    t = math.tanh(0.5)
    assert second.data == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


# --- Neuron, Layer, MLP: micrograd's shape, weights and reprs ------------------------------


def parameter_data(model: Any) -> list[float]:
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize("sizes", [(2, [16, 16, 1]), (3, [4, 4, 1]), (1, [3, 2])])
def test_after_seeding_the_weights_are_micrograds(sizes: tuple[int, list[int]]) -> None:
    nin, nouts = sizes
    random.seed(1337)
    ours = MLP(nin, nouts)
    after_ours = random.random()
    random.seed(1337)
    theirs = mg_nn.MLP(nin, nouts)
    assert parameter_data(ours) == parameter_data(theirs)
    assert random.random() == after_ours  # the same number of draws, too
    assert all(n.b.data == 0.0 for layer in ours.layers for n in layer.neurons)


def test_reprs_are_micrograds() -> None:
    random.seed(0)
    ours = MLP(2, [16, 16, 1])
    random.seed(0)
    theirs = mg_nn.MLP(2, [16, 16, 1])
    assert repr(ours) == repr(theirs)
    assert repr(ours.layers[0]) == repr(theirs.layers[0])
    assert repr(Neuron(3, nonlin=False)) == "LinearNeuron(3)"
    assert repr(Layer(2, 2)) == "Layer of [ReLUNeuron(2), ReLUNeuron(2)]"


def test_shape_is_micrographs_layers_neurons_w_b() -> None:
    model = MLP(3, [4, 4, 1])
    assert [len(layer.neurons) for layer in model.layers] == [4, 4, 1]
    neuron = model.layers[1].neurons[2]
    assert len(neuron.w) == 4 and isinstance(neuron.b, Value)
    assert [n.nonlin for layer in model.layers for n in layer.neurons[:1]] == [True, True, False]
    assert len(model.parameters()) == 4 * 4 + 4 * 5 + 5 == 41
    assert model.parameters() == [p for layer in model.layers for p in layer.parameters()]
    assert isinstance(model, Module) and isinstance(model.layers[0], Module)


def test_named_parameters_follow_the_attribute_paths() -> None:
    model = MLP(2, [2, 1])
    named = dict(model.named_parameters())
    assert named["layers.0.neurons.1.w.0"] is model.layers[0].neurons[1].w[0]
    assert named["layers.1.neurons.0.b"] is model.layers[1].neurons[0].b
    assert list(named.values()) == model.parameters()


def test_one_output_returns_a_value_and_more_return_a_list() -> None:
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(Layer(2, 3)([1.0, 2.0]), list)


def test_a_one_neuron_hidden_layer_works_where_micrograd_fails() -> None:
    out = MLP(2, [1, 1])([1.0, 2.0])
    assert isinstance(out, Value)
    with pytest.raises(TypeError):
        mg_nn.MLP(2, [1, 1])([1.0, 2.0])


def test_forward_and_gradients_agree_with_micrograd() -> None:
    random.seed(7)
    ours = MLP(3, [4, 4, 2])
    random.seed(7)
    theirs = mg_nn.MLP(3, [4, 4, 2])
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        p.data = q.data = random.uniform(-1.0, 1.0)  # biases too: not 0
    x = [0.5, -1.5, 2.0]
    a, b = ours(x)
    (a * b + a).backward()
    ma, mb = theirs(x)
    (ma * mb + ma).backward()
    assert (a.data, b.data) == pytest.approx((ma.data, mb.data), rel=1e-13)
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [q.grad for q in theirs.parameters()], rel=1e-12, abs=1e-15
    )


def test_linear_neuron_and_layer_kwargs() -> None:
    n = Neuron(2, nonlin=False)
    n.w[0].data, n.w[1].data = 1.0, 2.0
    assert n([-3.0, 1.0]).data == -1.0  # no relu
    layer = Layer(2, 3, nonlin=False)
    assert all(not neuron.nonlin for neuron in layer.neurons)


def test_zero_grad_zeroes_every_parameter() -> None:
    model = MLP(2, [3, 1])
    out = model([1.0, -1.0])
    assert isinstance(out, engine.Value)
    (out * out + 1.0).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_inputs_may_be_numpy_arrays_and_numpy_scalars() -> None:
    random.seed(3)
    model = MLP(2, [3, 1])
    plain = model([0.1, 2.0])
    assert isinstance(plain, engine.Value)
    for x in (np.array([0.1, 2.0]), [np.float64(0.1), np.int64(2)], (Value(0.1), 2)):
        out = model(x)
        assert isinstance(out, engine.Value) and out.data == plain.data


@pytest.mark.parametrize(
    ("x", "error", "words"),
    [
        ([1.0], ValueError, "MLP expects 2 inputs, got 1"),
        ([1.0, 2.0, 3.0], ValueError, "MLP expects 2 inputs, got 3"),
        ("ab", TypeError, "MLP needs inputs as a list of 2 numbers"),
        (3.0, TypeError, "MLP needs inputs"),
        ([1.0, "2"], TypeError, r"MLP input 1 needs a real number"),
        ([1.0, math.nan], ValueError, r"MLP input 1 needs a finite number"),
    ],
)
def test_bad_inputs_are_refused_naming_the_model(
    x: object, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        MLP(2, [3, 1])(x)  # type: ignore[arg-type]


def test_bad_inputs_to_a_neuron_or_layer_name_it() -> None:
    with pytest.raises(ValueError, match="Neuron expects 3 inputs, got 2"):
        Neuron(3)([1.0, 2.0])
    with pytest.raises(ValueError, match="Layer expects 3 inputs, got 2"):
        Layer(3, 2)([1.0, 2.0])
    # micrograd's zip drops what does not fit
    assert isinstance(mg_nn.Neuron(3)([1.0, 2.0]), mg_engine.Value)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: MLP(0, [1]), "MLP nin must be a positive whole number"),
        (lambda: MLP(2, []), r"at least one layer"),
        (lambda: MLP(2, [2, 0]), r"MLP nouts\[1\] must be a positive whole number"),
        (lambda: MLP(2, [2.5]), r"MLP nouts\[0\] must be a whole number"),
        (lambda: Layer(2, 0), "Layer nout must be a positive"),
        (lambda: Neuron(-1), "Neuron nin must be a positive"),
    ],
)
def test_bad_sizes_are_refused(make: Callable[[], object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        make()


def test_nouts_as_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="MLP needs nouts as a list"):
        MLP(2, "12")  # type: ignore[arg-type]


def test_training_with_the_engines_tools() -> None:
    random.seed(1)
    model = MLP(2, [4, 1])
    optimizer = al.optim.SGD(model.parameters(), lr=0.05)
    xs = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
    ys = [1.0, 1.0, -1.0, -1.0]

    def loss() -> engine.Value:
        return sum(((model(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))

    first = loss().data
    for _ in range(50):
        model.zero_grad()
        j = loss()
        j.backward()
        optimizer.step()
    assert loss().data < first


# --- draw_dot ------------------------------------------------------------------------------


def test_draw_dot_returns_a_digraph_with_format_and_rankdir() -> None:
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    dot = draw_dot(y)
    assert isinstance(dot, graphviz.Digraph)
    assert dot.format == "svg"
    assert "rankdir=LR" in dot.source
    tall = draw_dot(y, format="png", rankdir="TB")
    assert tall.format == "png" and "rankdir=TB" in tall.source


def test_draw_dot_draws_labels_data_grads_and_ops() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    e.backward()
    source = draw_dot(e).source
    row = "</td></tr><tr><td>"  # label, data and grad in a column
    assert f"<td><b>a</b>{row}data 2{row}grad -3</td>" in source
    assert f"<td><b>e</b>{row}data -6{row}grad 1</td>" in source
    assert re.findall(r"^\s*v\d+_op \[label=<([^>]*)>", source, flags=re.MULTILINE) == ["×"]


def test_draw_dot_of_trace_graphs_neuron_renders_to_svg() -> None:
    random.seed(1337)
    n = Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()
    svg = draw_dot(y).pipe()
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"format": "nope"}, ValueError, "format"),
        ({"rankdir": "XY"}, ValueError, "draw_dot rankdir must be one of TB, LR, BT, RL"),
    ],
)
def test_draw_dot_refuses_bad_arguments(
    kwargs: dict[str, str], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        draw_dot(Value(1.0), **kwargs)


def test_draw_dot_refuses_a_root_that_is_not_a_value() -> None:
    with pytest.raises(TypeError, match="draw_dot needs a Value as root, got float"):
        draw_dot(1.0)  # type: ignore[arg-type]


def test_draw_dot_refuses_a_graph_above_the_drawing_limit_naming_itself() -> None:
    from autograd_lite.viz import DEFAULT_MAX_NODES

    x = Value(1.0)
    for _ in range(DEFAULT_MAX_NODES):
        x = x + 1.0
    limit = f"draw_dot: the graph has more than {DEFAULT_MAX_NODES:,}"
    with pytest.raises(ValueError, match=limit):
        draw_dot(x)


def test_importing_the_module_does_not_import_graphviz() -> None:
    code = "import sys, autograd_lite.micrograd; print('graphviz' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


# --- the benchmark ---------------------------------------------------------------------------


def test_the_benchmark_runs_at_tiny_sizes() -> None:
    """benchmarks/micrograd_compat.py measures and agrees on results; no time is asserted."""
    import micrograd_compat

    results = micrograd_compat.measure(repeats=1, quick=True)
    assert set(results) == {"test_engine", "test_engine_forward", "demo_training", "subclass_cost"}
    for workload in results.values():
        assert len(workload["median_s"]) == 2
        assert all(t > 0 for t in workload["median_s"].values())
        assert workload["ratio"] > 0
    assert results["demo_training"]["ratio_of"] == "micrograd / autograd-lite"
    assert "subclass_cost" in micrograd_compat.table(results)


def test_the_benchmark_says_which_rows_it_skips_without_the_sdist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import micrograd_compat
    import micrograd_material

    monkeypatch.setattr(micrograd_material, "sdist_path", lambda: tmp_path / "missing.tar.gz")
    results = micrograd_compat.measure(repeats=1, quick=True)
    skipped = {name for name, workload in results.items() if "skipped" in workload}
    assert skipped == {"test_engine", "test_engine_forward"}
    assert results["demo_training"]["ratio"] > 0
    lines = micrograd_compat.table(results).splitlines()
    for name in sorted(skipped):
        row = lines.index(next(line for line in lines if line.startswith(f"{name}: ")))
        assert lines[row + 1].startswith("  SKIPPED: micrograd 0.1.0's source distribution is")
        assert "Run `make test` (or `make bench`)" in lines[row + 1]


def test_backward_closure_of_micrograd_says_there_is_none_and_what_to_call() -> None:
    o = Value(2.0) * Value(3.0)
    with pytest.raises(AttributeError, match=r"no per-node.*o\.backward\(\) runs the whole"):
        o._backward()
    with pytest.raises(AttributeError, match="no per-node backward"):
        o._backward = lambda: None
    assert o.data == 6.0 and o.grad == 0.0
