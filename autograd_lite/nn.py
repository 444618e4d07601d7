"""Neural networks on the engine: `Module`, `Neuron`, `Layer` and `MLP`.

The shape is micrograd's: `mlp.layers[i].neurons[j].w[k]` and `.b`. Layers are numbered
as in the textbook (see `notation`): the input is layer 1, and `mlp.layers[i]` computes
layer l = i + 2,

    z⁽ˡ⁾ = Θ⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,   a⁽ˡ⁾ = g(z⁽ˡ⁾)

so `mlp.layers[0].neurons[j - 1].w[k - 1]` is Θ⁽²⁾ⱼₖ, and every parameter carries that
name as its `label` (graph drawings show it).

Models save to JSON (never pickle) with a format version and the architecture.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import nodes
from .engine import Value
from .modes import no_grad
from .notation import bias_label, layer_number, weight_label
from .validation import is_finite_number

__all__ = [
    "ACTIVATIONS",
    "FORMAT",
    "FORMAT_VERSION",
    "LEAKY_SLOPE",
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "activate",
    "check_activation",
]

#: The activations g a layer can use, hidden or output alike.
ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")
#: g(z) = slope·z for z ≤ 0 in "leaky_relu" layers (manual.py uses the same slope).
LEAKY_SLOPE = 0.01
#: What `MLP.save` writes into the file, and what `MLP.load` accepts.
FORMAT = "autograd-lite.mlp"
FORMAT_VERSION = 1

Input = float | Value


def check_activation(name: object, where: str = "activation") -> str:
    """name, if it is one of ACTIVATIONS; else ValueError listing the valid names."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown {where} {name!r}: valid names are {', '.join(ACTIVATIONS)}")
    return name


def activate(z: Value, activation: str) -> Value:
    """a = g(z) for the named activation g."""
    if activation == "relu":
        return z.relu()
    if activation == "leaky_relu":
        return z.leaky_relu(LEAKY_SLOPE)
    if activation == "tanh":
        return z.tanh()
    if activation == "sigmoid":
        return z.sigmoid()
    if activation == "linear":
        return z
    raise ValueError(f"unknown activation {activation!r}: valid names are {', '.join(ACTIVATIONS)}")


def _init_bound(activation: str, fan_in: int, fan_out: int) -> float:
    # He/Kaiming uniform keeps Var(z) steady through rectifiers (half the units are off);
    # Xavier/Glorot uniform suits the symmetric tanh and sigmoid, and the linear output.
    if activation in ("relu", "leaky_relu"):
        return math.sqrt(6.0 / fan_in)
    return math.sqrt(6.0 / (fan_in + fan_out))


def _check_inputs(x: object, nin: int, who: str) -> list[Input]:
    """x as a list of nin numbers or Values, or ValueError/TypeError naming `who`."""
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(
            f"{who} needs a list of {nin} numbers or Values, got {type(x).__name__} {x!r}"
        )
    if len(x) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(x)}: {list(x)!r}")
    checked: list[Input] = []
    for k, xk in enumerate(x):
        if isinstance(xk, Value):
            checked.append(xk)
            continue
        if isinstance(xk, bool) or not isinstance(xk, (int, float)):
            raise TypeError(f"{who} input {k} must be a number or a Value, got {xk!r}")
        if not is_finite_number(xk):
            raise ValueError(f"{who} input {k} must be finite, got {xk!r}")
        checked.append(float(xk))
    return checked


class Module:
    """Anything with parameters: `parameters()`, `named_parameters()`, `zero_grad()`."""

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[(name, θ)] for every parameter; subclasses list theirs."""
        return []

    def parameters(self) -> list[Value]:
        """[θ] for every parameter, in the order of `named_parameters()`."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Sets ∂J/∂θ := 0 for every parameter (leaves accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One unit j of layer l: a⁽ˡ⁾ⱼ = g(Σₖ Θ⁽ˡ⁾ⱼₖ a⁽ˡ⁻¹⁾ₖ + b⁽ˡ⁾ⱼ).

    `layer` (textbook l) and `index` (j, from 0) only name the parameters; `fan_out` (the
    width of layer l) enters the Xavier bound. `rng` draws the initial weights (a fresh
    `random.Random()` when None).
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        layer: int = 2,
        index: int = 0,
        fan_out: int = 1,
        rng: random.Random | None = None,
    ) -> None:
        _check_size(nin, "Neuron nin")
        self.activation = check_activation(activation)
        bound = _init_bound(self.activation, nin, fan_out)
        rng = rng if rng is not None else random.Random()
        self.w = [
            Value(rng.uniform(-bound, bound), weight_label(layer, index + 1, k + 1))
            for k in range(nin)
        ]
        self.b = Value(0.0, bias_label(layer, index + 1))

    def __call__(self, x: Sequence[Input]) -> Value:
        """a = g(z), with z = w·x + b built as one `dot` node."""
        return self._forward(_check_inputs(x, len(self.w), "Neuron"))

    def _forward(self, x: list[Input]) -> Value:
        return activate(nodes.dot(self.w, x, self.b), self.activation)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[('w.0', Θⱼ₁), …, ('b', bⱼ)]: weights then bias."""
        return [*((f"w.{k}", w) for k, w in enumerate(self.w)), ("b", self.b)]

    def parameters(self) -> list[Value]:
        # as named_parameters, without building names: optimizers and zero_grad call it
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation!r})"


class Layer(Module):
    """Layer l: a⁽ˡ⁾ = g(Θ⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾), `nout` neurons reading `nin` inputs."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        layer: int = 2,
        rng: random.Random | None = None,
    ) -> None:
        _check_size(nin, "Layer nin")
        _check_size(nout, "Layer nout")
        self.activation = check_activation(activation)
        self.neurons = [
            Neuron(nin, activation, layer=layer, index=j, fan_out=nout, rng=rng)
            for j in range(nout)
        ]

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        """[a⁽ˡ⁾₁, …]: always a list, even for one neuron."""
        return self._forward(_check_inputs(x, len(self.neurons[0].w), "Layer"))

    def _forward(self, x: list[Input]) -> list[Value]:
        neurons = self.neurons
        zs = nodes.affine([n.w for n in neurons], x, [n.b for n in neurons])
        return [activate(z, self.activation) for z in zs]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[('neurons.j.w.k', Θⱼₖ), …, ('neurons.j.b', bⱼ), …], neuron by neuron."""
        return [
            (f"neurons.{j}.{name}", p)
            for j, n in enumerate(self.neurons)
            for name, p in n.named_parameters()
        ]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({len(self.neurons[0].w)}, {len(self.neurons)}, {self.activation!r})"


class MLP(Module):
    """A multilayer perceptron: nin inputs, then one layer per entry of `nouts`.

    Hidden layers use `activation`, the last layer `output_activation`; both are one of
    ACTIVATIONS. `MLP(2, [2, 2], output_activation="relu")` is the seed's network.
    Weights start He/Kaiming uniform for relu and leaky_relu layers, Xavier/Glorot
    uniform otherwise; biases start at 0. Each model draws from its own
    `random.Random(seed)`, so a seed reproduces a model exactly (seed=None: fresh
    randomness).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: int | None = None,
    ) -> None:
        _check_size(nin, "MLP nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP nouts must be a non-empty list of layer widths, got {nouts!r}")
        for n in nouts:
            _check_size(n, "MLP layer width")
        check_activation(activation)
        check_activation(output_activation, "output_activation")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"MLP seed must be an int or None, got {seed!r}")
        self.nin = nin
        self.nouts = list(nouts)
        self.activation = activation
        self.output_activation = output_activation
        self.seed = seed
        rng = random.Random(seed)
        sizes = [nin, *self.nouts]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                output_activation if i == len(self.nouts) - 1 else activation,
                layer=layer_number(i),
                rng=rng,
            )
            for i in range(len(self.nouts))
        ]

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        """[a⁽ᴸ⁾₁, …]: the outputs, always a list."""
        a: list[Input] = _check_inputs(x, self.nin, "MLP")
        out: list[Value] = []
        for layer in self.layers:
            out = layer._forward(a)
            a = list(out)
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[('layers.i.neurons.j.w.k', Θ⁽ⁱ⁺²⁾ⱼ₊₁,ₖ₊₁), …]: layer by layer, weights then bias."""
        return [
            (f"layers.{i}.{name}", p)
            for i, layer in enumerate(self.layers)
            for name, p in layer.named_parameters()
        ]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def relu_activity(self, xs: Sequence[Sequence[Input]]) -> list[list[float]]:
        """[[fraction of samples with z⁽ˡ⁾ⱼ > 0 for each unit j] for each layer].

        One list per entry of `self.layers` (index i is textbook layer l = i + 2), so
        the result lines up with the layers. For a layer whose activation is "relu"
        the list holds one fraction per unit: the share of the samples `xs` for which
        that unit's gate is open (z > 0). A unit at 0.0 is dead: no sample gets a
        gradient through it, so plain gradient descent never revives it. For every
        other activation (leaky_relu included: its gate never fully closes) the list
        is empty. Computed on floats; no graph is built.
        """
        if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence) or not xs:
            raise ValueError("relu_activity needs a non-empty list of input samples")
        checked = [
            _check_inputs(x, self.nin, f"relu_activity sample {s}")
            for s, x in enumerate(xs)
        ]
        counts = [[0] * len(layer.neurons) for layer in self.layers]
        with no_grad():  # only the numbers z are needed: no graph
            for x in checked:
                a = x
                for i, layer in enumerate(self.layers):
                    z = [nodes.dot(n.w, a, n.b) for n in layer.neurons]
                    counts[i] = [c + (zj.data > 0.0) for c, zj in zip(counts[i], z)]
                    a = [activate(zj, layer.activation) for zj in z]
        return [
            [c / len(xs) for c in counts[i]] if layer.activation == "relu" else []
            for i, layer in enumerate(self.layers)
        ]

    # --- JSON ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data: format, version, architecture and parameters."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "layers": [
                [{"w": [w.data for w in n.w], "b": n.b.data} for n in layer.neurons]
                for layer in self.layers
            ],
        }

    def save(self, path: str | Path) -> Path:
        """The path written: the model as JSON (floats round-trip exactly)."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n", "utf-8")
        return path

    @classmethod
    def from_dict(cls, data: object, source: str = "model data") -> MLP:
        """A new MLP from `to_dict()` data, after checking all of it (ValueError if bad)."""
        arch, values = _validate(data, source)
        mlp = cls(arch["nin"], arch["nouts"], arch["activation"], arch["output_activation"])
        mlp._assign(values)
        return mlp

    @classmethod
    def load(cls, path: str | Path) -> MLP:
        """A new MLP read from a `save` file; ValueError naming what is wrong if it is bad."""
        return cls.from_dict(_read_json(path), str(path))

    def load_parameters(self, path: str | Path) -> None:
        """Sets every θ from a `save` file of the same architecture.

        Everything is checked before anything is assigned: on a corrupt file, a wrong
        version or another architecture it raises ValueError and this model is unchanged.
        """
        arch, values = _validate(_read_json(path), str(path))
        mine = {k: v for k, v in self.to_dict().items() if k in arch}
        if arch != mine:
            raise ValueError(
                f"{path}: the file holds a model with architecture {arch}, "
                f"but this model is {mine}"
            )
        self._assign(values)

    def _assign(self, values: list[float]) -> None:
        for p, v in zip(self.parameters(), values, strict=True):
            p.data = v
            p.grad = 0.0

    def __repr__(self) -> str:
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )


# --- helpers ------------------------------------------------------------------------------


def _check_size(n: object, what: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")


def _read_json(path: str | Path) -> object:
    try:
        text = Path(path).read_text("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not a model file (not UTF-8 text: {error.reason})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise ValueError(f"{path}: not a model file (corrupt JSON: {error})") from None


def _reject_constant(name: str) -> float:
    # JSON has no NaN or Infinity; Python's json would accept them, a model must not.
    raise ValueError(f"non-finite number {name}")


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _validate(data: object, source: str) -> tuple[dict[str, Any], list[float]]:
    """(architecture, parameter values in parameters() order), or ValueError saying what."""

    def bad(message: str) -> ValueError:
        return ValueError(f"{source}: {message}")

    if not isinstance(data, dict):
        raise bad(f"not a model file (expected a JSON object, got {type(data).__name__})")
    if data.get("format") != FORMAT:
        raise bad(f"not a model file (format is {data.get('format')!r}, expected {FORMAT!r})")
    version = data.get("version")
    if version != FORMAT_VERSION or not _is_int(version):
        raise bad(f"unsupported version {version!r} (this autograd-lite reads {FORMAT_VERSION})")
    missing = {"nin", "nouts", "activation", "output_activation", "layers"} - data.keys()
    if missing:
        raise bad(f"missing keys {sorted(missing)}")
    nin, nouts = data["nin"], data["nouts"]
    if not _is_int(nin) or nin < 1:
        raise bad(f"nin must be a positive int, got {nin!r}")
    if not isinstance(nouts, list) or not nouts or not all(_is_int(n) and n >= 1 for n in nouts):
        raise bad(f"nouts must be a non-empty list of positive ints, got {nouts!r}")
    try:
        check_activation(data["activation"])
        check_activation(data["output_activation"], "output_activation")
    except ValueError as error:
        raise bad(str(error)) from None
    layers = data["layers"]
    if not isinstance(layers, list) or len(layers) != len(nouts):
        raise bad(f"expected {len(nouts)} layers (nouts={nouts}), got {_len(layers)}")
    values: list[float] = []
    for i, (layer, nout, fan_in) in enumerate(zip(layers, nouts, [nin, *nouts])):
        if not isinstance(layer, list) or len(layer) != nout:
            raise bad(f"layers[{i}] should hold {nout} neurons, got {_len(layer)}")
        for j, neuron in enumerate(layer):
            where = f"layers[{i}][{j}]"
            if not isinstance(neuron, dict) or set(neuron) != {"w", "b"}:
                raise bad(f"{where} should be an object with keys 'w' and 'b', got {neuron!r}")
            w = neuron["w"]
            if not isinstance(w, list) or len(w) != fan_in:
                raise bad(f"{where}.w should hold {fan_in} weights, got {_len(w)}")
            for k, x in enumerate([*w, neuron["b"]]):
                if not is_finite_number(x):
                    name = f"{where}.w[{k}]" if k < fan_in else f"{where}.b"
                    raise bad(f"{name} should be a finite number, got {x!r}")
                values.append(float(x))
    arch = {k: data[k] for k in ("nin", "nouts", "activation", "output_activation")}
    return arch, values


def _len(x: object) -> str:
    return f"{len(x)} ({type(x).__name__})" if isinstance(x, (list, dict)) else repr(x)
