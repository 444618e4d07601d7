"""Forward mode beside reverse: `jvp` and `jacobian`, from the same local derivatives.

Every node stores ∂node/∂input for each input (`local_grads`). Reverse mode (`backward()`)
runs the chain rule from the root back, and gets ∂root/∂x for *every* x in one pass.
Forward mode runs it the other way, from the inputs up: give each input a tangent ẋ (a
direction), and each node, in the order the forward pass made them, gets

    ṅode = Σᵢ ∂node/∂inputᵢ · ṫinputᵢ

so the root's tangent is the directional derivative ∇root · ẋ: one number per pass. That is
why backprop runs backwards: a loss J of 12 parameters needs one backward pass for all 12
∂J/∂θ, and 12 forward-mode passes, one per parameter (benchmarks/forward_reverse.py).

The tangents ride on the graph: `tangent_of` walks the nodes in topological order (the
order the forward pass made them) once. Nothing here writes a Value's `grad`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .engine import Value, propagate, topological_order
from .modes import enable_grad
from .validation import real_number

__all__ = ["jacobian", "jvp", "tangent_of"]

#: An argument of f: a number (or Value), or a list of them (a vector).
Argument = Any


def tangent_of(outputs: Sequence[Value], seeds: Mapping[Value, float]) -> list[float]:
    """[the tangent of each output]: one forward-mode pass over the graph below them, with
    tangent `seeds[x]` on each x in seeds and 0 on every other leaf.

    The zero rule holds as in backward(): a zero tangent, or a zero local derivative,
    sends nothing on, so 0 · inf counts as 0."""
    tangents: dict[Value, float] = {}
    for node in _order(outputs):
        if node in seeds:
            tangents[node] = seeds[node]  # a variable: its seed, whatever made it
            continue
        edges = node.edges
        total = 0.0
        for x, local in zip(edges, edges[len(edges) >> 1 :]):
            t = tangents.get(x, 0.0) if x.__class__ is not float else 0.0
            if t != 0.0 and local != 0.0:
                total += local * t
        if total != 0.0:
            tangents[node] = total
    return [tangents.get(out, 0.0) for out in outputs]


def cotangent_of(root: Value, variables: Sequence[Value]) -> list[float]:
    """[∂root/∂x for each x in variables]: one reverse-mode pass (the engine's `propagate`
    on nodes of its own), without touching any Value's `grad`."""
    nodes: dict[Value, _Adjoint] = {}
    stops = set(variables)
    for node in _order([root]):
        adjoint = nodes[node] = _Adjoint()
        if node not in stops and node.edges:
            edges = node.edges
            n = len(edges) >> 1
            adjoint.edges = (*(nodes[x] if x.__class__ is not float else x for x in edges[:n]),
                             *edges[n:])  # fmt: skip
    nodes[root].grad = 1.0
    propagate(list(nodes.values()))
    return [nodes[x].grad if x in nodes else 0.0 for x in variables]


class _Adjoint:
    """What `propagate` needs of a node: a grad, and edges (inputs' adjoints, then the
    local derivatives, the Value's own numbers)."""

    __slots__ = ("edges", "grad")

    def __init__(self) -> None:
        self.grad: float = 0.0
        self.edges: tuple[Any, ...] = ()


def _order(outputs: Sequence[Value]) -> list[Value]:
    """Every node below the outputs, each after its inputs (one topological order)."""
    order: list[Value] = []
    seen: set[Value] = set()
    for out in outputs:
        for node in topological_order(out):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def jvp(
    f: Callable[..., Value | Sequence[Value]],
    primals: Sequence[Argument],
    tangents: Sequence[Argument],
) -> tuple[Any, Any]:
    """(f(*primals), its directional derivative along `tangents`), as floats, in one
    forward-mode pass: torch.func.jvp's contract, for scalars.

    Each primal is a number (or a Value: its number is used) or a list of them; each
    tangent has the primal's shape. f returns a Value, or a list of Values (then both
    results are lists)."""
    primals = _arguments(primals, "jvp", "primals")
    tangents = _arguments(tangents, "jvp", "tangents")
    if len(tangents) != len(primals):
        raise ValueError(
            f"jvp needs one tangent per primal: got {len(primals)} primals and "
            f"{len(tangents)} tangents"
        )
    seeds: dict[Value, float] = {}
    with enable_grad():
        args = [_variables(p, f"primals[{i}]") for i, p in enumerate(primals)]
        for i, (arg, tangent) in enumerate(zip(args, tangents)):
            seeds.update(zip(_flat(arg), _tangent(tangent, arg, i)))
        outputs, single = _outputs(f(*args), "jvp")
    values = [out.data for out in outputs]
    derivatives = tangent_of(outputs, seeds)
    return (values[0], derivatives[0]) if single else (values, derivatives)


def jacobian(
    f: Callable[..., Value | Sequence[Value]],
    argnums: int | Sequence[int] = 0,
    mode: str = "reverse",
) -> Callable[..., Any]:
    """A function that returns the Jacobian of f at its arguments: J[i][j] = ∂outᵢ/∂xⱼ,
    for x the argument at `argnums` (a number: one column; a list: one column each).

    mode="reverse" runs one backward pass per output, mode="forward" one forward-mode
    pass per input: the same matrix, floats in both. A single Value out gives one row
    (a list); a tuple of argnums gives a tuple of matrices."""
    if mode not in ("forward", "reverse"):
        raise ValueError(f"jacobian mode must be 'forward' or 'reverse', got {mode!r:.60}")
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def matrices(*args: Argument) -> Any:
        wanted = _positions(positions, len(args), "jacobian")
        with enable_grad():
            values = [_variables(a, f"argument {i}") for i, a in enumerate(args)]
            outputs, single = _outputs(f(*values), "jacobian")
        result = []
        for p in wanted:
            columns = _flat(values[p])
            if mode == "reverse":
                rows = [cotangent_of(out, columns) for out in outputs]
            else:
                by_column = [tangent_of(outputs, {x: 1.0}) for x in columns]
                rows = [list(row) for row in zip(*by_column)] or [[] for _ in outputs]
            result.append(rows[0] if single else rows)
        return result[0] if isinstance(argnums, int) else tuple(result)

    return matrices


# --- arguments ------------------------------------------------------------------------------


def _arguments(items: object, who: str, what: str) -> list[Argument]:
    if isinstance(items, (str, bytes, Value)) or not isinstance(items, Sequence):
        raise TypeError(
            f"{who} needs {what} as a tuple or list of arguments, got "
            f"{type(items).__name__} {items!r:.60}"
        )
    return list(items)


def _variables(arg: Argument, where: str) -> Value | list[Value]:
    """Fresh leaves for a number or a list of numbers (a Value's number is used)."""
    if isinstance(arg, (list, tuple)):
        return [_leaf(x, f"{where}[{k}]") for k, x in enumerate(arg)]
    return _leaf(arg, where)


def _leaf(x: object, where: str) -> Value:
    number = x.data if isinstance(x, Value) else x
    return Value(real_number(number, where))


def _flat(arg: Value | list[Value]) -> list[Value]:
    return arg if isinstance(arg, list) else [arg]


def _tangent(tangent: object, arg: Value | list[Value], i: int) -> list[float]:
    """tangents[i] as floats, or a ValueError naming it when its shape is not primals[i]'s."""
    if isinstance(arg, list):
        if not isinstance(tangent, (list, tuple)) or len(tangent) != len(arg):
            raise ValueError(
                f"jvp: tangents[{i}] must be a list of {len(arg)} numbers, like primals[{i}], "
                f"got {tangent!r:.60}"
            )
        return [real_number(t, f"jvp tangents[{i}][{k}]") for k, t in enumerate(tangent)]
    if isinstance(tangent, (list, tuple)):
        raise ValueError(
            f"jvp: tangents[{i}] must be one number, like primals[{i}], got {tangent!r:.60}"
        )
    return [real_number(tangent, f"jvp tangents[{i}]")]


def _outputs(out: object, who: str) -> tuple[list[Value], bool]:
    """(f's outputs as a list, whether f returned one Value), or a TypeError naming who."""
    if isinstance(out, Value):
        return [out], True
    if isinstance(out, (list, tuple)) and out and all(isinstance(o, Value) for o in out):
        return list(out), False
    raise TypeError(
        f"{who} needs f to return a Value or a non-empty list of Values, got "
        f"{type(out).__name__} {out!r:.60}"
    )


def _positions(positions: tuple[int, ...], count: int, who: str) -> list[int]:
    """argnums made non-negative, each in range and none twice (as torch.func checks)."""
    wanted = []
    for p in positions:
        if not isinstance(p, int) or isinstance(p, bool) or not -count <= p < count:
            raise IndexError(f"{who}: argnum {p!r:.60} is out of range for {count} arguments")
        wanted.append(p % count)
    if len(set(wanted)) != len(wanted):
        raise ValueError(f"{who}: argnums {positions!r:.60} list an argument twice")
    return wanted
