"""Ctrl-C never leaves half a change: optimizer steps, `fit`, `load_parameters` (issue 11).

A KeyboardInterrupt is injected at every point where one could land:
- at the k-th assignment of a step, for every k, by parameters (and optimizers) whose
  attributes are Python properties that raise on the k-th set;
- at the start of every line the step runs, by a trace function that raises.
After each, every θ and every piece of optimizer state must be exactly as before the step
or exactly as after it.
"""

from __future__ import annotations

import gc
import math
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import autograd_lite
from autograd_lite.core.engine import Value
from autograd_lite.nn import MLP, manual
from autograd_lite.nn.optim import SGD, Adam, Optimizer

STATE = ("velocity", "m", "v", "t")
_SLOT = {name: Value.__dict__[name] for name in ("data", "grad")}


class Tripwire:
    """Counts the assignments it watches; raises KeyboardInterrupt at the `at`-th."""

    count = 0
    at: int | None = None

    @classmethod
    def tick(cls) -> None:
        cls.count += 1
        if cls.count == cls.at:
            raise KeyboardInterrupt(f"injected at assignment {cls.at}")

    @classmethod
    def arm(cls, at: int | None) -> None:
        cls.count, cls.at = 0, at


def _watched_slot(name: str) -> property:
    slot = _SLOT[name]

    def get(self: Value) -> Any:
        return slot.__get__(self, Value)

    def set_(self: Value, value: Any) -> None:
        Tripwire.tick()
        slot.__set__(self, value)

    return property(get, set_)


class WatchedValue(Value):
    """A Value whose data and grad are properties that count (and may interrupt) sets."""

    data = _watched_slot("data")  # type: ignore[assignment]
    grad = _watched_slot("grad")  # type: ignore[assignment]


def watched(cls: type[Optimizer]) -> type[Optimizer]:
    class Watched(cls):  # type: ignore[valid-type, misc]
        def __setattr__(self, name: str, value: object) -> None:
            if name in STATE:
                Tripwire.tick()
            super().__setattr__(name, value)

    return Watched


OPTIMIZERS: dict[str, Callable[[type[Optimizer] | None, list[Value]], Optimizer]] = {
    "SGD": lambda cls, ps: (cls or SGD)(ps, lr=0.1),  # type: ignore[call-arg]
    "SGD-momentum": lambda cls, ps: (cls or SGD)(ps, lr=0.1, momentum=0.9),  # type: ignore[call-arg]
    "Adam": lambda cls, ps: (cls or Adam)(ps, lr=0.1),
}
BASE = {"SGD": SGD, "SGD-momentum": SGD, "Adam": Adam}


def setup(name: str, value_type: type[Value] = Value) -> tuple[Optimizer, list[Value]]:
    """An optimizer that has taken one step already (so its state is not all zeros), with
    fresh gradients for the next one."""
    Tripwire.arm(None)
    params = [value_type(x) for x in (0.5, -1.25, 2.0, 0.0)]
    cls = watched(BASE[name]) if value_type is WatchedValue else None
    optimizer = OPTIMIZERS[name](cls, params)
    for p, g in zip(params, (0.3, -0.2, 1.5, 0.01)):
        p.grad = g
    optimizer.step()
    for p, g in zip(params, (-0.7, 0.4, 0.25, 2.0)):
        p.grad = g
    return optimizer, params


def snapshot(optimizer: Optimizer, params: list[Value]) -> tuple[object, ...]:
    state = tuple(
        list(value) if isinstance(value, list) else value
        for value in (getattr(optimizer, name, None) for name in STATE)
    )
    return (tuple(p.data for p in params), state)


def before_and_after(name: str) -> tuple[tuple[object, ...], tuple[object, ...]]:
    optimizer, params = setup(name)
    before = snapshot(optimizer, params)
    optimizer.step()
    return before, snapshot(optimizer, params)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_an_interrupt_at_any_assignment_of_a_step_leaves_it_undone(name: str) -> None:
    before, after = before_and_after(name)
    optimizer, params = setup(name, WatchedValue)
    Tripwire.arm(None)
    optimizer.step()  # counts the assignments of one whole step
    assignments = Tripwire.count
    assert snapshot(optimizer, params) == after
    assert assignments >= len(params)  # every θ, plus the state
    for k in range(1, assignments + 1):
        optimizer, params = setup(name, WatchedValue)
        assert snapshot(optimizer, params) == before
        Tripwire.arm(k)
        with pytest.raises(KeyboardInterrupt):
            optimizer.step()
        Tripwire.arm(None)
        assert snapshot(optimizer, params) == before, f"interrupted at assignment {k}"


def run_interrupted_at_line(call: Callable[[], object], n: int, files: set[str]) -> int:
    """Runs call() with a KeyboardInterrupt raised at the start of the n-th line it runs in
    `files` (no interrupt if n is 0); returns the number of lines seen."""
    seen = 0

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal seen
        if frame.f_code.co_filename not in files:
            return None
        if event == "line":
            seen += 1
            if seen == n:
                raise KeyboardInterrupt(f"injected at line {n}")
        return tracer

    sys.settrace(tracer)
    try:
        call()
    except KeyboardInterrupt:
        if n == 0:
            raise
    finally:
        sys.settrace(None)
    return seen


def package_files() -> set[str]:
    return {str(path) for path in Path(autograd_lite.__file__).parent.rglob("*.py")}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_an_interrupt_at_any_line_of_a_step_leaves_it_done_or_undone(name: str) -> None:
    before, after = before_and_after(name)
    optimizer, _ = setup(name)
    lines = run_interrupted_at_line(optimizer.step, 0, package_files())
    assert lines > 10
    outcomes = set()
    for n in range(1, lines + 1):
        optimizer, params = setup(name)
        run_interrupted_at_line(optimizer.step, n, package_files())
        state = snapshot(optimizer, params)
        assert state in (before, after), f"interrupted at line {n}: {state}"
        outcomes.add(state == after)
    assert outcomes  # each run ended in one of the two states


# --- fit ---------------------------------------------------------------------------------


XS = [[0.5, -1.0], [1.0, 0.25], [-0.3, 0.8]]
YS = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]


def data_of(mlp: MLP) -> list[float]:
    return [p.data for p in mlp.parameters()]


def trained(epochs: int) -> tuple[MLP, list[float]]:
    mlp = MLP(2, [3, 2], activation="tanh", seed=0)
    history = autograd_lite.fit(mlp, XS, YS, epochs=epochs, progress=False)
    return mlp, history


def test_ctrl_c_in_a_forward_pass_of_fit_keeps_the_history_and_the_model() -> None:
    reference, full_history = trained(5)
    two_epochs, _ = trained(2)
    mlp = MLP(2, [3, 2], activation="tanh", seed=0)
    calls = 0

    def loss(outputs: list[Value], targets: list[float]) -> Value:
        nonlocal calls
        calls += 1
        if calls == 2 * len(XS) + 2:  # the second sample of epoch 3
            raise KeyboardInterrupt
        return autograd_lite.losses.half_squared_error(outputs, targets)

    gc_was_enabled = gc.isenabled()
    with pytest.raises(KeyboardInterrupt) as interrupted:  # eagerly: the loss runs each step
        autograd_lite.fit(mlp, XS, YS, loss=loss, epochs=5, progress=False, compile=False)
    error: Any = interrupted.value
    assert error.history == full_history[:2]
    assert error.epoch == 3
    assert data_of(mlp) == data_of(two_epochs)  # two whole steps, nothing of the third
    assert gc.isenabled() == gc_was_enabled
    assert data_of(reference) != data_of(two_epochs)


def watch_parameters(mlp: MLP) -> MLP:
    for layer in mlp.layers:
        for n in layer.neurons:
            n.w = [WatchedValue(w.data, w.label) for w in n.w]
            n.b = WatchedValue(n.b.data, n.b.label)
    return mlp


class SGDInterruptedInStep3(SGD):
    """SGD whose third step is interrupted at its k-th assignment."""

    def __init__(self, params: list[Value], k: int) -> None:
        super().__init__(params, lr=0.01)
        self.k = k
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        Tripwire.arm(self.k if self.steps == 3 else None)
        try:
            super().step()
        finally:
            Tripwire.arm(None)


def test_ctrl_c_inside_an_optimizer_step_of_fit_leaves_that_step_undone() -> None:
    two_epochs, history = trained(2)
    n_params = len(two_epochs.parameters())
    for k in range(1, n_params + 1):
        mlp = watch_parameters(MLP(2, [3, 2], activation="tanh", seed=0))
        optimizer = SGDInterruptedInStep3(mlp.parameters(), k)
        with pytest.raises(KeyboardInterrupt) as interrupted:
            autograd_lite.fit(mlp, XS, YS, optimizer=optimizer, epochs=5, progress=False)
        assert optimizer.steps == 3
        assert interrupted.value.history == history  # type: ignore[attr-defined]
        assert data_of(mlp) == data_of(two_epochs), f"interrupted at assignment {k}"


# --- zero_grad: fit zeroes the gradients once, before each backward ------------------------


def test_fit_uses_only_this_steps_gradient_at_every_step() -> None:
    # Stale gradients in p.grad (from an earlier backward) and the gradients of the step
    # before must both be ignored: SGD must see exactly the mean gradient of this step.
    mlp = MLP(2, [3, 2], activation="tanh", seed=0)
    for p in mlp.parameters():
        p.grad = 123.0
    autograd_lite.fit(mlp, XS, YS, epochs=3, progress=False)  # SGD, α = 0.01
    by_hand = MLP(2, [3, 2], activation="tanh", seed=0)
    for _ in range(3):
        per_sample = [manual.backprop(by_hand, x, y) for x, y in zip(XS, YS)]
        mean = [math.fsum(g) / len(XS) for g in zip(*per_sample)]
        for p, g in zip(by_hand.parameters(), mean):
            p.data -= 0.01 * g
    assert data_of(mlp) == pytest.approx(data_of(by_hand), abs=1e-14)


# --- load_parameters ------------------------------------------------------------------------


def test_an_interrupt_while_load_parameters_assigns_leaves_the_model_unchanged(
    tmp_path: Path,
) -> None:
    path = MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    expected = data_of(MLP(2, [3, 1], seed=0))
    for k in range(1, 2 * 13 + 2):  # a data and a grad for each of the 13 parameters
        model = watch_parameters(MLP(2, [3, 1], seed=1))
        for p in model.parameters():
            p.grad = 0.5
        before = [(p.data, p.grad) for p in model.parameters()]
        Tripwire.arm(k)
        try:
            model.load_parameters(path)
        except KeyboardInterrupt:
            assert [(p.data, p.grad) for p in model.parameters()] == before, k
        else:
            assert k > 2 * 13  # every assignment made: the whole file was loaded
            assert [(p.data, p.grad) for p in model.parameters()] == [(d, 0.0) for d in expected]
        finally:
            Tripwire.arm(None)
