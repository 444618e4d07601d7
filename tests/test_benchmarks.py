"""Smoke test of `benchmarks/bench.py`: it runs at tiny sizes and writes its table and JSON.

No timings are asserted (they belong to `make bench`, not to tests). micrograd is the
`bench` dependency group, which `make test` does not install: without it the micrograd
rows say "not installed" and its target is SKIP, and the test accepts both cases.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autograd_lite.nn import MLP
from autograd_lite.nn.losses import half_squared_error

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
CONTENDERS = ("autograd-lite", "al + no_gc()", "micrograd", "hand-written")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads((out / "bench.json").read_text("utf-8"))


def test_prints_the_table(quick_run: tuple[str, dict[str, Any]]) -> None:
    stdout, _ = quick_run
    for heading in ("1. MLP(2, [16, 16, 1])", "2. the seed", "3. chain", "4. memory", "targets"):
        assert heading in stdout
    for name in ("hand-written", "autograd-lite", "micrograd"):
        assert name in stdout
    assert "QUICK RUN" in stdout
    assert "bench.json" in stdout


def test_json_records_machine_python_and_date(quick_run: tuple[str, dict[str, Any]]) -> None:
    _, report = quick_run
    assert report["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert report["machine"]["platform"] and report["machine"]["machine"]
    assert report["date"][:2] == "20"
    assert report["quick"] is True
    assert report["clock"] == "cpu"
    assert report["versions"]["autograd-lite"]


def _timed(entry: dict[str, Any]) -> None:
    assert entry["median_s"] > 0 and entry["min_s"] <= entry["median_s"]
    assert all(t > 0 for t in entry["times_s"])


def test_json_has_every_workload(quick_run: tuple[str, dict[str, Any]]) -> None:
    _, report = quick_run
    w = report["workloads"]
    micrograd = report["versions"]["micrograd"] is not None
    for name in ("mlp", "seed"):
        results = w[name]["results"]
        assert w[name]["max_grad_difference"] <= 1e-9  # the contenders did the same work
        for contender in CONTENDERS:
            if contender == "micrograd" and not micrograd:
                assert contender not in results
                continue
            _timed(results[contender])
            assert math.isfinite(w[name]["ratios_to_handwritten"][contender])
        assert w[name]["ratios_to_handwritten"]["hand-written"] == 1.0
    assert w["seed"]["results"]["autograd-lite"]["steps_per_s"] > 0

    small, large = w["chain"]["sizes"]
    for contender, n in itertools.product(("autograd-lite", "al + no_gc()"), (small, large)):
        entry = w["chain"]["results"][contender][str(n)]
        _timed(entry)
        assert entry["per_node_s"] == pytest.approx(entry["median_s"] / n)
        assert entry["forward_per_node_s"] > 0 and entry["backward_per_node_s"] > 0
    assert w["chain"]["per_node_ratio"] > 0 and w["chain"]["per_node_ratio_no_gc"] > 0
    micrograd_chain = w["chain"]["results"]["micrograd"][str(small)]
    if micrograd:  # a quick chain is shallow enough for micrograd's recursion
        assert "median_s" in micrograd_chain or micrograd_chain["error"] == "RecursionError"
    else:
        assert micrograd_chain == {"error": "not installed"}

    assert w["memory"]["results"]["autograd-lite"]["bytes_per_pair"] > 0


def test_every_target_has_a_verdict(quick_run: tuple[str, dict[str, Any]]) -> None:
    _, report = quick_run
    targets = report["targets"]
    assert len(targets) == 15
    for t in targets:
        assert t["status"] in ("PASS", "FAIL", "SKIP")
        assert (t["value"] is None) == (t["status"] == "SKIP")
    skipped = {t["name"] for t in targets if t["status"] == "SKIP"}
    expected = set()
    if report["versions"]["micrograd"] is None:  # the ratios to micrograd
        expected |= {t["name"] for t in targets if "micrograd" in t["name"]}
    if "compile.sum / torch (1 thread)" not in report["workloads"]["compiled"]["ratios"]:
        expected |= {t["name"] for t in targets if "torch" in t["name"]}
    for name, api in report["workloads"]["micrograd_api"].items():
        if "skipped" in api:  # micrograd's sdist is missing (make test downloads it)
            expected |= {t["name"] for t in targets if f"micrograd API, {name}:" in t["name"]}
    assert skipped == expected


def test_handwritten_backprop_matches_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The yardstick computes the same ∂J/∂θ as the engine, so the race is fair."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from handwritten import HandwrittenMLP

    rng = random.Random(3)
    for nouts, output in (([2, 2], "relu"), ([4, 3, 1], "linear")):
        model = MLP(2, nouts, output_activation=output, seed=1)
        xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(5)]
        ys = [[rng.uniform(0, 1) for _ in range(nouts[-1])] for _ in xs]
        hand = HandwrittenMLP(
            [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers],
            [[n.b.data for n in layer.neurons] for layer in model.layers],
            [layer.activation for layer in model.layers],
        )
        loss, grad_w, grad_b = hand.gradients(xs, ys)
        model.zero_grad()
        total = sum(half_squared_error(model(x), y).data for x, y in zip(xs, ys))
        for x, y in zip(xs, ys):
            half_squared_error(model(x), y).backward()
        expected = [p.grad for p in model.parameters()]
        got = [
            g
            for g_matrix, g_b in zip(grad_w, grad_b)
            for g_row, g_bj in zip(g_matrix, g_b)
            for g in (*g_row, g_bj)
        ]
        assert loss == pytest.approx(total, rel=1e-12, abs=1e-12)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)

        before = [row[:] for row in hand.weights[0]]
        hand.step(xs, ys, lr=0.1)
        assert hand.weights[0][0][0] == pytest.approx(before[0][0] - 0.1 * grad_w[0][0][0])


def test_handwritten_rejects_unknown_activations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from handwritten import HandwrittenMLP

    with pytest.raises(ValueError, match="unknown activation 'tanh'"):
        HandwrittenMLP([[[1.0]]], [[0.0]], ["tanh"])
    with pytest.raises(ValueError, match="one weight matrix"):
        HandwrittenMLP([[[1.0]]], [], ["relu"])
