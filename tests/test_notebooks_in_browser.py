"""The committed notebooks as a learner sees them, in headless Chromium (issue 20 §3–4).

- Opened unexecuted in JupyterLab 4, untrusted, as a fresh clone opens them: every saved
  figure is a picture actually drawn (an <img> or <svg> of nonzero size, loaded), it fits
  its output area and is at most 1,000 px wide, and its smallest text is at least 8 pt as
  drawn (the figure's smallest font, from dot's layout, times the scale it is drawn at).
- The same in nbconvert's HTML with scripts off: a static page.
- Notebook 01 run in that JupyterLab: as the backward-pass player plays, and as it steps,
  the current node (its orange outline) stays inside the player's box and the window.

Screenshots of every figure, and of the player at several steps, are kept under
out/screenshots/ for a person to look at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser import WINDOW, distinct_colours, screenshot
from figures import needs_dot
from lab_server import NOTEBOOKS, JupyterLab
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from autograd_lite.viz.display import MIN_TEXT_PT

pytestmark = needs_dot

SAVED = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
#: The widest a figure may be drawn, in CSS px (issue 20: JupyterLab's output is ~950 px).
MAX_WIDTH = 1000
#: Seconds to wait for a page to show what it should (a cold JupyterLab takes a few).
LOAD = 90


def saved_figures(path: Path) -> list[tuple[int, int, dict[str, Any]]]:
    """(cell index, output index, output) of every saved output that is a picture."""
    notebook = nbformat.read(str(path), as_version=4)
    return [
        (c, k, output)
        for c, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for k, output in enumerate(cell.outputs)
        if "image/png" in output.get("data", {})
    ]


# Measures output k of cell c as drawn: the picture (an <img> or inline <svg>; inside a
# panning box, the box is what must fit), its output area and what it shows instead when
# it is not a picture. The cell is scrolled into view first: JupyterLab skips the layout
# of cells out of view.
MEASURE = """
const [cellSelector, c, k] = arguments;
const cell = document.querySelectorAll(cellSelector)[c];
const child = cell && cell.querySelectorAll('.jp-OutputArea-child')[k];
if (!child) return null;
child.scrollIntoView({block: 'start'});
const out = child.querySelector('.jp-OutputArea-output');
const picture = out.querySelector('img, svg');
const rect = (e) => { const r = e.getBoundingClientRect();
  return {left: r.left, right: r.right, width: r.width, height: r.height}; };
if (!picture) return {text: out.textContent.slice(0, 200)};
const pan = picture.closest('.autograd-lite-pan');
return {
  tag: picture.tagName.toLowerCase(), picture: rect(picture), output: rect(out),
  shown: rect(pan || picture), pans: !!pan,
  loaded: picture.tagName !== 'IMG' || (picture.complete && picture.naturalWidth > 0),
  naturalWidth: picture.naturalWidth || null,
};
"""


def check_figure(measured: dict[str, Any] | None, output: dict[str, Any], where: str) -> None:
    """The figure is a picture, drawn, fitting its output, with text ≥ MIN_TEXT_PT."""
    assert measured is not None, f"{where}: no output drawn"
    assert "tag" in measured, f"{where} shows text, not a picture: {measured['text']!r}"
    picture, shown, area = measured["picture"], measured["shown"], measured["output"]
    assert measured["loaded"] and picture["width"] > 0 and picture["height"] > 0, where
    assert shown["width"] <= MAX_WIDTH and shown["right"] <= area["right"] + 1, (where, measured)
    sizes = output.get("metadata", {}).get("autograd_lite")
    if sizes is None:  # matplotlib: drawn at its own pixels, never shrunk (fonts: test_style)
        assert picture["width"] >= measured["naturalWidth"] - 1, (where, measured)
    else:
        text_pt = sizes["smallest_text_pt"] * picture["width"] / sizes["natural_width"]
        assert text_pt >= MIN_TEXT_PT - 0.05, f"{where}: its smallest text is {text_pt:.1f} pt"
        assert measured["pans"] == sizes["pans"], where


#: The cells of the notebook on show in JupyterLab
CELLS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell"
# Closes every tab and opens notebook arguments[0] with JupyterLab's own commands
# Every open notebook is marked unchanged first: JupyterLab may mark one changed on its own
# after a test opened it, and close-all would then stop at a "Save your work" dialog (the
# tests never save a notebook).
OPEN = """
const [path, done] = arguments;
for (const widget of jupyterapp.shell.widgets('main')) {
  if (widget.context && widget.context.model) widget.context.model.dirty = false;
}
jupyterapp.commands.execute('application:close-all')
  .then(() => jupyterapp.commands.execute('docmanager:open', {path}))
  .then(() => done(true), (error) => done(String(error)));
"""


def drawn(driver: WebDriver, c: int, k: int) -> dict[str, Any] | None:
    """MEASURE's answer once output k of cell c is there and its picture, if any, loaded."""
    measured: dict[str, Any] | None = driver.execute_script(MEASURE, CELLS, c, k)
    return measured if measured and measured.get("loaded") is not False else None


def open_in_jupyterlab(driver: WebDriver, lab: JupyterLab, name: str) -> None:
    """Opens notebook `name` alone in JupyterLab and waits for its last cell; JupyterLab
    itself is loaded once (a fresh workspace), then reused."""
    cells = len(nbformat.read(str(lab.root / name), as_version=4).cells)
    if not driver.current_url.startswith(lab.url):
        driver.get(f"{lab.url}/lab?reset")
        WebDriverWait(driver, LOAD).until(
            lambda d: d.execute_script("return !!(window.jupyterapp && jupyterapp.shell)")
        )
        driver.execute_async_script(
            "const done = arguments[0]; jupyterapp.restored.then(() => done(true));"
        )
    assert driver.execute_async_script(OPEN, name) is True
    WebDriverWait(driver, LOAD).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, CELLS)) == cells
    )


@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.stem[:2])
def test_every_saved_figure_is_a_picture_that_fits_in_jupyterlab_unexecuted(
    browser: WebDriver, jupyterlab: JupyterLab, path: Path
) -> None:
    figures = saved_figures(path)
    assert figures, "every notebook has figures"
    open_in_jupyterlab(browser, jupyterlab, path.name)
    for number, (c, k, output) in enumerate(figures, start=1):
        where = f"{path.stem} cell {c} output {k}"
        measured = WebDriverWait(browser, LOAD).until(lambda d, c=c, k=k: drawn(d, c, k))
        png = screenshot(browser, f"jupyterlab_{path.stem[:2]}_figure{number}")
        check_figure(measured, output, where)
        assert distinct_colours(png) > 8, where


def wide_figure() -> Any:
    """A PortableFigure too wide to read at a notebook's width: a sum of 24 inputs."""
    from autograd_lite import viz
    from autograd_lite.core import nary
    from autograd_lite.core.engine import Value

    out = nary.total([Value(0.25 * k, f"x{k}") for k in range(24)])
    out.backward()
    return viz.PortableFigure(viz.draw_graph(out))


def test_untrusted_an_svg_only_output_is_text_and_a_wide_figure_pans(
    browser: WebDriver, jupyterlab: JupyterLab
) -> None:
    """The check above can fail: JupyterLab shows an untrusted output that has only
    image/svg+xml as its text/plain line, as it did every graph figure before. And a figure
    too wide to read at the page's width survives the sanitizer as a box that pans."""
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("figures")
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40"/></svg>'
    data, metadata = wide_figure()._repr_mimebundle_()
    cell.outputs = [
        nbformat.v4.new_output("display_data", {"image/svg+xml": svg, "text/plain": "P(…)"}),
        nbformat.v4.new_output("display_data", data, metadata=metadata),
    ]
    notebook.cells = [cell]
    notebook.metadata = nbformat.read(str(SAVED[0]), as_version=4).metadata  # its kernel
    nbformat.write(notebook, str(jupyterlab.root / "00_control.ipynb"))
    open_in_jupyterlab(browser, jupyterlab, "00_control.ipynb")
    measured = WebDriverWait(browser, LOAD).until(lambda d: drawn(d, 0, 0))
    with pytest.raises(AssertionError, match="shows text, not a picture"):
        check_figure(measured, cell.outputs[0], "control")
    wide = WebDriverWait(browser, LOAD).until(lambda d: drawn(d, 0, 1))
    check_figure(wide, cell.outputs[1], "a wide figure")  # a picture, its box fits, 8 pt
    assert wide["pans"] and wide["picture"]["width"] > wide["shown"]["width"] + 100
    screenshot(browser, "jupyterlab_untrusted_wide_figure_pans")


def test_a_wide_figure_zooms_where_scripts_run(browser: WebDriver, tmp_path: Path) -> None:
    figure = wide_figure()
    page = tmp_path / "wide.html"
    page.write_text(
        '<!doctype html><meta charset="utf-8"><body style="margin:0"><div style="width:900px">'
        + figure._repr_mimebundle_()[0]["text/html"] + "</div>",
        "utf-8",
    )
    browser.get(page.as_uri())
    width = "return document.querySelector('.autograd-lite-pan img').width"
    buttons = {b.text: b for b in browser.find_elements(By.TAG_NAME, "button")}
    assert set(buttons) == {"−", "+", "fit", "reset"}
    shown = figure.size().width
    assert browser.execute_script(width) == shown
    buttons["+"].click()
    assert browser.execute_script(width) == pytest.approx(shown * 1.25, abs=1)
    buttons["fit"].click()
    box = browser.execute_script(
        "return document.querySelector('.autograd-lite-pan').clientWidth"
    )
    assert browser.execute_script(width) == pytest.approx(box, abs=1)  # the whole figure
    screenshot(browser, "wide_figure_fit")
    buttons["reset"].click()
    assert browser.execute_script(width) == shown


@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.stem[:2])
def test_every_saved_figure_is_a_picture_that_fits_in_static_html(
    browser: WebDriver, tmp_path: Path, path: Path
) -> None:
    from nbconvert import HTMLExporter

    page = tmp_path / f"{path.stem}.html"
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(path), as_version=4))
    page.write_text(body, "utf-8")
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(page.as_uri())
        for number, (c, k, output) in enumerate(saved_figures(path), start=1):
            measured = browser.execute_script(MEASURE, ".jp-Cell", c, k)
            check_figure(measured, output, f"{path.stem}.html cell {c} output {k}")
            if number == 1:
                screenshot(browser, f"static_html_{path.stem[:2]}_figure1")
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


# The player's box, and its current node: the outline backward_frames draws around it
PLAYER = """
const player = document.querySelector('.autograd-lite-player');
if (!player) return null;
const view = player.querySelector('.autograd-lite-view');
const outline = view.querySelector('path[style*="stroke-width:3;stroke:#ea580c"]');
const rect = (e) => { const r = e.getBoundingClientRect();
  return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width}; };
return {step: player.querySelector('.autograd-lite-step').textContent,
        view: rect(view), node: outline && rect(outline),
        area: rect(player.closest('.jp-OutputArea-output')), window_height: innerHeight};
"""
SCROLL_TO_PLAYER = """
const player = document.querySelector('.autograd-lite-player');
const pane = player.closest('.jp-WindowedPanel-outer, .jp-Notebook');
const gap = player.getBoundingClientRect().top - pane.getBoundingClientRect().top;
if (Math.abs(gap) < 40) return true;
player.scrollIntoView({block: 'start'});
return false;
"""
# Every code cell has run: each input prompt holds a number, none the "*" of a queued cell
# (the first arguments[0] code cells, when given)
FINISHED = r"""
const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
  .slice(0, arguments[0] || undefined);
return prompts.length > 0 && prompts.every(p => /\[\d+\]/.test(p.textContent));
"""
RUN_UP_TO = """
const notebook = jupyterapp.shell.currentWidget.content;
notebook.activeCellIndex = arguments[0];
jupyterapp.commands.execute('notebook:run-all-above')
  .then(() => jupyterapp.commands.execute('notebook:run-cell'));
"""


def check_in_view(state: dict[str, Any], where: str) -> None:
    view, node, area = state["view"], state["node"], state["area"]
    assert node is not None, f"{where}: no current node drawn"
    assert view["width"] <= MAX_WIDTH and view["right"] <= area["right"] + 1, (where, state)
    inside = (
        node["left"] >= view["left"] - 1 and node["right"] <= view["right"] + 1
        and node["top"] >= view["top"] - 1 and node["bottom"] <= view["bottom"] + 1
    )  # fmt: skip
    on_screen = node["left"] >= 0 and node["right"] <= WINDOW[0] and node["top"] >= 0 and (
        node["bottom"] <= state["window_height"]
    )
    assert inside and on_screen, f"{where}: the current node is out of view: {state}"


def run_all_cells(driver: WebDriver) -> None:
    """JupyterLab's Run menu, Run All Cells (its command)."""
    driver.execute_script("jupyterapp.commands.execute('notebook:run-all-cells')")


def test_the_player_keeps_the_current_node_in_view_as_it_plays(
    browser: WebDriver, jupyterlab: JupyterLab
) -> None:
    name = "01_backprop_through_relu.ipynb"
    cells = nbformat.read(str(jupyterlab.root / name), as_version=4).cells
    # the cells up to the player's, as a learner who stops there (the rest of the notebook
    # is run by nbmake): JupyterLab's Run All Above, then Run Selected Cell
    player_cell = next(k for k, c in enumerate(cells) if "frame_player(" in c.source)
    code_cells = sum(c.cell_type == "code" for c in cells[: player_cell + 1])
    open_in_jupyterlab(browser, jupyterlab, name)
    browser.execute_script(RUN_UP_TO, player_cell)
    WebDriverWait(browser, LOAD).until(lambda d: d.execute_script(FINISHED, code_cells))
    state = browser.execute_script(PLAYER)
    # the learner scrolls to the player (until JupyterLab has stopped scrolling on its own)
    WebDriverWait(browser, LOAD).until(lambda d: d.execute_script(SCROLL_TO_PLAYER))
    steps = int(state["step"].split()[-1])
    check_in_view(browser.execute_script(PLAYER), "step 1")
    screenshot(browser, "jupyterlab_01_player_step01")
    player = browser.find_element(By.CSS_SELECTOR, ".autograd-lite-player")
    play = player.find_element(By.TAG_NAME, "button")
    play.click()  # ▶: one step a second
    for step in (2, 3):
        WebDriverWait(browser, LOAD).until(
            lambda d, step=step: d.execute_script(PLAYER)["step"] == f"step {step} of {steps}"
        )
        check_in_view(browser.execute_script(PLAYER), f"playing, step {step}")
    play.click()  # ❚❚
    def at(step: int) -> dict[str, Any]:
        return WebDriverWait(browser, LOAD).until(
            lambda d: (s := d.execute_script(PLAYER))["step"] == f"step {step} of {steps}" and s
        )

    now = int(browser.execute_script(PLAYER)["step"].split()[1])
    for step in range(now + 1, steps + 1):
        player.send_keys(Keys.ARROW_RIGHT)  # the arrow keys step
        check_in_view(at(step), f"step {step}")
        if step in (10, steps):
            screenshot(browser, f"jupyterlab_01_player_step{step:02d}")
    # as it played, the notebook's other figures still fit
    widths = json.loads(
        browser.execute_script(
            "return JSON.stringify([...document.querySelectorAll('.jp-OutputArea-output img')]"
            ".map(i => i.getBoundingClientRect().width))"
        )
    )
    assert max(widths) <= MAX_WIDTH
