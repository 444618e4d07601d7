"""The two stories behind `autograd-lite demo` and `autograd-lite regression`.

`run_demo` answers the seed question: how is Θ⁽²⁾ (input → ReLU hidden layer) updated in
a 2-2-2 ReLU network trained on J = Σ ½(a⁽³⁾ − y)²? It prints one forward pass, the
backward pass (δ⁽ˡ⁾), ∂J/∂Θ⁽³⁾ and ∂J/∂Θ⁽²⁾ from the engine beside the hand-derived
equations (`manual.backprop`), one update θ := θ − α ∂J/∂θ, then trains and draws.

`run_regression` answers the forum question "My network with a ReLU output layer predicts
0 on y = 3x² + 3x, x = 0..19. Why?", and shows the fixes.

Both print to stdout, show a progress bar on stderr (unless progress=False), write images
into `out`, and return what they printed as a dataclass (the tests read it).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import trange

from . import data, manual
from .engine import Value
from .losses import half_squared_error, mse
from .nn import LEAKY_SLOPE, MLP
from .notation import layer_number, subscript, superscript, unit_label, weight_label
from .optim import SGD, Adam
from .training import fit, predict, r_squared

__all__ = [
    "DEMO_LR",
    "DEMO_X",
    "DemoResult",
    "RegressionResult",
    "demo_dataset",
    "run_demo",
    "run_regression",
]

#: The seed example: one input x = a⁽¹⁾ and its target y (the rule of `demo_dataset`).
DEMO_X = (1.0, 0.5)
#: α in θ := θ − α ∂J/∂θ for the seed network.
DEMO_LR = 0.1
#: Agreement required between the engine and the hand-derived gradients.
TOLERANCE = 1e-12
#: The forum's setup: one input, 8 ReLU hidden units, one output, SGD at this α on raw data.
FORUM_HIDDEN = 8
FORUM_LR = 1e-3
#: The fixes train with Adam at this α on rescaled data.
FIX_LR = 0.03
#: The fit the linear-output fix must reach.
R2_TARGET = 0.995


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


@dataclass
class RegressionResult:
    """What `run_regression` printed and wrote."""

    broken_predictions: list[float]  # the ReLU-output network on raw data, after training
    broken_activity: list[list[float]]  # its relu_activity on the 20 inputs
    broken_steps: int  # steps taken before every gradient was exactly 0 (or all steps)
    r2_broken: float
    r2_linear: float  # linear output, standardized x and y (the fix)
    r2_leaky: float  # leaky ReLU output, standardized x, y scaled to [0, 1]
    files: list[Path] = field(default_factory=list)


# ===========================================================================================
# demo
# ===========================================================================================


def run_demo(
    steps: int = 200, seed: int = 0, out: Path = Path("out"), progress: bool = True
) -> DemoResult:
    """The seed network's forward pass, ∂J/∂Θ by engine and by hand, and its training.

    Builds MLP(2, [2, 2], output_activation="relu", seed=seed), prints the forward and
    backward pass for x = DEMO_X, checks |engine − manual| ≤ 1e-12 for every parameter
    (RuntimeError otherwise: that would be a bug), trains `steps` epochs of SGD on
    `demo_dataset()`, and writes out/seed_network.svg, out/seed_graph.svg, out/loss.png.
    Bad arguments raise ValueError; an unusable `out` raises OSError.
    """
    _check_run_args(steps, seed, out, progress, "demo")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    from . import viz  # imported here: only the demos need graphviz

    mlp = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=seed)
    x = list(DEMO_X)
    y = demo_target(x)

    # --- forward ------------------------------------------------------------------------
    outputs = mlp(x)
    J = half_squared_error(outputs, y)
    _label_units(mlp, outputs)
    J.label = "J"
    traces = manual.trace(mlp, x, y)
    print(f"The seed network: 2 inputs → 2 ReLU hidden units → 2 ReLU outputs (seed {seed})")
    print(f"J = Σ ½(a⁽³⁾ − y)²,  x = a⁽¹⁾ = {_vec(x)},  y = {_vec(y)}")
    print()
    print("Forward pass: z⁽ˡ⁾ = Θ⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾, a⁽ˡ⁾ = g(z⁽ˡ⁾)")
    for t, layer in zip(traces, mlp.layers):
        sup = superscript(t.layer)
        print(f"  layer {t.layer} ({layer.activation}):  z{sup} = {_vec(t.z)}", end="")
        print(f"   a{sup} = {_vec(t.a)}")
    print(f"  J = {J.data:.6g}")
    print()

    # --- backward: engine and by hand ---------------------------------------------------
    mlp.zero_grad()
    J.backward()
    engine_grads = [p.grad for p in mlp.parameters()]
    manual_grads = manual.backprop(mlp, x, y)
    differences = [abs(e - m) for e, m in zip(engine_grads, manual_grads)]
    max_difference = max(differences)

    print("Backward pass, by hand: δ⁽ˡ⁾ = ∂J/∂z⁽ˡ⁾")
    last = traces[-1]
    print(f"  δ⁽³⁾ = (a⁽³⁾ − y) ⊙ g′(z⁽³⁾) = {_vec(last.delta or [])}")
    print(f"  δ⁽²⁾ = (Θ⁽³⁾ᵀ δ⁽³⁾) ⊙ g′(z⁽²⁾) = {_vec(traces[0].delta or [])}")
    print()
    offset = _layer_offsets(mlp)
    for i in reversed(range(len(mlp.layers))):
        _print_gradients(mlp, i, offset[i], engine_grads, manual_grads)
    print(f"max |engine − manual| over all {len(differences)} parameters: {max_difference:.3g}")
    if max_difference > TOLERANCE:
        raise RuntimeError(
            f"the engine and manual.backprop disagree by {max_difference!r} > {TOLERANCE}"
        )
    print(f"  (≤ {TOLERANCE:g}: the engine's chain rule is the textbook's δ equations)")
    print()
    _print_gates(traces)
    _print_update(mlp, offset[0], engine_grads)

    # --- pictures of this forward/backward pass (before training changes Θ) -------------
    files = [
        viz.render(viz.draw_network(mlp, x), out / "seed_network.svg"),
        viz.save_graph(J, out / "seed_graph.svg", params=mlp),
    ]

    # --- training ------------------------------------------------------------------------
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
        for i, fractions in enumerate(mlp.relu_activity(xs))
        for j, f in enumerate(fractions)
        if f == 0.0
    ]
    if dead:
        print(f"  dead on this data (gate closed for every x, so never updated): {', '.join(dead)}")
    files.append(_plot_loss(history, out / "loss.png"))
    print()
    for path in files:
        print(f"wrote {path}")
    return DemoResult(engine_grads, manual_grads, max_difference, history, files)


def _print_gradients(
    mlp: MLP,
    i: int,
    start: int,
    engine_grads: list[float],
    manual_grads: list[float],
) -> None:
    """One row per parameter of mlp.layers[i]: label, engine, manual, |difference|."""
    ell = layer_number(i)
    sup, prev = superscript(ell), superscript(ell - 1)
    print(f"∂J/∂Θ{sup}ⱼₖ = δ{sup}ⱼ a{prev}ₖ  and  ∂J/∂b{sup}ⱼ = δ{sup}ⱼ")
    print(f"  {'θ':<8} {'engine (backward)':>24} {'by hand (manual)':>24} {'|difference|':>14}")
    k = start
    for neuron in mlp.layers[i].neurons:
        for p in [*neuron.w, neuron.b]:
            e, m = engine_grads[k], manual_grads[k]
            shown = f"{_plus_zero(e):>24.17g} {_plus_zero(m):>24.17g}"
            print(f"  {p.label or '':<8} {shown} {abs(e - m):>14.3g}")
            k += 1
    print()


def _label_units(mlp: MLP, outputs: list[Value]) -> None:
    """Name the graph's z⁽ˡ⁾ⱼ and a⁽ˡ⁾ⱼ nodes, walking back from the outputs a⁽ᴸ⁾."""
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


def _print_update(mlp: MLP, start: int, engine_grads: list[float]) -> None:
    """Θ⁽²⁾ := Θ⁽²⁾ − α ∂J/∂Θ⁽²⁾, shown without changing the model."""
    print(f"One SGD step on this x updates Θ⁽²⁾ := Θ⁽²⁾ − α ∂J/∂Θ⁽²⁾ with α = {DEMO_LR}:")
    k = start
    for j, neuron in enumerate(mlp.layers[0].neurons):
        for kk, w in enumerate(neuron.w):
            new = w.data - DEMO_LR * engine_grads[k]
            print(
                f"  {weight_label(2, j + 1, kk + 1)}: {w.data:.6g} − {DEMO_LR} × "
                f"{engine_grads[k]:.6g} = {new:.6g}"
            )
            k += 1
        k += 1  # skip the bias
    print()


# ===========================================================================================
# regression
# ===========================================================================================


def run_regression(
    steps: int = 300, seed: int = 0, out: Path = Path("out"), progress: bool = True
) -> RegressionResult:
    """The forum's ReLU-output network predicting 0 on y = 3x² + 3x, why, and two fixes.

    1. MLP(1, [8, 1], output_activation="relu", seed=seed) trained with SGD (α = 1e-3,
       MSE) on the raw data: up to `steps` steps, stopping once every ∂J/∂θ is exactly 0
       (then no later step can change anything). It predicts 0.
    2. `relu_activity` shows the dead units.
    3. Fix: a linear output on standardized x and y (Adam, α = 0.03, `steps` steps):
       R² ≥ 0.995 with the default steps.
    4. Also: a leaky ReLU output (slope 0.01) on standardized x and y scaled to [0, 1].
    Writes out/regression.png. Bad arguments raise ValueError; a bad `out` OSError.
    """
    _check_run_args(steps, seed, out, progress, "regression")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    xs, ys = data.quadratic()
    inputs = [[x] for x in xs]
    print("The forum's question: a network with a ReLU output layer predicts 0 on")
    print("y = 3x² + 3x for x = 0, 1, …, 19 (y from 0 to 1140). Why?")
    print()

    # --- 1. the broken network ---------------------------------------------------------------
    broken = MLP(1, [FORUM_HIDDEN, 1], activation="relu", output_activation="relu", seed=seed)
    print(f"1. The forum's network, {broken},")
    print(f"   trained with SGD (α = {FORUM_LR}) on the raw data, MSE:")
    sys.stdout.flush()
    history, broken_steps = _train_until_stuck(broken, xs, ys, steps, progress)
    broken_pred = [p[0] for p in predict(broken, xs)]
    r2_broken = r_squared(ys, broken_pred)
    shown = ", ".join(f"{p:.4g}" for p in broken_pred[:5])
    print(f"   predictions for x = 0..4: {shown}, …   R² = {r2_broken:.4f}")
    print(f"   MSE per step: {', '.join(f'{h:.4g}' for h in history[:4])}"
          f"{', …' if len(history) > 4 else ''}")
    stuck = all(p.grad == 0.0 for p in broken.parameters())
    if stuck:
        print(f"   after step {broken_steps} every ∂J/∂θ is exactly 0: training is stuck for good")
    print()

    # --- 2. the diagnosis ---------------------------------------------------------------------
    activity = broken.relu_activity(inputs)
    print("2. relu_activity: for each ReLU unit, the share of the 20 inputs with z > 0 (gate open)")
    for i, fractions in enumerate(activity):
        ell = layer_number(i)
        print(f"   layer {ell}: [{', '.join(f'{f:.2f}' for f in fractions)}]")
    out_open = activity[-1][0]
    if out_open == 0.0:
        print("   The output unit is dead: z⁽³⁾ ≤ 0 for every x, so a⁽³⁾ = relu(z⁽³⁾) = 0 and")
        print("   relu′(z⁽³⁾) = 0. Then δ⁽³⁾ = (a⁽³⁾ − y) ⊙ relu′(z⁽³⁾) = 0, so δ⁽²⁾ = 0 too, and")
        print("   every ∂J/∂Θ = δ a is 0: gradient descent can never bring it back.")
        if broken_steps > 1:
            print("   How it died: on raw data the first error is huge (y is up to 1140), so the")
            print("   first step overshoots (the loss jumps), and the next one pushes z⁽³⁾ below 0")
            print("   for every x.")
        else:
            print("   It was dead from the start: with x ≥ 0 and biases 0, each z is w·x and has")
            print("   one sign for every x > 0; this seed's output came out negative.")
    else:
        print(f"   The output unit's gate is open for {out_open:.0%} of the inputs.")
    print()

    # --- 3. the fix: linear output, standardized data -----------------------------------------
    sx, _, _ = data.standardize(xs)
    sy, _, unstandardize_y = data.standardize(ys)
    linear = MLP(1, [FORUM_HIDDEN, 1], activation="relu", output_activation="linear", seed=seed)
    print(f"3. Fix: a linear output, {linear},")
    print("   on standardized x and y (mean 0, std 1), so no first step overshoots;")
    print(f"   Adam (α = {FIX_LR}), {steps} steps. A linear output has g′ = 1: it cannot die.")
    sys.stdout.flush()
    fit(linear, sx, sy, loss=mse, optimizer=Adam(linear.parameters(), lr=FIX_LR), epochs=steps,
        progress=progress)
    linear_pred = [unstandardize_y(p[0]) for p in predict(linear, sx)]
    r2_linear = r_squared(ys, linear_pred)
    verdict = "≥" if r2_linear >= R2_TARGET else "< (more --steps)"
    print(f"   R² = {r2_linear:.5f} ({verdict} {R2_TARGET}), predictions mapped back to y's units")
    hidden = linear.relu_activity([[x] for x in sx])[0]
    print(f"   relu_activity of its hidden layer: [{', '.join(f'{f:.2f}' for f in hidden)}]")
    if 0.0 in hidden:
        print("   (a hidden unit at 0.00 is dead here too, but the output stays alive, and the")
        print("   other hidden units carry the fit)")
    print()

    # --- 4. leaky ReLU output -----------------------------------------------------------------
    top = max(ys)
    scaled_y = [y / top for y in ys]
    leaky = MLP(1, [FORUM_HIDDEN, 1], activation="relu", output_activation="leaky_relu",
                seed=seed)
    print(f"4. Also: a leaky ReLU output, {leaky}.")
    print(f"   For z ≤ 0 its slope is {LEAKY_SLOPE}, not 0, so a gradient always flows back and")
    print("   the unit can recover. Its outputs are (nearly) ≥ 0, so y is scaled to [0, 1]")
    print(f"   (y / {top:g}); x is standardized. Adam (α = {FIX_LR}), {steps} steps.")
    sys.stdout.flush()
    fit(leaky, sx, scaled_y, loss=mse, optimizer=Adam(leaky.parameters(), lr=FIX_LR),
        epochs=steps, progress=progress)
    leaky_pred = [p[0] * top for p in predict(leaky, sx)]
    r2_leaky = r_squared(ys, leaky_pred)
    print(f"   R² = {r2_leaky:.5f}")
    print()

    path = _plot_regression(
        xs, ys, broken_pred, linear_pred, leaky_pred, activity,
        (r2_broken, r2_linear, r2_leaky), out / "regression.png",
    )
    print(f"wrote {path}")
    return RegressionResult(
        broken_pred, activity, broken_steps, r2_broken, r2_linear, r2_leaky, [path]
    )


def _train_until_stuck(
    model: MLP, xs: list[float], ys: list[float], steps: int, progress: bool
) -> tuple[list[float], int]:
    """(MSE per step, steps taken): SGD one full batch at a time, until every ∂J/∂θ is 0."""
    optimizer = SGD(model.parameters(), lr=FORUM_LR)
    history: list[float] = []
    bar = trange(1, steps + 1, desc="forum net", unit="step", disable=not progress)
    for _ in bar:
        history += fit(model, xs, ys, loss=mse, optimizer=optimizer, epochs=1, progress=False)
        # fit leaves this step's gradients in p.grad. All exactly 0: every later step is too.
        if all(p.grad == 0.0 for p in model.parameters()):
            break
    bar.close()
    return history, len(history)


# ===========================================================================================
# helpers
# ===========================================================================================


def _check_run_args(steps: object, seed: object, out: object, progress: object, name: str) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"{name} steps must be a positive int, got {steps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"{name} seed must be an int, got {seed!r}")
    if not isinstance(out, (str, Path)) or str(out) == "":
        raise ValueError(f"{name} out must be a directory path, got {out!r}")
    if not isinstance(progress, bool):
        raise ValueError(f"{name} progress must be True or False, got {progress!r}")
    if Path(out).exists() and not Path(out).is_dir():
        raise OSError(f"{name}: --out {str(out)!r} exists and is not a directory")


def _vec(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{_plus_zero(v):.6g}" for v in values) + "]"


def _plus_zero(v: float) -> float:
    # A closed gate multiplies by 0.0 and can leave −0.0, which prints as a puzzling "-0".
    return v + 0.0


def _layer_offsets(mlp: MLP) -> list[int]:
    """Where each layer's parameters start in parameters() order."""
    offsets, start = [], 0
    for layer in mlp.layers:
        offsets.append(start)
        start += sum(len(n.w) + 1 for n in layer.neurons)
    return offsets


def _figure(width: float, height: float) -> tuple[Any, Any]:
    """(figure, canvas) drawn by Agg, without pyplot: no global backend switch, no window."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    return figure, FigureCanvasAgg(figure)


def _plot_loss(history: list[float], path: Path) -> Path:
    figure, canvas = _figure(6, 4)
    ax = figure.add_subplot()
    ax.plot(range(1, len(history) + 1), history, color="#1d4ed8")
    if all(h > 0.0 for h in history):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean J = Σ ½(a⁽³⁾ − y)² per sample")
    ax.set_title("The seed network: training loss")
    ax.grid(True, alpha=0.3)
    figure.tight_layout()
    canvas.print_png(str(path))
    return path


def _plot_regression(
    xs: list[float],
    ys: list[float],
    broken: list[float],
    linear: list[float],
    leaky: list[float],
    activity: list[list[float]],
    r2: tuple[float, float, float],
    path: Path,
) -> Path:
    figure, canvas = _figure(11, 4.5)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    left.scatter(xs, ys, color="black", zorder=3, label="data: y = 3x² + 3x")
    left.plot(xs, broken, color="#dc2626", lw=2, label=f"ReLU output, raw data (R² = {r2[0]:.3f})")
    left.plot(xs, linear, color="#1d4ed8", lw=2,
              label=f"linear output, standardized (R² = {r2[1]:.4f})")
    left.plot(xs, leaky, color="#15803d", lw=2, ls="--",
              label=f"leaky ReLU output, scaled (R² = {r2[2]:.4f})")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.set_title("Predictions")
    left.legend(loc="upper left", fontsize=8)
    left.grid(True, alpha=0.3)

    names = [
        unit_label("a", layer_number(i), j + 1)
        for i, fractions_of_layer in enumerate(activity)
        for j in range(len(fractions_of_layer))
    ]
    fractions = [f for layer in activity for f in layer]
    colors = ["#9ca3af" if f == 0.0 else "#1d4ed8" for f in fractions]
    right.bar(range(len(fractions)), fractions, color=colors)
    for k, f in enumerate(fractions):
        if f == 0.0:
            right.text(k, 0.02, "dead", ha="center", va="bottom", rotation=90, fontsize=8)
    right.set_xticks(range(len(fractions)), names, fontsize=8)
    right.set_ylim(0, 1.05)
    right.set_ylabel("share of inputs with z > 0 (gate open)")
    right.set_title("relu_activity of the ReLU-output network")
    figure.tight_layout()
    canvas.print_png(str(path))
    return path
