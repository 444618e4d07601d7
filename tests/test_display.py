"""display: what a notebook gets for a figure, and the size it is shown at (issue 20 §3).

An untrusted JupyterLab shows only "safe" outputs (text, PNG, sanitized HTML), so every
bundle carries a PNG; a figure is shown at most MAX_DISPLAY_WIDTH px wide with its smallest
text at least 8 pt, and one that cannot be both pans. The browser tests
(test_notebooks_in_browser.py) check the same in JupyterLab itself.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import subprocess

import graphviz
import pytest
from figures import needs_dot

from autograd_lite import viz
from autograd_lite.core import nary
from autograd_lite.core.engine import Value
from autograd_lite.viz import display
from autograd_lite.viz.display import MAX_DISPLAY_WIDTH, MIN_TEXT_PT, figure_size


def neuron_graph() -> graphviz.Digraph:
    x, w, b = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b")
    out = (x * w + b).relu()
    out.backward()
    return viz.draw_graph(out)


def wide_graph(n: int = 24) -> graphviz.Digraph:
    """A sum of n labelled inputs: one rank of n boxes, far wider than a notebook."""
    xs = [Value(0.25 * k, f"x{k}") for k in range(n)]
    out = nary.total(xs)
    out.backward()
    return viz.draw_graph(out)


def png_size(image: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", image[16:24])
    return width, height


# --- the size a figure is shown at ----------------------------------------------------------


def test_a_figure_that_fits_is_shown_at_its_natural_size() -> None:
    size = figure_size((500.0, 300.0), 10.0)
    assert (size.width, size.height, size.scale, size.pans) == (500, 300, 1.0, False)


def test_a_wider_figure_shrinks_to_the_page_while_its_text_stays_readable() -> None:
    size = figure_size((1000.0, 500.0), 10.0)
    assert size.width == MAX_DISPLAY_WIDTH and not size.pans
    assert size.text_pt == pytest.approx(10.0 * MAX_DISPLAY_WIDTH / 1000)


def test_a_figure_too_wide_to_read_at_the_page_width_pans_at_8_pt() -> None:
    size = figure_size((2000.0, 500.0), 10.0)
    assert size.pans and size.text_pt == pytest.approx(MIN_TEXT_PT) and size.width == 1600
    assert figure_size((2000.0, 500.0), 6.0).scale == 1.0  # small text is never shrunk


@needs_dot
def test_the_smallest_text_is_read_from_dots_layout() -> None:
    graph = neuron_graph()
    laid_out = json.loads(
        subprocess.run(["dot", "-Tjson"], input=graph.source.encode(), capture_output=True,
                       check=True).stdout
    )  # fmt: skip
    sizes = {op["size"] for edge in laid_out["edges"] for op in edge.get("_ldraw_", [])
             if op["op"] == "F"}  # fmt: skip
    assert display.smallest_text_pt(graph) == min(sizes) == 10.0  # the edge labels
    assert display.smallest_text_pt(graphviz.Digraph()) == 14.0  # no text: dot's default


# --- the bundle -----------------------------------------------------------------------------


@needs_dot
def test_a_figure_carries_a_png_beside_its_svg_for_the_untrusted_renderer() -> None:
    figure = viz.PortableFigure(neuron_graph())
    data, metadata = figure._repr_mimebundle_()
    assert list(data) == ["image/png", "image/svg+xml", "text/plain"]
    width, height = png_size(base64.b64decode(data["image/png"]))
    size = figure.size()
    assert (width / 2, height / 2) == (size.natural_width, size.natural_height)  # drawn at 2×
    assert metadata["image/png"] == {"width": size.width, "height": size.height}
    assert f'width="{size.width}px" height="{size.height}px"' in data["image/svg+xml"]
    assert "<text" not in data["image/svg+xml"]  # letters as shapes
    assert metadata["autograd_lite"] == {
        "natural_width": round(size.natural_width, 1), "smallest_text_pt": 10.0,
        "shown_text_pt": 10.0, "pans": False,
    }  # fmt: skip
    assert data["text/plain"] == "PortableFigure('computation_graph', fmt='svg')"
    assert figure.image() is figure.image()  # drawn once


@needs_dot
def test_fmt_png_saves_the_png_alone() -> None:
    figure = viz.PortableFigure(neuron_graph(), "png")
    data, _ = figure._repr_mimebundle_()
    assert list(data) == ["image/png", "text/plain"]
    assert figure.image().startswith(b"\x89PNG")


@needs_dot
def test_the_png_has_a_palette_and_is_smaller_than_cairos() -> None:
    graph = neuron_graph()
    cairo = viz.image_bytes(graph, "png", portable=True)
    compact = display.compact_png(cairo)
    assert compact[25] == 3  # IHDR colour type 3: a palette
    assert png_size(compact) == png_size(cairo) and len(compact) < len(cairo) / 2


@needs_dot
def test_a_figure_too_wide_to_read_pans_in_a_box_of_the_page_width() -> None:
    figure = viz.PortableFigure(wide_graph())
    size = figure.size()
    assert size.pans and size.text_pt == pytest.approx(MIN_TEXT_PT)
    data, metadata = figure._repr_mimebundle_()
    assert list(data) == ["image/png", "text/html", "text/plain"]  # no bare SVG: html holds it
    page = data["text/html"]
    assert f"width:{MAX_DISPLAY_WIDTH}px;max-width:100%;overflow-x:auto" in page
    (source,) = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert base64.b64decode(source) == viz.image_bytes(figure.graph, "svg", portable=True)
    assert f'width="{size.width}" height="{size.height}"' in page and size.width > 1000
    assert metadata["autograd_lite"]["pans"] is True
    png_page = viz.PortableFigure(wide_graph(), "png")._repr_mimebundle_()[0]["text/html"]
    assert '<img src="data:image/png;base64,' in png_page


def test_portable_figure_refuses_other_formats() -> None:
    with pytest.raises(ValueError, match="PortableFigure fmt must be 'svg' or 'png'"):
        viz.PortableFigure(neuron_graph(), "pdf")
