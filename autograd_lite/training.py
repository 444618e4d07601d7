"""Training: `fit` runs the loop  forward → J → backward → θ := update(θ, ∂J/∂θ).

Also `predict` (outputs as floats, no graph) and `r_squared` (how much of the variance of
y a fit explains).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .compiler import compiled
from .core import nary
from .core.collector import no_gc
from .core.engine import Value
from .core.modes import no_grad
from .core.validation import as_list, finite_numbers, real_number, same_length, whole_number
from .nn.losses import binary_cross_entropy_with_logits, half_squared_error, mse
from .nn.modules import MLP
from .nn.optim import SGD, Optimizer

if TYPE_CHECKING:
    from .viz.training_view import TrainingView

__all__ = [
    "CompileWarning", "DivergenceError", "FitInterrupted", "Model", "fit", "predict", "r_squared",
]

Sample = float | Sequence[float]
Loss = Callable[[list[Value], list[float]], Value]


class Model(Protocol):
    """What `fit` trains: called on one input list, it returns the outputs as Values."""

    def __call__(self, x: Sequence[float]) -> list[Value]: ...

    def parameters(self) -> list[Value]: ...


class DivergenceError(ValueError):
    """Training produced a non-finite loss or gradient (usually: the learning rate is too big)."""


class FitInterrupted(KeyboardInterrupt):
    """`fit` was stopped by Ctrl-C (a KeyboardInterrupt). It is a KeyboardInterrupt, so it
    stops a script as Ctrl-C always does; catch it to keep what was done.

    `history` holds J̄ for each epoch that ran to its end, `epoch` is the epoch that was
    interrupted (from 1). The model is consistent: every optimizer step was taken whole
    or not at all, so θ is as it was after the last step taken.
    """

    def __init__(self, history: list[float], epoch: int) -> None:
        super().__init__(f"fit was interrupted in epoch {epoch}, after {len(history)} full epochs")
        self.history = history
        self.epoch = epoch


def fit(
    model: Model,
    xs: Sequence[Sample],
    ys: Sequence[Sample],
    loss: Loss = half_squared_error,
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    progress: bool = True,
    compile: bool = True,
    live: bool | TrainingView = False, record: str | os.PathLike[str] | None = None,
) -> list[float]:
    """[J̄ for each epoch]: the mean per-sample loss J(model(x), y) over each epoch.

    Each step takes a batch, forms J_batch = (1/|batch|) Σ loss(model(x), y), zeroes ∂J/∂θ,
    runs `J_batch.backward()` and `optimizer.step()`; the last step's ∂J/∂θ stay in p.grad.

    - `xs`, `ys`: one entry per sample, each a list of numbers or a single number
      (wrapped as a one-element list, handy for `data.quadratic()`). Any real numbers
      do, NumPy's included: a NumPy array of samples works.
    - `loss`: J(outputs, targets) → Value; default `half_squared_error`, Σ ½(a − y)². Its
      `check_targets`, if it has one (see losses.py), checks all targets before training.
    - `optimizer`: default `SGD(model.parameters(), lr=0.01)`.
    - `epochs`: passes over the data (default 100).
    - `batch_size`: None (default) is full batch, one step per epoch; otherwise batches
      of that size are taken in the given order, with no shuffling, so runs repeat exactly.
    - `progress`: show a `tqdm.auto` bar with the last epoch's loss; False is silent.
    - `compile` (default True): steps run as code `al.compile` generates from their graph
      (see `_Steps`): eager training's numbers to the last bit, several times faster. A
      one-epoch fit runs eagerly. Where a step cannot be replayed exactly, fit trains
      eagerly from there on and says so once (`CompileWarning`). False: eagerly.
    - `live`: True shows training as it runs in the notebook, a `viz.TrainingView` (or
      feeds the one given); `record`: an .html file for its replay page, written at the end.

    A sample's loss is measured before the step that uses it, so the history of epoch e
    describes the model during epoch e. If the loss or a gradient becomes non-finite it
    raises DivergenceError naming the epoch, and the step that would have used it is not
    taken. Bad arguments raise TypeError or ValueError before anything is changed (and a
    `record` one cannot write to an OSError, `live` outside a notebook RuntimeError).

    Ctrl-C raises FitInterrupted, a KeyboardInterrupt whose `history` holds the epochs
    that ran to their end; each step is all or nothing, so the model is as it was after
    the last step taken.
    """
    inputs, targets = _check_samples(model, xs, ys)
    epochs, size = whole_number(epochs, "fit epochs"), _batch_size(batch_size, len(inputs))
    optimizer = _check_loss_and_optimizer(model, loss, optimizer, targets)
    watching = _watching(model, live, record, (inputs, targets, loss, epochs))
    from tqdm.auto import trange  # imported here, so that `import autograd_lite` stays light
    run = _Steps(model, loss, compile and epochs >= 2)
    history: list[float] = []
    bar = trange(1, epochs + 1, desc="fit", unit="epoch", disable=not progress)
    try:
        with watching as epoch_done:
            _train(run, optimizer, (inputs, targets, size), bar, history, epoch_done)
    except KeyboardInterrupt as interrupt:
        raise FitInterrupted(history, len(history) + 1) from interrupt
    finally:
        bar.close()
    return history


def _batch_size(batch_size: object, samples: int) -> int:
    return samples if batch_size is None else whole_number(batch_size, "fit batch_size")


def _train(
    run: _Steps,
    optimizer: Optimizer,
    data: tuple[Batch, Batch, int],
    bar: Any,
    history: list[float],
    epoch_done: Callable[[float], None],
) -> None:
    """The epochs of `bar` (a tqdm range), one by one: J̄ of each appended to `history`,
    shown on the bar and handed to `epoch_done` (the view's, when one watches)."""
    inputs, targets, size = data
    for epoch in bar:
        where = f"epoch {epoch} of {bar.total}"
        history.append(_epoch(run, optimizer, inputs, targets, size, where))
        bar.set_postfix(loss=f"{history[-1]:.4g}", refresh=False)
        run.say(epoch)
        epoch_done(history[-1])


def _unwatched(loss: float) -> None:
    """What fit calls after each epoch when no view watches."""


Watching = contextlib.AbstractContextManager[Callable[[float], None]]


def _watching(
    model: Model, live: object, record: object, run: tuple[Batch, Batch, Loss, int]
) -> Watching:
    """The context fit trains in: yields what fit calls with each epoch's J̄, a view's
    (viz.TrainingView.training) when `live` or `record` asks for one. All checked before
    training; the view's module (and NumPy, graphviz) is imported only when asked for."""
    if live is False and record is None:
        return contextlib.nullcontext(_unwatched)
    view, page = _watcher(model, live, record)
    inputs, targets, loss, epochs = run
    return view.training(model, inputs, targets, loss, epochs, show=live is not False,
                         record=page)  # fmt: skip


def _watcher(model: Model, live: object, record: object) -> tuple[TrainingView, Path | None]:
    """(the view fit feeds, the replay page's path or None), checked."""
    from .viz import training_view

    page = None if record is None else training_view.check_record(record)
    if isinstance(live, training_view.TrainingView):
        live.check_model(model)
        view = live
    elif live is True or live is False:
        view = training_view.TrainingView()
    else:
        raise TypeError(
            f"fit live must be True, False or a viz.TrainingView, got {type(live).__name__} "
            f"{live!r:.60}"
        )
    if live is not False:
        training_view.frontend()  # RuntimeError outside a notebook
        training_view.widget_class()  # ImportError without anywidget
    return view, page


Batch = list[list[float]]
#: The losses that use a target only through Value ops (and checks), as `MLP` does its
#: inputs: with them, fit traces one step for all batches of a size, its targets and
#: inputs standing as Values, where any other loss gets the numbers.
_LIBRARY_LOSSES = frozenset({half_squared_error, mse, binary_cross_entropy_with_logits})


class CompileWarning(UserWarning):
    """fit trains eagerly from here on: a step could not be replayed as `al.compile`'s
    code exactly (the message says why). fit(..., compile=False) trains eagerly from the
    start, and says nothing."""


class _Steps:
    """run(start, xs, ys, optimizer) = J of one batch (the one at `start`), with ∂J/∂θ
    added to every θ's grad: by J.backward() on the batch's graph, or by the code
    `al.compile` generates from it.

    Compiled, the loss and the model get the numbers eager training gives them: each
    batch's step is a function of no arguments, traced once on the batch itself (fit's
    batches are the same in every epoch), its targets and inputs constants of the trace,
    so that a loss may test `y[0] == 1.0` or `int(y[0])`. Constants that differ between
    the samples are read per sample (repeats.py), so the batch is still a loop. The
    library's own MLP and losses use targets and inputs only through Value ops: for them
    one trace serves every batch of a size, the numbers standing as Values."""

    def __init__(self, model: Model, loss: Loss, compiled_steps: bool) -> None:
        self.model, self.loss = model, loss
        self.compiled = compiled_steps
        self.shared = type(model) is MLP and loss in _LIBRARY_LOSSES
        self.steps: dict[object, compiled.Compiled] = {}
        self.news: str | None = None  # why fit turned eager, until fit has said so

    def batch_loss(self, xs: Batch, ys: Batch) -> Value:
        """J = (1/|batch|) Σ loss(model(x), y)."""
        terms = [_sample_loss(self.loss, self.model(x), y) for x, y in zip(xs, ys)]
        return nary.total(terms) * (1.0 / len(xs))

    def eager(self, xs: Batch, ys: Batch) -> float:
        J = self.batch_loss(xs, ys)
        J.backward()
        return J.data

    def __call__(self, start: int, xs: Batch, ys: Batch, optimizer: Optimizer) -> float:
        if not self.compiled:
            return self.eager(xs, ys)
        step = self.step(start, xs, ys)
        try:
            J = step(xs, ys) if self.shared else step()
        except Exception as error:  # eager training decides
            optimizer.zero_grad()  # as the step began: the failed one may have added some
            J = self.eager(xs, ys)  # eager training's own error, if it has one
            self.turn_eager(f"al.compile failed on a step ({type(error).__name__}: {error})")
            return J
        if step.eager_reason is not None:  # it ran eagerly, and would again
            self.turn_eager(step.eager_reason)
        return J

    def step(self, start: int, xs: Batch, ys: Batch) -> compiled.Compiled:
        """The compiled step of the batch at `start`: its own, its targets and inputs the
        numbers themselves (the library's losses and MLP: one for all, taking them as
        arguments). fit's batches are the same in every epoch, so each is traced once."""
        key = "every batch" if self.shared else start
        if key not in self.steps:
            self.steps[key] = compiled.compile(
                self.batch_loss if self.shared else lambda: self.batch_loss(xs, ys)
            )
        return self.steps[key]

    def turn_eager(self, reason: str) -> None:
        self.compiled = False
        self.news = f"{reason:.300}"

    def say(self, epoch: int) -> None:
        """Says once, after the epoch in which it happened, that fit turned eager (the
        warning's line is the caller of fit's)."""
        if self.news is not None:
            message = f"fit trains eagerly from epoch {epoch} on: {self.news}"
            warnings.warn(message, CompileWarning, stacklevel=3)
            self.news = None


def _epoch(
    run: _Steps,
    optimizer: Optimizer,
    inputs: Batch,
    targets: Batch,
    size: int,
    where: str,
) -> float:
    """One pass over the data in batches of `size`: the mean per-sample loss J̄."""
    total = 0.0
    for start in range(0, len(inputs), size):
        batch_x, batch_y = inputs[start : start + size], targets[start : start + size]
        total += _step(run, optimizer, start, batch_x, batch_y, where) * len(batch_x)
    return total / len(inputs)


def _step(
    run: _Steps, optimizer: Optimizer, start: int, xs: Batch, ys: Batch, where: str
) -> float:
    """One step on one batch: ∂J/∂θ := 0, J and ∂J/∂θ by `run`, θ := update. Returns J."""
    # The engine's graphs have no reference cycles (nodes hold numbers, not closures), so
    # the cyclic garbage collector has nothing to find in them, yet building one sets it
    # off again and again: its passes cost about a tenth of a step. See collector.py.
    with no_gc():
        optimizer.zero_grad()  # the one place: leaves accumulate, and step reads these
        try:
            J = run(start, xs, ys, optimizer)
        except OverflowError as error:  # the engine refuses to make inf: so the loss did
            raise DivergenceError(
                f"fit: the loss became non-finite in {where} ({error}); {_ADVICE}"
            ) from None
        try:
            optimizer.step()  # checks every ∂J/∂θ and new θ first; refuses, changing nothing
        except ValueError as error:
            raise DivergenceError(f"fit: {where} (loss {J:.6g}): {error}; {_ADVICE}") from None
    return J


_ADVICE = "try a smaller learning rate or standardized data"


def predict(model: Model, xs: Sequence[Sample]) -> list[list[float]]:
    """[[a⁽ᴸ⁾ⱼ for each output j] for each x]: the outputs as floats, no graph built."""
    samples = as_list(xs, "predict", "xs")
    inputs = [_sample(x, "predict", f"xs[{i}]") for i, x in enumerate(samples)]
    with no_grad():
        return [[a.data for a in model(x)] for x in inputs]


def r_squared(targets: Sequence[float], predictions: Sequence[float]) -> float:
    """R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²: 1 is a perfect fit, 0 no better than the mean ȳ."""
    ys = finite_numbers(targets, "r_squared", "targets")
    predicted = finite_numbers(predictions, "r_squared", "predictions")
    same_length(ys, predicted, "r_squared", "targets predictions")  # type: ignore[arg-type]
    if len(ys) < 2:
        raise ValueError(f"r_squared needs at least two targets, got {len(ys)}")
    mean = math.fsum(ys) / len(ys)
    total = math.fsum((y - mean) ** 2 for y in ys)
    if total == 0.0:
        raise ValueError("r_squared needs targets that are not all equal (Σ(y − ȳ)² = 0)")
    residual = math.fsum((y - p) ** 2 for y, p in zip(ys, predicted))
    return 1.0 - residual / total


# --- helpers ------------------------------------------------------------------------------


def _check_loss_and_optimizer(
    model: Model, loss: Loss, optimizer: Optimizer | None, targets: Batch
) -> Optimizer:
    """The optimizer to use (default: SGD with α = 0.01), once loss and optimizer are checked,
    and the targets, by the loss's `check_targets` if it has one: all of them, before any
    step, for eager and compiled training alike (a compiled step reads a target's number
    only when it traces)."""
    if not callable(loss):
        raise ValueError(f"fit loss must be a function (outputs, targets) -> Value, got {loss!r}")
    check_targets = getattr(loss, "check_targets", None)
    if check_targets is not None:
        check_targets(targets)
    if optimizer is None:
        return SGD(model.parameters(), lr=0.01)
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"fit optimizer must be an autograd_lite.optim one, got {optimizer!r}")
    return optimizer


def _sample(sample: object, who: str, what: str) -> list[float]:
    """One sample as a list of finite floats; a single real number is wrapped as [x]."""
    if isinstance(sample, numbers.Real) and not isinstance(sample, bool):
        return [real_number(sample, f"{who}: {what}")]
    return finite_numbers(sample, who, what)


def _check_samples(
    model: Model, xs: Sequence[Sample], ys: Sequence[Sample]
) -> tuple[list[list[float]], list[list[float]]]:
    x_list = as_list(xs, "fit", "xs")
    y_list = as_list(ys, "fit", "ys")
    same_length(x_list, y_list, "fit", "xs ys")
    if not x_list:
        raise ValueError("fit needs at least one sample, got none")
    inputs = [_sample(x, "fit", f"xs[{i}]") for i, x in enumerate(x_list)]
    targets = [_sample(y, "fit", f"ys[{i}]") for i, y in enumerate(y_list)]
    nin = getattr(model, "nin", None)
    nouts = getattr(model, "nouts", None)
    for i, (x, y) in enumerate(zip(inputs, targets)):
        if isinstance(nin, int) and len(x) != nin:
            raise ValueError(f"fit: the model expects {nin} inputs, got {len(x)} in xs[{i}]")
        if isinstance(nouts, list) and nouts and len(y) != nouts[-1]:
            raise ValueError(
                f"fit: the model has {nouts[-1]} outputs, got {len(y)} targets in ys[{i}]"
            )
    return inputs, targets


def _sample_loss(loss: Loss, outputs: list[Value], targets: list[float]) -> Value:
    J = loss(outputs, targets)
    if not isinstance(J, Value):
        raise ValueError(f"fit loss must return a Value, got {type(J).__name__} {J!r}")
    return J
