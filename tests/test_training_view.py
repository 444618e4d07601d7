"""The live training view and its replay (issue 20 §2): `fit(..., live=..., record=...)`.

- The record is fit's own history: every frame's J̄ is history's, frame e holds the model
  after epoch e (a second run stopped there has the same θ), and the page is one file
  that fetches nothing.
- Updates go out at most every `interval` of the view's clock (a fake one here: no
  timed assertion), and once more at the end; the saved output gets the still picture.
- Ctrl-C (a KeyboardInterrupt raised by the loss, or by the view's own clock while it
  updates) stops fit with FitInterrupted, the model as after its last step, and the view
  and the page show where it stopped.
- Bad input (a record that is a directory or a device, live outside a notebook, wrong
  types) is refused before training: the loss is never called, no file is written.
- The numbers the view draws are the engine's: z on arrays equals manual.trace's bit for
  bit, dead units are relu_activity's zeros, the boundary is contourpy's marching squares.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_lite.atomic import NotARegularFileError
from autograd_lite.compiler.ruleexpr import _SUM_IS_PLAIN
from autograd_lite.nn import MLP, data, manual
from autograd_lite.nn.losses import binary_cross_entropy_with_logits, mse
from autograd_lite.nn.optim import SGD, Adam
from autograd_lite.training import FitInterrupted, fit
from autograd_lite.viz import TrainingView, training_view
from autograd_lite.viz.network import edge_width, weight_colour
from autograd_lite.viz.training_view_scene import (
    ArrayMLP,
    Scene,
    contour_segments,
    text_numbers,
)

POINTS, LABELS = data.two_moons(n=40, noise=0.1, seed=0)


def moons_model() -> MLP:
    return MLP(2, [6, 6, 1], activation="relu", output_activation="linear", seed=0)


def train(model: MLP, epochs: int, **kwargs: Any) -> list[float]:
    return fit(model, POINTS, LABELS, loss=binary_cross_entropy_with_logits,
               optimizer=Adam(model.parameters(), lr=0.03), epochs=epochs, batch_size=10,
               progress=False, **kwargs)  # fmt: skip


def page_data(path: Path) -> dict[str, Any]:
    """The JSON the replay page carries."""
    text = path.read_text("utf-8")
    found = re.search(r'<script type="application/json" id="training-view-data">(.*?)</script>',
                      text, re.S)  # fmt: skip
    assert found is not None
    return json.loads(found[1])  # type: ignore[no-any-return]


# --- a notebook's frontend, faked: what fit would display and send --------------------


class FakeWidget:
    """Stands for the anywidget: keeps every state it is sent."""

    def __init__(self, scene: dict[str, Any], state: dict[str, Any]) -> None:
        self.scene, self.states = scene, [state]

    @property
    def state(self) -> dict[str, Any]:
        return self.states[-1]

    @state.setter
    def state(self, value: dict[str, Any]) -> None:
        self.states.append(value)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"application/vnd.jupyter.widget-view+json": {"model_id": "fake"}}, {}


class FakeFrontend:
    """IPython's display, faked: the bundles displayed, and those put in by updates."""

    def __init__(self) -> None:
        self.shown: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []

    def display(self, obj: Any, display_id: bool = False) -> FakeFrontend:
        self.shown.append(obj._repr_mimebundle_()[0])
        return self

    def update(self, obj: Any) -> None:
        self.updated.append(obj._repr_mimebundle_()[0])


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> FakeFrontend:
    frontend = FakeFrontend()
    monkeypatch.setattr(training_view, "frontend", lambda: frontend.display)
    monkeypatch.setattr(training_view, "widget_class", lambda: FakeWidget)
    return frontend


class FakeClock:
    """A clock that reads `step` seconds more at every call; it raises KeyboardInterrupt
    at call `interrupt_at` (from 1), as a Ctrl-C arriving while the view updates."""

    def __init__(self, step: float, interrupt_at: int | None = None) -> None:
        self.step, self.calls, self.interrupt_at = step, 0, interrupt_at

    def __call__(self) -> float:
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt("injected by the view's clock")
        return self.calls * self.step


# --- the record ---------------------------------------------------------------------


def test_record_page_holds_fits_history_and_each_epochs_model(
    tmp_path: Path, notebook: FakeFrontend
) -> None:
    model, view = moons_model(), TrainingView()
    path = tmp_path / "run.html"
    history = train(model, 8, live=view, record=path)
    frames = page_data(path)["frames"]
    assert [f["epoch"] for f in frames] == list(range(9)) == [f.epoch for f in view.frames]
    assert frames[0]["loss"] is None and view.frames[0].loss is None
    assert [f["loss"] for f in frames[1:]] == history == view.history  # to the last bit
    assert all(f"mean J = {h:.4g}" in f["caption"] for f, h in zip(frames[1:], history))
    assert list(view.frames[-1].parameters) == [p.data for p in model.parameters()]
    assert list(view.frames[-1].gradients) == [p.grad for p in model.parameters()]
    for epochs in (0, 1, 5):  # frame e is the model after epoch e: a run stopped there
        stopped = moons_model()
        if epochs:
            train(stopped, epochs)
        assert list(view.frames[epochs].parameters) == [p.data for p in stopped.parameters()]


def test_record_page_fetches_nothing_and_carries_its_script(tmp_path: Path) -> None:
    path = tmp_path / "run.html"
    train(moons_model(), 3, record=path)
    text = path.read_text("utf-8")
    script = Path(training_view.__file__).with_name("training_view.js").read_text("utf-8")
    assert script in text  # inline: nothing to load
    for fetching in ("<link", " src=", "import ", "@import", "url(http", "fetch("):
        assert fetching not in text
    # the one address is the SVG namespace, which names, never fetches
    assert set(re.findall(r"https?://[^\s\"'`)]+", text)) == {"http://www.w3.org/2000/svg"}
    assert page_data(path)["scene"]["loss"]["points"]


def test_a_view_goes_on_across_fits_of_its_model(notebook: FakeFrontend) -> None:
    model, view = moons_model(), TrainingView()
    first = train(model, 3, live=view)
    second = train(model, 4, live=view)
    assert view.history == first + second
    assert [f.epoch for f in view.frames] == list(range(8)) and view.planned == 7
    assert len(notebook.shown) == 1  # shown once, updated at the end of each fit
    assert len(notebook.updated) == 2
    with pytest.raises(ValueError, match="another model"):
        train(moons_model(), 1, live=view)


def test_frames_thin_out_to_evenly_spaced_epochs(notebook: FakeFrontend) -> None:
    view = TrainingView(max_frames=10)
    history = train(moons_model(), 50, live=view)
    epochs = [f.epoch for f in view.frames]
    assert len(epochs) <= 10 and epochs[0] == 0 and epochs[-1] == 50
    assert len({e2 - e1 for e1, e2 in itertools.pairwise(epochs[:-1])}) == 1  # one stride
    assert all(view.frames[i].loss == history[e - 1] for i, e in enumerate(epochs) if e)
    assert len(view.history) == 50


# --- updates: at most every interval, and once at the end ---------------------------


def test_throttle_is_ready_at_most_once_per_interval() -> None:
    times = iter([0.0, 0.05, 0.0999, 0.1, 0.15, 0.2, 0.2, 0.35, 0.36])
    throttle = training_view.Throttle(0.1, clock=lambda: next(times))
    assert [throttle.ready() for _ in range(9)] == [
        True, False, False, True, False, True, False, True, False
    ]  # fmt: skip


def test_live_view_updates_at_most_every_interval_then_once_at_the_end(
    notebook: FakeFrontend,
) -> None:
    clock = FakeClock(0.03)  # 30 ms an epoch: an update every 4th epoch (0.12 s ≥ 0.1 s)
    view = TrainingView(interval=0.1, clock=clock)
    history = train(moons_model(), 10, live=view)
    widget = view._widget
    sent = [state["epoch"] for state in widget.states]
    assert sent == [0, 1, 5, 9, 10]  # shown at 0; epochs 1, 5, 9 by the clock; the end
    assert clock.calls == 10  # the clock is read once an epoch, nowhere else
    times = [0.03 * e for e in (1, 5, 9)]
    assert all(later - earlier >= 0.1 for earlier, later in itertools.pairwise(times))
    assert widget.states[-1]["loss"] == history[-1] and view.updates == 4
    (shown,) = notebook.shown
    assert "image/png" not in shown  # the still goes in when fit ends, of the last state
    (updated,) = notebook.updated
    assert "image/png" in updated and "application/vnd.jupyter.widget-view+json" in updated
    assert updated["text/plain"] == "TrainingView(10 epochs, 11 frames)"
    assert updated["image/png"] == __import__("base64").b64encode(view.picture().png).decode()


def test_saved_output_shows_a_still_picture_of_the_last_state(notebook: FakeFrontend) -> None:
    from browser import distinct_colours
    from PIL import Image

    view = TrainingView()
    train(moons_model(), 5, live=view)
    (bundle,) = notebook.updated
    png = __import__("base64").b64decode(bundle["image/png"])
    assert Image.open(io.BytesIO(png)).size == (1680, 704)  # 840 × 352 CSS px, at 2×
    assert distinct_colours(png) > 8
    _, metadata = view.picture()._repr_mimebundle_()
    assert metadata["image/png"]["width"] == 840
    assert metadata["autograd_lite"]["shown_text_pt"] >= 8
    assert "epoch 5 of 5" in repr(view.picture()) and "before training" in repr(view.picture(0))


# --- Ctrl-C ---------------------------------------------------------------------------


class InterruptingLoss:
    """mse that raises KeyboardInterrupt (a Ctrl-C) at its `at`-th call (from 1)."""

    def __init__(self, at: int) -> None:
        self.at, self.calls = at, 0

    def __call__(self, outputs: Any, targets: Any) -> Any:
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt("injected by the loss")
        return mse(outputs, targets)


def test_ctrl_c_in_the_loss_leaves_the_view_and_the_page_where_fit_stopped(
    tmp_path: Path, notebook: FakeFrontend
) -> None:
    model, view, path = moons_model(), TrainingView(), tmp_path / "run.html"
    # 40 samples in batches of 10: 4 steps an epoch; call 95 is in the 2nd batch of epoch 3
    loss = InterruptingLoss(at=95)
    with pytest.raises(FitInterrupted) as stopped:
        fit(model, POINTS, LABELS, loss=loss, optimizer=SGD(model.parameters(), lr=0.1),
            epochs=10, batch_size=10, progress=False, compile=False, live=view,
            record=path)  # fmt: skip
    assert stopped.value.epoch == 3 and len(stopped.value.history) == 2
    assert view.history == stopped.value.history
    last = view.frames[-1]
    assert [f.epoch for f in view.frames] == [0, 1, 2, 2] and last.loss is None
    assert last.status == "interrupted (Ctrl-C) in epoch 3"
    # the model is as after its last whole step (epoch 3's first), and the view shows that
    assert list(last.parameters) == [p.data for p in model.parameters()]
    assert list(last.parameters) != list(view.frames[-2].parameters)
    caption = view._widget.states[-1]["caption"]
    assert caption.startswith("interrupted (Ctrl-C) in epoch 3, after 2 whole epochs of 10")
    assert "image/png" in notebook.updated[-1]
    frames = page_data(path)["frames"]  # the page is written too, to where it stopped
    assert frames[-1]["caption"] == caption and len(frames) == 4


def test_ctrl_c_while_the_view_updates_stops_fit_at_a_whole_epoch(
    notebook: FakeFrontend,
) -> None:
    model = moons_model()
    view = TrainingView(clock=FakeClock(0.05, interrupt_at=4))  # in epoch 4's update
    with pytest.raises(FitInterrupted) as stopped:
        train(model, 10, live=view)
    assert len(stopped.value.history) == 4 == len(view.history)  # epoch 4 ran to its end
    assert [f.epoch for f in view.frames] == [0, 1, 2, 3, 4, 4]
    assert view.frames[-1].status == "interrupted (Ctrl-C) in epoch 5"
    assert list(view.frames[-1].parameters) == list(view.frames[-2].parameters)
    assert list(view.frames[-1].parameters) == [p.data for p in model.parameters()]
    assert view._widget.states[-1]["epoch"] == 4


# --- bad input: refused before training -----------------------------------------------


class CountingLoss:
    calls = 0

    def __call__(self, outputs: Any, targets: Any) -> Any:
        CountingLoss.calls += 1
        return mse(outputs, targets)


def refused(error: type[BaseException], match: str, **kwargs: Any) -> None:
    """fit(..., **kwargs) raises `error`, having called the loss never and changed no θ."""
    model = moons_model()
    before = [p.data for p in model.parameters()]
    CountingLoss.calls = 0
    with pytest.raises(error, match=match):
        fit(model, POINTS, LABELS, loss=CountingLoss(), epochs=2, progress=False, **kwargs)
    assert CountingLoss.calls == 0 and [p.data for p in model.parameters()] == before


def test_a_record_that_is_not_a_file_to_write_is_refused_before_training(
    tmp_path: Path,
) -> None:
    (tmp_path / "folder.html").mkdir()
    refused(NotARegularFileError, "is a directory", record=tmp_path / "folder.html")
    refused(NotARegularFileError, "character device", record="/dev/null")
    refused(ValueError, "must end in .html, got 'run.txt'", record="run.txt")
    refused(ValueError, "does not exist", record=tmp_path / "missing" / "run.html")
    refused(TypeError, "got int 12", record=12)
    refused(TypeError, "got bytes", record=b"run.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.html"]


def test_live_outside_a_notebook_or_of_the_wrong_type_is_refused_before_training(
    tmp_path: Path,
) -> None:
    refused(RuntimeError, "shows in a Jupyter notebook", live=True)
    refused(RuntimeError, "shows in a Jupyter notebook", live=TrainingView())
    refused(RuntimeError, "record='run.html'", live=True, record=tmp_path / "run.html")
    refused(TypeError, "live must be True, False or a viz.TrainingView, got str 'yes'", live="yes")
    refused(TypeError, "got int 1", live=1)
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match="interval must be seconds ≥ 0, got -1"):
        TrainingView(interval=-1)
    with pytest.raises(ValueError, match=r"max_frames must be an int ≥ 2, got 1\.5"):
        TrainingView(max_frames=1.5)  # type: ignore[arg-type]


def test_a_view_of_another_model_is_refused_before_training(notebook: FakeFrontend) -> None:
    view = TrainingView()
    train(moons_model(), 1, live=view)
    refused(ValueError, "this TrainingView shows another model", live=view)


# --- the numbers drawn are the engine's ---------------------------------------------

ACTIVATIONS = st.sampled_from(["relu", "leaky_relu", "linear", "tanh", "sigmoid"])


@st.composite
def networks(draw: st.DrawFn) -> tuple[MLP, list[list[float]]]:
    nin = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    model = MLP(nin, widths, activation=draw(ACTIVATIONS), output_activation=draw(ACTIVATIONS),
                seed=draw(st.integers(0, 10**6)))  # fmt: skip
    number = st.floats(-3, 3, allow_nan=False)
    xs = draw(st.lists(st.lists(number, min_size=nin, max_size=nin), min_size=1, max_size=6))
    return model, xs


@pytest.mark.skipif(not _SUM_IS_PLAIN, reason="Python 3.12's sum() compensates floats")
@given(networks())
def test_array_forward_is_manual_traces_bit_for_bit(case: tuple[MLP, list[list[float]]]) -> None:
    model, xs = case
    net = ArrayMLP(model)
    layers = net.forward([p.data for p in model.parameters()], xs)
    for s, x in enumerate(xs):
        traced = manual.trace(model, x)
        exact = True  # until a tanh or sigmoid layer: NumPy's may differ from math's by an ulp
        for (z, a), t, layer in zip(layers, traced, model.layers):
            if exact:
                assert z[s].tolist() == t.z
            else:
                assert np.allclose(z[s], t.z, rtol=1e-12, atol=1e-12)
            exact = exact and layer.activation not in ("tanh", "sigmoid")
            if exact:
                assert a[s].tolist() == t.a
            else:
                assert np.allclose(a[s], t.a, rtol=1e-12, atol=1e-12)


@given(networks())
def test_dead_units_are_relu_activitys_zeros(case: tuple[MLP, list[list[float]]]) -> None:
    model, xs = case
    net = ArrayMLP(model)
    parameters = [p.data for p in model.parameters()]
    activity = model.relu_activity(xs)
    assert net.relu_activity(parameters, xs) == activity
    for dead, fractions, layer in zip(net.dead(parameters, xs), activity, model.layers):
        if layer.activation == "relu":
            assert dead == [f == 0.0 for f in fractions]
        elif layer.activation != "leaky_relu":
            assert not any(dead)


def test_network_frame_colours_and_widths_are_draw_networks() -> None:
    model = moons_model()
    train(model, 3)
    scene = Scene(model, POINTS, [[y] for y in LABELS], binary_cross_entropy_with_logits)
    frame = scene.frame([p.data for p in model.parameters()], [1.0] * 3, epoch=3, planned=3)
    network, layout = frame["network"], scene.layout()["network"]
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    widest = max(map(abs, weights))
    assert len(layout["edges"]) == len(weights) == 6 * 2 + 6 * 6 + 6  # no layer is wide
    colours = [layout["edge_colours"][c] for c in network["colours"]]
    assert colours == [weight_colour(w) for w in weights]
    assert text_numbers(network["widths"]) == [round(edge_width(w, widest), 2) for w in weights]
    dead = [f == 0.0 for layer in model.relu_activity(POINTS) for f in layer]
    assert network["dead"] == "".join("01"[d] for d in dead) + "0"  # the linear output lives


@given(st.integers(0, 10**6))
def test_boundary_is_contourpys_marching_squares(seed: int) -> None:
    contourpy = pytest.importorskip("contourpy")  # matplotlib's; a second implementation
    values = np.random.default_rng(seed).random((9, 11))
    ours = contour_segments(values, 0.5)
    lines = contourpy.contour_generator(z=values, line_type="Separate").lines(0.5)
    theirs = {tuple(np.round(p, 9)) for line in lines for p in line}
    ends = {tuple(np.round(p, 9)) for p in ours.reshape(-1, 2)}
    assert ends == theirs  # every crossing of a cell edge, and only those
    assert len(ours) == sum(len(line) - 1 for line in lines)  # as many segments


def test_a_fitted_curve_is_drawn_for_one_input() -> None:
    xs, ys = data.quadratic()
    model = MLP(1, [4, 1], seed=0)
    scene = Scene(model, [[x] for x in xs], [[y] for y in ys], mse)
    frame = scene.frame([p.data for p in model.parameters()], [], epoch=0, planned=5)
    assert scene.layout()["data"]["kind"] == "curve" and frame["caption"].startswith("before")
    curve = text_numbers(frame["data"]["fit"])
    assert len(curve) == 2 * 160 and all(math.isfinite(v) for v in curve)


class Line:
    """A model that is not an MLP: a = w·x + b, as `fit` trains any Model."""

    def __init__(self) -> None:
        from autograd_lite import Value

        self.w, self.b = Value(0.5), Value(0.0)

    def __call__(self, x: Any) -> Any:
        return [self.w * x[0] + self.b]

    def parameters(self) -> list[Any]:
        return [self.w, self.b]


def test_a_model_that_is_not_an_mlp_gets_its_loss_drawn(tmp_path: Path) -> None:
    xs, ys = data.quadratic()
    scaled = [y / 1140 for y in ys]
    model, path = Line(), tmp_path / "line.html"
    history = fit(model, [x / 19 for x in xs], scaled, loss=mse, epochs=5, progress=False,
                  record=path)  # fmt: skip
    replay = page_data(path)
    assert replay["scene"]["data"] is None and replay["scene"]["network"] is None
    assert "nn.MLP" in replay["scene"]["note"]
    assert [f["loss"] for f in replay["frames"][1:]] == history
