"""A tape as NumPy code over a batch of samples: `step.sum`.

The tape was traced on one sample. Here every node becomes an array with one entry per
sample, and nodes that do the same thing side by side are fused into one matrix:

- the `dot` nodes of a layer (same inputs, parameters as weights) become one matrix
  product: z3 = a2 @ Θ3.T + b3, of shape (samples, units);
- an op applied to every column of such a matrix becomes one array op:
  a3 = np.where(z3 > 0.0, z3, 0.0);
- any other node stays one array op of its own, reading columns (z3[:, 0]) as needed.

The backward pass runs over these units in reverse: for a layer, ∂J/∂Θ3 = (∂J/∂z3)ᵀ a2,
∂J/∂b3 = Σ over samples of ∂J/∂z3, ∂J/∂a2 = (∂J/∂z3) Θ3; for an op, the rule's local
derivative (ruleexpr.py rewrites it for arrays: `a if c else b` is np.where). Gradients
of the parameters are summed over the samples into one flat array G, checked, and only
then added to the parameters' `.grad`.

Checks as in pycode.py: a guard whose outcome differs on some samples raises `Stale`
(with the mask of those samples); a value out of an op's domain, a non-finite value
where one could hide, or a non-finite gradient raises `Fallback` (the caller reruns the
batch eagerly). NumPy's own warnings are silenced: these checks replace them.

The code's own names start with `_` (`_np`, `_IN`, `_G`, `_bad`), as in pycode.py, so
no node's name can hide one.

This module imports NumPy; nothing else in the package does, and `al.compile` loads it
only for `.sum`. The source is generated from our own tape and rule table, never from
user text (see pycode.compile_source).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.engine import Value
from .names import Namer
from .pycode import compile_source, contribution, floats, guard_test
from .ruleexpr import HELPERS, Code, assignment_lines, local_grad_code
from .tape import RESERVED, Fallback, Stale, Tape, name_entries

__all__ = ["batch_function", "batch_source"]


@dataclass
class Unit:
    """Nodes computed by one line: a fused matrix (`dot`, `map`), or one node (`single`)."""

    kind: str  # "dot", "map" or "single"
    name: str
    members: list[int]
    key: tuple[Any, ...] = ()
    partial: bool = False  # does some gradient reach it one column at a time?
    lines: list[str] = field(default_factory=list)


class _Plan:
    """Which nodes fuse into which units, and the code of each unit, both ways."""

    def __init__(self, tape: Tape) -> None:
        name_entries(tape)  # every node is a line of its own here
        self.tape = tape
        self.entries = tape.entries
        self.namer = Namer(RESERVED | set(tape.names))
        self.units: list[Unit] = []
        self.unit_of: dict[int, tuple[Unit, int]] = {}  # entry -> (its unit, its column)
        self.layout: list[int] = []  # leaf slot of each entry of P (and G)
        self.position: dict[int, int] = {}  # entry of a leaf read alone -> its place in P
        self.reads: list[str] = []
        self.blocks: dict[int, tuple[str, str, int, int]] = {}  # id(dot unit) -> W, b, a, m·k
        self.reached = set(tape.backward) | {tape.root}
        by_key: dict[tuple[Any, ...], Unit] = {}
        for i, e in enumerate(self.entries):
            if e.kind in ("input", "leaf"):
                continue
            key = self.dot_key(i) or self.map_key(i)
            if key and key in by_key:
                unit = by_key[key]
                self.unit_of[i] = (unit, len(unit.members))
                unit.members.append(i)
                continue
            unit = Unit(key[0] if key else "single", e.name, [i], key)
            if key:
                by_key[key] = unit
            self.units.append(unit)
            self.unit_of[i] = (unit, 0)
        for unit in self.units:
            if unit.kind != "single":
                unit.name = self.namer.fresh(_stem(self.entries[unit.members[0]].name))

    # --- what fuses -----------------------------------------------------------------

    def dot_key(self, i: int) -> tuple[Any, ...]:
        """("dot", kind, inputs, bias?) if entry i is a neuron's dot over samplewise inputs
        with parameters as weights (and bias), else ()."""
        e = self.entries[i]
        n = len(e.inputs) // 2
        if e.op != "dot" or n == 0:
            return ()
        params = [*e.inputs[:n], *e.inputs[2 * n :]]
        xs = e.inputs[n : 2 * n]
        if not all(isinstance(p, int) and self.entries[p].kind == "leaf" for p in params):
            return ()
        if not all(isinstance(x, int) and self.tape.samplewise[x] for x in xs):
            return ()
        return ("dot", e.kind, tuple(xs), len(e.inputs) % 2 == 1)

    def map_key(self, i: int) -> tuple[Any, ...]:
        """("map", kind, op, how each input is read) if entry i applies its op to columns
        of fused units (and to constants or sample-free values), else ()."""
        e = self.entries[i]
        if e.kind == "detach" or e.op in ("sum", "dot"):
            return ()
        reads: list[tuple[Any, ...]] = []
        for x in e.inputs:
            if not isinstance(x, int):
                reads.append(("constant", x))
            elif not self.tape.samplewise[x]:
                reads.append(("scalar", x))
            elif x in self.unit_of and self.unit_of[x][0].kind != "single":
                reads.append(("columns", id(self.unit_of[x][0])))
            else:
                return ()
        if not any(r[0] == "columns" for r in reads):
            return ()
        return ("map", e.kind, e.op, tuple(reads))

    # --- reading one node or a block of columns ------------------------------------------

    def code(self, x: int | float) -> Code:
        """The code of one node's value (for a fused node: its column)."""
        if not isinstance(x, int):
            return x
        if x in self.unit_of:
            unit, column = self.unit_of[x]
            return unit.name if unit.kind == "single" else f"{unit.name}[:, {column}]"
        return self.entries[x].name

    def columns(self, unit: Unit, picks: list[int]) -> str:
        """The code of the columns `picks` of a fused unit, as one (samples, k) array."""
        if picks == list(range(len(unit.members))):
            return unit.name
        if picks == list(range(picks[0], picks[0] + len(picks))):
            return f"{unit.name}[:, {picks[0]}:{picks[0] + len(picks)}]"
        return f"{unit.name}[:, {picks}]"

    def matrix(self, xs: tuple[int, ...]) -> str:
        """The code of the inputs xs of a fused dot, side by side: (samples, len(xs))."""
        owners = {id(self.unit_of[x][0]) if x in self.unit_of else None for x in xs}
        if len(owners) == 1 and None not in owners:
            unit = self.unit_of[xs[0]][0]
            if unit.kind != "single":
                return self.columns(unit, [self.unit_of[x][1] for x in xs])
        slots = [self.entries[x].slot if self.entries[x].kind == "input" else -1 for x in xs]
        if slots[0] >= 0 and slots == list(range(slots[0], slots[0] + len(slots))):
            return f"_IN[:, {slots[0]}:{slots[0] + len(slots)}]"
        return f"_np.stack(({', '.join(str(self.code(x)) for x in xs)},), axis=1)"

    # --- forward ------------------------------------------------------------------------

    def lay_out(self) -> list[str]:
        """The lines that read the leaves into _P (a block per fused layer: its Θ row by
        row, then its b), and the number arguments' columns out of _IN."""
        lines = [
            "    _P = [_leaf.data for _leaf in _LEAVES]",
            "    if not _floats(_P):  # data set by hand (NaN, True, np.float32): eager mode's",
            "        raise _Fallback",
            "    _P = _np.array(_P)",
        ]
        for unit in self.units:
            if unit.kind != "dot":
                continue
            e = self.entries[unit.members[0]]
            n, m = len(e.inputs) // 2, len(unit.members)
            start = len(self.layout)
            rows = [self.entries[i].inputs[:n] for i in unit.members]
            self.layout += [self.entries[w].slot for row in rows for w in row]  # type: ignore[index]
            weights = self.namer.fresh(_stem(self.entries[e.inputs[0]].name))  # type: ignore[index]
            lines.append(f"    {weights} = _P[{start}:{start + m * n}].reshape({m}, {n})")
            bias = ""
            if len(e.inputs) % 2:
                bias = self.namer.fresh(_stem(self.entries[e.inputs[-1]].name))  # type: ignore[index]
                lines.append(f"    {bias} = _P[{len(self.layout)}:{len(self.layout) + m}]")
                self.layout += [self.entries[self.entries[i].inputs[-1]].slot for i in unit.members]  # type: ignore[index]
            self.blocks[id(unit)] = (weights, bias, start, m * n)
        for i in self._leaves_read_alone():
            self.position[i] = len(self.layout)
            self.layout.append(self.entries[i].slot)
            lines.append(f"    {self.entries[i].name} = _P[{self.position[i]}]")
        lines += [f"    {e.name} = _IN[:, {e.slot}]" for e in self.entries if e.kind == "input"]
        return lines

    def _leaves_read_alone(self) -> list[int]:
        used = {self.tape.root}
        for g in self.tape.guards:
            used.update(x for x in g.operands if isinstance(x, int))
        for unit in self.units:
            if unit.kind != "dot":
                inputs = [x for i in unit.members for x in self.entries[i].inputs]
                used.update(x for x in inputs if isinstance(x, int))
        return [i for i in sorted(used) if self.entries[i].kind == "leaf"]

    def unit_codes(self, unit: Unit) -> list[Code]:
        """The code of each input of a map or single unit (for a map: whole columns)."""
        first = self.entries[unit.members[0]]
        if unit.kind == "single":
            return [self.code(x) for x in first.inputs]
        codes: list[Code] = []
        for k, x in enumerate(first.inputs):
            if isinstance(x, int) and x in self.unit_of and self.tape.samplewise[x]:
                owner = self.unit_of[x][0]
                picks = [self.unit_of[self.entries[i].inputs[k]][1] for i in unit.members]  # type: ignore[index]
                codes.append(self.columns(owner, picks))
            else:
                codes.append(self.code(x))
        return codes

    def forward_lines(self, unit: Unit) -> list[str]:
        first = self.entries[unit.members[0]]
        if unit.kind == "dot":
            weights, bias, _, _ = self.blocks[id(unit)]
            n = len(first.inputs) // 2
            x = self.matrix(first.inputs[n : 2 * n])  # type: ignore[arg-type]
            return [f"    {unit.name} = {x} @ {weights}.T" + (f" + {bias}" if bias else "")]
        codes = self.unit_codes(unit)
        if first.kind == "detach":
            return [f"    {unit.name} = {codes[0]}"]
        return assignment_lines(unit.name, first.op, codes, numpy=True)

    def guard_lines(self) -> dict[int, list[str]]:
        lines: dict[int, list[str]] = {}
        for index, g in enumerate(self.tape.guards):
            test = guard_test(g, [self.code(x) for x in g.operands], numpy=True)
            bad = f"_np.logical_not({test})" if g.outcome else f"({test})"
            bad = f"_np.broadcast_to({bad}, (_N,))"  # one flag per sample, even for numbers
            lines.setdefault(g.after, []).append(
                f"    _bad = {bad}  # guard {index}\n"
                f"    if _bad.any():\n        raise _Stale({index}, _bad)"
            )
        return lines

    def forward(self) -> list[str]:
        lines = ["def _replay(_IN, _N):", *self.lay_out(), "    # forward: each unit, all samples"]
        guards = self.guard_lines()
        for i, e in enumerate(self.entries):
            if e.kind not in ("input", "leaf") and self.unit_of[i][0].members[0] == i:
                lines += self.forward_lines(self.unit_of[i][0])
            lines += guards.pop(i, [])  # as soon as both operands are known
        checked: list[str] = []
        for i in self.tape.must_be_finite():
            whole = self.unit_of[i][0].name if i in self.unit_of else str(self.code(i))
            if whole not in checked:
                checked.append(whole)
        lines.append(f"    if not _finite({', '.join(checked)}):\n        raise _Fallback")
        return lines

    # --- backward -----------------------------------------------------------------------

    def gradient(self, x: int) -> str:
        unit = self.unit_of[x][0]
        return f"dJ_d{unit.name}"

    def add_to(self, x: int, code: str, summed_over_samples: bool, defined: set[int]) -> str:
        """The line that adds code (the chain rule's term) to ∂J/∂x. A term from a node that
        depends on the samples is summed over them when x does not."""
        reduce = summed_over_samples and not self.tape.samplewise[x]
        term = f"_np.sum({code})" if reduce else code
        if self.entries[x].kind == "leaf":
            return f"    _G[{self.position[x]}] += {term}"
        unit, column = self.unit_of[x]
        if unit.kind != "single":
            return f"    dJ_d{unit.name}[:, {column}] += {term}"
        if x in defined:
            return f"    dJ_d{unit.name} = dJ_d{unit.name} + {term}"
        defined.add(x)
        return f"    dJ_d{unit.name} = {term}"

    def add_columns(self, unit: Unit, picks: list[int], code: str) -> str:
        """The line that adds code, an array of len(picks) columns, to ∂J/∂unit's columns."""
        target = f"dJ_d{unit.name}"
        if len(set(picks)) < len(picks):  # a column twice: += would add only once
            return f"    _np.add.at({target}, (_np.s_[:], {picks}), {code})"
        if picks == list(range(len(unit.members))):
            return f"    {target} += {code}"
        return f"    {self.columns(unit, picks).replace(unit.name, target, 1)} += {code}"

    def backward_lines(self, unit: Unit, defined: set[int]) -> list[str]:
        first = self.entries[unit.members[0]]
        receives = self.tape.receives
        gradient = f"dJ_d{unit.name}"
        if unit.kind == "dot":
            return self.dot_backward(unit, gradient, defined)
        codes = self.unit_codes(unit)
        lines = []
        for k, x in enumerate(first.inputs):
            if not isinstance(x, int) or not receives[x]:
                continue
            local = local_grad_code(first.op, k, codes, unit.name, numpy=True)
            term = contribution(gradient, local)
            if unit.kind == "map" and self.tape.samplewise[x]:
                owner = self.unit_of[x][0]
                picks = [self.unit_of[self.entries[i].inputs[k]][1] for i in unit.members]  # type: ignore[index]
                lines.append(self.add_columns(owner, picks, term))
            else:
                lines.append(self.add_to(x, term, self.tape.samplewise[unit.members[0]], defined))
        return lines

    def dot_backward(self, unit: Unit, gradient: str, defined: set[int]) -> list[str]:
        """∂J/∂Θ = (∂J/∂z)ᵀ x, ∂J/∂b = Σ ∂J/∂z, ∂J/∂x = (∂J/∂z) Θ: for all rows at once."""
        first = self.entries[unit.members[0]]
        n = len(first.inputs) // 2
        xs: tuple[int, ...] = first.inputs[n : 2 * n]  # type: ignore[assignment]
        weights, bias, start, size = self.blocks[id(unit)]
        x = self.matrix(xs)
        lines = [f"    _G[{start}:{start + size}] += ({gradient}.T @ {x}).ravel()"]
        if bias:
            end = start + size + len(unit.members)
            lines.append(f"    _G[{start + size}:{end}] += {gradient}.sum(axis=0)")
        if not any(self.tape.receives[i] for i in xs):
            return lines
        owner = self.unit_of[xs[0]][0] if xs[0] in self.unit_of else None
        if owner is not None and x.startswith(owner.name) and owner.kind != "single":
            picks = [self.unit_of[i][1] for i in xs]
            return [*lines, self.add_columns(owner, picks, f"{gradient} @ {weights}")]
        lines.append(f"    _dX = {gradient} @ {weights}")
        return lines + [
            self.add_to(i, f"_dX[:, {k}]", True, defined)
            for k, i in enumerate(xs) if self.tape.receives[i]
        ]  # fmt: skip


    def does_backward(self, unit: Unit) -> bool:
        first = unit.members[0]
        return (self.entries[first].kind == "op" and self.tape.receives[first]
                and any(i in self.reached for i in unit.members))  # fmt: skip

    def seed(self, defined: set[int]) -> list[str]:
        """∂J/∂J = 1 for each sample."""
        root = self.tape.root
        if not self.tape.receives[root]:
            return []
        if self.entries[root].kind == "leaf":
            return [f"    _G[{self.position[root]}] += _N"]
        unit, column = self.unit_of[root]
        if unit.kind != "single":
            return [f"    dJ_d{unit.name}[:, {column}] += 1.0"]
        defined.add(root)
        ones = "_np.ones(_N)" if self.tape.samplewise[root] else "_float(_N)"
        return [f"    dJ_d{unit.name} = {ones}"]

    def backward(self) -> list[str]:
        lines = ["    # backward: ∂J/∂(each unit), from J down; the leaves' gradients gather in _G",
                 f"    _G = _np.zeros({len(self.layout)})"]  # fmt: skip
        active = [u for u in self.units if self.does_backward(u)]
        fused = [u for u in active if u.kind != "single"]
        lines += [f"    dJ_d{u.name} = _np.zeros_like({u.name})" for u in fused]
        defined: set[int] = set()
        lines += self.seed(defined)
        for unit in reversed(active):
            lines += self.backward_lines(unit, defined)
        lines.append("    if not _finite(_G):\n        raise _Fallback")
        lines.append("    for _leaf, _g in _zip(_LEAVES, _G.tolist()):\n        _leaf.grad += _g")
        root = self.code(self.tape.root)
        samplewise = self.tape.samplewise[self.tape.root]
        total = f"_float(_np.sum({root}))" if samplewise else f"_float({root}) * _N"
        return [*lines, f"    return {total}"]


def _stem(name: str) -> str:
    """z3 for z3_1: the name of a layer's unit, for the whole layer."""
    return re.sub(r"_\d+$", "", name)


def _finite(*arrays: Any) -> bool:
    total = sum(float(np.sum(a)) for a in arrays)
    return total - total == 0.0  # NaN and ±inf give NaN; an overflow is a false alarm


def batch_source(tape: Tape) -> str:
    """The source of `_replay(_IN, _N)` for tape (made once)."""
    if "numpy source" not in tape.cache:
        plan = _Plan(tape)
        lines = plan.forward() + plan.backward()
        tape.cache["numpy source"] = "\n".join(lines) + "\n"
        tape.cache["numpy leaves"] = tuple(tape.captured[s - tape.n_values] for s in plan.layout)
    source: str = tape.cache["numpy source"]
    return source


def batch_function(tape: Tape) -> Callable[[Any, int], float]:
    """_replay(IN, N) -> Σ J over the N samples (rows of IN); adds to the leaves' .grad."""
    if "numpy" not in tape.cache:
        source = batch_source(tape)
        namespace = {**HELPERS, "_np": np, "_Stale": Stale, "_Fallback": Fallback,
                     "_finite": _finite, "_floats": floats, "_zip": zip,
                     "_LEAVES": tape.cache["numpy leaves"]}  # fmt: skip
        tape.cache["numpy"] = compile_source(source, namespace, "batch replay")
    function: Callable[[Any, int], float] = tape.cache["numpy"]
    return function


@dataclass
class Batch:
    """The columns of step.sum: N samples, their numbers side by side (N, width), and
    each sample's arguments as Python numbers and lists."""

    n: int
    numbers: Any
    arrays: list[Any]

    def sample(self, i: int) -> list[object]:
        return [a[i].tolist() for a in self.arrays]


def batch(columns: tuple[object, ...], who: str, names: Sequence[str] = ()) -> Batch:
    """The columns as a Batch, or TypeError/ValueError naming the bad one (by f's
    parameter name, from `names`) and, for a number that is not finite, its sample."""
    if not columns:
        raise TypeError(f"{who} needs one column (a list over the samples) per argument of f")
    arrays: list[Any] = []
    for k, column in enumerate(columns):
        where = f"{who}: argument {names[k] if k < len(names) else f'#{k}'}"
        if isinstance(column, (str, bytes)) or not hasattr(column, "__len__"):
            raise TypeError(
                f"{where} must be a list with one entry per sample, "
                f"got {type(column).__name__} {column!r:.60}"
            )
        array = _numbers(column, where)
        n = len(arrays[0]) if arrays else len(array) if array.ndim else 0
        if array.ndim == 0 or len(array) != n or n == 0:
            raise ValueError(
                f"{who}: every argument needs one entry per sample, and at least one sample; "
                f"{where[len(who) + 2 :]} has {array.size if array.ndim == 0 else len(array)}, "
                f"not {n}"
            )
        arrays.append(array)
    n = len(arrays[0])
    numbers = np.concatenate([a.reshape(n, -1) for a in arrays], axis=1)
    if not np.isfinite(numbers).all():  # as Value(x) refuses it in eager mode
        _refuse_non_finite(arrays, n, who, names)
    return Batch(n, numbers, arrays)


def _refuse_non_finite(arrays: list[Any], n: int, who: str, names: Sequence[str]) -> None:
    """ValueError naming the first argument, and sample, holding a NaN or ±inf."""
    for k, array in enumerate(arrays):
        cells = array.reshape(n, -1)
        finite = np.isfinite(cells)
        if not finite.all():
            sample, cell = (int(i) for i in np.argwhere(~finite)[0])
            where = f"{who}: argument {names[k] if k < len(names) else f'#{k}'}"
            bad = float(cells[sample, cell])
            raise ValueError(f"{where} needs finite numbers, got {bad!r} in sample {sample}")


def _numbers(column: object, where: str) -> Any:
    """column as an array of floats, or a TypeError naming it: it must hold real numbers
    only, nested in one shape. Bools and numeric strings are refused, as the step refuses
    them (NumPy would read True as 1.0 and "1.5" as 1.5)."""
    if isinstance(column, np.ndarray) and column.dtype.kind in "iuf":
        return column.astype(float)
    try:
        cells = np.asarray(column, dtype=object)
    except ValueError as error:  # arrays of several shapes, which NumPy cannot lay out
        raise TypeError(f"{where} must hold numbers in one shape per sample ({error})") from None
    # one look per kind of cell, not per cell; a cell that is a list: the samples differ
    # in shape
    for kind in set(map(type, cells.flat)):
        if issubclass(kind, (bool, np.bool_)) or not issubclass(kind, numbers.Real):
            cell = next(c for c in cells.flat if type(c) is kind)
            hint = " (Values are not batched: call the step per sample)"
            raise TypeError(
                f"{where} must hold, per sample, a number or a list of numbers of one shape, "
                f"got {kind.__name__} {cell!r:.60}{hint if issubclass(kind, Value) else ''}"
            )
    try:
        return cells.astype(float)
    except OverflowError:  # an int too large for a float
        raise ValueError(f"{where} holds a number too large for a float") from None


def run(tape: Tape, data: Batch) -> float:
    """Σ J over the batch, and ∂(Σ J)/∂leaf added to each leaf's .grad."""
    function = batch_function(tape)
    with np.errstate(all="ignore"):  # the replay checks for NaN and inf itself
        return function(data.numbers, data.n)
