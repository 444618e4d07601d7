"""What the live training view costs: `python benchmarks/training_view_bench.py [--quick]`.

fit(..., live=True) against fit(...) on two-moons, in one Jupyter kernel, as a notebook
runs it: the view is displayed and every update goes out as a widget message to the
kernel's client (this script, which reads and drops them, as JupyterLab would draw
them). The workload is notebook 04's: two_moons(n=100, noise=0.1), MLP(2, [8, 8, 1])
(ReLU hidden, linear output), binary_cross_entropy_with_logits, Adam(lr=0.03),
mini-batches of 10, compiled (fit's default), no progress bar; for several numbers of
epochs (notebook 04 trains 30).

How it times: inside the kernel, each round runs fit once with live=True and once
without, in turn (which goes first alternates), each on a fresh model from the same seed,
after gc.collect(); a warm-up round first (imports, the widget's first use). Reported:
the medians of the wall time and of the kernel process's CPU time (all its threads: the
widget messages are sent by its I/O thread), and the overhead, median(live) /
median(fit) − 1. Also how many updates a live fit sent and at what rate (it may send one
every 0.1 s of wall time, and one more at the end), and the time of one update and of
the end (the last state and the still picture the saved notebook keeps).

Needs the `notebooks` dependency group (ipykernel, anywidget), which `make test`'s venv
has. Prints a table, and writes the numbers with the machine and date to
DIR/training_view_bench.json (default out/).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
from pathlib import Path
from typing import Any

from autograd_lite.atomic import write_bytes

EPOCHS = (30, 300, 1000)
QUICK_EPOCHS = (3, 30)

# Run in the kernel: defines measure(epochs, rounds) -> dict.
KERNEL_CODE = r'''
import gc, json, random, statistics, time
from autograd_lite.nn import MLP, data
from autograd_lite.nn.losses import binary_cross_entropy_with_logits
from autograd_lite.nn.optim import Adam
from autograd_lite.training import fit
from autograd_lite.viz import TrainingView

points, labels = data.two_moons(n=100, noise=0.1, seed=0)
order = list(range(len(points)))
random.Random(0).shuffle(order)  # as notebook 04 does
points, labels = [points[i] for i in order], [labels[i] for i in order]


def one(epochs, live):
    model = MLP(2, [8, 8, 1], activation="relu", output_activation="linear", seed=0)
    view = TrainingView() if live else False
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fit(model, points, labels, loss=binary_cross_entropy_with_logits,
        optimizer=Adam(model.parameters(), lr=0.03), epochs=epochs, batch_size=10,
        progress=False, live=view)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, (view.updates if live else 0), view


def parts(view):
    """The time of one update (the state, then the widget message) and of fit's end."""
    start = time.perf_counter()
    for _ in range(20):
        view._send()
    update = (time.perf_counter() - start) / 20
    start = time.perf_counter()
    view._finish(None, None)
    return update, time.perf_counter() - start


def measure(epochs, rounds):
    one(epochs, True), one(epochs, False)  # warm-up
    runs = {True: [], False: []}
    for r in range(rounds):
        for live in ((True, False) if r % 2 else (False, True)):
            runs[live].append(one(epochs, live))
    update, end = parts(runs[True][-1][3])
    median = lambda live, k: statistics.median(run[k] for run in runs[live])
    return {
        "epochs": epochs, "rounds": rounds,
        "fit_wall_s": median(False, 0), "live_wall_s": median(True, 0),
        "fit_cpu_s": median(False, 1), "live_cpu_s": median(True, 1),
        "wall_overhead": median(True, 0) / median(False, 0) - 1,
        "cpu_overhead": median(True, 1) / median(False, 1) - 1,
        "updates": statistics.median(run[2] for run in runs[True]),
        "updates_per_s": statistics.median(run[2] / run[0] for run in runs[True]),
        "update_ms": 1000 * update, "end_ms": 1000 * end,
    }
'''


def run_in_kernel(calls: list[str], timeout: float) -> list[dict[str, Any]]:
    """Starts a python3 kernel, runs KERNEL_CODE, then each call (an expression giving a
    dict), and returns their values."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    results: list[dict[str, Any]] = []
    try:
        for code in [KERNEL_CODE, *(f"print(json.dumps({call}))" for call in calls)]:
            printed: list[str] = []

            def hook(message: dict[str, Any], printed: list[str] = printed) -> None:
                if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
                    printed.append(message["content"]["text"])
                elif message["msg_type"] == "error":
                    raise RuntimeError("\n".join(message["content"]["traceback"]))

            reply = client.execute_interactive(code, timeout=timeout, output_hook=hook)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"the kernel failed: {reply['content'].get('evalue')}")
            if code is not KERNEL_CODE:
                results.append(json.loads("".join(printed)))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return results


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "fit(live=True) against fit() on two-moons, in one kernel (medians):",
        f"{'epochs':>7} {'fit s':>7} {'live s':>7} {'wall +':>7} {'CPU +':>7} "
        f"{'updates':>8} {'per s':>6} {'update ms':>10} {'end ms':>7}",
    ]
    for r in rows:
        lines.append(
            f"{r['epochs']:>7} {r['fit_wall_s']:>7.3f} {r['live_wall_s']:>7.3f} "
            f"{r['wall_overhead']:>7.1%} {r['cpu_overhead']:>7.1%} {r['updates']:>8g} "
            f"{r['updates_per_s']:>6.1f} {r['update_ms']:>10.2f} {r['end_ms']:>7.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("out"))
    args = parser.parse_args(argv)
    epochs, rounds = (QUICK_EPOCHS, 1) if args.quick else (EPOCHS, args.rounds)
    rows = run_in_kernel([f"measure({e}, {rounds})" for e in epochs], timeout=600)
    print(table(rows))
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "processor": platform.processor(),
        },
        "python": sys.version.split()[0],
        "quick": args.quick,
        "results": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = write_bytes(args.out / "training_view_bench.json", json.dumps(report, indent=2).encode())
    print(f"written to {path}")


if __name__ == "__main__":
    main()
