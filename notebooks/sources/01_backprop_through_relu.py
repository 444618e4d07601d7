# %% [markdown]
# # Backpropagation through a ReLU hidden layer
#
# > *How do I get $\partial J/\partial \Theta^{(2)}$ through the ReLU hidden layer of a network
# > with two outputs?*
#
# This notebook answers that question on the smallest network that has it: 2 inputs, 2 ReLU
# hidden units, 2 ReLU outputs, trained on
#
# $$J = \sum_{i=1}^{2} \tfrac12\left(a^{(3)}_i - y_i\right)^2 .$$
#
# We derive the gradient by hand with the chain rule, compute it with the textbook's δ
# equations and with the autograd engine, and check that the two agree to $10^{-12}$.
#
# **Notation.** Layers are numbered from the input, which is layer 1: $a^{(1)} = x$.
# Layer $l$ computes
#
# $$z^{(l)} = \Theta^{(l)} a^{(l-1)} + b^{(l)}, \qquad a^{(l)} = g\left(z^{(l)}\right),$$
#
# so $\Theta^{(l)}_{jk}$ is the weight from unit $k$ of layer $l-1$ to unit $j$ of layer $l$.
# In our network:
#
# | weights | connect | activation $g$ |
# |---|---|---|
# | $\Theta^{(2)}$ (2×2), $b^{(2)}$ | input $a^{(1)}$ → hidden $a^{(2)}$ | ReLU |
# | $\Theta^{(3)}$ (2×2), $b^{(3)}$ | hidden $a^{(2)}$ → output $a^{(3)}$ | ReLU |
#
# with $\operatorname{relu}(z) = \max(0, z)$.

# %%
import matplotlib.pyplot as plt

from autograd_lite import Value, dot, manual
from autograd_lite.losses import half_squared_error
from autograd_lite.nn import MLP
from autograd_lite.notation import unit_label
from autograd_lite.optim import SGD
from autograd_lite.training import fit
from autograd_lite.viz import draw_graph, draw_network

SEED = 0
mlp = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=SEED)
mlp

# %% [markdown]
# `mlp.layers[0]` computes layer 2 and `mlp.layers[1]` layer 3; neuron $j$ of a layer holds
# row $j$ of $\Theta$ as `w` and $b_j$ as `b`. Every parameter is labelled with its textbook name:

# %%
for layer in mlp.layers:
    for neuron in layer.neurons:
        print("   ".join(f"{p.label} = {p.data:+.4f}" for p in [*neuron.w, neuron.b]))

# %% [markdown]
# ## 1. The forward pass, with numbers
#
# One example: $x = (1, 0.5)$ with target $y = (1.5, 0.5)$. We write the forward pass out
# layer by layer, exactly as the network computes it, and label every number so the
# computation graph below can show it.

# %%
x = [Value(1.0, unit_label("a", 1, 1)), Value(0.5, unit_label("a", 1, 2))]
y = [1.5, 0.5]


def labelled(values, symbol, layer):
    """Name each Value z⁽ˡ⁾ⱼ or a⁽ˡ⁾ⱼ, for the graph."""
    for j, v in enumerate(values):
        v.label = unit_label(symbol, layer, j + 1)
    return values


z2 = labelled([dot(n.w, x, n.b) for n in mlp.layers[0].neurons], "z", 2)  # z⁽²⁾ = Θ⁽²⁾a⁽¹⁾ + b⁽²⁾
a2 = labelled([z.relu() for z in z2], "a", 2)                               # a⁽²⁾ = relu(z⁽²⁾)
z3 = labelled([dot(n.w, a2, n.b) for n in mlp.layers[1].neurons], "z", 3)  # z⁽³⁾ = Θ⁽³⁾a⁽²⁾ + b⁽³⁾
a3 = labelled([z.relu() for z in z3], "a", 3)                               # a⁽³⁾ = relu(z⁽³⁾)
J = half_squared_error(a3, y)                                               # J = Σ ½(a⁽³⁾ − y)²
J.label = "J"

assert [a.data for a in mlp(x)] == [a.data for a in a3]  # the same numbers as the network's forward
for name, values in [("z⁽²⁾", z2), ("a⁽²⁾", a2), ("z⁽³⁾", z3), ("a⁽³⁾", a3)]:
    print(f"{name} = [{', '.join(f'{v.data:+.4f}' for v in values)}]")
print(f"J    = {J.data:.4f}")

# %% [markdown]
# Look at $z^{(2)}_2 = -0.69 < 0$: the second hidden unit is **off** for this input, so
# $a^{(2)}_2 = 0$. Both outputs are on ($z^{(3)} > 0$).

# %% [markdown]
# ## 2. The chain rule, step by step
#
# The derivative of ReLU is a 0/1 **gate**:
#
# $$
# \operatorname{relu}'(z) = \begin{cases}
# 1 & z > 0 \quad\text{(open)} \\
# 0 & z \le 0 \quad\text{(closed; at the kink } z = 0 \text{ we take 0, as PyTorch does)}
# \end{cases}
# $$
#
# ### The output weights $\Theta^{(3)}$
#
# $\Theta^{(3)}_{ij}$ reaches $J$ along one path only, through $z^{(3)}_i$ and $a^{(3)}_i$:
#
# $$
# \frac{\partial J}{\partial \Theta^{(3)}_{ij}}
# = \underbrace{\frac{\partial J}{\partial a^{(3)}_i}}_{a^{(3)}_i - y_i}
#   \cdot \underbrace{\frac{\partial a^{(3)}_i}{\partial z^{(3)}_i}}_{\operatorname{relu}'(z^{(3)}_i)}
#   \cdot \underbrace{\frac{\partial z^{(3)}_i}{\partial \Theta^{(3)}_{ij}}}_{a^{(2)}_j}
# = \delta^{(3)}_i \, a^{(2)}_j,
# \qquad
# \delta^{(3)}_i \equiv \frac{\partial J}{\partial z^{(3)}_i}
# = \left(a^{(3)}_i - y_i\right)\operatorname{relu}'\!\left(z^{(3)}_i\right).
# $$
#
# ### The hidden weights $\Theta^{(2)}$
#
# $\Theta^{(2)}_{jk}$ changes $z^{(2)}_j$, hence $a^{(2)}_j$, which feeds **both** outputs.
# So the chain rule sums over the two paths $i = 1, 2$:
#
# $$
# \begin{aligned}
# \frac{\partial J}{\partial \Theta^{(2)}_{jk}}
# &= \sum_{i=1}^{2} \frac{\partial J}{\partial z^{(3)}_i}
#    \cdot \frac{\partial z^{(3)}_i}{\partial a^{(2)}_j}
#    \cdot \frac{\partial a^{(2)}_j}{\partial z^{(2)}_j}
#    \cdot \frac{\partial z^{(2)}_j}{\partial \Theta^{(2)}_{jk}}
#  = \sum_{i=1}^{2} \delta^{(3)}_i \, \Theta^{(3)}_{ij}
#    \cdot \operatorname{relu}'\!\left(z^{(2)}_j\right) \cdot a^{(1)}_k \\
# &= \underbrace{\left(\sum_{i} \Theta^{(3)}_{ij}\,\delta^{(3)}_i\right)
#    \operatorname{relu}'\!\left(z^{(2)}_j\right)}_{\delta^{(2)}_j}\; a^{(1)}_k
#  = \delta^{(2)}_j \, a^{(1)}_k .
# \end{aligned}
# $$
#
# In vector form these are the textbook's backpropagation equations, and the biases follow the
# same way with $\partial z_j / \partial b_j = 1$:
#
# $$
# \delta^{(3)} = \left(a^{(3)} - y\right) \odot g'\!\left(z^{(3)}\right), \qquad
# \delta^{(2)} = \left(\Theta^{(3)\top} \delta^{(3)}\right) \odot g'\!\left(z^{(2)}\right), \qquad
# \frac{\partial J}{\partial \Theta^{(l)}_{jk}} = \delta^{(l)}_j\, a^{(l-1)}_k, \qquad
# \frac{\partial J}{\partial b^{(l)}_j} = \delta^{(l)}_j .
# $$
#
# ### Where the gate enters, and what "the gradient stops" means
#
# The gate $\operatorname{relu}'(z^{(2)}_j)$ multiplies everything that arrives at hidden unit $j$.
# When it is closed ($z^{(2)}_j \le 0$), $\delta^{(2)}_j = 0$ *however large the error is*, and so
# the whole row $j$ of $\partial J/\partial \Theta^{(2)}$, and $\partial J / \partial b^{(2)}_j$,
# are 0: this example does not change the weights into that unit. The error signal still
# *reaches* $a^{(2)}_j$; it stops at the gate. Likewise a closed output gate
# ($z^{(3)}_i \le 0$) zeroes $\delta^{(3)}_i$, and output $i$'s error then reaches nothing
# behind it. A unit whose gate is closed for *every* example of the data set never learns
# again: it is **dead** (notebook 02 shows what that does to a regression).

# %% [markdown]
# ## 3. The same numbers by hand and by the engine
#
# `manual.trace` evaluates the δ equations above on plain floats; `manual.backprop` turns them
# into $\partial J/\partial\theta$ for every parameter. The engine gets the same numbers from
# `J.backward()`, which knows nothing about layers: it applies the chain rule node by node.

# %%
for t in manual.trace(mlp, x, y):
    print(f"layer {t.layer}:  δ = [{', '.join(f'{d + 0.0:+.4f}' for d in t.delta)}]")

mlp.zero_grad()
J.backward()
engine_grads = [p.grad for p in mlp.parameters()]
manual_grads = manual.backprop(mlp, x, y)

# %% [markdown]
# $\delta^{(2)}_2 = 0$: the gate of hidden unit 2 is closed. Now every parameter, output layer
# first as backpropagation goes:


# %%
class Table:
    """Rows of cells: HTML in Jupyter, aligned text anywhere else."""

    def __init__(self, header, rows):
        self.header, self.rows = header, [[str(c) for c in row] for row in rows]

    def _repr_html_(self):
        head = "".join(f"<th>{h}</th>" for h in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td><code>{c}</code></td>" for c in row) + "</tr>"
            for row in self.rows
        )
        return f"<table><tr>{head}</tr>{body}</table>"

    def __repr__(self):
        widths = [max(len(str(c)) for c in col) for col in zip(self.header, *self.rows)]
        lines = [self.header, *self.rows]
        return "\n".join("  ".join(str(c).rjust(w) for c, w in zip(line, widths)) for line in lines)


def formula(layer, j, k=None):
    """'δ⁽ˡ⁾ⱼ · a⁽ˡ⁻¹⁾ₖ' for a weight Θ⁽ˡ⁾ⱼₖ, 'δ⁽ˡ⁾ⱼ' for a bias b⁽ˡ⁾ⱼ."""
    delta = unit_label("δ", layer, j)
    return delta if k is None else f"{delta} · {unit_label('a', layer - 1, k)}"


by_hand = manual.by_layer(mlp, manual_grads)  # [(∂J/∂Θ⁽ˡ⁾ rows, ∂J/∂b⁽ˡ⁾)] for l = 2, 3
by_engine = manual.by_layer(mlp, engine_grads)
rows = []
for i in reversed(range(len(mlp.layers))):  # layer 3, then layer 2
    layer = i + 2
    for j, neuron in enumerate(mlp.layers[i].neurons):
        (hand_w, hand_b), (eng_w, eng_b) = by_hand[i], by_engine[i]
        cells = [(w.label, formula(layer, j + 1, k + 1), hand_w[j][k], eng_w[j][k])
                 for k, w in enumerate(neuron.w)]
        cells.append((neuron.b.label, formula(layer, j + 1), hand_b[j], eng_b[j]))
        for name, how, m, e in cells:
            m, e = m + 0.0, e + 0.0  # + 0.0 prints -0.0 as 0
            rows.append([name, how, f"{m:.17g}", f"{e:.17g}", f"{abs(e - m):.1e}"])
Table(["θ", "∂J/∂θ by hand", "manual.backprop", "engine (backward)", "|difference|"], rows)

# %%
max_difference = max(abs(e - m) for e, m in zip(engine_grads, manual_grads))
print(f"max |manual − engine| over {len(engine_grads)} parameters: {max_difference:.1e}")
assert max_difference <= 1e-12

# %% [markdown]
# The engine and the hand-derived equations agree (here to the last bit: they do the same float
# operations in the same order). Row 2 of $\partial J/\partial \Theta^{(2)}$ and
# $\partial J / \partial b^{(2)}_2$ are exactly 0: the closed gate at work. So are
# $\partial J/\partial \Theta^{(3)}_{12}$ and $\partial J/\partial \Theta^{(3)}_{22}$, for another
# reason: they multiply $a^{(2)}_2 = 0$.
#
# ## 4. Seeing the gates
#
# The computation graph of $J$: every box is a Value with its `data` and its `grad`
# $= \partial J/\partial(\text{that value})$, and each edge into an op carries the local
# derivative. Follow hidden unit 2 (upper right): $\partial J/\partial a^{(2)}_2 = -0.28$ arrives
# at its ReLU from below, meets the dashed **gate 0**, and $\partial J/\partial z^{(2)}_2 = 0$
# comes out, so nothing reaches $\Theta^{(2)}_{21}$, $\Theta^{(2)}_{22}$ or $b^{(2)}_2$.

# %%
draw_graph(J, params=mlp, rankdir="TB")

# %% [markdown]
# The same network as the textbook draws it, with this example's $z$ and $a$ in each unit and
# $\partial J/\partial\Theta$ on each edge. The closed unit is grey; the dashed edges into it are
# the weights this example cannot update.

# %%
draw_network(mlp, x)

# %% [markdown]
# ### Moving the input
#
# Which gates are open depends on the input. Below, $x_1$ sweeps from −1 to 2.5 along the line
# $x_2 = -0.5$ (target $y = (x_1 + x_2, \max(0, x_1 - x_2))$). Top: the pre-activations, solid
# for the hidden units and dashed for the outputs; a gate is open where its curve is above 0.
# Bottom: the four entries of $\partial J/\partial\Theta^{(2)}$. Grey: no gradient reaches
# $\Theta^{(2)}$ at all.


# %%
def target(x):
    """y = (x₁ + x₂, max(0, x₁ − x₂)): the rule behind this notebook's examples."""
    return [x[0] + x[1], max(0.0, x[0] - x[1])]


def backprop_at(model, x):
    """(z⁽²⁾, z⁽³⁾, ∂J/∂Θ⁽²⁾ as a flat list) at input x, by the engine."""
    J = half_squared_error(model(x), target(x))
    model.zero_grad()
    J.backward()
    hidden, output = manual.trace(model, x)
    return hidden.z, output.z, [w.grad for n in model.layers[0].neurons for w in n.w]


explore = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=SEED)  # same weights


def plot_sweep(x1, x2):
    """Gates and ∂J/∂Θ⁽²⁾ along x₁ ∈ [−1, 2.5] at this x₂, with a dotted line at x₁."""
    sweep = [-1.0 + 3.5 * s / 350 for s in range(351)]
    curves = [backprop_at(explore, [s, x2]) for s in sweep]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
    for layer, style in [(0, "-"), (1, "--")]:  # hidden solid, outputs dashed
        for j in range(2):
            top.plot(sweep, [c[layer][j] for c in curves], style, color=f"C{2 * layer + j + 4}",
                     label=unit_label("z", layer + 2, j + 1))
    top.set_ylabel("pre-activation z\n(gate open above 0)")
    top.legend(fontsize=8, ncol=4, loc="upper left")
    for n, name in enumerate(["Θ⁽²⁾₁₁", "Θ⁽²⁾₁₂", "Θ⁽²⁾₂₁", "Θ⁽²⁾₂₂"]):
        bottom.plot(sweep, [c[2][n] for c in curves], label=f"∂J/∂{name}")
    bottom.set_xlabel(f"input x₁   (x₂ = {x2:g})")
    bottom.set_ylabel("∂J/∂Θ⁽²⁾")
    bottom.legend(fontsize=8, ncol=2, loc="upper left")
    stopped = [all(g == 0.0 for g in c[2]) for c in curves]
    for ax in (top, bottom):
        ax.fill_between(sweep, 0, 1, where=stopped, color="grey", alpha=0.15,
                        transform=ax.get_xaxis_transform(), lw=0)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(x1, color="grey", ls=":")
        ax.grid(alpha=0.3)
    top.set_title(f"Gates and gradients as x₁ moves (dotted: x₁ = {x1:g})")
    fig.tight_layout()
    plt.show()


plot_sweep(1.0, -0.5)

# %% [markdown]
# Three regimes, read from left to right:
#
# - **Both output gates closed** ($z^{(3)} \le 0$, grey): $\delta^{(3)} = 0$, so
#   $\delta^{(2)} = \Theta^{(3)\top}\delta^{(3)} \odot g' = 0$ even though hidden unit 2 is on.
#   The gradient stops at the output and nothing learns from these inputs.
# - **An output open, both hidden units on**: all four entries of
#   $\partial J/\partial\Theta^{(2)}$ move (they jump where output 1's gate opens).
# - **Hidden unit 2 closed** ($z^{(2)}_2 < 0$ from $x_1 \approx 1.5$): row 2,
#   $\partial J/\partial\Theta^{(2)}_{2k}$, drops to exactly 0, as for our example above.
#
# In Jupyter you can move the input yourself: the sliders below redraw the figure and the
# network. (Run the notebook to use them; a static page shows only the figure above.)

# %%
try:
    import ipywidgets as widgets
except ImportError:
    widgets = None
    print("ipywidgets is not installed: the static figure above shows the same sweep.")

if widgets is not None:
    from IPython.display import display

    def show(x1, x2):
        plot_sweep(x1, x2)
        backprop_at(explore, [x1, x2])  # leaves this input's ∂J/∂θ in explore's grads
        display(draw_network(explore, [x1, x2]))

    sliders = {
        name: widgets.FloatSlider(value=value, min=-2.0, max=2.5, step=0.05, description=name)
        for name, value in [("x1", 1.0), ("x2", -0.5)]
    }
    display(widgets.interactive(show, **sliders))

# %% [markdown]
# ## 5. One gradient-descent step
#
# Gradient descent moves every parameter against its gradient, with learning rate $\alpha$:
#
# $$\theta := \theta - \alpha \frac{\partial J}{\partial \theta}.$$
#
# `SGD.step()` does exactly that with the gradients `backward()` left in each `grad`. Here is
# the update of $\Theta^{(2)}$ with $\alpha = 0.1$: row 2 does not move.

# %%
alpha = 0.1
before = [p.data for p in mlp.parameters()]
SGD(mlp.parameters(), lr=alpha).step()

for p, old in zip(mlp.parameters(), before):
    assert p.data == old - alpha * p.grad
    if p.label.startswith("Θ⁽²⁾"):
        print(f"{p.label}: {old:+.6f} − {alpha} × ({p.grad:+.6f}) = {p.data:+.6f}")

J_after = half_squared_error(mlp(x), y).data
print(f"\nJ on this example: {J.data:.4f} → {J_after:.4f}")

# %% [markdown]
# ## 6. A short training run
#
# Repeat the step over a data set: the 16 points of a 4 × 4 grid on $[0, 1]^2$ with the same
# target rule, 200 epochs of full-batch SGD. `fit` runs forward → $J$ → `backward()` →
# update and returns the mean loss of each epoch.

# %%
grid = [0.0, 1 / 3, 2 / 3, 1.0]
xs = [[x1, x2] for x1 in grid for x2 in grid]
ys = [target(p) for p in xs]

history = fit(mlp, xs, ys, loss=half_squared_error, optimizer=SGD(mlp.parameters(), lr=alpha),
              epochs=200)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(range(1, len(history) + 1), history)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("mean J per example")
ax.set_title("Training the 2-2-2 ReLU network")
ax.grid(alpha=0.3)
plt.show()
print(f"mean J: {history[0]:.4f} (epoch 1) → {history[-1]:.4f} (epoch {len(history)})")

# %% [markdown]
# The loss falls, but not to 0. `relu_activity` says why: for each ReLU unit, the fraction of
# the 16 inputs for which its gate is open.

# %%
for t, fractions in zip([2, 3], mlp.relu_activity(xs)):
    print(f"layer {t}: " + ", ".join(f"{unit_label('a', t, j + 1)} open for {f:.0%}"
                                      for j, f in enumerate(fractions)))

# %% [markdown]
# Hidden unit 2 is closed for every input of the data set: its $\delta^{(2)}_2$ is always 0,
# so $\Theta^{(2)}_{2k}$ and $b^{(2)}_2$ never change, and the network is left with one hidden
# unit to fit two outputs. A dead ReLU is the practical face of "the gradient stops".
#
# **Next:** `02_relu_output_regression.ipynb`, where a dead ReLU *output* makes a network
# predict 0 everywhere, and how to fix it.
