"""Pictures of backprop, in one namespace: `from autograd_lite import viz`.

Each concern lives in its own module; this one only gathers their public names:

  graph.py      draw_graph, save_graph: the computation graph below a Value
  network.py    draw_network: an MLP drawn the textbook way
  frames.py     backward_frames (a BackwardFrames sequence, drawn on demand),
                frame_images, frame_strip, save_frames: the backward pass, node by node
  player.py     frame_player, focused: the frames played in a notebook, the current node
                kept in view
  explorer.py   explore, Explorer: the graph as a page you can move (sliders, live
                forward and backward in the page, backward step by step)
  training_view.py  TrainingView: training watched as it runs (fit(..., live=True)), and
                its replay page (fit(..., record="run.html")); laid out by
                training_view_scene.py, drawn by training_view.js and, as a still,
                training_view_still.py
  rendering.py  render, image_bytes, TimedDigraph: running Graphviz's `dot`, with a
                timeout (files are written all or nothing by atomic.write_bytes)
  display.py    PortableFigure: a figure in a notebook, as a picture every viewer shows
                (an untrusted JupyterLab too), at a size whose text can be read
  style.py      the colours, font and legends they share
  budget.py     the draw command's budget: graphs dot would take too long to lay out

Drawing returns a `graphviz.Digraph` (a `TimedDigraph`), which shows inline in Jupyter
and whose DOT text is `.source`; that needs no Graphviz install. Only rendering runs
Graphviz's `dot` program, stopping it after a timeout (also when Jupyter shows a
figure), and says how to install it when it is missing (`GraphvizNotFound`).

`import autograd_lite` does not import this module (nor graphviz): import it when you
draw.
"""

from __future__ import annotations

from .display import PortableFigure
from .explorer import Explorer, explore
from .frames import BackwardFrames, backward_frames, frame_images, frame_strip, save_frames
from .graph import DEFAULT_MAX_NODES, RANKDIRS, draw_graph, save_graph
from .network import MAX_UNITS_PER_LAYER, draw_network
from .player import focused, frame_player
from .rendering import (
    DEFAULT_TIMEOUT,
    FORMATS,
    GraphvizNotFound,
    RenderError,
    TimedDigraph,
    format_for,
    image_bytes,
    render,
)
from .training_view import TrainingView

__all__ = [
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "FORMATS",
    "MAX_UNITS_PER_LAYER",
    "RANKDIRS",
    "BackwardFrames",
    "Explorer",
    "GraphvizNotFound",
    "PortableFigure",
    "RenderError",
    "TimedDigraph",
    "TrainingView",
    "backward_frames",
    "draw_graph",
    "draw_network",
    "explore",
    "focused",
    "format_for",
    "frame_images",
    "frame_player",
    "frame_strip",
    "image_bytes",
    "render",
    "save_frames",
    "save_graph",
]
