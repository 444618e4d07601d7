"""autograd-lite against micrograd 0.1.0 and hand-written backprop: `make bench`.

    .venv/bin/python benchmarks/bench.py [--quick] [--repeats N] [--out DIR] [--clock cpu|wall]
                                         [--check]

Prints a table and writes the same numbers, with the machine, Python and date, to
DIR/bench.json (default out/bench.json).

How it times. All contenders run in this one process. Each workload runs one untimed
warm-up call per contender, then `repeats` rounds; a round times one call of every
contender, starting with a different contender each round (round-robin), so a slow
patch of a noisy machine hits everyone. Before each timed call `gc.collect()` clears the
previous contender's garbage, so it is not billed to the next one; the garbage collector
stays on during the call, because collecting one's own reference cycles is part of an
engine's cost. Reported: median (and min) per call, and ratios of medians. The clock is this
process's CPU time by default (`--clock wall` for elapsed time; both are in the JSON): on a
shared machine, other programs' load stretches elapsed time but not our CPU time.

Before timing, every contender computes ∂J/∂θ from the same parameters, and the
results must agree (to 1e-9): the contenders do the same work.

The workloads:
  1. mlp:   one full-batch training step of MLP(2, [16, 16, 1]) (ReLU hidden, linear
            output) on 100 points, J = Σ ½(a − y)²: forward, backward, SGD update.
  2. seed:  the seed's 2-2-2 network (ReLU hidden, ReLU output), plain per-sample SGD:
            one step = one sample (forward, J, backward, update), as in the textbook
            derivation. This is the small-graph regime, where fixed per-step costs
            (graph sort, zero_grad, optimizer) dominate; workload 1 is the batch regime.
            A timed call runs many steps; we report steps per second.
  3. chain: y = y·c + d from a leaf, c and d plain floats, until the graph has N op nodes
            (N/2 multiplications and N/2 additions), then backward: cost per node at
            N = 10,000 and N = 1,000,000, and their ratio. Freeing the graph happens after
            the timed call (reported separately). micrograd is run at 10,000: its recursive
            topological sort raises RecursionError past ~1000 levels, which we report.
  4. memory: 100,000 (x, x * 2.0) pairs, x a fresh leaf; bytes per pair from tracemalloc,
            counting everything the pair allocates (both nodes, x's float, the tuples).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import functools
import gc
import importlib.metadata
import json
import math
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import compiled_bench
import micrograd_compat
from handwritten import HandwrittenMLP

from autograd_lite.atomic import check_target, write_bytes
from autograd_lite.core import nary
from autograd_lite.core.collector import no_gc
from autograd_lite.core.engine import Value
from autograd_lite.nn import MLP
from autograd_lite.nn.losses import half_squared_error
from autograd_lite.nn.optim import SGD

try:  # micrograd is the `bench` dependency group; without it its rows say "not installed".
    from micrograd.engine import Value as MgValue
    from micrograd.nn import MLP as MgMLP

    MICROGRAD: str | None = importlib.metadata.version("micrograd")
except ImportError:
    MgValue = MgMLP = None
    MICROGRAD = None

AL, MG, HW = "autograd-lite", "micrograd", "hand-written"
#: autograd-lite with each step inside `al.no_gc()`, as `fit` runs it: the cyclic collector
#: finds nothing in our graphs, yet their allocations set it off (see collector.py).
AL_NO_GC = "al + no_gc()"
SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Sizes:
    mlp_points: int
    seed_steps: int  # steps per timed call
    chain_small: int
    chain_large: int
    chain_repeats: int
    memory_pairs: int


FULL = Sizes(
    mlp_points=100,
    seed_steps=2000,
    chain_small=10_000,
    chain_large=1_000_000,
    chain_repeats=5,
    memory_pairs=100_000,
)
QUICK = Sizes(
    mlp_points=4,
    seed_steps=20,
    chain_small=100,
    chain_large=1_000,
    chain_repeats=1,
    memory_pairs=1_000,
)

MLP_SIZES = (2, [16, 16, 1])
SEED_SIZES = (2, [2, 2])
LR = 1e-3
CHAIN_C, CHAIN_D = 0.9999, 0.0001  # y stays near 1; ∂y/∂x = c^(N/2) stays a normal float


# ===========================================================================================
# Timing
# ===========================================================================================


#: The clock the medians and ratios use (`--clock`): "cpu" is this process's CPU time
#: (time.process_time), which other programs competing for the cores do not inflate;
#: "wall" is elapsed time (time.perf_counter). Both are recorded either way.
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}
clock = "cpu"


@dataclasses.dataclass
class Timing:
    """Times of one contender on one workload, or the error that stopped it."""

    cpu: list[float] = dataclasses.field(default_factory=list)
    wall: list[float] = dataclasses.field(default_factory=list)
    free: list[float] = dataclasses.field(default_factory=list)  # wall time of `del result`
    error: str | None = None

    @property
    def times(self) -> list[float]:
        return self.cpu if clock == "cpu" else self.wall

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": self.error}
        return {
            "median_s": self.median,
            "min_s": min(self.times),
            "times_s": self.times,
            "cpu_median_s": statistics.median(self.cpu),
            "wall_median_s": statistics.median(self.wall),
            "free_median_s": statistics.median(self.free),
        }


def interleaved(
    contenders: Mapping[str, Callable[[], object]],
    repeats: int,
    verify: Callable[[str, object], None] | None = None,
) -> dict[str, Timing]:
    """Round-robin timing: see the module docstring. `verify(name, result)` checks the
    warm-up call's result. A contender that raises RecursionError is dropped."""
    timings = {name: Timing() for name in contenders}

    def run(name: str, timed: bool) -> None:
        timing = timings[name]
        if timing.error is not None:
            return
        gc.collect()
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        try:
            result = contenders[name]()
        except RecursionError:
            timing.error = "RecursionError"
            return
        wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
        if verify is not None and not timed:
            verify(name, result)
        start_wall = time.perf_counter()
        del result  # frees the graph if the call returned it
        freed = time.perf_counter() - start_wall
        if timed:
            timing.cpu.append(cpu)
            timing.wall.append(wall)
            timing.free.append(freed)

    names = list(contenders)
    for name in names:
        run(name, timed=False)  # warm-up
    for r in range(repeats):
        for i in range(len(names)):
            run(names[(r + i) % len(names)], timed=True)
    gc.collect()
    return timings


# ===========================================================================================
# The three ways to train one network, all loaded with the same numbers
# ===========================================================================================


def weights_of(model: MLP) -> tuple[list[list[list[float]]], list[list[float]]]:
    weights = [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers]
    biases = [[n.b.data for n in layer.neurons] for layer in model.layers]
    return weights, biases


def micrograd_copy(model: MLP) -> Any:
    """micrograd's MLP with the same sizes and parameters (its last layer is linear)."""
    mg = MgMLP(model.nin, list(model.nouts))
    for layer, mg_layer in zip(model.layers, mg.layers):
        for n, mg_n in zip(layer.neurons, mg_layer.neurons):
            for w, mg_w in zip(n.w, mg_n.w):
                mg_w.data = w.data
            mg_n.b.data = n.b.data
    return mg


class Trainer:
    """One model for one contender: `step(xs, ys)` is one SGD step on those samples."""

    def step(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> float:
        raise NotImplementedError

    def gradients(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> list[float]:
        """∂J/∂θ in parameters() order (no update), to check that the contenders agree."""
        raise NotImplementedError


class AutogradLite(Trainer):
    def __init__(self, model: MLP, lr: float) -> None:
        self.model = model
        self.optimizer = SGD(model.parameters(), lr)

    def loss(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> Value:
        model = self.model
        return nary.total([half_squared_error(model(x), y) for x, y in zip(xs, ys)])

    def step(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> float:
        self.model.zero_grad()
        loss = self.loss(xs, ys)
        loss.backward()
        self.optimizer.step()
        return loss.data

    def gradients(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> list[float]:
        self.model.zero_grad()
        self.loss(xs, ys).backward()
        return [p.grad for p in self.model.parameters()]


class AutogradLiteNoGC(AutogradLite):
    """The same step, with the cyclic collector paused for it, as `fit` does."""

    def step(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> float:
        with no_gc():
            return super().step(xs, ys)


class Micrograd(Trainer):
    """micrograd as shipped: its MLP, its Value, J written the micrograd way."""

    def __init__(self, model: MLP, lr: float) -> None:
        self.model = micrograd_copy(model)
        self.params = self.model.parameters()
        self.lr = lr
        # micrograd's MLP has a linear last layer; a ReLU output is applied on top.
        self.relu_output = model.output_activation == "relu"

    def outputs(self, x: list[float]) -> list[Any]:
        out = self.model(x)
        out = out if isinstance(out, list) else [out]
        return [a.relu() for a in out] if self.relu_output else out

    def loss(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> Any:
        return sum((a - t) ** 2 * 0.5 for x, y in zip(xs, ys) for a, t in zip(self.outputs(x), y))

    def step(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> float:
        self.model.zero_grad()
        loss = self.loss(xs, ys)
        loss.backward()
        for p in self.params:
            p.data -= self.lr * p.grad
        return float(loss.data)

    def gradients(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> list[float]:
        self.model.zero_grad()
        self.loss(xs, ys).backward()
        return [float(p.grad) for p in self.params]


class Handwritten(Trainer):
    def __init__(self, model: MLP, lr: float) -> None:
        weights, biases = weights_of(model)
        self.net = HandwrittenMLP(weights, biases, [layer.activation for layer in model.layers])
        self.lr = lr

    def step(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> float:
        return self.net.step(xs, ys, self.lr)

    def gradients(self, xs: Sequence[list[float]], ys: Sequence[list[float]]) -> list[float]:
        _, grad_w, grad_b = self.net.gradients(xs, ys)
        return [
            g for g_matrix, g_b in zip(grad_w, grad_b)
            for g_row, g_bj in zip(g_matrix, g_b) for g in (*g_row, g_bj)
        ]  # fmt: skip


def trainers(model_factory: Callable[[], MLP], lr: float) -> dict[str, Trainer]:
    made: dict[str, Trainer] = {HW: Handwritten(model_factory(), lr)}
    made[AL] = AutogradLite(model_factory(), lr)
    made[AL_NO_GC] = AutogradLiteNoGC(model_factory(), lr)
    if MICROGRAD is not None:
        made[MG] = Micrograd(model_factory(), lr)
    return made


def check_agreement(
    made: dict[str, Trainer], xs: Sequence[list[float]], ys: Sequence[list[float]]
) -> float:
    """The largest difference of any ∂J/∂θ from the hand-written one (relative to max(1, |g|))."""
    reference = made[HW].gradients(xs, ys)
    worst = 0.0
    for name, trainer in made.items():
        grads = trainer.gradients(xs, ys)
        if len(grads) != len(reference):
            raise SystemExit(
                f"bench: {name} has {len(grads)} parameters, expected {len(reference)}"
            )
        for g, ref in zip(grads, reference):
            worst = max(worst, abs(g - ref) / max(1.0, abs(ref)))
    if worst > 1e-9:
        raise SystemExit(f"bench: the contenders disagree on ∂J/∂θ (worst difference {worst:.3g})")
    return worst


def regression_data(n: int, rng: random.Random) -> tuple[list[list[float]], list[list[float]]]:
    xs = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n)]
    ys = [[math.sin(3.0 * x0) * x1 + 0.5 * x0] for x0, x1 in xs]
    return xs, ys


# ===========================================================================================
# The workloads
# ===========================================================================================


def bench_mlp(sizes: Sizes, repeats: int) -> dict[str, Any]:
    nin, nouts = MLP_SIZES
    xs, ys = regression_data(sizes.mlp_points, random.Random(1))
    made = trainers(lambda: MLP(nin, nouts, seed=0), LR)
    worst = check_agreement(made, xs, ys)
    steps = {name: functools.partial(t.step, xs, ys) for name, t in made.items()}
    timings = interleaved(steps, repeats)
    return {
        "title": (
            f"MLP({nin}, {nouts}) training step on {len(xs)} points, J = Σ ½(a − y)²: "
            "forward, backward, SGD"
        ),
        "description": (
            f"one full-batch SGD step of MLP({nin}, {nouts}) (ReLU hidden, linear output) "
            f"on {len(xs)} points, J = Σ ½(a − y)²: forward, backward, update"
        ),
        "points": len(xs),
        "max_grad_difference": worst,
        "results": {name: t.to_json() for name, t in timings.items()},
        "ratios_to_handwritten": _ratios(timings, HW),
    }


def bench_seed(sizes: Sizes, repeats: int) -> dict[str, Any]:
    nin, nouts = SEED_SIZES
    rng = random.Random(2)
    samples = [([rng.uniform(-1, 1), rng.uniform(-1, 1)], [rng.random(), rng.random()])
               for _ in range(16)]  # fmt: skip
    made = trainers(
        lambda: MLP(nin, nouts, activation="relu", output_activation="relu", seed=0), LR
    )
    worst = check_agreement(made, [x for x, _ in samples], [y for _, y in samples])
    steps = sizes.seed_steps
    batches = [([samples[s % 16][0]], [samples[s % 16][1]]) for s in range(steps)]

    def run(trainer: Trainer) -> None:
        for xs, ys in batches:
            trainer.step(xs, ys)

    timings = interleaved({name: functools.partial(run, t) for name, t in made.items()}, repeats)
    results = {name: t.to_json() for name, t in timings.items()}
    for name, t in timings.items():
        if t.error is None:
            results[name]["steps_per_s"] = steps / t.median
    return {
        "title": f"the seed's 2-2-2 ReLU network: per-sample SGD, {steps} steps per timed call",
        "description": (
            f"the seed network MLP({nin}, {nouts}) (ReLU hidden, ReLU output): per-sample "
            f"SGD, one step = forward, J, backward, update on one sample; {steps} steps per "
            "timed call"
        ),
        "steps_per_call": steps,
        "max_grad_difference": worst,
        "results": results,
        "ratios_to_handwritten": _ratios(timings, HW),
    }


def chain(
    value: Callable[[float], Any],
    n_nodes: int,
    phases: list[tuple[float, float]] | None = None,
    pause_gc: bool = False,
) -> Callable[[], tuple[Any, Any]]:
    """y = y·c + d from a leaf x until the graph has n_nodes op nodes; then y.backward().

    If given, `phases` gets the (forward, backward) times of each call, on the report's clock.
    `pause_gc` builds and runs backward inside `al.no_gc()`.
    """
    now = CLOCKS[clock]

    def run() -> tuple[Any, Any]:
        with no_gc() if pause_gc else contextlib.nullcontext():
            start = now()
            x = value(1.0)
            y = x
            for _ in range(n_nodes // 2):
                y = y * CHAIN_C + CHAIN_D
            built = now()
            y.backward()
            if phases is not None:
                phases.append((built - start, now() - built))
        return x, y  # returned, so the graph is freed after the timed part

    return run


def bench_chain(sizes: Sizes) -> dict[str, Any]:
    small, large = sizes.chain_small, sizes.chain_large

    def verify(key: str, result: object) -> None:  # ∂y/∂x = c^(N/2)
        x = cast(tuple[Any, Any], result)[0]
        n = int(key.rsplit(" ", 1)[1])
        expected = CHAIN_C ** (n // 2)
        if abs(x.grad - expected) > 1e-9 * expected:
            raise SystemExit(f"bench: {key}: ∂y/∂x = {x.grad!r}, expected {expected!r}")

    phases: dict[tuple[str, int], list[tuple[float, float]]] = {
        (name, n): [] for name in (AL, AL_NO_GC) for n in (small, large)
    }
    runs: dict[str, Callable[[], object]] = {
        f"{name} {n}": chain(Value, n, phases[name, n], pause_gc=name == AL_NO_GC)
        for name in (AL, AL_NO_GC)
        for n in (small, large)
    }
    if MICROGRAD is not None:
        runs[f"{MG} {small}"] = chain(MgValue, small)
    timings = interleaved(runs, sizes.chain_repeats, verify)
    results: dict[str, Any] = {AL: {}, AL_NO_GC: {}, MG: {}}
    for key, t in timings.items():
        name, n = key.rsplit(" ", 1)
        entry = t.to_json()
        if t.error is None:
            entry["per_node_s"] = t.median / int(n)
        if name != MG:  # where the time goes; the warm-up call is left out
            forward, backward = zip(*phases[name, int(n)][1:])
            entry["forward_per_node_s"] = statistics.median(forward) / int(n)
            entry["backward_per_node_s"] = statistics.median(backward) / int(n)
        results[name][n] = entry
    if MICROGRAD is None:
        results[MG][str(small)] = {"error": "not installed"}
    def ratio(name: str) -> float:
        per_node = results[name]
        return float(per_node[str(large)]["per_node_s"] / per_node[str(small)]["per_node_s"])

    return {
        "title": "chain y = y·c + d: forward + backward, per node; 'free' = dropping the graph",
        "description": (
            "y = y·c + d (c, d floats) from one leaf until the graph has N op nodes, then "
            "backward; cost per node; the graph is freed after the timed part"
        ),
        "sizes": [small, large],
        "results": results,
        "per_node_ratio": ratio(AL),
        "per_node_ratio_no_gc": ratio(AL_NO_GC),
        "recursion_limit": sys.getrecursionlimit(),
    }


def bytes_per_pair(make_leaf: Callable[[float], Any], n_pairs: int) -> float:
    """tracemalloc's count of what one (x, x * 2.0) pair allocates, x a fresh leaf.

    Only y = x * 2.0 is kept (it holds x), in a list that exists before tracing starts, so
    the count is the nodes and what they own: both objects, their floats, tuples, sets and
    closures. The count is taken after half of the pairs and after all of them, and the
    difference is divided by the second half's pairs: one-off allocations (the loop's own,
    tracemalloc's) cancel out.
    """
    keep: list[Any] = [None] * n_pairs
    half = n_pairs // 2
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(half):
            keep[i] = make_leaf(float(i)) * 2.0
        middle = tracemalloc.get_traced_memory()[0]
        for i in range(half, n_pairs):
            keep[i] = make_leaf(float(i)) * 2.0
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del keep
    gc.collect()
    # Rounded: the int `middle` itself (32 bytes, once) is traced too.
    return round((end - middle) / (n_pairs - half), 1)


def bench_memory(sizes: Sizes) -> dict[str, Any]:
    results: dict[str, Any] = {AL: {"bytes_per_pair": bytes_per_pair(Value, sizes.memory_pairs)}}
    if MICROGRAD is not None:
        results[MG] = {"bytes_per_pair": bytes_per_pair(MgValue, sizes.memory_pairs)}
    else:
        results[MG] = {"error": "not installed"}
    return {
        "title": f"memory of {sizes.memory_pairs:,} (x, x * 2.0) pairs, by tracemalloc",
        "description": (
            f"{sizes.memory_pairs:,} pairs (x, x * 2.0), x a fresh leaf: bytes per pair by "
            "tracemalloc (both nodes and everything they own)"
        ),
        "pairs": sizes.memory_pairs,
        "results": results,
    }


def _ratios(timings: dict[str, Timing], base: str) -> dict[str, float]:
    if timings[base].error is not None:
        return {}
    return {name: t.median / timings[base].median for name, t in timings.items() if t.error is None}


# ===========================================================================================
# Targets, table, JSON
# ===========================================================================================


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The engine-speed issue's targets, each PASS, FAIL or SKIP (micrograd not installed)."""
    w = report["workloads"]
    mlp, seed, chain_ = w["mlp"]["results"], w["seed"]["results"], w["chain"]
    compiled = w["compiled"]["ratios"]
    small, large = chain_["sizes"]

    def median(results: dict[str, Any], name: str) -> float | None:
        return results.get(name, {}).get("median_s")

    def over(results: dict[str, Any], a: str, b: str) -> float | None:
        top, bottom = median(results, a), median(results, b)
        return None if top is None or bottom is None else top / bottom

    rows: list[tuple[str, str, float | None, Callable[[float], bool]]] = [
        ("MLP step: autograd-lite / hand-written", "≤ 1.5×", over(mlp, AL, HW),
         lambda v: v <= 1.5),
        ("MLP step: al + no_gc() / hand-written", "≤ 1.5×", over(mlp, AL_NO_GC, HW),
         lambda v: v <= 1.5),
        ("MLP step: micrograd / autograd-lite", "≥ 50×", over(mlp, MG, AL),
         lambda v: v >= 50.0),
        ("seed SGD: steps/s autograd-lite / micrograd", "≥ 2×", over(seed, MG, AL),
         lambda v: v >= 2.0),
        (f"chain: per-node cost at {large:,} / at {small:,}", "≤ 1.3",
         chain_["per_node_ratio"], lambda v: v <= 1.3),
        ("chain, al + no_gc(): the same ratio", "≤ 1.3",
         chain_["per_node_ratio_no_gc"], lambda v: v <= 1.3),
        ("memory: bytes per (x, x * 2.0) pair", "≤ 300",
         w["memory"]["results"][AL]["bytes_per_pair"], lambda v: v <= 300.0),
        ("al.compile step / hand-written", "≤ 0.5×",
         compiled["compile / hand-written"], lambda v: v <= 0.5),
        ("al.compile .sum / hand-written NumPy", "≤ 3×",
         compiled["compile.sum / numpy"], lambda v: v <= 3.0),
        ("al.compile .sum / torch (1 thread)", "< 1×",
         compiled.get("compile.sum / torch (1 thread)"), lambda v: v < 1.0),
        ("al.compile tracing / eager steps", "≤ 5",
         compiled["tracing (compile) / eager step"], lambda v: v <= 5.0),
        ("fit per epoch, once traced / hand-written step", "≤ 0.5×",
         compiled["fit per epoch, once traced / hand-written"], lambda v: v <= 0.5),
        ("fit(epochs=100), tracing included / hand-written", "≤ 0.5×",
         compiled["fit(epochs=100) per epoch / hand-written"], lambda v: v <= 0.5),
        *((f"micrograd API, {name}: micrograd / ours", f"≥ {micrograd_compat.TARGET:g}×",
           w["micrograd_api"].get(name, {}).get("ratio"),
           lambda v: v >= micrograd_compat.TARGET)
          for name in micrograd_compat.TARGETED),
    ]  # fmt: skip
    out = []
    for name, target, value, ok in rows:
        status = "SKIP" if value is None else "PASS" if ok(value) else "FAIL"
        out.append({"name": name, "target": target, "value": value, "status": status})
    return out


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def table(report: dict[str, Any]) -> str:
    w = report["workloads"]
    lines = [
        f"autograd-lite benchmark · {report['date']} · {report['python']['implementation']} "
        f"{report['python']['version']} · {report['machine']['platform']} · "
        f"{report['machine']['cpus']} CPUs · load {report['machine']['load_average_at_start']}"
        f" → {report['machine']['load_average_at_end']}",
        f"rounds per workload: {report['repeats']} ({report['chain_repeats']} for the chain), "
        f"interleaved round-robin, gc.collect() before each timed call; medians of {clock} time",
    ]
    if report["quick"]:
        lines.append("QUICK RUN: tiny sizes, for the smoke test; the targets do not apply")

    def timed_rows(results: dict[str, Any], ratios: dict[str, float], extra: str) -> None:
        lines.append(f"  {'contender':<16}{'median':>11}{'min':>11}{'× hand-written':>16}{extra}")
        for name in (HW, AL, AL_NO_GC, MG):
            r = results.get(name)
            label = f"{MG} {MICROGRAD}" if name == MG and MICROGRAD else name
            if r is None or "error" in r:
                lines.append(f"  {label:<16}{(r or {}).get('error', 'not installed'):>11}")
                continue
            more = f"{r['steps_per_s']:>14,.0f}" if "steps_per_s" in r else ""
            lines.append(
                f"  {label:<16}{fmt_time(r['median_s']):>11}{fmt_time(r['min_s']):>11}"
                f"{ratios[name]:>15.2f}×{more}"
            )

    mlp = w["mlp"]
    lines += ["", f"1. {mlp['title']}"]
    timed_rows(mlp["results"], mlp["ratios_to_handwritten"], "")
    seed = w["seed"]
    lines += ["", f"2. {seed['title']}"]
    timed_rows(seed["results"], seed["ratios_to_handwritten"], f"{'steps/s':>14}")

    ch = w["chain"]
    lines += ["", f"3. {ch['title']}"]
    lines.append(
        f"  {'contender':<16}{'nodes':>11}{'median':>11}{'per node':>11}"
        f"{'forward':>11}{'backward':>11}{'free':>11}"
    )
    for name in (AL, AL_NO_GC, MG):
        for n, r in ch["results"][name].items():
            if "error" in r:
                lines.append(f"  {name:<16}{int(n):>11,}{r['error']:>22}")
            else:
                split = (
                    f"{fmt_time(r['forward_per_node_s']):>11}"
                    f"{fmt_time(r['backward_per_node_s']):>11}{fmt_time(r['free_median_s']):>11}"
                    if name != MG  # micrograd's graph has cycles: the collector frees it, later
                    else ""
                )
                lines.append(
                    f"  {name:<16}{int(n):>11,}{fmt_time(r['median_s']):>11}"
                    f"{fmt_time(r['per_node_s']):>11}{split}"
                )
    small, large = ch["sizes"]
    lines.append(
        f"  per-node cost at {large:,} / at {small:,}: {ch['per_node_ratio']:.2f}, "
        f"with al.no_gc(): {ch['per_node_ratio_no_gc']:.2f}"
    )

    mem = w["memory"]
    lines += ["", f"4. {mem['title']}"]
    for name in (AL, MG):
        r = mem["results"][name]
        value = r["error"] if "error" in r else f"{r['bytes_per_pair']:.0f} bytes/pair"
        lines.append(f"  {name:<16}{value:>22}")

    comp = w["compiled"]
    lines += ["", f"5. al.compile: workload 1 replayed as generated code ({comp['points']} points)"]
    for name, seconds in comp["medians_s"].items():
        lines.append(f"  {name:<18}{fmt_time(seconds):>11}")
    for name, seconds in comp["tracing_s"].items():
        lines.append(f"  tracing, {name:<9}{fmt_time(seconds):>11} (a fresh compile's first call)")
    for name, seconds in comp["fit_s"].items():
        lines.append(f"  {name:<27}{fmt_time(seconds):>11}")
    for name, ratio in comp["ratios"].items():
        lines.append(f"  {name:<40}{ratio:>8.2f}×")

    lines += ["", "6. autograd_lite.micrograd against micrograd 0.1.0 (micrograd's own code)"]
    for api in w["micrograd_api"].values() or [{"title": "micrograd is not installed"}]:
        lines.append(f"  {api['title']}")
        if "median_s" not in api:
            lines.append(f"    skipped: {api.get('skipped', 'micrograd is not installed')}")
            continue
        for name, seconds in api["median_s"].items():
            lines.append(f"    {name:<16}{fmt_time(seconds):>11}")
        lines.append(f"    {api['ratio_of']}: {api['ratio']:.1f}")

    lines += ["", "targets" + (" (quick run: not meaningful)" if report["quick"] else "")]
    for t in report["targets"]:
        value = "—" if t["value"] is None else f"{t['value']:.3g}"
        lines.append(f"  {t['status']:<5} {t['name']:<48} {value:>8}   target {t['target']}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpus": os.cpu_count(),
        "load_average_at_start": load_average(),
    }


def load_average() -> float | None:
    """The 1-minute load average: above the CPU count, other work is competing with us."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not on Windows
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds per workload")
    parser.add_argument("--out", type=Path, default=Path("out"), help="directory for bench.json")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="cpu", help="what medians and ratios use"
    )
    args = parser.parse_args(argv)
    global clock
    clock = args.clock
    sizes = QUICK if args.quick else FULL
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 15)
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.repeats is not None:  # the chain's 1,000,000 is slow: a third as many rounds
        sizes = dataclasses.replace(sizes, chain_repeats=max(1, repeats // 3))
    path = args.out / "bench.json"
    try:  # refused before minutes of measuring, not after: a device, a FIFO, a directory …
        check_target(path)
    except OSError as error:
        raise SystemExit(f"bench.py: {error}") from None

    started = time.perf_counter()
    report: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": {
            "implementation": platform.python_implementation(),
            "version": platform.python_version(),
        },
        "machine": machine(),
        "versions": {
            AL: importlib.metadata.version("autograd-lite"),
            MG: MICROGRAD,
        },
        "quick": args.quick,
        "clock": clock,
        "repeats": repeats,
        "chain_repeats": sizes.chain_repeats,
        "workloads": {
            "mlp": bench_mlp(sizes, repeats),
            "seed": bench_seed(sizes, repeats),
            "chain": bench_chain(sizes),
            "memory": bench_memory(sizes),
            "compiled": compiled_bench.measure(
                *((4, 1, 1) if args.quick else (100, repeats, 5)), interleaved=interleaved
            ),
            "micrograd_api": (
                micrograd_compat.measure(repeats, args.quick, interleaved)
                if MICROGRAD is not None
                else {}
            ),
        },
    }
    report["machine"]["load_average_at_end"] = load_average()
    report["targets"] = targets(report)
    report["seconds"] = time.perf_counter() - started

    print(table(report))
    args.out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=1, ensure_ascii=False) + "\n"
    write_bytes(path, text.encode("utf-8"))  # all or nothing, and never onto a device
    print(f"\nwrote {path} ({report['seconds']:.0f} s)")
    failed = any(t["status"] == "FAIL" for t in report["targets"])
    return 1 if args.check and failed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
