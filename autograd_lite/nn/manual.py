"""Backpropagation by hand: the textbook equations on plain floats, to check the engine.

For an MLP with layers l = 2 … L (the input x is a⁽¹⁾) and J = Σⱼ ½(a⁽ᴸ⁾ⱼ − yⱼ)²:

    forward    z⁽ˡ⁾ = Θ⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,        a⁽ˡ⁾ = g(z⁽ˡ⁾)
    output     δ⁽ᴸ⁾ = (a⁽ᴸ⁾ − y) ⊙ g′(z⁽ᴸ⁾)
    hidden     δ⁽ˡ⁾ = (Θ⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ g′(z⁽ˡ⁾)
    gradients  ∂J/∂Θ⁽ˡ⁾ⱼₖ = δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ,     ∂J/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ

where δ⁽ˡ⁾ⱼ = ∂J/∂z⁽ˡ⁾ⱼ. Nothing here builds a Value: the model's parameters are read as
numbers (`.data`). The forward pass does the same float operations in the same order as
the engine, so z and a match it bit for bit and the ReLU gates (relu′(0) = 0) agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.engine import NEGATIVE_SLOPE, Value
from ..core.validation import as_list, finite_numbers
from .modules import MLP
from .notation import layer_number

__all__ = ["LayerTrace", "backprop", "by_layer", "g", "g_prime", "trace"]


@dataclass(frozen=True)
class LayerTrace:
    """One layer's numbers: z⁽ˡ⁾, a⁽ˡ⁾ and (given targets y) δ⁽ˡ⁾ = ∂J/∂z⁽ˡ⁾."""

    layer: int  # textbook l: mlp.layers[i] is layer i + 2 (the input is layer 1)
    z: list[float]
    a: list[float]
    delta: list[float] | None


def g(z: float, activation: str) -> float:
    """a = g(z) on a float, for each activation name of `nn.ACTIVATIONS`."""
    if activation == "relu":
        return z if z > 0.0 else 0.0
    if activation == "leaky_relu":
        return z if z > 0.0 else NEGATIVE_SLOPE * z
    if activation == "tanh":
        return math.tanh(z)
    if activation == "sigmoid":
        # Two forms so that exp never overflows (the engine's, term for term).
        if z >= 0.0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)
    if activation == "linear":
        return z
    raise ValueError(f"g: unknown activation {activation!r}")


def g_prime(z: float, a: float, activation: str) -> float:
    """g′(z), given z and a = g(z): the 0/1 gate for relu (g′(0) = 0), 1 − a² for tanh, …"""
    if activation == "relu":
        return 1.0 if z > 0.0 else 0.0
    if activation == "leaky_relu":
        return 1.0 if z > 0.0 else NEGATIVE_SLOPE
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "sigmoid":
        return a * (1.0 - a)
    if activation == "linear":
        return 1.0
    raise ValueError(f"g_prime: unknown activation {activation!r}")


def trace(
    mlp: MLP, x: Sequence[float | Value], y: Sequence[float] | None = None
) -> list[LayerTrace]:
    """[(l, z⁽ˡ⁾, a⁽ˡ⁾, δ⁽ˡ⁾) for l = 2 … L]: one LayerTrace per `mlp.layers` entry.

    `delta` is None without targets y; with them it is δ⁽ˡ⁾ for J = Σ ½(a⁽ᴸ⁾ − y)².
    """
    a_prev = _numbers(x, mlp.nin, "manual.trace", "inputs x")
    targets = None if y is None else _numbers(y, mlp.nouts[-1], "manual.trace", "targets y")
    zs: list[list[float]] = []
    activations: list[list[float]] = []
    for layer in mlp.layers:
        # sum(w·a) + b, in the engine's order (engine._dot), so z is the engine's z exactly.
        z = [
            sum(map(float.__mul__, [w.data for w in n.w], a_prev)) + n.b.data
            for n in layer.neurons
        ]
        a_prev = [g(zj, layer.activation) for zj in z]
        zs.append(z)
        activations.append(a_prev)
    deltas: list[list[float] | None] = [None] * len(mlp.layers)
    if targets is not None:
        last = len(mlp.layers) - 1
        gate = mlp.layers[last].activation
        delta = [
            (aj - yj) * g_prime(zj, aj, gate)
            for zj, aj, yj in zip(zs[last], activations[last], targets)
        ]
        deltas[last] = delta
        for i in range(last - 1, -1, -1):
            above = mlp.layers[i + 1].neurons  # row j of Θ⁽ˡ⁺¹⁾ is above[j].w
            gate = mlp.layers[i].activation
            delta = [
                sum(n.w[k].data * dj for n, dj in zip(above, delta))
                * g_prime(zs[i][k], activations[i][k], gate)
                for k in range(len(zs[i]))
            ]
            deltas[i] = delta
    return [
        LayerTrace(layer_number(i), zs[i], activations[i], deltas[i]) for i in range(len(zs))
    ]


def backprop(mlp: MLP, x: Sequence[float | Value], y: Sequence[float]) -> list[float]:
    """∂J/∂θ for every parameter θ, in `mlp.parameters()` order, for J = Σ ½(a⁽ᴸ⁾ − y)².

    Layer by layer, neuron j by neuron: ∂J/∂Θ⁽ˡ⁾ⱼₖ = δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ for each k, then
    ∂J/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ.
    """
    traces = trace(mlp, x, y)
    a_prev = _numbers(x, mlp.nin, "manual.backprop", "inputs x")
    grads: list[float] = []
    for t in traces:
        assert t.delta is not None  # trace fills delta when y is given
        for dj in t.delta:
            grads.extend(dj * ak for ak in a_prev)
            grads.append(dj)
        a_prev = t.a
    return grads


def by_layer(mlp: MLP, flat: Sequence[float]) -> list[tuple[list[list[float]], list[float]]]:
    """[(∂J/∂Θ⁽ˡ⁾ as rows j of entries k, ∂J/∂b⁽ˡ⁾) for l = 2 … L] from a flat list.

    `flat` is in `parameters()` order: `backprop`'s result, or `[p.grad for p in
    mlp.parameters()]` after the engine's `backward()`.
    """
    expected = len(mlp.parameters())
    if len(flat) != expected:
        raise ValueError(f"manual.by_layer expects {expected} numbers, got {len(flat)}")
    out: list[tuple[list[list[float]], list[float]]] = []
    i = 0
    for layer in mlp.layers:
        rows: list[list[float]] = []
        biases: list[float] = []
        for n in layer.neurons:
            rows.append([float(v) for v in flat[i : i + len(n.w)]])
            biases.append(float(flat[i + len(n.w)]))
            i += len(n.w) + 1
        out.append((rows, biases))
    return out


def _numbers(values: Sequence[float | Value], n: int, who: str, what: str) -> list[float]:
    """values as n finite floats (a Value gives its data), or an error naming who."""
    items = as_list(values, who, what, n)
    return finite_numbers([v.data if isinstance(v, Value) else v for v in items], who, what)
