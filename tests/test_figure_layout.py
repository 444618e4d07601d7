"""Figures that never collide and fit a screen, checked on dot's own layout (`dot -Tjson`).

Issue 14 measured, on the drawing before this test existed, 4 edge labels over nodes in
the seed graph and 2 in the two-ReLU graph, and a seed graph 5.7 times as wide as high
(2,416 × 420 pt here). Now: no overlaps, and the seed graph is 1,580 × 962 pt (1.6:1).
"""

from __future__ import annotations

import graphviz
import pytest
from dot_layout import Box, aspect_ratio, label_overlaps
from figures import LEAKY_SQUARE, TWO_RELU, expression_root, needs_dot

from autograd_lite import viz
from autograd_lite.app.demos import seed_loss

pytestmark = needs_dot


def figures_to_check() -> dict[str, graphviz.Digraph]:
    mlp, x, y, J = seed_loss()
    return {
        "seed graph": viz.draw_graph(J, params=mlp),  # as run_demo draws it
        "seed network": viz.draw_network(mlp, x),
        "seed network with y and δ": viz.draw_network(mlp, x, y=y),
        "two-ReLU graph": viz.draw_graph(expression_root(*TWO_RELU)),  # as the CLI draws it
        "leaky/square graph": viz.draw_graph(expression_root(*LEAKY_SQUARE)),
        "seed graph, left to right": viz.draw_graph(J, params=mlp, rankdir="LR"),
        "backward frame of the seed graph": viz.backward_frames(J, params=mlp)[5],
    }


@pytest.mark.parametrize("name", list(figures_to_check()))
def test_no_edge_label_overlaps_a_node_or_another_label(name: str) -> None:
    assert label_overlaps(figures_to_check()[name]) == []


def test_the_two_relu_graph_has_one_gate_closed_and_one_open() -> None:
    source = viz.draw_graph(expression_root(*TWO_RELU)).source
    assert source.count("gate 0") == 1 and source.count("gate 1") == 1


def test_the_seed_graph_fits_a_screen() -> None:
    mlp, _, _, J = seed_loss()
    assert aspect_ratio(viz.draw_graph(J, params=mlp)) <= 2.5


def test_the_overlap_check_finds_overlaps() -> None:
    # the check itself must be able to fail: boxes sharing more than half a point do
    node = Box("node", 0, 0, 100, 30)
    assert Box("label", 90, 10, 120, 20).overlaps(node)
    assert not Box("label", 100, 10, 120, 20).overlaps(node)  # touching is not overlapping
    assert not Box("label", 99.6, 10, 120, 20).overlaps(node)
    # the old drawing's way: an xlabel beside a short edge lands on the node
    graph = graphviz.Digraph(graph_attr={"rankdir": "LR"})
    graph.node("a", "a wide node with a long label", shape="box")
    graph.node("b", "relu", shape="circle")
    graph.edge("a", "b", xlabel="gate 0 with a long xlabel")
    assert label_overlaps(graph) == [("a->b ldraw", "b")]
