"""Acceptance: micrograd's demo's procedure, and micrograd's own test file, on
autograd_lite.micrograd.

- micrograd's `test/test_engine.py` is read out of micrograd 0.1.0's source distribution,
  which `make test` downloads into the venv: the checks here are that only its import line
  changes, and what a missing or wrong sdist says. Its two tests compare with PyTorch, so
  they run in tests/reference/test_micrograd_test_engine.py (`make test-reference`).
- the procedure of micrograd's demo notebook (benchmarks/micrograd_material.py, in our own
  words) must print what the notebook printed (tests/micrograd_reference/demo_outputs.json):
  the model, and the loss and accuracy of all 100 training steps, the losses to 1e-9 relative,
  the accuracies exactly.

tests/micrograd_reference/README.md says where each piece comes from.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import micrograd_material as material
import numpy as np
import pytest

from autograd_lite import micrograd

EXPECTED = json.loads((material.REFERENCE_DATA / "demo_outputs.json").read_text("utf-8"))
STEP = re.compile(r"step (\d+) loss (\S+), accuracy (\S+)%")
TOLERANCE = 1e-9

# --- micrograd's test/test_engine.py: the file itself ----------------------------------------


def test_only_the_import_line_of_test_engine_changes() -> None:
    published = material.read_test_engine()
    ours = material.with_our_import(published)
    diff = difflib.unified_diff(published.splitlines(), ours.splitlines(), lineterm="", n=0)
    changed = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [f"-{material.THEIR_IMPORT}", f"+{material.OUR_IMPORT}"]


def test_a_missing_sdist_fails_saying_to_run_make_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(material, "sdist_path", lambda: tmp_path / material.SDIST)
    with pytest.raises(FileNotFoundError, match=r"missing: expected .*Run `make test`"):
        material.read_test_engine()


def test_an_sdist_that_is_not_the_published_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / material.SDIST).write_bytes(b"not micrograd")
    monkeypatch.setattr(material, "sdist_path", lambda: tmp_path / material.SDIST)
    with pytest.raises(ValueError, match=r"not 81797b79.* delete it and run `make test`"):
        material.read_test_engine()


@pytest.mark.parametrize("times", [0, 2])
def test_the_import_line_must_be_there_once(times: int) -> None:
    source = "import torch\n" + f"{material.THEIR_IMPORT}\n" * times
    with pytest.raises(ValueError, match="expected one line"):
        material.with_our_import(source)


# --- the demo's procedure ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> tuple[material.DemoTraining, list[tuple[float, float]]]:
    """A DemoTraining on autograd_lite.micrograd, and the (loss, accuracy) of its 100 steps."""
    training = material.DemoTraining(micrograd.Value, micrograd.MLP, material.moons())
    return training, training.train()


def notebook_steps() -> list[tuple[int, float, float]]:
    found = [STEP.fullmatch(line) for line in EXPECTED["stdout"]["7"]]
    return [(int(m[1]), float(m[2]), float(m[3])) for m in found if m is not None]


def test_the_model_prints_as_in_the_notebook() -> None:
    training = material.DemoTraining(micrograd.Value, micrograd.MLP, material.moons())
    model_line, count_line = EXPECTED["stdout"]["5"]
    assert str(training.model) == model_line
    assert f"number of parameters {len(training.model.parameters())}" == count_line


def test_the_initial_loss_and_accuracy_are_the_notebooks() -> None:
    training = material.DemoTraining(micrograd.Value, micrograd.MLP, material.moons())
    loss, accuracy = training.loss()
    (line,) = EXPECTED["stdout"]["6"]  # micrograd prints grad=0, we print grad=0.0
    assert f"{loss!r} {accuracy}" == line.replace("grad=0)", "grad=0.0)")


def test_all_100_steps_have_the_notebooks_loss_and_accuracy(
    demo: tuple[material.DemoTraining, list[tuple[float, float]]],
) -> None:
    _, steps = demo
    want = notebook_steps()
    assert [k for k, _, _ in want] == list(range(len(steps))) == list(range(100))
    for (loss, share), (k, want_loss, want_percent) in zip(steps, want):
        assert loss == pytest.approx(want_loss, rel=TOLERANCE), f"step {k}"
        assert share * 100 == want_percent, f"step {k}"


def test_the_data_set_is_the_notebooks() -> None:
    """The notebook's last cell returns the y range of its decision-boundary grid: from 1 below
    the lowest point, in steps of 0.25, to the last step below 1 above the highest point."""
    points, labels = material.moons()
    assert len(points) == len(labels) == 100
    assert sorted(set(labels)) == [-1, 1] and labels.count(1) == 50
    second = [x2 for _, x2 in points]
    grid = np.arange(min(second) - 1, max(second) + 1, 0.25)
    assert str((float(grid.min()), float(grid.max()))) == EXPECTED["result"]["8"]

