# %% [markdown]
# # Training a classifier: two moons
#
# Everything so far, put to work: an MLP learns to separate two interleaved half circles, a
# classic dataset that no straight line can split. We train it with `fit` (progress bar
# included), which runs its steps as compiled code, train it again eagerly, watch the loss,
# and draw the decision boundary it learned.

# %%
import math
import random
import time

import matplotlib.pyplot as plt
import tqdm.auto  # fit's progress bar, imported here: so the timings below leave its import out

from autograd_lite.nn import data
from autograd_lite.nn.losses import binary_cross_entropy_with_logits
from autograd_lite.nn import MLP
from autograd_lite.nn.optim import Adam
from autograd_lite.training import fit, predict

points, labels = data.two_moons(n=100, noise=0.1, seed=0)
test_points, test_labels = data.two_moons(n=100, noise=0.1, seed=1)  # fresh noise, for testing

# fit takes the samples in the order given, without shuffling: shuffle once (with a seed), so
# that every mini-batch mixes both classes
order = list(range(len(points)))
random.Random(0).shuffle(order)
points, labels = [points[i] for i in order], [labels[i] for i in order]

COLORS = {0.0: "#dc2626", 1.0: "#1d4ed8"}  # label 0 red, label 1 blue


def scatter_classes(ax, xs, ys, marker, what):
    """The points of each class in its colour, labelled for the legend."""
    for label, color in COLORS.items():
        chosen = [x for x, y in zip(xs, ys) if y == label]
        style = {"edgecolor": "white", "linewidth": 0.5} if marker == "o" else {"linewidth": 1}
        ax.scatter(*zip(*chosen), color=color, marker=marker, s=18,
                   label=f"{what}, class {label:g}", **style)


assert set(labels) == set(COLORS)  # two classes, 0 and 1
fig, ax = plt.subplots(figsize=(6, 4))
scatter_classes(ax, points, labels, "o", "training")
ax.set_title("two_moons(n=100, noise=0.1): the training set")
ax.set_xlabel("x₁")
ax.set_ylabel("x₂")
ax.set_aspect("equal")
ax.legend(loc="lower left", fontsize=8)
plt.show()

# %% [markdown]
# ## The model and the loss
#
# Two inputs, two hidden ReLU layers of 8 units, and one **linear** output $z$, read as the
# log-odds of class 1: $P(y = 1) = \sigma(z) = 1/(1 + e^{-z})$. The loss is the binary
# cross-entropy, written on $z$ directly:
#
# $$J = \log\left(1 + e^{z}\right) - y\,z, \qquad \frac{\partial J}{\partial z} = \sigma(z) - y .$$
#
# The gradient is simply "predicted probability minus label", the same shape as
# $a - y$ for the squared error in notebook 01. Computed as written, $e^{z}$ overflows for
# $z > 709$; so `binary_cross_entropy_with_logits` computes the same number in a form that
# never overflows, $\log(1 + e^{z}) = \tfrac12 z + \tfrac12|z| + \log(1 + e^{-|z|})$
# (more on that form below):

# %%
from autograd_lite import Value

z_large = 1000.0  # a confident, wrong logit for a point of class 0
try:
    as_written = math.log(1 + math.exp(z_large))
except OverflowError as error:
    as_written = f"OverflowError ({error})"
J_large = binary_cross_entropy_with_logits([Value(z_large)], [0.0]).data
print(f"z = {z_large:g}, y = 0: log(1 + e^z) - y z as written gives {as_written}; "
      f"the loss gives J = {J_large:g}")
assert isinstance(as_written, str) and J_large == z_large  # it overflows; the loss does not

model = MLP(2, [8, 8, 1], activation="relu", output_activation="linear", seed=0)
print(model, "with", len(model.parameters()), "parameters")

# %% [markdown]
# ## Training
#
# `fit` takes the mini-batches of 10 points in turn, and for each computes $J$, its gradient
# and an optimizer step, returning the mean loss of each epoch. The bar shows progress and the
# latest loss (it is a `tqdm.auto` bar: a widget in Jupyter, text in a terminal).
#
# Every step builds the graph of $J$ for ten points and walks it backwards, and the graph has
# the same shape at every step: only the numbers change. So `fit` does it once: it traces the
# graph of the first step and runs every later step as the Python code that `al.compile`
# generates from it, a loop over the batch's points with a line per node of one point's graph
# forward and a line per edge backward (notebook 01 prints such code for one example). That
# is what `fit` does by default.

# %%
SETTINGS = {"loss": binary_cross_entropy_with_logits, "epochs": 30, "batch_size": 10}
LEARNING_RATE = 0.03

start = time.perf_counter()
history = fit(model, points, labels, optimizer=Adam(model.parameters(), lr=LEARNING_RATE),
              **SETTINGS)
compiled_seconds = time.perf_counter() - start

# %% [markdown]
# ### The same training, eagerly
#
# `compile=False` makes `fit` build and walk the graph, Value by Value, at every step. We
# train a second model from the same seed, so from the same starting weights, on the same
# data with the same settings.

# %%
eager_model = MLP(2, [8, 8, 1], activation="relu", output_activation="linear", seed=0)
start = time.perf_counter()
eager_history = fit(eager_model, points, labels, compile=False,
                    optimizer=Adam(eager_model.parameters(), lr=LEARNING_RATE), **SETTINGS)
eager_seconds = time.perf_counter() - start

assert eager_history == history  # every epoch's loss, to the last bit
assert [p.data for p in eager_model.parameters()] == [p.data for p in model.parameters()]
print(f"wall time of fit: compiled (the default) {compiled_seconds:.2f} s (tracing included), "
      f"compile=False {eager_seconds:.2f} s; eager / compiled = "
      f"{eager_seconds / compiled_seconds:.1f}")

# %%
fig, (ax, bars) = plt.subplots(1, 2, figsize=(8.4, 3.5), width_ratios=[2, 1])
epochs = range(1, len(history) + 1)
ax.plot(epochs, eager_history, marker=".", lw=3, alpha=0.5, label="compile=False")
ax.plot(epochs, history, marker="x", ls="--", color="black", label="compiled (the default)")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("mean cross-entropy J")
ax.set_title("Training loss")
ax.legend()
ax.grid(alpha=0.3)
seconds = [eager_seconds, compiled_seconds]
bars.barh(["compile=False", "compiled"], seconds, color=["C0", "black"], alpha=0.6)
for row, t in enumerate(seconds):
    bars.text(t, row, f" {t:.2f} s", va="center")
bars.set_xlim(0, 1.35 * max(seconds))
bars.invert_yaxis()
bars.set_xlabel("wall time of fit (s)")
bars.set_title("30 epochs, 300 steps")
fig.tight_layout()
plt.show()

# %% [markdown]
# The two curves coincide: the histories are equal number for number, and so are the trained
# weights (both asserted above). The compiled code does the same float operations in the same
# order as the eager forward pass and `backward()`. It can because the loss chooses no formula
# by a Python `if` on a number: `binary_cross_entropy_with_logits` computes $\log(1 + e^{z})$ as
# $\tfrac12 z + \tfrac12|z| + \log\left(1 + e^{-|z|}\right)$, which never overflows, and
# $|z|$ is an op, which the generated code evaluates afresh at every step, like ReLU's gate.
# Had the loss chosen between two formulas with `if z.data >= 0`, the trace would have kept
# the formulas the first batch's points chose, for every later batch: the same values in
# exact arithmetic, but not the same floats. (A comparison of Values, `if z > 0:`, is
# different: `al.compile` records it and traces again when its outcome changes.) A loss of
# your own may test its targets, `if y[0] == 1.0:`: `fit` hands it the numbers themselves,
# as eager training does, and traces each batch on its own batch.
#
# The line above the figure prints both wall times and their ratio, eager / compiled, as this
# machine measured them in this run; they vary from machine to machine and run to run, so
# nothing here asserts them (`make bench` measures `fit` and the compiled step against
# hand-written code).

# %%
def accuracy(xs, ys):
    """The fraction of points on the right side of z = 0 (σ(z) = 0.5)."""
    return sum((z > 0.0) == (y == 1.0) for (z,), y in zip(predict(model, xs), ys)) / len(ys)


print(f"mean J: {history[0]:.3f} (epoch 1) → {history[-1]:.4f} (epoch {len(history)})")
assert history[-1] < history[0]
print(f"accuracy: {accuracy(points, labels):.0%} on the training set, "
      f"{accuracy(test_points, test_labels):.0%} on 100 fresh test points")

# %% [markdown]
# ## The decision boundary
#
# Evaluate the trained network on a grid (`predict` runs under `no_grad`: no graph is built) and
# colour each cell by $\sigma(z)$. The boundary is the contour $\sigma(z) = 0.5$, i.e. $z = 0$.
# A ReLU network computes a piecewise-linear function, so the boundary is made of straight
# segments: one for each pattern of open and closed gates.

# %%
steps = 50
x1s = [-1.5 + 4.0 * i / (steps - 1) for i in range(steps)]
x2s = [-1.0 + 2.5 * j / (steps - 1) for j in range(steps)]
z = [[out[0] for out in predict(model, [[x1, x2] for x1 in x1s])] for x2 in x2s]
probability = [[1 / (1 + math.exp(-v)) for v in row] for row in z]

fig, ax = plt.subplots(figsize=(7, 5))
shade = ax.contourf(x1s, x2s, probability, levels=20, cmap="RdBu", vmin=0, vmax=1, alpha=0.45)
ax.contour(x1s, x2s, z, levels=[0.0], colors="black", linewidths=1.5)
scatter_classes(ax, points, labels, "o", "training")
scatter_classes(ax, test_points, test_labels, "x", "test")
fig.colorbar(shade, ax=ax, shrink=0.8, label="σ(z) = predicted P(class 1)")
ax.set_title("Decision boundary (black: z = 0)")
ax.set_xlabel("x₁")
ax.set_ylabel("x₂")
ax.set_aspect("equal")
ax.legend(loc="lower left", fontsize=8)
plt.show()

# %% [markdown]
# The network has bent a line into the S-shaped gap between the moons.
#
# ## Watching it learn
#
# `fit(..., live=True)` draws the training while it runs, in three panels: the loss so far
# (mean $J$ per epoch), the decision boundary over the data, and the network, each weight blue
# ($\Theta > 0$) or red ($\Theta < 0$) and as wide as it is large, each **dead** unit grey (its
# gate closed, $z \le 0$, for every training point). The picture changes in place, at most every
# 0.1 s (what that costs training: `benchmarks/training_view_bench.py`). In a notebook opened
# without running it, as on a static viewer, the view is a picture of where training ended.
# `record=` also writes the whole run as one page, `out/04_two_moons_training.html` beside
# this notebook: open it in a browser and move its slider through the epochs.
#
# We train the same network from the same seed again, watched. A `TrainingView` of our own
# (`live=True` would make one) keeps every epoch, to look at afterwards.

# %%
from pathlib import Path

from autograd_lite.nn.notation import unit_label
from autograd_lite.viz import TrainingView

Path("out").mkdir(exist_ok=True)
view = TrainingView()
watched = MLP(2, [8, 8, 1], activation="relu", output_activation="linear", seed=0)
watched_history = fit(watched, points, labels, live=view, record="out/04_two_moons_training.html",
                      optimizer=Adam(watched.parameters(), lr=LEARNING_RATE), **SETTINGS)
assert watched_history == history  # watching changed nothing: the same losses, to the last bit

# %% [markdown]
# The view kept a frame for every epoch, with the parameters after it; `view.model_at(e)` is
# the network as it was after epoch $e$ (0: before training), and `view.relu_activity(e)` its
# `relu_activity` on the training points.

# %%
def accuracy_at(epoch):
    """The fraction of training points on the right side of the boundary after `epoch`."""
    then = predict(view.model_at(epoch), points)
    return sum((z > 0.0) == (y == 1.0) for (z,), y in zip(then, labels)) / len(labels)


def dead_units(epoch):
    """[(l, j) of each dead unit a⁽ˡ⁾ⱼ] after `epoch`: its gate closed for every point."""
    return [(i + 2, j + 1) for i, layer in enumerate(view.relu_activity(epoch))
            for j, fraction in enumerate(layer) if fraction == 0.0]


for epoch in (0, 1, 4, 5, 30):
    units = ", ".join(unit_label("a", l, j) for l, j in dead_units(epoch)) or "none"
    print(f"after epoch {epoch:2}: training accuracy {accuracy_at(epoch):4.0%}, dead: {units}")
# the facts the text below states
assert dead_units(0) == [(3, 7)] and all(dead_units(e) == [(3, 4)] for e in range(1, 5))
assert all(dead_units(e) == [] for e in range(5, 31))
assert accuracy_at(0) == 0.5 and accuracy_at(1) < accuracy_at(5) < accuracy_at(30) == 1.0
grid = [[x1, x2] for x1 in x1s for x2 in x2s]  # the grid of the decision boundary above
assert all(z > 0.0 for (z,) in predict(view.model_at(0), points + grid))  # all class 1
wrong = {y for (z,), y in zip(predict(view.model_at(1), points), labels) if (z > 0.0) != (y == 1.0)}
assert wrong == {0.0, 1.0}  # after epoch 1, points of both moons on the wrong side
view.picture(0)

# %% [markdown]
# Before training (above), the network calls every point class 1, so half of them are wrong:
# the plane around the moons is blue, and there is no boundary in sight. Unit $a^{(3)}_7$ is dead: grey,
# the weights into it dashed. A dead unit's own weights get no gradient, so it cannot revive
# itself; but the layer below it learns, and as its outputs change, so does the dead unit's
# $z$. One epoch later (below) $a^{(3)}_7$ is alive again and $a^{(3)}_4$ has died instead; it
# comes back in epoch 5, and from then on no unit is dead. The boundary after one epoch is a
# bent line with points of both moons on its wrong side; it bends into the gap between the
# moons until, by epoch 30, every training point is on its side.

# %%
view.picture(1)

# %% [markdown]
# Things to try: make the hidden layers smaller or larger, switch to `activation="tanh"` (a
# smooth boundary), raise the noise, or set `live=True` with more epochs and a smaller learning
# rate, to watch it learn more slowly.
