"""Losses J(a, y): a network's outputs a against the targets y, as one Value to backprop.

Each loss takes `outputs` (Values, or numbers) and `targets` (numbers, or Values) of the
same length and builds its sum with the n-ary `nary.total`, so the graph of J stays
shallow however many terms it has.

A loss that accepts only some targets has a `check_targets(targets)` attribute, which
checks every sample's targets at once (a list of target lists) and raises ValueError
naming the sample: `fit` calls it before it trains. The loss checks its targets on every
call too, but that check reads numbers, so under `al.compile` it runs only when f is
traced; the replays do not repeat it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core import nary
from ..core.engine import Value
from ..core.validation import as_list, finite_numbers, real_number, same_length

__all__ = ["binary_cross_entropy_with_logits", "half_squared_error", "mse"]

Operand = float | Value


def half_squared_error(outputs: Sequence[Operand], targets: Sequence[Operand]) -> Value:
    """J = Σₖ ½(aₖ − yₖ)², the seed's loss: its ∂J/∂aₖ is exactly aₖ − yₖ."""
    pairs = _pairs(outputs, targets, "half_squared_error")
    return nary.total(0.5 * (a - y) ** 2 for a, y in pairs)


def mse(outputs: Sequence[Operand], targets: Sequence[Operand]) -> Value:
    """J = (1/n) Σₖ (aₖ − yₖ)²: the mean over the n outputs (no ½)."""
    pairs = _pairs(outputs, targets, "mse")
    return nary.total((a - y) ** 2 for a, y in pairs) * (1.0 / len(pairs))


def binary_cross_entropy_with_logits(
    outputs: Sequence[Operand], targets: Sequence[Operand]
) -> Value:
    """J = Σₖ [log(1 + e^{zₖ}) − yₖ zₖ]: cross-entropy of σ(zₖ) against yₖ ∈ [0, 1].

    The outputs are logits z (use a "linear" output layer), so ∂J/∂zₖ = σ(zₖ) − yₖ.
    log(1 + e^z) is computed by `_softplus`, which never overflows and chooses no formula
    by a Python branch on a number, so `al.compile` replays it exactly as the engine runs
    it. The check that each yₖ is in [0, 1] does read numbers: under `al.compile` it runs
    when f is traced, not on each replay. `fit` checks every target first, with
    `binary_cross_entropy_with_logits.check_targets(targets)`.
    """
    pairs = _pairs(outputs, targets, "binary_cross_entropy_with_logits")
    _probabilities([y.data if isinstance(y, Value) else y for _, y in pairs], "")
    terms = []
    for z, y in pairs:
        if not isinstance(z, Value):
            z = Value(z)
        terms.append(_softplus(z) - y * z)
    return nary.total(terms)


def _probabilities(targets: Sequence[float], where: str) -> None:
    """ValueError naming the first target outside [0, 1] (`where`: the sample's words)."""
    for k, y in enumerate(targets):
        if not 0.0 <= y <= 1.0:
            raise ValueError(
                f"binary_cross_entropy_with_logits needs targets in [0, 1], "
                f"got {y!r} at index {k}{where}"
            )


def _check_probability_targets(targets: Sequence[Sequence[float]]) -> None:
    """Every sample's targets in [0, 1] (targets: one list of numbers per sample), or a
    ValueError naming the sample: what each call checks, for all samples at once."""
    who = "binary_cross_entropy_with_logits.check_targets"
    for i, sample in enumerate(as_list(targets, who, "targets")):
        _probabilities(finite_numbers(sample, who, f"targets[{i}]"), f" of sample {i}")


binary_cross_entropy_with_logits.check_targets = _check_probability_targets  # type: ignore[attr-defined]


def _softplus(z: Value) -> Value:
    """log(1 + e^z) = max(z, 0) + log(1 + e^{−|z|}): e^{−|z|} ≤ 1, so exp never overflows.

    No `if z.data >= 0` picks a formula: a branch on a number is invisible to `al.compile`,
    which would replay the traced sample's branch for every sample. max(z, 0) is written
    ½z + ½|z| rather than relu(z): at z = 0, where relu′ and abs′ are 0, it gives the slope
    ½ + ½·abs′(0) − ½·abs′(0) = ½ = σ(0), the true derivative. ½z + ½|z| is exactly 0 for
    z < 0 and exactly z for z ≥ 2⁻¹⁰²¹ (where ½z is exact), so the value has the bits of
    z + log(1 + e^{−z}) for z ≥ 0 (a smaller z vanishes beside log 2 anyway) and of
    log(1 + e^z) for z < 0.
    """
    magnitude = abs(z)
    return nary.total([z * 0.5, magnitude * 0.5, ((-magnitude).exp() + 1.0).log()])


def _pairs(
    outputs: Sequence[Operand], targets: Sequence[Operand], loss: str
) -> list[tuple[Operand, Operand]]:
    """[(aₖ, yₖ)], numbers made floats (NumPy's too), or an error naming the loss if the
    lengths differ or are 0, or an entry is not a finite number or a Value."""
    a_list = as_list(outputs, loss, "outputs")
    y_list = as_list(targets, loss, "targets")
    same_length(a_list, y_list, loss, "outputs targets")
    if not a_list:
        raise ValueError(f"{loss} needs at least one output, got none")
    return [
        (_operand(a, loss, "output", k), _operand(y, loss, "target", k))
        for k, (a, y) in enumerate(zip(a_list, y_list))
    ]


def _operand(x: object, loss: str, what: str, k: int) -> Operand:
    if (x.__class__ is float and x - x == 0.0) or isinstance(x, Value):
        return x  # a finite float or a Value, used as it is
    return real_number(x, f"{loss} {what} {k}")
