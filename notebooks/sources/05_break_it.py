# %% [markdown]
# # Break it to understand it
#
# The questions learners ask most about a small autodiff engine are not about features. They
# are about why its backward pass is written the way it is: why a topological sort, and why
# recursion is not enough; why `+=` and not `=`; why `zero_grad()`, and why a second
# `backward()` counts twice. Reading the right code answers them only half. This notebook
# runs the wrong code beside the right one.
#
# Part 1 is the lab, `al.lab`: six deliberately wrong backward passes, each a few lines, each
# run beside the engine's `backward()` on the smallest graph that shows its bug. Part 2 is a
# ladder of four exercises, `al.exercises`, graded by the engine and `gradcheck`.

# %%
import inspect
import math

from IPython.display import display

import autograd_lite as al
from autograd_lite import Value, exercises, lab
from autograd_lite.app.demos import seed_loss
from autograd_lite.viz import PortableFigure

for name, variant in lab.VARIANTS.items():
    print(f"{name:30} {variant.summary}")
assert len(lab.VARIANTS) == 6

# %% [markdown]
# ## 1. The lab
#
# Every variant is a function of the root that returns its own dict of gradients,
# `{node: ∂root/∂node}`: it reads the graph and writes nothing into it, so the engine's own
# `backward()` can run beside it on the same graph. `lab.compare(root, variant)` does that and
# returns the nodes where the two differ, the first of them in the order `backward()` visits
# the nodes, and one sentence on why that node is wrong there.
#
# ### Why a topological sort
#
# Here is the variant without a sort. Each node sends its gradient on to its inputs as soon
# as it has any, and remembers that it has sent:

# %%
print(inspect.getsource(lab.recursive_no_sort))
print(inspect.getsource(al.learn.variants.send_on))

# %% [markdown]
# Its smallest graph is a diamond: $a = 2x$ feeds both $b = 3a$ and $c = 5a$, which meet in
# $out = b + c$. So $\partial out/\partial a = 3 + 5 = 8$ and $\partial out/\partial x = 16$.
# The recursion reaches $a$ through $b$ first, sends $a$'s gradient so far (3) on to $x$ at
# once, and never visits $a$ again when the 5 from $c$ arrives:

# %%
diamond = lab.VARIANTS["recursive_no_sort"].smallest_graph()
result = lab.compare(diamond, "recursive_no_sort")
print(result)
first = result.first_divergence
assert [(d.name, d.engine, d.variant) for d in result.differences] == [("x", 16.0, 6.0)]
assert first.name == "x" and "the rest (5) never arrived" in first.sentence
PortableFigure(result.draw())

# %% [markdown]
# The node the variant gets wrong is outlined in red, with its number under the engine's.
# $a$ itself is right (both terms do arrive), which is why the bug is easy to miss: it shows
# only *below* a node that feeds two others. `backward()` sorts the graph first, so that a
# node sends its gradient on only once every node that uses it has sent its term.
#
# `result.player()` plays the engine's own backward pass, opened at the first frame where
# the variant is wrong, with the sentence above it. In a saved copy of this notebook, which
# keeps no widgets, that frame is drawn below the player: there the engine computes
# $\partial out/\partial x = 8 \cdot 2 = 16$, where the recursion had sent on only $a$'s 3.

# %%
try:
    display(result.player())
except ImportError as error:  # no ipywidgets: the frame below still shows
    print(error)
frame = result.frames()[first.frame]
assert "∂out/∂x = ∂out/∂a · ∂a/∂x = 8 · 2 = 16" in frame.source
PortableFigure(frame)

# %% [markdown]
# The same happens in the seed network of notebook 01, where $a^{(2)}_1$ feeds both output
# units. In Jupyter, its player opens at step 22 of 27:

# %%
mlp, x, y, J = seed_loss()
seed = lab.compare(J, "recursive_no_sort", params=mlp)
print(seed.caption())
assert seed.first_divergence.name == "z⁽²⁾₁" and seed.first_divergence.frame == 21
assert len(seed.names) == 27  # nodes, so frames
assert seed.caption().startswith("Step 22, z⁽²⁾₁, is where recursive_no_sort first goes wrong")
assert {d.name for d in seed.differences} == {"z⁽²⁾₁", "Θ⁽²⁾₁₁", "Θ⁽²⁾₁₂", "b⁽²⁾₁"}
try:
    display(seed.player())
except ImportError as error:
    print(error)

# %% [markdown]
# Below $z^{(2)}_1$ the wrong number flows on into $\Theta^{(2)}_{11}$, $\Theta^{(2)}_{12}$ and
# $b^{(2)}_1$. Hidden unit 2 feeds both outputs too, but its gate is closed, so $z^{(2)}_2$
# gets 0 either way and the variant's mistake does not show there.
#
# ### Why `+=` and not `=`
#
# A node used twice gets one term per use, and the chain rule adds them. With `=`, each term
# overwrites the one before. The smallest graph is $out = a + a$:

# %%
result = lab.compare(lab.VARIANTS["assign_not_accumulate"].smallest_graph(), "assign_not_accumulate")
print(result)
assert [(d.name, d.engine, d.variant) for d in result.differences] == [("a", 2.0, 1.0)]
print()
assigned = lab.compare(J, "assign_not_accumulate")
print(assigned.caption())
node = {n.label: n for n in al.topological_order(J) if n.label}  # the demo labels its nodes
last = node["Θ⁽³⁾₁₂"].data * node["z⁽³⁾₁"].grad  # a⁽²⁾₂'s term from z⁽³⁾₁
first_term = node["Θ⁽³⁾₂₂"].data * node["z⁽³⁾₂"].grad  # and from z⁽³⁾₂
visits = al.topological_order(J)[::-1]  # the order backward() visits the nodes
assert visits.index(node["z⁽³⁾₂"]) < visits.index(node["z⁽³⁾₁"])  # z⁽³⁾₁ sends its term last
assert assigned.first_divergence.name == "a⁽²⁾₂"
assert f"kept only the last term ({last:.4g}) and dropped the first ({first_term:.4g})" in (
    assigned.first_divergence.sentence)

# %% [markdown]
# In the seed network the first victim is $a^{(2)}_2$, which feeds both outputs: `=` keeps
# the term from $z^{(3)}_1$ (0.4729, the last one `backward()` sends) and loses the one from
# $z^{(3)}_2$ (−0.7578).
#
# ### Why `zero_grad()`, and why a second `backward()` counts twice
#
# Parameters are leaves, and leaves *accumulate*: that is what lets a parameter used in many
# places collect all its terms, and also why an optimizer loop must zero them before each
# `backward()`. `no_zero_grad` runs two training steps on the same graph without zeroing
# (the data is not moved between them, so the left-over shows plainly). It is compared with
# the engine running the same two steps with `zero_grad()` between them:

# %%
result = lab.compare(lab.VARIANTS["no_zero_grad"].smallest_graph(), "no_zero_grad")
print(result)
assert {d.name: d.variant / d.engine for d in result.differences} == {"x": 2.0, "w": 2.0}

# %% [markdown]
# micrograd 0.1.0 goes one step further: its `backward()` resets nothing at all, not even the
# nodes made by an op. A second call then adds into every interior node, and each sends its
# doubled gradient on, so the leaves below get more than twice theirs. This engine, like
# PyTorch, recomputes interior nodes on every call and accumulates only the leaves; the
# comparison is with the engine called twice. The smallest graph has one node between the
# root and the leaf, $out = 3h$ with $h = 2x$:

# %%
result = lab.compare(lab.VARIANTS["double_count_second_backward"].smallest_graph(),
                     "double_count_second_backward")
print(result)
assert [(d.name, d.engine, d.variant) for d in result.differences] == [
    ("h", 3.0, 6.0), ("x", 12.0, 18.0)]

# %% [markdown]
# Two engine calls give $x$ twice its gradient, $2 \cdot 6 = 12$; micrograd 0.1.0's two calls
# give 18. (`tests/test_lab.py` checks this variant against micrograd 0.1.0 itself, on random
# graphs.)
#
# ### The ReLU gate at 0, and the local derivative
#
# ReLU has a kink at 0, where the engine (like PyTorch) takes $\text{relu}'(0) = 0$. A variant
# that writes `>=` for `>` opens the gate at 0. Central differences cannot settle it: at the
# kink they give 0.5, as notebook 03 shows. Only a $z$ that is 0 *exactly* tells the two apart:

# %%
result = lab.compare(lab.VARIANTS["relu_grad_at_zero_is_one"].smallest_graph(),
                     "relu_grad_at_zero_is_one")
print(result)
assert [(d.name, d.engine, d.variant) for d in result.differences] == [
    ("z", 0.0, 1.0), ("x", 0.0, 1.0)]
assert lab.compare(J, "relu_grad_at_zero_is_one").differences == ()
assert all(n.inputs[0].data != 0.0 for n in al.topological_order(J) if n.op == "relu")

# %% [markdown]
# In the seed network no $z$ is exactly 0, so this variant gets every gradient of $J$ right
# there. The last variant forgets the local derivative and passes the upstream gradient on
# unchanged. On a sum every local derivative is 1 and the bug is invisible; a product shows it:

# %%
print(lab.compare(Value(2.0, "x") + Value(3.0, "w"), "forgot_local_derivative"))
print()
result = lab.compare(lab.VARIANTS["forgot_local_derivative"].smallest_graph(),
                     "forgot_local_derivative")
print(result)
assert lab.compare(Value(2.0, "x") + Value(3.0, "w"), "forgot_local_derivative").differences == ()
assert [(d.name, d.engine, d.variant) for d in result.differences] == [("w", 2.0, 1.0),
                                                                        ("x", 3.0, 1.0)]

# %% [markdown]
# `lab.compare` also takes a backward of your own: any function of the root that returns
# `{node: gradient}`. Nodes it leaves out count as 0. It is compared with one engine
# `backward()`, and the sentence names the first wrong node and the nodes that use it:


# %%
def only_the_leaves(root):
    """A backward that fills in the leaves right but forgets every node in between."""
    order = al.topological_order(root)
    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    al.learn.variants.chain_rule(order, grads)
    return {node: g for node, g in grads.items() if not node.inputs or node is root}


result = lab.compare(diamond, only_the_leaves)
print(result.first_divergence.sentence)
assert result.first_divergence.name == "c" and {d.name for d in result.differences} == {"a", "b", "c"}

# %% [markdown]
# ## 2. Exercises
#
# Four exercises, each one rung up: a local derivative, a backward pass by hand, the δ
# equation of the seed network, and an optimizer step. For each, `exercises.task(n)` says
# what to write, and `exercises.check(n, your_function)` grades it: it tries your function on
# a few fixed inputs and compares what it returns with the engine's numbers. At the first
# input where they disagree it says so, with both numbers and a hint; for the derivatives,
# `gradcheck` also compares your numbers with central differences.
#
# Each exercise has a starter that is wrong on purpose, and a solution. Try your own before
# you read the solution.
#
# ### Exercise 1: the local derivative of an op

# %%
print(exercises.task(1))

# %%
def tanh_slope(x):
    return math.tanh(x)  # the starter: tanh itself, not its slope


grade = exercises.check(1, tanh_slope)
print(grade)
assert not grade.passed and "At x = 0.5" in grade.text and "tanh(x) itself" in grade.text


# %%
def tanh_slope(x):
    out = math.tanh(x)
    return 1.0 - out * out  # the engine's rule: written in the op's output


grade = exercises.check(1, tanh_slope)
print(grade)
assert grade.passed

# %% [markdown]
# ### Exercise 2: backward for a two-node graph

# %%
print(exercises.task(2))


# %%
def backward(out):
    u = out.inputs[0]
    x, w = u.inputs
    out.grad = 1.0
    u.grad = out.grad * (1.0 - out.data**2)
    x.grad = u.grad  # the starter: the upstream gradient only
    w.grad = u.grad


grade = exercises.check(2, backward)
print(grade)
assert not grade.passed and "your ∂out/∂x is 0.5966 where the engine's is -0.8949" in grade.text


# %% [markdown]
# That starter forgets the local derivative of the product. The lab's
# `forgot_local_derivative` forgets every local derivative, tanh's too, so on this very graph
# it goes wrong one node earlier, at $u$:

# %%
forgot = lab.compare(exercises.two_node_graph(0.5, -1.5), "forgot_local_derivative")
print(forgot)
assert forgot.first_divergence.name == "u" and {d.name for d in forgot.differences} == {"u", "x", "w"}


# %%
def backward(out):
    u = out.inputs[0]
    x, w = u.inputs
    out.grad = 1.0
    u.grad = out.grad * (1.0 - out.data**2)  # ∂out/∂u = 1 − tanh(u)²
    x.grad = u.grad * w.data  # ∂u/∂x = w
    w.grad = u.grad * x.data  # ∂u/∂w = x


grade = exercises.check(2, backward)
print(grade)
assert grade.passed

# %% [markdown]
# ### Exercise 3: δ⁽²⁾ of the seed network
#
# Notebook 01 derives it: $\delta^{(2)} = (\Theta^{(3)\top} \delta^{(3)}) \odot g'(z^{(2)})$.
# The check runs your function on three versions of the seed network: the demo's (hidden unit
# 2's gate closed), one with both hidden gates open, and one with $z^{(2)}_2 = 0$ exactly.

# %%
print(exercises.task(3))


# %%
def delta2(theta3, delta3, z2):
    # the starter: Θ⁽³⁾ᵀ δ⁽³⁾, without the gate
    return [sum(theta3[j][k] * delta3[j] for j in range(2)) for k in range(2)]


grade = exercises.check(3, delta2)
print(grade)
assert not grade.passed and "your δ⁽²⁾₂ is -0.2849 where the engine's is 0" in grade.text


# %%
def delta2(theta3, delta3, z2):
    gate = [1.0 if z > 0.0 else 0.0 for z in z2]  # relu′(z), and relu′(0) = 0
    return [sum(theta3[j][k] * delta3[j] for j in range(2)) * gate[k] for k in range(2)]


grade = exercises.check(3, delta2)
print(grade)
assert grade.passed

# %% [markdown]
# ### Exercise 4: one SGD step

# %%
print(exercises.task(4))


# %%
def sgd_step(params, lr):
    for p in params:
        p = p - lr * p.grad  # the starter: a new Value, bound to the loop variable


grade = exercises.check(4, sgd_step)
print(grade)
assert not grade.passed and "no θ moved" in grade.text


# %%
def sgd_step(params, lr):
    for p in params:
        p.data -= lr * p.grad


grade = exercises.check(4, sgd_step)
print(grade)
assert grade.passed

# %% [markdown]
# The starter's `p - lr * p.grad` builds a new Value and binds it to the name `p`, which the
# loop then rebinds: no parameter changes. The solution changes each parameter's `data` in
# place, which is what `SGD(params, lr).step()` does.
