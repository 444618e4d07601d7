"""`al.compile(f)`: trace f once, then replay its forward and backward pass as generated
code.

    step = al.compile(f)      # f(*args) -> Value
    J = step(*args)           # = f(*args).data, and every leaf f reaches gets += ∂J/∂leaf
    J = step.sum(*columns)    # Σᵢ f(args_i) over samples, with NumPy
    print(step.source)        # the generated code: the chain rule, line by line

The first call runs f on Values standing for its number arguments and records the
graph (tape.py); the graph becomes straight-line Python (pycode.py) or fused NumPy
(npcode.py), made from the same op rules as the engine (ruleexpr.py). Later calls
replay that code on the new numbers and the leaves' current `.data`.

The promise. A call `step(*args)` is eager mode: it does what

    out = f(*values); out.backward(); return out.data

does, where `values` is args with each number replaced by a fresh `Value(x)` (inside f,
number arguments are Values) and each Value as it is. The same J, and the same `.grad`
on every leaf f reaches (leaves accumulate), to the last bit: the replay does eager
mode's float operations in eager mode's order. Or the same type of exception, with every
`.grad` as it was. The outcome depends on the arguments and on the leaves' `.data` and
`.grad` only, never on the calls before (the one exception: the sign of a zero `.grad`
set to −0.0 by hand). `step.sum(*columns)` is the eager Σᵢ f(args_i) to 1e-12 relative
(NumPy adds the terms in another order), or the same type of exception, or a
`BranchError` when the samples take different paths through f. A number argument must
be what `Value(x)` takes (a finite real number, not a bool): else the TypeError or
ValueError names the step and the argument by f's parameter name (`argument xs[1]`).

What a replay checks, before it writes any `.grad`:

- Each comparison of Values inside f (`if x > 0:`, `max(x, y)`, `while x > eps:`) is a
  guard. If its outcome changes, `step(...)` traces again (`step.traces` counts the
  traces); `step.sum` refuses samples that take different branches, naming the
  comparison's file and line. ReLU, abs and the other kinks are ops, not branches:
  they replay as inline conditionals and need no new trace.
- An op the engine refused while f was traced, where f caught the error (`try:
  z.log() except ValueError:`), is a guard too: "the engine refuses these inputs". A
  call on inputs it accepts traces again.
- Every op f made, used or not, is replayed with its domain check, and must give a
  finite value: out of its domain, an overflow, a NaN, or a non-finite gradient, and
  the call runs eagerly instead, which raises the engine's own error (naming the op),
  applies its zero rule, or, under `detect_anomaly`, names the op and its line.
- The leaves' data must be finite floats. Data set by hand to anything else (NaN, an
  int, a bool, `np.float32`) makes the call run eagerly, which converts it or refuses
  it, op by op, as eager mode does.
- Ops under `no_grad` and `detach()` inside f replay their values and send no gradient.

What runs eagerly (f itself, on Values as above), on every call it concerns:

- a Value argument with history (the replay takes a Value argument as a leaf, so the
  gradient would stop at it), a Value argument whose data is not a finite float, and a
  Value passed as two arguments, or passed and also captured by f (its two leaf slots
  would each write its gradient);
- until `reset()`, a signature whose trace saw f catch an error the engine raised on
  data that was not a finite float, or on something that is no number (no guard could
  tell when f's path changes), and a signature whose f took another branch on the very
  arguments it was traced on (it is not a function of its arguments alone).

`step.eager_reason` says why the latest call ran eagerly, when the reason holds for
later calls too (None after a replay); `fit` reads it.

What no guard sees (f must not do these, or must be compiled anew):

- a Value's number read into Python (`x.data`, `x.item()`, `Value(x.data)`): that
  number is a constant of the tape, as is any other number f reads (a global float);
- Values replaced rather than updated: the tape keeps the leaf Values it met, so
  assigning a new Value to `neuron.w[0]` is not seen (changing `.data` is);
- a Value computed outside f from parameters: the replay recomputes it from their
  current data, where eager mode would reuse its old value;
- side effects of f (printing, appending to a list) happen only when it is traced or
  runs eagerly.

Inside f, number arguments are Values, as in eager mode above: use Value ops on them
(`x.exp()`, not `math.exp(x)`). `x == 1.0` is then an identity test, as for every Value
(False), `bool(x)` is True and `int(x)` a TypeError, on every call, compiled or not. A
number that shapes the computation (a count, a label to test) belongs in a closure:
`fit` gives its loss the targets themselves that way (see training.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ..core import nary
from ..core.engine import Value
from ..core.functional import single_value
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
        out = single_value(self.f(*rebuild(args, [Value(x) for x in numbers], values)), "compile")
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
        if guard.error is not None:
            return BranchError(
                f"step.sum: the samples take different branches at `{guard.describe(tape.names)}` "
                f"({guard.site}): when f was traced, the engine raised that error, and f "
                f"caught it; for samples {bad} it does not. One batch needs one structure: "
                "call the step per sample"
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
