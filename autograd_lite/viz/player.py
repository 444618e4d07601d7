"""The backward pass played in a notebook, with the current node always in view.

`frame_player(backward_frames(J))` is a widget (an anywidget: JupyterLab, Notebook 7, VS
Code, Colab): play/pause, a step slider, the arrow keys and zoom buttons over the frames.
A frame of a real graph is far wider than a notebook (the seed network's are about
3,700 px at their natural size), and shrinking it to fit would leave its text at 2 pt; so
the player shows it at a readable scale in a box of the output's width that pans, and at
every step scrolls the current node (outlined in orange) into view.

Where no widget can run (a saved notebook opened unexecuted, nbconvert's HTML, a static
viewer) the output shows its first state as a picture instead: the frame it opens at,
cropped around the current node (`focused`), through `display.PortableFigure`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import graphviz

from .display import (
    MAX_DISPLAY_WIDTH,
    MIN_TEXT_PT,
    PX_PER_PT,
    PortableFigure,
    import_anywidget,
    smallest_text_pt,
)
from .frames import frame_images
from .rendering import DEFAULT_TIMEOUT, _run_dot, _source_bytes
from .style import CURRENT

__all__ = ["FOCUS_HEIGHT", "current_box", "current_node", "focused", "frame_player"]

#: The height of the picture of a frame cropped around its current node, in CSS px.
FOCUS_HEIGHT = 400
#: The player's box is at most this high, in CSS px; it pans to the rest.
VIEW_HEIGHT = 560
_ESM = Path(__file__).with_name("player.js")

# The outline backward_frames draws around the current node, in its DOT and in a portable SVG
_CURRENT_IN_DOT = re.compile(r'^\s*(\S+) \[label=<<table border="3" color="' + CURRENT, re.M)
_CURRENT_IN_SVG = re.compile(
    r'<path style="fill:none;stroke-width:3;stroke:' + CURRENT + r';[^"]*" d="([^"]+)" '
    r'transform="matrix\(1,0,0,1,([-\d.]+),([-\d.]+)\)"'
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def current_node(frame: graphviz.Digraph) -> str:
    """The DOT id of the node `frame` (one of `backward_frames`) outlines as current."""
    found = _CURRENT_IN_DOT.findall(frame.source)
    if len(found) != 1:
        raise ValueError("current_node needs a frame of backward_frames (one outlined node)")
    return str(found[0])


def current_box(svg: bytes) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the current node's outline in a frame's portable SVG
    (`frame_images`), in the SVG's own units (points), y downwards."""
    found = _CURRENT_IN_SVG.search(svg.decode("utf-8"))
    if found is None:
        raise ValueError("current_box needs a portable SVG of a backward_frames frame")
    numbers = [float(n) for n in _NUMBER.findall(found[1])]
    dx, dy = float(found[2]), float(found[3])
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs) + dx, min(ys) + dy, max(xs) + dx, max(ys) + dy


def focused(
    frame: graphviz.Digraph,
    width: float = MAX_DISPLAY_WIDTH,
    height: float = FOCUS_HEIGHT,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> graphviz.Digraph:
    """A copy of `frame` cropped (dot's `viewport`) to the part around its current node
    that shows `width` × `height` CSS px at the smallest scale its text stays readable
    (MIN_TEXT_PT), kept inside the drawing; the whole frame if that is smaller."""
    laid_out = json.loads(_run_dot([frame.engine, "-Tjson"], _source_bytes(frame), timeout))
    name = current_node(frame)
    (node,) = [o for o in laid_out.get("objects", []) if o.get("name") == name]
    x, y = (float(v) for v in node["pos"].split(","))
    left, bottom, right, top = (float(v) for v in laid_out["bb"].split(","))
    scale = min(1.0, MIN_TEXT_PT / smallest_text_pt(frame, timeout))
    w = min(width / PX_PER_PT / scale, right - left)
    h = min(height / PX_PER_PT / scale, top - bottom)
    x = min(max(x, left + w / 2), right - w / 2)
    y = min(max(y, bottom + h / 2), top - h / 2)
    copy: graphviz.Digraph = frame.copy()
    copy.attr("graph", viewport=f"{w:.1f},{h:.1f},1,{x:.1f},{y:.1f}")
    return copy


def _view_box(svg: bytes) -> tuple[float, float]:
    """(width, height) of a portable SVG's drawing, in its units (points)."""
    found = re.search(rb'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    if found is None:
        raise ValueError("frame_player needs portable SVG frames")
    return float(found[1]), float(found[2])


@functools.cache
def _player_class() -> type:
    """The widget class, made on first use: anywidget (the `notebooks` dependency group)
    is imported only by a notebook that plays frames."""
    anywidget, traitlets = import_anywidget(
        "frame_player", "or show the frames with PortableFigure(focused(frame))"
    )

    class FramePlayer(anywidget.AnyWidget):  # type: ignore[misc,name-defined]
        _esm = _ESM.read_text("utf-8")
        frames = traitlets.List(traitlets.Unicode()).tag(sync=True)
        boxes = traitlets.List().tag(sync=True)
        natural_size = traitlets.List().tag(sync=True)
        step = traitlets.Int(0).tag(sync=True)
        zoom = traitlets.Float(1.0).tag(sync=True)
        interval_ms = traitlets.Int(1000).tag(sync=True)
        view_height = traitlets.Int(VIEW_HEIGHT).tag(sync=True)
        caption = traitlets.Unicode("").tag(sync=True)

        def __init__(self, still: PortableFigure, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._still = still

        def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
            """The widget's bundle, with the picture of its first state beside it."""
            data, metadata = super()._repr_mimebundle_(**kwargs)
            still_data, still_metadata = self._still._repr_mimebundle_()
            return {**still_data, **data, "text/plain": repr(self)}, {
                **metadata,
                **still_metadata,
            }

        def __repr__(self) -> str:
            return f"frame_player({len(self.frames)} frames, at step {self.step + 1})"

    return FramePlayer


def frame_player(
    frames: Sequence[graphviz.Digraph],
    *,
    interval_ms: int = 1000,
    start: int = 0,
    caption: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Any:
    """A notebook player for `backward_frames(root)`: play/pause, a step slider, the arrow
    keys and zoom buttons, over the frames drawn as portable SVG; the current node stays
    in view (see the module docstring).

    It opens at frame `start` (0 is the first), with `caption` (plain text) above it when
    given: `lab.compare` opens it where a wrong backward first differs, and says why.
    Saved, or wherever no widget runs, it shows frame `start` cropped around its current
    node. Needs anywidget (the `notebooks` dependency group): ImportError saying so
    without it. TypeError for images instead of frames, ValueError for no frames or a
    bad `start`."""
    if not frames:
        raise ValueError("frame_player needs at least one frame")
    if not all(isinstance(frame, graphviz.Digraph) for frame in frames):
        raise TypeError(
            "frame_player takes the frames (viz.backward_frames(root)), not their images, "
            f"got {type(frames[0]).__name__} {frames[0]!r:.60}"
        )
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < len(frames):
        raise ValueError(
            f"frame_player start must be a frame index from 0 to {len(frames) - 1}, "
            f"got {start!r:.60}"
        )
    player_class = _player_class()
    images = frame_images(frames, timeout=timeout)
    width, height = _view_box(images[0])
    natural_width = width * PX_PER_PT
    readable = min(1.0, MIN_TEXT_PT / smallest_text_pt(frames[0], timeout))
    return player_class(
        PortableFigure(focused(frames[start], timeout=timeout), timeout=timeout),
        frames=[image.decode("utf-8") for image in images],
        boxes=[list(current_box(image)) for image in images],
        natural_size=[width, height],
        step=start,
        zoom=max(readable, min(1.0, MAX_DISPLAY_WIDTH / natural_width)),
        interval_ms=interval_ms,
        caption=caption or "",
    )
