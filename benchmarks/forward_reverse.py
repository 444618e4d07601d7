"""Why backprop runs backwards: all ∂J/∂θ by reverse mode (one pass) and by forward mode
(one pass per parameter), on the seed network and on wider ones. `make bench` runs it.

    .venv/bin/python benchmarks/forward_reverse.py [--repeats N] [--out DIR]

For each network, on one sample and J = Σ ½(a − y)², it builds the graph once, then times
- reverse: `J.backward()`: one pass from J back, every ∂J/∂θ at once;
- forward: `tangent_of([J], {θ: 1.0})` for each θ: one forward-mode pass per parameter,
  each giving one ∂J/∂θ (core/forward.py).
Both passes run the graph's stored local derivatives; neither rebuilds the graph. Both
results must agree (to 1e-12 relative) before anything is timed. Reported: the passes each
mode needs, the median time of each (CPU time of this process, all in one process, rounds
alternating the order), and their ratio; a plot of both times against the number of
parameters goes to DIR/forward_reverse.png, the numbers to DIR/forward_reverse.json.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import autograd_lite as al
from autograd_lite.atomic import write_bytes
from autograd_lite.core.forward import tangent_of
from autograd_lite.nn import MLP

#: (name, hidden widths): 2 inputs and 2 ReLU outputs each, as the seed network.
NETWORKS = [("seed 2-2-2", [2]), ("2-4-4-2", [4, 4]), ("2-8-8-2", [8, 8]),
            ("2-16-16-2", [16, 16]), ("2-32-32-2", [32, 32])]  # fmt: skip


def problem(hidden: list[int]) -> tuple[MLP, al.Value]:
    mlp = MLP(2, [*hidden, 2], activation="relu", output_activation="relu", seed=0)
    J = al.losses.half_squared_error(mlp([1.0, 0.5]), [3.0 + 0.5, 2.0 * 1.0 - 0.5])
    return mlp, J


def reverse(mlp: MLP, J: al.Value) -> list[float]:
    mlp.zero_grad()
    J.backward()
    return [p.grad for p in mlp.parameters()]


def forward(mlp: MLP, J: al.Value) -> list[float]:
    return [tangent_of([J], {p: 1.0})[0] for p in mlp.parameters()]


def cpu_seconds(call: Callable[[], object], times: int) -> float:
    start = time.process_time()
    for _ in range(times):
        call()
    return (time.process_time() - start) / times


def measure(hidden: list[int], repeats: int) -> dict[str, Any]:
    mlp, J = problem(hidden)
    by_reverse, by_forward = reverse(mlp, J), forward(mlp, J)
    worst = max(abs(a - b) / max(abs(a), abs(b), 1e-300) for a, b in zip(by_reverse, by_forward)
                if a != b) if by_reverse != by_forward else 0.0  # fmt: skip
    assert worst <= 1e-12, f"forward and reverse disagree by {worst:.3g} relative"
    params = len(by_reverse)
    inner = max(1, 2000 // params)  # about as long a call for every size
    times: dict[str, list[float]] = {"reverse": [], "forward": []}
    for r in range(repeats):
        pair = [("reverse", lambda: reverse(mlp, J)), ("forward", lambda: forward(mlp, J))]
        for name, call in pair if r % 2 == 0 else pair[::-1]:
            times[name].append(cpu_seconds(call, inner if name == "reverse" else 1 + inner // 20))
    rev, fwd = statistics.median(times["reverse"]), statistics.median(times["forward"])
    return {"parameters": params, "nodes": len(al.core.engine.topological_order(J)),
            "reverse_passes": 1, "forward_passes": params, "reverse_s": rev,
            "forward_s": fwd, "forward_over_reverse": fwd / rev,
            "max_relative_difference": worst}  # fmt: skip


def plot(rows: list[dict[str, Any]]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = [r["parameters"] for r in rows]
    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    axes.loglog(params, [r["reverse_s"] * 1e3 for r in rows], "o-",
                label="reverse: 1 backward pass")  # fmt: skip
    axes.loglog(params, [r["forward_s"] * 1e3 for r in rows], "s-",
                label="forward: 1 pass per parameter")  # fmt: skip
    axes.set_xlabel("parameters θ (the seed network has 12)")
    axes.set_ylabel("time for every ∂J/∂θ (ms)")
    axes.set_title("All of ∂J/∂θ: reverse mode against forward mode")
    axes.legend()
    axes.grid(True, which="both", alpha=0.3)
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default="out")
    args = parser.parse_args(argv)
    rows = [{"network": name, **measure(hidden, args.repeats)} for name, hidden in NETWORKS]
    print(f"{'network':<11} {'θ':>5} {'nodes':>6} {'passes rev/fwd':>15} "
          f"{'reverse':>10} {'forward':>10} {'fwd/rev':>8}")  # fmt: skip
    for r in rows:
        print(f"{r['network']:<11} {r['parameters']:>5} {r['nodes']:>6} "
              f"{'1 / ' + str(r['forward_passes']):>15} {r['reverse_s'] * 1e6:>8.1f}µs "
              f"{r['forward_s'] * 1e6:>8.0f}µs {r['forward_over_reverse']:>7.1f}×")  # fmt: skip
    out = Path(args.out)
    report = {"date": datetime.date.today().isoformat(), "python": platform.python_version(),
              "machine": platform.platform(), "clock": "process CPU time",
              "rows": rows}  # fmt: skip
    write_bytes(out / "forward_reverse.json", json.dumps(report, indent=2).encode("utf-8"))
    write_bytes(out / "forward_reverse.png", plot(rows))
    print(f"wrote {out / 'forward_reverse.json'} and {out / 'forward_reverse.png'}")


if __name__ == "__main__":
    main()
