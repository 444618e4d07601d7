"""The training view as a still picture: a PNG of one state, for wherever no JavaScript runs.

A saved notebook opened unexecuted, nbconvert's HTML and a static viewer show a widget's
output as the pictures its bundle carries, never the widget. So the training view's
bundle carries this PNG of its state: the same three panels, drawn from the same layout
and frame (training_view_scene.py) as the page's JavaScript draws them, here with Pillow
(which comes with matplotlib). A figure by matplotlib would take ten times as long, and
the view draws one at the end of every fit.

Drawn at 2× (rendering.PNG_DPI), its smallest text 11 CSS px (8.25 pt), so that
`display.figure_bundle` shows it at the notebook's width with readable text.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import itertools
import math
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .rendering import PNG_DPI
from .training_view_scene import text_numbers

__all__ = ["CAPTION_HEIGHT", "SMALLEST_TEXT_PT", "still_png"]

SCALE = PNG_DPI / 96  # device px per CSS px
#: The band above the panels that holds the caption line, in CSS px.
CAPTION_HEIGHT = 22
#: The smallest text, 11 CSS px, in points.
SMALLEST_TEXT_PT = 11 * 72 / 96
_GRID_LINE = (200, 200, 200)


@functools.cache
def _font(size: float, bold: bool = False) -> Any:
    """DejaVu Sans at `size` CSS px: matplotlib's own font file, found without importing
    matplotlib; Pillow's default font where it is not."""
    from PIL import ImageFont

    spec = importlib.util.find_spec("matplotlib")
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / name
        if path.is_file():
            return ImageFont.truetype(str(path), round(size * SCALE))
    return ImageFont.load_default(round(size * SCALE))


class _Canvas:
    """Pillow's ImageDraw in CSS px, the panels shifted down below the caption band."""

    def __init__(self, width: int, height: int) -> None:
        from PIL import Image, ImageDraw

        self.image = Image.new("RGB", (round(width * SCALE), round(height * SCALE)), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.dy = CAPTION_HEIGHT

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return x * SCALE, (y + self.dy) * SCALE

    def text(self, x: float, y: float, text: str, anchor: str = "ls", size: float = 11,
             fill: Any = "#333333", bold: bool = False) -> None:  # fmt: skip
        self.draw.text(self.xy(x, y), text, font=_font(size, bold), fill=fill, anchor=anchor)

    def line(self, points: Sequence[Sequence[float]], fill: Any, width: float,
             dash: tuple[float, float] | None = None) -> None:  # fmt: skip
        pts = [self.xy(x, y) for x, y in points]
        w = max(1, round(width * SCALE))
        if dash is None:
            if len(pts) >= 2:
                self.draw.line(pts, fill=fill, width=w, joint="curve")
            return
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            length = math.hypot(x1 - x0, y1 - y0)
            on, off = dash[0] * SCALE, dash[1] * SCALE
            t = 0.0
            while t < length:
                end = min(t + on, length)
                self.draw.line([(x0 + (x1 - x0) * t / length, y0 + (y1 - y0) * t / length),
                                (x0 + (x1 - x0) * end / length, y0 + (y1 - y0) * end / length)],
                               fill=fill, width=w)  # fmt: skip
                t = end + off

    def box(self, b: Sequence[float], outline: Any = _GRID_LINE) -> None:
        self.draw.rectangle([*self.xy(b[0], b[1]), *self.xy(b[2], b[3])], outline=outline,
                            width=max(1, round(SCALE)))

    def circle(self, x: float, y: float, r: float, fill: Any, outline: Any = None,
               dashed: bool = False) -> None:  # fmt: skip
        cx, cy = self.xy(x, y)
        bbox = [cx - r * SCALE, cy - r * SCALE, cx + r * SCALE, cy + r * SCALE]
        self.draw.ellipse(bbox, fill=fill, outline=None if dashed else outline,
                          width=max(1, round(SCALE)))
        if dashed and outline is not None:
            for start in range(0, 360, 40):
                self.draw.arc(bbox, start, start + 24, fill=outline, width=max(1, round(SCALE)))


def _pairs(numbers: list[float]) -> list[tuple[float, float]]:
    return list(zip(numbers[0::2], numbers[1::2]))


def _ticks(canvas: _Canvas, b: Sequence[float], curve: dict[str, Any]) -> None:
    left, top, right, bottom = b
    for y, text in curve.get("yticks", []):
        if top - 0.5 <= y <= bottom + 0.5:
            canvas.line([(left - 4, y), (left, y)], "#888888", 1)
            canvas.text(left - 6, y + 4, text, anchor="rs")
    for x, text in curve.get("xticks", []):
        if left - 0.5 <= x <= right + 0.5:
            canvas.line([(x, bottom), (x, bottom + 4)], "#888888", 1)
            canvas.text(x, bottom + 16, text, anchor="ms")


def _loss_panel(canvas: _Canvas, layout: dict[str, Any], frame: dict[str, Any]) -> None:
    b = layout["loss_box"]
    canvas.text(b[0], 20, layout["loss_title"], size=13, bold=True)
    canvas.box(b)
    curve = frame.get("curve") or layout["loss"]
    _ticks(canvas, b, curve)
    points = _pairs(text_numbers(curve["points"]))
    if "curve" not in frame:
        canvas.line(points, "#93c5fd", 1.5)
    upto = len(points) if "curve" in frame else frame["upto"]
    canvas.line(points[:upto], "#1d4ed8", 2)
    if frame.get("marker"):
        x, y = frame["marker"]
        canvas.circle(x, y, 4, fill="#ea580c")
    canvas.text((b[0] + b[2]) / 2, b[3] + 32, "epoch", anchor="ms")


def _plane(canvas: _Canvas, data: dict[str, Any], f: dict[str, Any], b: Sequence[float]) -> None:
    from PIL import Image

    grid = data["grid"]
    shade = Image.frombytes("P", (grid, grid), base64.b64decode(f["shade"]))
    shade.putpalette([c for rgb in data["palette"] for c in rgb])
    (x0, y0), (x1, y1) = canvas.xy(b[0], b[1]), canvas.xy(b[2], b[3])
    size = (round(x1 - x0), round(y1 - y0))
    canvas.image.paste(shade.convert("RGB").resize(size, Image.Resampling.BILINEAR),
                       (round(x0), round(y0)))
    for x, y, colour in data["points"]:
        canvas.circle(x, y, 3.5, fill=colour, outline="white")
    s = text_numbers(f["boundary"])
    for i in range(0, len(s) - 3, 4):
        canvas.line([(s[i], s[i + 1]), (s[i + 2], s[i + 3])], "black", 2)


def _data_panel(canvas: _Canvas, layout: dict[str, Any], frame: dict[str, Any]) -> None:
    data, b = layout["data"], layout["data_box"]
    if data is None:
        canvas.text(b[0], (b[1] + b[3]) / 2, layout["note"], fill="#555555")
        return
    canvas.text(b[0], 20, data["title"], size=13, bold=True)
    f = frame["data"]
    if data["kind"] == "plane":
        _plane(canvas, data, f, b)
    else:
        for x, y in data["points"]:
            canvas.circle(x, y, 3, fill="black", outline="white")
        # clipped to the box: the curve is drawn on a copy, and only the box pasted back
        whole = canvas.image.copy()
        canvas.line(_pairs(text_numbers(f["fit"])), "#dc2626", 2)
        (x0, y0), (x1, y1) = canvas.xy(b[0], b[1]), canvas.xy(b[2], b[3])
        box = (round(x0), round(y0), round(x1), round(y1))
        whole.paste(canvas.image.crop(box), box[:2])
        canvas.image.paste(whole)
    canvas.box(b)
    _ticks(canvas, b, data)


def _network_panel(canvas: _Canvas, layout: dict[str, Any], frame: dict[str, Any]) -> None:
    n, b = layout["network"], layout["network_box"]
    if n is None:
        return
    f = frame["network"]
    canvas.text(b[0], 20, "the network", size=13, bold=True)
    edges = zip(n["edges"], f["colours"], text_numbers(f["widths"]), f["dashed"])
    for (tail, head), colour, width, dashed in edges:
        canvas.line([n["nodes"][tail], n["nodes"][head]], n["edge_colours"][colour], width,
                    dash=(4, 3) if dashed == "1" else None)
    dead = {node: flag == "1" for node, flag in zip(n["units"], f["dead"])}
    for i, (x, y) in enumerate(n["nodes"]):
        if i not in dead:
            canvas.circle(x, y, n["radius"], fill=n["input_fill"], outline=n["stroke"])
        elif dead[i]:
            canvas.circle(x, y, n["radius"], fill=n["dead_fill"], outline=n["dead_stroke"],
                          dashed=True)
        else:
            canvas.circle(x, y, n["radius"], fill=n["fill"], outline=n["stroke"])
    for x, name, kind in n["titles"]:
        canvas.text(x, b[1] - 14, name, anchor="ms")
        canvas.text(x, b[1] - 2, kind, anchor="ms", fill="#555555")
    for x, y, text in n["more"]:
        canvas.text(x + 10, y + 4, text, fill="#555555")
    for i, text in enumerate(n["legend"]):
        canvas.text(b[0], b[3] + 28 + 14 * i, text, fill="#555555")


def still_png(layout: dict[str, Any], frame: dict[str, Any]) -> bytes:
    """The PNG of the view in state `frame` (its caption above), at 2×."""
    canvas = _Canvas(layout["width"], layout["height"] + CAPTION_HEIGHT)
    canvas.text(4, -6, frame["caption"], size=13)
    _loss_panel(canvas, layout, frame)
    _data_panel(canvas, layout, frame)
    _network_panel(canvas, layout, frame)
    return png_bytes(canvas.image)


def png_bytes(image: Any) -> bytes:
    """An RGB image as a PNG, written here: every row unfiltered, zlib at level 3.

    Pillow's own encoder tries every row filter of PNG, which takes three times as long
    as the compression itself (40 ms for this picture, where this takes 10), and a
    palette of 256 colours (display.compact_png's way) bands the shading."""
    width, height = image.size
    stride = 3 * width
    raw = image.tobytes()
    rows = b"".join(b"\x00" + raw[i : i + stride] for i in range(0, len(raw), stride))

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 3)) + chunk(b"IEND", b""))  # fmt: skip
