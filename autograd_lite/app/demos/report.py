"""What both demos share: their argument checks, their output directory, number formats."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ... import atomic


def check_run_args(steps: object, seed: object, out: object, progress: object, name: str) -> Path:
    """`out` as a Path, once every argument of run_demo/run_regression (`name`) is valid.

    Raises ValueError for a bad value and OSError for an `out` that exists and is not a
    directory; nothing is created until every check has passed.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"{name} steps must be a positive int, got {steps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"{name} seed must be an int, got {seed!r}")
    if not isinstance(out, (str, Path)) or str(out) == "":
        raise ValueError(f"{name} out must be a directory path, got {out!r}")
    if not isinstance(progress, bool):
        raise ValueError(f"{name} progress must be True or False, got {progress!r}")
    if Path(out).exists() and not Path(out).is_dir():
        raise OSError(
            f"{name}: --out {str(out)!r} exists and is not a directory: give a folder (made if "
            "missing)"
        )
    return Path(out)


def make_out(out: Path, files: Sequence[str]) -> Path:
    """The output directory, created if missing, once each of the `files` to be written
    in it is a regular file or missing (atomic.NotARegularFileError otherwise, before
    anything is created or computed; the writes check again)."""
    for name in files:
        atomic.check_target(out / name)
    out.mkdir(parents=True, exist_ok=True)
    return out


def plus_zero(v: float) -> float:
    """v, with −0.0 made 0.0."""
    # A closed gate multiplies by 0.0 and can leave −0.0, which prints as a puzzling "-0".
    return v + 0.0


def vec(values: Sequence[float]) -> str:
    """'[1.5, 0.5]': a vector, 6 significant digits."""
    return "[" + ", ".join(f"{plus_zero(v):.6g}" for v in values) + "]"


def fractions(values: Sequence[float]) -> str:
    """'[0.30, 0.00]': the fractions of a relu_activity row."""
    return "[" + ", ".join(f"{f:.2f}" for f in values) + "]"
