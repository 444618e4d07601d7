"""rendering: dot run as a subprocess, formats, portable images, atomic files, failures."""

from __future__ import annotations

import os
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

import graphviz
import pytest
from figures import fake_dot, needs_dot

from autograd_lite import micrograd, viz
from autograd_lite.core.engine import Value
from autograd_lite.nn import MLP
from autograd_lite.viz import rendering


def neuron_graph() -> graphviz.Digraph:
    x, w, b = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b")
    out = (x * w + b).relu()
    out.backward()
    return viz.draw_graph(out)


def png_size(image: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", image[16:24])
    return width, height


# --- formats --------------------------------------------------------------------------------


@needs_dot
def test_svg_really_renders(tmp_path: Path) -> None:
    x, w, b = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b")
    out = (x * w + b).relu()
    out.backward()
    path = viz.save_graph(out, tmp_path / "g.svg")
    text = path.read_text("utf-8")
    assert path == tmp_path / "g.svg"
    assert "<svg" in text and text.rstrip().endswith("</svg>")
    assert "gate 1" in text and "grad 0.5" in text  # the gate and ∂out/∂w are in the picture


@needs_dot
def test_png_really_renders_and_parent_directories_are_made(tmp_path: Path) -> None:
    path = viz.render(neuron_graph(), tmp_path / "new" / "dir" / "g.png")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@needs_dot
def test_pdf_really_renders_and_the_suffix_is_case_blind(tmp_path: Path) -> None:
    assert viz.render(neuron_graph(), tmp_path / "g.PDF").read_bytes().startswith(b"%PDF")


def test_unknown_suffix_is_refused_naming_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf") as info:
        viz.render(neuron_graph(), tmp_path / "g.jpg")
    assert "g.jpg" in str(info.value)
    assert not (tmp_path / "g.jpg").exists()
    with pytest.raises(ValueError, match="fmt must be one of svg, png, pdf, got 'gif'"):
        viz.image_bytes(neuron_graph(), "gif")


HOSTILE_LABEL = 'a<b>{c}|"d"&e\\N\\\\f\ng'


@needs_dot
def test_escaped_labels_render_literally(tmp_path: Path) -> None:
    x = Value(1.0, HOSTILE_LABEL)
    svg = viz.save_graph(x * 2.0, tmp_path / "g.svg").read_text("utf-8")
    # XML-escaped in the SVG, shown as typed: \N stays \N (not the node's name), \\ stays \\,
    # and the newline shows as \n
    assert "a&lt;b&gt;{c}|&quot;d&quot;&amp;e\\N\\\\f\\ng" in svg


# --- portable images ------------------------------------------------------------------------


@needs_dot
def test_portable_svg_draws_text_as_shapes_and_needs_no_font() -> None:
    plain = viz.image_bytes(neuron_graph(), "svg")
    portable = viz.image_bytes(neuron_graph(), "svg", portable=True)
    assert b"<text" in plain and b"font-family" in plain
    assert b"<text" not in portable and b"font-family" not in portable
    assert portable.count(b"<use") > 50  # every letter placed as a shape
    assert not re.search(rb"\d\.\d{3}", portable)  # numbers cut to 2 decimals: smaller


@needs_dot
def test_portable_svgs_have_their_own_ids_and_are_byte_identical_when_redrawn() -> None:
    first = viz.image_bytes(neuron_graph(), "svg", portable=True)
    again = viz.image_bytes(neuron_graph(), "svg", portable=True)
    other = viz.image_bytes(viz.draw_graph(Value(1.0, "x") * 2.0), "svg", portable=True)
    assert first == again
    ids = set(re.findall(rb'id="([^"]+)"', first))
    other_ids = set(re.findall(rb'id="([^"]+)"', other))
    assert ids and other_ids and not ids & other_ids  # one page can hold both
    # every reference points at an id of its own image
    assert set(re.findall(rb'href="#([^"]+)"', first)) <= ids


@needs_dot
def test_portable_png_is_drawn_at_twice_the_resolution() -> None:
    plain = png_size(viz.image_bytes(neuron_graph(), "png"))
    portable = png_size(viz.image_bytes(neuron_graph(), "png", portable=True))
    assert portable[0] == pytest.approx(2 * plain[0], abs=4)
    assert portable[1] == pytest.approx(2 * plain[1], abs=4)


# --- files are written all or nothing -------------------------------------------------------


def test_a_failing_dot_leaves_the_old_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "g.svg"
    target.write_bytes(b"the old picture")
    fake_dot(tmp_path, monkeypatch, 'echo "Error: syntax error in line 1" >&2; exit 3')
    with pytest.raises(viz.RenderError, match="exit status 3: Error: syntax error in line 1"):
        viz.render(neuron_graph(), target)
    assert target.read_bytes() == b"the old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-bin", "g.svg"]


@needs_dot
def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "g.svg"
    target.write_bytes(b"the old picture")

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        viz.render(neuron_graph(), target)
    assert target.read_bytes() == b"the old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]
    monkeypatch.undo()
    viz.render(neuron_graph(), target)
    assert target.read_bytes().startswith(b"<?xml")


# --- when dot is missing, slow or failing -----------------------------------------------


def test_without_dot_the_graph_still_builds_and_render_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    graph = neuron_graph()
    assert "digraph" in graph.source  # DOT text needs no Graphviz
    with pytest.raises(viz.GraphvizNotFound) as info:
        viz.render(graph, tmp_path / "g.svg")
    message = str(info.value)
    assert "sudo apt-get install graphviz" in message
    assert "brew install graphviz" in message
    assert "conda install -c conda-forge graphviz" in message
    assert "\n" not in message
    assert isinstance(info.value, RuntimeError)
    assert not (tmp_path / "g.svg").exists()


def test_a_dot_that_hangs_is_stopped_at_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path, monkeypatch, "exec sleep 30")
    with pytest.raises(viz.RenderError, match=r"did not finish within 0\.5 s"):
        viz.render(viz.draw_graph(Value(1.0)), tmp_path / "g.svg", timeout=0.5)
    assert not (tmp_path / "g.svg").exists()


# --- Jupyter shows our Digraphs through image_bytes, with its timeout ----------------------


def fake_run(monkeypatch: pytest.MonkeyPatch, outcome: bytes | Exception) -> list[dict[str, Any]]:
    """subprocess.run replaced: each call's command and keyword arguments are recorded;
    it returns `outcome` as dot's output, or raises it. subprocess.Popen, which graphviz's
    own pipe() uses (with no timeout), fails the test."""
    calls: list[dict[str, Any]] = []

    def popen(command: list[str], *args: object, **kwargs: object) -> None:
        raise AssertionError(f"dot was run without a timeout: {command}")

    def run(command: list[str], *args: object, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append({"command": command, **kwargs})
        if isinstance(outcome, Exception):
            raise outcome
        return subprocess.CompletedProcess(command, 0, stdout=outcome, stderr=b"")

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(subprocess, "Popen", popen)
    return calls


def every_kind_of_figure() -> list[graphviz.Digraph]:
    mlp = MLP(2, [2, 1], seed=0)
    graph = neuron_graph()
    return [
        graph,
        graph.copy(),
        viz.draw_network(mlp, [1.0, 0.5]),
        viz.backward_frames(Value(2.0) * Value(3.0))[0],
        micrograd.draw_dot(Value(2.0).relu()),
    ]


def test_every_figure_shows_in_jupyter_through_image_bytes_with_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figures = every_kind_of_figure()
    calls = fake_run(monkeypatch, b"<svg>drawn</svg>")
    for graph in figures:
        assert isinstance(graph, viz.TimedDigraph) and isinstance(graph, graphviz.Digraph)
        assert graph._repr_mimebundle_() == {"image/svg+xml": "<svg>drawn</svg>"}
    assert [call["command"] for call in calls] == [["dot", "-Tsvg"]] * len(figures)
    assert [call.get("timeout") for call in calls] == [viz.DEFAULT_TIMEOUT] * len(figures)
    assert [call["input"] for call in calls] == [g.source.encode() for g in figures]


def test_png_and_jpeg_display_have_the_timeout_too(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = neuron_graph()
    calls = fake_run(monkeypatch, b"image bytes")
    shown = graph._repr_mimebundle_(include=["image/png", "image/jpeg"])
    assert shown == {"image/png": b"image bytes", "image/jpeg": b"image bytes"}
    assert sorted(call["command"][1] for call in calls) == ["-Tjpeg", "-Tpng"]
    assert [call.get("timeout") for call in calls] == [viz.DEFAULT_TIMEOUT] * 2


def test_a_display_past_the_timeout_shows_the_one_line_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph = neuron_graph()
    fake_run(monkeypatch, subprocess.TimeoutExpired(["dot"], viz.DEFAULT_TIMEOUT))
    shown = graph._repr_mimebundle_()
    assert list(shown) == ["text/plain"]
    assert shown["text/plain"].startswith("render: dot did not finish within 60 s")
    assert "\n" not in shown["text/plain"]
    with pytest.raises(viz.RenderError, match="did not finish"):
        graph._repr_image_svg_xml()


def test_our_digraphs_keep_graphviz_s_api() -> None:
    graph = neuron_graph()
    plain = graphviz.Digraph(name="computation_graph")
    plain.body = list(graph.body)
    plain.graph_attr, plain.node_attr, plain.edge_attr = (
        graph.graph_attr, graph.node_attr, graph.edge_attr
    )
    assert graph.source == plain.source  # the same DOT text as graphviz's own Digraph
    with graph.subgraph(name="cluster_x") as sub:
        sub.node("extra")
    assert "subgraph cluster_x" in graph.source and "extra" in graph.source
    assert rendering.TimedDigraph is viz.TimedDigraph


def test_portable_svg_ids_and_their_references_are_renamed_and_nothing_else() -> None:
    """cairo's ids (glyph0-1, clip1, …) and each reference to them (href="#…", url(#…)) get
    the image's own prefix; a colour (#ff0000) or a #name that is no id stays as it is, and an
    id that is not cairo's kind (holding `)` or `#`) is renamed as well."""
    svg = (b'<svg><clipPath id="clip1"/><g id="glyph0-1"/><use xlink:href="#glyph0-1"/>'
           b'<path style="fill:#ff0000" clip-path="url(#clip1)" href="#nothere"/></svg>')
    out = rendering._unique_ids(svg)
    prefix = re.search(rb'id="(f[0-9a-f]{8}-)', out).group(1)  # type: ignore[union-attr]
    assert out == svg.replace(b'"clip1"', b'"' + prefix + b'0"').replace(
        b'"glyph0-1"', b'"' + prefix + b'1"').replace(b'"#glyph0-1"', b'"#' + prefix + b'1"'
    ).replace(b"url(#clip1)", b"url(#" + prefix + b"0)")  # fmt: skip
    odd = b'<svg><g id="a)b"/><use href="#a)b"/><g id="c#d"/><use href="#c#d"/></svg>'
    renamed = rendering._unique_ids(odd)
    assert b"a)b" not in renamed and b"c#d" not in renamed
    assert rendering._unique_ids(b"<svg/>") == b"<svg/>"
