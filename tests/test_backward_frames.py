"""backward_frames: the backward pass one node at a time, its numbers, files and strip."""

from __future__ import annotations

import re
from pathlib import Path

import graphviz
import numpy as np
import pytest
from dot_layout import layout
from figures import fake_dot, needs_dot

from autograd_lite import viz
from autograd_lite.app.demos import seed_loss
from autograd_lite.core import engine, nary
from autograd_lite.core.engine import Value
from autograd_lite.viz.frames import replay_gradients
from autograd_lite.viz.style import CURRENT, number

OUTLINE = re.compile(r'^\s*(v\d+) \[label=<<table border="3" color="' + CURRENT, re.MULTILINE)


def neuron_and_loss() -> tuple[Value, dict[str, Value]]:
    """J = (a − 2)² with a = relu(z), z = x·w + b: x = 0.5, w = −1, b = 2 (z = 1.5)."""
    x, w, b = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b")
    z = x * w + b
    z.label = "z"
    a = z.relu()
    a.label = "a"
    J = (a - 2.0) ** 2
    J.label = "J"
    J.backward()
    return J, {"x": x, "w": w, "b": b, "z": z, "a": a}


def current_node(frame: graphviz.Digraph) -> str:
    (node_id,) = OUTLINE.findall(frame.source)
    return str(node_id)


def test_one_frame_per_value_in_the_order_backward_visits_them() -> None:
    mlp, _, _, J = seed_loss()
    order = engine.topological_order(J)
    frames = viz.backward_frames(J, params=mlp)
    assert len(frames) == len(order) == 27
    # frame k outlines the k-th node of reversed(topological order): ids are v0 … v26
    assert [current_node(f) for f in frames] == [f"v{i}" for i in reversed(range(len(order)))]


def test_the_products_shown_equal_the_gradients_backward_computed() -> None:
    mlp, _, _, J = seed_loss()
    order = engine.topological_order(J)
    assert replay_gradients(order) == {node: node.grad for node in order}  # bit for bit
    last = viz.backward_frames(J, params=mlp)[-1].source  # every node visited by now
    for node in order:
        assert f"= {number(node.grad)}</font>" in last or node is J


def test_a_relu_node_shows_its_gate_in_the_chain_rule() -> None:
    J, v = neuron_and_loss()
    frames = viz.backward_frames(J)
    # visits J, v₆ = a − 2, a, z, …: ∂J/∂v₆ = 2(a − 2) = −1, and z's gate is open
    assert "∂J/∂v₆ = ∂J/∂J · ∂J/∂v₆ = 1 · -1 = -1" in frames[1].source
    assert "∂J/∂a = ∂J/∂v₆ · ∂v₆/∂a = -1 · 1 = -1" in frames[2].source
    assert "∂J/∂z = ∂J/∂a · 1[z&gt;0] = -1 · 1 = -1" in frames[3].source
    assert "∂J/∂J = 1: where backward starts" in frames[0].source
    assert (v["z"].grad, v["a"].grad) == (-1.0, -1.0)


def test_a_value_used_twice_sums_one_product_per_use() -> None:
    a = Value(3.0, "a")
    square = a * a
    frames = viz.backward_frames(square)
    assert "∂out/∂a = ∂out/∂out · ∂out/∂a + ∂out/∂out · ∂out/∂a = 1 · 3 + 1 · 3 = 6" in (
        frames[1].source
    )
    many = viz.backward_frames(nary.total([a] * 5))[1].source
    assert "+ … (2 more) = 1 · 1 + 1 · 1 + 1 · 1 + … (2 more) = 5" in many


def test_only_the_gradients_computed_so_far_are_shown() -> None:
    J, _ = neuron_and_loss()
    frame = viz.backward_frames(J)[2].source  # J, then v₆ = a − 2, now a
    shown = re.findall(r'<font color="#000000">grad ([^<]+)</font>', frame)
    current = re.findall(r'<font color="' + CURRENT + r'">grad ([^<]+)</font>', frame)
    hidden = re.findall(r'<font color="transparent">grad ([^<]+)</font>', frame)
    assert (len(shown), len(current), len(hidden)) == (2, 1, 5)
    assert current == ["-1"]


def test_frames_do_not_run_backward_again_and_ignore_accumulated_leaf_grads() -> None:
    J, v = neuron_and_loss()
    J.backward()  # leaves accumulate: w.grad is now twice ∂J/∂w
    before = {name: value.grad for name, value in v.items()}
    last = viz.backward_frames(J)[-1].source
    assert {name: value.grad for name, value in v.items()} == before  # nothing touched
    assert before["w"] == 2 * -0.5
    assert "∂J/∂w = ∂J/∂v₂ · ∂v₂/∂w = -1 · 0.5 = -0.5" in last  # one backward's numbers


def test_bad_arguments_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="backward_frames needs a Value as root"):
        viz.backward_frames(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backward_frames rankdir must be one of"):
        viz.backward_frames(Value(1.0), rankdir="up")


@needs_dot
def test_every_frame_has_the_same_layout() -> None:
    mlp, _, _, J = seed_loss()
    frames = viz.backward_frames(J, params=mlp)
    positions = []
    for frame in frames[::6]:
        laid_out = layout(frame)
        positions.append(
            (laid_out["bb"], {node["name"]: node["pos"] for node in laid_out["objects"]})
        )
    assert all(p == positions[0] for p in positions)


@needs_dot
def test_frame_images_and_the_strip_for_a_notebook() -> None:
    J, _ = neuron_and_loss()
    frames = viz.backward_frames(J)
    images = viz.frame_images(frames)
    assert len(images) == len(frames) == 8
    assert all(image.startswith(b"<?xml") and b"<text" not in image for image in images)
    strip = viz.frame_strip(images, columns=4)
    assert strip.count(b"<svg") == 1 + len(images)
    for tag in re.findall(rb"<svg[^>]*>", strip):  # well-formed: each size given once
        assert tag.count(b" width=") == tag.count(b" height=") == 1, tag
    assert len(strip) < 0.6 * sum(map(len, images))  # one set of glyphs for all frames
    assert set(re.findall(rb'href="#([^"]+)"', strip)) <= set(re.findall(rb'id="([^"]+)"', strip))
    with pytest.raises(ValueError, match="portable SVGs"):
        viz.frame_strip([b"\x89PNG..."])


@needs_dot
def test_save_frames_writes_numbered_images(tmp_path: Path) -> None:
    J, _ = neuron_and_loss()
    paths = viz.save_frames(viz.backward_frames(J), tmp_path / "new", "png")
    assert [p.name for p in paths] == [f"frame_{k}.png" for k in range(1, 9)]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)


def test_save_frames_refuses_a_file_as_directory_and_a_bad_format(tmp_path: Path) -> None:
    J, _ = neuron_and_loss()
    file = tmp_path / "file.png"
    file.write_bytes(b"a picture")
    with pytest.raises(ValueError, match="exists and is not a directory"):
        viz.save_frames(viz.backward_frames(J), file)
    with pytest.raises(ValueError, match="must end in"):
        viz.save_frames(viz.backward_frames(J), tmp_path, "gif")
    assert file.read_bytes() == b"a picture"


def test_save_frames_writes_nothing_when_dot_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a dot that works twice, then fails: the third frame cannot be drawn
    count = tmp_path / "count"
    fake_dot(
        tmp_path,
        monkeypatch,
        f"n=$(cat {count} 2>/dev/null || echo 0); echo $((n + 1)) > {count}\n"
        '[ "$n" -lt 2 ] && { cat >/dev/null; echo "<svg/>"; exit 0; }\necho broken >&2; exit 1',
    )
    J, _ = neuron_and_loss()
    with pytest.raises(viz.RenderError, match="broken"):
        viz.save_frames(viz.backward_frames(J), tmp_path / "frames", "svg")
    assert not (tmp_path / "frames").exists() or not any((tmp_path / "frames").iterdir())


@needs_dot
def test_the_player_knows_where_the_current_node_is_in_every_frame() -> None:
    """Two ways to the same place: the orange outline in each SVG (what the player scrolls
    to), and the node dot laid out as current in that frame's DOT."""
    from autograd_lite.viz.player import current_box, current_node

    J, _ = neuron_and_loss()
    frames = viz.backward_frames(J)
    for frame, image in zip(frames, viz.frame_images(frames)):
        left, top, right, bottom = current_box(image)
        laid_out = layout(frame)
        (node,) = [o for o in laid_out["objects"] if o["name"] == current_node(frame)]
        x, y = (float(v) for v in node["pos"].split(","))
        height = float(laid_out["bb"].split(",")[3])
        pad = 4.0  # dot's margin around the drawing, in points
        assert left < x + pad < right and top < height - y + pad < bottom, (x, y)
        # the outline is drawn along the middle of its 3 pt border, inside the node
        assert (right - left) == pytest.approx(float(node["width"]) * 72 - 3, abs=0.5)
    with pytest.raises(ValueError, match="portable SVG of a backward_frames frame"):
        current_box(viz.image_bytes(viz.draw_graph(J), "svg", portable=True))
    with pytest.raises(ValueError, match="one outlined node"):
        current_node(viz.draw_graph(J))


@needs_dot
def test_focused_crops_a_frame_around_its_current_node_at_a_readable_size() -> None:
    from autograd_lite.viz.display import MAX_DISPLAY_WIDTH, MIN_TEXT_PT
    from autograd_lite.viz.player import current_box

    mlp, _, _, J = seed_loss()
    frame = viz.backward_frames(J, params=mlp)[5]
    cropped = viz.focused(frame, height=300)
    assert "viewport=" in cropped.source and "viewport=" not in frame.source  # a copy
    figure = viz.PortableFigure(cropped)
    size = figure.size()
    assert size.width <= MAX_DISPLAY_WIDTH and size.height <= 300
    assert size.text_pt >= MIN_TEXT_PT
    left, top, right, bottom = current_box(figure.image())  # the node, inside the crop
    width, height = (float(v) for v in re.findall(r'viewBox="0 0 ([\d.]+) ([\d.]+)"',
                                                   figure.image().decode())[0])
    assert 0 <= left < right <= width and 0 <= top < bottom <= height


@needs_dot
def test_frame_player_plays_the_frames_and_saves_a_picture_of_its_first() -> None:
    pytest.importorskip("anywidget")
    from autograd_lite.viz.player import current_box

    J, _ = neuron_and_loss()
    frames = viz.backward_frames(J)
    player = viz.frame_player(frames, interval_ms=500, start=2, caption="x <is> wrong here")
    assert len(player.frames) == 8 and (player.step, player.interval_ms) == (2, 500)
    assert player.caption == "x <is> wrong here"  # plain text: the page writes it as text
    images = viz.frame_images(frames)
    assert player.frames == [image.decode() for image in images]
    assert player.boxes == [list(current_box(image)) for image in images]
    data, metadata = player._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "image/png", "image/svg+xml"} <= set(data)
    assert data["text/plain"] == "frame_player(8 frames, at step 3)"
    still = viz.PortableFigure(viz.focused(frames[2]))._repr_mimebundle_()[0]
    assert data["image/png"] == still["image/png"]  # frame 3, around its current node
    assert metadata["autograd_lite"]["pans"] is False


def test_frame_player_refuses_images_no_frames_and_a_bad_start() -> None:
    pytest.importorskip("anywidget")
    J, _ = neuron_and_loss()
    frames = viz.backward_frames(J)
    with pytest.raises(TypeError, match="takes the frames"):
        viz.frame_player([b"<svg>frame 1</svg>"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="at least one frame"):
        viz.frame_player([])
    for bad in (8, -1, True, 1.0):
        with pytest.raises(ValueError, match="start must be a frame index from 0 to 7"):
            viz.frame_player(frames, start=bad)  # type: ignore[arg-type]


# --- drawn on demand (issue 24 §2) ------------------------------------------------------


def chain(n: int) -> Value:
    """tanh(tanh(…tanh(x))): n Values in one chain and no constants, so n nodes for
    max_nodes."""
    v = Value(0.5, label="x")
    for _ in range(n - 1):
        v = v.tanh()
    return v


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many frames have been drawn (each frame is one computation_digraph call); a
    frame drawn while `drawn[0]` is 1 (backward_frames being called) fails the test."""
    from autograd_lite.viz import frames as frames_module

    real = frames_module.computation_digraph
    count = [0, 0]  # [making the sequence?, frames drawn]

    def counting(*args: object, **kwargs: object) -> graphviz.Digraph:
        if count[0]:
            raise AssertionError("backward_frames drew a frame before one was asked for")
        count[1] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(frames_module, "computation_digraph", counting)
    return count


def frame_state(source: str) -> tuple[str, int, int, int]:
    """(the outlined node's id, how many gradients are shown, current, hidden)."""
    shown = source.count('<font color="#000000">grad ')
    current = source.count(f'<font color="{CURRENT}">grad ')
    hidden = source.count('<font color="transparent">grad ')
    (outlined,) = OUTLINE.findall(source)
    return outlined, shown, current, hidden


def test_the_frames_of_a_1999_node_graph_are_drawn_only_when_asked_for(
    drawn: list[int],
) -> None:
    # 400 nodes took 14 s and 1,999 (under the default limit of 2,000) over 30 s, when
    # every frame was drawn at once: n frames of n boxes each
    root = chain(1999)
    drawn[0] = 1
    frames = viz.backward_frames(root)
    drawn[0] = 0
    assert len(frames) == 1999 and drawn[1] == 0
    for k in (0, 1, 1000, 1997, 1998, -1):
        before = drawn[1]
        source = frames[k].source
        assert drawn[1] == before + 1  # that frame, and only it
        k %= 1999
        # frame k: backward is at the k-th node from the root (ids are v0 … v1998 in
        # topological order), the k before it are done, the rest not yet
        assert frame_state(source) == (f"v{1998 - k}", k, 1, 1998 - k)
        assert f"step {k + 1:\u2007>4} of 1999: backward is here" in source


def test_a_frame_is_the_same_whenever_and_in_whatever_order_it_is_drawn(
    drawn: list[int],
) -> None:
    mlp, _, _, J = seed_loss()
    frames = viz.backward_frames(J, params=mlp)
    in_order = [frame.source for frame in frames]  # iteration draws each once
    assert drawn[1] == 27
    shuffled = [13, 26, 0, 5, 13, 2, 25, 1]
    assert [frames[k].source for k in shuffled] == [in_order[k] for k in shuffled]
    assert [f.source for f in frames[3:9:2]] == in_order[3:9:2]
    assert frames[-1].source == in_order[26] and frames[np.int64(4)].source == in_order[4]
    assert frames[7] is not frames[7]  # a fresh Digraph each time: nothing is kept
    assert drawn[1] == 27 + len(shuffled) + 3 + 2 + 2


def test_a_frame_outside_the_film_or_not_an_int_is_refused_by_name() -> None:
    J, _ = neuron_and_loss()
    frames = viz.backward_frames(J)
    assert len(frames) == 8
    with pytest.raises(IndexError, match="backward frame 8 is out of range: there are 8"):
        frames[8]
    with pytest.raises(IndexError, match="backward frame -9 is out of range"):
        frames[-9]
    for bad in (True, 1.0, "1"):
        with pytest.raises(TypeError, match="backward frames are indexed by int, got"):
            frames[bad]  # type: ignore[call-overload]
    assert frames[8:100] == [] and "8 frames" in repr(frames)
