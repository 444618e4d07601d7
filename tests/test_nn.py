"""nn: Neuron, Layer, MLP, parameters, initialization, relu_activity, save/load."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from autograd_lite.core import nary
from autograd_lite.core.engine import Value
from autograd_lite.nn import (
    ACTIVATIONS,
    FORMAT,
    FORMAT_VERSION,
    MLP,
    NEGATIVE_SLOPE,
    Layer,
    Neuron,
)


def data_of(mlp: MLP) -> list[float]:
    return [p.data for p in mlp.parameters()]


def set_params(mlp: MLP, values: list[float]) -> None:
    for p, v in zip(mlp.parameters(), values, strict=True):
        p.data = v


# --- structure and names -------------------------------------------------------------------


def test_parameters_run_layer_by_layer_neuron_by_neuron_weights_then_bias() -> None:
    mlp = MLP(3, [2, 4, 1], seed=0)
    expected = [
        p for layer in mlp.layers for n in layer.neurons for p in [*n.w, n.b]
    ]
    assert [id(p) for p in mlp.parameters()] == [id(p) for p in expected]
    assert len(mlp.parameters()) == (3 + 1) * 2 + (2 + 1) * 4 + (4 + 1) * 1


def test_named_parameters_use_micrograd_paths() -> None:
    mlp = MLP(2, [2, 1], seed=0)
    named = mlp.named_parameters()
    names = [name for name, _ in named]
    assert names[:6] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
        "layers.0.neurons.1.w.1",
        "layers.0.neurons.1.b",
    ]
    assert names[-1] == "layers.1.neurons.0.b"
    assert dict(named)["layers.0.neurons.1.w.0"] is mlp.layers[0].neurons[1].w[0]
    assert [p for _, p in named] == mlp.parameters()


def test_parameters_carry_textbook_labels() -> None:
    mlp = MLP(2, [3, 2], seed=0)
    assert mlp.layers[0].neurons[0].w[1].label == "Θ⁽²⁾₁₂"
    assert mlp.layers[0].neurons[2].w[0].label == "Θ⁽²⁾₃₁"
    assert mlp.layers[0].neurons[2].b.label == "b⁽²⁾₃"
    assert mlp.layers[1].neurons[1].w[2].label == "Θ⁽³⁾₂₃"
    assert mlp.layers[1].neurons[0].b.label == "b⁽³⁾₁"


def test_zero_grad_zeroes_every_parameter() -> None:
    mlp = MLP(2, [3, 1], activation="tanh", seed=1)
    nary.total(mlp([0.5, -1.0])).backward()
    assert any(p.grad != 0.0 for p in mlp.parameters())
    mlp.zero_grad()
    assert all(p.grad == 0.0 for p in mlp.parameters())


def test_neuron_computes_z_with_one_dot_node_then_the_activation() -> None:
    n = Neuron(2, "relu", rng=random.Random(0))
    n.w[0].data, n.w[1].data, n.b.data = 2.0, -1.0, 0.5
    out = n([1.0, 3.0])
    assert out.op == "relu"
    z = out.inputs[0]
    assert isinstance(z, Value) and z.op == "dot"
    assert z.data == 2.0 * 1.0 + -1.0 * 3.0 + 0.5
    assert out.data == 0.0  # z = -0.5: the gate is closed


def test_layer_returns_a_list_even_for_one_neuron() -> None:
    layer = Layer(2, 1, "linear", rng=random.Random(0))
    out = layer([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)


def test_mlp_returns_a_list_even_for_one_output() -> None:
    out = MLP(1, [1], seed=0)([2.0])
    assert isinstance(out, list) and len(out) == 1


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_works_for_hidden_and_output_layers(activation: str) -> None:
    mlp = MLP(1, [1, 1], activation=activation, output_activation=activation, seed=0)
    for layer in mlp.layers:
        layer.neurons[0].w[0].data = 1.0
        layer.neurons[0].b.data = 0.0
    x = -0.7
    expected = {
        "relu": 0.0,
        "leaky_relu": NEGATIVE_SLOPE * NEGATIVE_SLOPE * x,
        "tanh": math.tanh(math.tanh(x)),
        "sigmoid": 1 / (1 + math.exp(-1 / (1 + math.exp(-x)))),
        "linear": x,
    }[activation]
    assert mlp([x])[0].data == pytest.approx(expected, abs=1e-15)
    assert [layer.activation for layer in mlp.layers] == [activation, activation]


def test_output_activation_relu_gives_the_seed_network() -> None:
    mlp = MLP(2, [2, 2], output_activation="relu", seed=0)
    assert [layer.activation for layer in mlp.layers] == ["relu", "relu"]
    assert mlp.nin == 2 and mlp.nouts == [2, 2]
    assert all(a.op == "relu" for a in mlp([1.0, 0.5]))


def test_default_output_is_linear() -> None:
    mlp = MLP(2, [3, 1])
    assert [layer.activation for layer in mlp.layers] == ["relu", "linear"]
    assert mlp([1.0, 2.0])[0].op == "dot"


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(2, [2], activation="softmax"),
        lambda: MLP(2, [2], output_activation="ReLU"),
        lambda: Layer(2, 2, "gelu"),
        lambda: Neuron(2, "swish"),
    ],
)
def test_unknown_activation_lists_the_valid_names(make: object) -> None:
    with pytest.raises(ValueError, match="valid names are relu, leaky_relu, tanh, sigmoid, linear"):
        make()  # type: ignore[operator]


def test_wrong_input_length_names_expected_and_actual() -> None:
    mlp = MLP(3, [2, 1], seed=0)
    with pytest.raises(ValueError, match="MLP expects 3 inputs, got 2"):
        mlp([1.0, 2.0])
    with pytest.raises(ValueError, match="Layer expects 3 inputs, got 4"):
        mlp.layers[0]([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="Neuron expects 3 inputs, got 1"):
        mlp.layers[0].neurons[0]([1.0])


def test_bad_input_values_are_refused() -> None:
    mlp = MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match="MLP input 1 needs a real number, got str '2'"):
        mlp([1.0, "2"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="MLP input 0 needs a finite number, got nan"):
        mlp([math.nan, 1.0])
    with pytest.raises(TypeError, match="needs inputs as a list of 2 numbers"):
        mlp(1.0)  # type: ignore[arg-type]


def test_inputs_may_be_values_and_get_gradients() -> None:
    mlp = MLP(2, [1], output_activation="linear", seed=0)
    x = [Value(1.0), Value(2.0)]
    mlp(x)[0].backward()
    assert x[0].grad == mlp.layers[0].neurons[0].w[0].data
    assert x[1].grad == mlp.layers[0].neurons[0].w[1].data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, [1]), "MLP nin must be a positive whole number, got 0"),
        ((2, []), "nouts must be a non-empty list"),
        ((2, [2, 0]), "MLP layer width must be a positive whole number, got 0"),
        ((2, [1.5]), "must be a whole number, got float 1.5"),
        ((True, [1]), "MLP nin must be a whole number, got bool True"),
    ],
)
def test_bad_sizes_are_refused(args: tuple[object, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MLP(*args)  # type: ignore[arg-type]


# --- initialization ------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_relu_family_starts_he_uniform(activation: str) -> None:
    mlp = MLP(4, [50, 1], activation=activation, seed=0)
    ws = [w.data for n in mlp.layers[0].neurons for w in n.w]
    he = math.sqrt(6 / 4)
    xavier = math.sqrt(6 / (4 + 50))
    assert max(abs(w) for w in ws) <= he
    assert max(abs(w) for w in ws) > 2 * xavier  # far wider than Glorot would allow


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_tanh_and_sigmoid_start_xavier_uniform(activation: str) -> None:
    mlp = MLP(4, [50, 1], activation=activation, seed=0)
    ws = [w.data for n in mlp.layers[0].neurons for w in n.w]
    xavier = math.sqrt(6 / (4 + 50))
    assert max(abs(w) for w in ws) <= xavier
    assert max(abs(w) for w in ws) > 0.8 * xavier  # uses the whole range, not a narrower one


def test_biases_start_at_zero() -> None:
    mlp = MLP(3, [4, 2], seed=5)
    assert all(n.b.data == 0.0 for layer in mlp.layers for n in layer.neurons)


def test_a_seed_reproduces_a_model_exactly() -> None:
    a = MLP(3, [4, 4, 2], activation="tanh", seed=42)
    random.seed(0)  # the global generator must not matter
    MLP(3, [4], seed=1)  # nor another model made in between
    b = MLP(3, [4, 4, 2], activation="tanh", seed=42)
    assert data_of(a) == data_of(b)
    assert data_of(a) != data_of(MLP(3, [4, 4, 2], activation="tanh", seed=43))
    assert data_of(MLP(3, [4, 2])) != data_of(MLP(3, [4, 2]))  # seed=None: fresh draws


# --- relu_activity -------------------------------------------------------------------------


def test_relu_activity_is_the_share_of_samples_with_open_gates() -> None:
    mlp = MLP(1, [2, 1], output_activation="relu", seed=0)
    set_params(mlp, [1.0, 0.0, -1.0, 0.0, 1.0, 1.0, -10.0])  # h1 = x⁺, h2 = (−x)⁺, out dead
    activity = mlp.relu_activity([[-2.0], [-1.0], [0.0], [3.0]])
    # z = 0 counts as closed: relu′(0) = 0
    assert activity == [[0.25, 0.5], [0.0]]


def test_relu_activity_gives_empty_lists_for_other_layers() -> None:
    mlp = MLP(1, [3, 2, 1], activation="relu", output_activation="linear", seed=0)
    activity = mlp.relu_activity([[1.0], [-1.0]])
    assert len(activity) == len(mlp.layers)
    assert [len(a) for a in activity] == [3, 2, 0]
    leaky = MLP(1, [3, 1], activation="leaky_relu", output_activation="relu", seed=0)
    assert [len(a) for a in leaky.relu_activity([[1.0]])] == [0, 1]


def test_relu_activity_builds_no_graph_and_checks_its_input() -> None:
    mlp = MLP(2, [2, 1], seed=0)
    mlp.relu_activity([[1.0, 2.0]])
    assert all(p.grad == 0.0 for p in mlp.parameters())
    with pytest.raises(ValueError, match="non-empty list"):
        mlp.relu_activity([])
    with pytest.raises(ValueError, match="relu_activity sample 1 expects 2 inputs, got 1"):
        mlp.relu_activity([[1.0, 2.0], [1.0]])


# --- save and load -------------------------------------------------------------------------


def test_save_and_load_round_trip_exactly(tmp_path: Path) -> None:
    mlp = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=7)
    path = mlp.save(tmp_path / "model.json")
    loaded = MLP.load(path)
    assert data_of(loaded) == data_of(mlp)
    assert (loaded.nin, loaded.nouts) == (3, [4, 2])
    assert [layer.activation for layer in loaded.layers] == ["tanh", "sigmoid"]
    assert [p.label for p in loaded.parameters()] == [p.label for p in mlp.parameters()]
    x = [0.1, -0.2, 0.3]
    assert [a.data for a in loaded(x)] == [a.data for a in mlp(x)]


def test_saved_file_is_json_with_format_version_and_architecture(tmp_path: Path) -> None:
    path = MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    saved = json.loads(path.read_text("utf-8"))
    assert saved["format"] == FORMAT and saved["version"] == FORMAT_VERSION
    assert saved["nin"] == 2 and saved["nouts"] == [3, 1]
    assert saved["activation"] == "relu" and saved["output_activation"] == "linear"
    assert len(saved["layers"][0]) == 3 and len(saved["layers"][0][0]["w"]) == 2


def good_file() -> dict[str, object]:
    return MLP(2, [2, 1], seed=0).to_dict()


def edit(change: str) -> str:
    """The JSON text of a good model file with one thing wrong."""
    d = good_file()
    layers: list[list[dict[str, object]]] = d["layers"]  # type: ignore[assignment]
    if change == "version":
        d["version"] = 2
    elif change == "version-string":
        d["version"] = "1"
    elif change == "version-bool":
        d["version"] = True
    elif change == "format":
        d["format"] = "something-else"
    elif change == "missing":
        del d["nouts"]
    elif change == "layers-count":
        layers.pop()
    elif change == "neurons-count":
        layers[0].pop()
    elif change == "weights-count":
        layers[1][0]["w"] = [1.0]
    elif change == "weight-type":
        layers[0][1]["w"] = [1.0, "x"]
    elif change == "bias-bool":
        layers[0][0]["b"] = True
    elif change == "activation":
        d["activation"] = "swish"
    elif change == "nouts":
        d["nouts"] = [2, 0]
    elif change == "extra-key":
        layers[0][0]["c"] = 1.0
    elif change == "nin-bool":
        d["nin"] = True
    elif change == "nouts-empty":
        d["nouts"] = []
    elif change == "activation-number":
        d["output_activation"] = 3
    return json.dumps(d)


BAD_FILES = {
    "corrupt": ('{"format": "autograd-lite.mlp", "version": 1, "nin": ', "corrupt JSON"),
    "empty": ("", "corrupt JSON"),
    "array": ("[1, 2]", "expected a JSON object, got list"),
    "nan": (edit("none").replace('"b": 0.0', '"b": NaN', 1), "non-finite number NaN"),
    "huge": (edit("none").replace('"b": 0.0', '"b": 1e999', 1), "should be a finite number"),
    "version": (edit("version"), "unsupported version 2"),
    "version-string": (edit("version-string"), "unsupported version '1'"),
    "version-bool": (edit("version-bool"), "unsupported version True"),
    "format": (edit("format"), "not a model file"),
    "missing": (edit("missing"), r"missing keys \['nouts'\]"),
    "layers-count": (edit("layers-count"), "expected 2 layers"),
    "neurons-count": (edit("neurons-count"), r"layers\[0\] should hold 2 neurons, got 1"),
    "weights-count": (edit("weights-count"), r"layers\[1\]\[0\]\.w should hold 2 weights"),
    "weight-type": (edit("weight-type"), r"layers\[0\]\[1\]\.w\[1\] should be a finite number"),
    "bias-bool": (edit("bias-bool"), r"layers\[0\]\[0\]\.b should be a finite number"),
    "activation": (edit("activation"), "unknown activation 'swish'"),
    "nouts": (edit("nouts"), r"nouts\[1\] must be a positive whole number, got 0"),
    "extra-key": (edit("extra-key"), "keys 'w' and 'b'"),
    "nin-bool": (edit("nin-bool"), "nin must be a whole number, got bool True"),
    "nouts-empty": (edit("nouts-empty"), "nouts must be a non-empty list of layer widths"),
    "activation-number": (edit("activation-number"), "output_activation must be a string, got 3"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_model_files_raise_valueerror_and_change_nothing(tmp_path: Path, case: str) -> None:
    text, message = BAD_FILES[case]
    path = tmp_path / "bad.json"
    path.write_text(text, "utf-8")
    with pytest.raises(ValueError, match=message):
        MLP.load(path)
    model = MLP(2, [2, 1], seed=3)
    before = data_of(model)
    with pytest.raises(ValueError, match=message):
        model.load_parameters(path)
    assert data_of(model) == before


def test_a_binary_file_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ValueError, match="not a model file"):
        MLP.load(path)


def test_load_parameters_needs_the_same_architecture(tmp_path: Path) -> None:
    path = MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    other = MLP(2, [2, 1], seed=1)
    before = data_of(other)
    with pytest.raises(ValueError, match="architecture"):
        other.load_parameters(path)
    assert data_of(other) == before
    same = MLP(2, [3, 1], seed=1)
    same.load_parameters(path)
    assert data_of(same) == data_of(MLP(2, [3, 1], seed=0))


def test_loading_a_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        MLP.load(tmp_path / "nothing.json")


def test_parameters_are_named_parameters_in_the_same_order_at_every_level() -> None:
    mlp = MLP(3, [4, 2], seed=1)
    for module in (mlp, mlp.layers[1], mlp.layers[0].neurons[2]):
        named = [p for _, p in module.named_parameters()]
        params = module.parameters()
        assert len(params) == len(named)
        assert all(p is q for p, q in zip(params, named, strict=True))


def test_a_module_that_lists_its_own_values_gets_parameters_and_zero_grad() -> None:
    from autograd_lite.nn import Module

    class Scale(Module):
        def __init__(self) -> None:
            self.k = Value(2.0)

        def named_parameters(self) -> list[tuple[str, Value]]:
            return [("k", self.k)]

    scale = Scale()
    scale.k.grad = 3.0
    assert scale.parameters() == [scale.k]
    scale.zero_grad()
    assert scale.k.grad == 0.0
