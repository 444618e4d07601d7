"""The explorer (viz.explore): a page whose JavaScript, generated from the engine's rules,
gives the engine's numbers; refusals before anything is written; and, in Chromium, the
page itself: sliders, gates, the engine's error text, stepping, clicking, a picture.

The JavaScript is compared with the engine two ways: a fuzzer runs the generated code of
random graphs of every op in the browser (no page, many graphs a second), and the pages
of a graph with every op and of the seed network are moved slider by slider.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from browser import distinct_colours, screenshot
from hypothesis import given, settings
from hypothesis import strategies as st
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from strategies import Program, programs

import autograd_lite as al
from autograd_lite import Value, viz
from autograd_lite.atomic import NotARegularFileError
from autograd_lite.compiler import jscode
from autograd_lite.core import engine

REL = 1e-12


def close(a: float, b: float, scale: float = 0.0) -> bool:
    """a and b equal to 1e-12 relative (of the larger, or of `scale`: a sum's terms)."""
    return a == b or abs(a - b) <= REL * max(abs(a), abs(b), scale)


def every_op(x: Value, y: Value, w: Value) -> Value:
    """One graph with every op of the engine, each inside its domain near x, y, w."""
    parts = [x + y, x - y, x * y, x / (y * y + 1.0), (x * x + 0.5) ** 1.5, (x * x + 0.5) ** y,
             -x, (0.5 * x).exp(), (x * x + 1.0).log(), (y * y + 0.25).sqrt(), x.tanh(),
             y.sigmoid(), (x * w).relu(), (y * w).leaky_relu(), abs(x - 2.0 * y),
             al.dot([x, y], [w, 2.0], bias=y)]  # fmt: skip
    return al.total(parts)


def engine_numbers(build: Any, values: list[float]) -> tuple[list[float], list[float]]:
    leaves = [Value(v) for v in values]
    root = build(*leaves)
    root.backward()
    order = engine.topological_order(root)
    return [n.data for n in order], [n.grad for n in order]


# --- without a browser -----------------------------------------------------------------------


def test_every_op_of_the_engine_has_javascript() -> None:
    covered = {node.op for node in engine.topological_order(every_op(Value(0.3), Value(0.7),
                                                                     Value(-1.2)))}  # fmt: skip
    assert covered - {""} == set(engine.OPS)  # a new op must be added here, and to jscode
    jscode.program(engine.topological_order(every_op(Value(0.3), Value(0.7), Value(-1.2))))


@pytest.mark.parametrize("code", ["x // y", "x ** y", "f(x)", "x if y else z if w else v[0]"])
def test_a_construct_without_javascript_fails_loudly_naming_the_op(code: str) -> None:
    with pytest.raises(ValueError, match=r"jscode: the rule of 'softplus' (uses|calls)"):
        jscode.js(code, "softplus")


def test_the_page_is_self_contained(tmp_path: Path) -> None:
    x = Value(0.5, "x")
    page = viz.explore((x * 2.0).relu(), tmp_path / "p.html")
    text = (tmp_path / "p.html").read_text("utf-8")
    assert isinstance(page, viz.Explorer) and text == page.html()
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", text)
    assert all(not link.startswith(("http", "//")) for link in links), links
    assert "<link" not in text and "import(" not in text
    assert "function evaluate(L)" in text and "window.alExplorer" in text


@pytest.mark.parametrize(
    ("path", "error", "words"),
    [
        ("graph.svg", ValueError, "give a path ending in .html"),
        (3, TypeError, "path must be a str or os.PathLike"),
    ],
)
def test_a_bad_path_is_refused_before_anything_is_drawn(
    path: Any, error: type, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    drawn: list[object] = []
    monkeypatch.setattr(viz.explorer, "image_bytes", lambda *a, **k: drawn.append(a))
    with pytest.raises(error, match=words):
        viz.explore(Value(1.0) * 2.0, path)
    assert drawn == [] and list(tmp_path.iterdir()) == []


def test_a_directory_or_fifo_target_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "d.html").mkdir()
    with pytest.raises(NotARegularFileError, match=r"d\.html"):
        viz.explore(Value(1.0) * 2.0, tmp_path / "d.html")
    assert (tmp_path / "d.html").is_dir()
    fifo = tmp_path / "f.html"


    os.mkfifo(fifo)
    (tmp_path / "link.html").symlink_to(fifo)
    with pytest.raises(NotARegularFileError, match=r"link\.html"):
        viz.explore(Value(1.0) * 2.0, tmp_path / "link.html")
    assert fifo.is_fifo()


def test_a_graph_over_the_draw_budget_is_refused_with_its_one_line_message() -> None:
    x = Value(0.5)
    y = x
    for _ in range(700):
        y = y * 1.0001 + x
    with pytest.raises(ValueError, match=r"^explore: .*nodes [\d,]+ > [\d,]+") as caught:
        viz.explore(y)
    assert "\n" not in str(caught.value)


def test_the_command_line_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    done = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "draw", "relu(x*w + b)", "x=0.5", "w=-1", "b=2",
         "-o", str(out)], capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "function evaluate(L)" in out.read_text("utf-8")


# --- in Chromium -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blank(browser: WebDriver, tmp_path_factory: pytest.TempPathFactory) -> WebDriver:
    page = tmp_path_factory.mktemp("js") / "blank.html"
    page.write_text("<!doctype html><meta charset='utf-8'><title>js</title>", "utf-8")
    browser.get(page.as_uri())
    return browser


def run_js(driver: WebDriver, order: list[Value], leaves: list[float]) -> dict[str, Any]:
    source = jscode.program(order)
    return driver.execute_script(source + "\nreturn evaluate(arguments[0]);", leaves)  # type: ignore[no-any-return]


@settings(max_examples=40, deadline=None)
@given(programs(max_leaves=3, max_steps=12), st.lists(st.floats(-3.0, 3.0), min_size=3,
                                                       max_size=3))  # fmt: skip
def test_fuzz_the_generated_javascript_gives_the_engines_numbers_or_its_error(
    blank: WebDriver, program: Program, moved: list[float]
) -> None:
    program = program.checked()
    leaves = [Value(v) for v in program.leaves]
    root = program(*leaves)
    order = engine.topological_order(root)
    index = {node: k for k, node in enumerate(order)}
    # the page is made at the traced numbers, then a slider moves the leaves
    for values in (list(program.leaves), moved[: len(program.leaves)]):
        L = [0.0] * len(order)
        for leaf, v in zip(leaves, values):
            if leaf in index:
                L[index[leaf]] = v
        try:
            data, grads = engine_numbers(program, values)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            got = run_js(blank, order, L)
            assert got.get("error") == str(error), (got, error)
            continue
        got = run_js(blank, order, L)
        assert "error" not in got, got
        scale = max(abs(g) for g in grads)
        assert all(close(a, b) for a, b in zip(got["d"], data)), (got["d"], data)
        assert all(close(a, b, scale) for a, b in zip(got["g"], grads)), (got["g"], grads)


TRICKY = [0.1, -0.5, 2.0, -1.0, 1e16, 9999999999999998.0, 1e-4, 9.999e-5, 1e-5, 1e22, -0.0,
          0.0, 5e-324, 1.7976931348623157e308, 123456789.0, 1 / 3]


def test_numbers_in_messages_are_written_as_pythons_repr(blank: WebDriver) -> None:
    got = blank.execute_script(jscode.PRELUDE + "\nreturn arguments[0].map(pyRepr);", TRICKY)
    assert got == [repr(x) for x in TRICKY]
    infinities = blank.execute_script(jscode.PRELUDE + "\nreturn [pyRepr(Infinity), "
                                      "pyRepr(-Infinity), pyRepr(NaN)];")  # fmt: skip
    assert infinities == ["inf", "-inf", "nan"]


@pytest.fixture(scope="module")
def every_op_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    x, y, w = Value(0.3, "x"), Value(0.7, "y"), Value(-1.2, "w")
    J = every_op(x, y, w)
    J.label = "J"
    J.backward()
    return viz.explore(J).save(tmp_path_factory.mktemp("ex") / "every_op.html")


def state(driver: WebDriver) -> dict[str, Any]:
    return driver.execute_script("return window.alExplorer.state()")  # type: ignore[no-any-return]


def test_sliders_swept_give_the_engines_numbers_for_every_op(
    browser: WebDriver, every_op_page: Path
) -> None:
    browser.get(every_op_page.as_uri())
    positions = [(0.3, 0.7, -1.2), (-0.8, 1.9, 0.4), (1.7, -0.2, 2.5), (0.0, 0.0, 0.0)]
    for x, y, w in positions:
        for k, v in zip((0, 1, 2), (x, y, w)):
            slider = browser.find_elements(By.CSS_SELECTOR, "#al-leaves input[type=range]")[k]
            browser.execute_script("window.alExplorer.set(Number(arguments[0].dataset.leaf),"
                                   " arguments[1])", slider, v)  # fmt: skip
        got = state(browser)
        data, grads = engine_numbers(every_op, [x, y, w])
        assert got["error"] == ""
        scale = max(abs(g) for g in grads)
        assert all(close(a, b) for a, b in zip(got["d"], data)), (x, y, w)
        assert all(close(a, b, scale) for a, b in zip(got["g"], grads)), (x, y, w)
        shown = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#al-graph text")]
        assert not any("nan" in t for t in shown)


def test_a_real_slider_drag_moves_the_numbers(browser: WebDriver, every_op_page: Path) -> None:
    browser.get(every_op_page.as_uri())
    before = state(browser)["d"][-1]
    box = browser.find_elements(By.CSS_SELECTOR, "#al-leaves input[type=number]")[0]
    box.clear()
    box.send_keys("1.25", Keys.ENTER)
    got = state(browser)
    data, grads = engine_numbers(every_op, [1.25, 0.7, -1.2])
    assert got["d"][-1] != before and close(got["d"][-1], data[-1])
    assert close(got["g"][0], grads[0], max(map(abs, grads)))


def test_outside_a_domain_the_page_shows_the_engines_error_and_no_nan(
    browser: WebDriver, tmp_path: Path
) -> None:
    x = Value(0.5, "x")
    J = (x + 1.0).log() * 2.0
    J.backward()
    browser.get(viz.explore(J).save(tmp_path / "log.html").as_uri())
    browser.execute_script("window.alExplorer.set(0, -2.0)")
    with pytest.raises(ValueError) as caught:
        (Value(-2.0) + 1.0).log()
    error = browser.find_element(By.ID, "al-error").text
    assert error.endswith(str(caught.value)) and "log needs a positive input, got -1.0" in error
    texts = " ".join(t.text for t in browser.find_elements(By.CSS_SELECTOR, "#al-graph text"))
    assert "nan" not in texts and "inf" not in texts
    browser.execute_script("window.alExplorer.set(0, 1.0)")
    assert browser.find_element(By.ID, "al-error").text == ""


def test_a_relu_gate_closes_and_opens_as_its_input_crosses_zero(
    browser: WebDriver, tmp_path: Path
) -> None:
    x, w = Value(0.5, "x"), Value(2.0, "w")
    J = (x * w).relu()
    J.backward()
    browser.get(viz.explore(J).save(tmp_path / "gate.html").as_uri())
    gate = browser.find_element(By.XPATH, "//*[local-name()='g'][./*[local-name()='title']"
                                          "[text()='v3_op']]")  # fmt: skip
    assert gate.get_attribute("data-open") == "true"
    browser.execute_script("window.alExplorer.set(0, -0.5)")
    assert gate.get_attribute("data-open") == "false"
    assert "gate 0" in gate.text and state(browser)["g"][0] == 0.0
    browser.execute_script("window.alExplorer.set(0, 0.0)")  # relu'(0) = 0, as PyTorch
    assert gate.get_attribute("data-open") == "false"


def test_stepping_through_backward_and_clicking_write_the_chain_rule(
    browser: WebDriver, tmp_path: Path
) -> None:
    x, w, b = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b")
    z = x * w + b
    z.label = "z"
    a = z.relu()
    a.label = "a"
    a.backward()
    browser.get(viz.explore(a).save(tmp_path / "steps.html").as_uri())
    text = browser.find_element(By.ID, "al-explain")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)  # step 1: the root
    assert text.text == "∂a/∂a = 1: where backward starts"
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)  # step 2: z
    assert text.text.startswith("∂a/∂z = ∂a/∂a · 1[z>0]") and text.text.endswith("= 1")
    assert "step 2 of 6: z" in browser.find_element(By.ID, "al-step-text").text
    w_box = browser.find_element(By.XPATH, "//*[local-name()='g'][./*[local-name()='title']"
                                           "[text()='v1']]")  # fmt: skip
    w_box.click()
    assert text.text.startswith("∂a/∂w = ∂a/∂v₂ · ∂v₂/∂w") and text.text.endswith(f"= {w.grad:g}")
    png = screenshot(browser, "explorer_steps")
    assert distinct_colours(png) > 8  # the graph's fills, the orange outline, text


def test_the_seed_networks_explorer_moves_a_parameter_as_the_engine_does(
    browser: WebDriver, tmp_path: Path
) -> None:
    from autograd_lite.app.demos.seed import seed_loss

    mlp, x, y, J = seed_loss()
    page = viz.explore(J, params=mlp).save(tmp_path / "seed.html")
    browser.get(page.as_uri())
    order = engine.topological_order(J)
    theta = mlp.layers[0].neurons[0].w[1]
    k = order.index(theta)
    browser.execute_script("window.alExplorer.set(arguments[0], 0.25)", k)
    theta.data = 0.25
    mlp.zero_grad()
    J2 = al.losses.half_squared_error(mlp(x), y)
    J2.backward()
    got = state(browser)
    assert close(got["d"][-1], J2.data)
    for p in mlp.parameters():
        assert close(got["g"][order.index(p)], p.grad, 1.0), p.label
    names = browser.execute_script("return window.alExplorer.names")
    assert "Θ⁽²⁾₁₂" in names and names[-1] == "J"
    assert distinct_colours(screenshot(browser, "explorer_seed")) > 8
    assert not math.isnan(got["d"][-1])


def test_in_jupyter_the_bundle_holds_the_widget_and_a_picture_for_viewers_without_it() -> None:
    pytest.importorskip("anywidget")
    x = Value(0.5, "x")
    J = (x * 2.0).relu()
    J.backward()
    data, _ = viz.explore(J)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "image/png" in data or "image/svg+xml" in data  # what an unexecuted notebook shows
    assert data["text/plain"] == "Explorer(3 values, 1 leaf)"


def test_an_op_of_your_own_gets_javascript_too(blank: WebDriver) -> None:
    al.define_op("softplus", "log(1.0 + exp(x))", "sigmoid(x)")
    try:
        x = Value(-0.8)
        root = (x * 3.0).softplus() * x.softplus()  # type: ignore[attr-defined]
        root.backward()
        order = engine.topological_order(root)
        got = run_js(blank, order, [n.data if not n.edges else 0.0 for n in order])
        assert all(close(a, n.data) for a, n in zip(got["d"], order))
        assert all(close(a, n.grad) for a, n in zip(got["g"], order))
    finally:
        al.undefine_op("softplus")
