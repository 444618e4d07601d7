"""Where an autograd-lite training step spends its time: cProfile, and a phase-by-phase clock.

    .venv/bin/python benchmarks/profile_step.py [--steps N] [--top K]

The step is workload 1 of bench.py: MLP(2, [16, 16, 1]) on 100 points, J = Σ ½(a − y)².
First the phases are timed without the profiler (zero_grad, forward, topological sort,
backward, SGD update, freeing the graph; medians of N steps); then cProfile shows the
functions with the most time of their own. cProfile adds a fixed cost to every call, so it
overstates code that makes many small calls: read the phase clock for the real proportions.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import random
import statistics
import time
from collections.abc import Sequence

from bench import MLP_SIZES, regression_data

from autograd_lite import engine, nodes
from autograd_lite.losses import half_squared_error
from autograd_lite.nn import MLP
from autograd_lite.optim import SGD


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)

    nin, nouts = MLP_SIZES
    xs, ys = regression_data(100, random.Random(1))
    model = MLP(nin, nouts, seed=0)
    optimizer = SGD(model.parameters(), 1e-3)

    def forward() -> engine.Value:
        return nodes.total([half_squared_error(model(x), y) for x, y in zip(xs, ys)])

    phases: dict[str, list[float]] = {
        name: [] for name in ("zero_grad", "forward", "topological_order", "backward", "step")
    }
    phases["free"] = []
    for _ in range(args.steps):
        gc.collect()
        t0 = time.perf_counter()
        model.zero_grad()
        t1 = time.perf_counter()
        loss = forward()
        t2 = time.perf_counter()
        engine.topological_order(loss)  # timed alone: backward() sorts again, inside its time
        t3 = time.perf_counter()
        loss.backward()
        t4 = time.perf_counter()
        optimizer.step()
        t5 = time.perf_counter()
        del loss
        t6 = time.perf_counter()
        for name, seconds in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            phases[name].append(seconds)
    loss = forward()
    order = engine.topological_order(loss)
    edges = sum(1 for node in order for x in node.inputs if isinstance(x, engine.Value))
    print(f"graph of one step: {len(order):,} nodes, {edges:,} Value edges")
    print(f"phases (median of {args.steps} steps, no profiler):")
    for name, times in phases.items():
        note = "  (includes its own topological_order)" if name == "backward" else ""
        print(f"  {name:<18}{statistics.median(times) * 1e3:8.2f} ms{note}")
    del loss, order

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.steps):
        model.zero_grad()
        loss = forward()
        loss.backward()
        optimizer.step()
        del loss
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
    print(f"\ncProfile, {args.steps} steps, by own time:")
    print(out.getvalue().split("\n", 4)[-1].rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
