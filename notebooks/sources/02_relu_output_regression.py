# %% [markdown]
# # Why does my ReLU-output network predict 0?
#
# > *My network with a ReLU output layer predicts 0 on $y = 3x^2 + 3x$, $x = 0, 1, \dots, 19$.
# > Why?*
#
# A forum classic. We reproduce it, diagnose it with the tools of the library, and try three
# fixes: the first only goes half the way (R² = 0.61), the other two fit the curve
# (R² ≥ 0.995). Finally we recover the polynomial's coefficients themselves by gradient
# descent.

# %%
import math
from pathlib import Path

import matplotlib.pyplot as plt

from autograd_lite import Value, dot, total
from autograd_lite.nn import data, manual
from autograd_lite.app.demos import FIX_LR, FORUM_HIDDEN, FORUM_LR, R2_TARGET, REGRESSION_STEPS
from autograd_lite.nn.losses import mse
from autograd_lite.nn import MLP
from autograd_lite.nn.notation import unit_label
from autograd_lite.nn.optim import SGD, Adam
from autograd_lite.training import fit, predict, r_squared
from autograd_lite.viz import PortableFigure, TrainingView, draw_graph, draw_network

xs, ys = data.quadratic()  # x = 0, 1, …, 19 and y = 3x² + 3x
X = [[x] for x in xs]      # the network takes one input per sample, as a list
print(f"{len(xs)} points, y from {min(ys):g} to {max(ys):g}")


def show_fit(title, predictions, history):
    """The data with a model's predictions (left) and its training loss (right); returns R²."""
    r2 = r_squared(ys, predictions)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.4))  # 840 px: the notebook's width
    left.scatter(xs, ys, color="black", s=15, label="data: y = 3x² + 3x", zorder=3)
    left.plot(xs, predictions, color="C3", lw=2, label=f"prediction (R² = {r2:.4f})")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.legend(fontsize=8)
    right.plot(range(1, len(history) + 1), history, color="C0")
    right.set_yscale("log")
    right.set_xlabel("epoch (one gradient step each)")
    right.set_ylabel("MSE on the training data")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()
    return r2


# %% [markdown]
# ## 1. The failure
#
# The forum's setup: one input, 8 ReLU hidden units, **one ReLU output**, mean squared error,
# plain gradient descent with $\alpha = 10^{-3}$ on the raw numbers. These settings, and the
# 150 steps we take, are those of `autograd-lite regression` (`FORUM_HIDDEN`, `FORUM_LR`,
# `REGRESSION_STEPS`), which stops as soon as every gradient is exactly 0; here we go on, to
# see that nothing changes after that.
#
# `fit` draws the training into a `TrainingView` while it runs (`live=True` makes one): the
# loss, the fitted curve over the data, and the network, each weight blue ($\Theta > 0$) or red
# ($\Theta < 0$) and as wide as it is large, each **dead** unit grey (its gate closed,
# $z \le 0$, for every $x$). In a notebook opened without running it, it is a picture of
# where training ended. The view keeps every epoch, $\theta$ and $\partial J/\partial\theta$ after each (one
# gradient step each: the whole data is one batch), so we can look at the first few steps
# afterwards; `record=` writes them all as a page with a slider over the epochs,
# `out/02_forum_training.html` beside this notebook, to open in a browser.

# %%
assert (FORUM_HIDDEN, FORUM_LR, REGRESSION_STEPS) == (8, 1e-3, 150)  # as the text says
forum = MLP(1, [FORUM_HIDDEN, 1], activation="relu", output_activation="relu", seed=0)
optimizer = SGD(forum.parameters(), lr=FORUM_LR)
open_at_start = forum.relu_activity(X)[1][0]
print(f"before training: output gate open for {open_at_start:.0%} of the x")

Path("out").mkdir(exist_ok=True)
view = TrainingView()
history = fit(forum, xs, ys, loss=mse, optimizer=optimizer, epochs=REGRESSION_STEPS,
              progress=False, live=view, record="out/02_forum_training.html")

# %%
# the largest |∂J/∂θ| of each step: the gradients fit left in .grad, as the view kept them
largest = [max(abs(g) for g in frame.gradients) for frame in view.frames[1:]]
for step in range(1, 5):
    open_ = view.relu_activity(step)[1][0]  # the output's gate, after the step
    print(f"step {step}: MSE {history[step - 1]:9.4g}, largest |∂J/∂θ| {largest[step - 1]:9.4g}, "
          f"then the output gate is open for {open_:.0%} of the x")

forum_predictions = [p[0] for p in predict(forum, xs)]
r2_forum = show_fit("ReLU output, raw data: it predicts 0", forum_predictions, history)
# the facts the text states, here and in "How did it die?" below
assert forum_predictions == [0.0] * len(xs) and r2_forum < 0
assert all(h == history[2] for h in history[2:]) and all(g == 0.0 for g in largest[2:])
assert round(open_at_start, 2) == 0.95 and history[1] > history[0]
assert 1e4 <= largest[0] < 1e5 and round(largest[1], -5) == 4e5

# %% [markdown]
# Every prediction is 0 and the loss is flat from step 3 on (every gradient is exactly 0 from
# there): the network has stopped learning, for good. (R² < 0 means it does worse than predicting the mean $\bar y$ everywhere.)
#
# ## 2. The diagnosis
#
# `relu_activity` gives, for each ReLU unit, the fraction of the inputs for which its gate is
# open ($z > 0$). A unit at 0 is **dead**.

# %%
for layer, fractions in zip([2, 3], forum.relu_activity(X)):
    print(f"layer {layer}: [{', '.join(f'{f:.2f}' for f in fractions)}]")

z3 = [manual.trace(forum, x)[1].z[0] for x in X]
b3 = forum.layers[1].neurons[0].b.data
print(f"\nz⁽³⁾ for x = 0..19: min {min(z3):.4f}, max {max(z3):.4f}; b⁽³⁾ = {b3:.4f}")
assert all(f == 0.0 for layer in forum.relu_activity(X) for f in layer) and max(z3) < 0
assert min(z3) == max(z3) == b3  # every hidden unit outputs 0, so z⁽³⁾ = Θ⁽³⁾·0 + b⁽³⁾

# %% [markdown]
# Every unit is dead, and the output's pre-activation $z^{(3)}$ is negative for every $x$.
# It is even the same number for every $x$, which is why the minimum and the maximum are
# equal: every hidden unit outputs $a^{(2)}_j = 0$, so
# $z^{(3)} = \Theta^{(3)} a^{(2)} + b^{(3)} = b^{(3)}$, whatever the input.
# Then, for every sample,
#
# $$a^{(3)} = \operatorname{relu}(z^{(3)}) = 0, \qquad
# \delta^{(3)} = \frac{\partial J}{\partial a^{(3)}}\,\operatorname{relu}'(z^{(3)})
# = \frac{\partial J}{\partial a^{(3)}} \cdot 0 = 0,$$
#
# so $\delta^{(2)} = (\Theta^{(3)\top}\delta^{(3)}) \odot g'(z^{(2)}) = 0$ and every
# $\partial J/\partial\Theta^{(l)}_{jk} = \delta^{(l)}_j a^{(l-1)}_k$ is 0. Gradient descent
# cannot move a single weight, so nothing can ever reopen the gate.
#
# The graph shows it. To keep the picture small we draw only the output unit for $x = 10$,
# feeding it the hidden activations as plain numbers: they are all 0, and the op shows them
# as `x = (0, 0, 0, 0, …)`. The error is huge, $\partial J/\partial a^{(3)} = -660$, and it
# stops at the closed gate:

# %%
x10 = [10.0]
hidden = [a.data for a in forum.layers[0](x10)]  # numbers, not Values: the graph starts at Θ⁽³⁾
assert hidden == [0.0] * FORUM_HIDDEN  # every hidden unit outputs 0
output = forum.layers[1].neurons[0]
z = dot(output.w, hidden, output.b)
z.label = "z⁽³⁾"
a3 = z.relu()
a3.label = "a⁽³⁾"
J = mse([a3], [ys[10]])
J.label = "J"
forum.zero_grad()
J.backward()
assert a3.grad == -660.0 and z.grad == 0.0  # the error, and where it stops
PortableFigure(draw_graph(J, params=forum))

# %% [markdown]
# And the whole network at $x = 10$: every unit is grey, its gate closed. (No $\partial J/\partial
# \Theta$ labels: they are all 0.)

# %%
PortableFigure(draw_network(forum, x10))

# %% [markdown]
# **How did it die?** At the start the output was alive (open for 95% of the $x$). But the
# targets reach 1140, so the first errors, and hence the first gradients, are huge
# (about $10^4$): one step with $\alpha = 10^{-3}$ moves the weights by tens, overshoots, and the
# loss *rises* (step 2). The next gradient is larger still (about $4 \times 10^5$) and that step
# pushes
# $z$ below 0 for every $x$, in the output and in every hidden unit. From then on every gradient
# is exactly 0.
#
# The view's frames show it step by step. After step 1 (the first picture below) the output
# is open for every $x$, and three hidden units are alive, $a^{(2)}_1$, $a^{(2)}_2$ and
# $a^{(2)}_7$; the curve has overshot, above every point of the data (the loss panel shows the
# MSE measured before each step: epoch 1's is step 1's). After step 2 (the second) every unit
# is grey and the curve is flat at 0 over the data.

# %%
after_1, after_2 = view.relu_activity(1), view.relu_activity(2)  # the claims above
assert after_1[1] == [1.0] and [j + 1 for j, f in enumerate(after_1[0]) if f > 0] == [1, 2, 7]
assert all(p > y for (p,), y in zip(predict(view.model_at(1), xs), ys))
assert all(f == 0.0 for layer in after_2 for f in layer)
assert predict(view.model_at(2), xs) == [[0.0]] * len(xs)
view.picture(1)

# %%
view.picture(2)

# %% [markdown]
# Two things went wrong: **unscaled data** made the steps explode, and a **ReLU output**
# turned the overshoot into a permanent death. So there are three fixes to try: scale the
# data (which alone goes only half the way), and change the output, two ways.
#
# ## 3. The fixes
#
# Each fix trains the same 1-8-1 architecture for 150 full-batch epochs of Adam
# ($\alpha = 0.05$), as `autograd-lite regression` does (`REGRESSION_STEPS`, `FIX_LR`).
# Predictions are mapped back to the units of $y$ before plotting; the loss curves stay in the
# units the model was trained in.
#
# ### Fix 1 (half a fix): standardize the inputs and the targets
#
# $t = (x - \mu_x)/\sigma_x$ and $(y - \mu_y)/\sigma_y$ both have mean 0 and standard deviation 1,
# so the errors, the gradients and the steps are of order 1. `data.standardize` returns the
# standardized values, the transform, and its inverse.

# %%
sx, _, _ = data.standardize(xs)
sy, _, to_y = data.standardize(ys)  # to_y maps a standardized prediction back to y's units


def train(output_activation, targets, to_units):
    """(model, predictions in y's units, loss history): a 1-8-1 ReLU network with this output,
    trained on (sx, targets)."""
    model = MLP(1, [FORUM_HIDDEN, 1], activation="relu", output_activation=output_activation,
                seed=0)
    history = fit(model, sx, targets, loss=mse, optimizer=Adam(model.parameters(), lr=FIX_LR),
                  epochs=REGRESSION_STEPS, progress=False)
    return model, [to_units(p[0]) for p in predict(model, sx)], history


assert FIX_LR == 0.05  # as the text says
relu_std, predictions, history = train("relu", sy, to_y)
r2_standardized = show_fit("Fix 1: standardized data, still a ReLU output", predictions, history)
activity = relu_std.relu_activity([[t] for t in sx])
for layer, fractions in zip([2, 3], activity):
    print(f"layer {layer}: [{', '.join(f'{f:.2f}' for f in fractions)}]")
mu_y = to_y(0.0)
below_mean = [x for x, y in zip(xs, ys) if y < mu_y]
print(f"μ_y = {mu_y:g}; y < μ_y for x = {below_mean[0]:g}..{below_mean[-1]:g}")
# the facts the text states: the output is alive, two hidden units are not, and the
# prediction is μ_y wherever y is below it
assert activity[1][0] > 0 and [j + 1 for j, f in enumerate(activity[0]) if f == 0.0] == [3, 6]
assert all(p == mu_y for p, y in zip(predictions, ys) if y < mu_y)

# %% [markdown]
# The output survives this time: its gate is open for some of the inputs, so it still learns.
# (Two hidden units, $a^{(2)}_3$ and $a^{(2)}_6$, do die here; the other six carry the fit.)
# But the fit is capped: standardized targets are **negative** for every $y$ below the mean
# $\mu_y$ ($x = 0..11$), and a ReLU output cannot produce a negative number. It predicts 0
# there, i.e. $\mu_y$ after mapping back: the flat floor on the left.
#
# ### Fix 2: a linear output (with standardized data)
#
# A regression output should be able to take any value: use $a^{(3)} = z^{(3)}$, whose
# derivative is 1 everywhere, so the output can never close.

# %%
linear, predictions, history = train("linear", sy, to_y)
r2_linear = show_fit("Fix 2: linear output, standardized data", predictions, history)

# %% [markdown]
# ### Fix 3: a leaky ReLU output
#
# If the output must stay (nearly) non-negative, leaky ReLU keeps a small slope for $z \le 0$:
# $g'(z) = 0.01$ instead of 0, so a gradient always gets through and a unit pushed below 0 can
# come back. Its negative side is almost flat, so we scale the targets to $[0, 1]$ ($y / 1140$)
# instead of standardizing them.

# %%
top = max(ys)
leaky, predictions, history = train("leaky_relu", [y / top for y in ys], lambda p: p * top)
r2_leaky = show_fit("Fix 3: leaky ReLU output, y scaled to [0, 1]", predictions, history)

# %%
print(f"R²  ReLU output, raw data (the forum's): {r2_forum:8.4f}")
print(f"R²  fix 1, standardized, ReLU output:    {r2_standardized:8.4f}")
print(f"R²  fix 2, standardized, linear output:  {r2_linear:8.4f}")
print(f"R²  fix 3, scaled, leaky ReLU output:    {r2_leaky:8.4f}")
assert r2_forum < 0 < r2_standardized < R2_TARGET <= min(r2_linear, r2_leaky)  # R2_TARGET = 0.995
assert round(r2_standardized, 2) == 0.61 and R2_TARGET == 0.995  # the intro's numbers

# %% [markdown]
# ## 4. Recovering $y = 3x^2 + 3x$ itself
#
# A network only *approximates* the curve. If we suspect a polynomial, we can fit its
# coefficients directly with the engine: a cubic
# $p(t) = d_0 + d_1 t + d_2 t^2 + d_3 t^3$ whose four coefficients are Values, trained by plain
# gradient descent on $J = \frac1n\sum (p(t) - y)^2$.
#
# Scaling matters here too. On raw $x$ the features $1, x, x^2, x^3$ range from 1 to 6859, so
# a learning rate small enough for $d_3$ barely moves $d_0$. On standardized $t$ they are all of
# order 1. Compare 600 steps of each:


# %%
def fit_cubic(inputs, targets, lr, steps=600):
    """([d₀, d₁, d₂, d₃], final J): the cubic in `inputs` fitted to `targets` by gradient
    descent."""
    d = [Value(0.0, f"d{i}") for i in range(4)]
    features = [[1.0, t, t * t, t * t * t] for t in inputs]
    optimizer = SGD(d, lr=lr)
    for _ in range(steps):
        J = total((dot(d, f) - y) ** 2 for f, y in zip(features, targets)) * (1 / len(targets))
        optimizer.zero_grad()
        J.backward()
        optimizer.step()  # dₖ := dₖ − α ∂J/∂dₖ
    print(f"  J = {J.data:.3g} after {steps} steps (α = {lr:g})")
    return [v.data for v in d], J.data


print("raw x (α must be tiny, or the x³ coefficient diverges):")
raw, J_raw = fit_cubic(xs, ys, lr=1e-7)
print("  coefficients:", [round(c, 4) for c in raw])
print("standardized x and y:")
d, J_standardized = fit_cubic(sx, sy, lr=0.2)
print("  coefficients in t:", [round(c, 6) for c in d])
assert J_raw > 1e3 and J_standardized < 1e-20  # far off, and machine precision

# %% [markdown]
# The standardized fit converges to machine precision. Now map its coefficients back. With
# $t = (x - \mu_x)/\sigma_x$ and $y = \sigma_y\,p(t) + \mu_y$, the binomial theorem gives the
# coefficient of $x^k$:
#
# $$c_k = \sigma_y \sum_{i=k}^{3} d_i \binom{i}{k} \frac{(-\mu_x)^{i-k}}{\sigma_x^{\,i}}
# \; + \; [k = 0]\,\mu_y .$$

# %%
_, _, to_x = data.standardize(xs)  # inverse: t ↦ σₓ t + μₓ
mu_x, sigma_x = to_x(0.0), to_x(1.0) - to_x(0.0)
mu_y, sigma_y = to_y(0.0), to_y(1.0) - to_y(0.0)

c = [
    sigma_y * sum(d[i] * math.comb(i, k) * (-mu_x) ** (i - k) / sigma_x**i for i in range(k, 4))
    + (mu_y if k == 0 else 0.0)
    for k in range(4)
]
print("recovered y = c₀ + c₁x + c₂x² + c₃x³ with (c₀, c₁, c₂, c₃) =",
      "(" + ", ".join(f"{round(ck, 6) + 0.0:.6f}" for ck in c) + ")")
error = max(abs(ck - expected) for ck, expected in zip(c, [0.0, 3.0, 3.0, 0.0]))
print(f"largest |error| of a coefficient: {error:.1e}")
assert error < 1e-10  # "to within 10⁻¹⁰", below

# %% [markdown]
# $(0, 3, 3, 0)$: the cubic term vanishes and $y = 3x^2 + 3x$ comes back exactly (to within
# $10^{-10}$). Gradient descent found the right answer once the problem was well scaled, which
# is the same lesson the network taught.
#
# **In short:** a ReLU output can die, and on unscaled data it will. Use a linear output for
# regression, standardize inputs and targets, and reach for leaky ReLU when the output must stay
# non-negative. `relu_activity` tells you when units are dead.
