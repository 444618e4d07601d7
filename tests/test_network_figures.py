"""draw_network: an MLP drawn the textbook way, its numbers, gates, targets, δ and legend."""

from __future__ import annotations

import re

import pytest

from autograd_lite import viz
from autograd_lite.core.engine import Value
from autograd_lite.nn import MLP, manual
from autograd_lite.nn.notation import unit_label
from autograd_lite.viz.style import number

UNIT = re.compile(r"^\s*(a(\d+)_(\d+)) \[", flags=re.MULTILINE)


def edges(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if "->" in line]


def weight_edges(source: str) -> list[str]:
    return [e for e in edges(source) if "style=invis" not in e and "y_" not in e]


def node_line(source: str, node_id: str) -> str:
    (line,) = [s.strip() for s in source.splitlines() if s.strip().startswith(f"{node_id} [")]
    return line


def legend_of(source: str) -> str:
    (line,) = [s for s in source.splitlines() if s.strip().startswith("graph [") and "label=" in s]
    return line


def test_network_has_one_node_per_neuron_and_input() -> None:
    mlp = MLP(3, [4, 2], seed=0)
    source = viz.draw_network(mlp).source
    units = sorted((int(layer), int(j)) for _, layer, j in UNIT.findall(source))
    assert units == [(1, 0), (1, 1), (1, 2), *((2, j) for j in range(4)), (3, 0), (3, 1)]
    assert len(weight_edges(source)) == 3 * 4 + 4 * 2
    assert "<b>a⁽¹⁾₃</b>" in source and "<b>a⁽²⁾₄</b>" in source and "<b>a⁽³⁾₂</b>" in source
    assert source.count("rank=same") == 3  # one column per layer


def test_network_edges_are_labelled_theta_with_weight_colour_and_width() -> None:
    mlp = MLP(2, [2, 1], seed=0)
    mlp.layers[0].neurons[0].w[1].data = 0.5  # Θ⁽²⁾₁₂
    mlp.layers[0].neurons[1].w[0].data = -2.0  # Θ⁽²⁾₂₁, the widest
    source = viz.draw_network(mlp).source
    (positive,) = [e for e in weight_edges(source) if e.startswith("a1_1 -> a2_0")]
    (negative,) = [e for e in weight_edges(source) if e.startswith("a1_0 -> a2_1")]
    assert "Θ⁽²⁾₁₂ = 0.5" in positive and 'color="#1d4ed8"' in positive
    assert "Θ⁽²⁾₂₁ = -2" in negative and 'color="#dc2626"' in negative
    assert "penwidth=4.00" in negative  # 0.6 + 3.4·|w|/max|w|
    assert "∂J/∂Θ" not in source  # no backward yet: no gradients to show


def test_network_shows_gradients_after_backward() -> None:
    mlp = MLP(2, [2, 1], activation="tanh", seed=0)
    (out,) = mlp([0.5, -1.0])
    ((out - 1.0) ** 2).backward()
    source = viz.draw_network(mlp).source
    w = mlp.layers[1].neurons[0].w[0]
    assert w.grad != 0.0
    assert f"Θ⁽³⁾₁₁ = {w.data:.4g}<br/>∂J/∂Θ = {w.grad:.4g}" in source


def test_network_shows_a_dead_networks_zero_gradients_when_asked() -> None:
    mlp = MLP(2, [2, 1], seed=0)
    assert all(p.grad == 0.0 for p in mlp.parameters())
    assert "∂J/∂Θ" not in viz.draw_network(mlp).source
    assert "∂J/∂Θ = 0" in viz.draw_network(mlp, show_grad=True).source
    mlp.layers[0].neurons[0].w[0].grad = 1.0
    assert "∂J/∂Θ" not in viz.draw_network(mlp, show_grad=False).source


def closing_network() -> MLP:
    """Hidden unit 1 open (z = 1.5), hidden unit 2 closed (z = −0.25) for x = (0.5, 1)."""
    mlp = MLP(2, [2, 1], activation="relu", seed=0)
    first, second = mlp.layers[0].neurons
    first.w[0].data, first.w[1].data, first.b.data = 1.0, 1.0, 0.0
    second.w[0].data, second.w[1].data, second.b.data = -1.0, 0.0, 0.25
    return mlp


def test_network_with_x_shows_z_and_a_and_marks_closed_gates() -> None:
    source = viz.draw_network(closing_network(), [0.5, 1.0]).source
    opened, closed = node_line(source, "a2_0"), node_line(source, "a2_1")
    assert "z = 1.5<br/>a = 1.5" in opened and "gate closed" not in opened
    assert "z = -0.25<br/>a = 0" in closed and "gate closed" in closed
    assert "dashed" in closed and 'fillcolor="#d4d4d4"' in closed
    into_closed = [e for e in weight_edges(source) if e.split(" [")[0].endswith("a2_1")]
    assert len(into_closed) == 2 and all("style=dashed" in e for e in into_closed)
    assert "= 0.5" in node_line(source, "a1_0")  # the input values are shown too


def test_network_with_targets_shows_y_and_delta_from_manual_trace() -> None:
    mlp = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=0)
    x, y = [1.0, 0.5], [1.5, 0.5]
    source = viz.draw_network(mlp, x, y=y).source
    traces = manual.trace(mlp, x, y)
    for trace in traces:
        assert trace.delta is not None
        for j, delta in enumerate(trace.delta):
            expected = f"{unit_label('δ', trace.layer, j + 1)} = {number(delta)}"
            assert expected in node_line(source, f"a{trace.layer}_{j}")
    assert "δ⁽²⁾₂ = 0" in node_line(source, "a2_1")  # the closed hidden unit
    assert "<b>y₁</b> = 1.5" in node_line(source, "y_0")
    assert "<b>y₂</b> = 0.5" in node_line(source, "y_1")
    assert any(e.startswith("a3_0 -> y_0") and "dotted" in e for e in edges(source))
    assert "δ = ∂J/∂z" in legend_of(source)


def test_targets_without_an_input_or_of_the_wrong_length_are_refused() -> None:
    mlp = MLP(2, [2, 2], seed=0)
    with pytest.raises(ValueError, match="targets y need an input x"):
        viz.draw_network(mlp, y=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"draw_network expects 2 y, got 1"):
        viz.draw_network(mlp, [1.0, 2.0], y=[1.0])


def test_the_legend_explains_colour_width_and_dashes_that_are_drawn() -> None:
    source = viz.draw_network(closing_network(), [0.5, 1.0]).source
    legend = legend_of(source)
    for entry in ("Θ &gt; 0", "Θ &lt; 0", "line width grows with |Θ|", "gate closed: z ≤ 0",
                  "weight into a closed gate"):  # fmt: skip
        assert entry in legend, entry
    assert "∂J/∂Θ" not in legend and "δ" not in legend  # no backward, no targets
    all_positive = MLP(1, [1], seed=0)
    all_positive.layers[0].neurons[0].w[0].data = 1.0
    legend = legend_of(viz.draw_network(all_positive).source)
    assert "Θ &gt; 0" in legend and "Θ &lt; 0" not in legend and "gate closed" not in legend


def test_network_x_of_the_wrong_length_or_kind_is_refused_naming_it() -> None:
    mlp = MLP(3, [2], seed=0)
    with pytest.raises(ValueError, match=r"draw_network expects 3 x, got 2"):
        viz.draw_network(mlp, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"x\[1\] needs a finite number, got nan"):
        viz.draw_network(mlp, [1.0, float("nan"), 0.0])
    with pytest.raises(ValueError, match=r"x\[0\] needs a finite number"):
        viz.draw_network(mlp, [10**400, 1.0, 0.0])  # an int with no finite float
    with pytest.raises(TypeError, match="draw_network needs x as a list of 3 numbers"):
        viz.draw_network(mlp, "abc")
    with pytest.raises(TypeError, match="draw_network needs an MLP"):
        viz.draw_network("mlp")  # type: ignore[arg-type]
    assert "= 0.5" in viz.draw_network(mlp, [Value(0.5), 1.0, 2.0]).source  # Values: data


def test_a_wide_layer_shows_its_first_units_an_ellipsis_and_its_last_unit() -> None:
    mlp = MLP(2, [25, 1], seed=0)
    source = viz.draw_network(mlp).source
    shown = sorted(int(j) for _, layer, j in UNIT.findall(source) if layer == "2")
    assert shown == [0, 1, 2, 3, 4, 5, 6, 7, 24]
    assert "16 more" in node_line(source, "a2_more")
    # 2·9 + 9·1 = 27 weight edges; the 18 into layer 2 are above 16, so their numbers
    # move into tooltips, while the 9 into layer 3 keep their labels
    into_2 = [e for e in weight_edges(source) if e.startswith("a1_")]
    into_3 = [e for e in weight_edges(source) if e.startswith("a2_")]
    assert (len(into_2), len(into_3)) == (18, 9)
    assert not any("label=<" in e for e in into_2)
    assert all('tooltip="Θ⁽²⁾' in e for e in into_2)
    assert all("label=<Θ⁽³⁾" in e for e in into_3)
