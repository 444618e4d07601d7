"""Figures that never collide and fit a screen, checked on dot's own layout (`dot -Tjson`).

Issue 14 measured, on the drawing before this test existed, 4 edge labels over nodes in
the seed graph and 2 in the two-ReLU graph, and a seed graph 5.7 times as wide as high
(2,416 × 420 pt here). Then no overlaps, and the seed graph was 1,580 × 962 pt (1.6:1).

Issue 23 found two labels that read as each other's where two edges cross beside a⁽²⁾₂
("0.9831" and "-0.3293": each as near the other's edge as its own, 0.5 pt). Now every
label lies nearer its own edge than any other (`label_with_room`). Issue 20 found the seed
graph 2,195 px wide in a notebook; with its boxes a column each it is 1,022 × 1,801 px,
shown at 840 px with its smallest text at 8.2 pt.
"""

from __future__ import annotations

import re

import graphviz
import pytest
from dot_layout import Box, aspect_ratio, label_overlaps, labels_nearer_another_edge
from figures import LEAKY_SQUARE, TWO_RELU, expression_root, needs_dot

from autograd_lite import viz
from autograd_lite.app.demos import seed_loss
from autograd_lite.nn import MLP
from autograd_lite.nn.losses import half_squared_error
from autograd_lite.viz.display import MAX_DISPLAY_WIDTH, MIN_TEXT_PT

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


@pytest.mark.parametrize("name", list(figures_to_check()))
def test_every_edge_label_is_nearer_its_own_edge_than_any_other(name: str) -> None:
    assert labels_nearer_another_edge(figures_to_check()[name]) == []


@pytest.mark.parametrize("rankdir", ["TB", "LR", "BT", "RL"])
def test_labels_stay_by_their_own_edges_in_random_networks(rankdir: str) -> None:
    # without label_with_room, half of these 12 graphs had a label as near another edge
    for seed in range(6):
        for sizes in ([2, 2], [2, 3, 1]):
            mlp = MLP(2, sizes, activation="relu", seed=seed)
            J = half_squared_error(mlp([0.7, -0.4]), [0.5] * sizes[-1])
            J.backward()
            graph = viz.draw_graph(J, params=mlp, rankdir=rankdir)
            assert labels_nearer_another_edge(graph) == [], (seed, sizes)


def test_the_nearest_edge_check_finds_a_label_between_two_edges() -> None:
    # the seed graph as drawn before: its labels without the room beside them
    mlp, _, _, J = seed_loss()
    source = re.sub(
        r'<table border="0" cellpadding="0" cellspacing="0"><tr><td>([^<]*)</td>'
        r'<td width="8"></td></tr></table>',
        r"\1",
        viz.draw_graph(J, params=mlp).source,
    )
    found = labels_nearer_another_edge(graphviz.Source(source))
    assert [label for label, _, _ in found] == ["0.9831"]


def test_the_seed_graph_fits_a_notebook_with_8_pt_text() -> None:
    mlp, _, _, J = seed_loss()
    size = viz.PortableFigure(viz.draw_graph(J, params=mlp)).size()
    assert not size.pans and size.width <= MAX_DISPLAY_WIDTH and size.text_pt >= MIN_TEXT_PT
