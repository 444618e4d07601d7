"""The demos' matplotlib figures, drawn by Agg into PNG files (written atomically).

matplotlib is imported inside `_figure`, so importing the demos does not load it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ... import atomic
from ...nn.notation import layer_number, unit_label


def _figure(width: float, height: float) -> tuple[Any, Any]:
    """(figure, canvas) drawn by Agg, without pyplot: no global backend switch, no window."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    return figure, FigureCanvasAgg(figure)


def _save_png(canvas: Any, path: Path) -> Path:
    """The canvas's figure as a PNG at path, all or nothing (`atomic.write_bytes`): a
    failure leaves any old file as it was."""
    image = io.BytesIO()
    canvas.print_png(image)
    return atomic.write_bytes(path, image.getvalue())


def loss_curve(history: list[float], path: Path) -> Path:
    """The seed network's mean J per epoch, on a log scale when every value is > 0."""
    figure, canvas = _figure(6, 4)
    ax = figure.add_subplot()
    ax.plot(range(1, len(history) + 1), history, color="#1d4ed8")
    if all(h > 0.0 for h in history):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean J = Σ ½(a⁽³⁾ − y)² per sample")
    ax.set_title("The seed network: training loss")
    ax.grid(True, alpha=0.3)
    figure.tight_layout()
    return _save_png(canvas, path)


def regression(
    xs: list[float],
    ys: list[float],
    predictions: tuple[list[float], list[float], list[float]],
    r2: tuple[float, float, float],
    activity: list[list[float]],
    path: Path,
) -> Path:
    """Left: the data and the (broken, linear, leaky) predictions. Right: the broken
    network's relu_activity, dead units marked."""
    figure, canvas = _figure(11, 4.5)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    left.scatter(xs, ys, color="black", zorder=3, label="data: y = 3x² + 3x")
    broken, linear, leaky = predictions
    left.plot(xs, broken, color="#dc2626", lw=2, label=f"ReLU output, raw data (R² = {r2[0]:.3f})")
    left.plot(xs, linear, color="#1d4ed8", lw=2,
              label=f"linear output, standardized (R² = {r2[1]:.4f})")
    left.plot(xs, leaky, color="#15803d", lw=2, ls="--",
              label=f"leaky ReLU output, scaled (R² = {r2[2]:.4f})")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.set_title("Predictions")
    left.legend(loc="upper left", fontsize=8)
    left.grid(True, alpha=0.3)
    _activity_bars(right, activity)
    figure.tight_layout()
    return _save_png(canvas, path)


def _activity_bars(ax: Any, activity: list[list[float]]) -> None:
    """One bar per ReLU unit: the share of inputs with its gate open; 'dead' at 0."""
    names = [
        unit_label("a", layer_number(i), j + 1)
        for i, layer in enumerate(activity)
        for j in range(len(layer))
    ]
    shares = [f for layer in activity for f in layer]
    ax.bar(range(len(shares)), shares, color=["#9ca3af" if f == 0.0 else "#1d4ed8" for f in shares])
    for k, f in enumerate(shares):
        if f == 0.0:
            ax.text(k, 0.02, "dead", ha="center", va="bottom", rotation=90, fontsize=8)
    ax.set_xticks(range(len(shares)), names, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of inputs with z > 0 (gate open)")
    ax.set_title("relu_activity of the ReLU-output network")
