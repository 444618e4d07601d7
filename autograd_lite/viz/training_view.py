"""Training, watched: `fit(..., live=True)` in Jupyter, and its replay, `record="run.html"`.

A `TrainingView` is what `fit` feeds. In a notebook it is a widget (an anywidget:
JupyterLab, Notebook 7, VS Code, Colab) with three panels, drawn by training_view.js:

- the loss, mean J per epoch (fit's history);
- for an MLP with one output, the data: 2-D inputs as the plane shaded by the output,
  with the decision boundary between two classes; 1-D inputs as the fitted curve;
- the network, as `draw_network` draws it: weights coloured by sign, as wide as they
  are large, dead units greyed (training_view_scene.py says how each is decided).

While fit runs, the view gets the new state at most every `interval` seconds of wall
time (0.1 by default), and once more when fit ends; the page changes its numbers and
paths in place, so nothing flickers. Ctrl-C stops fit as it always does (FitInterrupted):
the view then shows the model where it stopped. A saved notebook shows the widget's
output as a still picture of its last state (training_view_still.py), which fit puts
into the output when it ends: wherever no JavaScript runs, that picture is what shows.

The view keeps a `Frame` for every epoch (before training, after each epoch, and where
training stopped): θ and ∂J/∂θ then, and J̄. `view.save("run.html")` (or
`fit(..., record="run.html")`) writes them as one self-contained page, no network and no
CDN, with an epoch slider over the same three panels; `view.picture(i)` shows frame i as
a still. Past MAX_FRAMES epochs, the frames kept thin out to evenly spaced epochs (the
loss history keeps every epoch).
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import math
import os
import sys
import time
import warnings
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import NotARegularFileError, check_target, write_bytes
from ..core.engine import Value
from ..nn.modules import MLP
from .display import figure_bundle, import_anywidget

if TYPE_CHECKING:
    from .training_view_scene import Scene

__all__ = ["MAX_FRAMES", "UPDATE_INTERVAL", "Frame", "Throttle", "TrainingView", "check_record"]

#: The least wall time between two updates of a live view, in seconds.
UPDATE_INTERVAL = 0.1
#: The most frames a view keeps (then every other one goes, and so on).
MAX_FRAMES = 1000
_ESM = Path(__file__).with_name("training_view.js")


@dataclass(frozen=True)
class Frame:
    """The model at one moment of training: after `epoch` whole epochs (0: before
    training), with θ and ∂J/∂θ (the last step's, as fit leaves them in `.grad`) in
    `model.parameters()` order. `loss` is that epoch's J̄ (None for frame 0 and for where
    training stopped, `status` saying how: "interrupted (Ctrl-C) in epoch 7")."""

    epoch: int
    loss: float | None
    parameters: Sequence[float]
    gradients: Sequence[float]
    status: str = ""


class Throttle:
    """`ready()` is True at most once every `interval` seconds of `clock` (the first
    time, at once); `clock` is time.monotonic unless a test gives its own."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval, self.clock = interval, clock
        self.last = -math.inf

    def ready(self) -> bool:
        now = self.clock()
        if now - self.last < self.interval:
            return False
        self.last = now
        return True


def check_record(path: object) -> Path:
    """The replay page's path, once it is one a page can be written to: a str or
    os.PathLike ending in .html, of a regular file or none yet (atomic.check_target), in a
    folder that exists and may be written in. Else TypeError, NotARegularFileError (an
    OSError), ValueError or PermissionError, naming it."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise TypeError(
            f"fit record must be the path of an .html file (a str or os.PathLike), got "
            f"{type(path).__name__} {path!r:.60}"
        )
    try:
        check_target(path)
    except NotARegularFileError as error:
        raise NotARegularFileError(f"fit record: {error}") from None
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(
            f"fit record is a web page: its name must end in .html, got {str(path)!r:.60}"
        )
    folder = Path(os.path.realpath(target)).parent
    if not folder.is_dir():
        raise ValueError(f"fit record: the folder of {str(path)!r:.60} does not exist")
    if not os.access(folder, os.W_OK):
        raise PermissionError(
            f"fit record: the folder of {str(path)!r:.60} may not be written in"
        )
    return target


def frontend() -> Callable[..., Any]:
    """IPython's `display`, where a notebook's kernel runs us (a frontend shows what it
    displays); else RuntimeError saying what to do instead."""
    ipython = sys.modules.get("IPython")  # not imported: then surely no kernel
    shell = None if ipython is None else ipython.get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        raise RuntimeError(
            "fit live: the live view shows in a Jupyter notebook (JupyterLab, Notebook 7, "
            "VS Code, Colab), and this is not one; record='run.html' writes the same "
            "panels as a page to open in a browser"
        )
    from IPython.display import display

    return display


@functools.cache
def widget_class() -> type:
    """The widget class, made on first use: anywidget (the `notebooks` dependency group)
    is imported only by a notebook that watches training."""
    anywidget, traitlets = import_anywidget("fit live", "or record='run.html' for a page")

    class TrainingWidget(anywidget.AnyWidget):  # type: ignore[misc,name-defined]
        _esm = _ESM.read_text("utf-8")
        scene = traitlets.Dict().tag(sync=True)  # what stays: Scene.layout()
        state = traitlets.Dict().tag(sync=True)  # what changes: Scene.frame()

    return TrainingWidget


class TrainingView:
    """A view of training that `fit` feeds: `fit(model, xs, ys, live=view)` shows it and
    draws the model as it learns; fit(..., live=True) makes one. See the module docstring.

    A view is of one model and the data of the first fit that feeds it; later fits of
    the same model go on where it stopped (ValueError for another model). `frames` and
    `history` (J̄ of every epoch) are what it recorded; `interval` the least time between
    two updates, in seconds of `clock` (a test gives a clock of its own)."""

    def __init__(
        self,
        *,
        interval: float = UPDATE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        max_frames: int = MAX_FRAMES,
    ) -> None:
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0:
            raise ValueError(f"TrainingView interval must be seconds ≥ 0, got {interval!r:.60}")
        if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 2:
            raise ValueError(f"TrainingView max_frames must be an int ≥ 2, got {max_frames!r:.60}")
        self.throttle = Throttle(float(interval), clock)
        self.max_frames = max_frames
        self.frames: list[Frame] = []
        self.history: list[float] = []
        self.planned = 0  #: the epochs of every fit so far, done or to do
        self.updates = 0  #: how many states were sent to the page
        self.model: Any = None
        self.scene: Scene | None = None
        self._parameters: list[Value] = []
        self._stride = 1
        self._widget: Any = None
        self._handles: list[Any] = []

    def __repr__(self) -> str:
        return f"TrainingView({len(self.history)} epochs, {len(self.frames)} frames)"

    # --- fed by fit -------------------------------------------------------------------

    def check_model(self, model: object) -> None:
        """ValueError if this view already shows another model."""
        if self.model is not None and model is not self.model:
            raise ValueError(
                f"fit live: this TrainingView shows another model ({self.model!r:.60}); "
                "make a new TrainingView() for this one"
            )

    @contextlib.contextmanager
    def training(
        self,
        model: Any,
        inputs: Sequence[Sequence[float]],
        targets: Sequence[Sequence[float]],
        loss: object,
        epochs: int,
        *,
        show: bool,
        record: Path | None = None,
    ) -> Iterator[Callable[[float], None]]:
        """fit's hook, around its loop: yields the function fit calls with each epoch's J̄.
        Shows the view first (`show`), and at the end, however fit ends, records where
        it stopped, sends the last state, puts the still picture into the output and
        writes the replay page (`record`)."""
        self.check_model(model)
        if self.scene is None:
            # NumPy (and Pillow) load with the first view: `import autograd_lite.viz` stays light
            from .training_view_scene import Scene

            self.model, self.scene = model, Scene(model, inputs, targets, loss)
            self._parameters = list(model.parameters())
            self._keep(0, None)
        self.planned = len(self.history) + epochs
        if show:
            self.show()
        try:
            yield self._epoch_done
        except BaseException as error:
            self._keep(len(self.history), None, _status(error, len(self.history) + 1))
            self._finish(record, error)
            raise
        self._finish(record, None)

    def _epoch_done(self, loss: float) -> None:
        self.history.append(loss)
        self._keep(len(self.history), loss)
        if self._widget is not None and self.throttle.ready():
            self._send()

    def _keep(self, epoch: int, loss: float | None, status: str = "") -> None:
        """Records the model as it is now as a frame; past max_frames, thins them out to
        the epochs that are multiples of a stride (doubled each time), and the last."""
        frame = Frame(epoch, loss, array("d", [p.data for p in self._parameters]),
                      array("d", [p.grad for p in self._parameters]), status)  # fmt: skip
        frames = self.frames
        if len(frames) > 1 and frames[-1].epoch % self._stride:
            frames.pop()  # it was kept only as the latest
        frames.append(frame)
        if len(frames) > self.max_frames:
            self._stride *= 2
            self.frames = [f for f in frames[:-1] if f.epoch % self._stride == 0] + [frame]

    def _finish(self, record: Path | None, error: BaseException | None) -> None:
        if self._widget is not None:
            self._send()
            for handle in self._handles:
                handle.update(self)  # the still picture of the last state, for a saved notebook
        if record is None:
            return
        if error is None:
            self.save(record)
            return
        try:  # fit is failing anyway: its own error is the one to raise
            self.save(record)
        except Exception as failure:
            warnings.warn(f"fit record: {failure}", RuntimeWarning, stacklevel=4)

    # --- the page ---------------------------------------------------------------------

    def _state(self, i: int = -1) -> dict[str, Any]:
        """The scene's frame for self.frames[i], as the live view draws it."""
        assert self.scene is not None
        f = self.frames[i]
        return self.scene.frame(f.parameters, self.history, epoch=f.epoch,
                                planned=max(self.planned, f.epoch), status=f.status)  # fmt: skip

    def _send(self) -> None:
        self._widget.state = self._state()
        self.updates += 1

    def show(self) -> None:
        """Displays the view's widget in the notebook, once: fit does, and at its end puts
        the still picture into that output (a view shown as a cell's value updates too,
        but keeps the picture of when it was shown). RuntimeError outside a notebook,
        ImportError without anywidget."""
        if self._handles:
            return
        display = frontend()
        self._widget_now()
        # no still yet: the one the output keeps is put in when fit ends
        self._handles.append(display(_WidgetOnly(self._widget), display_id=True))

    def _widget_now(self) -> Any:
        if self._widget is None:
            if self.scene is None:
                raise ValueError("TrainingView: nothing to show yet; fit(..., live=view) feeds it")
            self._widget = widget_class()(scene=self.scene.layout(), state=self._state())
        return self._widget

    def relu_activity(self, frame: int = -1) -> list[list[float]]:
        """`model.relu_activity(xs)` for the parameters of frames[frame], xs the training
        inputs (for an MLP; ValueError for other models)."""
        if self.scene is None or self.scene.net is None or self.scene.network is None:
            raise ValueError("TrainingView.relu_activity needs a view of an nn.MLP, fed by fit")
        inputs = self.scene.network.inputs
        return self.scene.net.relu_activity(self.frames[frame].parameters, inputs)

    def model_at(self, frame: int = -1) -> MLP:
        """A new MLP with the θ of frames[frame]: the model as it was then (a view of an
        nn.MLP; ValueError for other models)."""
        if not isinstance(self.model, MLP):
            raise ValueError("TrainingView.model_at needs a view of an nn.MLP, fed by fit")
        copy = MLP.from_dict(self.model.to_dict(), "TrainingView.model_at")
        for parameter, value in zip(copy.parameters(), self.frames[frame].parameters):
            parameter.data = value
        return copy

    def picture(self, frame: int = -1) -> TrainingPicture:
        """frames[frame] as a still picture (shows in a notebook, `.png` its bytes)."""
        if self.scene is None:
            raise ValueError("TrainingView.picture: the view has no frames yet; fit feeds it")
        from .training_view_still import still_png

        state = self._state(frame)
        return TrainingPicture(still_png(self.scene.layout(), state), state["caption"])

    def page(self) -> bytes:
        """The replay: a self-contained HTML page with every frame and a slider over them."""
        if self.scene is None:
            raise ValueError("TrainingView.page: the view has no frames yet; fit feeds it")
        from .training_view_scene import LossAxes

        axes = LossAxes(self.history, len(self.history))
        planned = max(self.planned, len(self.history))
        frames = [
            self.scene.frame(f.parameters, self.history, epoch=f.epoch, planned=planned,
                             status=f.status, replay=axes)
            for f in self.frames
        ]  # fmt: skip
        data = {"scene": self.scene.layout(self.history), "frames": frames}
        return replay_page(data, f"training replay: {self.model!r:.200}")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the replay page to `path` (.html), all or nothing; returns the path."""
        target = check_record(path)
        return write_bytes(target, self.page())

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget (in a notebook) with the still picture of the last state beside it,
        which is what shows wherever no widget runs."""
        if self.scene is None:
            return {"text/plain": repr(self)}, {}
        data, metadata = self.picture()._repr_mimebundle_()
        with contextlib.suppress(RuntimeError, ImportError):
            frontend()
            widget, _ = self._widget_now()._repr_mimebundle_(**kwargs)
            data = {**data, **widget}
        return {**data, "text/plain": repr(self)}, metadata


class _WidgetOnly:
    """The widget's own bundle (no still): what fit displays as training starts."""

    def __init__(self, widget: Any) -> None:
        self.widget = widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


class TrainingPicture:
    """A still of the training view: `png` (2×), shown in a notebook at its width."""

    def __init__(self, png: bytes, caption: str) -> None:
        self.png, self.caption = png, caption

    def __repr__(self) -> str:
        return f"TrainingPicture({self.caption!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        from .training_view_still import SMALLEST_TEXT_PT

        return figure_bundle(self.png, None, SMALLEST_TEXT_PT, repr(self))


def _status(error: BaseException, epoch: int) -> str:
    if isinstance(error, KeyboardInterrupt):
        return f"interrupted (Ctrl-C) in epoch {epoch}"
    return f"stopped by {type(error).__name__} in epoch {epoch}"


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>body {{ font: 14px Helvetica, Arial, sans-serif; margin: 16px; max-width: 860px; }}</style>
</head>
<body>
<h1 style="font-size:18px">{title}</h1>
<p>Move the slider (or use the arrow keys) to see the model after any recorded epoch.</p>
<div id="training-view"></div>
<script type="application/json" id="training-view-data">{data}</script>
<script type="module">
{script}
const data = JSON.parse(document.getElementById("training-view-data").textContent);
render({{ model: replayModel(data), el: document.getElementById("training-view") }});
</script>
</body>
</html>
"""


def replay_page(data: dict[str, Any], title: str) -> bytes:
    """The page: `data` as JSON (every `<` escaped, so no `</script>` can end it early)
    and the view's script, inline; nothing to fetch."""
    script = _ESM.read_text("utf-8")
    if "</script" in script.lower():
        raise AssertionError("training_view.js must not contain '</script'")
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _PAGE.format(
        title=html.escape(title), data=text.replace("<", "\\u003c"), script=script
    ).encode("utf-8")
