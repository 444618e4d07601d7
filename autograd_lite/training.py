"""Training: `fit` runs the loop  forward → J → backward → θ := update(θ, ∂J/∂θ).

Also `predict` (outputs as floats, no graph) and `r_squared` (how much of the variance of
y a fit explains).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

from tqdm.auto import trange

from . import nodes
from .engine import Value
from .losses import half_squared_error
from .modes import no_grad
from .optim import SGD, Optimizer
from .validation import is_finite_number

__all__ = ["DivergenceError", "Model", "fit", "predict", "r_squared"]

Sample = float | Sequence[float]
Loss = Callable[[list[Value], list[float]], Value]


class Model(Protocol):
    """What `fit` trains: called on one input list, it returns the outputs as Values."""

    def __call__(self, x: Sequence[float]) -> list[Value]: ...

    def parameters(self) -> list[Value]: ...

    def zero_grad(self) -> None: ...


class DivergenceError(ValueError):
    """Training produced a non-finite loss or gradient (usually: the learning rate is too big)."""


def fit(
    model: Model,
    xs: Sequence[Sample],
    ys: Sequence[Sample],
    loss: Loss = half_squared_error,
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    progress: bool = True,
) -> list[float]:
    """[J̄ for each epoch]: the mean per-sample loss J(model(x), y) over each epoch.

    Each step takes a batch of samples, forms J_batch = (1/|batch|) Σ loss(model(x), y),
    zeroes every ∂J/∂θ, runs `J_batch.backward()` and `optimizer.step()`.

    - `xs`, `ys`: one entry per sample, each a list of floats or a single float (wrapped
      as a one-element list, handy for `data.quadratic()`).
    - `loss`: J(outputs, targets) → Value; default `half_squared_error`, Σ ½(a − y)².
    - `optimizer`: default `SGD(model.parameters(), lr=0.01)`.
    - `epochs`: passes over the data (default 100).
    - `batch_size`: None (default) is full batch, one step per epoch; otherwise batches
      of that size are taken in the given order, with no shuffling, so runs repeat exactly.
    - `progress`: show a `tqdm.auto` bar with the last epoch's loss; False is silent.

    A sample's loss is measured before the step that uses it, so the history of epoch e
    describes the model during epoch e. If the loss or a gradient becomes non-finite it
    raises DivergenceError naming the epoch, and the step that would have used it is not
    taken. Bad arguments raise ValueError before anything is changed.
    """
    inputs, targets = _check_samples(model, xs, ys)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit epochs must be a positive int, got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"fit batch_size must be None or a positive int, got {batch_size!r}")
    if not callable(loss):
        raise ValueError(f"fit loss must be a function (outputs, targets) -> Value, got {loss!r}")
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=0.01)
    elif not isinstance(optimizer, Optimizer):
        raise ValueError(f"fit optimizer must be an autograd_lite.optim one, got {optimizer!r}")

    n = len(inputs)
    size = n if batch_size is None else min(batch_size, n)
    history: list[float] = []
    bar = trange(1, epochs + 1, desc="fit", unit="epoch", disable=not progress)
    for epoch in bar:
        total = 0.0
        for start in range(0, n, size):
            batch = range(start, min(start + size, n))
            try:
                terms = [_sample_loss(loss, model(inputs[i]), targets[i]) for i in batch]
                J = nodes.total(terms) * (1.0 / len(batch))
            except OverflowError as error:  # the engine refuses to make inf: so the loss did
                raise DivergenceError(
                    f"fit: the loss became non-finite in epoch {epoch} of {epochs} ({error}); "
                    "try a smaller learning rate or standardized data"
                ) from None
            model.zero_grad()
            optimizer.zero_grad()
            J.backward()
            for p in optimizer.params:
                if not math.isfinite(p.grad):
                    raise DivergenceError(
                        f"fit: a gradient ∂J/∂θ became non-finite ({p.grad!r}) in epoch "
                        f"{epoch} of {epochs} (loss {J.data:.6g}); try a smaller learning rate "
                        "or standardized data"
                    )
            try:
                optimizer.step()  # refuses, changing nothing, if a θ would become ±inf
            except ValueError as error:
                raise DivergenceError(
                    f"fit: epoch {epoch} of {epochs} (loss {J.data:.6g}): {error}; "
                    "try a smaller learning rate or standardized data"
                ) from None
            total += J.data * len(batch)
        history.append(total / n)
        bar.set_postfix(loss=f"{history[-1]:.4g}", refresh=False)
    bar.close()
    return history


def predict(model: Model, xs: Sequence[Sample]) -> list[list[float]]:
    """[[a⁽ᴸ⁾ⱼ for each output j] for each x]: the outputs as floats, no graph built."""
    inputs = [_as_list(x, "predict", "xs", i) for i, x in enumerate(xs)]
    with no_grad():
        return [[a.data for a in model(x)] for x in inputs]


def r_squared(targets: Sequence[float], predictions: Sequence[float]) -> float:
    """R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²: 1 is a perfect fit, 0 no better than the mean ȳ."""
    if len(targets) != len(predictions):
        raise ValueError(
            f"r_squared needs as many predictions as targets, got {len(predictions)} "
            f"and {len(targets)}"
        )
    if len(targets) < 2:
        raise ValueError(f"r_squared needs at least two targets, got {len(targets)}")
    mean = math.fsum(targets) / len(targets)
    total = math.fsum((y - mean) ** 2 for y in targets)
    if total == 0.0:
        raise ValueError("r_squared needs targets that are not all equal (Σ(y − ȳ)² = 0)")
    residual = math.fsum((y - p) ** 2 for y, p in zip(targets, predictions))
    return 1.0 - residual / total


# --- helpers ------------------------------------------------------------------------------


def _as_list(sample: object, who: str, what: str, index: int) -> list[float]:
    if isinstance(sample, bool):
        raise ValueError(f"{who}: {what}[{index}] must be a number or a list of numbers")
    if isinstance(sample, (int, float)):
        values: list[object] = [sample]
    elif isinstance(sample, Sequence) and not isinstance(sample, (str, bytes)):
        values = list(sample)
    else:
        raise ValueError(
            f"{who}: {what}[{index}] must be a number or a list of numbers, got {sample!r}"
        )
    out = []
    for v in values:
        if not is_finite_number(v):
            raise ValueError(f"{who}: {what}[{index}] must hold finite numbers, got {sample!r}")
        out.append(float(v))
    return out


def _check_samples(
    model: Model, xs: Sequence[Sample], ys: Sequence[Sample]
) -> tuple[list[list[float]], list[list[float]]]:
    for name, seq in (("xs", xs), ("ys", ys)):
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
            raise ValueError(f"fit {name} must be a list of samples, got {type(seq).__name__}")
    if len(xs) != len(ys):
        raise ValueError(f"fit needs as many targets as inputs, got {len(xs)} xs and {len(ys)} ys")
    if not xs:
        raise ValueError("fit needs at least one sample, got none")
    inputs = [_as_list(x, "fit", "xs", i) for i, x in enumerate(xs)]
    targets = [_as_list(y, "fit", "ys", i) for i, y in enumerate(ys)]
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
