"""`no_gc()`: pause Python's cyclic garbage collector for a block, safely across threads.

Our graphs hold no reference cycles (nodes store numbers, never closures), so reference
counting frees them and the cyclic collector has nothing to find in them. Yet building a
graph allocates many container objects, which set off collections that walk the young
objects and now and then the whole live graph (the README's "Performance" says how much
that costs). `backward()` and `fit` pause it.

The switch belongs to the whole process, so one lock guards a count of the blocks in
force: the first block in remembers whether the collector was on and turns it off, and
the last block out turns it back on if it was. Blocks nest.

This module imports nothing of ours.
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType

__all__ = ["no_gc"]

_lock = threading.Lock()
_blocks = 0  # blocks in force, across all threads
_was_enabled = False  # the collector's state when the first of them began


class _Paused:
    """The context manager `no_gc()` returns (a class, not a generator: backward() enters
    one per call, and this costs a quarter as much)."""

    __slots__ = ()

    # A Ctrl-C can land between any two lines here. On the way in, the handlers put the
    # collector back as it was (a block that was counted leaves again); on the way out,
    # the collector is turned back on before the count goes down, so an interrupt
    # between the two leaves it on, never off (the count then stays one too high, and
    # later blocks leave the collector running: slower, not wrong).
    def __enter__(self) -> None:
        global _blocks, _was_enabled
        counted = False
        try:
            with _lock:
                try:
                    if _blocks == 0:
                        _was_enabled = gc.isenabled()
                        gc.disable()
                    _blocks, counted = _blocks + 1, True
                except BaseException:
                    if not counted and _blocks == 0 and _was_enabled:
                        gc.enable()  # turned off, but not counted: as before
                    raise
        except BaseException:
            if counted:  # counted, then interrupted letting go of the lock: leave again
                self.__exit__(None, None, None)
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        global _blocks
        with _lock:
            if _blocks == 1 and _was_enabled:
                gc.enable()
            _blocks -= 1


_PAUSED = _Paused()  # it holds no state of its own, so one instance serves every block


def no_gc() -> _Paused:
    """Inside `with no_gc():` the cyclic garbage collector does not run; on leaving, it is
    on or off as it was before."""
    return _PAUSED
