"""Wrong backward passes, kept apart from the engine: the misconceptions, runnable.

The engine's backward pass is four lines (see core/engine.py):

    for node in reversed(topological_order(root)):
        for x, local in zip(node.inputs, node.local_grads):
            x.grad += local * node.grad

Each variant here changes one thing in them, the way learners' code most often does, and
returns its gradients in a dict of its own, {node: ∂root/∂node as it computes it}. None
writes a Value's `grad`, replaces an op's rule or enters a mode: they only read the graph
(`inputs`, `local_grads`, `data`, `op`) and `topological_order`. `lab.compare` runs one
beside the engine.

For each there is the smallest graph that shows its bug, and a sentence that says, at the
first node where it goes wrong, why (`Variant.explain`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..core.engine import Value, topological_order

__all__ = [
    "ENGINE_STORIES",
    "VARIANTS",
    "Gradients",
    "Scene",
    "Variant",
    "assign_not_accumulate",
    "double_count_second_backward",
    "forgot_local_derivative",
    "no_zero_grad",
    "recursive_no_sort",
    "relu_grad_at_zero_is_one",
    "value_inputs",
]

#: {node: ∂root/∂node}, as one backward pass (right or wrong) computes it.
Gradients = dict[Value, float]


def value_inputs(node: Value) -> list[tuple[Value, float]]:
    """(x, ∂node/∂x) for each Value input x of node, in order, repeats kept (constants,
    which take no gradient, left out)."""
    return [(x, local) for x, local in zip(node.inputs, node.local_grads) if isinstance(x, Value)]


def chain_rule(order: list[Value], grads: Gradients) -> None:
    """The right loop, into grads: each node, root first, adds local · its gradient to
    each of its inputs'. (The variants below that are not about this loop use it.)"""
    for node in reversed(order):
        for x, local in value_inputs(node):
            grads[x] += local * grads[node]


# === The variants: each a few lines, the bug marked ========================================


def recursive_no_sort(root: Value) -> Gradients:
    """No topological sort: each node sends its gradient on as soon as it has any."""
    grads: Gradients = {root: 1.0}
    send_on(root, grads, sent={})
    return grads


def send_on(node: Value, grads: Gradients, sent: Gradients) -> None:
    """recursive_no_sort's step: node sends what it has now (kept in `sent`) to its inputs,
    and each input that has not sent yet sends on at once."""
    sent[node] = grads[node]
    for x, local in value_inputs(node):
        grads[x] = grads.get(x, 0.0) + local * grads[node]
        if x not in sent:
            send_on(x, grads, sent)  # the bug: x may be used again, by a node not visited yet


def assign_not_accumulate(root: Value) -> Gradients:
    """`=` instead of `+=`: a node used twice keeps only the last term."""
    order = topological_order(root)
    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    for node in reversed(order):
        for x, local in value_inputs(node):
            grads[x] = local * grads[node]  # the bug: = forgets the terms already there
    return grads


def no_zero_grad(root: Value) -> Gradients:
    """Two training steps, and no zero_grad() between them: the leaves' gradients pile up.

    Each step's backward() starts its interior nodes from 0, as the engine's does; nothing
    resets the leaves. (The data is left as it is between the steps, so that what is
    left over shows: a real step would move it, and step 2's gradient would differ.)"""
    order = topological_order(root)
    grads = {node: 0.0 for node in order}
    for _step in range(2):
        # the bug: no zero_grad() here, so the leaves keep step 1's gradient
        for node in order:
            if node.inputs:
                grads[node] = 0.0  # backward() recomputes the nodes made by an op
        grads[root] = 1.0
        chain_rule(order, grads)
    return grads


def double_count_second_backward(root: Value) -> Gradients:
    """`backward()` twice, as micrograd 0.1.0 does it: the second call adds to the first.

    Nothing is reset, not even the nodes made by an op, so each interior node sends the
    sum of both calls' gradients on in the second call."""
    order = topological_order(root)
    grads = {node: 0.0 for node in order}
    for _call in range(2):
        grads[root] = 1.0  # micrograd sets the root's gradient to 1, and nothing else
        chain_rule(order, grads)  # the bug: interior nodes still hold the first call's terms
    return grads


def relu_grad_at_zero_is_one(root: Value) -> Gradients:
    """relu′(0) = 1: the gate is taken to be open at z = 0.

    The engine's relu′(0), as PyTorch's, is 0."""
    order = topological_order(root)
    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    for node in reversed(order):
        for x, local in value_inputs(node):
            if node.op == "relu":
                local = 1.0 if x.data >= 0.0 else 0.0  # the bug: >= opens the gate at 0
            grads[x] += local * grads[node]
    return grads


def forgot_local_derivative(root: Value) -> Gradients:
    """The upstream gradient only, not times the local derivative ∂node/∂x."""
    order = topological_order(root)
    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    for node in reversed(order):
        for x, _local in value_inputs(node):
            grads[x] += grads[node]  # the bug: local * grads[node]
    return grads


# === The smallest graph that shows each bug ================================================


def _diamond() -> Value:
    """out = b + c with b = 3a and c = 5a, a = 2x: a feeds two nodes, and x sits below it."""
    x = Value(1.0, "x")
    a = x * 2.0
    b, c = a * 3.0, a * 5.0
    out = b + c
    a.label, b.label, c.label, out.label = "a", "b", "c", "out"
    return out


def _a_plus_a() -> Value:
    """out = a + a: a is used twice by one node."""
    a = Value(3.0, "a")
    out = a + a
    out.label = "out"
    return out


def _product_of_leaves() -> Value:
    """out = w · x: two leaves, each used once."""
    out = Value(0.5, "w") * Value(3.0, "x")
    out.label = "out"
    return out


def _chain_of_two() -> Value:
    """out = 3h with h = 2x: one node (h) between the root and the leaf."""
    x = Value(1.0, "x")
    h = x * 2.0
    out = h * 3.0
    h.label, out.label = "h", "out"
    return out


def _relu_at_zero() -> Value:
    """out = relu(z) with z = x − 1 at x = 1: z is 0 exactly, ReLU's kink."""
    z = Value(1.0, "x") - 1.0
    out = z.relu()
    z.label, out.label = "z", "out"
    return out


def _product_of_two() -> Value:
    """out = x · w with x = 2, w = 3: local derivatives that are not 1."""
    out = Value(2.0, "x") * Value(3.0, "w")
    out.label = "out"
    return out


# === Why a node is wrong, in one sentence ===================================================


@dataclass(frozen=True)
class Scene:
    """What a sentence may use: the node where the variant first goes wrong, in the order
    backward() visits them (so every node that uses it is already right), both results,
    and every node's name (as backward_frames names it)."""

    root: Value
    order: list[Value]
    node: Value
    engine: Gradients
    variant: Gradients
    names: dict[Value, str]

    def uses(self, node: Value) -> list[tuple[Value, float]]:
        """(user, ∂user/∂node) for each use of node, in the order backward() sends them."""
        return [
            (user, local)
            for user in reversed(self.order)
            for x, local in value_inputs(user)
            if x is node
        ]

    def name(self, node: Value) -> str:
        return self.names[node]

    def got(self, node: Value | None = None) -> str:
        """'x gets 6 instead of 16' for node (by default the scene's)."""
        node = self.node if node is None else node
        wrong, right = num(self.variant[node]), num(self.engine[node])
        return f"{self.names[node]} gets {wrong} instead of {right}"


def num(x: float) -> str:
    """x to 4 significant digits (as the pictures show numbers); −0 as 0."""
    return "0" if x == 0.0 else f"{x:.4g}"


_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


def count(n: int, thing: str) -> str:
    """'two nodes', '1 node', '12 nodes'."""
    return f"{_WORDS.get(n, str(n))} {thing}{'' if n == 1 else 's'}"


def _users_text(scene: Scene, node: Value, first: list[Value] | None = None) -> str:
    """'feeds two nodes (b, c)' or 'is used twice (both by out)'; the users listed in the
    order of `first` where given, else in the order backward() visits them."""
    users = [user for user, _ in scene.uses(node)]
    distinct = list(dict.fromkeys(users))
    if first is not None:
        distinct.sort(key=first.index)
    names = ", ".join(scene.name(u) for u in distinct)
    if len(distinct) == len(users):
        return f"feeds {count(len(users), 'node')} ({names})"
    times = "twice" if len(users) == 2 else f"{len(users)} times"
    return f"is used {times} ({'both ' if len(users) == 2 else ''}by {names})"


def _why_recursion(scene: Scene) -> str:
    sent: Gradients = {}
    send_on(scene.root, {scene.root: 1.0}, sent)
    early = [
        user
        for user, _ in scene.uses(scene.node)
        if not math.isclose(sent[user], scene.engine[user], rel_tol=1e-12, abs_tol=1e-12)
    ]
    if not early:  # every user sent its whole gradient: cannot happen, but say what is seen
        return _why_generic(scene)
    user = early[0]
    missing = scene.engine[user] - sent[user]
    return (
        f"{scene.name(user)} {_users_text(scene, user, first=list(sent))}; recursion sent its "
        f"gradient on to {scene.name(scene.node)} after the first term ({num(sent[user])}), "
        f"so the rest ({num(missing)}) never arrived: {scene.got()}."
    )


def _why_assign(scene: Scene) -> str:
    uses = scene.uses(scene.node)
    kept = uses[-1][1] * scene.engine[uses[-1][0]]
    others = len(uses) - 1
    dropped = "the first" if others == 1 else f"the other {count(others, 'term')}"
    every = "both" if others == 1 else f"all {_WORDS.get(len(uses), str(len(uses)))}"
    return (
        f"{scene.name(scene.node)} {_users_text(scene, scene.node)}; `=` kept only the last "
        f"term ({num(kept)}) and dropped {dropped} ({num(scene.engine[scene.node] - kept)}), "
        f"where `+=` adds {every}: {scene.got()}."
    )


def _why_no_zero_grad(scene: Scene) -> str:
    name, step = scene.name(scene.node), scene.engine[scene.node]
    if scene.node.inputs:
        return _why_generic(scene)
    return (
        f"{name} is a leaf and nothing zeroed it after step 1, so step 2's backward() added "
        f"its {num(step)} to the {num(scene.variant[scene.node] - step)} left over: "
        f"{scene.got()}, which zero_grad() between the steps would give."
    )


def _why_double_count(scene: Scene) -> str:
    node, name = scene.node, scene.name(scene.node)
    if not node.inputs:
        return _why_generic(scene)
    once, total = scene.engine[node], scene.variant[node]
    return (
        f"{name} is made by an op, so the engine's second backward() computes its gradient "
        f"afresh ({num(once)}); micrograd 0.1.0 adds it to the {num(total - once)} left from "
        f"the first call and sends {num(total)} on, so every node below {name} gets too "
        f"much: {scene.got()}."
    )


def _why_relu_at_zero(scene: Scene) -> str:
    node, name = scene.node, scene.name(scene.node)
    gates = [user for user, _ in scene.uses(node) if user.op == "relu"]
    if node.data != 0.0 or not gates:
        return _why_generic(scene)
    return (
        f"{name} = 0 exactly, ReLU's kink: the engine takes relu′(0) = 0 (as PyTorch does), "
        f"so the gate is closed, but this variant's relu′(0) = 1 lets "
        f"∂{scene.name(scene.root)}/∂{scene.name(gates[0])} = {num(scene.engine[gates[0]])} "
        f"through: {scene.got()}."
    )


def _why_forgot_local(scene: Scene) -> str:
    node, name = scene.node, scene.name(scene.node)
    scaled = [(user, local) for user, local in scene.uses(node) if local != 1.0]
    if not scaled:
        return _why_generic(scene)
    user, local = scaled[0]
    return (
        f"{name} enters {scene.name(user)} with local derivative "
        f"∂{scene.name(user)}/∂{name} = {num(local)}, but this variant passes the upstream "
        f"gradient on without it, so {scene.got()} (∂{scene.name(user)}/∂{name} times "
        f"the upstream gradient {num(scene.engine[user])})."
    )


def _why_generic(scene: Scene) -> str:
    users = list(dict.fromkeys(user for user, _ in scene.uses(scene.node)))
    if not users:
        return f"{scene.got()}, at the root, where backward starts."
    names = ", ".join(scene.name(u) for u in users)
    every, they = ("every node that uses it", "they send") if len(users) > 1 else (
        "the node that uses it", "it sends")  # fmt: skip
    return (
        f"{scene.got()}, though {every} ({names}) has the engine's gradient, so the mistake "
        f"is in what {they} to {scene.name(scene.node)}."
    )


# === The table of variants ==================================================================

#: What the engine runs for each story, on a copy of the graph: (backward() calls,
#: whether the leaves are zeroed between them), and how the comparison says it ({root}:
#: the root's name).
ENGINE_STORIES: dict[str, tuple[int, bool, str]] = {
    "one backward": (1, False, "{root}.backward()"),
    "two backwards": (2, False, "{root}.backward() twice"),
    "two steps": (2, True, "two steps of {root}.backward(), zero_grad() between them"),
}


@dataclass(frozen=True)
class Variant:
    """A named wrong backward, the engine story it is compared with, the smallest graph
    that shows its bug, and the sentence that explains its first wrong node."""

    name: str
    backward: Callable[[Value], Gradients]
    story: str  # a key of ENGINE_STORIES
    smallest_graph: Callable[[], Value] | None
    explain: Callable[[Scene], str]

    @property
    def summary(self) -> str:
        """What it does wrong: the first line of its backward's docstring."""
        return (self.backward.__doc__ or self.name).strip().splitlines()[0]

    def __repr__(self) -> str:
        return f"<lab variant {self.name}: {self.summary}>"


#: The lab's variants, by name, in the order the notebook shows them.
VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("recursive_no_sort", recursive_no_sort, "one backward", _diamond, _why_recursion),
        Variant("assign_not_accumulate", assign_not_accumulate, "one backward", _a_plus_a,
                _why_assign),
        Variant("no_zero_grad", no_zero_grad, "two steps", _product_of_leaves, _why_no_zero_grad),
        Variant("double_count_second_backward", double_count_second_backward, "two backwards",
                _chain_of_two, _why_double_count),
        Variant("relu_grad_at_zero_is_one", relu_grad_at_zero_is_one, "one backward",
                _relu_at_zero, _why_relu_at_zero),
        Variant("forgot_local_derivative", forgot_local_derivative, "one backward",
                _product_of_two, _why_forgot_local),
    )
}  # fmt: skip


def custom_variant(backward: Callable[[Value], Gradients]) -> Variant:
    """A Variant for a backward of your own, compared with one engine backward()."""
    name = getattr(backward, "__name__", type(backward).__name__)
    return Variant(name, backward, "one backward", None, _why_generic)
