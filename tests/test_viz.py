"""viz: the façade's names, and draw_graph's DOT text (what a computation graph shows)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_lite
from autograd_lite import viz
from autograd_lite.core import engine, nary
from autograd_lite.core.engine import Value
from autograd_lite.nn import MLP
from autograd_lite.viz import style
from autograd_lite.viz.graph import op_text

PACKAGE = Path(autograd_lite.__file__).parent


def neuron_expression() -> tuple[Value, Value, Value, Value]:
    """relu(x·w + b) with x = 0.5, w = −1, b = 2 (gate open), after backward()."""
    x, w, b = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b")
    out = (x * w + b).relu()
    out.backward()
    return out, x, w, b


def edges(graph_source: str) -> list[str]:
    return [line.strip() for line in graph_source.splitlines() if "->" in line]


def node_line(graph_source: str, node_id: str) -> str:
    (line,) = [s.strip() for s in graph_source.splitlines() if s.strip().startswith(f"{node_id} [")]
    return line


def legend_of(graph_source: str) -> str:
    lines = graph_source.splitlines()
    (line,) = [s for s in lines if s.strip().startswith("graph [") and "label=" in s]
    return line


# --- the façade and the modules behind it ---------------------------------------------------


def test_the_facade_keeps_every_public_name() -> None:
    for name in (
        "draw_graph", "draw_network", "render", "save_graph", "backward_frames", "frame_images",
        "frame_strip", "frame_player", "save_frames", "format_for", "image_bytes", "PortableFigure",
        "GraphvizNotFound", "RenderError", "DEFAULT_MAX_NODES", "DEFAULT_TIMEOUT", "FORMATS",
        "MAX_UNITS_PER_LAYER", "TimedDigraph",
    ):  # fmt: skip
        assert name in viz.__all__ and hasattr(viz, name), name


def test_import_autograd_lite_does_not_load_graphviz() -> None:
    code = "import sys, autograd_lite; print(sorted(m for m in sys.modules if 'graphviz' in m))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


# --- what the graph shows -------------------------------------------------------------------


def test_a_times_a_draws_two_edges_from_a() -> None:
    a = Value(3.0, "a")
    source = viz.draw_graph(a * a).source
    # a is v0 and the product v1, made by the op node v1_op; ∂(a·a)/∂a = a = 3 per use
    from_a = [e for e in edges(source) if e.startswith("v0 -> ")]
    assert len(from_a) == 2
    assert all(e.startswith("v0 -> v1_op [") and "<td>3</td>" in e for e in from_a)


def test_three_or_more_uses_by_one_op_are_one_edge_with_their_count() -> None:
    x = Value(2.0, "x")
    source = viz.draw_graph(nary.total([x] * 200)).source
    (from_x,) = [e for e in edges(source) if e.startswith("v0 -> ")]
    assert "<td>1 (×200)</td>" in from_x
    assert "<td>×5</td>" in viz.draw_graph(nary.total([x] * 5), show_grad=False).source


def test_constants_are_folded_into_their_op_not_drawn_as_nodes() -> None:
    x = Value(2.0, "x")
    source = viz.draw_graph(x * 3.0 + 3.0).source
    ops = re.findall(r"^\s*v\d+_op \[label=<([^>]*)>", source, flags=re.MULTILINE)
    assert ops == ["× 3", "+ 3"]
    assert not re.search(r"^\s*c\d+ \[", source, flags=re.MULTILINE)  # no constant nodes
    assert len(edges(source)) == 4  # x → ×, × → v1, v1 → +, + → v2: no edge from a constant


@pytest.mark.parametrize(
    ("make", "lines"),
    [
        (lambda x: x**2, ["** 2"]),
        (lambda x: 2.0**x, ["2 ** ·"]),
        (lambda x: 1.0 - x, ["1 − ·"]),
        (lambda x: x - 1.0, ["− 1"]),
        (lambda x: 3.0 * x, ["× 3"]),
        (lambda x: 1.0 / x, ["1 ÷ ·"]),
        (lambda x: x * 0.5, ["× 0.5"]),
        (lambda x: x.leaky_relu(0.1), ["leaky 0.1"]),
        (lambda x: x.leaky_relu(), ["leaky 0.01"]),
        (lambda x: x * x, ["×"]),
        (lambda x: -x, ["−x"]),
        (lambda x: x.tanh(), ["tanh"]),
        (lambda x: nary.total([x, 1.0, -2.0]), ["Σ + 1 − 2"]),
        (lambda x: nary.total([x, 1.0, 2.0, 3.0, 4.0, 5.0]), ["Σ + 5 numbers (Σ 15)"]),
        (lambda x: nary.dot([x, x], [1.0, 0.5], x), ["Σ w·x + b", "x = (1, 0.5)"]),
        (lambda x: nary.dot([x, 2.0], [x, x]), ["Σ w·x", "w₂ = 2"]),
        (lambda x: nary.dot([x], [x], 0.25), ["Σ w·x + b", "b = 0.25"]),
        (lambda x: nary.apply("*", 2.0, 3.0), ["2 × 3"]),
    ],
)
def test_op_text_folds_constant_operands(make, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert op_text(make(Value(2.0, "x"))) == lines


def test_node_kinds_have_their_own_fills() -> None:
    mlp = MLP(1, [1], activation="relu", output_activation="linear", seed=0)
    x = Value(0.5, "x")
    (out,) = mlp([x])
    loss = (out - 1.0) ** 2
    loss.backward()
    source = viz.draw_graph(loss, params=mlp).source
    by_label = {
        label: line
        for line in source.splitlines()
        for label in re.findall(r"<td><b>([^<]+)</b></td>", line)
    }
    assert 'bgcolor="#dbeafe"' in by_label["x"]  # input: blue
    assert 'bgcolor="#fde68a"' in by_label["Θ⁽²⁾₁₁"]  # parameter: amber
    assert 'bgcolor="#fde68a"' in by_label["b⁽²⁾₁"]
    root_id = f"v{len(engine.topological_order(loss)) - 1}"
    assert 'bgcolor="#bbf7d0"' in node_line(source, root_id)  # root: green, thicker
    assert 'border="2"' in node_line(source, root_id)


def test_params_given_as_values_are_marked_and_unlabelled_ones_get_no_name() -> None:
    w = Value(2.0)
    x = Value(1.0)
    source = viz.draw_graph(w * x, params=[w]).source
    assert 'bgcolor="#fde68a"' in node_line(source, "v0")
    assert 'bgcolor="#dbeafe"' in node_line(source, "v1")
    assert "<b>" not in node_line(source, "v0")


def test_show_grad_false_hides_grads_and_local_derivatives_but_not_gates() -> None:
    out, *_ = neuron_expression()
    shown = viz.draw_graph(out).source
    hidden = viz.draw_graph(out, show_grad=False).source
    assert "grad " in shown and "grad " not in hidden
    assert "local derivative" in shown and "local derivative" not in hidden
    assert "gate 1" in hidden  # the gate is forward information: still drawn


def test_values_show_label_data_and_grad() -> None:
    out, x, w, b = neuron_expression()
    assert (x.grad, w.grad, b.grad) == (-1.0, 0.5, 1.0)
    source = viz.draw_graph(out).source
    # a column of cells: label, data, grad (a narrow box: a rank of them fits the page)
    row = "</td></tr><tr><td>"
    assert f"<td><b>w</b>{row}data -1{row}grad 0.5</td>" in source
    assert f"<td><b>x</b>{row}data 0.5{row}grad -1</td>" in source
    assert f"<td><b>b</b>{row}data 2{row}grad 1</td>" in source


def test_op_nodes_show_the_op() -> None:
    out, *_ = neuron_expression()
    source = viz.draw_graph(out).source
    ops = re.findall(r"^\s*v\d+_op \[label=<([^<>]*)", source, flags=re.MULTILINE)
    assert ops == ["×", "+", "relu"]


def test_edge_numbers_are_real_labels_so_dot_makes_room_for_them() -> None:
    out, *_ = neuron_expression()
    source = viz.draw_graph(out).source
    assert "xlabel" not in source  # an xlabel is placed after layout, and can land on a node
    # an HTML table: the number, then room on the side away from the edge (label_with_room)
    assert '<tr><td>-1</td><td width="8"></td></tr></table>> fontcolor="#555555"' in source


def test_the_default_rank_direction_is_top_to_bottom() -> None:
    out, *_ = neuron_expression()
    assert "rankdir=TB" in viz.draw_graph(out).source
    assert "rankdir=LR" in viz.draw_graph(out, rankdir="LR").source


# --- gates --------------------------------------------------------------------------------


def gate_parts(z: float, op: str = "relu") -> tuple[str, str]:
    """(the gate op's node line, the edge from z into it)."""
    x = Value(z, "z")
    out = x.relu() if op == "relu" else x.leaky_relu(0.1)
    out.backward()
    source = viz.draw_graph(out).source
    (edge,) = [e for e in edges(source) if e.startswith("v0 -> v1_op")]
    return node_line(source, "v1_op"), edge


def test_closed_relu_gate_is_on_the_op_grey_and_dashed() -> None:
    op, edge = gate_parts(-1.0)
    assert "gate 0" in op and "dashed" in op and 'color="#6b7280"' in op
    assert "style=dashed" in edge and 'color="#6b7280"' in edge
    assert "label" not in edge  # no floating text beside the edge


def test_open_relu_gate_is_on_the_op_and_green() -> None:
    op, edge = gate_parts(1.0)
    assert "gate 1" in op and "dashed" not in op and 'color="#15803d"' in op
    assert "dashed" not in edge and 'color="#15803d"' in edge


def test_relu_gate_at_zero_is_closed_like_the_engine_says() -> None:
    op, _ = gate_parts(0.0)
    assert "gate 0" in op


def test_closed_leaky_gate_is_dashed_and_shows_its_slope() -> None:
    op, edge = gate_parts(-1.0, "leaky_relu")
    assert "leaky 0.1" in op and "gate 0.1" in op and "style=dashed" in edge
    op, edge = gate_parts(1.0, "leaky_relu")
    assert "gate 1" in op and "dashed" not in edge


@pytest.mark.parametrize("op", ["relu", "leaky_relu"])
@pytest.mark.parametrize(("z", "changed_to"), [(1.0, -1.0), (-1.0, 1.0)])
def test_the_gate_is_read_from_the_stored_local_derivative_alone(
    op: str, z: float, changed_to: float
) -> None:
    """A leaf changed after the forward pass: the picture shows the gate backward uses,
    in one colour with its text (it once drew a green "gate 0")."""
    x = Value(z, "z")
    out = x.relu() if op == "relu" else x.leaky_relu(0.1)
    x.data = changed_to
    source = viz.draw_graph(out).source
    op_line = node_line(source, "v1_op")
    (edge,) = [e for e in edges(source) if e.startswith("v0 -> v1_op")]
    if z > 0.0:  # open when drawn, whatever z is now
        assert "gate 1" in op_line and "#15803d" in op_line and "dashed" not in op_line
        assert "#15803d" in edge and "dashed" not in edge
    else:
        assert "gate 1" not in op_line and "#6b7280" in op_line and "dashed" in op_line
        assert "#6b7280" in edge and "dashed" in edge


# --- the legend -----------------------------------------------------------------------------


def test_the_legend_lists_what_is_drawn_with_the_colours_it_is_drawn_in() -> None:
    out, *_ = neuron_expression()  # inputs x, w, b; an open gate; no parameters
    legend = legend_of(viz.draw_graph(out).source)
    assert '<td bgcolor="#dbeafe" border="1" width="18"> </td><td align="left">input' in legend
    assert "parameter" not in legend and "closed gate" not in legend
    assert "open gate" in legend and "constant" not in legend
    assert "local ∂out/∂in" in legend


def test_the_legend_lists_parameters_and_closed_gates_when_there_are_some() -> None:
    w = Value(-1.0, "w")
    out = (w * 2.0).relu()
    out.backward()
    legend = legend_of(viz.draw_graph(out, params=[w], show_grad=False).source)
    assert 'bgcolor="#fde68a"' in legend and "parameter" in legend
    assert "closed gate" in legend and "input" not in legend and "open gate" not in legend
    assert "∂out/∂in" not in legend  # no edge numbers without show_grad


def test_a_closed_relu_gate_stops_the_gradient_and_only_a_leaky_one_shrinks_it() -> None:
    # issue 23: the legend said "it stops or shrinks" of a graph with no leaky ReLU in it
    w = Value(-1.0, "w")
    relu_legend = legend_of(viz.draw_graph((w * 2.0).relu()).source)
    assert "closed gate: the gradient stops" in relu_legend and "shrink" not in relu_legend
    assert "slope" not in relu_legend
    leaky_legend = legend_of(viz.draw_graph((w * 2.0).leaky_relu(0.1)).source)
    assert "closed leaky gate: the gradient × its slope" in leaky_legend
    assert "the gradient stops" not in leaky_legend
    both = legend_of(viz.draw_graph((w * 2.0).relu() + (w * 3.0).leaky_relu(0.1)).source)
    assert "the gradient stops" in both and "its slope" in both


def test_legend_lines_are_drawn_lines_and_its_entries_keep_apart() -> None:
    # issue 23: "———" typed as text read as dashes, and the entries ran together when the
    # viewer's font was wider than dot's
    out, *_ = neuron_expression()
    legend = legend_of(viz.draw_graph(out).source)
    assert "———" not in legend and "- - -" not in legend
    assert '<td sides="b" border="2" color="#15803d" width="24" height="8"' in legend
    w = Value(-1.0, "w")
    closed = legend_of(viz.draw_graph((w * 2.0).relu()).source)
    assert 'color="#6b7280" style="dashed" width="24"' in closed
    gap = f'<td width="{style.LEGEND_GAP}"></td>'
    for row in re.findall(r"<tr>(.*?)</tr>", legend):
        entries = row.count('<td align="left">')
        assert row.count(gap) == entries - 1  # room between every two entries of a row


# --- escaping -------------------------------------------------------------------------------

HOSTILE_LABEL = 'a<b>{c}|"d"&e\\N\\\\f\ng'


def test_labels_are_escaped_in_the_dot_source() -> None:
    x = Value(1.0, HOSTILE_LABEL)
    line = node_line(viz.draw_graph(x * 2.0).source, "v0")
    assert "<b>a&lt;b&gt;{c}|&quot;d&quot;&amp;e\\\\N\\\\\\\\f\\\\ng</b>" in line


# --- determinism and size -------------------------------------------------------------------


def seed_network_graph() -> str:
    mlp = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=1)
    out = mlp([0.5, -1.0])
    loss = nary.total([(o - 1.0) ** 2 for o in out])
    loss.backward()
    source: str = viz.draw_graph(loss, params=mlp).source
    return source


def test_the_same_graph_gives_byte_identical_dot() -> None:
    first = seed_network_graph()
    second = seed_network_graph()
    assert first == second
    assert "0x" not in first  # no id()-like addresses anywhere


def test_a_200000_node_graph_is_refused_saying_its_size_and_how_to_raise_the_limit() -> None:
    y = Value(0.0, "x")
    for _ in range(100_000):  # each step adds a Value and a constant: 200,001 nodes
        y = y + 1.0
    with pytest.raises(ValueError, match=r"more than 2,000 nodes.*max_nodes") as info:
        viz.draw_graph(y)
    assert str(info.value).startswith("draw_graph")


def test_a_node_with_200000_inputs_is_refused() -> None:
    xs = [Value(float(i)) for i in range(200_000)]
    with pytest.raises(ValueError, match="more than 500 nodes"):
        viz.draw_graph(nary.total(xs), max_nodes=500)


def test_many_uses_of_one_value_count_as_edges() -> None:
    a = Value(1.0, "a")
    with pytest.raises(ValueError, match=r"more than 400 edges"):
        viz.draw_graph(nary.total([a] * 1000), max_nodes=100)


def test_a_raised_limit_draws_a_bigger_graph() -> None:
    y = Value(0.0, "x")
    for _ in range(1500):
        y = y + 1.0
    with pytest.raises(ValueError):
        viz.draw_graph(y)
    source = viz.draw_graph(y, max_nodes=3002).source
    assert "v1500_op" in source


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rankdir": "XY"}, "draw_graph rankdir must be one of TB, LR, BT, RL, got 'XY'"),
        ({"max_nodes": 0}, "draw_graph max_nodes must be a positive whole number, got 0"),
        ({"max_nodes": True}, "draw_graph max_nodes must be a whole number, got bool True"),
    ],
)
def test_bad_options_are_refused_by_name(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        viz.draw_graph(Value(1.0), **kwargs)  # type: ignore[arg-type]


def test_a_non_value_root_or_param_is_refused() -> None:
    with pytest.raises(TypeError, match="draw_graph needs a Value as root, got float"):
        viz.draw_graph(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="draw_graph params must hold Values, got int"):
        viz.draw_graph(Value(1.0), params=[1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="draw_graph params must be None, a Module"):
        viz.draw_graph(Value(1.0), params=3)  # type: ignore[arg-type]


def test_spaces_of_any_width_stay_spaces_and_control_characters_show() -> None:
    # a frame's "step  1 of 27" pads with a figure space (U+2007), once drawn as "\u2007"
    assert style.escape("step\u20071 of 27") == "step\u20071 of 27"
    assert style.escape("a\nb\x00") == "a\\\\nb\\\\x00"
