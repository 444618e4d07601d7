# %% [markdown]
# # Training a classifier: two moons
#
# Everything so far, put to work: an MLP learns to separate two interleaved half circles, a
# classic dataset that no straight line can split. We train it with `fit` (progress bar
# included), watch the loss, and draw the decision boundary it learned.

# %%
import math
import random

import matplotlib.pyplot as plt

from autograd_lite import data
from autograd_lite.losses import binary_cross_entropy_with_logits
from autograd_lite.nn import MLP
from autograd_lite.optim import Adam
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
# cross-entropy, written on $z$ directly so that it never overflows:
#
# $$J = \log\left(1 + e^{z}\right) - y\,z, \qquad \frac{\partial J}{\partial z} = \sigma(z) - y .$$
#
# The gradient is simply "predicted probability minus label", the same shape as
# $a - y$ for the squared error in notebook 01.

# %%
model = MLP(2, [8, 8, 1], activation="relu", output_activation="linear", seed=0)
print(model, "with", len(model.parameters()), "parameters")

# %% [markdown]
# ## Training
#
# `fit` runs forward → $J$ → `backward()` → optimizer step on each mini-batch of 10 points and
# returns the mean loss of each epoch. The bar shows progress and the latest loss (it is a
# `tqdm.auto` bar: a widget in Jupyter, text in a terminal).

# %%
history = fit(
    model,
    points,
    labels,
    loss=binary_cross_entropy_with_logits,
    optimizer=Adam(model.parameters(), lr=0.03),
    epochs=30,
    batch_size=10,
)

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(range(1, len(history) + 1), history, marker=".")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("mean cross-entropy J")
ax.set_title("Training loss")
ax.grid(alpha=0.3)
plt.show()


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
# The network has bent a line into the S-shaped gap between the moons. Things to try: make the
# hidden layers smaller or larger, switch to `activation="tanh"` (a smooth boundary), raise the
# noise, or check `model.relu_activity(points)` for dead units.
