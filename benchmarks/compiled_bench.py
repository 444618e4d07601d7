"""al.compile against hand-written code: `python benchmarks/compiled_bench.py [--quick]`.

The workload is bench.py's workload 1: one full-batch training step of MLP(2, [16, 16, 1])
(ReLU hidden, linear output) on 100 points, J = Σ ½(a − y)²: forward, backward, SGD. The
contenders, timed round-robin in this one process with bench.py's `interleaved` (CPU
time, gc.collect() before each timed call, medians):

- hand-written Python (benchmarks/handwritten.py) and eager autograd-lite;
- `compile`: al.compile of the batch loss, J = Σₖ ½(a(xₖ) − yₖ)², called on the batch;
- `compile.sum`: al.compile of one sample's loss, `step.sum(xs, ys)` over the batch
  (given as NumPy arrays, as the NumPy contender has it);
- hand-written NumPy (`NumpyMLP` below: forward, δ, update with matrices);
- torch on one thread (float64), if torch is installed;
- `fit(model, xs, ys)` as a learner calls it (compiled by default; half_squared_error
  over the batch, as a mean; SGD): for 10 and 100 epochs. Its time per epoch once traced
  is (t₁₀₀ − t₁₀)/90; a whole fit of 100 epochs (the default) includes its tracing.

Every contender computes ∂J/∂θ from the same parameters first, and they must agree to
1e-9. Tracing is timed apart: the first call of a fresh al.compile (trace, code
generation, compile(), first replay), against the eager step's median.

`measure()` returns the numbers (bench.py's table uses it); run as a script it prints them.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from handwritten import HandwrittenMLP

import autograd_lite as al
from autograd_lite.nn import MLP
from autograd_lite.nn.losses import half_squared_error
from autograd_lite.nn.optim import SGD
from autograd_lite.training import fit

SIZES = (2, [16, 16, 1])
LR = 1e-3
Batch = tuple[list[list[float]], list[list[float]]]


class NumpyMLP:
    """The hand-written step with NumPy matrices: z⁽ˡ⁾ = a⁽ˡ⁻¹⁾Θ⁽ˡ⁾ᵀ + b⁽ˡ⁾ for all samples
    at once, δ⁽ᴸ⁾ = a⁽ᴸ⁾ − y, δ⁽ˡ⁾ = (δ⁽ˡ⁺¹⁾Θ⁽ˡ⁺¹⁾) ⊙ g′(z⁽ˡ⁾), ∂J/∂Θ⁽ˡ⁾ = δ⁽ˡ⁾ᵀa⁽ˡ⁻¹⁾."""

    def __init__(self, model: MLP) -> None:
        self.weights = [np.array([[w.data for w in n.w] for n in layer.neurons])
                        for layer in model.layers]  # fmt: skip
        self.biases = [np.array([n.b.data for n in layer.neurons]) for layer in model.layers]
        self.relu = [layer.activation == "relu" for layer in model.layers]

    def gradients(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        activations, zs = [x], []
        a = x
        for w, b, relu in zip(self.weights, self.biases, self.relu):
            z = a @ w.T + b
            a = np.maximum(z, 0.0) if relu else z
            zs.append(z)
            activations.append(a)
        delta = a - y
        loss = 0.5 * float(np.sum(delta * delta))
        if self.relu[-1]:
            delta = delta * (zs[-1] > 0.0)
        grad_w: list[np.ndarray] = []
        grad_b: list[np.ndarray] = []
        for i in range(len(self.weights) - 1, -1, -1):
            grad_w.insert(0, delta.T @ activations[i])
            grad_b.insert(0, delta.sum(axis=0))
            if i > 0:
                delta = delta @ self.weights[i]
                if self.relu[i - 1]:
                    delta = delta * (zs[i - 1] > 0.0)
        return loss, grad_w, grad_b

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        loss, grad_w, grad_b = self.gradients(x, y)
        for w, g in zip(self.weights, grad_w):
            w -= lr * g
        for b, g in zip(self.biases, grad_b):
            b -= lr * g
        return loss

    def flat_gradients(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        _, grad_w, grad_b = self.gradients(x, y)
        return [float(v) for gw, gb in zip(grad_w, grad_b)
                for row, bj in zip(gw, gb) for v in (*row, bj)]  # fmt: skip


class Torch:
    """torch on one thread, float64, the same parameters: autograd and a manual SGD step."""

    def __init__(self, model: MLP) -> None:
        import torch

        torch.set_num_threads(1)
        self.torch = torch
        self.params = []
        for layer in model.layers:
            w = [[v.data for v in n.w] for n in layer.neurons]
            b = [n.b.data for n in layer.neurons]
            self.params += [torch.tensor(w, dtype=torch.float64, requires_grad=True),
                            torch.tensor(b, dtype=torch.float64, requires_grad=True)]  # fmt: skip
        self.relu = [layer.activation == "relu" for layer in model.layers]

    def loss(self, x: Any, y: Any) -> Any:
        a = x
        for i, relu in enumerate(self.relu):
            z = a @ self.params[2 * i].T + self.params[2 * i + 1]
            a = z.relu() if relu else z
        return 0.5 * ((a - y) ** 2).sum()

    def step(self, x: Any, y: Any, lr: float) -> float:
        for p in self.params:
            p.grad = None
        loss = self.loss(x, y)
        loss.backward()
        with self.torch.no_grad():
            for p in self.params:
                p -= lr * p.grad
        return float(loss.detach())

    def flat_gradients(self, x: Any, y: Any) -> list[float]:
        for p in self.params:
            p.grad = None
        self.loss(x, y).backward()
        out = []
        for i in range(0, len(self.params), 2):
            for row, bj in zip(self.params[i].grad.tolist(), self.params[i + 1].grad.tolist()):
                out += [*row, bj]
        return out


def _data(n: int) -> Batch:
    rng = random.Random(1)
    xs = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n)]
    return xs, [[float(np.sin(3.0 * x0) * x1 + 0.5 * x0)] for x0, x1 in xs]


Contender = tuple[Callable[[], float], Callable[[], list[float]]]


def _compiled(batch: Batch, per_sample: bool) -> Contender:
    """(one training step, ∂J/∂θ) with a compiled step over the batch or step.sum."""
    model = MLP(SIZES[0], SIZES[1], seed=0)
    optimizer = SGD(model.parameters(), LR)
    xs, ys = batch
    if per_sample:
        step = al.compile(lambda x, y: half_squared_error(model(x), y))
        x, y = np.array(xs), np.array(ys)  # the batch as arrays, as the NumPy contender has it
        run = lambda: step.sum(x, y)  # noqa: E731
    else:
        step = al.compile(lambda xs, ys: al.total([half_squared_error(model(x), y)
                                                 for x, y in zip(xs, ys)]))  # fmt: skip
        run = lambda: step(xs, ys)  # noqa: E731

    def train() -> float:
        model.zero_grad()
        J = run()
        optimizer.step()
        return J

    def gradients() -> list[float]:
        model.zero_grad()
        run()
        return [p.grad for p in model.parameters()]

    return train, gradients


def _eager(batch: Batch) -> Contender:
    model = MLP(SIZES[0], SIZES[1], seed=0)
    optimizer = SGD(model.parameters(), LR)
    xs, ys = batch

    def loss() -> al.Value:
        return al.total([half_squared_error(model(x), y) for x, y in zip(xs, ys)])

    def train() -> float:
        model.zero_grad()
        J = loss()
        J.backward()
        optimizer.step()
        return J.data

    def gradients() -> list[float]:
        model.zero_grad()
        loss().backward()
        return [p.grad for p in model.parameters()]

    return train, gradients


def contenders(batch: Batch) -> dict[str, Contender]:
    """{name: (one training step, ∂J/∂θ in parameters() order)}, each with its own model."""
    model = MLP(SIZES[0], SIZES[1], seed=0)
    xs, ys = batch
    hand = HandwrittenMLP(
        [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers],
        [[n.b.data for n in layer.neurons] for layer in model.layers],
        [layer.activation for layer in model.layers],
    )
    x, y = np.array(xs), np.array(ys)
    numpy_mlp = NumpyMLP(model)
    made = {
        "hand-written": (lambda: hand.step(xs, ys, LR),
                         lambda: _flatten(*hand.gradients(xs, ys)[1:])),
        "eager": _eager(batch),
        "compile": _compiled(batch, per_sample=False),
        "compile.sum": _compiled(batch, per_sample=True),
        "numpy": (lambda: numpy_mlp.step(x, y, LR), lambda: numpy_mlp.flat_gradients(x, y)),
    }  # fmt: skip
    if importlib.util.find_spec("torch") is not None:
        import torch

        t = Torch(model)
        tx, ty = torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)
        made["torch (1 thread)"] = (lambda: t.step(tx, ty, LR), lambda: t.flat_gradients(tx, ty))
    return made


def fit_contenders(batch: Batch) -> dict[str, Callable[[], object]]:
    """{name: a whole fit of the workload's model}, for 10 and for 100 epochs."""
    model = MLP(SIZES[0], SIZES[1], seed=0)
    optimizer = SGD(model.parameters(), LR)
    xs, ys = batch

    def run(epochs: int) -> Callable[[], object]:
        return lambda: fit(model, xs, ys, optimizer=optimizer, epochs=epochs, progress=False)

    return {"fit, 10 epochs": run(10), "fit, 100 epochs": run(100)}


def _flatten(grad_w: Sequence[Any], grad_b: Sequence[Any]) -> list[float]:
    return [g for gw, gb in zip(grad_w, grad_b) for row, bj in zip(gw, gb) for g in (*row, bj)]


def tracing_cost(batch: Batch, rounds: int) -> dict[str, float]:
    """Median CPU time of a fresh al.compile's first call (trace, generate, compile, run)."""
    times: dict[str, list[float]] = {"compile": [], "compile.sum": []}
    for _ in range(rounds):
        for name in times:
            train, _ = _compiled(batch, per_sample=name == "compile.sum")
            gc.collect()
            start = time.process_time()
            train()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def measure(
    points: int = 100,
    repeats: int = 15,
    trace_rounds: int = 5,
    interleaved: Callable[..., dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The medians (s), ratios and tracing costs of the workload (see the module doc).

    `interleaved` is bench.py's timing loop; bench.py passes its own, and run alone this
    imports it (importing bench.py from bench.py would load a second copy of it)."""
    if interleaved is None:
        from bench import interleaved  # the one timing loop, bench.py's

    batch = _data(points)
    made = contenders(batch)
    reference = made["hand-written"][1]()
    worst = 0.0
    for _, gradients in made.values():
        for g, r in zip(gradients(), reference, strict=True):
            worst = max(worst, abs(g - r) / max(1.0, abs(r)))
    if worst > 1e-9:
        raise SystemExit(f"compiled_bench: the contenders disagree on ∂J/∂θ by {worst:.3g}")
    timings = interleaved({name: step for name, (step, _) in made.items()}, repeats)
    medians = {name: t.median for name, t in timings.items()}
    fits = {"hand-written": made["hand-written"][0], **fit_contenders(batch)}
    fit_medians = {n: t.median for n, t in interleaved(fits, max(3, repeats // 3)).items()}
    per_epoch = (fit_medians["fit, 100 epochs"] - fit_medians["fit, 10 epochs"]) / 90
    tracing = tracing_cost(batch, trace_rounds)
    ratios = {
        "compile / hand-written": medians["compile"] / medians["hand-written"],
        "compile / eager": medians["compile"] / medians["eager"],
        "compile.sum / numpy": medians["compile.sum"] / medians["numpy"],
        "tracing (compile) / eager step": tracing["compile"] / medians["eager"],
        "tracing (compile.sum) / eager step": tracing["compile.sum"] / medians["eager"],
        "fit per epoch, once traced / hand-written": per_epoch / fit_medians["hand-written"],
        "fit(epochs=100) per epoch / hand-written":
            fit_medians["fit, 100 epochs"] / 100 / fit_medians["hand-written"],
    }
    if "torch (1 thread)" in medians:
        torch_s = medians["torch (1 thread)"]
        ratios["compile.sum / torch (1 thread)"] = medians["compile.sum"] / torch_s
        ratios["torch (1 thread) / numpy"] = torch_s / medians["numpy"]
    fit_s = {"fit per epoch, once traced": per_epoch,
             **{n: t for n, t in fit_medians.items() if n != "hand-written"}}
    return {"points": points, "repeats": repeats, "max_grad_difference": worst,
            "medians_s": medians, "tracing_s": tracing, "fit_s": fit_s,
            "ratios": ratios}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 points, 2 rounds: a smoke test")
    args = parser.parse_args(argv)
    result = measure(4, 2, 1) if args.quick else measure()
    print(f"MLP{SIZES} step on {result['points']} points: forward, backward, SGD "
          f"(medians of {result['repeats']} interleaved rounds, CPU time)")  # fmt: skip
    for name, seconds in result["medians_s"].items():
        print(f"  {name:<18}{seconds * 1e3:>10.3f} ms")
    for name, seconds in result["tracing_s"].items():
        print(f"  tracing {name:<10}{seconds * 1e3:>10.3f} ms (first call of a fresh compile)")
    for name, seconds in result["fit_s"].items():
        print(f"  {name:<28}{seconds * 1e3:>10.3f} ms")
    for name, ratio in result["ratios"].items():
        print(f"  {name:<38}{ratio:>8.3f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
