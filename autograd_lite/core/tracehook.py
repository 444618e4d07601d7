"""The hook the engine calls while `al.compile` traces a function: what a graph alone does
not show.

A traced graph records every op that builds history. Four things shape a function's
result, or whether it raises, without showing in the graph below the result, and the
engine reports them here while a trace is in force:

- a comparison of Values (`if x > 0:`): the branch taken is part of the structure, so
  the compiled code checks the comparison again on every replay;
- every node f makes (`made`), the graph's and the others: an op under `no_grad` (a
  leaf, whose value still depends on its inputs, so the replay must recompute it and
  send it no gradient), and an op whose result f never uses (eager mode still runs it,
  and raises if it leaves its domain, so the replay must check it too). A trace runs f
  under `modes.slow_path()`, so that every op makes its node through `nary.node`;
- `detach()`: a new leaf holding the value of another node;
- an op that refused its inputs (log of a negative number, an overflow, data set by hand
  to NaN): if f catches the error, the path it takes depends on that refusal, which no
  node records, so the compiled code must check it again (or not replay at all).

Outside a trace each hook costs the engine one test of the module-level count `tracing`
(comparisons: one call), so the engine pays nothing measurable for it. Traces are per
context (thread, async task), like the grad modes.

This module imports nothing of ours: the engine imports it.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from typing import Any, Protocol

__all__ = ["Recorder", "compared", "detached", "made", "recording", "refused", "tracing"]


class Recorder(Protocol):
    """What a trace does with the engine's reports (see tape.py)."""

    def compared(self, left: Any, op: str, right: Any, outcome: bool) -> None: ...

    def made(self, node: Any, op: str, edges: tuple[Any, ...]) -> None: ...

    def detached(self, source: Any, copy: Any) -> None: ...

    def refused(self, op: str, operands: tuple[Any, ...], error: BaseException) -> None: ...


#: How many traces are in force, in all threads: 0 lets the engine skip the hooks at once.
tracing = 0
_lock = threading.Lock()
_recorder: ContextVar[Recorder | None] = ContextVar("autograd_lite_trace", default=None)


class recording:
    """`with recording(recorder):` sends this context's reports to recorder."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def __enter__(self) -> None:
        global tracing
        with _lock:
            tracing += 1
        self.token = _recorder.set(self.recorder)

    def __exit__(self, *exc: object) -> None:
        global tracing
        try:
            _recorder.reset(self.token)
        finally:
            with _lock:
                tracing -= 1


def compared(left: Any, op: str, right: Any, outcome: bool) -> bool:
    """outcome, after reporting `left op right` to the trace in force (if any)."""
    if tracing:
        recorder = _recorder.get()
        if recorder is not None:
            recorder.compared(left, op, right, outcome)
    return outcome


def made(node: Any, op: str, edges: tuple[Any, ...]) -> None:
    """Reports a node op made, with its edges (which a node made under no_grad did not
    keep: then `node.edges` is empty)."""
    recorder = _recorder.get()
    if recorder is not None:
        recorder.made(node, op, edges)


def detached(source: Any, copy: Any) -> None:
    """Reports that `copy` is `source.detach()`."""
    recorder = _recorder.get()
    if recorder is not None:
        recorder.detached(source, copy)


def refused(op: str, operands: tuple[Any, ...], error: BaseException) -> None:
    """Reports that op raised `error` on these operands (Values and numbers)."""
    recorder = _recorder.get()
    if recorder is not None:
        recorder.refused(op, operands, error)
