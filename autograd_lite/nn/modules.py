"""Neural networks on the engine: `Module`, `Neuron`, `Layer` and `MLP`.

The shape is micrograd's: `mlp.layers[i].neurons[j].w[k]` and `.b`. Layers are numbered
as in the textbook (see `notation`): the input is layer 1, and `mlp.layers[i]` computes
layer l = i + 2,

    z⁽ˡ⁾ = Θ⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,   a⁽ˡ⁾ = g(z⁽ˡ⁾)

so `mlp.layers[0].neurons[j - 1].w[k - 1]` is Θ⁽²⁾ⱼₖ, and every parameter carries that
name as its `label` (graph drawings show it).

Inputs may be any list-like collection of numbers or Values: lists, tuples, NumPy arrays,
with NumPy's scalars among the numbers. Models save to JSON (never pickle): the file
format, and the limits on what a load accepts, live in `model_file`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..atomic import assign
from ..core import nary
from ..core.collector import no_gc
from ..core.engine import NEGATIVE_SLOPE, Value
from ..core.modes import no_grad
from ..core.validation import as_list, real_number, whole_number
from . import model_file
from .model_file import FORMAT, FORMAT_VERSION, MAX_BYTES, MAX_LAYERS, MAX_PARAMETERS
from .notation import bias_label, layer_number, weight_label

__all__ = [
    "ACTIVATIONS",
    "FORMAT",
    "FORMAT_VERSION",
    "MLP",
    "NEGATIVE_SLOPE",
    "Layer",
    "Module",
    "Neuron",
    "activate",
    "check_activation",
    "check_inputs",
]

#: The activations g a layer can use, hidden or output alike. "leaky_relu" layers use
#: g(z) = NEGATIVE_SLOPE·z for z ≤ 0: the engine's default negative_slope, re-exported here.
ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")

Input = float | Value


def check_activation(name: object, where: str = "activation") -> str:
    """name, if it is one of ACTIVATIONS; else ValueError listing the valid names."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(
            f"unknown {where} {name!r:.60}: valid names are {', '.join(ACTIVATIONS)}"
        )
    return name


#: g for each activation but "linear" (a = z), as the Value method that computes it.
_G: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,  # its default negative_slope is NEGATIVE_SLOPE
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
}


def activate(z: Value, activation: str) -> Value:
    """a = g(z) for the named activation g."""
    if check_activation(activation) == "linear":
        return z
    return _G[activation](z)


def _activate_all(zs: list[Value], activation: str) -> list[Value]:
    """[g(zⱼ) for each j], looking g up once for the whole layer."""
    if activation == "linear":
        return zs
    g = _G[activation]
    return [g(z) for z in zs]


def _init_bound(activation: str, fan_in: int, fan_out: int) -> float:
    # He/Kaiming uniform keeps Var(z) steady through rectifiers (half the units are off);
    # Xavier/Glorot uniform suits the symmetric tanh and sigmoid, and the linear output.
    if activation in ("relu", "leaky_relu"):
        return math.sqrt(6.0 / fan_in)
    return math.sqrt(6.0 / (fan_in + fan_out))


def check_inputs(x: object, nin: int, who: str) -> list[Input]:
    """x as a list of nin inputs: Values as they are, any real number as a finite float;
    else TypeError/ValueError naming `who` (see `validation`)."""
    items = as_list(x, who, "inputs", nin)
    return [
        # a finite float or a Value is used as it is, without formatting the error's name
        xk
        if (xk.__class__ is float and xk - xk == 0.0) or isinstance(xk, Value)
        else real_number(xk, f"{who} input {k}")
        for k, xk in enumerate(items)
    ]


class Module:
    """Anything with parameters: `parameters()`, `named_parameters()`, `zero_grad()`.

    A Layer holds Neurons and an MLP holds Layers: each names the list of its
    sub-modules in `_submodules`, and the methods here walk it. A module that holds
    Values itself (a Neuron) lists them in `named_parameters`.
    """

    #: The attribute holding the sub-modules, in order ("neurons" in a Layer).
    _submodules: ClassVar[str] = ""

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[(name, θ)] for every parameter, named by its path: 'layers.0.neurons.1.w.0'."""
        field = self._submodules
        if not field:
            return []
        return [
            (f"{field}.{i}.{name}", p)
            for i, module in enumerate(getattr(self, field))
            for name, p in module.named_parameters()
        ]

    def parameters(self) -> list[Value]:
        """[θ] for every parameter, in the order of `named_parameters()`."""
        if not self._submodules:
            return [p for _, p in self.named_parameters()]
        return [p for module in getattr(self, self._submodules) for p in module.parameters()]

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
        nin = whole_number(nin, "Neuron nin")
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
        return self._forward(check_inputs(x, len(self.w), "Neuron"))

    def _forward(self, x: Sequence[Input]) -> Value:
        return activate(nary.dot(self.w, x, self.b), self.activation)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[('w.0', Θⱼ₁), …, ('b', bⱼ)]: weights then bias."""
        return [*((f"w.{k}", w) for k, w in enumerate(self.w)), ("b", self.b)]

    def parameters(self) -> list[Value]:
        """[Θⱼ₁, …, bⱼ]: the weights, then the bias (as named_parameters, without building
        the names: optimizers and zero_grad call this at every step)."""
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation!r})"


class Layer(Module):
    """Layer l: a⁽ˡ⁾ = g(Θ⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾), `nout` neurons reading `nin` inputs.

    Its parameters run neuron by neuron: 'neurons.j.w.k' is Θⱼ₊₁,ₖ₊₁.
    """

    _submodules = "neurons"

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        layer: int = 2,
        rng: random.Random | None = None,
    ) -> None:
        nin = whole_number(nin, "Layer nin")
        nout = whole_number(nout, "Layer nout")
        self.activation = check_activation(activation)
        self.neurons = [
            Neuron(nin, activation, layer=layer, index=j, fan_out=nout, rng=rng)
            for j in range(nout)
        ]

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        """[a⁽ˡ⁾₁, …]: always a list, even for one neuron."""
        return self._forward(check_inputs(x, len(self.neurons[0].w), "Layer"))

    def _forward(self, x: Sequence[Input]) -> list[Value]:
        neurons = self.neurons
        zs = nary.affine([n.w for n in neurons], x, [n.b for n in neurons])
        return _activate_all(zs, self.activation)

    def __repr__(self) -> str:
        return f"Layer({len(self.neurons[0].w)}, {len(self.neurons)}, {self.activation!r})"


class MLP(Module):
    """A multilayer perceptron: nin inputs, then one layer per entry of `nouts`.

    Hidden layers use `activation`, the last layer `output_activation`; both are one of
    ACTIVATIONS. `MLP(2, [2, 2], output_activation="relu")` is the seed's network.
    Weights start He/Kaiming uniform for relu and leaky_relu layers, Xavier/Glorot
    uniform otherwise; biases start at 0. Each model draws from its own
    `random.Random(seed)`, so a seed reproduces a model exactly (seed=None: fresh
    randomness). Its parameters run layer by layer: 'layers.i.neurons.j.w.k' is
    Θ⁽ⁱ⁺²⁾ⱼ₊₁,ₖ₊₁.
    """

    _submodules = "layers"

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: int | None = None,
    ) -> None:
        nin = whole_number(nin, "MLP nin")
        widths = as_list(nouts, "MLP", "nouts (the layer widths)")
        if not widths:
            raise ValueError(f"MLP nouts must be a non-empty list of layer widths, got {nouts!r}")
        self.nin = nin
        self.nouts = [whole_number(n, "MLP layer width") for n in widths]
        self.activation = check_activation(activation)
        self.output_activation = check_activation(output_activation, "output_activation")
        self.seed = None if seed is None else whole_number(seed, "MLP seed", minimum=None)
        rng = random.Random(self.seed)
        sizes = [nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                output_activation if i == last else activation,
                layer=layer_number(i),
                rng=rng,
            )
            for i in range(len(self.nouts))
        ]

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        """[a⁽ᴸ⁾₁, …]: the outputs, always a list. The input is checked once, here."""
        a: Sequence[Input] = check_inputs(x, self.nin, "MLP")
        out: list[Value] = []
        for layer in self.layers:
            out = layer._forward(a)
            a = out
        return out

    def relu_activity(self, xs: Sequence[Sequence[Input]]) -> list[list[float]]:
        """[[fraction of samples with z⁽ˡ⁾ⱼ > 0 for each unit j] for each layer].

        One list per entry of `self.layers` (index i is textbook layer l = i + 2), so
        the result lines up with the layers. For a layer whose activation is "relu"
        the list holds one fraction per unit: the share of the samples `xs` for which
        that unit's gate is open (z > 0). A unit at 0.0 is dead: no sample gets a
        gradient through it, so plain gradient descent never revives it. For every
        other activation (leaky_relu included: its gate never fully closes) the list
        is empty. Runs the layers' own forward pass under no_grad: no graph is built.
        """
        samples = as_list(xs, "relu_activity", "input samples")
        if not samples:
            raise ValueError("relu_activity needs a non-empty list of input samples")
        checked = [
            check_inputs(x, self.nin, f"relu_activity sample {s}") for s, x in enumerate(samples)
        ]
        counts = [[0] * len(layer.neurons) for layer in self.layers]
        with no_grad():  # only the numbers are needed: no graph
            for x in checked:
                a: Sequence[Input] = x
                for layer, count in zip(self.layers, counts):
                    out = layer._forward(a)
                    # relu(z) > 0 exactly when z > 0: the gate is open
                    count[:] = [c + (aj.data > 0.0) for c, aj in zip(count, out)]
                    a = out
        return [
            [c / len(checked) for c in count] if layer.activation == "relu" else []
            for layer, count in zip(self.layers, counts)
        ]

    # --- the model file (the format is model_file's) ----------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data: format, version, architecture and parameters."""
        return model_file.to_dict(self._architecture(), [p.data for p in self.parameters()])

    def save(self, path: str | Path) -> Path:
        """The path written: the model as JSON (floats round-trip exactly).

        The old file, if any, is replaced all or nothing: if the save fails (a full
        disk, a Ctrl-C) it is left byte for byte as it was.
        """
        return model_file.save(path, self._architecture(), [p.data for p in self.parameters()])

    @classmethod
    def from_dict(cls, data: object, source: str = "model data") -> MLP:
        """A new MLP from `to_dict()` data, after checking all of it (ValueError if bad)."""
        return cls._build(*model_file.from_dict(data, source), source)

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        max_bytes: int = MAX_BYTES,
        max_parameters: int = MAX_PARAMETERS,
        max_layers: int = MAX_LAYERS,
    ) -> MLP:
        """A new MLP read from a `save` file; ValueError naming what is wrong if it is bad.

        Only a regular file of at most `max_bytes` bytes, describing at most
        `max_parameters` parameters in `max_layers` layers, is read (see `model_file`
        for the defaults); the sizes are checked before anything is built.
        """
        architecture, values = model_file.read(
            path, max_bytes=max_bytes, max_parameters=max_parameters, max_layers=max_layers
        )
        return cls._build(architecture, values, str(path))

    def load_parameters(
        self,
        path: str | Path,
        *,
        max_bytes: int = MAX_BYTES,
        max_parameters: int = MAX_PARAMETERS,
        max_layers: int = MAX_LAYERS,
    ) -> None:
        """Sets every θ (and zeroes its ∂J/∂θ) from a `save` file of the same architecture.

        Everything is checked before anything is assigned, and the assignment is all or
        nothing: on a bad file, another architecture or a Ctrl-C, this model is unchanged.
        The limits are `load`'s.
        """
        architecture, values = model_file.read(
            path, max_bytes=max_bytes, max_parameters=max_parameters, max_layers=max_layers
        )
        _check_activations(architecture, str(path))
        if architecture != self._architecture():
            raise ValueError(
                f"{path}: the file holds a model with architecture {architecture}, "
                f"but this model is {self._architecture()}"
            )
        self._assign(values)

    @classmethod
    def _build(
        cls, architecture: model_file.Architecture, values: list[float], source: str
    ) -> MLP:
        _check_activations(architecture, source)
        a = architecture
        with no_gc():  # a model holds no reference cycles: see model_file.read
            mlp = cls(a.nin, a.nouts, a.activation, a.output_activation)
            mlp._assign(values)
        return mlp

    def _architecture(self) -> model_file.Architecture:
        return model_file.Architecture(
            self.nin, tuple(self.nouts), self.activation, self.output_activation
        )

    def _assign(self, values: list[float]) -> None:
        params = self.parameters()
        if len(values) != len(params):
            raise ValueError(f"MLP needs {len(params)} parameter values, got {len(values)}")
        assign([*params, *params], ["data"] * len(params) + ["grad"] * len(params),
               [*values, *[0.0] * len(params)])

    def __repr__(self) -> str:
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )


# --- helpers ------------------------------------------------------------------------------


def _check_activations(architecture: model_file.Architecture, source: str) -> None:
    try:
        check_activation(architecture.activation)
        check_activation(architecture.output_activation, "output_activation")
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
