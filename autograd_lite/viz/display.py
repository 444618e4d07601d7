"""How a figure shows in a notebook: a picture in every viewer, at a size it can read.

A learner opens a fresh clone's notebook unexecuted. JupyterLab 4 calls such a notebook
untrusted and renders its outputs with its *safe* renderers only: text, PNG (and JPEG,
GIF, …) and sanitized HTML. Its SVG renderer is not one of them, so an output that holds
only `image/svg+xml` shows its `text/plain` line ("PortableFigure(…)") instead of the
picture. (The installed jupyterlab's `preferredMimeType(bundle, "ensure")`, used for
untrusted outputs, skips every renderer whose `safe` is false: `image/svg+xml` and
JavaScript.) nbconvert's HTML prefers `text/html`, then `image/svg+xml`, then PNG, and a
static viewer takes what it knows, PNG almost always.

So `PortableFigure` gives Jupyter a bundle that every one of them can show:
  - `image/png`: the portable PNG (2× resolution, `rendering.PNG_DPI`) with its display
    size in the metadata; what an untrusted JupyterLab and a static viewer show;
  - `image/svg+xml` (for fmt="svg"): the portable SVG, sized to the same display size;
    what a trusted JupyterLab and nbconvert show, sharp at any zoom;
  - `text/plain`: a line saying what the figure is.

Sizes. JupyterLab's output area in a 1280 px window is 848 px wide (950 px with the file
browser closed), and a picture wider than its output is shrunk to fit, text and all. A
figure is therefore shown at most MAX_DISPLAY_WIDTH px wide, shrunk from its natural
size (Graphviz's points at 96 px per inch, as a browser shows them) only as far as its
smallest text stays MIN_TEXT_PT points (its sizes come from dot's own layout,
`smallest_text_pt`). A figure that would have to shrink further is shown at that
smallest readable scale in a box of the output's width that pans (its scroll bars, with
no script at all) and zooms (buttons added by a script where scripts run: a trusted
notebook, nbconvert's HTML): a `text/html` output, which the untrusted renderer shows
too, sanitized, since an <img> with a data: address survives JupyterLab's sanitizer.

The output metadata "autograd_lite" records the natural width and the smallest text, so a
test in a browser can check the text size a learner sees from the size it is drawn at.
"""

from __future__ import annotations

import base64
import html
import importlib
import io
import json
import re
import struct
from dataclasses import dataclass
from typing import Any

import graphviz

from .rendering import PNG_DPI, _run_dot, _source_bytes, image_bytes

__all__ = [
    "MAX_DISPLAY_WIDTH",
    "MIN_TEXT_PT",
    "FigureSize",
    "PortableFigure",
    "compact_png",
    "figure_bundle",
    "figure_size",
    "import_anywidget",
    "natural_size",
    "sized_svg",
    "smallest_text_pt",
]

#: The widest a figure is shown, in CSS px: JupyterLab's output area at 100% zoom in a
#: 1280 px window is 848 px with the file browser open (its default layout, as `make
#: notebooks` opens it), about 950 px with it closed.
MAX_DISPLAY_WIDTH = 840
#: The smallest text a figure may show, in points at 100% zoom (8 pt = 10.7 CSS px).
MIN_TEXT_PT = 8.0
#: A browser draws 1 point as 4/3 CSS px (96 px per inch over 72 points per inch).
PX_PER_PT = 4 / 3
#: Colours in a figure's PNG: its fills, lines and their anti-aliased edges need no more,
#: and a palette PNG is about a third the size of cairo's full-colour one.
PNG_COLOURS = 64
# Metadata key of the sizes a test reads back.
METADATA_KEY = "autograd_lite"

_SVG_SIZE_ATTRIBUTES = re.compile(rb'(<svg[^>]*?) width="[\d.]+pt" height="[\d.]+pt"')


@dataclass(frozen=True)
class FigureSize:
    """How big a figure is drawn: its natural size (CSS px at scale 1), the scale it is
    shown at, and whether it pans (too wide to fit at a readable scale)."""

    natural_width: float
    natural_height: float
    smallest_pt: float
    scale: float
    pans: bool

    @property
    def width(self) -> int:
        """The width it is shown at, in CSS px."""
        return round(self.natural_width * self.scale)

    @property
    def height(self) -> int:
        """The height it is shown at, in CSS px."""
        return round(self.natural_height * self.scale)

    @property
    def text_pt(self) -> float:
        """Its smallest text as shown, in points."""
        return self.smallest_pt * self.scale


def figure_size(natural: tuple[float, float], smallest_pt: float) -> FigureSize:
    """The size a figure of `natural` (width, height) CSS px is shown at, whose smallest
    text is `smallest_pt` points at that size (see the module docstring)."""
    width, height = natural
    readable = min(1.0, MIN_TEXT_PT / smallest_pt)  # the smallest scale its text can take
    fit = MAX_DISPLAY_WIDTH / width
    if fit >= 1.0:
        return FigureSize(width, height, smallest_pt, 1.0, pans=False)
    if fit >= readable:
        return FigureSize(width, height, smallest_pt, fit, pans=False)
    return FigureSize(width, height, smallest_pt, readable, pans=True)


def natural_size(png: bytes) -> tuple[float, float]:
    """(width, height) in CSS px at which a portable PNG (drawn at PNG_DPI) shows its
    points at 96 px per inch, as a browser shows an SVG's: its pixels over PNG_DPI / 96."""
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR chunk
    return width * 96 / PNG_DPI, height * 96 / PNG_DPI


def smallest_text_pt(graph: graphviz.Digraph, timeout: float | None = 30.0) -> float:
    """The smallest font size any text of `graph` is drawn in, in points, from dot's layout
    (`dot -Tjson`: every label's font changes); 14 (dot's default) if it has no text."""
    laid_out = json.loads(_run_dot([graph.engine, "-Tjson"], _source_bytes(graph), timeout))
    sizes = [
        float(op["size"])
        for item in [laid_out, *laid_out.get("objects", []), *laid_out.get("edges", [])]
        for key in ("_ldraw_", "_hldraw_", "_tldraw_", "_xldraw_")
        for op in item.get(key, [])
        if op.get("op") == "F"
    ]
    return min(sizes, default=14.0)


def compact_png(png: bytes) -> bytes:
    """`png` with a palette of PNG_COLOURS colours: a third the size, drawn the same to the
    eye (Pillow comes with matplotlib, a dependency)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    palette = image.quantize(colors=PNG_COLOURS, method=Image.Quantize.FASTOCTREE)
    palette.save(out, "PNG", compress_level=9)
    return out.getvalue()


def sized_svg(svg: bytes, size: FigureSize) -> bytes:
    """`svg` with its width and height set to the size it is shown at (its viewBox keeps
    the drawing's coordinates), so every viewer draws it at that size."""
    return _SVG_SIZE_ATTRIBUTES.sub(
        lambda m: m[1] + b' width="%dpx" height="%dpx"' % (size.width, size.height),
        svg,
        count=1,
    )


def figure_bundle(
    png: bytes, svg: bytes | None, smallest_pt: float, text: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data, metadata) for Jupyter: a figure drawn as the portable `png` (and `svg`, when
    given), whose smallest text is `smallest_pt` (see the module docstring); `text` is its
    text/plain line."""
    size = figure_size(natural_size(png), smallest_pt)
    png_text = base64.b64encode(png).decode("ascii")
    data: dict[str, Any] = {"image/png": png_text}
    if size.pans:
        picture = (
            f"data:image/png;base64,{png_text}"
            if svg is None
            else "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        )
        data["text/html"] = pan_zoom_html(picture, size, text)
    elif svg is not None:
        data["image/svg+xml"] = sized_svg(svg, size).decode("utf-8")
    data["text/plain"] = text
    metadata = {
        "image/png": {"width": size.width, "height": size.height},
        METADATA_KEY: {
            "natural_width": round(size.natural_width, 1),
            "smallest_text_pt": smallest_pt,
            "shown_text_pt": round(size.text_pt, 2),
            "pans": size.pans,
        },
    }
    return data, metadata


# The zoom buttons, added by a script where scripts run (a trusted notebook, nbconvert's
# HTML); without it the box still pans with its scroll bars. It finds its box as the
# element before it, so no id is needed (JupyterLab's sanitizer renames ids).
_ZOOM_SCRIPT = """<script>(function () {
  const box = document.currentScript && document.currentScript.previousElementSibling;
  if (!box || box.dataset.zoom) return;
  const img = box.querySelector("img"), base = img.width, ratio = img.height / img.width;
  let scale = 1;
  box.dataset.zoom = "1";
  function zoom(next) {
    const cx = (box.scrollLeft + box.clientWidth / 2) / img.width;
    const cy = (box.scrollTop + box.clientHeight / 2) / img.height;
    scale = Math.min(4, Math.max(box.clientWidth / base, next));
    img.width = base * scale; img.height = base * scale * ratio;
    box.scrollLeft = cx * img.width - box.clientWidth / 2;
    box.scrollTop = cy * img.height - box.clientHeight / 2;
  }
  const bar = document.createElement("div");
  bar.style.margin = "0 0 4px 0";
  for (const [text, title, next] of [["−", "zoom out", () => scale / 1.25],
      ["+", "zoom in", () => scale * 1.25], ["fit", "the whole figure", () => 0],
      ["reset", "the size it opened at: its smallest text 8 pt", () => 1]]) {
    const button = document.createElement("button");
    button.textContent = text; button.title = title;
    button.onclick = () => zoom(next());
    bar.appendChild(button);
  }
  box.parentNode.insertBefore(bar, box);
  box.scrollLeft = (img.width - box.clientWidth) / 2;
})();</script>"""


def pan_zoom_html(picture: str, size: FigureSize, text: str) -> str:
    """A box of the output's width in which the picture (a data: address) is shown at
    `size` and pans sideways (the page scrolls down through it as through any figure);
    a script adds zoom buttons."""
    box = (
        f'<div class="autograd-lite-pan" style="width:{MAX_DISPLAY_WIDTH}px;max-width:100%;'
        'overflow-x:auto;overflow-y:hidden;border:1px solid #d4d4d4">'
        f'<img src="{picture}" width="{size.width}" height="{size.height}" '
        f'style="max-width:none;display:block" alt="{html.escape(text)}" '
        f'title="{html.escape(text)}: scroll to pan"></div>'
    )
    return box + _ZOOM_SCRIPT


class PortableFigure:
    """A Digraph that shows in Jupyter as a portable picture, the same in every viewer and
    readable at its size (see the module docstring).

    `PortableFigure(draw_graph(J))` as the last line of a cell shows the figure; dot runs
    when Jupyter asks, once. fmt="svg" (the default) saves the SVG and a PNG, fmt="png"
    the PNG alone (half the bytes in the notebook). `.graph` is the Digraph, `.image()`
    the bytes in `fmt`.
    """

    def __init__(
        self, graph: graphviz.Digraph, fmt: str = "svg", *, timeout: float | None = 30.0
    ) -> None:
        if fmt not in ("svg", "png"):
            raise ValueError(f"PortableFigure fmt must be 'svg' or 'png', got {fmt!r}")
        self.graph = graph
        self.fmt = fmt
        self.timeout = timeout
        self._images: dict[str, bytes] = {}
        self._smallest: float | None = None

    def _drawn(self, fmt: str) -> bytes:
        if fmt not in self._images:
            image = image_bytes(self.graph, fmt, portable=True, timeout=self.timeout)
            self._images[fmt] = compact_png(image) if fmt == "png" else image
        return self._images[fmt]

    def image(self) -> bytes:
        """The portable image's bytes in `fmt` (drawn once, then kept)."""
        return self._drawn(self.fmt)

    def smallest_text_pt(self) -> float:
        """Its smallest text at its natural size, in points (from dot's layout, once)."""
        if self._smallest is None:
            self._smallest = smallest_text_pt(self.graph, self.timeout)
        return self._smallest

    def size(self) -> FigureSize:
        """The size it is shown at, and its smallest text there (`FigureSize.text_pt`)."""
        return figure_size(natural_size(self._drawn("png")), self.smallest_text_pt())

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(data, metadata) for Jupyter: the PNG, the SVG (fmt="svg") or, for a figure too
        wide to read at the output's width, a box that pans and zooms."""
        return figure_bundle(
            self._drawn("png"),
            self._drawn("svg") if self.fmt == "svg" else None,
            self.smallest_text_pt(),
            repr(self),
        )

    def __repr__(self) -> str:
        return f"PortableFigure({self.graph.name!r}, fmt={self.fmt!r})"


def import_anywidget(who: str, instead: str) -> tuple[Any, Any]:
    """(anywidget, traitlets), imported on first use by a widget (the `notebooks`
    dependency group); without them, ImportError saying how to install them, or `instead`."""
    try:
        return importlib.import_module("anywidget"), importlib.import_module("traitlets")
    except ImportError:
        raise ImportError(f"{who} needs anywidget: pip install anywidget ({instead})") from None
