"""The textbook notation, as text: Θ⁽ˡ⁾ⱼₖ, b⁽ˡ⁾ⱼ, z⁽ˡ⁾ⱼ, a⁽ˡ⁾ⱼ, δ⁽ˡ⁾ⱼ.

Layers are numbered as in the textbook: the input is layer 1 (a⁽¹⁾ = x), and
`mlp.layers[i]` computes layer l = i + 2 from layer l − 1:

    z⁽ˡ⁾ = Θ⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,   a⁽ˡ⁾ = g(z⁽ˡ⁾)

So in the seed's 2-2-2 network, Θ⁽²⁾ maps the input to the ReLU hidden layer and
Θ⁽³⁾ maps the hidden layer to the output. Unit indices j, k count from 1 in labels
(and from 0 in code: `mlp.layers[0].neurons[j - 1].w[k - 1]` is Θ⁽²⁾ⱼₖ).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.engine import Value

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def superscript(layer: int) -> str:
    """'⁽²⁾' for layer 2."""
    return f"⁽{str(layer).translate(_SUPERSCRIPT)}⁾"


def subscript(*indices: int) -> str:
    """'₁₂' for (1, 2); '₁₀,₂' once an index has two digits, so it reads one way."""
    parts = [str(i).translate(_SUBSCRIPT) for i in indices]
    return ("," if any(i >= 10 for i in indices) else "").join(parts)


def layer_number(index: int) -> int:
    """The textbook layer l that `mlp.layers[index]` computes (the input is layer 1)."""
    return index + 2


def weight_label(layer: int, j: int, k: int) -> str:
    """'Θ⁽²⁾₁₂': the weight from unit k of layer l − 1 to unit j of layer l (1-based)."""
    return f"Θ{superscript(layer)}{subscript(j, k)}"


def bias_label(layer: int, j: int) -> str:
    """'b⁽²⁾₁'."""
    return f"b{superscript(layer)}{subscript(j)}"


def unit_label(symbol: str, layer: int, j: int) -> str:
    """'a⁽²⁾₁', 'z⁽³⁾₂' or 'δ⁽³⁾₂': `symbol` is one of a, z, δ, x, y."""
    return f"{symbol}{superscript(layer)}{subscript(j)}"


def node_names(
    order: Sequence[Value], root: Value, param_names: Mapping[Value, str]
) -> dict[Value, str]:
    """Each node's name as the pictures show it (backward_frames, the explorer, the lab):
    its label, else its parameter name, else "out" for the root and vᵢ for the i-th node
    of the topological order `order`."""
    return {
        node: node.label or param_names.get(node) or ("out" if node is root else f"v{subscript(i)}")
        for i, node in enumerate(order)
    }
