"""autograd_lite.micrograd against micrograd 0.1.0, on micrograd's own material.

    .venv/bin/python benchmarks/micrograd_compat.py [--quick] [--repeats N]

Prints, for each workload, the median CPU time per call of both contenders and the ratio
micrograd / ours (the issue's target: at least 20); `measure()` returns the same numbers.

Timing is bench.py's `interleaved`: both contenders in this one process, one untimed warm-up
call each, then rounds that time one call of each, starting with a different one each
round, `gc.collect()` before every timed call, medians of this process's CPU time.

The workloads (micrograd_material.py reads and defines what they run):
  test_engine:   the micrograd half of each test in micrograd's test/test_engine.py (its
                 statements before the torch ones), read out of micrograd 0.1.0's sdist in
                 the venv, with each library's Value; a timed call runs both 200 times.
                 Without the sdist (`make test` and `make bench` download it) this row and
                 the next are skipped, and the table says so and why.
  test_engine_forward: the same without the `.backward()` calls: building the graphs only.
  demo_training: one step of the procedure of micrograd's demo notebook (DemoTraining: the
                 max-margin loss + L2 of MLP(2, [16, 16, 1]) on the demo's 100 two-moons
                 points, zero_grad, backward, and the SGD update with the demo's
                 learning-rate schedule), both models starting from the same weights
                 (random.seed(1337)); the timed calls are steps 1, 2, 3, ...
  subclass_cost: why autograd_lite.micrograd.Value returns the engine's own Value: the cost
                 of `x * y` when y is an engine Value, against y an instance of a subclass,
                 which the engine's generated methods send down their checked path.

Before timing, both contenders' results are compared (to 1e-9): they do the same work.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import sys
from collections.abc import Callable, Mapping
from typing import Any

import micrograd_material as material

from autograd_lite import micrograd as ours
from autograd_lite.core import engine

try:
    import micrograd.engine as mg_engine
    import micrograd.nn as mg_nn
except ImportError:  # the `bench` (or `reference`) dependency group
    mg_engine = mg_nn = None

AL, MG = "autograd-lite", "micrograd"
TARGET = 20.0  # micrograd / ours, for the acceptance material: test_engine and demo_training
TARGETED = ("test_engine", "demo_training")
Interleaved = Callable[..., Mapping[str, Any]]


# --- micrograd's test_engine.py, cut into its micrograd halves ------------------------------


def _define(source: str, name: str, scope: dict[str, Any]) -> Callable[..., Any]:
    """scope[name] after running `source` in scope. The source is always cut with `ast` from
    micrograd's test/test_engine.py as published in micrograd 0.1.0's sdist (its sha256 checked
    by micrograd_material.read_test_engine), so that what is timed is the code the acceptance
    tests run; no other text reaches `exec`."""
    exec(compile(source, f"{material.SDIST}/{material.TEST_ENGINE}", "exec"), scope)
    function: Callable[..., Any] = scope[name]
    return function


def micrograd_test_halves(
    source: str, forward_only: bool = False
) -> list[Callable[[Any], dict[str, Any]]]:
    """The micrograd half of each test in test_engine.py (its text is `source`), as a function
    of `Value` that returns the test's variables: the test's statements up to the first one that
    names torch (without its `.backward()` calls if `forward_only`)."""
    halves = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            statements = [
                s
                for s in itertools.takewhile(lambda s: "torch" not in ast.unparse(s), node.body)
                if not (forward_only and ast.unparse(s).endswith(".backward()"))
            ]
            body = "".join(
                f"    {line}\n" for s in statements for line in ast.unparse(s).split("\n")
            )
            halves.append(_define(f"def run(Value):\n{body}    return locals()\n", "run", {}))
    return halves


def run_micrograd_test_halves(
    source: str, value: Any, repeats: int, forward_only: bool = False
) -> Callable[[], list[float]]:
    halves = micrograd_test_halves(source, forward_only)

    def run() -> list[float]:
        for _ in range(repeats):
            results = [half(value) for half in halves]
        # what each test compares with torch: the data and grad of xmg, ymg, amg, bmg, gmg
        return [
            float(getattr(v, field))
            for variables in results
            for name, v in sorted(variables.items())
            if name.endswith("mg")
            for field in ("data", "grad")
        ]

    return run


def demo_step(value: Any, mlp: Any, points: int) -> Callable[[], float]:
    """One step of the demo's training (micrograd_material.DemoTraining) per call, on the
    first `points` points; it returns the loss."""
    training = material.DemoTraining(value, mlp, material.moons(points))

    def run() -> float:
        loss, _ = training.step()
        return loss

    return run


# --- subclass_cost ----------------------------------------------------------------------------


class _Subclass(engine.Value):
    __slots__ = ()


def products(right: engine.Value, n: int) -> Callable[[], float]:
    left = engine.Value(1.5)

    def run() -> float:
        for _ in range(n):
            out = left * right
        return out.data

    return run


# --- measuring --------------------------------------------------------------------------------


def _agree(results: dict[str, Any]) -> Callable[[str, object], None]:
    """A `verify` for interleaved: every contender's warm-up result equals the first one's."""

    def verify(name: str, result: object) -> None:
        numbers = result if isinstance(result, list) else [result]
        first = results.setdefault("numbers", numbers)
        if len(numbers) != len(first) or any(
            abs(a - b) > 1e-9 * max(1.0, abs(b)) for a, b in zip(numbers, first)
        ):
            raise SystemExit(f"micrograd_compat: {name} computed {numbers}, expected {first}")

    return verify


def _workload(
    title: str, contenders: dict[str, Callable[[], object]], repeats: int, timer: Interleaved
) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    timings = timer(contenders, repeats, _agree(seen))
    medians = {name: t.median for name, t in timings.items()}
    names = list(contenders)
    return {
        "title": title,
        "median_s": medians,
        "ratio": medians[names[1]] / medians[names[0]],
        "ratio_of": f"{names[1]} / {names[0]}",
    }


def measure(
    repeats: int = 15, quick: bool = False, interleaved: Interleaved | None = None
) -> dict[str, dict[str, Any]]:
    """{workload: its title, and median seconds per call by contender and the ratio, or why it
    was skipped (`skipped`: the test_engine rows, when micrograd 0.1.0's sdist is missing)}.

    `interleaved` is bench.py's timer (imported from bench.py when None)."""
    if mg_engine is None:
        raise SystemExit("micrograd_compat: needs micrograd 0.1.0 (pip install micrograd==0.1.0)")
    if interleaved is None:
        from bench import interleaved
    timer: Interleaved = interleaved
    loops = 5 if quick else 200
    points = 8 if quick else 100
    products_n = 1000 if quick else 100_000
    try:
        source: str | None = material.read_test_engine()
        missing = ""
    except (FileNotFoundError, ValueError) as error:
        source, missing = None, str(error)

    def test_engine(forward_only: bool) -> dict[str, Callable[[], object]]:
        assert source is not None
        return {
            AL: run_micrograd_test_halves(source, ours.Value, loops, forward_only),
            MG: run_micrograd_test_halves(source, mg_engine.Value, loops, forward_only),
        }

    results = {}
    for name, title, forward_only in (
        ("test_engine", "micrograd's test_engine.py computations (Value side)", False),
        ("test_engine_forward", "the same, without the backward() calls", True),
    ):
        title = f"{title}, {loops} times per call"
        results[name] = (
            _workload(title, test_engine(forward_only), repeats, timer)
            if source is not None
            else {"title": title, "skipped": missing}
        )
    results["demo_training"] = _workload(
        f"one step of micrograd's demo training, MLP(2, [16, 16, 1]) on {points} points",
        {
            AL: demo_step(ours.Value, ours.MLP, points),
            MG: demo_step(mg_engine.Value, mg_nn.MLP, points),
        },
        repeats,
        timer,
    )
    results["subclass_cost"] = _workload(
        f"x * y, {products_n:,} times per call: y an engine Value, y a subclass instance",
        {
            "engine Value": products(engine.Value(2.0), products_n),
            "subclass": products(_Subclass(2.0), products_n),
        },
        repeats,
        timer,
    )
    return results


def table(results: Mapping[str, Mapping[str, Any]]) -> str:
    from bench import fmt_time

    lines = []
    for name, w in results.items():
        lines.append(f"{name}: {w['title']}")
        if "skipped" in w:
            lines.append(f"  SKIPPED: {w['skipped']}")
            continue
        for contender, median in w["median_s"].items():
            lines.append(f"  {contender:<16}{fmt_time(median):>11}")
        target = f"   (target ≥ {TARGET:g})" if name in TARGETED else ""
        lines.append(f"  {w['ratio_of']}: {w['ratio']:.1f}{target}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds per workload")
    args = parser.parse_args(argv)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 15)
    print(table(measure(repeats, args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
