"""`al.compile(f)`: trace f once, then replay its forward and backward pass as generated
code.

    step = al.compile(f)      # f(*args) -> Value
    J = step(*args)           # = f(*args).data, and every leaf f reaches gets += ∂J/∂leaf
    J = step.sum(*columns)    # Σᵢ f(args_i) over samples, with NumPy
    print(step.source)        # the generated code: the chain rule, line by line

The first call runs f on Values standing for its number arguments and records the
graph (tape.py); the graph becomes straight-line Python (pycode.py) or fused NumPy
(npcode.py), made from the same op rules as the engine (ruleexpr.py). Later calls
replay that code on the new numbers and the parameters' current `.data`.

When to trust a replay, and what happens otherwise:

- The tape is kept per *signature*: the nesting of the arguments, which of them are
  Values, and whether grad is enabled. A new signature is traced anew.
- Each comparison of Values inside f (`if x > 0:`, `max(x, y)`, a loop `while x > eps:`)
  is a guard, checked on every replay. If its outcome changes, `step(...)` traces again
  (`step.traces` counts the traces); `step.sum` refuses samples that take different
  branches, naming the comparison's file and line. ReLU, abs and the other kinks are
  ops, not branches: they replay as inline conditionals and need no new trace.
- Ops under `no_grad` and `detach()` inside f replay their values and send no gradient.
- A value out of an op's domain, an overflow, a NaN, or a non-finite gradient stops the
  replay before any `.grad` changes, and the step is rerun eagerly: so errors are the
  engine's own (naming the op), `detect_anomaly` names the op and the line that made
  it, and the zero rule holds.

What the guards cannot see (f must not do these, or must be compiled anew):

- a Value read as a number (`x.data`, `x.item()`) and used in Python: that number is a
  constant of the tape, as is any other non-Value that f captures (a global float);
- Values replaced rather than updated: the tape keeps the leaf Values it met, so
  assigning a new Value to `neuron.w[0]` is not seen (changing `.data` is);
- a Value computed outside f from parameters: the replay recomputes it from their
  current data, where eager mode would reuse its old value;
- side effects of f (printing, appending to a list) happen only when it is traced.

A Value passed as two arguments, or passed and also captured by f, runs eagerly (its two
leaf slots would each write its gradient). So does a Value argument that has history (made
by ops, not a leaf): the replay takes a Value argument as a leaf, so the gradient would
stop at it, where eager mode carries it on to the Values it was made from.

Inside f, number arguments are Values: use Value ops on them (`x.exp()`, not
`math.exp(x)`); a number that shapes the computation (a count) belongs in a closure.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ..core import nary
from ..core.engine import Value
from ..core.functional import _single_value
from .pycode import replay_function
from .tape import FailedOnValues, Fallback, Stale, Tape, flatten, rebuild, trace

__all__ = ["BranchError", "Compiled", "compile"]


class BranchError(ValueError):
    """step.sum: samples would take different branches at a comparison inside f."""


class Compiled:
    """f, traced once per signature and replayed as generated code (see the module doc)."""

    def __init__(self, f: Callable[..., Value]) -> None:
        if not callable(f):
            raise TypeError(f"compile needs a function f(*args) -> Value, got {f!r:.60}")
        self.f = f
        self.traces = 0  #: how many times f was traced (the first call's trace included)
        #: Why the latest call ran f eagerly instead of replaying its trace, when the reason
        #: will hold for later calls too (None: it replayed, or left a domain, as eager
        #: mode would have raised there or applied its zero rule).
        self.eager_reason: str | None = None
        self._tapes: dict[object, Tape] = {}
        self._last: Tape | None = None
        self._arg_names = _parameter_names(f)
        self._who = f"al.compile({getattr(f, '__name__', type(f).__name__)})"

    def __repr__(self) -> str:
        return f"compile({getattr(self.f, '__qualname__', self.f)!r}, traces={self.traces})"

    def __call__(self, *args: object) -> float:
        """f(*args).data; every leaf f reaches gets += ∂f/∂leaf, as f(*args).backward()."""
        signature, numbers, values = flatten(args, self._who, self._arg_names)
        self.eager_reason = None
        if values and not all(_plain_leaf(v) for v in values):
            return self._eager(args, numbers, values)  # see _plain_leaf
        tape = self._tapes.get(signature) or self._trace(args)
        for attempt in range(2):
            if tape.eager_reason is not None:
                self.eager_reason = tape.eager_reason
                return self._eager(args, numbers, values)
            try:
                return self._replay(tape, args, numbers, values)
            except Stale:
                if attempt == 0:
                    tape = self._trace(args)  # f took another branch: trace it on these
        # f took another branch on the very arguments it was just traced on
        tape.eager_reason = (
            f"f took another branch on the arguments it was traced on, at "
            f"{tape.guards[0].site if tape.guards else '?'}: it is not a function of them alone"
        )
        self.eager_reason = tape.eager_reason
        return self._eager(args, numbers, values)

    def sum(self, *columns: object) -> float:
        """Σᵢ f(args_i).data over the samples (each argument a list over the samples); every
        leaf f reaches gets += Σᵢ ∂f(args_i)/∂leaf. Vectorised with NumPy."""
        from . import npcode  # the only import of NumPy, for the batched path only

        data = npcode.batch(columns, f"{self._who}.sum", self._arg_names)
        first = data.sample(0)
        signature, _, values = flatten(first, f"{self._who}.sum", self._arg_names)
        if values:
            raise TypeError("step.sum takes numbers only; call the step per sample for Values")
        self.eager_reason = None
        tape = self._tapes.get(signature) or self._trace(first)
        for attempt in range(2):
            if tape.eager_reason is not None:
                self.eager_reason = tape.eager_reason
                return self._eager_sum(data)
            try:
                return npcode.run(tape, data)
            except Stale as stale:
                if not stale.samples[0]:
                    raise self._branch_error(tape, stale) from None
                if attempt == 0:
                    tape = self._trace(first)  # sample 0 left the traced branch: follow it
            except (Fallback, ArithmeticError):
                self.eager_reason = _data_reason(tape.captured)
                return self._eager_sum(data)
        tape.eager_reason = "f took another branch on the sample it was traced on"
        self.eager_reason = tape.eager_reason
        return self._eager_sum(data)

    @property
    def source(self) -> str:
        """The generated Python of the latest trace: forward, checks and backward."""
        tape = self._latest()
        replay_function(tape)  # generates and keeps the source
        source: str = tape.cache["python source"]
        return source

    @property
    def sum_source(self) -> str:
        """The generated NumPy code that `.sum` runs for the latest trace."""
        from . import npcode

        return npcode.batch_source(self._latest())

    def reset(self) -> None:
        """Forgets every tape: the next call traces f again (after f's captured numbers or
        the parameter objects themselves changed)."""
        self._tapes.clear()
        self._last = None

    # --- internals ----------------------------------------------------------------------

    def _latest(self) -> Tape:
        if self._last is None:
            raise ValueError("compile: f has not been traced yet; call the step first")
        return self._last

    def _trace(self, args: Sequence[object]) -> Tape:
        try:
            tape = trace(self.f, args, self._arg_names)
        except FailedOnValues as failed:
            # f raised on the Values that stand for its arguments: that is what eager mode
            # raises, for eager mode runs f on such Values too
            error = failed.__cause__
            assert error is not None
            if isinstance(error, TypeError) and _holds_numbers(args):
                raise TypeError(
                    f"{self._who}: f raised {type(error).__name__} ({error}). Inside f, number "
                    "arguments are Values: use Value ops on them (x.exp(), not math.exp(x))"
                ) from error
            raise error from None
        self.traces += 1
        self._tapes[tape.signature] = tape
        self._last = tape
        return tape

    def _replay(
        self, tape: Tape, args: Sequence[object], numbers: list[float], values: list[Value]
    ) -> float:
        function = replay_function(tape)
        if values and _aliased(values, tape):
            # one Value in two leaf slots: their writes would clash
            return self._eager(args, numbers, values)
        leaves = (*values, *tape.captured)
        try:
            return function(numbers, leaves)
        except (Fallback, ArithmeticError):
            # Out of a domain, not finite, or a leaf's data set by hand to another kind of
            # number: eager mode raises its error, applies its zero rule, or converts the
            # data. No .grad was written by the replay. Anything else is a bug of the
            # generated code, and is raised as it is.
            self.eager_reason = _data_reason(leaves)
            return self._eager(args, numbers, values)

    def _eager(self, args: Sequence[object], numbers: list[float], values: list[Value]) -> float:
        """What eager mode does: f on a fresh Value for each number argument, backward()."""
        out = _single_value(self.f(*rebuild(args, [Value(x) for x in numbers], values)), "compile")
        out.backward()
        return out.data

    def _eager_sum(self, data: Any) -> float:
        terms = []
        for i in range(data.n):
            sample = data.sample(i)
            _, numbers, values = flatten(sample, f"{self._who}.sum", self._arg_names)
            terms.append(self.f(*rebuild(sample, [Value(x) for x in numbers], values)))
        out = nary.total(terms)
        out.backward()
        return out.data

    def _branch_error(self, tape: Tape, stale: Stale) -> BranchError:
        guard = tape.guards[stale.index]
        bad = [int(i) for i in stale.samples.nonzero()[0][:5]]
        if guard.refusal:
            return BranchError(
                f"step.sum: the samples take different branches at `{guard.describe(tape.names)}` "
                f"({guard.site}): the engine refused those inputs when f was traced, and f "
                f"caught its error; it accepts them for samples {bad}. One batch needs one "
                "structure: call the step per sample"
            )
        return BranchError(
            f"step.sum: the samples take different branches at the comparison "
            f"`{guard.describe(tape.names)}` ({guard.site}): it was {guard.outcome} when f "
            f"was traced, and is {not guard.outcome} for samples {bad}. One batch needs one "
            "structure: write the branch with ops (relu, abs, …), or call the step per sample"
        )


def compile(f: Callable[..., Value]) -> Compiled:
    """f, compiled: `step(*args)` and `step.sum(*columns)` replay f's forward and backward
    pass as generated code (see the module doc)."""
    return Compiled(f)


def _aliased(values: list[Value], tape: Tape) -> bool:
    """Is a Value argument passed twice, or also captured by f?"""
    if "captured ids" not in tape.cache:
        tape.cache["captured ids"] = {id(v) for v in tape.captured}
    ids = {id(v) for v in values}
    return len(ids) < len(values) or not ids.isdisjoint(tape.cache["captured ids"])


def _plain_leaf(v: Value) -> bool:
    """Can a replay take this Value argument as a leaf, reading its data? Not if it has
    history (the replay would stop its gradient there, where eager mode carries it on to
    the Values it was made from), nor if its data is not a finite float (set by hand:
    eager mode converts it, or refuses it, op by op)."""
    data = v.data
    return not v.edges and data.__class__ is float and data - data == 0.0


def _data_reason(leaves: Sequence[Value]) -> str | None:
    """Why a replay cannot read these leaves as eager mode does, if it cannot (their data
    is not a float: set by hand to an int, a bool, a NumPy number, …); else None."""
    for leaf in leaves:
        if leaf.data.__class__ is not float:
            name = f"the leaf {leaf.label}" if leaf.label else "a leaf"
            return (
                f"the data of {name:.60} is {type(leaf.data).__name__} {leaf.data!r:.60}, set "
                "by hand; a replay reads floats only, where eager mode converts it (or refuses it)"
            )
    return None


def _holds_numbers(args: Sequence[object]) -> bool:
    """Does any argument hold a number (which f receives as a Value)?"""
    return any(
        _holds_numbers(a) if isinstance(a, (list, tuple)) else not isinstance(a, Value)
        for a in args
    )


def _parameter_names(f: Callable[..., Any]) -> list[str]:
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
