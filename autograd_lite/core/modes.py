"""Grad modes: `no_grad`, `enable_grad` and `detect_anomaly`, and where anomalies were made.

A mode is a block of code. The blocks in force form a chain, innermost first, held in
one context variable, so each thread and each async task has its own chain and a new
node pays for a single lookup (`current()`). With no block in force that lookup returns
the `DEFAULT` object itself, which the engine tests by identity.

Leaving a block marks it closed rather than resetting the context variable, and a closed
block is skipped wherever its chain is still referenced: so leaving never raises, even
for a generator that yielded inside `no_grad` and is closed from another thread or task
(the README's "Reliability" says what that guarantees).

This module imports nothing of ours.
"""

from __future__ import annotations

import contextlib
import sys
import weakref
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

__all__ = [
    "DEFAULT",
    "Mode",
    "creation_site",
    "current",
    "detect_anomaly",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "remember_creation_site",
    "settle",
    "slow_path",
]


class Mode:
    """One block of the chain: the setting it makes, and the block it sits in.

    `record` and `anomaly` are None where the block leaves that setting to the blocks
    around it. `open` turns False when the block is left, from whatever thread.
    """

    __slots__ = ("anomaly", "open", "outer", "record")

    def __init__(self, outer: Mode | None, record: bool | None, anomaly: bool | None) -> None:
        self.outer = outer
        self.record = record
        self.anomaly = anomaly
        self.open = True

    def setting(self, name: str) -> bool:
        """The effective value of `record` or `anomaly`: the innermost open block's."""
        block: Mode | None = self
        while block is not None:
            value = getattr(block, name)
            if block.open and value is not None:
                return bool(value)
            block = block.outer
        raise AssertionError("the DEFAULT block sets every mode")  # pragma: no cover


#: No block in force: record the graph, no anomaly checks.
DEFAULT = Mode(None, record=True, anomaly=False)
_chain: ContextVar[Mode] = ContextVar("autograd_lite_mode", default=DEFAULT)


#: current() is the innermost block in force in this context (`DEFAULT` when there is
#: none). It is the context variable's own `get`, so each new node pays no extra call.
current: Callable[[], Mode] = _chain.get


@contextlib.contextmanager
def _block(record: bool | None, anomaly: bool | None, always: bool = False) -> Iterator[None]:
    outer = _chain.get()
    if outer is DEFAULT and record is not False and not anomaly and not always:
        yield  # enable_grad with no block in force changes nothing: ops stay on the fast path
        return
    block = Mode(outer, record, anomaly)
    try:
        _chain.set(block)  # inside the try: a Ctrl-C right after it still closes the block
        yield
    finally:
        block.open = False
        # Trim this context's chain back to its innermost open block. In another context
        # (a generator closed from another thread) the top is not ours: leave it alone.
        if _chain.get() is block:
            top = block.outer
            while top is not None and not top.open:
                top = top.outer
            _chain.set(top if top is not None else DEFAULT)


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Inside, ops build no graph: results are leaves with no inputs. Nests; per thread."""
    return _block(record=False, anomaly=None)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Inside, ops record the graph again, even within `no_grad`."""
    return _block(record=True, anomaly=None)


def detect_anomaly() -> contextlib.AbstractContextManager[None]:
    """Inside, `backward()` raises FloatingPointError at the first non-finite gradient,
    naming the op and the file:line of the code that made that node."""
    return _block(record=None, anomaly=True)


def slow_path() -> contextlib.AbstractContextManager[None]:
    """Inside, the modes are as outside, but every op makes its node through the engine's
    `nary.node`, as under any block, not inline: al.compile traces f inside it, so that it
    sees every node f makes (see tracehook.py)."""
    return _block(record=None, anomaly=None, always=True)


def settle() -> Mode:
    """This context's innermost open block, once the closed ones on top of its chain are
    dropped (a generator that yielded inside `no_grad` and was closed from another thread
    leaves one): so the ops of this context take the fast path again."""
    top = _chain.get()
    while top is not DEFAULT and not top.open:
        top = top.outer if top.outer is not None else DEFAULT
    _chain.set(top)
    return top


def is_grad_enabled() -> bool:
    """True unless inside `no_grad` (and not inside an `enable_grad` within it)."""
    mode = _chain.get()
    return True if mode is DEFAULT else mode.setting("record")


# --- where nodes were made, for detect_anomaly's messages ----------------------------------

# Filled only inside detect_anomaly. Weak keys: it keeps nothing alive.
_creation_sites: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])  # autograd_lite/, not core/


def remember_creation_site(node: object) -> None:
    """Record the file:line of the innermost caller outside this package as node's origin."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    _creation_sites[node] = (
        "<unknown>" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"
    )


def creation_site(node: object) -> str:
    """Where node was made, if it was made inside detect_anomaly."""
    return _creation_sites.get(node, "<made outside detect_anomaly>")
