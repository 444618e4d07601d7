"""Finding the samples in a tape: J = g(Σₖ tₖ), each tₖ made by a graph of its own, all of
the same shape (a loss summed over a batch: tₖ = loss(model(xₖ), yₖ)).

Written out node by node, such a tape repeats one sample's code N times: a 100-sample
batch of an MLP(2, [16, 16, 1]) is 70,000 lines, and Python takes most of a second to
compile them. pycode.py writes it as a loop over the samples instead, one sample's code
long, in the order that backward() visits the nodes, so the numbers are the same.

A tape qualifies when: below J there is a chain of one-input ops down to a `sum` of
entries tₖ, each made by an op (a term that is a leaf or an argument has no graph of its
own to loop over: `total([p, p])`, `total(xs)`); every other node (the leaves aside)
belongs to exactly one tₖ's graph; the graphs match node for node (same ops, the same
leaves, inputs in the same places), differing only in their number arguments and in
their constants; and f made no comparisons.

A constant that differs between the samples (a target y, when f was traced on numbers,
as `fit` traces a batch) is read per sample, like a number argument: `lifted` says
where, `constants` holds each sample's. Constants that agree stay in the code as they
are. An exponent of `**` is never lifted: its rule asks whether it is a constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..core.engine import OPS
from .tape import Tape

__all__ = ["Repeat", "find_repeat"]


@dataclass(frozen=True)
class Repeat:
    """J = g(Σₖ tₖ) over `n` alike samples; sample 0's entries stand for each sample's."""

    total: int  # the sum node Σₖ tₖ
    chain: list[int]  # the entries between it and J (J first)
    body: list[int]  # sample 0's entries, each after its inputs
    term: int  # sample 0's tₖ
    slots: list[tuple[int, ...]]  # per sample: the number arguments its input entries read
    n: int
    #: (entry of sample 0, input position) -> the lifted constant read there (0, 1, …)
    lifted: dict[tuple[int, int], int] = field(default_factory=dict)
    constants: list[tuple[float, ...]] = field(default_factory=list)  # per sample, as lifted


def find_repeat(tape: Tape, smallest: int = 2) -> Repeat | None:
    """The samples of tape, if it is a sum over at least `smallest` alike ones; else None."""
    entries = tape.entries
    if tape.guards:
        return None
    chain, i = [], tape.root
    while entries[i].op != "sum" or entries[i].kind != "op":
        below = [x for x in entries[i].inputs if isinstance(x, int)]
        if entries[i].kind not in ("op", "nograd") or len(below) != 1:
            return None
        chain.append(i)
        i = below[0]
    terms = entries[i].inputs
    if len(terms) < smallest or not all(isinstance(t, int) for t in terms):
        return None
    if any(entries[t].kind in ("leaf", "input") for t in terms):  # type: ignore[index]
        return None  # a term with no graph of its own (and perhaps a term twice)
    owner = _owners(tape, terms)  # type: ignore[arg-type]
    if owner is None:
        return None
    members: list[list[int]] = [[] for _ in terms]
    for j, k in enumerate(owner):
        if k >= 0:
            members[k].append(j)
        elif entries[j].kind != "leaf" and j != i and j not in chain:
            return None  # a node outside the samples: no loop
    alike = _alike(tape, members, owner, terms)  # type: ignore[arg-type]
    if alike is None:
        return None
    slots, varying = alike
    lifted, constants = _lift(tape, members, varying)
    return Repeat(i, chain, members[0], terms[0], slots, len(terms), lifted, constants)  # type: ignore[arg-type]


def _owners(tape: Tape, terms: list[int]) -> list[int] | None:
    """For each entry, the sample whose graph holds it (-1: a leaf or none); None if two
    samples share a node."""
    entries = tape.entries
    owner = [-1] * len(entries)
    for k, term in enumerate(terms):
        stack = [term]
        while stack:
            j = stack.pop()
            if owner[j] == k or entries[j].kind == "leaf":
                continue
            if owner[j] >= 0:
                return None
            owner[j] = k
            stack.extend([x for x in entries[j].inputs if x.__class__ is int])
    return owner


def _alike(
    tape: Tape, members: list[list[int]], owner: list[int], terms: list[int]
) -> tuple[list[tuple[int, ...]], set[tuple[int, int]]] | None:
    """(the number slots of each sample's input entries, the places (entry of sample 0,
    input position) where a constant differs between samples), if every sample's graph
    matches sample 0's node for node; else None."""
    entries = tape.entries
    local = [0] * len(entries)
    for group in members:
        for position, j in enumerate(group):
            local[j] = position
    first = members[0]
    slots = []
    varying: set[tuple[int, int]] = set()
    for k, group in enumerate(members):
        if len(group) != len(first) or local[terms[k]] != local[terms[0]]:
            return None
        for a_index, b_index in zip(first, group):
            a, b = entries[a_index], entries[b_index]
            if a.kind != b.kind or a.op != b.op or len(a.inputs) != len(b.inputs):
                return None
            for p, (x, y) in enumerate(zip(a.inputs, b.inputs)):
                if x.__class__ is float:
                    if y.__class__ is not float:
                        return None
                    if not _same(x, y):
                        if p in _KIND_TESTED.get(a.op, ()):
                            return None
                        varying.add((a_index, p))
                elif owner[x] < 0:  # type: ignore[index]  # a leaf: the same one
                    if x != y:
                        return None
                elif y.__class__ is float or owner[y] != k or local[x] != local[y]:  # type: ignore[index]
                    return None
        slots.append(tuple(entries[j].slot for j in group if entries[j].kind == "input"))
    return slots, varying


def _lift(
    tape: Tape, members: list[list[int]], varying: set[tuple[int, int]]
) -> tuple[dict[tuple[int, int], int], list[tuple[float, ...]]]:
    """(lifted, constants) of a Repeat: one lifted constant per distinct column of values
    over the samples (a sample's x₁ feeds every neuron of the first layer: one read)."""
    entries = tape.entries
    first = members[0]
    at = {j: position for position, j in enumerate(first)}
    columns: dict[tuple[str, ...], int] = {}
    lifted: dict[tuple[int, int], int] = {}
    values: list[list[float]] = []
    for entry, p in sorted(varying):
        column = [entries[group[at[entry]]].inputs[p] for group in members]
        key = tuple(map(float.hex, column))  # -0.0 is not 0.0
        if key not in columns:
            columns[key] = len(values)
            values.append(column)
        lifted[(entry, p)] = columns[key]
    constants = [tuple(column[k] for column in values) for k in range(len(members))]
    return lifted, constants


def _same(x: float, y: float) -> bool:
    """The same constant, to the bit (0.0 and -0.0 differ)."""
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)


def _kind_tested() -> dict[str, frozenset[int]]:
    """For each op, the inputs whose *kind* its rule tests (`b.__class__ is float` in the
    domain of **): a constant there cannot become a variable."""
    found = {}
    for name, op in OPS.items():
        conditions = " ".join(d.condition for d in op.rule.domain) if op.rule else ""
        tested = {k for k, v in enumerate("ab") if f"{v}.__class__" in conditions}
        if tested:
            found[name] = frozenset(tested)
    return found


_KIND_TESTED = _kind_tested()
