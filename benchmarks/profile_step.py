"""Where an autograd-lite training step spends its time: cProfile, and a phase-by-phase clock.

    .venv/bin/python benchmarks/profile_step.py [--steps N] [--top K]

The step is workload 1 of bench.py: MLP(2, [16, 16, 1]) on 100 points, J = Σ ½(a − y)².
First the phases are timed without the profiler (zero_grad, forward, topological sort,
zeroing the interior grads, the chain rule, SGD update, freeing the graph: medians of N
steps of CPU time, inside al.no_gc() as fit runs a step, each as a multiple of the
hand-written step timed between them); then cProfile shows the functions with the most
time of their own. cProfile adds a fixed cost to every call, so it
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

from bench import MLP_SIZES, Handwritten, regression_data

from autograd_lite.core import engine, nary
from autograd_lite.core.collector import no_gc
from autograd_lite.nn import MLP
from autograd_lite.nn.losses import half_squared_error
from autograd_lite.nn.optim import SGD


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
        return nary.total([half_squared_error(model(x), y) for x, y in zip(xs, ys)])

    hand = Handwritten(MLP(nin, nouts, seed=0), 1e-3)
    clock = time.process_time
    phases: dict[str, list[float]] = {
        name: [] for name in ("hand-written step", "zero_grad", "forward", "topological_order",
                              "zeroing interior grads", "propagate", "step", "free")
    }  # fmt: skip
    for _ in range(args.steps):
        gc.collect()
        t = clock()
        hand.step(xs, ys)
        phases["hand-written step"].append(clock() - t)
        gc.collect()
        with no_gc():  # as fit runs a step
            times = [clock()]
            model.zero_grad()
            times.append(clock())
            loss = forward()
            times.append(clock())
            order = engine.topological_order(loss)
            times.append(clock())
            for node in order:  # what backward() does between the sort and the chain rule
                if node.edges:
                    node.grad = 0.0
            del node  # it holds the root, and with it the graph, past `del loss, order`
            loss.grad = 1.0
            times.append(clock())
            engine.propagate(order)
            times.append(clock())
            optimizer.step()
            times.append(clock())
            del loss, order
            times.append(clock())
        for name, start, end in zip(list(phases)[1:], times, times[1:]):
            phases[name].append(end - start)
    loss = forward()
    order = engine.topological_order(loss)
    edges = sum(1 for node in order for x in node.inputs if isinstance(x, engine.Value))
    loss.backward()
    skipped = sum(len(node.inputs) for node in order if node.edges and node.grad == 0.0)
    inputs = sum(len(node.inputs) for node in order)
    print(f"graph of one step: {len(order):,} nodes with {inputs:,} inputs ({edges:,} of them "
          f"Values); the zero rule skips the {skipped:,} inputs of nodes whose gradient is 0")
    reference = statistics.median(phases["hand-written step"])
    print(f"phases (median CPU time of {args.steps} steps, inside al.no_gc(), interleaved "
          "with the hand-written step; no profiler):")
    for name, times in phases.items():
        median = statistics.median(times)
        print(f"  {name:<24}{median * 1e3:8.2f} ms {median / reference:6.2f}× hand-written")
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
