"""Names for the variables of generated code: each node's label, or what it is, as a valid
Python identifier.

A parameter labelled Θ⁽²⁾₁₂ becomes `Θ2_12`, b⁽³⁾₁ becomes `b3_1`. A node without a label
is named after what it computes: the `dot` node of a neuron whose bias is b⁽³⁾₁ is
`z3_1`, the activation of `z3_1` is `a3_1`, an argument x of f is `x`, or `x_1`, `x_2`
for a list; any other node after its op (`mul4`, `pow7`). The gradient of a node named v
is `dJ_dv`, so the generated backward pass reads as the chain rule:

    dJ_dz3_1 = dJ_da3_1 * (1.0 if z3_1 > 0.0 else 0.0)

This module imports nothing of ours.
"""

from __future__ import annotations

import functools
import keyword
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["ACTIVATION_OPS", "Namer", "identifier"]

_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789", "⁽")
#: Ops named a… when applied to a node named z…: a = g(z).
ACTIVATION_OPS = frozenset({"relu", "leaky_relu", "tanh", "sigmoid"})
_OP_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}


@functools.lru_cache(maxsize=4096)
def identifier(text: str) -> str:
    """text as a Python identifier: Θ⁽²⁾₁₂ → Θ2_12, "hidden 1" → hidden_1 ("" if nothing
    of it is usable)."""
    plain = unicodedata.normalize("NFKC", text.translate(_DIGITS).replace("⁾", "_"))
    plain = "".join(c if ("_" + c).isidentifier() else "_" for c in plain)
    plain = re.sub("_+", "_", plain).strip("_")
    if plain and not plain.isidentifier():  # starts with a digit
        plain = "v" + plain
    return plain


def op_name(op: str) -> str:
    """A short identifier for an op: mul for *, relu for relu."""
    return _OP_NAMES.get(op, identifier(op) or "op")


class Namer:
    """Hands out unique identifiers, none of them reserved (keywords, the names given),
    none a gradient's name (dJ_d…), and none starting with `_`: those are the generated
    code's own (pycode.py), so that no node can hide one."""

    def __init__(self, reserved: Iterable[str]) -> None:
        self.used = set(reserved) | set(keyword.kwlist) | set(keyword.softkwlist)
        self.counts: dict[str, int] = {}

    def fresh(self, base: str, numbered: bool = False) -> str:
        """base itself if free (numbered: base1, base2, … always), else base__2, base__3, …"""
        if not base or base.startswith(("_", "dJ_d")):
            base = "v_" + base.lstrip("_")
        if not numbered and base not in self.used:
            self.used.add(base)
            return base
        n = self.counts.get(base, 1)
        while True:
            n += 1
            name = f"{base}{n - 1}" if numbered else f"{base}__{n}"
            if name not in self.used:
                break
        self.counts[base] = n
        self.used.add(name)
        return name
