"""`autograd-lite regression`: why a ReLU-output network predicts 0, and the fixes.

The forum question: "My network with a ReLU output layer predicts 0 on y = 3x² + 3x,
x = 0..19. Why?" `run_regression` answers in named steps: `_forum_network` reproduces it,
`_diagnose` shows the dead units with `relu_activity`, `_fix_linear` and `_fix_leaky` train
the two fixes.

The settings below are notebook 02's too (it imports them): one definition per story.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from ...core.engine import NEGATIVE_SLOPE
from ...nn import data
from ...nn.losses import mse
from ...nn.modules import MLP
from ...nn.notation import layer_number
from ...nn.optim import SGD, Adam
from ...training import fit, predict, r_squared
from . import plots
from .report import check_run_args, fractions, make_out

__all__ = [
    "FIX_LR",
    "FORUM_HIDDEN",
    "FORUM_LR",
    "R2_TARGET",
    "REGRESSION_STEPS",
    "RegressionResult",
    "run_regression",
]

#: The forum's network: one input, this many ReLU hidden units, one output.
FORUM_HIDDEN = 8
#: The forum's plain gradient descent (SGD, full batch, MSE) on the raw data, at this α.
FORUM_LR = 1e-3
#: The fixes train with Adam at this α, on rescaled data ...
FIX_LR = 0.05
#: ... for this many full-batch steps; the forum's network gets at most as many.
REGRESSION_STEPS = 150
#: The fit the linear-output fix must reach.
R2_TARGET = 0.995


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


def run_regression(
    steps: int = REGRESSION_STEPS, seed: int = 0, out: Path = Path("out"), progress: bool = True
) -> RegressionResult:
    """The forum's ReLU-output network predicting 0 on y = 3x² + 3x, why, and two fixes.

    1. MLP(1, [8, 1], output_activation="relu", seed=seed) trained with SGD (α = 1e-3,
       MSE) on the raw data: up to `steps` steps, stopping once every ∂J/∂θ is exactly 0
       (then no later step can change anything). It predicts 0.
    2. `relu_activity` shows the dead units.
    3. Fix: a linear output on standardized x and y (Adam, α = FIX_LR, `steps` steps):
       R² ≥ 0.995 with the default steps.
    4. Also: a leaky ReLU output (slope 0.01) on standardized x and y scaled to [0, 1].
    Writes out/regression.png. Bad arguments raise ValueError; a bad `out` OSError.
    """
    out = make_out(check_run_args(steps, seed, out, progress, "regression"), ["regression.png"])
    xs, ys = data.quadratic()
    print("The forum's question: a network with a ReLU output layer predicts 0 on")
    print("y = 3x² + 3x for x = 0, 1, …, 19 (y from 0 to 1140). Why?")
    print()
    broken, broken_pred, broken_steps = _forum_network(xs, ys, steps, seed, progress)
    activity = _diagnose(broken, xs, broken_steps)
    linear_pred = _fix_linear(xs, ys, steps, seed, progress)
    leaky_pred = _fix_leaky(xs, ys, steps, seed, progress)
    r2 = (r_squared(ys, broken_pred), r_squared(ys, linear_pred), r_squared(ys, leaky_pred))
    path = plots.regression(
        xs, ys, (broken_pred, linear_pred, leaky_pred), r2, activity, out / "regression.png"
    )
    print(f"wrote {path}")
    return RegressionResult(broken_pred, activity, broken_steps, *r2, [path])


def _forum_network(
    xs: list[float], ys: list[float], steps: int, seed: int, progress: bool
) -> tuple[MLP, list[float], int]:
    """(the trained network, its predictions, steps taken): the forum's setup, trained
    until stuck."""
    broken = MLP(1, [FORUM_HIDDEN, 1], activation="relu", output_activation="relu", seed=seed)
    print(f"1. The forum's network, {broken},")
    print(f"   trained with SGD (α = {FORUM_LR}) on the raw data, MSE, up to {steps} steps:")
    sys.stdout.flush()  # the progress bar goes to stderr: keep the printed order when piped
    history, stuck = _train_until_stuck(broken, xs, ys, steps, progress)
    if stuck:
        print(f"   stopped after step {len(history)} of {steps}: every ∂J/∂θ is exactly 0, "
              "so no later step can change anything")
    predictions = [p[0] for p in predict(broken, xs)]
    shown = ", ".join(f"{p:.4g}" for p in predictions[:5])
    print(f"   predictions for x = 0..4: {shown}, …   R² = {r_squared(ys, predictions):.4f}")
    print(f"   MSE per step: {', '.join(f'{h:.4g}' for h in history[:4])}"
          f"{', …' if len(history) > 4 else ''}")
    print()
    return broken, predictions, len(history)


def _train_until_stuck(
    model: MLP, xs: list[float], ys: list[float], steps: int, progress: bool
) -> tuple[list[float], bool]:
    """(MSE per step, whether it got stuck): SGD one full batch at a time, until every
    ∂J/∂θ is 0 (stuck) or for `steps` steps.

    The bar counts each step once it is done and, on an early stop, says why it stopped.
    """
    from tqdm.auto import tqdm  # imported here: importing the demos stays light

    optimizer = SGD(model.parameters(), lr=FORUM_LR)
    history: list[float] = []
    with tqdm(total=steps, desc="forum net", unit="step", disable=not progress) as bar:
        for _ in range(steps):
            history += fit(model, xs, ys, loss=mse, optimizer=optimizer, epochs=1, progress=False)
            bar.update()
            # fit leaves this step's gradients in p.grad. All exactly 0: every later step is too.
            if all(p.grad == 0.0 for p in model.parameters()):
                bar.set_postfix_str("stopped: every ∂J/∂θ is 0")
                return history, True
    return history, False


def _diagnose(broken: MLP, xs: list[float], broken_steps: int) -> list[list[float]]:
    """The broken network's relu_activity, printed with what it means."""
    activity = broken.relu_activity([[x] for x in xs])
    print("2. relu_activity: for each ReLU unit, the share of the 20 inputs with z > 0 (gate open)")
    for i, shares in enumerate(activity):
        print(f"   layer {layer_number(i)}: {fractions(shares)}")
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
    return activity


def _fix_linear(
    xs: list[float], ys: list[float], steps: int, seed: int, progress: bool
) -> list[float]:
    """Predictions in y's units of the fix: a linear output on standardized x and y."""
    sx, _, _ = data.standardize(xs)
    sy, _, unstandardize_y = data.standardize(ys)
    linear = _fix_network("linear", seed)
    print(f"3. Fix: a linear output, {linear},")
    print("   on standardized x and y (mean 0, std 1), so no first step overshoots;")
    print(f"   Adam (α = {FIX_LR}), {steps} steps. A linear output has g′ = 1: it cannot die.")
    _train_fix(linear, sx, sy, steps, progress)
    predictions = [unstandardize_y(p[0]) for p in predict(linear, sx)]
    r2 = r_squared(ys, predictions)
    verdict = "≥" if r2 >= R2_TARGET else "< (more --steps)"
    print(f"   R² = {r2:.5f} ({verdict} {R2_TARGET}), predictions mapped back to y's units")
    hidden = linear.relu_activity([[x] for x in sx])[0]
    print(f"   relu_activity of its hidden layer: {fractions(hidden)}")
    dead = hidden.count(0.0)
    if dead:
        verb = "is" if dead == 1 else "are"
        print(f"   ({dead} of its {len(hidden)} hidden units {verb} dead here too, at 0.00, but")
        print(f"   the output stays alive, and the other {len(hidden) - dead} carry the fit)")
    print()
    return predictions


def _fix_leaky(
    xs: list[float], ys: list[float], steps: int, seed: int, progress: bool
) -> list[float]:
    """Predictions in y's units of a leaky ReLU output, x standardized, y scaled to [0, 1]."""
    sx, _, _ = data.standardize(xs)
    top = max(ys)
    leaky = _fix_network("leaky_relu", seed)
    print(f"4. Also: a leaky ReLU output, {leaky}.")
    print(f"   For z ≤ 0 its slope is {NEGATIVE_SLOPE}, not 0, so a gradient always flows back and")
    print("   the unit can recover. Its outputs are (nearly) ≥ 0, so y is scaled to [0, 1]")
    print(f"   (y / {top:g}); x is standardized. Adam (α = {FIX_LR}), {steps} steps.")
    _train_fix(leaky, sx, [y / top for y in ys], steps, progress)
    predictions = [p[0] * top for p in predict(leaky, sx)]
    print(f"   R² = {r_squared(ys, predictions):.5f}")
    print()
    return predictions


def _fix_network(output_activation: str, seed: int) -> MLP:
    """The forum's architecture with another output activation."""
    return MLP(
        1, [FORUM_HIDDEN, 1], activation="relu", output_activation=output_activation, seed=seed
    )


def _train_fix(
    model: MLP, inputs: list[float], targets: list[float], steps: int, progress: bool
) -> None:
    """`steps` full-batch epochs of Adam at FIX_LR on MSE, the fixes' training."""
    sys.stdout.flush()  # the progress bar goes to stderr: keep the printed order when piped
    fit(model, inputs, targets, loss=mse, optimizer=Adam(model.parameters(), lr=FIX_LR),
        epochs=steps, progress=progress)
