"""Running Graphviz's `dot`: a Digraph to SVG, PNG or PDF bytes or files, with a timeout.

Drawing a graph (`graph_figures`, `network_figures`, `backward_frames`) needs only the
Python package graphviz, which writes DOT text. Turning that text into an image needs
Graphviz's `dot` program; everything of ours that runs it is here, always with a timeout:
`render` and `image_bytes` (files and bytes), and `TimedDigraph`, the
class of every Digraph our figures make, which Jupyter shows through `image_bytes`. A
missing `dot` raises `GraphvizNotFound`, saying how to install it; a failing or slow one
raises `RenderError`. (graphviz's own `.pipe()`, `.render()` and `.view()` still work on
our Digraphs, and run dot without a limit: prefer `render` and `image_bytes`.)

Portable images. dot's plain SVG names its fonts and leaves the text for the viewer to
draw, so on a machine with other fonts text spills out of its boxes. With
`portable=True` (what committed figures and notebooks use):
  - SVG comes from dot's cairo renderer (`-Tsvg:cairo`): every letter is a path, drawn
    with the fonts dot measured when it laid the graph out, so it looks the same in any
    viewer. Its ids are renamed per image (`_unique_ids`), so several such SVGs in one
    page (a notebook) cannot borrow each other's glyphs.
  - PNG is drawn at 2× Graphviz's 96 dpi (`-Gdpi=192`), sharp on high-density screens.
  - PDF embeds its fonts anyway.
`display.PortableFigure` shows a Digraph that way in Jupyter, in every viewer.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import graphviz

from .. import atomic

__all__ = [
    "DEFAULT_TIMEOUT",
    "FORMATS",
    "PNG_DPI",
    "GraphvizNotFound",
    "RenderError",
    "TimedDigraph",
    "format_for",
    "image_bytes",
    "render",
]

#: render stops dot after this many seconds (a graph that slow is unreadable anyway).
DEFAULT_TIMEOUT = 60.0
#: The output formats, by file suffix.
FORMATS: dict[str, str] = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
#: Portable PNGs are drawn at this resolution: 2× Graphviz's default of 96 dpi.
PNG_DPI = 192


class RenderError(RuntimeError):
    """dot could not turn a graph into an image: it failed, took too long, or is missing."""


class GraphvizNotFound(RenderError):
    """Graphviz's `dot` program is not installed (or not on PATH); the message says how."""


def format_for(path: str | os.PathLike[str]) -> str:
    """'svg', 'png' or 'pdf' from the file suffix; ValueError naming the valid suffixes."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the image format of {str(path)!r}: "
            f"the file name must end in {', '.join(FORMATS)}"
        )
    return FORMATS[suffix]


def image_bytes(
    graph: graphviz.Digraph,
    fmt: str = "svg",
    *,
    portable: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> bytes:
    """`graph` drawn by dot as 'svg', 'png' or 'pdf' bytes (`portable`: see the module).

    GraphvizNotFound if dot is not on PATH; RenderError if it fails or needs more than
    `timeout` seconds (None: no limit); ValueError for another format.
    """
    if fmt not in FORMATS.values():
        raise ValueError(f"image_bytes: fmt must be one of svg, png, pdf, got {fmt!r}")
    command = [graph.engine, f"-T{fmt}"]
    if portable and fmt == "svg":
        command = [graph.engine, "-Tsvg:cairo"]
    elif portable and fmt == "png":
        command.append(f"-Gdpi={PNG_DPI}")
    image = _run_dot(command, _source_bytes(graph), timeout)
    return _unique_ids(_compact(image)) if portable and fmt == "svg" else image


def _source_bytes(graph: graphviz.Digraph) -> bytes:
    return graph.source.encode(graph.encoding or "utf-8")  # type: ignore[no-any-return]


def _run_dot(command: list[str], source: bytes, timeout: float | None) -> bytes:
    try:
        # dot is run here rather than through graph.pipe so that a graph dot lays out
        # slowly cannot hang us: it is stopped at the timeout.
        done = subprocess.run(
            command, input=source, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise GraphvizNotFound(
            "render: Graphviz's `dot` program was not found on PATH (the Python package "
            "graphviz alone cannot draw). Install Graphviz: Debian/Ubuntu: "
            "`sudo apt-get install graphviz`; macOS: `brew install graphviz`; conda: "
            "`conda install -c conda-forge graphviz`. The DOT text is still available "
            "as graph.source"
        ) from None
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"render: dot did not finish within {timeout:g} s, so it was stopped; the graph "
            "is too big or tangled to lay out: draw a smaller one (or pass a larger timeout)"
        ) from None
    if done.returncode != 0:
        stderr = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        raise RenderError(
            f"render: dot failed with exit status {done.returncode}: {stderr or 'no message'}"
        )
    return done.stdout


# the digits after a number's second decimal (a look-behind, so that they are cut with a
# literal b"", not a template expanded once per number: 2.6× faster on cairo's SVG)
_EXTRA_DECIMALS = re.compile(rb"(?<=\d\.\d\d)\d+")
_PERCENT_RGB = re.compile(rb"rgb\(([\d.]+)%,([\d.]+)%,([\d.]+)%\)")
# Style properties cairo writes that only repeat SVG's defaults
_DEFAULT_STYLES = (b"fill-opacity:1;", b"stroke-opacity:1;", b"stroke-linecap:butt;",
                   b"stroke-linejoin:miter;")  # fmt: skip


def _compact(svg: bytes) -> bytes:
    """cairo's SVG, about a quarter smaller, drawn the same, for notebooks that must stay
    small: numbers cut to 2 decimals (1/100 pt), rgb(…%) as #rrggbb (cairo's percentages
    are 8-bit colours), and no style property that repeats SVG's default."""
    svg = _EXTRA_DECIMALS.sub(b"", svg)
    svg = _PERCENT_RGB.sub(
        lambda m: b"#%02x%02x%02x" % tuple(round(float(v) * 2.55) for v in m.groups()), svg
    )
    for style in _DEFAULT_STYLES:
        svg = svg.replace(style, b"")
    return svg


_ID = re.compile(rb'\bid="([^"]+)"')
_ID_OR_REFERENCE = re.compile(rb'(id="|#)([^"#)]+)(?=[")])')


def _unique_ids(svg: bytes) -> bytes:
    """svg with every id (and each reference to it) renamed to a short name that starts
    with a hash of the image.

    cairo names its glyphs glyph0-1, glyph0-2, … in every SVG; inlined side by side in
    one HTML page, a later figure would draw its text with an earlier one's glyphs. The
    names depend only on the image, so the same figure gives the same bytes.
    """
    ids = sorted(set(_ID.findall(svg)))
    if not ids:
        return svg
    prefix = b"f" + hashlib.sha1(svg).hexdigest()[:8].encode() + b"-"
    short = {name: prefix + b"%x" % k for k, name in enumerate(ids)}
    # the id itself, and references: href="#name", url(#name); a #name that is no id
    # (a colour, #ff0000") stays as it is
    if any(b")" in name or b"#" in name for name in ids):  # not cairo's: match them by name
        names = b"|".join(re.escape(name) for name in sorted(ids, key=len, reverse=True))
        pattern = re.compile(rb'(id="|#)(' + names + rb')(?=[")])')
    else:
        pattern = _ID_OR_REFERENCE
    return pattern.sub(lambda m: m.group(1) + short.get(m.group(2), m.group(2)), svg)


def render(
    graph: graphviz.Digraph,
    path: str | os.PathLike[str],
    *,
    portable: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Path:
    """The path written: `graph` drawn by Graphviz's `dot` as SVG, PNG or PDF (by suffix).

    `portable=True` draws text as shapes (SVG) or at 2× resolution (PNG), so the image
    looks the same on every machine (see the module docstring). The file is written
    atomically (`atomic.write_bytes`), creating missing parent directories: a failure
    leaves any old file as it was, and a path that exists and is not a regular file (a
    device, a FIFO, a directory, directly or through a symlink) raises
    atomic.NotARegularFileError before dot runs. Raises GraphvizNotFound, saying how to
    install Graphviz, when `dot` is not on PATH (the DOT text is still `graph.source`),
    and RenderError when dot fails or takes longer than `timeout` seconds (None: no limit).
    """
    path = Path(path)
    fmt = format_for(path)
    atomic.check_target(path)  # refused before dot runs; write_bytes checks again
    image = image_bytes(graph, fmt, portable=portable, timeout=timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic.write_bytes(path, image)


class TimedDigraph(graphviz.Digraph):  # type: ignore[misc]  # graphviz has no type hints
    """A graphviz.Digraph that Jupyter shows by running dot through `image_bytes`, which
    stops it after DEFAULT_TIMEOUT seconds.

    graphviz's own display of a Digraph (the last line of a cell, or micrograd's
    `draw_dot(y)`) runs dot with no time limit, so a tangled graph could keep it busy for
    minutes. The figure modules make every Digraph as one of these
    (`figure_style.new_digraph`); when dot fails, is missing or is stopped, the cell shows
    the one-line RenderError message instead of an image. The rest is graphviz's API
    unchanged: `.source`, `.attr`, `.node`, `.subgraph`, `.copy`, `.pipe`, `.render`.
    """

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        """graphviz's mimebundle (the image format set by graphviz.set_jupyter_format),
        or {"text/plain": the RenderError's line}."""
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)  # type: ignore[no-any-return]
        except RenderError as error:
            return {"text/plain": str(error)}

    def _repr_image_svg_xml(self) -> str:
        return image_bytes(self, "svg", timeout=DEFAULT_TIMEOUT).decode("utf-8")

    def _repr_image_png(self) -> bytes:
        return image_bytes(self, "png", timeout=DEFAULT_TIMEOUT)

    def _repr_image_jpeg(self) -> bytes:
        return _run_dot([self.engine, "-Tjpeg"], _source_bytes(self), DEFAULT_TIMEOUT)
