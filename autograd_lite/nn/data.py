"""Toy datasets, written out by hand (no sklearn), and `standardize`.

Every dataset is plain Python lists of floats, deterministic given its seed:

    quadratic()            the forum's regression: x = 0, 1, …, 19 and y = 3x² + 3x
    two_moons(n, noise)    two interleaved half circles, labels 0 and 1
    xor()                  the four corners of the unit square, label x₁ XOR x₂
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from ..core.validation import finite_numbers, real_number, whole_number

__all__ = ["quadratic", "standardize", "two_moons", "xor"]


def quadratic() -> tuple[list[float], list[float]]:
    """(xs, ys) with xs = [0, 1, …, 19] and ys = [3x² + 3x for each x], as floats.

    Each x is one number; a model with one input takes it as `[x]` (`fit` accepts plain
    numbers and wraps them).
    """
    xs = [float(x) for x in range(20)]
    return xs, [3.0 * x * x + 3.0 * x for x in xs]


def two_moons(
    n: int = 100, noise: float = 0.1, seed: int | None = 0
) -> tuple[list[list[float]], list[float]]:
    """(points [x₁, x₂], labels 0.0/1.0): n points on two interleaved half circles.

    Moon 0 is the upper half of the unit circle, (cos t, sin t); moon 1 is the lower half
    shifted to (1 − cos t, ½ − sin t), for t evenly spaced in [0, π]. Moon 0 gets ⌈n/2⌉
    points. Each coordinate then gets Gaussian noise with standard deviation `noise`,
    drawn from `random.Random(seed)`.
    """
    n = whole_number(n, "two_moons n", minimum=2)
    noise = real_number(noise, "two_moons noise")
    if noise < 0.0:
        raise ValueError(f"two_moons needs a noise ≥ 0, got {noise!r}")
    rng = random.Random(seed)
    n0 = (n + 1) // 2
    points: list[list[float]] = []
    labels: list[float] = []
    for label, count in ((0.0, n0), (1.0, n - n0)):
        for i in range(count):
            t = math.pi * i / (count - 1) if count > 1 else 0.0
            if label == 0.0:
                x1, x2 = math.cos(t), math.sin(t)
            else:
                x1, x2 = 1.0 - math.cos(t), 0.5 - math.sin(t)
            points.append([x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)])
            labels.append(label)
    return points, labels


def xor() -> tuple[list[list[float]], list[float]]:
    """([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]): XOR, the classic non-linear task."""
    points = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    return points, [0.0, 1.0, 1.0, 0.0]


def standardize(
    values: Sequence[float],
) -> tuple[list[float], Callable[[float], float], Callable[[float], float]]:
    """(t, transform, inverse) with t = (v − μ)/σ for each value v.

    μ is the mean of `values` and σ their population standard deviation, so t has mean 0
    and standard deviation 1. `transform(v) = (v − μ)/σ` maps new values the same way
    (use it on test inputs), and `inverse(t) = σt + μ` maps a model's outputs back to the
    original units. Raises ValueError for fewer than two values, a non-finite value, or
    values that are all equal (σ = 0).
    """
    values = finite_numbers(values, "standardize", "values")
    if len(values) < 2:
        raise ValueError(f"standardize needs a list of at least two numbers, got {values!r}")
    try:
        mean = math.fsum(values) / len(values)
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
    except OverflowError:
        raise ValueError("standardize: the values are too far apart for a float σ") from None
    if std == 0.0:
        raise ValueError(f"standardize needs values that are not all equal, got all {mean!r}")

    def transform(v: float) -> float:
        return (v - mean) / std

    def inverse(t: float) -> float:
        return t * std + mean

    return [transform(v) for v in values], transform, inverse
