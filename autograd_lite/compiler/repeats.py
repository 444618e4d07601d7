"""Finding the samples in a tape: J = g(Σₖ tₖ), each tₖ made by a graph of its own, all of
the same shape (a loss summed over a batch: tₖ = loss(model(xₖ), yₖ)).

Written out node by node, such a tape repeats one sample's code N times: a 100-sample
batch of an MLP(2, [16, 16, 1]) is 70,000 lines, and Python takes most of a second to
compile them. pycode.py writes it as a loop over the samples instead, one sample's code
long, in the order that backward() visits the nodes, so the numbers are the same.

A tape qualifies when: below J there is a chain of one-input ops down to a `sum` of
entries tₖ; every other node (the leaves aside) belongs to exactly one tₖ's graph; the
graphs match node for node (same ops, same constants, the same leaves, inputs in the
same places), differing only in their number arguments; and f made no comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    owner = _owners(tape, terms)  # type: ignore[arg-type]
    if owner is None:
        return None
    members: list[list[int]] = [[] for _ in terms]
    for j, k in enumerate(owner):
        if k >= 0:
            members[k].append(j)
        elif entries[j].kind != "leaf" and j != i and j not in chain:
            return None  # a node outside the samples: no loop
    slots = _alike(tape, members, owner, terms)  # type: ignore[arg-type]
    if slots is None:
        return None
    return Repeat(i, chain, members[0], terms[0], slots, len(terms))  # type: ignore[arg-type]


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
            stack.extend(x for x in entries[j].inputs if isinstance(x, int))
    return owner


def _alike(
    tape: Tape, members: list[list[int]], owner: list[int], terms: list[int]
) -> list[tuple[int, ...]] | None:
    """The number slots of each sample's input entries, if every sample's graph matches
    sample 0's node for node; else None."""
    entries = tape.entries
    local = [0] * len(entries)
    for group in members:
        for position, j in enumerate(group):
            local[j] = position
    first = members[0]
    slots = []
    for k, group in enumerate(members):
        if len(group) != len(first) or local[terms[k]] != local[terms[0]]:
            return None
        for a_index, b_index in zip(first, group):
            a, b = entries[a_index], entries[b_index]
            if a.kind != b.kind or a.op != b.op or len(a.inputs) != len(b.inputs):
                return None
            for x, y in zip(a.inputs, b.inputs):
                if x.__class__ is float or owner[x] < 0:  # type: ignore[index]
                    if x != y:  # the same constant, the same leaf
                        return None
                elif y.__class__ is float or owner[y] != k or local[x] != local[y]:  # type: ignore[index]
                    return None
        slots.append(tuple(entries[j].slot for j in group if entries[j].kind == "input"))
    return slots
