"""micrograd's API on our engine: change one import line and micrograd code runs here.

    from autograd_lite.micrograd import Value, MLP, draw_dot   # was: from micrograd... import

It gives micrograd 0.1.0's `Value`, `Module`, `Neuron`, `Layer`, `MLP` and the lecture's
`draw_dot`, with micrograd's signatures, shapes, initial weights and reprs, and our engine
underneath: iterative backward (no RecursionError), graphs without reference cycles (freed at
once, nothing for the garbage collector), the second-`backward()` rule, our errors for bad
input, and higher order through `autograd_lite.grad`.

How `Value` relates to the engine's Value. `Value(data, _children=(), _op='', label='')` is
micrograd's constructor, and what it returns is a plain `autograd_lite.Value`, as are the
results of every op. So every node of a graph is of the engine's own class, and every op on
Values, floats and ints takes the engine's fast path: the generated methods test
`b.__class__ is Value` (then float, then int), and so does `nary.affine`; an instance of a
subclass would send them down the checked path, several times slower (bench section 6,
benchmarks/micrograd_compat.py). `isinstance(x, Value)` is
true of every engine Value, op results included, and `Value.tanh`, `Value.exp`, ... are the
engine's methods.

Where it differs from micrograd, on purpose (the README's "Coming from micrograd" says more):
- a second `backward()` recomputes interior nodes and accumulates leaves, as PyTorch does
  (micrograd adds into interior nodes again, so a leaf below them gets more than twice its
  gradient);
- `grad` and `data` are floats: `Value(data=1.0, grad=0.0)` where micrograd prints `grad=0`;
  an unlabelled Value has `label` None, and the repr shows a label only when there is one;
- bad input raises at once: a string or NaN as data, a negative base to a fractional power
  (micrograd returns a complex number), inputs of the wrong length to a Neuron, Layer or MLP
  (micrograd's zip drops the extra ones);
- `Value(data, _children, _op)` with children is refused: the engine's ops make their nodes
  with their local derivatives, which a node made by hand would lack.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import nn
from .core import engine, nary
from .core.validation import as_list, whole_number

if TYPE_CHECKING:  # graphviz is imported by draw_dot only when it is called
    import graphviz

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value", "draw_dot"]

Input = float | engine.Value


class _ValueType(type):
    """The metaclass of `Value`: every engine Value is an instance, op results included."""

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, engine.Value)


class Value(engine.Value, metaclass=_ValueType):
    """micrograd's `Value(data, _children=(), _op='', label='')`: a leaf, as an engine Value.

    The object returned is an `autograd_lite.Value` (see the module docstring for why), with
    micrograd's `.data`, `.grad`, `._prev`, `._op`, `.label`, `.backward()` and the ops
    `+ - * / **`, `relu`, `tanh`, `exp` (and the engine's others: `log`, `sqrt`, `sigmoid`, ...).
    An empty label is stored as None.
    """

    __slots__ = ()

    def __new__(  # type: ignore[misc]  # returns the engine's Value, by design
        cls,
        data: float,
        _children: Iterable[engine.Value] = (),
        _op: str = "",
        label: str | None = "",
    ) -> engine.Value:
        children = tuple(_children)
        if children or _op:
            raise ValueError(
                f"Value(data, _children, _op): a node made by hand (here from {children!r:.60} "
                f"with op {_op!r}) would have no local derivatives, so backward could not pass "
                "a gradient through it; make it with the ops (+ - * / **, exp, tanh, relu, ...), "
                "which record their local derivatives, or make a leaf with Value(data)"
            )
        return engine.Value(data, None if label == "" else label)


class Module(nn.Module):
    """micrograd's Module: `parameters()` and `zero_grad()` (which sets every grad to 0.0)."""


class Neuron(nn.Neuron, Module):
    """micrograd's Neuron: nin weights drawn with `random.uniform(-1, 1)` from the global
    `random`, in order, and a bias of 0; it computes relu(w·x + b), or w·x + b when
    `nonlin` is False. Its z = w·x + b is one `dot` node of the engine."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        # nn.Neuron.__init__ is not called: it draws He/Xavier weights from its own rng and
        # names them, where micrograd draws uniform(-1, 1) from the global random.
        nin = whole_number(nin, "Neuron nin")
        self.w = [engine.Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = engine.Value(0.0)
        self.nonlin = nonlin
        self.activation = "relu" if nonlin else "linear"

    def __call__(self, x: Sequence[Input]) -> engine.Value:
        return self._forward(nn.check_inputs(x, len(self.w), "Neuron"))

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """micrograd's Layer: `nout` Neurons of `nin` inputs (`**kwargs` go to each Neuron).
    It returns a list of the neurons' outputs, or the one output itself when nout is 1."""

    _submodules = "neurons"  # nn.Module's parameters() and named_parameters() walk it

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        nout = whole_number(nout, "Layer nout")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Input]) -> engine.Value | list[engine.Value]:
        out = self._forward(nn.check_inputs(x, len(self.neurons[0].w), "Layer"))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: Sequence[Input]) -> list[engine.Value]:
        # one dot node per neuron, with the inputs' numbers read once for the whole layer
        neurons = self.neurons
        zs = nary.affine([n.w for n in neurons], x, [n.b for n in neurons])
        return [z.relu() for z in zs] if neurons[0].nonlin else zs

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """micrograd's MLP: a Layer per entry of `nouts`, ReLU in all but the last, which is
    linear. `MLP(2, [16, 16, 1])(x)` returns a Value; a wider last layer, a list.

    Between layers the outputs stay a list, so a one-neuron hidden layer works too (in
    micrograd it hands the next layer a bare Value, which fails)."""

    _submodules = "layers"

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        sizes = [whole_number(nin, "MLP nin")] + [
            whole_number(n, f"MLP nouts[{i}]") for i, n in enumerate(as_list(nouts, "MLP", "nouts"))
        ]
        if len(sizes) == 1:
            raise ValueError("MLP needs at least one layer, got nouts=[]")
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(sizes) - 2) for i in range(len(sizes) - 1)
        ]

    def __call__(self, x: Sequence[Input]) -> engine.Value | list[engine.Value]:
        first, *rest = self.layers
        out = first._forward(nn.check_inputs(x, len(first.neurons[0].w), "MLP"))
        for layer in rest:
            out = layer._forward(out)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def draw_dot(root: engine.Value, format: str = "svg", rankdir: str = "LR") -> graphviz.Digraph:
    """The graph below `root` as a `graphviz.Digraph`, as micrograd's trace_graph.ipynb
    returns it (`format` is what `.render()` writes; `rankdir` is "LR" or "TB", or "RL",
    "BT"), drawn by `autograd_lite.viz.draw_graph`: each Value with its label, data and grad,
    each op, each edge's local derivative, and ReLU gates. It shows inline in Jupyter.

    Graphs of more than viz.DEFAULT_MAX_NODES nodes are refused (dot would take minutes);
    draw those with `viz.draw_graph(root, max_nodes=...)`."""
    # here, so that importing this module does not import graphviz
    from .viz.graph import DEFAULT_MAX_NODES, check_graph_options, draw_graph

    check_graph_options(root, rankdir, DEFAULT_MAX_NODES, "draw_dot")  # errors name draw_dot
    graph = draw_graph(root, rankdir=rankdir)
    graph.format = format  # graphviz refuses an unknown format with a ValueError
    return graph


# --- helpers ------------------------------------------------------------------------------
