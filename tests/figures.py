"""The figures the issue names, built as the demo and the command line build them."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from autograd_lite.app.draw import evaluate, parse_assignments
from autograd_lite.core.engine import Value

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)

#: The two-ReLU expression of issue 14, with b = 2: relu(x*w − b) has z = −2.5 (closed).
TWO_RELU = ("relu(x*w - b) + relu(x*b)", ["x=0.5", "w=-1", "b=2"])
#: A leaky gate (closed: z = −0.5) and a constant exponent.
LEAKY_SQUARE = ("leaky_relu(x*w)**2", ["x=0.5", "w=-1"])


def fake_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """Puts a `dot` that runs the shell `script` first on PATH."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    dot = bin_dir / "dot"
    dot.write_text(f"#!/bin/sh\n{script}\n")
    dot.chmod(dot.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def expression_root(expression: str, assignments: list[str]) -> Value:
    """The root the command line draws for `autograd-lite draw EXPRESSION ASSIGNMENTS`."""
    root = evaluate(expression, parse_assignments(assignments))
    root.backward()
    return root
