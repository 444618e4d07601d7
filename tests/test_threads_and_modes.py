"""The garbage-collector pause across threads, and grad modes left from another context
(issue 11, items 3 and 4). Orderings are forced with events, never left to chance."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import threading
from collections.abc import Callable, Iterator

import pytest

import autograd_lite as al
from autograd_lite import Value
from autograd_lite.core import collector, engine, modes

# --- no_gc: the collector's state after any interleaving equals the state before -----------


def _run_in_order(steps: list[tuple[int, str]], threads: int) -> None:
    """Run each thread's enter/exit of no_gc() in exactly the global order `steps`."""
    turn = [threading.Event() for _ in steps]
    managers = [collector.no_gc() for _ in range(threads)]
    errors: list[BaseException] = []

    def worker(me: int) -> None:
        try:
            for position, (who, action) in enumerate(steps):
                if who != me:
                    continue
                turn[position].wait(timeout=10)
                if action == "enter":
                    managers[me].__enter__()
                else:
                    managers[me].__exit__(None, None, None)
                if position + 1 < len(steps):
                    turn[position + 1].set()
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    turn[0].set()
    for w in workers:
        w.join(timeout=10)
    assert not errors
    assert not any(w.is_alive() for w in workers)


def _orderings(threads: int) -> Iterator[list[tuple[int, str]]]:
    """Every interleaving of the threads' (enter, exit) pairs, each enter before its exit."""
    events = [(t, a) for t in range(threads) for a in ("enter", "exit")]
    for order in itertools.permutations(events):
        if all(order.index((t, "enter")) < order.index((t, "exit")) for t in range(threads)):
            yield list(order)


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("enabled_before", [True, False])
def test_every_interleaving_of_no_gc_blocks_restores_the_collector(
    threads: int, enabled_before: bool
) -> None:
    was = gc.isenabled()
    try:
        for order in _orderings(threads):
            (gc.enable if enabled_before else gc.disable)()
            _run_in_order(order, threads)
            assert gc.isenabled() is enabled_before, order
    finally:
        (gc.enable if was else gc.disable)()


def test_the_collector_is_off_while_any_block_is_in_force() -> None:
    order = [(0, "enter"), (1, "enter"), (0, "exit")]
    was = gc.isenabled()
    gc.enable()
    try:
        _run_in_order(order, 2)
        assert not gc.isenabled()  # thread 1's block is still in force
        _run_in_order([(0, "enter"), (0, "exit")], 1)
        assert not gc.isenabled()
    finally:
        collector.no_gc().__exit__(None, None, None)  # thread 1's block, left for it
        assert gc.isenabled()
        (gc.enable if was else gc.disable)()


def test_the_interleaving_that_left_the_collector_off_now_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The old bug, forced: thread A turns the collector off for its backward(); thread B
    # reads "off" in between, and turns it off again after A has turned it back on, and
    # then (having seen "off") never turns it on. The wrappers below hold each thread at
    # exactly those points. With the counted, locked pause, B never reads the state while
    # A's block is in force, and the collector ends as it began.
    real = {name: getattr(gc, name) for name in ("isenabled", "disable", "enable")}
    a_disabled, a_enabled, b_checked = threading.Event(), threading.Event(), threading.Event()

    def isenabled() -> bool:
        if threading.current_thread().name == "B":
            a_disabled.wait(timeout=10)
            state = real["isenabled"]()
            b_checked.set()
            return state
        return real["isenabled"]()

    def disable() -> None:
        if threading.current_thread().name == "B":
            a_enabled.wait(timeout=10)
            real["disable"]()
        else:
            real["disable"]()
            a_disabled.set()
            b_checked.wait(timeout=0.5)  # give B its chance to read the state in between

    def enable() -> None:
        real["enable"]()
        if threading.current_thread().name == "A":
            a_enabled.set()

    def backward() -> None:
        x = Value(2.0)
        (x * x + 1.0).backward()

    was = real["isenabled"]()
    real["enable"]()
    monkeypatch.setattr(gc, "isenabled", isenabled)
    monkeypatch.setattr(gc, "disable", disable)
    monkeypatch.setattr(gc, "enable", enable)
    try:
        a = threading.Thread(target=backward, name="A")
        b = threading.Thread(target=backward, name="B")
        a.start()
        assert a_disabled.wait(timeout=10)
        b.start()
        a.join(timeout=10)
        b.join(timeout=10)
        assert real["isenabled"]()
    finally:
        a_disabled.set()
        a_enabled.set()
        b_checked.set()
        monkeypatch.undo()
        (gc.enable if was else gc.disable)()


def test_backward_runs_with_the_collector_paused_and_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = []
    real = engine.propagate

    def spy(order: list[Value], checked: bool = False) -> None:
        seen.append(gc.isenabled())
        real(order, checked)

    monkeypatch.setattr(engine, "propagate", spy)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        x = Value(2.0)
        (x * x).backward()
        assert x.grad == 4.0 and gc.isenabled() is enabled
    gc.enable()
    assert seen == [False, False]


def test_many_threads_running_backward_leave_the_collector_as_it_was() -> None:
    def work() -> None:
        for _ in range(50):
            x = Value(1.5)
            y = x
            for _ in range(20):
                y = (y * 0.9 + 0.1).tanh()
            y.backward()

    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert gc.isenabled() is enabled
    gc.enable()


# --- grad modes left from another thread or task ---------------------------------------------


def _yields_inside(mode: Callable[[], object]) -> Iterator[int]:
    with mode():  # type: ignore[attr-defined]
        yield 1
        yield 2


def test_a_generator_closed_from_another_thread_leaves_no_grad_without_an_error() -> None:
    gen = _yields_inside(al.no_grad)
    next(gen)  # the caller's context is now inside no_grad, as with any context manager
    assert not al.is_grad_enabled()
    errors: list[BaseException] = []
    other_thread_mode = []

    def close() -> None:
        try:
            gen.close()  # PyTorch: ValueError "… was created in a different Context"
            other_thread_mode.append(al.is_grad_enabled())
        except BaseException as error:
            errors.append(error)

    t = threading.Thread(target=close)
    t.start()
    t.join(timeout=10)
    assert errors == []
    assert other_thread_mode == [True]  # that thread's mode was never changed
    assert al.is_grad_enabled()  # and this context is out of the block again
    assert (Value(1.0) * 2.0).inputs != ()


def test_a_closed_block_in_another_context_does_not_undo_an_inner_block_here() -> None:
    gen = _yields_inside(al.no_grad)
    next(gen)
    with al.enable_grad():
        t = threading.Thread(target=gen.close)
        t.start()
        t.join(timeout=10)
        assert al.is_grad_enabled()  # enable_grad is still in force
    assert al.is_grad_enabled()  # and the closed no_grad is gone


def test_an_async_for_broken_off_inside_no_grad_leaves_the_task_recording() -> None:
    closed = []

    async def values() -> object:
        try:
            with al.no_grad():
                yield 1
                yield 2
        finally:
            closed.append(True)

    async def main() -> tuple[bool, bool]:
        async for _ in values():  # type: ignore[attr-defined]
            inside = al.is_grad_enabled()
            break
        # The event loop closes the abandoned generator in a task of its own (another
        # context): wait for that to happen.
        for _ in range(100):
            if closed:
                break
            await asyncio.sleep(0)
        assert closed
        return inside, al.is_grad_enabled()

    loop = asyncio.new_event_loop()
    try:
        inside, after = loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
    assert (inside, after) == (False, True)


def test_modes_nest_and_unwind_in_one_context() -> None:
    assert al.is_grad_enabled()
    with al.no_grad():
        assert not al.is_grad_enabled()
        with al.enable_grad():
            assert al.is_grad_enabled()
            with al.detect_anomaly():
                assert al.is_grad_enabled()
        assert not al.is_grad_enabled()
    assert al.is_grad_enabled()
    with pytest.raises(KeyError), al.no_grad():
        raise KeyError("inside")
    assert al.is_grad_enabled()


def test_each_thread_has_its_own_mode() -> None:
    started, stop = threading.Event(), threading.Event()
    seen = []

    def other() -> None:
        with al.no_grad():
            started.set()
            stop.wait(timeout=10)

    t = threading.Thread(target=other)
    t.start()
    assert started.wait(timeout=10)
    seen.append(al.is_grad_enabled())
    stop.set()
    t.join(timeout=10)
    assert seen == [True]


# --- a Ctrl-C on the way in or out of a pause --------------------------------------------


class _Interrupting:
    """Stand-ins for gc and the pause's lock that raise KeyboardInterrupt just after one
    chosen call returns: where Python delivers a Ctrl-C (it checks for a signal after a
    call returns, not in the middle of plain assignments)."""

    def __init__(self, point: str) -> None:
        self.point = point
        self.releases = 0
        self.lock = threading.Lock()

    def _after(self, name: str) -> None:
        if name == self.point:
            self.point = ""  # once
            raise KeyboardInterrupt(name)

    def isenabled(self) -> bool:
        state = gc.isenabled()
        self._after("isenabled")
        return state

    def disable(self) -> None:
        gc.disable()
        self._after("disable")

    def enable(self) -> None:
        gc.enable()
        self._after("enable")

    def __enter__(self) -> None:
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()
        self.releases += 1
        self._after(f"release {self.releases}")


@pytest.mark.parametrize("enabled_before", [True, False])
@pytest.mark.parametrize("point", ["isenabled", "disable", "release 1", "enable", "release 2"])
def test_a_keyboard_interrupt_anywhere_in_a_pause_leaves_the_collector_as_it_was(
    monkeypatch: pytest.MonkeyPatch, point: str, enabled_before: bool
) -> None:
    faults = _Interrupting(point)
    monkeypatch.setattr(collector, "gc", faults)
    monkeypatch.setattr(collector, "_lock", faults)
    monkeypatch.setattr(collector, "_blocks", 0)
    (gc.enable if enabled_before else gc.disable)()
    try:
        with contextlib.suppress(KeyboardInterrupt), collector.no_gc():
            pass
        assert gc.isenabled() is enabled_before
        assert not faults.lock.locked()
    finally:
        gc.enable()


# --- modes: copies of a context, threads that close blocks, the fast path --------------------


def test_a_task_started_inside_no_grad_shares_the_block_and_its_end() -> None:
    seen: list[bool] = []

    async def child(started: asyncio.Event, go: asyncio.Event) -> None:
        seen.append(al.is_grad_enabled())  # inside the parent's block
        started.set()
        await go.wait()
        seen.append(al.is_grad_enabled())  # after the parent left it

    async def parent() -> None:
        started, go = asyncio.Event(), asyncio.Event()
        with al.no_grad():
            task = asyncio.ensure_future(child(started, go))
            await started.wait()
        go.set()
        await task

    asyncio.run(parent())
    assert seen == [False, True]


def test_after_a_block_is_closed_elsewhere_ops_here_take_the_fast_path_again() -> None:
    gen = _yields_inside(al.no_grad)
    next(gen)
    t = threading.Thread(target=gen.close)
    t.start()
    t.join(timeout=10)
    assert modes.current() is not modes.DEFAULT  # a closed block is still on top here
    out = Value(1.0) * 2.0  # the next node settles the chain
    assert out.inputs != ()
    assert modes.current() is modes.DEFAULT


def test_enable_grad_with_no_block_in_force_pushes_nothing() -> None:
    with al.enable_grad():
        assert modes.current() is modes.DEFAULT
    with al.no_grad(), al.enable_grad():
        assert modes.current() is not modes.DEFAULT and al.is_grad_enabled()


def test_a_keyboard_interrupt_right_after_entering_a_block_still_closes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = modes._chain

    class Interrupting:  # the context variable, but its set() is interrupted once it returns
        get = staticmethod(real.get)

        @staticmethod
        def set(value: modes.Mode) -> object:
            token = real.set(value)
            if value is not modes.DEFAULT and value.record is False:
                raise KeyboardInterrupt
            return token

    monkeypatch.setattr(modes, "_chain", Interrupting)
    with contextlib.suppress(KeyboardInterrupt), al.no_grad():
        pass
    monkeypatch.undo()
    assert al.is_grad_enabled()
