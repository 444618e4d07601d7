"""viz: computation graphs and network figures, their DOT text, and rendering with dot."""

from __future__ import annotations

import re
import shutil
import stat
from pathlib import Path

import pytest

from autograd_lite import engine, nodes, viz
from autograd_lite.engine import Value
from autograd_lite.nn import MLP

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)


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


# --- rendering ------------------------------------------------------------------------------


@needs_dot
def test_svg_really_renders(tmp_path: Path) -> None:
    out, *_ = neuron_expression()
    path = viz.save_graph(out, tmp_path / "g.svg")
    text = path.read_text("utf-8")
    assert path == tmp_path / "g.svg"
    assert "<svg" in text and text.rstrip().endswith("</svg>")
    assert "gate 1" in text and "grad 0.5" in text  # the gate and ∂out/∂w are in the picture


@needs_dot
def test_png_really_renders_and_parent_directories_are_made(tmp_path: Path) -> None:
    out, *_ = neuron_expression()
    path = viz.render(viz.draw_graph(out), tmp_path / "new" / "dir" / "g.png")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@needs_dot
def test_pdf_really_renders_and_the_suffix_is_case_blind(tmp_path: Path) -> None:
    out, *_ = neuron_expression()
    assert viz.save_graph(out, tmp_path / "g.PDF").read_bytes().startswith(b"%PDF")


def test_unknown_suffix_is_refused_naming_the_valid_ones(tmp_path: Path) -> None:
    out, *_ = neuron_expression()
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf") as info:
        viz.render(viz.draw_graph(out), tmp_path / "g.jpg")
    assert "g.jpg" in str(info.value)
    assert not (tmp_path / "g.jpg").exists()


# --- what the graph shows -------------------------------------------------------------------


def test_a_times_a_draws_two_edges_from_a() -> None:
    a = Value(3.0, "a")
    source = viz.draw_graph(a * a).source
    # a is v0 and the product v1, made by the op node v1_op; ∂(a·a)/∂a = a = 3 per use
    from_a = [e for e in edges(source) if e.startswith("v0 -> ")]
    assert len(from_a) == 2
    assert all(e.startswith("v0 -> v1_op [") and "xlabel=<3>" in e for e in from_a)


def test_each_constant_is_its_own_small_node_per_use() -> None:
    x = Value(2.0, "x")
    source = viz.draw_graph(x * 3.0 + 3.0).source
    constants = re.findall(r"^\s*(c\d+) \[label=<3>", source, flags=re.MULTILINE)
    assert constants == ["c0", "c1"]
    assert "shape=ellipse" in node_line(source, "c0")


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


def test_show_grad_false_hides_grads_and_local_derivatives() -> None:
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
    assert "<td><b>w</b></td><td>data -1</td><td>grad 0.5</td>" in source
    assert "<td><b>x</b></td><td>data 0.5</td><td>grad -1</td>" in source
    assert "<td><b>b</b></td><td>data 2</td><td>grad 1</td>" in source


def test_op_nodes_show_the_op() -> None:
    out, *_ = neuron_expression()
    source = viz.draw_graph(out).source
    ops = re.findall(r"^\s*v\d+_op \[label=<([^>]*)>", source, flags=re.MULTILINE)
    assert ops == ["×", "+", "relu"]


# --- gates --------------------------------------------------------------------------------


def gate_edge(z: float, op: str = "relu") -> str:
    x = Value(z, "z")
    out = x.relu() if op == "relu" else x.leaky_relu(0.1)
    out.backward()
    (edge,) = [e for e in edges(viz.draw_graph(out).source) if e.startswith("v0 -> v1_op")]
    return edge


def test_closed_relu_gate_is_dashed_grey_and_marked_gate_0() -> None:
    closed = gate_edge(-1.0)
    assert "style=dashed" in closed and "gate 0" in closed and 'color="#6b7280"' in closed


def test_open_relu_gate_is_solid_green_and_marked_gate_1() -> None:
    opened = gate_edge(1.0)
    assert "dashed" not in opened and "gate 1" in opened and 'color="#15803d"' in opened


def test_relu_gate_at_zero_is_closed_like_the_engine_says() -> None:
    assert "gate 0" in gate_edge(0.0)


def test_closed_leaky_gate_is_dashed_and_shows_its_slope() -> None:
    closed = gate_edge(-1.0, "leaky_relu")
    assert "style=dashed" in closed and "gate 0.1" in closed
    assert "dashed" not in gate_edge(1.0, "leaky_relu")


# --- escaping -------------------------------------------------------------------------------

HOSTILE_LABEL = 'a<b>{c}|"d"&e\\N\\\\f\ng'


def test_labels_are_escaped_in_the_dot_source() -> None:
    x = Value(1.0, HOSTILE_LABEL)
    line = node_line(viz.draw_graph(x * 2.0).source, "v0")
    assert "<b>a&lt;b&gt;{c}|&quot;d&quot;&amp;e\\\\N\\\\\\\\f\\\\ng</b>" in line


@needs_dot
def test_escaped_labels_render_literally(tmp_path: Path) -> None:
    x = Value(1.0, HOSTILE_LABEL)
    svg = viz.save_graph(x * 2.0, tmp_path / "g.svg").read_text("utf-8")
    # XML-escaped in the SVG, shown as typed: \N stays \N (not the node's name), \\ stays \\,
    # and the newline shows as \n
    assert "a&lt;b&gt;{c}|&quot;d&quot;&amp;e\\N\\\\f\\ng" in svg


# --- determinism and size -------------------------------------------------------------------


def seed_network_graph() -> str:
    mlp = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=1)
    out = mlp([0.5, -1.0])
    loss = nodes.total([(o - 1.0) ** 2 for o in out])
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
        viz.draw_graph(nodes.total(xs), max_nodes=500)


def test_many_uses_of_one_value_count_as_edges() -> None:
    a = Value(1.0, "a")
    with pytest.raises(ValueError, match=r"more than 400 edges"):
        viz.draw_graph(nodes.total([a] * 1000), max_nodes=100)


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
        ({"rankdir": "XY"}, "draw_graph rankdir must be one of LR, RL, TB, BT, got 'XY'"),
        ({"max_nodes": 0}, "draw_graph max_nodes must be a positive int, got 0"),
        ({"max_nodes": True}, "draw_graph max_nodes must be a positive int, got True"),
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


# --- draw_network -------------------------------------------------------------------------

UNIT = re.compile(r"^\s*(a(\d+)_(\d+)) \[", flags=re.MULTILINE)


def weight_edges(source: str) -> list[str]:
    return [e for e in edges(source) if "style=invis" not in e]


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


def test_network_with_x_shows_z_and_a_and_marks_closed_gates() -> None:
    mlp = MLP(2, [2, 1], activation="relu", seed=0)
    first, second = mlp.layers[0].neurons
    first.w[0].data, first.w[1].data, first.b.data = 1.0, 1.0, 0.0  # z = 1.5: open
    second.w[0].data, second.w[1].data, second.b.data = -1.0, 0.0, 0.25  # z = −0.25: closed
    source = viz.draw_network(mlp, [0.5, 1.0]).source
    opened, closed = node_line(source, "a2_0"), node_line(source, "a2_1")
    assert "z = 1.5<br/>a = 1.5" in opened and "gate closed" not in opened
    assert "z = -0.25<br/>a = 0" in closed and "gate closed" in closed
    assert "dashed" in closed and 'fillcolor="#d4d4d4"' in closed
    into_closed = [e for e in weight_edges(source) if e.split(" [")[0].endswith("a2_1")]
    assert len(into_closed) == 2 and all("style=dashed" in e for e in into_closed)
    assert "= 0.5" in node_line(source, "a1_0")  # the input values are shown too


def test_network_x_of_the_wrong_length_is_refused_naming_both_lengths() -> None:
    mlp = MLP(3, [2], seed=0)
    with pytest.raises(ValueError, match=r"draw_network: x has 2 values .* nin=3"):
        viz.draw_network(mlp, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"x\[1\] must be a finite number, got nan"):
        viz.draw_network(mlp, [1.0, float("nan"), 0.0])
    with pytest.raises(ValueError, match=r"x\[0\] must be a finite number"):
        viz.draw_network(mlp, [10**400, 1.0, 0.0])  # an int with no finite float


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


@needs_dot
def test_network_renders(tmp_path: Path) -> None:
    mlp = MLP(2, [2, 2], output_activation="relu", seed=0)
    path = viz.render(viz.draw_network(mlp, [0.5, -1.0]), tmp_path / "net.svg")
    assert "a⁽²⁾₁" in path.read_text("utf-8")


# --- when dot is missing, slow or failing -----------------------------------------------


def test_without_dot_the_graph_still_builds_and_render_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out, *_ = neuron_expression()
    graph = viz.draw_graph(out)
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


def fake_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    dot = bin_dir / "dot"
    dot.write_text(f"#!/bin/sh\n{script}\n")
    dot.chmod(dot.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def test_a_failing_dot_raises_render_error_with_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path, monkeypatch, 'echo "Error: syntax error in line 1" >&2; exit 3')
    with pytest.raises(viz.RenderError, match="exit status 3: Error: syntax error in line 1"):
        viz.render(viz.draw_graph(Value(1.0)), tmp_path / "g.svg")


def test_a_dot_that_hangs_is_stopped_at_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path, monkeypatch, "exec sleep 30")
    with pytest.raises(viz.RenderError, match=r"did not finish within 0\.5 s"):
        viz.render(viz.draw_graph(Value(1.0)), tmp_path / "g.svg", timeout=0.5)
    assert not (tmp_path / "g.svg").exists()
