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
from matplotlib.colors import to_hex

from autograd_lite import Value, dot
from autograd_lite.nn import manual
from autograd_lite.app.demos import DEMO_EPOCHS, DEMO_LR, DEMO_X, demo_dataset, demo_target
from autograd_lite.nn.losses import half_squared_error
from autograd_lite.nn import MLP
from autograd_lite.nn.notation import unit_label
from autograd_lite.nn.optim import SGD
from autograd_lite.training import fit
from autograd_lite.viz import PortableFigure, draw_graph, draw_network

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
# One example: $x = (1, 0.5)$ with target $y = (1.5, 0.5)$, the example `autograd-lite demo`
# prints too (`DEMO_X`, and its target by the rule `demo_target`). We write the forward pass
# out layer by layer, exactly as the network computes it, and label every number so the
# computation graph below can show it.

# %%
x = [Value(DEMO_X[0], unit_label("a", 1, 1)), Value(DEMO_X[1], unit_label("a", 1, 2))]
y = demo_target(DEMO_X)
assert [v.data for v in x] == [1.0, 0.5] and y == [1.5, 0.5]  # the numbers the text quotes


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
assert round(z2[1].data, 2) == -0.69 and a2[1].data == 0.0 and all(z.data > 0 for z in z3)

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
assert manual.trace(mlp, x, y)[0].delta[1] == 0.0  # δ⁽²⁾₂, quoted below

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
zero = {p.label for p in mlp.parameters() if p.grad == 0.0}
assert zero == {"Θ⁽²⁾₂₁", "Θ⁽²⁾₂₂", "b⁽²⁾₂", "Θ⁽³⁾₁₂", "Θ⁽³⁾₂₂"}  # the zeros named below

# %% [markdown]
# The engine and the hand-derived equations agree (here to the last bit: they do the same float
# operations in the same order). Row 2 of $\partial J/\partial \Theta^{(2)}$ and
# $\partial J / \partial b^{(2)}_2$ are exactly 0: the closed gate at work. So are
# $\partial J/\partial \Theta^{(3)}_{12}$ and $\partial J/\partial \Theta^{(3)}_{22}$, for another
# reason: they multiply $a^{(2)}_2 = 0$.
#
# ### The same lines, written by the machine
#
# `al.compile(f)` runs `f` once on Values, records the graph it builds, and writes that graph's
# forward and backward pass out as Python: a line per node forward, a line per edge backward.
# Later calls run that code on new numbers. Compile the loss of our example and print the code
# it runs:

# %%
import autograd_lite as al

step = al.compile(lambda x, y: half_squared_error(mlp(x), y))
for leaf in [*mlp.parameters(), *x]:
    leaf.grad = 0.0  # the step adds ∂J/∂leaf to every leaf's grad, as J.backward() does
J_compiled = step(x, y)
compiled_grads = [p.grad for p in mlp.parameters()]
print(step.source)

compiled_difference = max(abs(c - m) for c, m in zip(compiled_grads, manual_grads))
print(f"J = {J_compiled:.4f}; max |compiled − manual| over {len(compiled_grads)} parameters: "
      f"{compiled_difference:.1e}")
assert J_compiled == J.data and compiled_difference <= 1e-12

# %% [markdown]
# The variables are named after the labels: `z3_1` is $z^{(3)}_1$, `Θ2_11` is
# $\Theta^{(2)}_{11}$, and `dJ_dz3_1` is $\partial J/\partial z^{(3)}_1 = \delta^{(3)}_1$. Names
# that start with `_` are the code's own (`_L` holds the leaves, `_power` is the engine's `power`):
# no label becomes such a name, so no label can hide one. The
# function reads the leaves' data, computes every node forward, checks that the results are
# finite (if not, the engine runs the step instead), goes backward from `dJ_dJ = 1.0` and
# writes each leaf's gradient back. Section 2's equations, and the lines that compute them:
#
# | by hand (section 2) | generated line(s) |
# |---|---|
# | $z^{(2)}_1 = \Theta^{(2)}_{11} a^{(1)}_1 + \Theta^{(2)}_{12} a^{(1)}_2 + b^{(2)}_1$ | `z2_1 = 0.0 + Θ2_11 * a1_1 + Θ2_12 * a1_2 + b2_1` |
# | $\partial J/\partial a^{(3)}_1 = a^{(3)}_1 - y_1$ | `sub1 = a3_1 - y_1`; `dJ_dpow1 = dJ_dmul1 * 0.5` $= \tfrac12$; `dJ_dsub1 = dJ_dpow1 * (2.0 * _power(sub1, 1.0))` $= \tfrac12 \cdot 2 \cdot (a^{(3)}_1 - y_1)$; `dJ_da3_1 = dJ_dsub1` |
# | $\delta^{(3)}_1 = \left(a^{(3)}_1 - y_1\right) g'\!\left(z^{(3)}_1\right)$ | `dJ_dz3_1 = dJ_da3_1 * (1.0 if z3_1 > 0.0 else 0.0)` |
# | $\left(\Theta^{(3)\top}\delta^{(3)}\right)_2 = \Theta^{(3)}_{22}\,\delta^{(3)}_2 + \Theta^{(3)}_{12}\,\delta^{(3)}_1$ | `dJ_da2_2 = 0.0`, then `dJ_da2_2 += dJ_dz3_2 * Θ3_22` and `dJ_da2_2 += dJ_dz3_1 * Θ3_12` |
# | $\delta^{(2)}_1 = \left(\Theta^{(3)\top}\delta^{(3)}\right)_1 g'\!\left(z^{(2)}_1\right)$ | `dJ_dz2_1 = dJ_da2_1 * (1.0 if z2_1 > 0.0 else 0.0)` |
# | $\partial J/\partial \Theta^{(2)}_{11} = \delta^{(2)}_1\, a^{(1)}_1$ | `dJ_dΘ2_11 += dJ_dz2_1 * a1_1` |
# | $\partial J/\partial b^{(2)}_1 = \delta^{(2)}_1$ | `dJ_db2_1 += dJ_dz2_1` |
# | a closed gate sends nothing: $\delta^{(2)}_2 = 0$ | `dJ_dz2_2 = dJ_da2_2 * (1.0 if z2_2 > 0.0 else 0.0)`, then `if dJ_dz2_2:  # a zero gradient sends nothing` |
#
# A sum starts from `0.0`, as the engine's `sum(terms, 0.0)` does: that start is not idle, it
# makes a sum of −0.0s come out 0.0, so the generated code gives eager mode's bits even there.
# The sum over the two outputs in $\Theta^{(3)\top}\delta^{(3)}$ is the two `+=` lines into
# `dJ_da2_2`, one for each use of $a^{(2)}_2$; a leaf's variable starts from its `.grad` and
# gets one `+=` per use as well. The code is the same for every input: the gates are conditional
# expressions, evaluated on each call. For ours, $z^{(2)}_2 = -0.69$ makes `dJ_dz2_2` 0, and
# the `if` skips the five lines below it, which would add to the gradients of
# $\Theta^{(2)}_{21}$, $\Theta^{(2)}_{22}$, $b^{(2)}_2$ and $a^{(1)}$. The machine derives
# the lines of section 2, and its gradients agree with `manual.backprop` (the difference
# printed above is 0 here).

# %%
QUOTED = [  # the generated lines quoted above
    "dJ_dJ = 1.0",
    "z2_1 = 0.0 + Θ2_11 * a1_1 + Θ2_12 * a1_2 + b2_1",
    "sub1 = a3_1 - y_1",
    "dJ_dpow1 = dJ_dmul1 * 0.5",
    "dJ_dsub1 = dJ_dpow1 * (2.0 * _power(sub1, 1.0))",
    "dJ_da3_1 = dJ_dsub1",
    "dJ_dz3_1 = dJ_da3_1 * (1.0 if z3_1 > 0.0 else 0.0)",
    "dJ_da2_2 = 0.0",
    "dJ_da2_2 += dJ_dz3_2 * Θ3_22",
    "dJ_da2_2 += dJ_dz3_1 * Θ3_12",
    "dJ_dz2_1 = dJ_da2_1 * (1.0 if z2_1 > 0.0 else 0.0)",
    "dJ_dΘ2_11 += dJ_dz2_1 * a1_1",
    "dJ_db2_1 += dJ_dz2_1",
    "dJ_dz2_2 = dJ_da2_2 * (1.0 if z2_2 > 0.0 else 0.0)",
    "if dJ_dz2_2:  # a zero gradient sends nothing",
]
source_lines = [line.strip() for line in step.source.splitlines()]
assert all(line in source_lines for line in QUOTED)
gated = source_lines[source_lines.index(QUOTED[-1]) + 1 :][:5]  # the five lines the if skips
assert gated == ["dJ_dΘ2_21 += dJ_dz2_2 * a1_1", "dJ_dΘ2_22 += dJ_dz2_2 * a1_2",
                 "dJ_da1_1 += dJ_dz2_2 * Θ2_21", "dJ_da1_2 += dJ_dz2_2 * Θ2_22",
                 "dJ_db2_2 += dJ_dz2_2"]
assert z2[1].data < 0.0 and step.traces == 1
print(f"all {len(QUOTED)} quoted lines are in step.source; the if guards: " + "; ".join(gated))

# %% [markdown]
# ## 4. Seeing the gates
#
# The computation graph of $J$: every box is a Value with its `data` and its `grad`
# $= \partial J/\partial(\text{that value})$, and each edge into an op carries the local
# derivative. Follow hidden unit 2 (upper right): $\partial J/\partial a^{(2)}_2 = -0.28$ arrives
# at its ReLU from below, a grey dashed node marked **gate 0**, and
# $\partial J/\partial z^{(2)}_2 = 0$ comes out above it, so nothing reaches
# $\Theta^{(2)}_{21}$, $\Theta^{(2)}_{22}$ or $b^{(2)}_2$. (`draw_graph(J)` alone shows the
# graph too; `PortableFigure` saves it as an SVG whose letters are shapes, so it looks the same
# in every viewer, whatever fonts it has.)

# %%
assert round(a2[1].grad, 2) == -0.28 and z2[1].grad == 0.0  # hidden unit 2, followed above
PortableFigure(draw_graph(J, params=mlp, rankdir="TB"))

# %% [markdown]
# ### The backward pass, node by node
#
# `backward()` visits the nodes from $J$ down, each one once every node that uses it has been
# visited (so its gradient is complete), and gives it its gradient by the chain rule: for each
# use, the user's gradient times the local derivative on the edge, summed over the uses.
# `viz.backward_frames(J)` draws one frame per node, in that order: the current node is
# outlined in orange and shows its chain-rule product, the nodes visited before show their
# gradients, the others none yet. In Jupyter, press ▶, drag the slider or use the arrow keys;
# a frame is far wider than the page, so the player shows it at a readable size and scrolls
# to the current node at every step (scroll, or − and +, to see the rest). A saved copy of
# this notebook keeps no widgets: there the player is a picture of its first frame, $J$.
#
# Below the player are the three frames of hidden unit 2, each cropped around its current
# node (`viz.focused`): the gradient $-0.2849$ reaches $a^{(2)}_2$; the closed gate turns it
# into $\partial J/\partial z^{(2)}_2 = -0.2849 \cdot 0 = 0$; and $\Theta^{(2)}_{21}$ gets
# $0 \cdot 1 = 0$.

# %%
import re

from IPython.display import display

from autograd_lite import topological_order, viz
from autograd_lite.viz.display import MAX_DISPLAY_WIDTH, MIN_TEXT_PT
from autograd_lite.viz.style import CURRENT  # the orange of the node backward is at

frames = viz.backward_frames(J, params=mlp)
visited = topological_order(J)[::-1]  # the order backward() visits the nodes, J first
print(f"{len(frames)} frames, one per node of the graph of J")
try:
    display(viz.frame_player(frames))
except ImportError as error:  # no anywidget: the frames below still show
    print(error)

unit_2 = [visited.index(v) for v in (a2[1], z2[1], mlp.layers[0].neurons[1].w[0])]
assert len(frames) == len(visited) and unit_2 == sorted(unit_2)  # visited in this order

def highlighted(frame, text):
    """Whether `frame` shows `text` in the current node's orange: every frame's DOT holds every
    product, those of the nodes not reached yet in a transparent colour."""
    return re.search(f'<font color="{CURRENT}"[^>]*>[^<]*{re.escape(text)}</font>', frame.source)


assert highlighted(frames[unit_2[1]], "-0.2849 · 0 = 0") and highlighted(frames[unit_2[2]], "0 · 1 = 0")
unit_2_frames = [PortableFigure(viz.focused(frames[k], height=300)) for k in unit_2]
for k, figure in zip(unit_2, unit_2_frames):
    print(f"step {k + 1} of {len(frames)}: backward is at {visited[k].label}")
    display(figure)
# each fits the page (840 px) with its smallest text (the edge numbers) at 8 pt or more
assert all(f.size().width <= MAX_DISPLAY_WIDTH and f.size().text_pt >= MIN_TEXT_PT == 8
           for f in unit_2_frames)

# %% [markdown]
# The same network as the textbook draws it, with this example's $z$ and $a$ in each unit and
# $\partial J/\partial\Theta$ on each edge. The closed unit is grey; the dashed edges into it are
# the weights this example cannot update.

# %%
PortableFigure(draw_network(mlp, x))

# %% [markdown]
# ### Moving the input
#
# Which gates are open depends on the input. Below, $x_2$ sweeps from −2 to 1.5 along the line
# $x_1 = 1$, through our example $x = (1, 0.5)$ (dotted), each point with its own target
# $y = (x_1 + x_2, \max(0, x_1 - x_2))$. Top: the pre-activations, solid for the hidden units
# and dashed for the outputs; a gate is open where its curve is above 0. Bottom: the four
# entries of $\partial J/\partial\Theta^{(2)}$. Grey shading (the only grey in the figure): no
# gradient reaches $\Theta^{(2)}$ at all.


# %%
def backprop_at(model, x):
    """(z⁽²⁾, z⁽³⁾, ∂J/∂Θ⁽²⁾ as a flat list) at input x, by the engine."""
    J = half_squared_error(model(x), demo_target(x))
    model.zero_grad()
    J.backward()
    hidden, output = manual.trace(model, x)
    return hidden.z, output.z, [w.grad for n in model.layers[0].neurons for w in n.w]


explore = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=SEED)  # same weights
SWEEP = [-2.0 + 3.5 * s / 350 for s in range(351)]  # x₂ from −2 to 1.5
NO_GRADIENT = "#9ca3af"  # grey: the shading where no gradient reaches Θ⁽²⁾; no line is grey
Z_COLOURS = ["#7c3aed", "#c2410c", "#db2777", "#0891b2"]  # z⁽²⁾₁, z⁽²⁾₂, z⁽³⁾₁, z⁽³⁾₂


def plot_sweep(x1, x2):
    """Gates and ∂J/∂Θ⁽²⁾ along x₂ ∈ [−2, 1.5] at this x₁, with a dotted line at x₂."""
    curves = [backprop_at(explore, [x1, s]) for s in SWEEP]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
    for layer, style in [(0, "-"), (1, "--")]:  # hidden solid, outputs dashed
        for j in range(2):
            top.plot(SWEEP, [c[layer][j] for c in curves], style, color=Z_COLOURS[2 * layer + j],
                     label=unit_label("z", layer + 2, j + 1))
    top.set_ylabel("pre-activation z\n(gate open above 0)")
    top.legend(fontsize=8, ncol=4, loc="upper left")
    for n, name in enumerate(["Θ⁽²⁾₁₁", "Θ⁽²⁾₁₂", "Θ⁽²⁾₂₁", "Θ⁽²⁾₂₂"]):
        bottom.plot(SWEEP, [c[2][n] for c in curves], label=f"∂J/∂{name}")
    bottom.set_xlabel(f"input x₂   (x₁ = {x1:g})")
    bottom.set_ylabel("∂J/∂Θ⁽²⁾")
    bottom.legend(fontsize=8, ncol=2, loc="upper left")
    stopped = [all(g == 0.0 for g in c[2]) for c in curves]
    for ax in (top, bottom):
        ax.fill_between(SWEEP, 0, 1, where=stopped, color=NO_GRADIENT, alpha=0.3,
                        transform=ax.get_xaxis_transform(), lw=0)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(x2, color="black", ls=":")
        ax.grid(alpha=0.3)
    top.set_title(f"Gates and gradients as x₂ moves (dotted: x₂ = {x2:g})")
    fig.tight_layout()
    lines = [to_hex(line.get_color()) for ax in (top, bottom) for line in ax.get_lines()]
    assert to_hex(NO_GRADIENT) not in lines and "#7f7f7f" not in lines  # grey means one thing
    plt.show()
    return curves


curves = plot_sweep(*DEMO_X)


def first(condition):
    """The first x₂ of the sweep where condition(z⁽²⁾, z⁽³⁾) holds."""
    return next(s for s, (z2_, z3_, _) in zip(SWEEP, curves) if condition(z2_, z3_))


output_opens = first(lambda z2_, z3_: max(z3_) > 0)
hidden_2_closes = first(lambda z2_, z3_: z2_[1] <= 0)
print(f"both output gates closed up to x₂ = {output_opens:.2f}; "
      f"hidden unit 2 closed from x₂ = {hidden_2_closes:.2f} on")
assert round(output_opens, 1) == -0.9 and round(hidden_2_closes, 1) == -0.3  # quoted below
assert all(z2_[1] > 0 for s, (z2_, _, _) in zip(SWEEP, curves) if s < hidden_2_closes)
assert backprop_at(explore, list(DEMO_X))[2] == [w.grad for n in mlp.layers[0].neurons
                                                 for w in n.w]  # the dotted line: our example

# %% [markdown]
# Three regimes, read from left to right:
#
# - **Both output gates closed** ($z^{(3)} \le 0$, grey, up to $x_2 \approx -0.9$):
#   $\delta^{(3)} = 0$, so $\delta^{(2)} = \Theta^{(3)\top}\delta^{(3)} \odot g' = 0$ even
#   though hidden unit 2 is on. The gradient stops at the output and nothing learns from these
#   inputs.
# - **An output open, both hidden units on** (up to $x_2 \approx -0.3$): all four entries of
#   $\partial J/\partial\Theta^{(2)}$ move (they jump where output 1's gate opens too).
# - **Hidden unit 2 closed** ($z^{(2)}_2 \le 0$ from $x_2 \approx -0.3$ on): row 2,
#   $\partial J/\partial\Theta^{(2)}_{2k}$, drops to exactly 0. Our example, at the dotted
#   line, is in this regime: its $\partial J/\partial\Theta^{(2)}$ there is the table's.
#
# In Jupyter you can move the input yourself: the sliders below redraw the figure and the
# network. (Run the notebook to use them; a saved copy shows what they first drew, at our
# example $x = (1, 0.5)$.)

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
        display(PortableFigure(draw_network(explore, [x1, x2]), "png"))

    sliders = {
        name: widgets.FloatSlider(value=value, min=-2.0, max=2.5, step=0.05, description=name)
        for name, value in zip(["x1", "x2"], DEMO_X)
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
# the update of $\Theta^{(2)}$ with $\alpha = 0.1$ (`DEMO_LR`, the demo's): row 2 does not move.

# %%
alpha = DEMO_LR
before = {p.label: p.data for p in mlp.parameters()}
SGD(mlp.parameters(), lr=alpha).step()

for p in mlp.parameters():
    assert p.data == before[p.label] - alpha * p.grad
    if p.label.startswith("Θ⁽²⁾"):
        print(f"{p.label}: {before[p.label]:+.6f} − {alpha} × ({p.grad:+.6f}) = {p.data:+.6f}")
assert alpha == 0.1 and all(p.data == before[p.label] for p in mlp.parameters()
                            if p.label in ("Θ⁽²⁾₂₁", "Θ⁽²⁾₂₂"))  # α and row 2, as the text says

J_after = half_squared_error(mlp(x), y).data
print(f"\nJ on this example: {J.data:.4f} → {J_after:.4f}")

# %% [markdown]
# ## 6. A short training run
#
# Repeat the step over a data set: the 16 points of a 4 × 4 grid on $[0, 1]^2$ with the same
# target rule (`demo_dataset()`, the demo's data), 200 epochs (`DEMO_EPOCHS`) of full-batch SGD
# with the same $\alpha$. `fit` runs forward → $J$ → `backward()` → update and returns the
# mean loss of each epoch. This is the run `make demo` makes, from the same initial weights (a
# fresh `MLP(..., seed=0)`, not the weights the step above moved), so the numbers it prints
# are the demo's: the cell runs the demo quietly and checks that they are.

# %%
import contextlib
import io
import tempfile
from pathlib import Path

from autograd_lite.app.demos import run_demo

xs, ys = demo_dataset()
assert len(xs) == 16 and DEMO_EPOCHS == 200  # as the text says

trained = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=SEED)  # as the demo's
history = fit(trained, xs, ys, loss=half_squared_error, epochs=DEMO_EPOCHS,
              optimizer=SGD(trained.parameters(), lr=alpha))

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(range(1, len(history) + 1), history)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("mean J per example")
ax.set_title("Training the 2-2-2 ReLU network")
ax.grid(alpha=0.3)
plt.show()
summary = f"{history[0]:.4g} (epoch 1) → {history[-1]:.4g} (epoch {len(history)})"
print(f"mean J: {summary}")
assert 0 < history[-1] < history[0]  # it falls, not to 0

with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()) as printed:
    demo = run_demo(out=Path(out), progress=False)  # `make demo`, its files in a temp folder
assert demo.history == history and f"mean J per sample: {summary}" in printed.getvalue()
print("the same numbers as `make demo` prints")

# %% [markdown]
# The loss falls, but not to 0. `relu_activity` says why: for each ReLU unit, the fraction of
# the 16 inputs for which its gate is open.

# %%
activity = trained.relu_activity(xs)
for t, fractions in zip([2, 3], activity):
    print(f"layer {t}: " + ", ".join(f"{unit_label('a', t, j + 1)} open for {f:.0%}"
                                      for j, f in enumerate(fractions)))
dead = [unit_label("a", t, j + 1) for t, fractions in zip([2, 3], activity)
        for j, f in enumerate(fractions) if f == 0.0]
assert dead == ["a⁽²⁾₂"]  # hidden unit 2, and only it
unit_2_after = [p.data for p in (*trained.layers[0].neurons[1].w, trained.layers[0].neurons[1].b)]
assert unit_2_after == [before["Θ⁽²⁾₂₁"], before["Θ⁽²⁾₂₂"], before["b⁽²⁾₂"]]  # it never learned

# %% [markdown]
# Hidden unit 2 is closed for every input of the data set: its $\delta^{(2)}_2$ is always 0,
# so $\Theta^{(2)}_{2k}$ and $b^{(2)}_2$ never change, and the network is left with one hidden
# unit to fit two outputs. A dead ReLU is the practical face of "the gradient stops".
#
# ## 7. Why backwards? Forward mode beside reverse mode
#
# Every node stores its local derivatives, and the chain rule can run over them in either
# direction. **Reverse mode** (`backward()`) starts at $J$ and gets $\partial J/\partial\theta$
# for all 12 parameters in one pass. **Forward mode** starts at the inputs: give the
# parameters a direction $\dot\theta$, and each node, in the order the forward pass made
# them, gets $\dot n = \sum_i \frac{\partial n}{\partial \text{input}_i}\,\dot{\text{input}}_i$.
# One pass gives one number, $\nabla J\cdot\dot\theta$: with $\dot\theta$ the $k$-th unit
# vector, one $\partial J/\partial\theta_k$. So forward mode needs 12 passes where reverse
# mode needs one. `al.jvp(f, primals, tangents)` is one forward pass; below, $f$ is $J$ as a
# function of the 12 parameters of the seed network, at its initial weights.

# %%
import math
import time

fresh = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=SEED)
theta0 = [p.data for p in fresh.parameters()]  # neuron by neuron: w₁, w₂, b


def J_of(theta):
    """J of the seed network at the demo's example, its 12 parameters given."""
    a1 = DEMO_X
    a2 = [(theta[3 * j] * a1[0] + theta[3 * j + 1] * a1[1] + theta[3 * j + 2]).relu()
          for j in range(2)]
    a3 = [(theta[6 + 3 * j] * a2[0] + theta[6 + 3 * j + 1] * a2[1] + theta[6 + 3 * j + 2]).relu()
          for j in range(2)]
    return half_squared_error(a3, y)


def reverse():
    return al.jacobian(J_of, mode="reverse")(theta0)  # one backward pass: a row of 12


def forward():
    units = [[1.0 if i == k else 0.0 for i in range(12)] for k in range(12)]
    return [al.jvp(J_of, [theta0], [e])[1] for e in units]  # 12 forward passes, one each


by_reverse, by_forward = reverse(), forward()
J0 = half_squared_error(fresh(DEMO_X), y)
J0.backward()  # the engine's own backward, on the MLP
engine_grads = [p.grad for p in fresh.parameters()]
assert len(by_reverse) == len(by_forward) == 12
assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
           for a, b in zip(by_reverse, by_forward))
assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
           for a, b in zip(by_reverse, engine_grads))


def cpu_time(call, times=200):
    start = time.process_time()
    for _ in range(times):
        call()
    return (time.process_time() - start) / times


t_reverse, t_forward = cpu_time(reverse), cpu_time(forward)
print(f"{'mode':<8} {'passes':>6} {'time for all 12 ∂J/∂θ':>22}")
print(f"{'reverse':<8} {1:>6} {t_reverse * 1e6:>19.0f} µs")
print(f"{'forward':<8} {12:>6} {t_forward * 1e6:>19.0f} µs")
print(f"forward / reverse: {t_forward / t_reverse:.1f}× the time, the same 12 numbers "
      f"(to 1e-12, and equal to the engine's backward)")

# %% [markdown]
# Both modes give the same 12 numbers, and the engine's `backward()` agrees. Forward mode
# pays one pass per parameter; the ratio printed above grows with the size of the network:
# `benchmarks/forward_reverse.py` (run by `make bench`) times both on networks up to 1,218
# parameters, where forward mode takes thousands of times as long. A loss has one output
# and a network many parameters: that is why backprop runs backwards.
#
# ## 8. Graduate: the same network in PyTorch
#
# `al.export.torch(model)` returns a `torch.nn.Sequential` with our weights copied exactly,
# and `al.export.mapping(model)` says which weight of ours is which of PyTorch's, in our
# notation. The cell below exports the seed network (at its initial weights), computes $J$
# and its gradients in PyTorch, and compares them with ours. PyTorch is optional here
# (`make test-reference` installs its CPU build): without it, the cell says so and prints
# the PyTorch code `al.export.torch_source(model)` writes instead, which needs no PyTorch
# to write.

# %%
print(al.export.mapping(fresh))
try:
    import torch
except ImportError:
    torch = None

if torch is None:
    print("\nPyTorch is not installed here; the code al.export.torch_source(fresh) writes:\n")
    source = al.export.torch_source(fresh)
    print(source[: source.index("def sample_loss")].rstrip())
else:
    net = al.export.torch(fresh)
    a3 = net(torch.tensor([DEMO_X], dtype=torch.float64))[0]
    J_torch = 0.5 * ((a3 - torch.tensor(y, dtype=torch.float64)) ** 2).sum()
    J_torch.backward()
    torch_grads = []
    for linear in (net[0], net[2]):
        for row, b in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
            torch_grads.extend([*row, b])
    print(f"\n{'θ':<8} {'∂J/∂θ ours':>22} {'∂J/∂θ PyTorch':>22}")
    for p, theirs in zip(fresh.parameters(), torch_grads):
        print(f"{p.label:<8} {p.grad:>22.17g} {theirs:>22.17g}")
    assert J_torch.item() == J0.data
    assert all(p.grad == g for p, g in zip(fresh.parameters(), torch_grads))  # -0.0 == 0.0
    print(f"\nJ: ours {J0.data!r}, PyTorch {J_torch.item()!r}; every gradient the same float")

# %% [markdown]
# With PyTorch installed, $J$ and every gradient are the same floats, to the last digit (the
# cell asserts it; PyTorch writes one zero as −0). `al.export.torch_source(model, optimizer)` writes the
# network and the training loop `fit` runs, each line noted with ours (`J.backward()` ↔
# `loss.backward()`, `SGD.step` ↔ `torch.optim.SGD.step`), and `al.export.from_torch(net)`
# brings a network back.
#
# **Next:** `02_relu_output_regression.ipynb`, where a dead ReLU *output* makes a network
# predict 0 everywhere, and how to fix it.
