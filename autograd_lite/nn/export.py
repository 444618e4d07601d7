"""From here to PyTorch, and back: the same network, proven equal.

    net = al.export.torch(mlp)           # a torch.nn.Sequential with mlp's weights, exactly
    print(al.export.mapping(mlp))        # which weight of ours is which of torch's
    print(al.export.torch_source(mlp))   # the same network and its training loop, as code
    mlp2 = al.export.from_torch(net)     # a Sequential of Linear and activations, back

An MLP's layer `mlp.layers[i]` (textbook layer l = i + 2) becomes `Linear(nin, nout)`
followed by its activation (none for "linear"); `mlp.layers[i].neurons[j].w[k]`, Θ⁽ˡ⁾ⱼ₊₁,ₖ₊₁,
is `Linear.weight[j, k]` and `.b` is `Linear.bias[j]`. The activations are ours: ReLU,
LeakyReLU with our negative slope, Tanh, Sigmoid. Each has PyTorch's derivative
conventions, which are ours (relu′(0) = 0, leaky_relu′(0) = the slope).

torch is optional: importing this module does not import it; a call that needs it and
cannot find it says how to install its CPU build.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

from ..core.validation import real_number
from .losses import binary_cross_entropy_with_logits, half_squared_error, mse
from .modules import MLP, NEGATIVE_SLOPE
from .notation import layer_number, superscript
from .optim import SGD, Adam, Optimizer

__all__ = ["from_torch", "mapping", "torch", "torch_source"]

#: Our activation -> the torch.nn class that computes it (linear: no module).
TORCH_ACTIVATIONS = {
    "relu": "ReLU", "leaky_relu": "LeakyReLU", "tanh": "Tanh", "sigmoid": "Sigmoid",
}  # fmt: skip
#: Our losses -> the PyTorch expression of one sample's J, in the names `a` (outputs) and `y`.
TORCH_LOSSES = {
    half_squared_error: "0.5 * ((a - y) ** 2).sum()",
    mse: "((a - y) ** 2).mean()",
    binary_cross_entropy_with_logits: (
        "torch.nn.functional.binary_cross_entropy_with_logits(a, y, reduction='sum')"
    ),
}
DTYPES = ("float64", "float32")


def _import_torch() -> Any:
    try:
        torch_module = importlib.import_module("torch")  # optional: the type checker needs it not
    except ImportError:
        raise ImportError(
            "autograd_lite.export needs PyTorch, which is not installed: install its CPU "
            "build with `pip install torch==2.13.0` (on this project's machines that is the "
            "CPU wheel; elsewhere add PyTorch's CPU index, as its install page shows), or run "
            "`make test-reference`, which installs it into .venv"
        ) from None
    return torch_module


# --- ours -> torch --------------------------------------------------------------------------


def torch(model: MLP, dtype: str = "float64") -> Any:
    """A torch.nn.Sequential that computes what `model` computes, with its weights copied
    exactly (float64, the default; float32 rounds each weight to the nearest float32)."""
    _check_model(model, "export.torch")
    if dtype not in DTYPES:
        raise ValueError(f"export.torch: dtype must be one of {DTYPES}, got {dtype!r:.60}")
    t = _import_torch()
    kind = getattr(t, dtype)
    modules: list[Any] = []
    for layer in model.layers:
        nin, nout = len(layer.neurons[0].w), len(layer.neurons)
        linear = t.nn.Linear(nin, nout, dtype=kind)
        with t.no_grad():
            linear.weight.copy_(t.tensor(_weights(layer), dtype=t.float64))
            linear.bias.copy_(t.tensor(_biases(layer), dtype=t.float64))
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(_torch_activation(t, layer.activation))
    return t.nn.Sequential(*modules)


def _torch_activation(t: Any, activation: str) -> Any:
    if activation == "leaky_relu":
        return t.nn.LeakyReLU(negative_slope=NEGATIVE_SLOPE)
    return getattr(t.nn, TORCH_ACTIVATIONS[activation])()


def _check_model(model: object, who: str) -> None:
    if not isinstance(model, MLP):
        raise TypeError(
            f"{who} exports an autograd_lite.nn.MLP, got {type(model).__name__} {model!r:.60}"
        )


def _weights(layer: Any) -> list[list[float]]:
    return [[_number(w.data, w.label) for w in n.w] for n in layer.neurons]


def _biases(layer: Any) -> list[float]:
    return [_number(n.b.data, n.b.label) for n in layer.neurons]


def _number(x: object, label: str | None) -> float:
    # data set by hand to another kind of number is read as the engine reads it, or refused
    return real_number(x, f"export: parameter {label}")


def _torch_index(model: MLP) -> list[int]:
    """The index in the Sequential of each layer's Linear."""
    index, found = 0, []
    for layer in model.layers:
        found.append(index)
        index += 1 if layer.activation == "linear" else 2
    return found


def mapping(model: MLP) -> str:
    """Which parameter of ours is which of the exported Sequential's, in our notation."""
    _check_model(model, "export.mapping")
    lines = []
    for i, (layer, at) in enumerate(zip(model.layers, _torch_index(model))):
        sup = superscript(layer_number(i))
        nout, nin = len(layer.neurons), len(layer.neurons[0].w)
        g = TORCH_ACTIVATIONS.get(layer.activation, "nothing (linear)")
        lines.append(
            f"Θ{sup}ⱼₖ = mlp.layers[{i}].neurons[j−1].w[k−1]  ↔  net[{at}].weight[j−1, k−1]"
            f"   (j = 1…{nout}, k = 1…{nin}: Linear({nin}, {nout}), then {g})"
        )
        lines.append(f"b{sup}ⱼ  = mlp.layers[{i}].neurons[j−1].b     ↔  net[{at}].bias[j−1]")
    return "\n".join(lines)


# --- torch -> ours --------------------------------------------------------------------------


def from_torch(module: Any) -> MLP:
    """An MLP with the weights of `module`, a torch.nn.Sequential of Linear layers (with
    bias), each followed by one of our activations or by nothing (linear); the hidden
    layers share one activation, as our MLP's do. Anything else is refused, naming it."""
    t = _import_torch()
    if not isinstance(module, t.nn.Sequential):
        raise TypeError(f"from_torch needs a torch.nn.Sequential, got {type(module).__name__}")
    layers = _layers(t, list(module))
    hidden = {g for _, g in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(
            f"from_torch: our MLP's hidden layers share one activation, got {sorted(hidden)}"
        )
    nin = layers[0][0].in_features
    widths = [linear.out_features for linear, _ in layers]
    activation = hidden.pop() if hidden else "relu"  # one layer: no hidden activation
    mlp = MLP(nin, widths, activation=activation, output_activation=layers[-1][1])
    values = []
    for linear, _ in layers:
        weight = linear.weight.detach().to(t.float64).tolist()
        bias = linear.bias.detach().to(t.float64).tolist()
        for row, b in zip(weight, bias):
            values.extend([*row, b])  # a neuron's parameters: its w, then its b
    if not all(math.isfinite(v) for v in values):
        raise ValueError("from_torch: the module has a non-finite weight or bias")
    mlp._assign(values)
    return mlp


def _layers(t: Any, children: list[Any]) -> list[tuple[Any, str]]:
    """[(Linear, our activation name)] for each Linear, or a ValueError naming the child."""
    names = {getattr(t.nn, torch_name): ours for ours, torch_name in TORCH_ACTIVATIONS.items()}
    layers: list[tuple[Any, str]] = []
    for index, child in enumerate(children):
        where = f"from_torch: layer {index} ({type(child).__name__})"
        if isinstance(child, t.nn.Linear):
            if child.bias is None:
                raise ValueError(f"{where} has no bias; our neurons always have one")
            if layers and layers[-1][0].out_features != child.in_features:
                raise ValueError(f"{where} takes {child.in_features} inputs after a layer of "
                                 f"{layers[-1][0].out_features}")  # fmt: skip
            layers.append((child, "linear"))
        elif type(child) in names and layers and layers[-1][1] == "linear":
            if isinstance(child, t.nn.LeakyReLU) and child.negative_slope != NEGATIVE_SLOPE:
                raise ValueError(f"{where} has negative_slope {child.negative_slope!r}; ours "
                                 f"is {NEGATIVE_SLOPE!r}")  # fmt: skip
            layers[-1] = (layers[-1][0], names[type(child)])
        else:
            raise ValueError(
                f"{where} is not supported: expected Linear, or one of "
                f"{', '.join(TORCH_ACTIVATIONS.values())} right after a Linear"
            )
    if not layers:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    return layers


# --- the source ------------------------------------------------------------------------------


def torch_source(
    model: MLP,
    optimizer: Optimizer | None = None,
    loss: Any = half_squared_error,
    epochs: int = 100,
    batch_size: int | None = None,
) -> str:
    """PyTorch code for the same network with the same weights, and the loop `fit(model, xs,
    ys, loss, optimizer, epochs, batch_size)` runs, each line noted with the line of ours it
    replaces. `optimizer` defaults to fit's, SGD(lr=0.01). It runs as written (given xs, ys)."""
    _check_model(model, "export.torch_source")
    if loss not in TORCH_LOSSES:
        raise ValueError(
            f"export.torch_source knows the losses half_squared_error, mse and "
            f"binary_cross_entropy_with_logits, got {loss!r:.60}"
        )
    optimizer = optimizer if optimizer is not None else SGD(model.parameters(), lr=0.01)
    return "\n".join([*_network_lines(model), "", *_training_lines(
        optimizer, TORCH_LOSSES[loss], epochs, batch_size)])  # fmt: skip


def _network_lines(model: MLP) -> list[str]:
    layers = []
    for i, layer in enumerate(model.layers):
        nin, nout = len(layer.neurons[0].w), len(layer.neurons)
        sup = superscript(layer_number(i))
        layers.append(f"            torch.nn.Linear({nin}, {nout}),  # mlp.layers[{i}]: "
                      f"z{sup} = Θ{sup} a + b{sup}")  # fmt: skip
        if layer.activation == "leaky_relu":
            layers.append(f"            torch.nn.LeakyReLU(negative_slope={NEGATIVE_SLOPE!r}),")
        elif layer.activation != "linear":
            layers.append(f"            torch.nn.{TORCH_ACTIVATIONS[layer.activation]}(),")
    weights = [(f"            self.net[{at}].weight.copy_(torch.tensor({_weights(layer)!r}))",
                f"            self.net[{at}].bias.copy_(torch.tensor({_biases(layer)!r}))")
               for layer, at in zip(model.layers, _torch_index(model))]  # fmt: skip
    return [
        "# The network of autograd_lite's", f"#   {model!r}", "# in PyTorch, float64.",
        *(f"# {line}" for line in mapping(model).splitlines()),
        "import torch", "", "torch.set_default_dtype(torch.float64)", "", "",
        "class Net(torch.nn.Module):",
        "    def __init__(self) -> None:",
        "        super().__init__()",
        "        self.net = torch.nn.Sequential(",
        *layers,
        "        )",
        "        with torch.no_grad():  # our weights, exactly (floats are float64 here too)",
        *[line for pair in weights for line in pair],
        "",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:  # ours: mlp(x)",
        "        return self.net(x)",
    ]  # fmt: skip


def _training_lines(
    optimizer: Optimizer, sample_loss: str, epochs: int, batch_size: int | None
) -> list[str]:
    if isinstance(optimizer, Adam):
        beta1, beta2 = optimizer.betas
        make = (f"torch.optim.Adam(net.parameters(), lr={optimizer.lr!r}, "
                f"betas=({beta1!r}, {beta2!r}), eps={optimizer.eps!r})")  # fmt: skip
        ours = "Adam.step"
    elif isinstance(optimizer, SGD):
        make = (f"torch.optim.SGD(net.parameters(), lr={optimizer.lr!r}, "
                f"momentum={optimizer.momentum!r})")  # fmt: skip
        ours = "SGD.step"
    else:
        raise ValueError(f"export.torch_source knows SGD and Adam, got {optimizer!r:.60}")
    size = "len(xs)" if batch_size is None else repr(batch_size)
    return [
        "",
        "def sample_loss(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:",
        f"    return {sample_loss}  # ours: loss(mlp(x), y)",
        "",
        "",
        "def train(net: Net, xs: list, ys: list) -> list[float]:",
        '    """fit(mlp, xs, ys, ...): full or fixed batches in order, no shuffling."""',
        "    xs, ys = torch.tensor(xs), torch.tensor(ys)",
        f"    optimizer = {make}",
        "    history = []",
        f"    for epoch in range({epochs}):",
        "        total = 0.0",
        f"        for start in range(0, len(xs), {size}):",
        f"            bx, by = xs[start : start + {size}], ys[start : start + {size}]",
        "            optimizer.zero_grad()  # ours: optimizer.zero_grad()",
        "            J = sum(sample_loss(a, y) for a, y in zip(net(bx), by)) * (1.0 / len(bx))",
        "            J.backward()  # ours: J.backward()",
        f"            optimizer.step()  # ours: {ours}",
        "            total += J.item() * len(bx)",
        "        history.append(total / len(xs))  # ours: fit's history, J̄ per epoch",
        "    return history",
    ]
