"""Smoke test of `benchmarks/compiled_bench.py`: at tiny sizes it runs, every contender
computes the same ∂J/∂θ (it exits otherwise), and it prints every ratio. No timings are
asserted: they belong to the benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_quick_run_prints_every_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "compiled_bench.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=BENCHMARKS,
    )
    assert done.returncode == 0, done.stderr
    for line in ("compile / hand-written", "compile.sum / numpy", "tracing (compile) / eager",
                 "fit per epoch, once traced / hand-written", "fit(epochs=100) per epoch"):
        assert line in done.stdout
