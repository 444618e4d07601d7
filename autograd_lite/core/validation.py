"""Input checks shared by every entry point: numbers, whole numbers, and lists of numbers.

Each check returns the input in the form the caller needs (a float, an int, a list) or
raises an error that names the caller (`who`) and the offending value:

- TypeError for the wrong kind of thing: a string, None, a complex number, a bool;
- ValueError for the right kind with a bad value: NaN, ±inf, an int too big for a
  float (10**400), a wrong length, a number out of range.

"A real number" is anything `numbers.Real` admits except bool: int, float, Fraction,
and NumPy's scalars (np.float32, np.int64, …). "A list" is any sized, indexable
collection except str and bytes: list, tuple, range, a NumPy array.

This module is at the very bottom of the package: it imports nothing of ours.
"""

from __future__ import annotations

import math
import numbers
from typing import TypeGuard

__all__ = [
    "as_list",
    "finite_numbers",
    "is_finite_number",
    "real_number",
    "same_length",
    "whole_number",
]


def is_finite_number(x: object) -> TypeGuard[float]:
    """True for a real number (not a bool) with a finite float value; False for NaN, ±inf,
    ints too large for a float (10**400), and anything else."""
    if x.__class__ is float:  # the common case, without the ABC check below
        return bool(x - x == 0.0)  # NaN and ±inf give NaN
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return False
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too large for a float
        return False


def real_number(x: object, who: str) -> float:
    """x as a finite float, or a TypeError / ValueError naming `who` and x."""
    if type(x) is float and x - x == 0.0:  # the common case, without the ABC check
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{who} needs a real number, got {type(x).__name__} {_shown(x)}")
    try:
        f = float(x)
    except OverflowError:  # e.g. 10**400: a real number with no finite float
        raise ValueError(
            f"{who} needs a finite number, got {_shown(x)} (too big for a float)"
        ) from None
    if not math.isfinite(f):
        raise ValueError(f"{who} needs a finite number, got {f!r}")
    return f


def whole_number(x: object, who: str, minimum: int | None = 1) -> int:
    """x as an int ≥ minimum (None: any int), or a ValueError naming `who` and x.

    Bools are refused (True is an int to Python, but never a count here).
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise ValueError(f"{who} must be a whole number, got {type(x).__name__} {_shown(x)}")
    n = int(x)
    if minimum is not None and n < minimum:
        kind = "a positive whole number" if minimum == 1 else f"a whole number ≥ {minimum}"
        raise ValueError(f"{who} must be {kind}, got {_shown(n)}")
    return n


def as_list(values: object, who: str, what: str, length: int | None = None) -> list[object]:
    """values as a list, if it is a list-like collection (of `length` items, if given).

    TypeError for a str, bytes, a single number or anything without a length; ValueError
    for a wrong length. The items are not checked: see `finite_numbers`.
    """
    if values.__class__ is not list and values.__class__ is not tuple and (
        isinstance(values, (str, bytes, dict))
        or not hasattr(values, "__len__")
        or not hasattr(values, "__getitem__")
    ):
        expected = f"a list of {length} numbers" if length is not None else "a list of numbers"
        raise TypeError(
            f"{who} needs {what} as {expected}, got {type(values).__name__} {_shown(values)}"
        )
    items: list[object] = list(values)  # type: ignore[call-overload]
    if length is not None and len(items) != length:
        raise ValueError(f"{who} expects {length} {what}, got {len(items)}: {_shown(items)}")
    return items


def same_length(first: list[object], second: list[object], who: str, names: str) -> None:
    """ValueError naming `who` unless the two lists are as long: `names` says what they
    hold, first then second, e.g. "outputs targets"."""
    if len(first) != len(second):
        a, b = names.split()
        raise ValueError(
            f"{who} needs as many {a} as {b}, got {len(first)} {a} and {len(second)} {b}"
        )


def finite_numbers(values: object, who: str, what: str, length: int | None = None) -> list[float]:
    """values as a list of finite floats (see `as_list` and `real_number` for the errors)."""
    items = as_list(values, who, what, length)
    return [real_number(v, f"{who}: {what}[{k}]") for k, v in enumerate(items)]


def _shown(x: object) -> str:
    """repr(x), cut at 60 characters so a huge input cannot flood the message (an int too
    long for repr, past 4,300 digits, is described by its size)."""
    if isinstance(x, int) and x.bit_length() > 190:
        return f"{'a negative' if x < 0 else 'an'} int of {x.bit_length():,} bits"
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."
