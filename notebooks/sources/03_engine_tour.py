# %% [markdown]
# # A tour of the engine
#
# Everything in autograd-lite rests on one class, `Value`: a number that remembers how it was
# made. This notebook walks through the engine: values and ops, the derivative conventions at
# kinks, checking derivatives numerically, deep graphs, gradients of gradients, and the two
# modes `no_grad` and `detect_anomaly`.

# %%
import math

import autograd_lite as al

from autograd_lite import (
    GradcheckError,
    Value,
    detect_anomaly,
    grad,
    gradcheck,
    hessian,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from autograd_lite.viz import PortableFigure, draw_graph

# %% [markdown]
# ## 1. Values, ops and the graph
#
# One neuron, $o = \tanh(x_1 w_1 + x_2 w_2 + b)$, built from Values. Each op makes a new
# node that records its inputs **and its local derivatives** $\partial\,\text{out}/\partial\,
# \text{input}$, computed right away in the forward pass:

# %%
x1, x2 = Value(2.0, "x₁"), Value(0.0, "x₂")
w1, w2 = Value(-3.0, "w₁"), Value(1.0, "w₂")
b = Value(6.881373587, "b")

z = x1 * w1 + x2 * w2 + b
z.label = "z"
o = z.tanh()
o.label = "o"

print(o)
print("op:", o.op, "| inputs:", o.inputs, "| local ∂o/∂z = 1 − o² =", o.local_grads[0])

# %% [markdown]
# `backward()` then applies the chain rule from the output down, the same few lines for every
# op: each node passes `local × its own grad` to each input. After it, `v.grad` holds
# $\partial o/\partial v$ for every node $v$ below $o$:

# %%
o.backward()
for v in (x1, w1, x2, w2, b):
    print(f"∂o/∂{v.label} = {v.grad:+.4f}")
PortableFigure(draw_graph(o, params=[w1, w2, b]))  # parameters in amber, inputs in blue

# %% [markdown]
# ## 2. Derivatives at kinks
#
# ReLU, |x| and √x have points where the derivative does not exist. The engine still has to
# return a number there, so it follows a documented convention, the same as PyTorch's:

# %%
slopes = {}
for name, f in [("relu", Value.relu), ("abs", Value.abs), ("sqrt", Value.sqrt),
                ("leaky_relu", Value.leaky_relu)]:
    x = Value(0.0)
    f(x).backward()
    slopes[name] = x.grad
    print(f"{name}'(0) = {x.grad}")
assert slopes == {"relu": 0.0, "abs": 0.0, "sqrt": math.inf, "leaky_relu": 0.01}  # as below

# %% [markdown]
# - **relu′(0) = 0.** At a kink any number between the left and right slopes (a *subgradient*,
#   here anything in $[0, 1]$) is a defensible answer. 0 means "the gate is open only for
#   $z > 0$", which is what PyTorch and TensorFlow return and what `jax.nn.relu` returns. But
#   JAX's `jnp.maximum(x, 0.0)` returns **0.5** at 0, because JAX's `max` splits a tie evenly
#   between its two arguments (a convention inherited from HIPS autograd): the answer depends on
#   how relu is *written*, not just on what it computes. With floats, landing exactly on 0 is
#   rare enough that the choice seldom matters, but not never (Bertoin et al., *Numerical
#   influence of ReLU′(0) on backpropagation*, NeurIPS 2021).
# - **abs′(0) = 0**, the middle of $[-1, 1]$, like $\operatorname{sign}(0) = 0$.
# - **sqrt′(0) = ∞**, the honest limit of $1/(2\sqrt{x})$. It is recorded as `inf`: see
#   `detect_anomaly` below.
# - **The zero rule.** A zero sends nothing back: a node whose gradient is exactly 0 is
#   skipped, and a local derivative of exactly 0 passes nothing on, even when the gradient
#   arriving is ∞. So `0 × ∞` counts as 0 in `backward()`, never `nan`: a closed ReLU gate
#   stops the gradient whatever comes from above.
# - **leaky_relu′(0) = 0.01**, its slope on the closed side.
#
# A numerical derivative at a kink disagrees with all of these: the central difference
# $\frac{\operatorname{relu}(\varepsilon) - \operatorname{relu}(-\varepsilon)}{2\varepsilon}
# = 0.5$. That is why numerical checks, like the one below, stay away from kinks.
#
# ## 3. `gradcheck`: trust, but verify
#
# `gradcheck(f, *inputs)` compares `backward()` with central differences
# $\frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}$ at every input, returning True
# or raising `GradcheckError` with a table.


# %%
def f(a, b):
    return (a * b).tanh() + (a / b).exp() - (a * a + 1).log()


print(gradcheck(f, 0.7, -1.3))

try:
    gradcheck(Value.relu, 0.0)
except GradcheckError as error:
    print(error)
    assert str(error).splitlines()[-1].split()[:3] == ["0", "0", "0.5"]  # input, analytic, numeric
else:
    raise AssertionError("gradcheck passed relu at its kink")

# %% [markdown]
# At the kink, as expected, the analytic 0 meets the numeric 0.5.
#
# Its real job is catching a wrong derivative. Here is a home-made `square` whose local
# derivatives have a classic bug: `x * x` uses `x` twice, so each use contributes $x$ and the
# total is $2x$, but our op credits only one use.


# %%
def square(x):
    """x², with a broken derivative: only one of the two uses of x gets its share."""
    out = x * x
    out.local_grads = (x.data, 0.0)  # should be (x.data, x.data): ∂(x·x)/∂x = x + x
    return out


try:
    gradcheck(square, 3.0)
except GradcheckError as error:
    print(error)
    row = str(error).splitlines()[-1].split()
    assert row[:2] == ["3", "3"] and round(float(row[2]), 6) == 6  # input 3, analytic 3, numeric 6
else:
    raise AssertionError("gradcheck passed the broken square")

# %% [markdown]
# `backward()` says 3, the numbers say 6: found.
#
# ### An op of your own, checked the moment it is defined
#
# `al.define_op(name, value, local_derivative)` adds a primitive in the rule language of
# the engine's own table (`engine.RULES`): its value and its local derivative as
# expressions in `x` (and `out`, the op's result). Before the op is added, `gradcheck` runs
# at sample points inside its domain. Here is softplus, $\log(1 + e^x)$, first with a
# wrong derivative: $e^x$, which is the derivative of $e^x$, not of softplus.

# %%
try:
    al.define_op("softplus", "log(1.0 + exp(x))", "exp(x)")
except GradcheckError as error:
    print(error)
    refused = str(error)
assert "softplus's local derivative is wrong at -1.7" in refused
assert not hasattr(Value, "softplus")  # refused: the op table is as it was

# %% [markdown]
# Refused at the first sample, −1.7, with gradcheck's table. The right derivative is the
# sigmoid, $\frac{1}{1 + e^{-x}}$; with it the op is defined, and it is everything a
# built-in op is: a method, higher derivatives, `al.compile`, pictures.

# %%
al.define_op("softplus", "log(1.0 + exp(x))", "sigmoid(x)")
x = Value(0.3)
y = x.softplus()
y.backward()
second = al.grad(al.grad(lambda u: u.softplus()))(0.3).data
step = al.compile(lambda u: (u * 2.0).softplus())
print(f"softplus(0.3) = {y.data:.6f}, its derivative {x.grad:.6f}, the next {second:.6f}")
print(f"compiled: {step(0.3)!r}, eager: {(Value(0.3) * 2.0).softplus().data!r}")
assert abs(x.grad - 1 / (1 + math.exp(-0.3))) < 1e-15 and step(0.3) == (Value(0.3) * 2.0).softplus().data
al.undefine_op("softplus")  # so that the next run of this notebook can define it again

# %% [markdown]
# ## 4. Deep graphs
#
# Every op adds a node, so a long loop makes a deep graph. Multiplying by $1 + 10^{-5}$ one
# hundred thousand times gives $(1 + 10^{-5})^{100\,000} \approx e$, and its derivative with
# respect to the starting value is the same number:

# %%
x = Value(1.0, "x")
y = x
for _ in range(100_000):
    y = y * 1.00001

y.backward()
print(f"{len(topological_order(y)):,} nodes")
print(f"y = {y.data:.6f},  ∂y/∂x = {x.grad:.6f},  e = {math.e:.6f}")
assert len(topological_order(y)) == 100_001 and x.grad == y.data and abs(y.data - math.e) < 1e-4

# %% [markdown]
# No `RecursionError`: the engine orders the graph with a loop over an explicit stack. A
# recursive depth-first search, the textbook way (and micrograd's), would need one Python frame
# per level:


# %%
def order_recursively(v, seen, order):
    if v not in seen:
        seen.add(v)
        for parent in v.parents:
            order_recursively(parent, seen, order)
        order.append(v)


try:
    order_recursively(y, set(), [])
except RecursionError as error:
    print("RecursionError:", error)
else:
    raise AssertionError("the recursive sort went 100,001 levels deep")

# %% [markdown]
# ### Calling `backward()` twice
#
# The rule, as in PyTorch: **leaves accumulate, interior nodes are recomputed.** A leaf (an
# input or a parameter) adds each new gradient to its `grad`; an interior node's `grad` is reset
# on every call. So zero your parameters' gradients between training steps (`model.zero_grad()`).

# %%
x = Value(3.0, "x")
z = x * x            # interior
L = 2 * z            # L = 2x², ∂L/∂x = 4x = 12
L.backward()
print(f"first backward:   x.grad = {x.grad:g}, z.grad = {z.grad:g}")
L.backward()
print(f"second backward:  x.grad = {x.grad:g}, z.grad = {z.grad:g}   (x accumulated, z did not)")
x.grad = 0.0
L.backward()
print(f"after zeroing:    x.grad = {x.grad:g}")
assert (x.grad, z.grad) == (12.0, 2.0)

# %% [markdown]
# Accumulation is a feature: two losses that share a parameter give, one `backward()` after the
# other, the gradient of their sum.

# %%
w = Value(2.0, "w")
loss_1, loss_2 = w * w, w.exp()
loss_1.backward()
loss_2.backward()
print(f"w.grad = {w.grad:.6f} = 2w + eʷ = {2 * 2.0 + math.exp(2.0):.6f}")
assert abs(w.grad - (2 * 2.0 + math.exp(2.0))) < 1e-12

# %% [markdown]
# ## 5. Gradients of gradients
#
# `grad(f)` is a function that returns $f'$, and what it returns is itself a Value with a graph,
# so it can be differentiated again. For $f(x) = x^3$ at $x = 2$:
# $f' = 3x^2 = 12$, $f'' = 6x = 12$, $f''' = 6$.

# %%
def cube(x):
    return x**3


derivatives = {"f′": grad(cube), "f″": grad(grad(cube)), "f‴": grad(grad(grad(cube)))}
for name, derivative in derivatives.items():
    print(f"{name}(2) = {derivative(2.0).data:g}")
assert [d(2.0).data for d in derivatives.values()] == [12.0, 12.0, 6.0]

# %% [markdown]
# It works for every op, because each op's derivative rule is plain arithmetic that runs on floats
# (for `backward()`) and on Values (to build the derivative's graph) alike. For tanh, whose rule
# is $1 - \tanh^2$, the second derivative is $-2\tanh x\,(1 - \tanh^2 x)$:

# %%
t = math.tanh(0.5)
print(f"grad(grad(tanh))(0.5) = {grad(grad(Value.tanh))(0.5).data:.12f}")
print(f"closed form           = {-2 * t * (1 - t * t):.12f}")
assert abs(grad(grad(Value.tanh))(0.5).data - (-2 * t * (1 - t * t))) < 1e-12

# %% [markdown]
# Here is the graph of $f'(x) = 3x^2$ that `grad(cube)` built for $x = 2$. Read it from the
# top: `grad` first makes $x$ a fresh variable, $x + 0$, so that the $x$ it differentiates
# with respect to is a node of its own, distinct from any Value that $f$ might hold (this is
# what keeps `grad(grad(f))` right). Then comes the rule of `**`, $y \cdot x^{y-1}$, applied to
# Values ($x^2$, times 3), times the upstream gradient 1 of the output, added to the gradient's
# starting value 0:

# %%
derivative = grad(cube)(Value(2.0, "x"))
derivative.label = "f′(x)"
assert derivative.data == 12.0 and [v.op for v in topological_order(derivative)] == [
    "", "+", "**", "*", "*", "+"]  # x, x + 0, x², 3·x², ·1, 0 + …
PortableFigure(draw_graph(derivative, show_grad=False))

# %% [markdown]
# `hessian(f)` gives all second derivatives $H_{ij} = \partial^2 f / \partial x_i \partial x_j$.
# For $f(x, y) = x^2 y + e^y$:
#
# $$
# H = \begin{pmatrix}
# 2y & 2x \\
# 2x & e^y
# \end{pmatrix}
# $$

# %%
def g(x, y):
    return x * x * y + y.exp()


H = hessian(g)(1.0, 2.0)
for row in H:
    print("  ".join(f"{h:10.6f}" for h in row))
print(f"expected: 4, 2 / 2, e² = {math.exp(2):.6f}; symmetric: {H[0][1] == H[1][0]}")
assert [[round(h, 9) for h in row] for row in H] == [[4, 2], [2, round(math.exp(2), 9)]]

# %% [markdown]
# ## 6. `no_grad`: compute without building a graph
#
# Evaluating a trained model, or updating its parameters, needs numbers, not a graph. Inside
# `no_grad()` ops record nothing: results are plain leaves. (`training.predict` uses it.)

# %%
w = Value(0.5, "w")
with no_grad():
    y = w * 3.0 + 1.0
    print("inside:  grad enabled?", is_grad_enabled(), "| y.inputs =", y.inputs)
print("outside: grad enabled?", is_grad_enabled(), "| y.data =", y.data)

# %% [markdown]
# `detach()` does the same for one value: a new leaf with the same number and no history, so the
# gradient does not flow back through it. Below, only the second factor of $w \cdot w$ is seen by
# `backward()`:

# %%
w = Value(3.0, "w")
L = w.detach() * w
L.backward()
print(f"∂L/∂w = {w.grad:g} (not 2w = 6: the detached copy counts as a constant)")
assert w.grad == 3.0

# %% [markdown]
# ## 7. `detect_anomaly`: where did the `inf` come from?
#
# $\sqrt{x}$ at $x = 0$ has an infinite slope, and the chain rule carries it down to $x$.
# Silently:

# %%
x = Value(0.0, "x")
(x.sqrt() * 3.0).backward()
print("x.grad =", x.grad)
assert x.grad == math.inf

# %% [markdown]
# Inside `detect_anomaly()`, `backward()` stops at the first non-finite gradient and names the op
# and the file and line that made its node. (A notebook cell runs from a temporary file, shown as
# `<cell>` in the saved output; the line is the line within the cell.)

# %%
with detect_anomaly():
    x = Value(0.0, "x")
    r = x.sqrt() * 3.0
    try:
        r.backward()
    except FloatingPointError as error:
        print("FloatingPointError:", error)
    else:
        raise AssertionError("detect_anomaly let the infinite gradient through")

# %% [markdown]
# Outside the mode nothing is recorded, so it costs nothing when it is off.
#
# Written as $\sqrt{x \cdot x} = |x|$, the same kink is harmless: the ∞ still arrives at
# $x \cdot x$, but ∂(x·x)/∂x = 2x = 0 at 0, and by the zero rule that 0 stops it, so $x$ gets
# 0, not ∞ or `nan` (`x.abs()` says so directly: its slope at 0 is 0):

# %%
x = Value(0.0, "x")
square_of_x = x * x
square_of_x.sqrt().backward()
print(f"∂/∂(x·x) = {square_of_x.grad}, ∂/∂x = {x.grad}")
assert square_of_x.grad == math.inf and x.grad == 0.0
