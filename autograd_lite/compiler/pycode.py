"""A tape as straight-line Python: one line per node forward, one per edge backward.

    def _replay(_numbers, _L):
        x_1, x_2, y_1, y_2 = _numbers
        Θ2_11 = _L[0].data
        ...
        z2_1 = 0.0 + Θ2_11 * x_1 + Θ2_12 * x_2 + b2_1
        a2_1 = z2_1 if z2_1 > 0.0 else 0.0
        ...
        dJ_dJ = 1.0
        ...
        dJ_dz3_1 = dJ_da3_1 * (1.0 if z3_1 > 0.0 else 0.0)
        dJ_dΘ3_11 += dJ_dz3_1 * a2_1
        ...

Every line comes from the op's rule in engine.OPS (see ruleexpr.py), and the backward
lines visit the nodes in the order `backward()` does and add in the same order, so the
numbers come out as eager mode's, to the last bit.

What the straight line leaves out it checks: each guard (a comparison f made, or an op
that refused its inputs while f caught the error) raises `Stale` when its outcome
changes; a leaf whose data is not a finite float, a value out of an op's domain, or a
non-finite value or gradient, raises `Fallback` before any `.grad` is written (the caller
then reruns the step eagerly, which raises the engine's error, applies its zero rule, or
converts the data as eager mode does).

The variables are the nodes' names (names.py) and their gradients' (`dJ_d` + name);
every other name the code uses is its own and starts with `_` (`_L`, the leaves; `_k`, the
sample; `_exp`, the engine's helper), which no node's name does, so a parameter labelled
`k` or `exp` cannot hide one. The builtins it calls are bound under such names too
(`_range`, `_sum`).

The source is generated from our own tape and rule table, never from user text (not even
the file name of a comparison, which the error messages read from the tape), and compiled
with `compile()`/`exec` by `compile_source`.
"""

from __future__ import annotations

import ast
import functools
import itertools
import keyword
import linecache
import operator
import re
import textwrap
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .repeats import Repeat, find_repeat
from .ruleexpr import HELPERS, Code, assignment_lines, local_grad_code, refusal_code, sum_of
from .tape import Fallback, Guard, Stale, Tape, name_entries

__all__ = [
    "compile_source", "contribution", "floats", "guard_test", "python_source", "replay_function",
]

_counter = itertools.count(1)
_HERE = str(Path(__file__).resolve().parents[1])  # autograd_lite/, not compiler/


def compile_source(source: str, namespace: dict[str, Any], shown: str) -> Callable[..., Any]:
    """The function `_replay` that source defines, with namespace as its globals.

    Tracebacks show the generated lines: the source is registered with linecache under a
    name of its own, and unregistered when the function is dropped. The name starts
    with the package's directory, so that detect_anomaly's search for the user's line
    skips it like the rest of the package."""
    filename = f"{_HERE}/<{shown} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope = dict(namespace)
    exec(compile(source, filename, "exec"), scope)  # our own tape, never user text
    function: Callable[..., Any] = scope["_replay"]
    weakref.finalize(function, linecache.cache.pop, filename, None)
    return function


def _finite(values: tuple[float, ...]) -> bool:
    total = sum(values, 0.0)
    return bool(total - total == 0.0)  # NaN and ±inf give NaN; an overflow is a false alarm


_JUST_FLOAT = frozenset({float})


def floats(values: Any) -> bool:
    """Are all these finite floats (not NaN or ±inf, nor another kind of number: an int, a
    bool, np.float32)? A leaf's data is one unless set by hand, and then eager mode
    converts it, or refuses it, op by op: the replay leaves that to eager mode."""
    if not _JUST_FLOAT.issuperset(map(type, values)):
        return False
    total = sum(values, 0.0)
    return bool(total - total == 0.0)  # an overflow of the sum is a false alarm, and harmless


_NAMESPACE: dict[str, Any] = {
    **HELPERS, "_Stale": Stale, "_Fallback": Fallback, "_finite": _finite, "_floats": floats,
    "_range": range, "_reversed": reversed,
}  # fmt: skip


def replay_function(tape: Tape) -> Callable[[list[float], tuple[Any, ...]], float]:
    """_replay(numbers, leaves) -> J: the compiled `python_source(tape)` (made once)."""
    if "python" not in tape.cache:
        namespace = dict(_NAMESPACE)
        repeat = find_repeat(tape)
        name_entries(tape, None if repeat is None else _read_by_loop(tape, repeat))
        if repeat is not None:
            namespace["_SLOTS"] = repeat.slots
            namespace["_GET"] = [operator.itemgetter(*s) if s else None for s in repeat.slots]
            namespace["_CONST"] = repeat.constants
        source = python_source(tape, repeat)
        tape.cache["python source"] = source
        tape.cache["python"] = compile_source(source, namespace, "replay")
    function: Callable[[list[float], tuple[Any, ...]], float] = tape.cache["python"]
    return function


def contribution(gradient: str, local_grad: str) -> str:
    """The code of gradient · local_grad, the chain rule's term (× 1 and × −1 left out)."""
    if local_grad == "1.0":
        return gradient
    if local_grad == "-1.0":
        return f"-{gradient}"
    shape = _WORD.sub(lambda m: m[0] if m[1] or keyword.iskeyword(m[0]) else "v", local_grad)
    return f"{gradient} * {local_grad if _is_atom(shape) else f'({local_grad})'}"


#: A number (kept: the e of 1e-05 is no name) or a name (made `v`, so that the shapes of
#: slopes repeat and _is_atom's cache serves them).
_WORD = re.compile(r"(\d[\d.]*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|[^\W\d]\w*")


@functools.lru_cache(maxsize=1024)
def _is_atom(shape: str) -> bool:
    """Can code of this shape (names replaced by v) stand after `*` unparenthesized?"""
    body = ast.parse(shape, mode="eval").body
    if isinstance(body, ast.Constant):
        return not shape.startswith("-")
    return isinstance(body, (ast.Name, ast.Call, ast.Subscript, ast.Attribute))


def python_source(tape: Tape, repeat: Repeat | None = None) -> str:
    """The source of `_replay(_numbers, _L)`: forward, checks, backward, and the write-back
    of the leaves' gradients (with a loop over the samples if `repeat` found them)."""
    if repeat is not None:
        return looped_source(tape, repeat)
    lines = ["def _replay(_numbers, _L):", *_reads(tape)]
    guards = _guards_by_position(tape)
    lines += guards.pop(-1, [])  # the guards on arguments and leaves alone
    lines.append("    # forward: the value of every node")
    for i, e in enumerate(tape.entries):
        if e.kind in ("op", "nograd", "detach"):
            lines += _forward_lines(tape, i)
            lines += guards.pop(i, [])
    checked = ", ".join(tape.names[i] for i in tape.must_be_finite())
    lines.append(f"    if not _finite(({checked},)):\n        raise _Fallback")
    lines += _backward_lines(tape)
    lines.append(f"    return {tape.names[tape.root]}")
    return "\n".join(lines) + "\n"


def _reads(tape: Tape, numbers: bool = True) -> list[str]:
    """The lines that read the number arguments (unless a loop reads them sample by
    sample) and the leaves' data."""
    by_slot = ["_"] * (tape.n_numbers if numbers else 0)
    for e in tape.entries:
        if e.kind == "input" and numbers:
            by_slot[e.slot] = e.name
    lines = ["    # the arguments, and the data of the leaves (parameters, Value arguments)"]
    if not by_slot:
        pass
    elif len(by_slot) <= 12:
        lines.append(f"    {', '.join(by_slot)}{',' if len(by_slot) == 1 else ''} = _numbers")
    else:
        lines += [f"    {n} = _numbers[{k}]" for k, n in enumerate(by_slot) if n != "_"]
    leaves = [e.name for e in tape.entries if e.kind == "leaf"]
    lines += [f"    {e.name} = _L[{e.slot}].data" for e in tape.entries if e.kind == "leaf"]
    if leaves:  # data set by hand (NaN, an int, a bool, np.float32): eager mode's business
        lines.append(f"    if not _floats(({', '.join(leaves)},)):\n        raise _Fallback")
    return lines


Lifted = dict[tuple[int, int], str]  # (entry, input position) -> the variable read there


def input_codes(tape: Tape, i: int, lifted: Lifted | None = None) -> list[Code]:
    """Entry i's inputs as code: their names, or the constants themselves (or, where a
    loop reads a constant per sample, the variable that holds it)."""
    names = tape.names
    codes: list[Code] = [names[x] if isinstance(x, int) else x for x in tape.entries[i].inputs]
    if lifted:
        for p in range(len(codes)):
            codes[p] = lifted.get((i, p), codes[p])
    return codes


def _forward_lines(tape: Tape, i: int, lifted: Lifted | None = None) -> list[str]:
    e = tape.entries[i]
    inputs = input_codes(tape, i, lifted)
    if e.kind == "detach":
        return [f"    {e.name} = {inputs[0]}"]
    return assignment_lines(e.name, e.op, inputs)


def guard_test(guard: Guard, codes: list[Code], numpy: bool = False) -> str:
    """The code of a guard's test (its operands' code given): the comparison, or "the
    engine refuses op's inputs with the error it raised when f was traced"."""
    if guard.error is not None:
        return refusal_code(guard.op, codes, guard.error, numpy)
    left, right = (c if isinstance(c, str) else repr(c) for c in codes)
    return f"{left} {guard.op} {right}"


def _guard_line(tape: Tape, index: int, guard: Guard) -> str:
    names = tape.names
    test = guard_test(guard, [names[x] if isinstance(x, int) else x for x in guard.operands])
    if guard.outcome:
        return f"    if not ({test}):  # guard {index}\n        raise _Stale({index})"
    return f"    if {test}:  # guard {index}\n        raise _Stale({index})"


def _guards_by_position(tape: Tape) -> dict[int, list[str]]:
    """Each guard's lines, by the entry after whose forward line they go: the last of its
    operands that the forward pass computes (-1: all are read before it, as arguments,
    leaves or constants)."""
    entries = tape.entries
    lines: dict[int, list[str]] = {}
    for index, guard in enumerate(tape.guards):
        computed = [x for x in guard.operands
                    if isinstance(x, int) and entries[x].kind not in ("input", "leaf")]  # fmt: skip
        lines.setdefault(max(computed, default=-1), []).append(_guard_line(tape, index, guard))
    return lines


def _backward_lines(tape: Tape) -> list[str]:
    """∂J/∂node from J down, one line per edge, in backward()'s order; then the leaves."""
    lines = ["    # backward: ∂J/∂node, from J down (the chain rule, one edge a line)"]
    leaves = _leaves_with_gradient(tape)
    lines += _leaf_reads(tape, leaves)
    defined = set(leaves)
    lines += _seed(tape, defined)
    lines += _edge_lines(tape, tape.backward, defined)
    return lines + _write_back(tape, leaves)


def _leaf_reads(tape: Tape, leaves: list[int]) -> list[str]:
    entries = tape.entries
    return [f"    dJ_d{entries[i].name} = _L[{entries[i].slot}].grad" for i in leaves]


def _seed(tape: Tape, defined: set[int]) -> list[str]:
    """∂J/∂J = 1 (a leaf J accumulates it, as backward() does)."""
    root = tape.entries[tape.root]
    if root.kind == "leaf":
        return [f"    dJ_d{root.name} += 1.0"]
    if tape.receives[tape.root]:
        defined.add(tape.root)
        return [f"    dJ_d{root.name} = 1.0"]
    return []


def _edge_lines(
    tape: Tape, order: list[int], defined: set[int], lifted: Lifted | None = None
) -> list[str]:
    """For each entry of order: its gradient times each local derivative, added to the
    gradient of each input that passes it on (`=` for the first term, then `+=`).

    A node with many inputs (a neuron's dot) sends nothing when its gradient is zero, as
    in backward(): behind a closed ReLU gate that skips the whole neuron."""
    entries, names, receives = tape.entries, tape.names, tape.receives
    lines = []
    for i in order:
        gradient = f"dJ_d{names[i]}"
        inputs = input_codes(tape, i, lifted)
        op = entries[i].op
        terms = [
            (x, contribution(gradient, local_grad_code(op, k, inputs, names[i])))
            for k, x in enumerate(entries[i].inputs)
            if x.__class__ is not float and receives[x]  # type: ignore[index]
        ]
        if len(terms) >= 3:
            fresh = [x for x in dict.fromkeys(x for x, _ in terms) if x not in defined]
            lines += [f"    dJ_d{names[x]} = 0.0" for x in fresh]  # type: ignore[index]
            defined.update(fresh)  # type: ignore[arg-type]
            lines.append(f"    if {gradient}:  # a zero gradient sends nothing")
            lines += [f"        dJ_d{names[x]} += {term}" for x, term in terms]  # type: ignore[index]
            continue
        for x, term in terms:
            lines.append(f"    dJ_d{names[x]} {'+=' if x in defined else '='} {term}")  # type: ignore[index]
            defined.add(x)  # type: ignore[arg-type]
    return lines


def _write_back(tape: Tape, leaves: list[int]) -> list[str]:
    """Checks the leaves' new gradients, then stores them: all or nothing."""
    if not leaves:
        return []
    names, entries = tape.names, tape.entries
    grads = ", ".join(f"dJ_d{names[i]}" for i in leaves)
    return [
        f"    if not _finite(({grads},)):\n        raise _Fallback",
        *(f"    _L[{entries[i].slot}].grad = dJ_d{names[i]}" for i in leaves),
    ]


def _leaves_with_gradient(tape: Tape) -> list[int]:
    """The leaf entries some gradient reaches (J itself, or an input of a backward op)."""
    if "leaves with gradient" not in tape.cache:
        entries = tape.entries
        leaves = {i for i, e in enumerate(entries) if e.kind == "leaf"}
        reached = {x for i in tape.backward for x in entries[i].inputs
                   if x.__class__ is int and x in leaves}  # fmt: skip
        if entries[tape.root].kind == "leaf":
            reached.add(tape.root)
        tape.cache["leaves with gradient"] = sorted(reached)
    found: list[int] = tape.cache["leaves with gradient"]
    return found


# --- a sum over alike samples, as a loop ---------------------------------------------------


def _indented(lines: list[str]) -> list[str]:
    return [textwrap.indent(line, "    ") for line in lines]


def _sample_inputs(tape: Tape, repeat: Repeat) -> str:
    """The lines that read sample k's number arguments and its lifted constants."""
    names = [tape.names[i] for i in repeat.body if tape.entries[i].kind == "input"]
    lines = []
    if len(names) == 1:
        lines.append(f"        {names[0]} = _numbers[_SLOTS[_k][0]]")
    elif names:
        lines.append(f"        {', '.join(names)} = _GET[_k](_numbers)")
    if repeat.constants and repeat.constants[0]:
        lifted = [f"_c{j + 1}" for j in range(len(repeat.constants[0]))]
        lines.append(f"        {', '.join(lifted)}, = _CONST[_k]")
    return "\n".join(lines) or "        pass"


def _read_by_loop(tape: Tape, repeat: Repeat) -> set[int]:
    """The entries the loop's code names: the leaves, sample 0's, the sum, the chain."""
    leaves = [i for i, e in enumerate(tape.entries) if e.kind == "leaf"]
    return {*leaves, *repeat.body, repeat.total, *repeat.chain, tape.root}


def _lifted_names(repeat: Repeat) -> Lifted:
    return {place: f"_c{j + 1}" for place, j in repeat.lifted.items()}


def looped_source(tape: Tape, repeat: Repeat) -> str:
    """The source of `_replay(_numbers, _L)` for J = g(Σₖ tₖ) over alike samples: one
    sample's code in a loop. The samples are visited last to first, as backward() visits
    them, so the gradients add up in its order. If ∂J/∂Σ is a constant (J = Σ, or Σ/n),
    each sample runs forward and backward in one pass; else a first loop runs forward and
    keeps each sample's values for a second, backward."""
    names, entries = tape.names, tape.entries
    in_sample = set(repeat.body)
    body = [i for i in repeat.body if entries[i].kind != "input"]
    chain = [i for i in tape.backward if i in set(repeat.chain)]
    one_pass = all(_is_number(_chain_local_grad(tape, i)) for i in repeat.chain)
    backward = repeat.total in tape.backward
    leaves = _leaves_with_gradient(tape)
    defined = set(leaves)
    lines = ["def _replay(_numbers, _L):", *_reads(tape, numbers=False), *_leaf_reads(tape, leaves)]
    lines.append(f"    _TERMS = [0.0] * {repeat.n}")
    if one_pass:
        lines += ["    # backward from J to Σ, whose ∂J/∂Σ does not depend on the samples",
                  *_seed(tape, defined), *_edge_lines(tape, chain, defined)]  # fmt: skip
    else:
        lines.append(f"    _SAVED = [()] * {repeat.n}")
    order = range(repeat.n - 1, -1, -1) if one_pass else range(repeat.n)
    lines += ["    # sample by sample: sample 0's names stand for each sample's values",
              f"    for _k in {_range_code(order)}:", _sample_inputs(tape, repeat)]  # fmt: skip
    lifted = _lifted_names(repeat)
    lines += _indented([line for i in body for line in _forward_lines(tape, i, lifted)])
    sample_checks = [names[i] for i in tape.must_be_finite() if i in in_sample]
    if sample_checks:
        checked = ", ".join(sample_checks)
        lines.append(f"        if not _finite(({checked},)):\n            raise _Fallback")
    lines.append(f"        _TERMS[_k] = {names[repeat.term]}")
    saved = ", ".join(names[i] for i in body)
    sample_backward = [f"        dJ_d{names[repeat.term]} = dJ_d{names[repeat.total]}",
                       *_indented(_edge_lines(tape, [i for i in tape.backward if i in in_sample],
                                              {*leaves, repeat.term}, lifted))]  # fmt: skip
    if one_pass:
        lines += sample_backward if backward else []
    else:
        lines.append(f"        _SAVED[_k] = ({saved},)")
    lines.append(f"    {names[repeat.total]} = {sum_of('_TERMS')}")
    lines += [line for i in reversed(repeat.chain) for line in _forward_lines(tape, i)]
    outside = {*repeat.chain, repeat.total}
    others = [names[i] for i in tape.must_be_finite()
              if i in outside or entries[i].kind == "leaf"]  # fmt: skip
    lines.append(f"    if not _finite(({', '.join(others)},)):\n        raise _Fallback")
    if backward and not one_pass:
        lines += ["    # backward, sample by sample, last to first", *_seed(tape, defined),
                  *_edge_lines(tape, chain, defined),
                  f"    for _k in _reversed(_range({repeat.n})):", _sample_inputs(tape, repeat),
                  f"        {saved}, = _SAVED[_k]", *sample_backward]  # fmt: skip
    lines += _write_back(tape, leaves)
    return "\n".join([*lines, f"    return {names[tape.root]}"]) + "\n"


def _chain_local_grad(tape: Tape, i: int) -> str:
    """The local derivative of chain entry i with respect to its one node input."""
    e = tape.entries[i]
    k = next(k for k, x in enumerate(e.inputs) if isinstance(x, int))
    return local_grad_code(e.op, k, input_codes(tape, i), tape.names[i])


def _is_number(code: str) -> bool:
    try:
        float(code)
    except ValueError:
        return False
    return True


def _range_code(order: range) -> str:
    return f"_range({order.stop})" if order.step == 1 else f"_reversed(_range({order.start + 1}))"
