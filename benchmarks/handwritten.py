"""The yardstick: backprop for a fully connected network written by hand, in plain Python.

No Value, no graph: lists of floats and the textbook equations, one sample at a time,
the way you would write it after reading the derivation:

    forward     z⁽ˡ⁾ = Θ⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,   a⁽ˡ⁾ = g(z⁽ˡ⁾)
    loss        J = Σ ½(a⁽ᴸ⁾ − y)²
    output      δ⁽ᴸ⁾ = (a⁽ᴸ⁾ − y) ⊙ g′(z⁽ᴸ⁾)
    hidden      δ⁽ˡ⁾ = (Θ⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ g′(z⁽ˡ⁾)
    gradients   ∂J/∂Θ⁽ˡ⁾ⱼₖ = δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ,   ∂J/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ
    update      θ := θ − α ∂J/∂θ

The code is meant to be clear and reasonable, not tuned to the bone: a fair picture of what
"just write the backprop yourself" costs, which is what the benchmark compares the engines
with. Two choices keep the yardstick honest. The dot products use `sum(map(mul, row, a))`,
the usual fast pure-Python idiom (and what `engine.dot` does), not a generator expression,
which is about 25% slower here. And no work is skipped that an engine must do: a gradient
row is updated even when δⱼ = 0 (a closed ReLU gate), as the engine propagates zeros too.
Only the activations the benchmark needs are here: "relu" (g′(0) = 0) and "linear".
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import mul

Matrix = list[list[float]]


class HandwrittenMLP:
    """Θ⁽ˡ⁾ as `weights[i][j][k]` (unit j of layer i, input k) and b⁽ˡ⁾ as `biases[i][j]`.

    The layout matches autograd-lite's `mlp.layers[i].neurons[j].w[k]` / `.b`, so the same
    numbers can be loaded into both and the results compared.
    """

    def __init__(
        self, weights: Sequence[Matrix], biases: Sequence[list[float]], activations: Sequence[str]
    ) -> None:
        if not len(weights) == len(biases) == len(activations):
            raise ValueError("need one weight matrix, bias vector and activation per layer")
        for name in activations:
            if name not in ("relu", "linear"):
                raise ValueError(f"unknown activation {name!r}: use 'relu' or 'linear'")
        self.weights = [[list(row) for row in matrix] for matrix in weights]
        self.biases = [list(b) for b in biases]
        self.relu = [name == "relu" for name in activations]

    def gradients(
        self, xs: Sequence[Sequence[float]], ys: Sequence[Sequence[float]]
    ) -> tuple[float, list[Matrix], list[list[float]]]:
        """J = Σ over samples and outputs of ½(a − y)², and ∂J/∂Θ, ∂J/∂b for every layer."""
        weights, biases, relu = self.weights, self.biases, self.relu
        n_layers = len(weights)
        grad_w = [[[0.0] * len(row) for row in matrix] for matrix in weights]
        grad_b = [[0.0] * len(b) for b in biases]
        loss = 0.0
        for x, y in zip(xs, ys):
            # Forward: keep every layer's z and a for the backward pass.
            activations: list[Sequence[float]] = [x]
            zs: list[list[float]] = []
            a: Sequence[float] = x
            for matrix, b, is_relu in zip(weights, biases, relu):
                z = [sum(map(mul, row, a)) + b_j for row, b_j in zip(matrix, b)]
                a = [z_j if z_j > 0.0 else 0.0 for z_j in z] if is_relu else z
                zs.append(z)
                activations.append(a)
            loss += sum(0.5 * (a_j - y_j) ** 2 for a_j, y_j in zip(a, y))

            # Backward: δ of the output layer, then one layer down at a time.
            delta = [a_j - y_j for a_j, y_j in zip(a, y)]
            if relu[-1]:
                delta = [d if z_j > 0.0 else 0.0 for d, z_j in zip(delta, zs[-1])]
            for i in range(n_layers - 1, -1, -1):
                a_prev = activations[i]
                for g_row, d in zip(grad_w[i], delta):
                    for k, a_k in enumerate(a_prev):
                        g_row[k] += d * a_k
                g_b = grad_b[i]
                for j, d in enumerate(delta):
                    g_b[j] += d
                if i > 0:
                    # (Θᵀ δ)ₖ = Σⱼ Θⱼₖ δⱼ, then ⊙ g′(z) of the layer below.
                    back = [0.0] * len(a_prev)
                    for row, d in zip(weights[i], delta):
                        for k, w in enumerate(row):
                            back[k] += w * d
                    if relu[i - 1]:
                        back = [s if z_k > 0.0 else 0.0 for s, z_k in zip(back, zs[i - 1])]
                    delta = back
        return loss, grad_w, grad_b

    def step(
        self, xs: Sequence[Sequence[float]], ys: Sequence[Sequence[float]], lr: float
    ) -> float:
        """One full-batch gradient step θ := θ − lr·∂J/∂θ; returns J before the step."""
        loss, grad_w, grad_b = self.gradients(xs, ys)
        for matrix, g_matrix in zip(self.weights, grad_w):
            for row, g_row in zip(matrix, g_matrix):
                for k, g in enumerate(g_row):
                    row[k] -= lr * g
        for b, g_b in zip(self.biases, grad_b):
            for j, g in enumerate(g_b):
                b[j] -= lr * g
        return loss

    def predict(self, x: Sequence[float]) -> list[float]:
        a: Sequence[float] = x
        for matrix, b, is_relu in zip(self.weights, self.biases, self.relu):
            z = [sum(map(mul, row, a)) + b_j for row, b_j in zip(matrix, b)]
            a = [z_j if z_j > 0.0 else 0.0 for z_j in z] if is_relu else z
        return list(a)
