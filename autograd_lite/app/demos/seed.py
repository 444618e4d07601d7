"""`autograd-lite demo`: the seed network, by engine and by hand.

The question: how is Θ⁽²⁾ (input → ReLU hidden layer) updated in a 2-2-2 ReLU network
trained on J = Σ ½(a⁽³⁾ − y)²? `run_demo` answers in named steps: `seed_loss` builds J
and runs backward(); `_forward` prints the forward pass; `_backward` prints δ⁽ˡ⁾ and ∂J/∂Θ
from the engine beside the hand-derived
equations (`manual.backprop`); `_print_gates` and `_print_update` show where the ReLU gate
stops the gradient and one update θ := θ − α ∂J/∂θ; `_train` trains on `demo_dataset()`.

The settings below are notebook 01's too (it imports them): one definition per story.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...core.engine import Value
from ...nn import manual
from ...nn.losses import half_squared_error
from ...nn.modules import MLP
from ...nn.notation import layer_number, subscript, superscript, unit_label, weight_label
from ...nn.optim import SGD
from ...training import fit
from . import plots
from .report import check_run_args, make_out, plus_zero, vec

__all__ = [
    "DEMO_EPOCHS",
    "DEMO_LR",
    "DEMO_X",
    "DemoResult",
    "demo_dataset",
    "demo_target",
    "label_units",
    "run_demo",
    "seed_loss",
]

#: The seed example: one input x = a⁽¹⁾ (its target is `demo_target(DEMO_X)`).
DEMO_X = (1.0, 0.5)
#: α in θ := θ − α ∂J/∂θ for the seed network.
DEMO_LR = 0.1
#: Full-batch epochs of SGD on `demo_dataset()` (`autograd-lite demo --steps`).
DEMO_EPOCHS = 200
#: Agreement required between the engine and the hand-derived gradients.
TOLERANCE = 1e-12


def demo_target(x: Sequence[float]) -> list[float]:
    """y = (x₁ + x₂, max(0, x₁ − x₂)): what the demo network learns (it can represent it)."""
    return [x[0] + x[1], max(0.0, x[0] - x[1])]


def demo_dataset() -> tuple[list[list[float]], list[list[float]]]:
    """(xs, ys): the 16 points of a 4 × 4 grid on [0, 1]², with y = `demo_target(x)`."""
    grid = [0.0, 1 / 3, 2 / 3, 1.0]
    xs = [[x1, x2] for x1 in grid for x2 in grid]
    return xs, [demo_target(x) for x in xs]


@dataclass
class DemoResult:
    """What `run_demo` printed and wrote."""

    engine_grads: list[float]  # ∂J/∂θ from backward(), in parameters() order
    manual_grads: list[float]  # the same from manual.backprop
    max_difference: float  # max |engine − manual|
    history: list[float]  # mean J per epoch of training
    files: list[Path] = field(default_factory=list)


def run_demo(
    steps: int = DEMO_EPOCHS, seed: int = 0, out: Path = Path("out"), progress: bool = True
) -> DemoResult:
    """The seed network's forward pass, ∂J/∂Θ by engine and by hand, and its training.

    Builds MLP(2, [2, 2], output_activation="relu", seed=seed), prints the forward and
    backward pass for x = DEMO_X, checks |engine − manual| ≤ 1e-12 for every parameter
    (RuntimeError otherwise: that would be a bug), trains `steps` epochs of SGD on
    `demo_dataset()`, and writes out/seed_network.svg, out/seed_graph.svg, out/loss.png.
    Bad arguments raise ValueError; an unusable `out` raises OSError.
    """
    out = make_out(
        check_run_args(steps, seed, out, progress, "demo"),
        ["seed_network.svg", "seed_graph.svg", "loss.png"],
    )
    from ... import viz  # imported here: only the demos need graphviz

    mlp, x, y, J = seed_loss(seed)
    traces = _forward(mlp, x, y, J, seed)
    engine_grads, manual_grads, max_difference = _backward(mlp, x, y, traces)
    _print_gates(traces)
    _print_update(mlp, engine_grads)
    # pictures of this forward/backward pass, before training changes Θ; portable (letters
    # drawn as shapes), so that they look the same in every viewer, whatever its fonts:
    # seed_graph.svg is then byte for byte the README's notebooks/figures/seed_graph.svg
    files = [
        viz.render(viz.draw_network(mlp, x), out / "seed_network.svg", portable=True),
        viz.save_graph(J, out / "seed_graph.svg", params=mlp, portable=True),
    ]
    history = _train(mlp, steps, progress)
    files.append(plots.loss_curve(history, out / "loss.png"))
    print()
    for path in files:
        print(f"wrote {path}")
    return DemoResult(engine_grads, manual_grads, max_difference, history, files)


def seed_loss(seed: int = 0) -> tuple[MLP, list[float], list[float], Value]:
    """(mlp, x, y, J) after J.backward(): the seed network MLP(2, [2, 2], relu outputs,
    seed=seed) at x = DEMO_X with y = demo_target(x), J = Σ ½(a⁽³⁾ − y)², its z⁽ˡ⁾ⱼ,
    a⁽ˡ⁾ⱼ and J labelled as the demo's pictures show them (`label_units`)."""
    mlp = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=seed)
    x = list(DEMO_X)
    y = demo_target(x)
    outputs = mlp(x)
    J = half_squared_error(outputs, y)
    label_units(mlp, outputs)
    J.label = "J"
    mlp.zero_grad()
    J.backward()
    return mlp, x, y, J


def _forward(
    mlp: MLP, x: list[float], y: list[float], J: Value, seed: int
) -> list[manual.LayerTrace]:
    """The layer traces of the forward pass that gave J for x, printed layer by layer."""
    traces = manual.trace(mlp, x, y)
    print(f"The seed network: 2 inputs → 2 ReLU hidden units → 2 ReLU outputs (seed {seed})")
    print(f"J = Σ ½(a⁽³⁾ − y)²,  x = a⁽¹⁾ = {vec(x)},  y = {vec(y)}")
    print()
    print("Forward pass: z⁽ˡ⁾ = Θ⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾, a⁽ˡ⁾ = g(z⁽ˡ⁾)")
    for t, layer in zip(traces, mlp.layers):
        sup = superscript(t.layer)
        print(f"  layer {t.layer} ({layer.activation}):  z{sup} = {vec(t.z)}", end="")
        print(f"   a{sup} = {vec(t.a)}")
    print(f"  J = {J.data:.6g}")
    print()
    return traces


def _backward(
    mlp: MLP, x: list[float], y: list[float], traces: list[manual.LayerTrace]
) -> tuple[list[float], list[float], float]:
    """(engine, manual, max |difference|): ∂J/∂θ both ways (the engine's from the grads
    `seed_loss`'s backward() left), printed side by side.

    Raises RuntimeError if they differ by more than TOLERANCE: that would be a bug.
    """
    engine_grads = [p.grad for p in mlp.parameters()]
    manual_grads = manual.backprop(mlp, x, y)
    max_difference = max(abs(e - m) for e, m in zip(engine_grads, manual_grads))

    print("Backward pass, by hand: δ⁽ˡ⁾ = ∂J/∂z⁽ˡ⁾")
    print(f"  δ⁽³⁾ = (a⁽³⁾ − y) ⊙ g′(z⁽³⁾) = {vec(traces[-1].delta or [])}")
    print(f"  δ⁽²⁾ = (Θ⁽³⁾ᵀ δ⁽³⁾) ⊙ g′(z⁽²⁾) = {vec(traces[0].delta or [])}")
    print()
    engine_layers = manual.by_layer(mlp, engine_grads)
    manual_layers = manual.by_layer(mlp, manual_grads)
    for i in reversed(range(len(mlp.layers))):
        _print_gradients(mlp, i, engine_layers[i], manual_layers[i])
    print(f"max |engine − manual| over all {len(engine_grads)} parameters: {max_difference:.3g}")
    if max_difference > TOLERANCE:
        raise RuntimeError(
            f"the engine and manual.backprop disagree by {max_difference!r} > {TOLERANCE}"
        )
    print(f"  (≤ {TOLERANCE:g}: the engine's chain rule is the textbook's δ equations)")
    print()
    return engine_grads, manual_grads, max_difference


LayerGrads = tuple[list[list[float]], list[float]]  # a `manual.by_layer` entry


def _print_gradients(mlp: MLP, i: int, engine: LayerGrads, by_hand: LayerGrads) -> None:
    """One row per parameter of mlp.layers[i]: label, engine, manual, |difference|."""
    ell = layer_number(i)
    sup, prev = superscript(ell), superscript(ell - 1)
    print(f"∂J/∂Θ{sup}ⱼₖ = δ{sup}ⱼ a{prev}ₖ  and  ∂J/∂b{sup}ⱼ = δ{sup}ⱼ")
    print(f"  {'θ':<8} {'engine (backward)':>24} {'by hand (manual)':>24} {'|difference|':>14}")
    for j, neuron in enumerate(mlp.layers[i].neurons):
        engine_row = [*engine[0][j], engine[1][j]]
        by_hand_row = [*by_hand[0][j], by_hand[1][j]]
        for p, e, m in zip([*neuron.w, neuron.b], engine_row, by_hand_row):
            shown = f"{plus_zero(e):>24.17g} {plus_zero(m):>24.17g}"
            print(f"  {p.label or '':<8} {shown} {abs(e - m):>14.3g}")
    print()


def label_units(mlp: MLP, outputs: list[Value]) -> None:
    """Name the graph's z⁽ˡ⁾ⱼ and a⁽ˡ⁾ⱼ nodes, walking back from the outputs a⁽ᴸ⁾ of
    `mlp(x)`: the names the demo's pictures show."""
    a = outputs
    for i in reversed(range(len(mlp.layers))):
        layer = mlp.layers[i]
        zs = a if layer.activation == "linear" else [v.inputs[0] for v in a]
        for j, (aj, zj) in enumerate(zip(a, zs)):
            if isinstance(zj, Value):
                zj.label = unit_label("z", layer_number(i), j + 1)
            aj.label = unit_label("a", layer_number(i), j + 1)  # for linear, a = z: the a name wins
        if i == 0 or not isinstance(zs[0], Value):
            return
        n = len(layer.neurons[0].w)  # a dot node's inputs are (w₁…wₙ, x₁…xₙ, b)
        a = [v for v in zs[0].inputs[n : 2 * n] if isinstance(v, Value)]


def _print_gates(traces: list[manual.LayerTrace]) -> None:
    """One line per closed ReLU gate of this forward pass: what it stops."""
    closed = [
        (t.layer, j) for t in traces for j, z in enumerate(t.z) if z <= 0.0
    ]  # every demo layer is ReLU
    for ell, j in closed:
        unit, sup, sub = unit_label("z", ell, j + 1), superscript(ell), subscript(j + 1)
        print(
            f"ReLU gate: {unit} ≤ 0, so g′ = 0 and {unit_label('δ', ell, j + 1)} = 0: row {j + 1} "
            f"of ∂J/∂Θ{sup} is 0, and this x does not move Θ{sup}{sub}ₖ or b{sup}{sub}."
        )
    if closed:
        print()


def _print_update(mlp: MLP, engine_grads: list[float]) -> None:
    """Θ⁽²⁾ := Θ⁽²⁾ − α ∂J/∂Θ⁽²⁾, shown without changing the model."""
    print(f"One SGD step on this x updates Θ⁽²⁾ := Θ⁽²⁾ − α ∂J/∂Θ⁽²⁾ with α = {DEMO_LR}:")
    rows, _ = manual.by_layer(mlp, engine_grads)[0]  # ∂J/∂Θ⁽²⁾, row j, entry k
    for j, neuron in enumerate(mlp.layers[0].neurons):
        for k, (w, grad) in enumerate(zip(neuron.w, rows[j])):
            new = w.data - DEMO_LR * grad
            print(
                f"  {weight_label(2, j + 1, k + 1)}: {w.data:.6g} − {DEMO_LR} × "
                f"{grad:.6g} = {new:.6g}"
            )
    print()


def _train(mlp: MLP, steps: int, progress: bool) -> list[float]:
    """Mean J per epoch: `steps` epochs of full-batch SGD on demo_dataset(), and the dead
    units it leaves."""
    xs, ys = demo_dataset()
    print(f"Training: {steps} epochs of SGD (α = {DEMO_LR}) on {len(xs)} points, "
          f"y = (x₁ + x₂, max(0, x₁ − x₂))")
    sys.stdout.flush()  # the progress bar goes to stderr: keep the printed order when piped
    history = fit(
        mlp,
        xs,
        ys,
        loss=half_squared_error,
        optimizer=SGD(mlp.parameters(), lr=DEMO_LR),
        epochs=steps,
        progress=progress,
    )
    print(f"  mean J per sample: {history[0]:.4g} (epoch 1) → {history[-1]:.4g} (epoch {steps})")
    dead = [
        unit_label("a", layer_number(i), j + 1)
        for i, shares in enumerate(mlp.relu_activity(xs))
        for j, share in enumerate(shares)
        if share == 0.0
    ]
    if dead:
        print(f"  dead on this data (gate closed for every x, so never updated): {', '.join(dead)}")
    return history
