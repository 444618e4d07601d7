"""The explorer in headless Chromium: how long a slider move and a page load take.

    .venv/bin/python benchmarks/explorer.py [--repeats N] [--out DIR]

For each graph it writes the explorer page (viz.explore), opens it in Debian's chromium
(the browser the tests use) and measures, in the page, with `performance.now()`:
- load: from navigation start to the end of the page's script, when the sliders answer;
- move: one slider move, `alExplorer.set(k, v)`: the generated forward and backward
  passes, every number, gate and edge label written into the SVG, and the layout the
  browser does for it (median of N moves, each to a new value).
The issue's targets are a move ≤ 16 ms on a 2,000-node graph and interactive ≤ 1 s. dot
cannot lay out a 2,000-node graph within the draw budget (explore refuses it), so for that
size the generated code alone is timed, on a blank page: `evaluate(L)`, the forward and
backward passes without the drawing. Numbers go to DIR/explorer.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from browser import chromium_driver

from autograd_lite import Value, viz
from autograd_lite.atomic import write_bytes
from autograd_lite.compiler import jscode
from autograd_lite.core import engine
from autograd_lite.nn import MLP
from autograd_lite.nn.losses import half_squared_error

MOVE = """
const k = arguments[0], n = arguments[1], times = [];
for (let i = 0; i < n; i++) {
  const t = performance.now();
  window.alExplorer.set(k, 0.1 + i / n);
  document.body.offsetHeight;  // the layout the new text needs
  times.push(performance.now() - t);
}
return times;
"""


def mlp_loss(hidden: list[int]) -> tuple[Value, MLP]:
    mlp = MLP(2, [*hidden, 2], activation="relu", output_activation="relu", seed=0)
    J = half_squared_error(mlp([1.0, 0.5]), [3.5, 1.5])
    J.label = "J"
    J.backward()
    return J, mlp


def chain(values: int) -> Value:
    """A graph of about `values` Values: y = tanh(y·w + b) over fresh leaves w, b."""
    y = Value(0.5, "x")
    while len(engine.topological_order(y)) < values:
        y = (y * Value(0.9) + Value(0.1)).tanh()
    return y


def page_times(
    driver: Any, J: Value, mlp: MLP | None, repeats: int, folder: Path
) -> dict[str, Any]:
    path = viz.explore(J, params=mlp).save(folder / f"page{id(J)}.html")
    loads = []
    for _ in range(3):
        driver.get(path.as_uri())
        loads.append(driver.execute_script("return window.alExplorer.readyMs"))
    leaf = engine.topological_order(J).index(next(iter(engine.topological_order(J))))
    moves = driver.execute_script(MOVE, leaf, repeats)
    return {"values": len(engine.topological_order(J)), "load_ms": statistics.median(loads),
            "move_ms": statistics.median(moves), "page_bytes": path.stat().st_size}  # fmt: skip


def code_times(driver: Any, root: Value, repeats: int) -> dict[str, Any]:
    order = engine.topological_order(root)
    leaves = [n.data if not n.edges else 0.0 for n in order]
    script = jscode.program(order) + """
const L = arguments[0], n = arguments[1], times = [];
for (let i = 0; i < n; i++) {
  const t = performance.now(); evaluate(L); times.push(performance.now() - t);
}
return times;"""
    driver.get("about:blank")
    times = driver.execute_script(script, leaves, repeats)
    return {"values": len(order), "evaluate_ms": statistics.median(times[1:])}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", default="out")
    args = parser.parse_args(argv)
    driver = chromium_driver()
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for name, hidden in (("seed 2-2-2", [2]), ("2-8-8-2", [8, 8]), ("2-12-12-2", [12, 12]),
                               ("2-20-20-2", [20, 20])):
                J, mlp = mlp_loss(hidden)
                times = page_times(driver, J, mlp, args.repeats, Path(folder))
                rows.append({"graph": name, **times})
        for values in (500, 2000, 10000):
            rows.append({"graph": f"chain of {values:,} values (code only)",
                         **code_times(driver, chain(values), args.repeats)})  # fmt: skip
    finally:
        driver.quit()
    for row in rows:
        print("  ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in row.items()))  # fmt: skip
    report = {"date": datetime.date.today().isoformat(), "machine": platform.platform(),
              "browser": "Debian chromium, headless", "rows": rows}  # fmt: skip
    out = Path(args.out) / "explorer.json"
    write_bytes(out, json.dumps(report, indent=2).encode("utf-8"))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
