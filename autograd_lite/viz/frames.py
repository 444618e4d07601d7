"""The backward pass as a film: one frame per node, in the order `backward()` visits them.

`backward_frames(J)` returns one `graphviz.Digraph` per Value below J, in reverse
topological order (`engine.topological_order`, reversed: J first, then each node once
every node that uses it has been visited; that is when its gradient is complete). Each
frame outlines the current node in orange, shows the gradients computed so far, and
writes the current node's chain-rule product in it, for example

    ∂J/∂z⁽²⁾₁ = ∂J/∂a⁽²⁾₁ · 1[z⁽²⁾₁>0] = 1.037 · 1 = 1.037

A node used several times sums one product per use. Every node gets a frame, even one
whose gradient is 0; the zero rule (a node with gradient 0 sends nothing) changes no
number shown, since 0 · anything finite is 0.

The numbers are not read from `.grad` and backward() is not called: the frames replay
the chain rule on copies of the graph's stored local derivatives (`engine.propagate` on
shadow nodes), so they are the numbers backward() computes for a fresh graph, even when
the user's leaves have accumulated gradients from earlier calls.

All frames have the same layout: every frame holds every node's text (gradients and
products not yet computed are transparent, so they take their room but are not drawn),
and only colours change from frame to frame. A player can then flip
between them without anything moving.
"""

from __future__ import annotations

import hashlib
import operator
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import graphviz

from .. import atomic
from ..core import engine
from ..core.engine import Value
from ..nn.notation import node_names
from .graph import (
    DEFAULT_MAX_NODES,
    Params,
    check_graph_options,
    computation_digraph,
    graph_legend,
    input_edge,
    parameter_names,
    value_kind,
    value_table,
)
from .rendering import DEFAULT_TIMEOUT, format_for, image_bytes
from .style import CURRENT, LegendItem, escape, line_swatch, number

__all__ = [
    "BackwardFrames",
    "backward_frames",
    "frame_images",
    "frame_paths",
    "frame_strip",
    "replay_gradients",
    "save_frames",
]

# Uses of one node written out in its product; more are summarised.
_SHOWN_TERMS = 3
_BLACK = "#000000"
# Text not computed yet: laid out (so it takes its room in every frame) but not drawn.
_HIDDEN = "transparent"


class _Shadow:
    """A stand-in node for the replay: a gradient and a copy of a Value's edges."""

    __slots__ = ("edges", "grad")

    def __init__(self, edges: tuple[object, ...]) -> None:
        self.edges = edges
        self.grad = 0.0


def replay_gradients(order: Sequence[Value], gradient: float = 1.0) -> dict[Value, float]:
    """{node: gradient · ∂root/∂node} for the topological `order` (root last), computed
    by `engine.propagate` on shadow copies of the nodes: the Values are not touched."""
    shadows: dict[Value, _Shadow] = {}
    for node in order:
        inputs = tuple(shadows[x] if isinstance(x, Value) else x for x in node.inputs)
        shadows[node] = _Shadow((*inputs, *node.local_grads))
    shadows[order[-1]].grad = gradient
    engine.propagate(list(shadows.values()))
    return {node: shadow.grad for node, shadow in shadows.items()}


def backward_frames(
    root: Value,
    *,
    params: Params = None,
    rankdir: str = "TB",
    max_nodes: int = DEFAULT_MAX_NODES,
) -> BackwardFrames:
    """One Digraph per Value below `root`, in the order backward() visits them: a
    sequence (`len`, `frames[k]`, slices, iteration) that draws frame k when it is asked
    for (`BackwardFrames`).

    Frame k outlines the k-th node visited in orange and writes its chain-rule product
    in it; the gradients (and products) of the nodes visited before are shown, those of
    the rest are not yet. Values without a label are named v₀, v₁, … (their place in
    `engine.topological_order`), and an unlabelled root "out". `params`, `rankdir` and
    `max_nodes` are draw_graph's. The numbers replay the chain rule on the stored local
    derivatives: see the module.

    Time: this call is linear in the graph's size (the order, the replay, every node's
    product), and each frame drawn is linear in it too, so k frames of n nodes cost
    about k × n, never n × n unless all n are drawn (on a 2-CPU VM, a chain of 1,999
    Values: 0.013 s, then 0.12 s a frame; before frames were drawn on demand, 400
    Values took 12 s. dot takes far longer to lay a frame out).
    """
    check_graph_options(root, rankdir, max_nodes, "backward_frames")
    param_names = parameter_names(params, "backward_frames")
    order = engine.topological_order(root)
    grads = replay_gradients(order)
    uses = uses_in_backward_order(order)
    names = node_names(order, root, param_names)
    film = _Film(
        order=order,
        root=root,
        param_names=param_names,
        grads=grads,
        names=names,
        products={node: chain_rule_text(node, root, uses, grads, names) for node in order},
        legend_items=graph_legend(order, root, param_names, show_grad=True),
        rankdir=rankdir,
    )
    return BackwardFrames(film)


class BackwardFrames(Sequence[graphviz.Digraph]):
    """The frames of `backward_frames`: `frames[k]` draws frame k (a fresh Digraph each
    time it is asked for), `frames[a:b]` a list of them; `len(frames)` is the number of
    Values. Nothing is drawn until a frame is asked for, and nothing is kept."""

    def __init__(self, film: _Film) -> None:
        self._film = film

    def __len__(self) -> int:
        return len(self._film.order)

    @overload
    def __getitem__(self, k: int) -> graphviz.Digraph: ...

    @overload
    def __getitem__(self, k: slice) -> list[graphviz.Digraph]: ...

    def __getitem__(self, k: int | slice) -> graphviz.Digraph | list[graphviz.Digraph]:
        count = len(self)
        if isinstance(k, slice):
            return [self._film.frame(i) for i in range(*k.indices(count))]
        if isinstance(k, bool) or not hasattr(k, "__index__"):
            raise TypeError(f"backward frames are indexed by int, got {type(k).__name__}")
        k = operator.index(k)  # an int, or NumPy's
        if not -count <= k < count:
            raise IndexError(f"backward frame {k} is out of range: there are {count} frames")
        return self._film.frame(k % count)

    def __repr__(self) -> str:
        return f"<backward_frames of {self._film.names[self._film.root]}: {len(self)} frames>"


Uses = dict[Value, list[tuple[Value, int]]]


def uses_in_backward_order(order: Sequence[Value]) -> Uses:
    """{node: [(consumer, position), …]}: where each node is an input, in the order
    backward sends it gradient (consumers in reverse topological order, then position)."""
    uses: Uses = {node: [] for node in order}
    for consumer in reversed(order):
        for position, x in enumerate(consumer.inputs):
            if isinstance(x, Value):
                uses[x].append((consumer, position))
    return uses


def chain_rule_text(
    node: Value, root: Value, uses: Uses, grads: dict[Value, float], names: dict[Value, str]
) -> str:
    """'∂J/∂z = ∂J/∂a · 1[z>0] = −0.6 · 1 = −0.6': node's gradient by the chain rule, one
    term per use of node (`uses`), in the order backward adds them."""
    top = names[root]
    if node is root:
        return f"∂{top}/∂{top} = 1: where backward starts"
    symbols, values = [], []
    for consumer, position in uses[node][:_SHOWN_TERMS]:
        local = (
            f"1[{names[node]}>0]" if consumer.op == "relu" else f"∂{names[consumer]}/∂{names[node]}"
        )
        symbols.append(f"∂{top}/∂{names[consumer]} · {local}")
        values.append(f"{number(grads[consumer])} · {number(consumer.local_grads[position])}")
    if len(uses[node]) > _SHOWN_TERMS:
        more = f" + … ({len(uses[node]) - _SHOWN_TERMS} more)"
        symbols[-1] += more
        values[-1] += more
    return (
        f"∂{top}/∂{names[node]} = {' + '.join(symbols)} = {' + '.join(values)}"
        f" = {number(grads[node])}"
    )


@dataclass(frozen=True)
class _Film:
    """What every frame shares; `frame(k)` draws the k-th."""

    order: Sequence[Value]
    root: Value
    param_names: dict[Value, str]
    grads: dict[Value, float]
    names: dict[Value, str]
    products: dict[Value, str]
    legend_items: list[LegendItem]
    rankdir: str

    def frame(self, k: int) -> graphviz.Digraph:
        current = self.order[-1 - k]
        done = set(self.order[len(self.order) - 1 - k :])

        def value_label(node: Value) -> str:
            kind = value_kind(node, self.root, self.param_names)
            colour = CURRENT if node is current else _BLACK if node in done else _HIDDEN
            grad = f'<font color="{colour}">grad {escape(number(self.grads[node]))}</font>'
            product = escape(self.products[node])
            outline = CURRENT if node is current else _BLACK if kind == "root" else _HIDDEN
            return value_table(
                node,
                kind,
                self.param_names,
                grad,
                name=self.names[node],
                extra_row=f'<font color="{colour}" point-size="11">{product}</font>',
                outline=(3, outline),
            )

        def edge_attributes(node: Value, position: int, uses: int) -> dict[str, str]:
            attrs = input_edge(node, position, uses, show_grad=True)
            if node.inputs[position] is current:  # the uses whose products make its grad
                attrs.update(color=CURRENT, fontcolor=CURRENT, penwidth="2.5")
            return attrs

        # digits are equally wide, and a figure space is as wide as a digit: the text
        # keeps its width from frame to frame, so the layout does not move
        count = str(len(self.order))
        step = f"step {k + 1:\u2007>{len(count)}} of {count}: backward is here"
        return computation_digraph(
            self.order,
            rankdir=self.rankdir,
            value_label=value_label,
            edge_attributes=edge_attributes,
            legend_items=[*self.legend_items, (line_swatch(CURRENT), step)],
        )


def frame_images(
    frames: Sequence[graphviz.Digraph],
    fmt: str = "svg",
    *,
    portable: bool = True,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> list[bytes]:
    """Each frame drawn by dot as 'svg' or 'png' bytes (portable by default: see
    `rendering`): what `player.frame_player` plays."""
    return [image_bytes(frame, fmt, portable=portable, timeout=timeout) for frame in frames]


def save_frames(
    frames: Sequence[graphviz.Digraph],
    directory: str | os.PathLike[str],
    fmt: str = "png",
    *,
    portable: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> list[Path]:
    """The files written: frame_01.png, frame_02.png, … (numbered with as many digits as
    the count needs) in `directory`, created if missing.

    Every image is drawn before the first file is written, and each file is written
    atomically (`atomic.write_bytes`), so a dot failure writes nothing. Every frame's
    path is checked before anything is drawn: one that exists and is not a regular file
    (a device, a FIFO, a directory, directly or through a symlink) raises
    atomic.NotARegularFileError and nothing is written. Files of an earlier, longer film
    are left alone. ValueError for a bad fmt, or a `directory` that exists and is not a
    directory.
    """
    format_for(f"frame.{fmt}")  # a bad format fails before any drawing
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"save_frames: {str(folder)!r} exists and is not a directory")
    paths = frame_paths(folder, len(frames), fmt)
    images = frame_images(frames, fmt, portable=portable, timeout=timeout)
    folder.mkdir(parents=True, exist_ok=True)
    return [atomic.write_bytes(path, image) for path, image in zip(paths, images)]


def frame_paths(directory: str | os.PathLike[str], count: int, fmt: str) -> list[Path]:
    """The files save_frames writes for `count` frames: frame_1.png … or frame_01.png …,
    once each is checked (`atomic.check_target`): NotARegularFileError for one that
    exists and is not a regular file."""
    digits = len(str(count))
    paths = [Path(directory) / f"frame_{k:0{digits}d}.{fmt}" for k in range(1, count + 1)]
    for path in paths:
        atomic.check_target(path)
    return paths


_SVG_SIZE = re.compile(rb'<svg[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"')
_SVG_SIZE_ATTRIBUTES = re.compile(rb' (?:width|height)="[\d.]+pt"')
_SYMBOL = re.compile(rb'<symbol [^>]*id="([^"]+)"[^>]*>(.*?)</symbol>\s*', re.S)


def frame_strip(images: Sequence[bytes], *, columns: int = 4, scale: float = 0.5) -> bytes:
    """One SVG holding the portable SVG `images` (from `frame_images`) in a grid of
    `columns`, each drawn at `scale`: the static strip a notebook shows without widgets.

    The frames share one set of glyphs (cairo's letter shapes, otherwise repeated in
    every frame), which makes the strip about half as big. ValueError for images that
    are not portable SVGs."""
    if not images:
        raise ValueError("frame_strip needs at least one image")
    glyphs: dict[bytes, bytes] = {}  # shape → its id in the strip
    prefix = b"s" + hashlib.sha1(b"".join(images)).hexdigest()[:8].encode() + b"-"
    cells, sizes = [], []
    for image in images:
        found = _SVG_SIZE.search(image)
        if found is None:
            raise ValueError("frame_strip needs the portable SVGs of frame_images(frames)")
        sizes.append((float(found[1]) * scale, float(found[2]) * scale))
        renamed = {}
        for old_id, shape in _SYMBOL.findall(image):
            renamed[old_id] = glyphs.setdefault(shape, prefix + str(len(glyphs)).encode())
        body = _SYMBOL.sub(b"", image[image.index(b"<svg") + 4 :])
        for old_id, new_id in renamed.items():
            body = body.replace(b'"#' + old_id + b'"', b'"#' + new_id + b'"')
        cells.append(_SVG_SIZE_ATTRIBUTES.sub(b"", body, count=2))  # its own width, height
    cell_width = max(w for w, _ in sizes) + 8
    cell_height = max(h for _, h in sizes) + 8
    placed = [
        f'<svg x="{(k % columns) * cell_width:.1f}" y="{(k // columns) * cell_height:.1f}" '
        f'width="{width:.1f}" height="{height:.1f}"'.encode() + cell
        for k, (cell, (width, height)) in enumerate(zip(cells, sizes))
    ]
    symbols = b"".join(
        b'<symbol overflow="visible" id="' + glyph_id + b'">' + shape + b"</symbol>\n"
        for shape, glyph_id in glyphs.items()
    )
    total_width = min(columns, len(images)) * cell_width
    total_height = -(-len(images) // columns) * cell_height
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{total_width:.0f}pt" height="{total_height:.0f}pt" '
        f'viewBox="0 0 {total_width:.1f} {total_height:.1f}">\n<defs>\n'
    )
    return head.encode() + symbols + b"</defs>\n" + b"\n".join(placed) + b"\n</svg>\n"
