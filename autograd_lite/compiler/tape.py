"""Tracing: run f once on Values and write down what it computed, as a tape.

A tape is the graph of one call of f, laid out as a list of entries, each after its
inputs, with what the replay needs to know of each:

- `input`: a number argument of f (inside f it was a fresh Value, so the ops on it were
  recorded; it takes no gradient, as a number takes none in eager mode);
- `leaf`: a Value that f reached and did not make: a captured parameter, or a Value
  argument. The replay reads its `.data` and adds to its `.grad`;
- `op`: a recorded op, replayed from its rule in `engine.OPS`;
- `nograd`: an op made under `no_grad` (a leaf in eager mode): its value is replayed,
  it sends no gradient;
- `detach`: `x.detach()`: the value of x, no gradient.

Beside the entries the tape keeps its guards: every comparison of Values f made, and
every op that refused its inputs while f caught the error, with its outcome and the
file:line that made it. A replay checks each guard as soon as its operands are known; a
changed outcome means f would take another path, so the tape is stale. The entries hold
every node f made, also those it did not use: eager mode makes them, and an op among them
may leave its domain. `signature` (the nesting of the arguments, which of them are
Values, and the grad mode) is the key a tape is valid for.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from ..core import modes, tracehook
from ..core.collector import no_gc
from ..core.engine import OPS, Value, topological_order
from ..core.functional import single_value
from ..core.validation import real_number
from .names import ACTIVATION_OPS, Namer, identifier, op_name

__all__ = [
    "Entry", "FailedOnValues", "Fallback", "Guard", "Stale", "Tape", "flatten", "name_entries",
    "rebuild", "trace",
]

#: Names no other node may take: J, the root's. The generated code's own names (its
#: arguments, loop variables, helpers and builtins) all start with `_`, which no node's
#: name does (codenames.Namer), so they need no list here that could fall behind it.
RESERVED = frozenset({"J"})


class Stale(Exception):
    """Raised by a replay whose guard `index` failed: f would take another branch."""

    def __init__(self, index: int, samples: Any = None) -> None:
        super().__init__(index)
        self.index = index
        self.samples = samples  # for .sum: which samples failed it


class FailedOnValues(Exception):
    """f raised (the cause) while it ran on the Values standing for its arguments."""


class Fallback(Exception):
    """Raised by a replay that met a non-finite number or left an op's domain: the step
    is rerun eagerly, which raises the engine's own error (or applies its zero rule)."""


def _masking_ops() -> frozenset[str]:
    """The ops whose result can be finite though an input is not: relu(-inf) = 0,
    tanh(inf) = 1, 1 / inf = 0, leaky_relu(1, negative_slope=inf) = 1, …

    A replay checks only J and a few nodes for NaN and ±inf (Tape.must_be_finite): the
    inputs of these ops must be among them, or an overflow the engine would refuse could
    vanish inside one. So the set is found by running each op's forward in engine.OPS with
    one input at ±inf or NaN and the others finite, not kept by hand beside the rules,
    where a new op (or a new input of an op) would be missed."""
    probes, finite = (math.inf, -math.inf, math.nan), (0.0, 1.0, -1.0, 2.0, 0.5, -2.5)
    found = set()
    for name, op in OPS.items():
        arity = op.rule.arity if op.rule is not None else 3  # the n-ary ops: with three
        for position, probe in itertools.product(range(arity), probes):
            for others in itertools.product(finite, repeat=arity - 1):
                args = [*others[:position], probe, *others[position:]]
                try:
                    out = op.forward(*args)
                except (ArithmeticError, ValueError):
                    continue  # refused: a replay meets the same error, or its domain check
                if math.isfinite(out):
                    found.add(name)
    return frozenset(found)


#: Ops whose result can be finite though an input is not (see _masking_ops).
MASKING_OPS = _masking_ops()


@dataclass
class Entry:
    """One node of the tape. `inputs` holds entry indices (int) and constants (float)."""

    kind: str  # "input", "leaf", "op", "nograd" or "detach"
    op: str
    inputs: tuple[int | float, ...]
    slot: int = -1  # input: index among the number arguments; leaf: index among leaves
    label: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Guard:
    """Something f's path depended on, which every replay checks again:

    - a comparison of Values: `operands[0] op operands[1]` was `outcome` (op: < <= > >=);
    - a refusal: the engine refused op (an op of engine.OPS) on these operands, raising
      `error` (a domain's error, or OverflowError), and f caught it. "The engine refuses
      them with that error" was True (`outcome`): on a replay where it does not, f
      would take another path.

    The operands are entries (int) or constants (float); `after` is the entry after which
    they are all known."""

    op: str
    operands: tuple[int | float, ...]
    outcome: bool
    site: str
    after: int
    error: type[BaseException] | None = None  # a refusal's error; None: a comparison

    def describe(self, names: Sequence[str]) -> str:
        shown = [names[x] if isinstance(x, int) else repr(x) for x in self.operands]
        if self.error is not None:
            return f"{self.op}({', '.join(shown)}) raises {self.error.__name__}"
        return f"{shown[0]} {self.op} {shown[1]}"


@dataclass
class Tape:
    entries: list[Entry]
    root: int
    guards: list[Guard]
    captured: tuple[Value, ...]  # the leaves f reached that are not arguments
    n_numbers: int
    n_values: int  # Value arguments: leaves len(captured) … after the captured ones
    backward: list[int]  # op entries that pass gradient on, in eager backward() order
    receives: list[bool]  # per entry: does ∂J/∂entry reach a leaf's .grad?
    samplewise: list[bool]  # per entry: does it depend on a number argument?
    signature: object
    cache: dict[str, Any] = field(default_factory=dict)  # generated code, by flavour
    #: Why this trace must not be replayed (None: it may be): the step runs f eagerly.
    eager_reason: str | None = None
    #: The ends of the nodes f made and did not use (no entry uses them, and they are not
    #: J): eager mode makes them too, so a replay checks that they are finite.
    unused_ends: list[int] = field(default_factory=list)

    #: each entry's identifier ("" until name_entries gives it one)
    names: list[str] = field(default_factory=list)

    def must_be_finite(self) -> list[int]:
        """The entries a replay checks are finite, so that it meets every overflow and NaN
        the eager forward pass would have refused: J, the ends of unused nodes, the
        guards' operands, and the inputs of the ops that can turn a non-finite input into
        a finite result (a NaN or ±inf anywhere else reaches one of them)."""
        wanted = {self.root, *self.unused_ends}
        for g in self.guards:
            wanted.update(x for x in g.operands if isinstance(x, int))
        for e in self.entries:
            if e.op in MASKING_OPS:
                wanted.update(x for x in e.inputs if isinstance(x, int))
        return sorted(wanted)


# --- arguments ------------------------------------------------------------------------


def flatten(
    args: Sequence[object], who: str, names: Sequence[str] = ()
) -> tuple[object, list[float], list[Value]]:
    """(signature, the number arguments in order, the Value arguments in order).

    A number argument must be what `Value(x)` accepts, as eager mode makes a Value of it:
    a finite real number, not a bool. Otherwise a TypeError or ValueError names `who` and
    the argument, by f's parameter name (`names`) and its place in a list: `xs[1]`."""
    numbers_out: list[float] = []
    values: list[Value] = []

    def finite(items: Any, path: tuple[int, ...]) -> None:
        """Refuses the first NaN or ±inf among items, floats all."""
        if not _finite_sum(items):  # a NaN or ±inf among them (or a sum that overflows)
            for k, item in enumerate(items):
                if item - item != 0.0:
                    _refuse(item, who, _where((*path, k), names))

    def walk(x: object, path: tuple[int, ...]) -> object:
        cls = x.__class__
        if cls is float:
            if x - x != 0.0:  # type: ignore[operator]  # NaN and ±inf give NaN
                _refuse(x, who, _where(path, names))
            numbers_out.append(x)  # type: ignore[arg-type]
            return 0
        if cls is list or cls is tuple:
            items: Sequence[object] = x  # type: ignore[assignment]
            if all(item.__class__ is float for item in items):  # the common case, at once
                finite(items, path)
                numbers_out.extend(items)  # type: ignore[arg-type]
                return (cls is tuple, len(items))
            if _ROWS.issuperset(map(type, items)):  # a batch: lists of floats, at once
                rows = cast(Sequence[Sequence[float]], items)
                flat = list(itertools.chain.from_iterable(rows))
                if _JUST_FLOAT.issuperset(map(type, flat)):
                    if not _finite_sum(flat):
                        for k, row in enumerate(rows):
                            finite(row, (*path, k))
                    numbers_out.extend(flat)
                    shapes = [(row.__class__ is tuple, len(row)) for row in rows]
                    return (cls is tuple, tuple(shapes))
            return (cls is tuple, tuple([walk(item, (*path, k)) for k, item in enumerate(items)]))
        if isinstance(x, Value):
            values.append(x)
            return 1
        if isinstance(x, numbers.Real) and not isinstance(x, bool):
            numbers_out.append(real_number(x, f"{who}: argument {_where(path, names)}"))
            return 0
        raise TypeError(
            f"{who}: argument {_where(path, names)} must be a number, a Value or a list of "
            f"them, got {type(x).__name__} {x!r:.60}"
        )

    shape = tuple([walk(a, (i,)) for i, a in enumerate(args)])
    return (modes.is_grad_enabled(), shape), numbers_out, values


_JUST_FLOAT = frozenset({float})
_ROWS = frozenset({list, tuple})


def _finite_sum(floats: Any) -> bool:
    total = sum(floats, 0.0)
    return bool(total - total == 0.0)  # NaN and ±inf give NaN


def _where(path: tuple[int, ...], names: Sequence[str]) -> str:
    """An argument's place, by f's parameter name: `x`, `xs[1]` (`#0` where f has none)."""
    head = names[path[0]] if path[0] < len(names) else f"#{path[0]}"
    return head + "".join(f"[{k}]" for k in path[1:])


def _refuse(x: object, who: str, where: str) -> None:
    raise ValueError(f"{who}: argument {where} needs a finite number, got {x!r}")


def rebuild(
    args: Sequence[object], numbers_in: Sequence[Value], values: Sequence[Value]
) -> list[Any]:
    """args with each number replaced by the next of numbers_in, each Value by the next of
    values (same nesting, lists stay lists and tuples tuples)."""
    numbers_it, values_it = iter(numbers_in), iter(values)

    def walk(x: object) -> object:
        if isinstance(x, (list, tuple)):
            return type(x)(walk(item) for item in x)
        return next(values_it) if isinstance(x, Value) else next(numbers_it)

    return [walk(a) for a in args]


# --- the trace ------------------------------------------------------------------------


class _Recorder:
    """Collects the engine's reports during a trace (see tracehook.py)."""

    def __init__(self) -> None:
        #: comparisons ("compare", left, op, right, outcome, site) and refusals ("refuse",
        #: op, operands, error, site), in the order f made them
        self.events: list[tuple[Any, ...]] = []
        self.hidden: dict[int, tuple[Value, str, tuple[Any, ...]]] = {}
        self.made_nodes: list[Value] = []  # every node f made, used or not, in order

    def compared(self, left: Any, op: str, right: Any, outcome: bool) -> None:
        self.events.append(("compare", left, op, right, outcome, _site()))

    def refused(self, op: str, operands: tuple[Any, ...], error: BaseException) -> None:
        self.events.append(("refuse", op, operands, error, _site()))

    def made(self, node: Any, op: str, edges: tuple[Any, ...]) -> None:
        self.made_nodes.append(node)
        if not node.edges:  # made under no_grad: a leaf, whose value the replay recomputes
            self.hidden[id(node)] = (node, op, edges[: len(edges) // 2])

    def detached(self, source: Any, copy: Any) -> None:
        self.hidden[id(copy)] = (copy, "detach", (source,))


class _Site:
    __slots__ = ("__weakref__",)


def _site() -> str:
    """The file:line of the user's code that is running (modes' search for it)."""
    marker = _Site()
    modes.remember_creation_site(marker)
    return modes.creation_site(marker)


def trace(f: Any, args: Sequence[object], arg_names: Sequence[str]) -> Tape:
    """The tape of f(*args): f runs once on Values standing for its arguments."""
    signature, numbers_in, values_in = flatten(args, "compile")
    number_proxies = [Value(x) for x in numbers_in]
    value_proxies = [Value(v.data, v.label) for v in values_in]
    recorder = _Recorder()
    try:
        with no_gc(), modes.slow_path(), tracehook.recording(recorder):
            result = f(*rebuild(args, number_proxies, value_proxies))
    except Exception as error:
        raise FailedOnValues from error
    out = single_value(result, "compile")
    arguments = {id(p): ("input", i) for i, p in enumerate(number_proxies)}
    arguments.update({id(p): ("leaf", i) for i, p in enumerate(value_proxies)})
    builder = _Builder(recorder, arguments)
    with no_gc():
        eager = topological_order(out)  # the order backward() visits, reversed
        in_graph = {id(node) for node in eager}
        unused = [n for n in recorder.made_nodes if id(n) not in in_graph]
        ends: list[int] = []
        if recorder.hidden or recorder.events or unused:
            guards = builder.guards(recorder.events)
            root = builder.add(out)
            for node in unused:  # eager mode makes them too: their domains are checked
                builder.add(node)
            inputs = {id(x) for node in unused for x in builder.inputs_of(node)}
            ends = [builder.index[id(n)] for n in unused if id(n) not in inputs]
        else:  # the graph is all there is: its order serves as the tape's
            guards = []
            index, entries, entry = builder.index, builder.entries, builder.entry
            for node in eager:  # builder.enter, inline: a tape has thousands of nodes
                index[id(node)] = len(entries)
                entries.append(entry(node))
            root = len(entries) - 1
        tape = builder.tape(eager, root, guards, signature, len(numbers_in), len(values_in))
        tape.eager_reason = builder.eager_reason
        tape.unused_ends = ends
    tape.cache["argument names"] = _argument_names(args, arg_names)
    tape.names = [""] * len(tape.entries)  # given by name_entries, as the code needs them
    return tape


class _Builder:
    """Lays the traced graph out as entries, each after its inputs."""

    def __init__(self, recorder: _Recorder, arguments: dict[int, tuple[str, int]]) -> None:
        self.hidden = recorder.hidden
        self.arguments = arguments
        self.n_values = sum(kind == "leaf" for kind, _ in arguments.values())
        self.index: dict[int, int] = {}  # id(node) -> its entry
        self.entries: list[Entry] = []
        self.captured: list[Value] = []
        self.eager_reason: str | None = None

    def inputs_of(self, node: Value) -> tuple[Any, ...]:
        if node.edges:
            return node.inputs
        hidden = self.hidden.get(id(node))
        return hidden[2] if hidden is not None else ()

    def add(self, top: Value) -> int:
        """The entry of top, after adding it and all below it (a depth-first search, as
        engine.topological_order, that also walks into no_grad ops and detach)."""
        seen = {id(top)}
        stack = [(top, iter(self.inputs_of(top)))]
        while stack:
            node, pending = stack[-1]
            for x in pending:
                if x.__class__ is not float and id(x) not in self.index and id(x) not in seen:
                    seen.add(id(x))
                    stack.append((x, iter(self.inputs_of(x))))
                    break
            else:
                stack.pop()
                if id(node) not in self.index:
                    self.enter(node)
        return self.index[id(top)]

    def enter(self, node: Value) -> None:
        self.index[id(node)] = len(self.entries)
        self.entries.append(self.entry(node))

    def entry(self, node: Value) -> Entry:
        edges = node.edges
        if edges:  # an op, the common case, first; its inputs (node.inputs) as references
            index = self.index
            refs = tuple([x if x.__class__ is float else index[id(x)]
                          for x in edges[: len(edges) >> 1]])  # fmt: skip
            return Entry("op", node.op, refs, label=node.label)
        argument = self.arguments.get(id(node))
        if argument is not None:
            return Entry(argument[0], "", (), argument[1], node.label)
        hidden = self.hidden.get(id(node))
        if hidden is not None:
            kind = "detach" if hidden[1] == "detach" else "nograd"
            return Entry(kind, hidden[1], self.refs(hidden[2]), label=node.label)
        self.captured.append(node)
        return Entry("leaf", "", (), self.n_values + len(self.captured) - 1, node.label)

    def refs(self, inputs: Sequence[Any]) -> tuple[int | float, ...]:
        index = self.index
        return tuple([x if x.__class__ is float else index[id(x)] for x in inputs])

    def guards(self, events: list[tuple[Any, ...]]) -> list[Guard]:
        """The guards of the comparisons and refusals f made (see Guard). A refusal that
        no guard can check (of data set by hand to NaN, say) sets `eager_reason`."""
        guards = []
        for kind, *event in events:
            guard = self.comparison(*event) if kind == "compare" else self.refusal(*event)
            if guard is not None:
                guards.append(guard)
        return guards

    def comparison(self, left: Any, op: str, right: Any, outcome: bool, site: str) -> Guard:
        refs = [self.add(x) if isinstance(x, Value) else real_number(x, op) for x in (left, right)]
        after = max(r for r in refs if isinstance(r, int))
        return Guard(op, tuple(refs), outcome, site, after)

    def refusal(
        self, op: str, operands: tuple[Any, ...], error: BaseException, site: str
    ) -> Guard | None:
        """The guard "op refuses these operands", or None if it needs none: with constants
        only, op refuses them on every call. An op that refused a Value whose data is not a
        finite float (set by hand), or an operand that is no number, makes the trace one
        that must not be replayed: the guard could not tell when f's path changes."""
        if not any(isinstance(x, Value) for x in operands):
            return None
        rule = OPS[op].rule
        errors = {OverflowError, *(d.error for d in rule.domain)} if rule else {OverflowError}
        plain = all(_plain(x.data if isinstance(x, Value) else x) for x in operands)
        if not plain or type(error) not in errors:
            self.eager_reason = (
                f"f caught the {type(error).__name__} that {op} raised ({error}), on inputs a "
                "guard cannot check"
            )
            return None
        refs = tuple(self.add(x) if isinstance(x, Value) else float(x) for x in operands)
        after = max(r for r in refs if isinstance(r, int))
        return Guard(op, refs, True, site, after, error=type(error))

    def tape(
        self, eager: list[Value], root: int, guards: list[Guard], signature: object,
        n_numbers: int, n_values: int,
    ) -> Tape:
        entries = self.entries
        receives: list[bool] = []
        samplewise: list[bool] = []
        for e in entries:
            kind = e.kind
            below = [i for i in e.inputs if i.__class__ is int]
            receives.append(
                kind == "leaf" or (kind == "op" and any(map(receives.__getitem__, below)))
            )
            samplewise.append(kind == "input" or any(map(samplewise.__getitem__, below)))
        # eager backward() visits the recorded graph in this order: so do we, so that every
        # gradient is summed in the same order, and comes out the same to the last bit
        backward = [self.index[id(n)] for n in reversed(eager)]
        backward = [i for i in backward if entries[i].kind == "op" and receives[i]]
        return Tape(
            entries, root, guards, tuple(self.captured), n_numbers, n_values, backward,
            receives, samplewise, signature,
        )


def _plain(x: object) -> bool:
    """Is x a number that a replay computes with as eager mode does: a finite float, or
    an int that converts to one exactly as the engine converts it (x ** 2)?"""
    if isinstance(x, int):
        return x.__class__ is int and -1e300 < x < 1e300
    return isinstance(x, float) and x.__class__ is float and x - x == 0.0


def _argument_names(args: Sequence[object], names: Sequence[str]) -> tuple[list[str], list[str]]:
    """(a name for each number argument, for each Value argument): x, or x_1, x_2, … for
    the items of a list x (1-based, as in the notation)."""
    number_names: list[str] = []
    value_names: list[str] = []

    def walk(x: object, name: str) -> None:
        if isinstance(x, (list, tuple)):
            for k, item in enumerate(x):
                walk(item, f"{name}_{k + 1}")
        else:
            (value_names if isinstance(x, Value) else number_names).append(name)

    for i, a in enumerate(args):
        walk(a, identifier(names[i]) if i < len(names) else f"arg{i}")
    return number_names, value_names


def name_entries(tape: Tape, wanted: Iterable[int] | None = None) -> None:
    """Gives each entry of `wanted` (None: every entry) that has none a unique identifier
    (see names.py), in entry order. A loop over samples names only the entries its code
    reads (sample 0's, the leaves, the sum and what lies above it): naming the thousands
    of others would be a tenth of the trace."""
    entries = tape.entries
    if "namer" not in tape.cache:
        tape.cache["namer"] = Namer(RESERVED)
    namer: Namer = tape.cache["namer"]
    number_names, value_names = tape.cache["argument names"]
    for index in sorted(range(len(entries)) if wanted is None else set(wanted)):
        e = entries[index]
        if e.name:
            continue
        if index == tape.root and e.kind not in ("input", "leaf"):
            e.name = "J"
        else:
            numbered = False
            if e.label and identifier(e.label):
                base = identifier(e.label)
            elif e.kind == "input":
                base = number_names[e.slot]
            elif e.kind == "leaf":
                numbered = e.slot >= tape.n_values
                base = "p" if numbered else value_names[e.slot]
            else:
                base = _derived_name(e, entries)
                numbered = not base
                base = base or op_name(e.op)
            e.name = namer.fresh(base, numbered)
        tape.names[index] = e.name


def _derived_name(e: Entry, entries: list[Entry]) -> str:
    """z⁽ˡ⁾ⱼ for a neuron's dot (its bias is b⁽ˡ⁾ⱼ), a⁽ˡ⁾ⱼ for its activation; else ""."""
    if e.op == "dot" and len(e.inputs) % 2 == 1 and isinstance(e.inputs[-1], int):
        bias = entries[e.inputs[-1]]
        if bias.label and bias.label.startswith("b") and len(identifier(bias.label)) > 1:
            return "z" + identifier(bias.label)[1:]
    if e.op in ACTIVATION_OPS and isinstance(e.inputs[0], int):
        below = entries[e.inputs[0]].name
        if below.startswith("z") and e.kind == entries[e.inputs[0]].kind:
            return "a" + below[1:].split("__")[0]
    return ""
