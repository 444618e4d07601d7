"""What the training view draws, as numbers: its layout once, and a frame per state.

`Scene(model, inputs, targets, loss)` lays the view out once: a canvas of WIDTH × HEIGHT
CSS px with three panels side by side, the loss curve, the data (for an MLP with one
output: the decision boundary of 2-D inputs, the fitted curve of 1-D ones) and the
network. `scene.frame(parameters, ...)` gives what changes with θ: the curve, the shading
and its boundary, the colour and width of every weight, which units are dead. Every
coordinate is in canvas px, every colour decided here, so the two drawers, the page's
JavaScript (training_view.js: the widget, the replay page) and the still picture
(training_view_still.py), only draw what they are given.

The network's look is `draw_network`'s: a weight's colour by its sign and width by its
size (network.weight_colour, network.edge_width), wide layers as their first units and
the last (network.shown_units), and a unit dead, greyed, when its gate is closed
(network.gate_closed) for every training input, its weights in dashed.

The numbers come from the model's parameters alone (a frame of a recorded epoch has no
model to run), through `ArrayMLP`: the engine's own dot (engine.dot_value) and the
activations' rules (engine.RULES, as al.compile's NumPy code has them) on NumPy arrays,
every sample at once. Its z are the engine's to the last bit where Python's sum adds
left to right (before 3.12), so a unit is dead here exactly when `relu_activity` says 0.
"""

from __future__ import annotations

import base64
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..compiler.pycode import compile_source
from ..compiler.ruleexpr import HELPERS, value_code
from ..core.engine import NEGATIVE_SLOPE, dot_value
from ..nn.losses import binary_cross_entropy_with_logits
from ..nn.modules import MLP
from ..nn.notation import layer_number
from .network import edge_width, gate_closed, shown_units, weight_colour
from .style import CLOSED_GATE, FILL_CLOSED, FILL_INPUT, NEGATIVE, POSITIVE, QUIET, ZERO

__all__ = ["HEIGHT", "WIDTH", "ArrayMLP", "Scene", "array_activation", "contour_segments"]

#: The canvas, in CSS px: the notebook's width (display.MAX_DISPLAY_WIDTH).
WIDTH, HEIGHT = 840, 330
#: The three panels: (left, top, right, bottom) of their plots, in canvas px.
LOSS_BOX = (48.0, 34.0, 262.0, 282.0)
DATA_BOX = (292.0, 34.0, 540.0, 282.0)
NETWORK_BOX = (572.0, 48.0, 832.0, 276.0)
#: Samples of the data panel: a GRID × GRID shading of 2-D inputs, CURVE points of 1-D ones.
GRID, CURVE = 40, 160
#: The most loss points a frame draws (a longer history is drawn at evenly spaced epochs).
MAX_LOSS_POINTS = 600
#: The two classes' colours (label 0 red, label 1 blue, as notebook 04 draws them).
CLASS_COLOURS = (NEGATIVE, POSITIVE)
#: How far the shading goes towards a class's colour where the model is sure (0 to 1).
SHADE_STRENGTH = 0.4
UNIT_RADIUS = 7.0

Box = tuple[float, float, float, float]


@functools.cache
def array_activation(activation: str) -> Callable[[Any], Any]:
    """a = g(z) on a NumPy array, for each activation of nn.ACTIVATIONS, from the op's
    rule in engine.RULES (the value code al.compile's NumPy replay uses)."""
    if activation == "linear":
        return lambda z: z
    inputs: list[str | float] = ["z", NEGATIVE_SLOPE] if activation == "leaky_relu" else ["z"]
    source = f"def _replay(z):\n    return {value_code(activation, inputs, numpy=True)}\n"
    # generated from our own rule table, never from user text
    g = compile_source(source, {**HELPERS, "_np": np}, f"training view {activation}")

    def on_arrays(z: Any) -> Any:
        with np.errstate(all="ignore"):  # np.where computes both of sigmoid's forms
            return g(z)

    return on_arrays


class ArrayMLP:
    """An MLP's forward pass on NumPy arrays, from a flat list of its parameters
    (`parameters()` order): z⁽ˡ⁾ and a⁽ˡ⁾ for many inputs at once."""

    def __init__(self, mlp: MLP) -> None:
        self.shapes = [(len(layer.neurons), len(layer.neurons[0].w)) for layer in mlp.layers]
        self.activations = [layer.activation for layer in mlp.layers]
        self.g = [array_activation(name) for name in self.activations]
        ends = np.cumsum([m * (n + 1) for m, n in self.shapes])
        self.starts = [0, *ends[:-1].tolist()]
        #: where each weight Θ⁽ˡ⁾ⱼₖ is in the flat list: [layer i][j][k]
        self.weight_index = [
            [[start + j * (n + 1) + k for k in range(n)] for j in range(m)]
            for start, (m, n) in zip(self.starts, self.shapes)
        ]
        self.weights_only = np.array(
            [i for layer in self.weight_index for row in layer for i in row], dtype=np.intp
        )

    def layers(self, parameters: Any) -> list[tuple[Any, Any]]:
        """[(Θ⁽ˡ⁾ of shape (units, inputs), b⁽ˡ⁾) for each layer]."""
        flat = np.asarray(parameters, dtype=float)
        blocks = []
        for start, (m, n) in zip(self.starts, self.shapes):
            block = flat[start : start + m * (n + 1)].reshape(m, n + 1)
            blocks.append((block[:, :n], block[:, n]))
        return blocks

    def forward(self, parameters: Any, inputs: Any) -> list[tuple[Any, Any]]:
        """[(z⁽ˡ⁾, a⁽ˡ⁾), each of shape (samples, units), for each layer] for the inputs
        (samples, nin): z by the engine's dot on columns (Σₖ Θⱼₖ aₖ from 0.0, then + b)."""
        a = np.asarray(inputs, dtype=float)
        out = []
        for (weights, bias), g in zip(self.layers(parameters), self.g):
            columns = [a[:, k, None] for k in range(a.shape[1])]
            z = dot_value([weights[:, k] for k in range(weights.shape[1])], columns, bias)
            a = g(z)
            out.append((z, a))
        return out

    def relu_activity(self, parameters: Any, inputs: Any) -> list[list[float]]:
        """`MLP.relu_activity(inputs)` for these parameters: per relu layer, the fraction of
        the inputs with z > 0 for each unit (an empty list for other layers)."""
        return [
            np.mean(z > 0.0, axis=0).tolist() if activation == "relu" else []
            for (z, _), activation in zip(self.forward(parameters, inputs), self.activations)
        ]

    def dead(self, parameters: Any, inputs: Any) -> list[list[bool]]:
        """[[is unit j's gate closed for every input] for each layer] (network.gate_closed
        of its largest z)."""
        return [
            [gate_closed(activation, zmax) for zmax in np.max(z, axis=0).tolist()]
            for (z, _), activation in zip(self.forward(parameters, inputs), self.activations)
        ]


def contour_segments(values: Any, level: float) -> Any:
    """The line values = level through a grid of samples (rows of `values` are y, columns
    x), as segments (x₁, y₁, x₂, y₂) in grid index units: marching squares, each crossing
    placed on its cell edge by linear interpolation; a saddle cell is split as its
    centre (the mean of its corners) says."""
    v = np.asarray(values, dtype=float) - level
    c00, c10, c01, c11 = v[:-1, :-1], v[:-1, 1:], v[1:, :-1], v[1:, 1:]  # (row y, column x)
    rows, cols = np.mgrid[0 : v.shape[0] - 1, 0 : v.shape[1] - 1].astype(float)

    def crossing(a: Any, b: Any) -> tuple[Any, Any]:
        with np.errstate(all="ignore"):
            return (a > 0) != (b > 0), np.where(a == b, 0.5, a / (a - b))

    # the four edges of a cell, in order around it: bottom, right, top, left
    edges = []
    for (a, b), (x0, y0, dx, dy) in (
        ((c00, c10), (0, 0, 1, 0)),
        ((c10, c11), (1, 0, 0, 1)),
        ((c01, c11), (0, 1, 1, 0)),
        ((c00, c01), (0, 0, 0, 1)),
    ):
        hit, t = crossing(a, b)
        edges.append((hit, cols + x0 + dx * t, rows + y0 + dy * t))
    hits = np.stack([e[0] for e in edges], axis=-1)
    xs = np.stack([e[1] for e in edges], axis=-1)
    ys = np.stack([e[2] for e in edges], axis=-1)
    r, c = np.nonzero(hits.sum(axis=-1) == 2)  # the line enters by one edge, leaves by another
    h = hits[r, c]
    p, q = np.argmax(h, axis=-1), 3 - np.argmax(h[:, ::-1], axis=-1)
    segments = [np.stack([xs[r, c, p], ys[r, c, p], xs[r, c, q], ys[r, c, q]], axis=-1)]
    for r, c in zip(*np.nonzero(hits.sum(axis=-1) == 4)):
        centre = (c00[r, c] + c10[r, c] + c01[r, c] + c11[r, c]) / 4
        # corners (0,0) and (1,1) share a sign: join the edges around whichever corner
        # the centre does not side with
        pairs = ((0, 1), (2, 3)) if (centre > 0) == (c00[r, c] > 0) else ((0, 3), (1, 2))
        for p_, q_ in pairs:
            segments.append(np.array([[xs[r, c, p_], ys[r, c, p_], xs[r, c, q_], ys[r, c, q_]]]))
    return np.concatenate(segments)


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round numbers from low to high, about `count` of them (steps of 1, 2 or 5 × 10ᵏ)."""
    if not high > low:
        return [low]
    raw = (high - low) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 5, 10) if s * power >= raw)
    first = math.ceil(low / step - 1e-9)
    return [k * step for k in range(first, math.floor(high / step + 1e-9) + 1)]


def tick_label(value: float) -> str:
    """A tick's text: 4 significant digits at most, no trailing zeros, -0 as 0, and a
    power of ten as e5 or e-6 (not e+05)."""
    text = f"{value + 0.0:.4g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def _mix(colour: str, strength: float) -> list[int]:
    """colour (#rrggbb) mixed with white: strength 0 is white, 1 the colour."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return [round(255 + (c - 255) * strength) for c in rgb]


def shade_palette() -> list[list[int]]:
    """256 colours for a shading byte s: class 0's colour at s = 0, white at the boundary
    (s = 127.5), class 1's at s = 255."""
    low, high = CLASS_COLOURS
    return [
        _mix(high if s > 127.5 else low, SHADE_STRENGTH * abs(s - 127.5) / 127.5)
        for s in range(256)
    ]


def _rounded(values: Any) -> list[Any]:
    """Pixel coordinates as JSON-ready lists, to 0.1 px."""
    return np.round(np.asarray(values, dtype=float), 1).tolist()  # type: ignore[no-any-return]


def numbers_text(values: Any, digits: int = 1) -> str:
    """Numbers as one text, space-separated, to `digits` decimals: how a frame carries an
    array (pixel coordinates to 0.1 px). One string is one JSON value where a list of
    pairs is thousands, each of which a widget update walks and encodes."""
    flat = np.round(np.asarray(values, dtype=float).ravel(), digits) + 0.0  # -0.0 as 0.0
    return " ".join(map(repr, flat.tolist()))


def text_numbers(text: str) -> list[float]:
    """numbers_text's numbers back."""
    return [float(v) for v in text.split()]


class LossAxes:
    """The loss panel's axes for a history of J̄: epochs 0 … span across, J up (on a log
    scale when every J is positive), and the curve through the points (epoch, J̄)."""

    def __init__(self, losses: Sequence[float], span: int) -> None:
        self.losses = np.asarray(losses, dtype=float)
        self.span = max(span, len(losses), 1)
        finite = self.losses[np.isfinite(self.losses)]
        self.log = bool(finite.size) and bool(np.all(finite > 0.0))
        ys = np.log10(finite) if self.log else finite
        low, high = (float(ys.min()), float(ys.max())) if ys.size else (0.0, 1.0)
        pad = (high - low) * 0.08 or (0.5 if self.log else max(abs(high) * 0.1, 0.5))
        self.low, self.high = low - pad, high + pad

    def x(self, epochs: Any) -> Any:
        left, _, right, _ = LOSS_BOX
        return left + (right - left) * np.asarray(epochs, dtype=float) / self.span

    def y(self, losses: Any) -> Any:
        _, top, _, bottom = LOSS_BOX
        values = np.asarray(losses, dtype=float)
        with np.errstate(all="ignore"):
            ys = np.log10(values) if self.log else values
        return bottom - (bottom - top) * (ys - self.low) / (self.high - self.low)

    def epochs_drawn(self) -> Any:
        """The epochs (from 1) whose points the curve goes through: every one, or
        MAX_LOSS_POINTS evenly spaced ones, the first and the last among them."""
        n = len(self.losses)
        if n <= MAX_LOSS_POINTS:
            return np.arange(1, n + 1)
        return np.unique(np.linspace(1, n, MAX_LOSS_POINTS).round().astype(int))

    def curve(self) -> dict[str, Any]:
        """The curve's points and the ticks of both axes, in canvas px."""
        epochs = self.epochs_drawn()
        points = np.stack([self.x(epochs), self.y(self.losses[epochs - 1])], axis=-1)
        return {
            "points": numbers_text(points),
            "xticks": [[float(self.x(e)), tick_label(e)] for e in self._epoch_ticks()],
            "yticks": [[float(np.round(self.y(v), 1)), tick_label(v)] for v in self._loss_ticks()],
            "log": self.log,
        }

    def point(self, epoch: int) -> list[float] | None:
        """Where the curve is at `epoch` (None before the first)."""
        if not 1 <= epoch <= len(self.losses):
            return None
        return _rounded([self.x(epoch), self.y(self.losses[epoch - 1])])

    def _epoch_ticks(self) -> list[int]:
        return [int(t) for t in nice_ticks(0, self.span, 4) if t == int(t)]

    def _loss_ticks(self) -> list[float]:
        if not self.log:
            return nice_ticks(self.low, self.high)
        decades = range(math.ceil(self.low), math.floor(self.high) + 1)
        if len(decades) >= 3:  # powers of ten, at most 5 of them
            step = max(1, math.ceil(len(decades) / 5))
            return [10.0**k for k in decades[::step]]
        low, high = 10**self.low, 10**self.high
        ones_twos_fives = [
            m * 10.0**k
            for k in range(math.floor(self.low), math.ceil(self.high) + 1)
            for m in (1, 2, 5)
            if low <= m * 10.0**k <= high
        ]
        if len(ones_twos_fives) >= 2:
            return ones_twos_fives
        return [v for v in nice_ticks(low, high, 4) if v > 0]


def _padded(values: Any, fraction: float) -> tuple[float, float]:
    low, high = float(np.min(values)), float(np.max(values))
    pad = (high - low) * fraction or max(abs(high) * fraction, 1.0)
    return low - pad, high + pad


class _Axes:
    """A plot's data rectangle mapped onto a box of the canvas (y up)."""

    def __init__(self, box: Box, xs: tuple[float, float], ys: tuple[float, float]) -> None:
        self.box, self.xs, self.ys = box, xs, ys

    def px(self, x: Any) -> Any:
        left, _, right, _ = self.box
        return left + (right - left) * (np.asarray(x, dtype=float) - self.xs[0]) / (
            self.xs[1] - self.xs[0]
        )

    def py(self, y: Any) -> Any:
        _, top, _, bottom = self.box
        return bottom - (bottom - top) * (np.asarray(y, dtype=float) - self.ys[0]) / (
            self.ys[1] - self.ys[0]
        )

    def ticks(self) -> dict[str, list[list[Any]]]:
        """[[where, text], …] for round numbers along both axes."""
        xs, ys = nice_ticks(*self.xs), nice_ticks(*self.ys)
        return {
            "xticks": [[float(np.round(self.px(v), 1)), tick_label(v)] for v in xs],
            "yticks": [[float(np.round(self.py(v), 1)), tick_label(v)] for v in ys],
        }


Range = tuple[float, float]


def _square(first: Range, second: Range) -> tuple[Range, Range]:
    """Two ranges widened, about their middles, to the same length: equal scales."""
    half = max(first[1] - first[0], second[1] - second[0]) / 2
    return (sum(first) / 2 - half, sum(first) / 2 + half), (
        sum(second) / 2 - half,
        sum(second) / 2 + half,
    )


class PlanePanel:
    """2-D inputs, one output: the output over the plane as a shading on a GRID × GRID
    grid. With two classes of targets, the shading goes from class 0's colour to class
    1's through white, and the decision boundary (where the model sits halfway between
    the classes: σ(z) = ½ for the logits loss, a = the labels' midpoint otherwise) is
    drawn as a line; with other targets, from the lowest target's colour to the highest's."""

    def __init__(self, net: ArrayMLP, inputs: Any, targets: Any, logits: bool) -> None:
        self.net, self.logits = net, logits
        labels = sorted(set(targets.tolist()))
        self.classes = len(labels) == 2
        self.low, self.high = labels[0], labels[-1]
        if self.low == self.high:  # all targets equal: a scale around them
            self.low, self.high = self.low - 1, self.high + 1
        xs, ys = _square(_padded(inputs[:, 0], 0.1), _padded(inputs[:, 1], 0.1))
        self.axes = _Axes(DATA_BOX, xs, ys)
        centres = (np.arange(GRID) + 0.5) / GRID
        gx = xs[0] + (xs[1] - xs[0]) * centres
        gy = ys[1] - (ys[1] - ys[0]) * centres  # row 0 is the top
        self.grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
        # a point in its class's colour (a target between the classes: towards white)
        self.points = [
            [round(float(self.axes.px(x)), 1), round(float(self.axes.py(y)), 1),
             _hex(_mix(CLASS_COLOURS[s > 0.5], abs(2 * s - 1)))]
            for (x, y), s in zip(inputs.tolist(), self.scaled(targets).tolist())
        ]  # fmt: skip

    def scaled(self, values: Any) -> Any:
        """Targets (or outputs read as targets) as s in [0, 1]: 0 at the lower class, 1 at
        the higher (or at the lowest and highest target)."""
        return np.clip((np.asarray(values, dtype=float) - self.low) / (self.high - self.low), 0, 1)

    def shade_of(self, outputs: Any) -> Any:
        """s in [0, 1]: ½ on the boundary, towards 1 for the higher class (or target); for
        the logits loss, σ(z), the predicted probability of class 1."""
        if self.logits:
            return array_activation("sigmoid")(np.asarray(outputs, dtype=float))
        return self.scaled(outputs)

    def layout(self) -> dict[str, Any]:
        title = "the decision boundary" if self.classes else "the output over the inputs"
        return {"kind": "plane", "title": title, "points": self.points, "grid": GRID,
                "palette": shade_palette(), **self.axes.ticks()}  # fmt: skip

    def frame(self, parameters: Any) -> dict[str, Any]:
        outputs = self.net.forward(parameters, self.grid)[-1][1][:, 0]
        s = np.nan_to_num(self.shade_of(outputs), nan=0.5).reshape(GRID, GRID)
        shade = base64.b64encode(np.round(s * 255).astype(np.uint8).tobytes()).decode("ascii")
        state: dict[str, Any] = {"shade": shade, "boundary": ""}
        if self.classes:
            segments = contour_segments(s, 0.5)
            left, top, right, bottom = DATA_BOX
            scale = np.array([(right - left) / GRID, (bottom - top) / GRID] * 2)
            state["boundary"] = numbers_text((segments + 0.5) * scale + [left, top, left, top])
        return state


def _hex(rgb: Sequence[int]) -> str:
    """#rrggbb of an (r, g, b)."""
    return "#" + "".join(f"{c:02x}" for c in rgb)


class CurvePanel:
    """1-D inputs, one output: the data points and the model's curve through them."""

    def __init__(self, net: ArrayMLP, inputs: Any, targets: Any) -> None:
        self.net = net
        self.axes = _Axes(DATA_BOX, _padded(inputs[:, 0], 0.05), _padded(targets, 0.1))
        self.xs = np.linspace(*self.axes.xs, CURVE)[:, None]
        self.points = _rounded(np.stack([self.axes.px(inputs[:, 0]), self.axes.py(targets)], -1))

    def layout(self) -> dict[str, Any]:
        return {"kind": "curve", "title": "the fit: the output against x",
                "points": self.points, **self.axes.ticks()}  # fmt: skip

    def frame(self, parameters: Any) -> dict[str, Any]:
        outputs = self.net.forward(parameters, self.xs)[-1][1][:, 0]
        # a curve far outside the box is drawn to just as far as the eye can tell
        ys = np.clip(np.nan_to_num(self.axes.py(outputs), nan=0.0), -1e4, 1e4)
        return {"fit": numbers_text(np.stack([self.axes.px(self.xs[:, 0]), ys], axis=-1))}


#: The letter a frame gives each edge colour (network.weight_colour's).
_COLOUR_KEYS = {POSITIVE: "p", NEGATIVE: "n", ZERO: "z"}


class NetworkPanel:
    """The network as draw_network draws it, small: layers as columns of units (wide
    ones as their first units, "⋮ n more" and the last), every weight Θ⁽ˡ⁾ⱼₖ an edge
    coloured by its sign and as wide as its size says, a unit greyed (and the weights
    into it dashed) when it is dead: its gate closed for every training input."""

    def __init__(self, mlp: MLP, net: ArrayMLP, inputs: Any) -> None:
        self.net, self.inputs = net, inputs
        widths = [mlp.nin, *mlp.nouts]
        left, _, right, _ = NETWORK_BOX
        gap = (right - left - 2 * 24) / max(len(widths) - 1, 1)
        self.nodes: list[list[float]] = []
        self.more: list[list[Any]] = []
        self.titles: list[list[Any]] = []
        columns = []
        for c, n in enumerate(widths):
            x = round(left + 24 + gap * c, 1)
            columns.append([(j, len(self.nodes) + i) for i, j in enumerate(shown_units(n))])
            self.nodes += [[x, y] for y in self._column(x, n)]
            kind = "" if c == 0 else mlp.layers[c - 1].activation
            self.titles.append([x, "x" if c == 0 else f"layer {layer_number(c - 1)}", kind])
        self.edges, self.edge_params, self.edge_heads = [], [], []
        for i, (tails, heads) in enumerate(itertools.pairwise(columns)):
            for j, head in heads:
                for k, tail in tails:
                    self.edges.append([tail, head])
                    self.edge_params.append(net.weight_index[i][j][k])
                    self.edge_heads.append((i, j))
        self.unit_nodes = [
            (i, j, node) for i, column in enumerate(columns[1:]) for j, node in column
        ]

    def _column(self, x: float, n: int) -> list[float]:
        """The heights of a column's units, centred; a wide layer's "⋮ n more" (in
        self.more) takes the place of a unit before its last."""
        _, top, _, bottom = NETWORK_BOX
        shown = len(shown_units(n))
        hidden = n - shown
        slots = shown + (hidden > 0)
        step = min(28.0, (bottom - top) / slots)
        y0 = (top + bottom) / 2 - step * (slots - 1) / 2
        if hidden:
            self.more.append([x, round(y0 + step * (shown - 1), 1), f"⋮ {hidden} more"])
        return [round(y0 + step * (i + (hidden > 0 and i == shown - 1)), 1) for i in range(shown)]

    def layout(self) -> dict[str, Any]:
        return {
            "nodes": self.nodes, "edges": self.edges, "more": self.more, "titles": self.titles,
            "units": [node for _, _, node in self.unit_nodes],
            "edge_colours": {key: colour for colour, key in _COLOUR_KEYS.items()},
            "radius": UNIT_RADIUS, "input_fill": FILL_INPUT, "fill": "#ffffff",
            "dead_fill": FILL_CLOSED, "dead_stroke": CLOSED_GATE, "stroke": QUIET,
            "legend": ["blue Θ > 0, red Θ < 0, width grows with |Θ|",
                       "grey, weights dashed: dead (z ≤ 0 for every x)"],
        }  # fmt: skip

    def frame(self, parameters: Any) -> dict[str, Any]:
        flat = np.asarray(parameters, dtype=float)
        widest = float(np.max(np.abs(flat[self.net.weights_only]), initial=0.0))
        dead = self.net.dead(flat, self.inputs)
        weights = flat[np.asarray(self.edge_params, dtype=np.intp)].tolist()
        return {
            # per edge: a letter for its colour, its width, 1 if dashed (into a dead unit)
            "colours": "".join(_COLOUR_KEYS[weight_colour(w)] for w in weights),
            "widths": numbers_text([edge_width(w, widest) for w in weights], 2),
            "dashed": "".join("01"[dead[i][j]] for i, j in self.edge_heads),
            "dead": "".join("01"[dead[i][j]] for i, j, _ in self.unit_nodes),
            # dead as relu_activity says: a relu unit, whose gate never opens (leaky's
            # gate never shuts fully)
            "dead_count": sum(sum(d) for d, a in zip(dead, self.net.activations) if a == "relu"),
            "relu_units": sum(len(d) for d, a in zip(dead, self.net.activations) if a == "relu"),
        }


Panel = PlanePanel | CurvePanel


class Scene:
    """The view of one model training on one data set (see the module docstring)."""

    def __init__(
        self, model: object, inputs: Sequence[Sequence[float]], targets: Sequence[Sequence[float]],
        loss: object,
    ) -> None:  # fmt: skip
        self.net: ArrayMLP | None = None
        self.data: Panel | None = None
        self.network: NetworkPanel | None = None
        self.note = "the data and the network are drawn for an nn.MLP"
        if not isinstance(model, MLP):
            return
        x, t = np.asarray(inputs, dtype=float), np.asarray(targets, dtype=float)
        self.net = ArrayMLP(model)
        self.network = NetworkPanel(model, self.net, x)
        self.note = "the data are drawn for 1 or 2 inputs and 1 output"
        if model.nouts[-1] == 1 and model.nin == 2:
            logits = loss is binary_cross_entropy_with_logits
            self.data = PlanePanel(self.net, x, t[:, 0], logits)
        elif model.nouts[-1] == 1 and model.nin == 1:
            self.data = CurvePanel(self.net, x, t[:, 0])
        if self.data is not None:
            self.note = ""

    def layout(self, history: Sequence[float] | None = None) -> dict[str, Any]:
        """What stays: the canvas, the panels' boxes and titles, the data points, the
        units; with the whole `history` (a replay), the loss curve too."""
        layout: dict[str, Any] = {
            "width": WIDTH, "height": HEIGHT, "note": self.note,
            "loss_box": LOSS_BOX, "data_box": DATA_BOX, "network_box": NETWORK_BOX,
            "loss_title": "the loss: mean J per epoch",
            "data": None if self.data is None else self.data.layout(),
            "network": None if self.network is None else self.network.layout(),
        }  # fmt: skip
        if history is not None:
            layout["loss"] = LossAxes(history, len(history)).curve()
        return layout

    def frame(
        self,
        parameters: Sequence[float],
        history: Sequence[float],
        *,
        epoch: int,
        planned: int,
        status: str = "",
        replay: LossAxes | None = None,
    ) -> dict[str, Any]:
        """What changes, for the model with these parameters after `epoch` epochs of
        `planned` (history: J̄ of each, up to `epoch` at least). Live (`replay` None), the
        loss curve of the history so far; in a replay, where the whole run's curve is."""
        loss = float(history[epoch - 1]) if 1 <= epoch <= len(history) and not status else None
        frame: dict[str, Any] = {"epoch": epoch, "planned": planned, "loss": loss}
        if replay is None:
            axes = LossAxes(history[:epoch], planned)
            frame["curve"] = axes.curve()
        else:
            axes = replay
            frame["upto"] = int(np.searchsorted(axes.epochs_drawn(), epoch, side="right"))
        frame["marker"] = None if loss is None else axes.point(epoch)
        flat = np.asarray(parameters, dtype=float)
        if self.data is not None:
            frame["data"] = self.data.frame(flat)
        if self.network is not None:
            frame["network"] = self.network.frame(flat)
        frame["caption"] = _caption(frame, status)
        return frame


def _caption(frame: dict[str, Any], status: str) -> str:
    """The line above the view: the epoch, its J̄, the dead units, how training stands."""
    epoch, planned, loss = frame["epoch"], frame["planned"], frame["loss"]
    if status:
        text = f"{status}, after {epoch} whole epoch{'s' * (epoch != 1)} of {planned}"
    elif epoch == 0:
        text = f"before training (epoch 0 of {planned})"
    else:
        text = f"epoch {epoch} of {planned}"
    if loss is not None:
        text += f": mean J = {loss:.4g}"
    network = frame.get("network")
    if network is not None and network["relu_units"]:
        text += f" · dead ReLU units: {network['dead_count']} of {network['relu_units']}"
    return text
