"""micrograd's material, in one place for the acceptance tests and micrograd_compat.py.

Two pieces, neither of them micrograd's code committed here:

- micrograd's own tests, `test/test_engine.py`, read at run time out of micrograd 0.1.0's
  source distribution as published on the package registry. `make test` and `make bench`
  download it into the venv (`.venv/reference/`); `read_test_engine()` checks its sha256 and
  returns the file's text, and `with_our_import()` changes its one import line.
- the procedure of micrograd's demo notebook, written here in our own words (`DemoTraining`),
  on its data set stored as numbers in tests/micrograd_reference/moons.json: 100 steps of SGD
  on the max-margin loss of MLP(2, [16, 16, 1]). It works with either library's Value and MLP.

tests/micrograd_reference/README.md says where each piece comes from.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REFERENCE_DATA = Path(__file__).resolve().parents[1] / "tests" / "micrograd_reference"

# --- micrograd's test/test_engine.py, out of micrograd 0.1.0's source distribution ------------

SDIST = "micrograd-0.1.0.tar.gz"
SDIST_SHA256 = "81797b796bef809fb1ac3fd83a7e01e007aecb8d056fba07c0e24931e043845d"
TEST_ENGINE = "micrograd-0.1.0/test/test_engine.py"
THEIR_IMPORT = "from micrograd.engine import Value"
OUR_IMPORT = "from autograd_lite.micrograd import Value"


def sdist_path() -> Path:
    """Where `make test` and `make bench` put the sdist: `reference/` in the running venv."""
    return Path(sys.prefix) / "reference" / SDIST


def read_test_engine() -> str:
    """The text of micrograd's test/test_engine.py, as published in micrograd 0.1.0's sdist.

    FileNotFoundError saying how to get the sdist if it is missing; ValueError if the file
    there is not the published one (its sha256 differs)."""
    path = sdist_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"micrograd 0.1.0's source distribution is missing: expected {path}. Run `make "
            "test` (or `make bench`), which downloads it there with `pip download "
            f"micrograd==0.1.0 --no-binary :all: --no-deps -d {path.parent}`"
        )
    packed = path.read_bytes()
    digest = hashlib.sha256(packed).hexdigest()
    if digest != SDIST_SHA256:
        raise ValueError(
            f"{path} has sha256 {digest}, not {SDIST_SHA256} (micrograd 0.1.0 as published): "
            "delete it and run `make test` to download it again"
        )
    with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as sdist:
        member = sdist.extractfile(TEST_ENGINE)
        assert member is not None, f"{TEST_ENGINE} is not a file in {path}"
        return member.read().decode("utf-8")


def with_our_import(source: str) -> str:
    """`source` with its line `from micrograd.engine import Value` importing
    autograd_lite.micrograd's Value instead; ValueError unless exactly one line says that."""
    lines = source.splitlines(keepends=True)
    found = [k for k, line in enumerate(lines) if line.rstrip("\r\n") == THEIR_IMPORT]
    if len(found) != 1:
        raise ValueError(f"expected one line {THEIR_IMPORT!r}, found it at lines {found}")
    (k,) = found
    lines[k] = lines[k].replace(THEIR_IMPORT, OUR_IMPORT)
    return "".join(lines)


# --- the procedure of micrograd's demo notebook -----------------------------------------------

SEED = 1337
SIZES = (16, 16, 1)  # MLP(2, [16, 16, 1])
STEPS = 100
ALPHA = 1e-4  # the weight of the L2 regularisation
DemoData = tuple[list[list[float]], list[int]]


def moons(n: int = 100) -> DemoData:
    """The first n of the demo's 100 points [x₁, x₂] and their labels ±1 (see moons.json)."""
    stored = json.loads((REFERENCE_DATA / "moons.json").read_text("utf-8"))
    return stored["points"][:n], stored["labels"][:n]


class DemoTraining:
    """The demo's model and training, for one library's `Value` and `MLP`.

    After random.seed(1337) (and np.random.seed(1337), which the demo calls to make its data
    set), the model is MLP(2, [16, 16, 1]). Each step scores every point (its coordinates as
    Values), takes the loss J = mean of relu(1 − yᵢ·scoreᵢ) over the points (the max-margin
    loss) + α·Σθ² (α = 1e-4, over all parameters), sets the gradients to zero, runs backward,
    and moves each parameter by −rate·∂J/∂θ, with rate = 1 − 0.9·k/100 at step k.
    """

    def __init__(self, value: Callable[[float], Any], mlp: Callable[..., Any], data: DemoData):
        random.seed(SEED)
        self.model = mlp(2, list(SIZES))
        self.value = value
        self.points, self.labels = data
        self.k = 0

    def loss(self) -> tuple[Any, float]:
        """J as a Value, and the accuracy: the share of points whose score has their label's
        sign."""
        scores = [self.model([self.value(c) for c in point]) for point in self.points]
        margins = [(1 - y * score).relu() for y, score in zip(self.labels, scores)]
        data_loss = sum(margins) / len(margins)
        regularisation = ALPHA * sum(p * p for p in self.model.parameters())
        right = [(y > 0) == (score.data > 0) for y, score in zip(self.labels, scores)]
        return data_loss + regularisation, sum(right) / len(right)

    def step(self) -> tuple[float, float]:
        """One step of SGD: J and the accuracy before it. After step 99 the learning-rate
        schedule starts again (for the benchmark's longer runs)."""
        loss, accuracy = self.loss()
        self.model.zero_grad()
        loss.backward()
        rate = 1.0 - 0.9 * (self.k % STEPS) / STEPS
        for p in self.model.parameters():
            p.data -= rate * p.grad
        self.k += 1
        return float(loss.data), accuracy

    def train(self, steps: int = STEPS) -> list[tuple[float, float]]:
        """(J, accuracy) at each of `steps` steps, as the demo prints them."""
        return [self.step() for _ in range(steps)]

