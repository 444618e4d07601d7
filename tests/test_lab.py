"""al.lab: six wrong backward passes, each beside the engine on its smallest graph, and the
proof that running them leaves the engine and the user's graph exactly as they were."""

from __future__ import annotations

import base64
import gc
import io
import math
import operator
import re
import subprocess
import sys
from functools import reduce
from pathlib import Path

import micrograd.engine as micrograd
import pytest
from browser import screenshot
from figures import needs_dot
from hypothesis import given
from hypothesis import strategies as st
from selenium.webdriver.remote.webdriver import WebDriver
from strategies import Program, programs, reals

import autograd_lite as al
from autograd_lite import Value, lab
from autograd_lite.app.demos import seed_loss
from autograd_lite.core import collector, engine, modes
from autograd_lite.learn.variants import chain_rule, value_inputs

# name → (first wrong node, its frame, {node: (engine, variant)}, phrases of the sentence)
SMALLEST = {
    "recursive_no_sort": ("x", 4, {"x": (16.0, 6.0)}, [
        "a feeds two nodes (b, c); recursion sent its gradient on to x after the first term "
        "(3), so the rest (5) never arrived: x gets 6 instead of 16."]),
    "assign_not_accumulate": ("a", 1, {"a": (2.0, 1.0)}, [
        "a is used twice (both by out); `=` kept only the last term (1) and dropped the "
        "first (1), where `+=` adds both: a gets 1 instead of 2."]),
    "no_zero_grad": ("x", 1, {"x": (0.5, 1.0), "w": (3.0, 6.0)}, [
        "x is a leaf and nothing zeroed it after step 1", "x gets 1 instead of 0.5"]),
    "double_count_second_backward": ("h", 1, {"h": (3.0, 6.0), "x": (12.0, 18.0)}, [
        "h is made by an op", "adds it to the 3 left from the first call and sends 6 on",
        "h gets 6 instead of 3"]),
    "relu_grad_at_zero_is_one": ("z", 1, {"z": (0.0, 1.0), "x": (0.0, 1.0)}, [
        "z = 0 exactly, ReLU's kink: the engine takes relu′(0) = 0",
        "z gets 1 instead of 0"]),
    "forgot_local_derivative": ("w", 1, {"w": (2.0, 1.0), "x": (3.0, 1.0)}, [
        "w enters out with local derivative ∂out/∂w = 2", "w gets 1 instead of 2"]),
}  # fmt: skip


def smallest(name: str) -> Value:
    """The smallest graph of the variant `name`, freshly built."""
    make = lab.VARIANTS[name].smallest_graph
    assert make is not None
    return make()


def test_the_lab_has_the_six_variants_each_with_its_smallest_graph() -> None:
    assert set(SMALLEST) <= set(lab.VARIANTS)
    for name in SMALLEST:
        variant = lab.VARIANTS[name]
        assert variant.smallest_graph is not None
        assert getattr(lab, name) is variant.backward  # al.lab.recursive_no_sort, …
        assert variant.summary and "the bug" in _source(variant.backward)


def _source(function: object) -> str:
    import inspect

    from autograd_lite.learn.variants import send_on

    text = inspect.getsource(function)  # type: ignore[arg-type]
    return text + (inspect.getsource(send_on) if function is lab.recursive_no_sort else "")


@pytest.mark.parametrize("name", sorted(SMALLEST))
def test_each_smallest_graph_shows_its_bug_and_says_why(name: str) -> None:
    node, frame, differing, phrases = SMALLEST[name]
    result = lab.compare(smallest(name), name)
    assert {d.name: (d.engine, d.variant) for d in result.differences} == differing
    first = result.first_divergence
    assert first is not None and (first.name, first.frame) == (node, frame)
    for phrase in phrases:
        assert phrase in first.sentence
    assert first.sentence.count(". ") == 0 and first.sentence.endswith(".")  # one sentence


@pytest.mark.parametrize("name", sorted(SMALLEST))
def test_the_first_divergence_is_the_frame_the_player_shows_of_that_node(name: str) -> None:
    pytest.importorskip("graphviz")
    result = lab.compare(smallest(name), name)
    first = result.first_divergence
    assert first is not None
    frames = result.frames()
    assert len(frames) == len(result.names)
    # the frame's current node (orange, with its chain-rule product) is the wrong node
    current = re.search(r"∂\w+/∂(\w+) = ", _orange_text(frames[first.frame].source))
    assert current is not None and current.group(1) == first.name
    # and no earlier frame is at a node the variant gets wrong
    wrong = {d.node for d in result.differences}
    order = engine.topological_order(result.root)
    assert [n for n in reversed(order)][: first.frame + 1][-1] in wrong
    assert not wrong & set(list(reversed(order))[: first.frame])


def _orange_text(source: str) -> str:
    from autograd_lite.viz.style import CURRENT

    return " ".join(re.findall(f'<font color="{CURRENT}" point-size="11">([^<]*)</font>', source))


def test_on_the_seed_network_recursion_loses_the_second_term_into_a2_1() -> None:
    mlp, _, _, J = seed_loss()
    result = lab.compare(J, "recursive_no_sort", params=mlp)
    first = result.first_divergence
    assert first is not None and first.name == "z⁽²⁾₁" and first.frame == 21
    assert first.sentence.startswith(
        "a⁽²⁾₁ feeds two nodes (z⁽³⁾₁, z⁽³⁾₂); recursion sent its gradient on to z⁽²⁾₁ "
        "after the first term (-0.05608), so the rest (1.093) never arrived"
    )
    assert math.isclose(result.engine[first.node], 1.0373, abs_tol=1e-4)
    # below z⁽²⁾₁, everything that gets its gradient from it is wrong too; unit 2 is not
    # (its gate is closed: 0 either way)
    assert {d.name for d in result.differences} == {"z⁽²⁾₁", "Θ⁽²⁾₁₁", "Θ⁽²⁾₁₂", "b⁽²⁾₁"}


def test_compare_prints_a_table_of_both_values() -> None:
    result = lab.compare(smallest("recursive_no_sort"), "recursive_no_sort")
    text = str(result)
    assert repr(result) == text
    lines = text.splitlines()
    assert lines[0] == (
        "compare(out, recursive_no_sort), against the engine's out.backward(): "
        "1 of 5 nodes differs"
    )
    assert lines[1].split() == ["node", "engine", "recursive_no_sort"]
    assert lines[2].split() == ["x", "16", "6"]
    assert lines[3].startswith("first wrong at x, step 5 of 5 of the backward pass: a feeds")
    right = lab.compare(Value(2.0, "x") * Value(3.0, "w"), "recursive_no_sort")
    assert right.first_divergence is None and right.differences == ()
    assert str(right).endswith("no node differs; on this graph recursive_no_sort is right.")


def test_nearly_equal_numbers_are_shown_with_the_digits_that_tell_them_apart() -> None:
    root = Value(1.0, "x") * 3.0

    def off_by_a_little(r: Value) -> dict[Value, float]:
        return {r: 1.0, r.parents[0]: 3.0 + 1e-7}

    result = lab.compare(root, off_by_a_little)
    assert str(result).splitlines()[2].split() == ["x", "3", "3.0000001"]


# --- the variants are kept apart from the engine -------------------------------------------


def _state(root: Value) -> object:
    order = engine.topological_order(root)
    return (
        [(n.data, n.grad, n.edges, n.op, n.label) for n in order],
        modes.current() is modes.DEFAULT,
        gc.isenabled(),
        collector._blocks,
        dict(engine.OPS),
        dict(vars(Value)),
        engine.propagate,
    )


@pytest.mark.parametrize("name", sorted(SMALLEST))
def test_a_variant_leaves_the_graph_and_the_engine_as_they_were(name: str) -> None:
    for make in (lambda: seed_loss()[3], lambda: smallest(name)):
        root = make()
        for node in engine.topological_order(root):
            node.grad = 7.0  # whatever the user's graph held: it must keep it
        before = _state(root)
        lab.VARIANTS[name].backward(root)
        lab.compare(root, name)
        assert _state(root) == before
        # and backward() on it still gives what it gives on an identical graph
        twin = make()
        for node in engine.topological_order(twin):
            node.grad = 7.0
        root.backward()
        twin.backward()
        grads = [[n.grad for n in engine.topological_order(r)] for r in (root, twin)]
        assert grads[0] == grads[1]


def test_the_engine_side_is_the_engines_own_backward_on_a_copy() -> None:
    _, _, _, J = seed_loss()  # J.backward() has run: every grad is the engine's
    result = lab.compare(J, "forgot_local_derivative")
    assert result.engine == {n: n.grad for n in engine.topological_order(J)}  # bit for bit
    story = lab.compare(J, "double_count_second_backward").engine
    for node in engine.topological_order(J):  # two calls: leaves twice, interior once
        assert story[node] == (node.grad if node.edges else 2 * node.grad)


# --- each variant is wrong only where its bug is: fuzzed --------------------------------------


@st.composite
def trees(draw: st.DrawFn, depth: int = 4) -> Value:
    """A random expression tree: every node used once (fresh leaves), no relu kink."""
    if depth == 0 or draw(st.booleans()):
        return Value(draw(reals(-2.0, 2.0)))
    op = draw(st.sampled_from(["+", "*", "tanh", "relu", "exp"]))
    a = draw(trees(depth - 1))
    if op in ("+", "*"):
        b = draw(trees(depth - 1))
        return a + b if op == "+" else a * b
    if op == "relu":
        return (a + 0.123).relu() if a.data != -0.123 else a.tanh()
    return a.tanh() if op == "tanh" else (a * 0.1).exp()


@given(trees())
def test_on_a_tree_recursion_and_assignment_are_right(root: Value) -> None:
    if not root.edges:
        root = root * 1.0
    for name in ("recursive_no_sort", "assign_not_accumulate"):
        assert lab.compare(root, name).differences == ()


@given(programs())
def test_no_zero_grad_doubles_the_leaves_and_nothing_else(program: Program) -> None:
    program = program.checked()  # no overflow, no kink
    root = program(*(Value(x) for x in program.leaves))
    result = lab.compare(root, "no_zero_grad")
    for node in engine.topological_order(root):
        expected = 2 * result.engine[node] if not node.edges else result.engine[node]
        assert math.isclose(result.wrong[node], expected, rel_tol=1e-9, abs_tol=1e-12)


@given(programs())
def test_forgetting_local_derivatives_is_harmless_only_where_they_are_1(program: Program) -> None:
    program = program.checked()  # no overflow, no kink
    root = program(*(Value(x) for x in program.leaves))
    result = lab.compare(root, "forgot_local_derivative")
    order = engine.topological_order(root)
    units = {root: True}  # node: every path from it up to the root has local derivatives 1
    for node in reversed(order):
        for x, local in value_inputs(node):
            units[x] = units.get(x, True) and units[node] and local == 1.0
    assert not any(units[d.node] for d in result.differences)


@given(
    st.lists(st.tuples(st.sampled_from(["+", "*", "relu"]), st.integers(0, 99), st.integers(0, 99)),
             min_size=1, max_size=8),
    st.lists(reals(-2.0, 2.0), min_size=1, max_size=3),
)  # fmt: skip
def test_double_count_is_what_micrograd_0_1_0_does_on_a_second_backward(
    steps: list[tuple[str, int, int]], leaves: list[float]
) -> None:
    ours = [Value(x) for x in leaves]
    theirs = [micrograd.Value(x) for x in leaves]  # micrograd 0.1.0: the test group has it
    for op, i, j in steps:
        a, b = i % len(ours), j % len(ours)
        if op == "relu":
            ours.append(ours[a].relu())
            theirs.append(theirs[a].relu())
        else:
            f = operator.add if op == "+" else operator.mul
            ours.append(f(ours[a], ours[b]))
            theirs.append(f(theirs[a], theirs[b]))
    root, their_root = reduce(operator.add, ours[1:], ours[0]), reduce(
        operator.add, theirs[1:], theirs[0]
    )
    if not root.edges:
        return
    their_root.backward()
    their_root.backward()
    ours.append(root)
    theirs.append(their_root)
    wrong = lab.double_count_second_backward(root)
    for mine, other in zip(ours, theirs):
        assert math.isclose(wrong[mine], other.grad, rel_tol=1e-9, abs_tol=1e-9)


def test_the_lab_chain_rule_is_the_engines_bit_for_bit() -> None:
    _, _, _, J = seed_loss()
    order = engine.topological_order(J)
    grads = {n: 0.0 for n in order}
    grads[J] = 1.0
    chain_rule(order, grads)
    assert grads == {n: n.grad for n in order}


# --- a backward of your own, and bad input --------------------------------------------------


def test_your_own_backward_is_compared_with_one_engine_backward() -> None:
    out = smallest("recursive_no_sort")

    def textbook(root: Value) -> dict[Value, float]:
        order = engine.topological_order(root)
        grads = {n: 0.0 for n in order}
        grads[root] = 1.0
        chain_rule(order, grads)
        return grads

    assert lab.compare(out, textbook).differences == ()

    def halves_x(root: Value) -> dict[Value, float]:
        grads = textbook(root)
        x = next(n for n in grads if n.label == "x")
        grads[x] /= 2
        return grads

    first = lab.compare(out, halves_x).first_divergence
    assert first is not None and first.sentence == (
        "x gets 8 instead of 16, though the node that uses it (a) has the engine's "
        "gradient, so the mistake is in what it sends to x."
    )


def test_compare_refuses_bad_input_clearly() -> None:
    out = Value(2.0, "x") * 3.0
    with pytest.raises(TypeError, match=r"compare needs a Value as root, got float 2\.0"):
        lab.compare(2.0, "recursive_no_sort")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a root made by an op, got the leaf"):
        lab.compare(Value(1.0), "recursive_no_sort")
    with pytest.raises(ValueError, match="no variant 'recursive'; the lab has recursive_no_sort"):
        lab.compare(out, "recursive")
    with pytest.raises(TypeError, match=r"variant must be a name in lab\.VARIANTS.*got int 3"):
        lab.compare(out, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"must return a dict \{node: gradient\}, got list"):
        lab.compare(out, lambda root: [1.0])  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="the gradient str 'one', not a number"):
        lab.compare(out, lambda root: {root: "one"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="the local derivative inf"):
        lab.compare(Value(0.0).sqrt() * 2.0, "recursive_no_sort")
    big = al.total([Value(float(i)) for i in range(lab.MAX_NODES)])
    with pytest.raises(ValueError, match="2,001 nodes, above MAX_NODES = 2,000"):
        lab.compare(big, "recursive_no_sort")


def test_recursion_past_pythons_limit_is_a_clear_error() -> None:
    x = Value(1.0, "x")
    root = x
    for _ in range(sys.getrecursionlimit() + 100):
        root = root * 1.0
    if len(engine.topological_order(root)) > lab.MAX_NODES:
        pytest.skip("this Python's recursion limit is above the lab's MAX_NODES")
    with pytest.raises(ValueError, match=r"recursed past Python's limit of \d+ calls"):
        lab.compare(root, "recursive_no_sort")
    assert lab.compare(root, "assign_not_accumulate").differences == ()  # the sort is iterative


# --- pictures and the player ------------------------------------------------------------------


def test_draw_marks_exactly_the_nodes_that_differ() -> None:
    pytest.importorskip("graphviz")
    from autograd_lite.viz.style import WRONG

    result = lab.compare(smallest("forgot_local_derivative"), "forgot_local_derivative")
    source = result.draw().source
    box = rf'<table border="3" color="{WRONG}"[^>]*><tr><td[^>]*><b>(\w+)</b>'
    outlined = re.findall(box, source)
    assert sorted(outlined) == ["w", "x"]
    assert "forgot_local_derivative: 1" in source
    assert "forgot_local_derivative gets this grad wrong" in source  # the legend says so
    assert "grad 2" in source and "grad 3" in source  # the engine's gradients in the boxes


@needs_dot
def test_the_player_opens_at_the_first_divergence_and_says_why() -> None:
    pytest.importorskip("anywidget")
    result = lab.compare(smallest("recursive_no_sort"), "recursive_no_sort")
    player = result.player()
    assert player.step == 4 and len(player.frames) == 5
    assert player.caption == (
        "Step 5, x, is where recursive_no_sort first goes wrong: a feeds two nodes (b, c); "
        "recursion sent its gradient on to x after the first term (3), so the rest (5) never "
        "arrived: x gets 6 instead of 16."
    )


def test_comparing_loads_no_graphviz_until_it_draws() -> None:
    code = (
        "import sys, autograd_lite as al\n"
        "r = al.lab.compare(al.lab.VARIANTS['recursive_no_sort'].smallest_graph(), "
        "'recursive_no_sort')\n"
        "print(str(r).count('differs'), sorted(m for m in sys.modules if 'graphviz' in m))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "[]"]


@needs_dot
def test_the_compare_figure_shows_the_wrong_node_in_red_at_full_size_in_a_browser(
    browser: WebDriver, tmp_path: Path
) -> None:
    from PIL import Image

    from autograd_lite.viz import PortableFigure
    from autograd_lite.viz.style import WRONG

    result = lab.compare(smallest("recursive_no_sort"), "recursive_no_sort")
    figure = PortableFigure(result.draw())  # what notebook 05 shows
    data, _ = figure._repr_mimebundle_()
    image = base64.b64encode(data["image/svg+xml"].encode()).decode("ascii")  # sized to show
    page = tmp_path / "compare.html"
    page.write_text(
        '<!doctype html><body style="margin:0"><div style="width:950px">'  # JupyterLab's output
        f'<img id="figure" style="max-width:100%" src="data:image/svg+xml;base64,{image}">'
        "</div></body>",
        "utf-8",
    )
    browser.get(page.as_uri())
    shown = browser.execute_script("return document.getElementById('figure').clientWidth")
    assert shown == figure.size().width  # drawn at the size chosen for it, not shrunk further
    assert figure.size().text_pt >= 8  # where its text is still 8 pt or more
    png = Image.open(io.BytesIO(screenshot(browser, "lab_compare_diamond"))).convert("RGB")
    red = tuple(int(WRONG[i : i + 2], 16) for i in (1, 3, 5))
    reds = [xy for xy, colour in _pixels(png) if colour == red]
    assert len(reds) > 500  # the outline of x's box and its red row
    top = min(y for _, y in reds)
    assert top < png.height / 4  # at the top of the figure, where x is


def _pixels(png: object) -> list[tuple[tuple[int, int], tuple[int, int, int]]]:
    width, height = png.size  # type: ignore[attr-defined]
    data = png.load()  # type: ignore[attr-defined]
    return [((x, y), data[x, y]) for y in range(height) for x in range(width)]
