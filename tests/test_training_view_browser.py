"""The recorded training replay in headless Chromium (issue 20 §4): open the page that
`fit(..., record="run.html")` writes, move its slider with the keyboard and the mouse,
and read back from the DOM, for each epoch shown, the J̄ the page says, comparing it
with fit's history to the last bit; the page draws without a script error, fetches
nothing, and its screenshot is a picture (kept under out/screenshots/)."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path
from typing import Any

import pytest
from browser import distinct_colours, screenshot
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from autograd_lite.nn import MLP, data
from autograd_lite.nn.losses import binary_cross_entropy_with_logits
from autograd_lite.nn.optim import Adam
from autograd_lite.training import fit

EPOCHS = 12
# What the page shows now: the epoch and J̄ its caption says, and the paths it drew
SHOWN = """
const caption = document.querySelector('.autograd-lite-caption');
if (!caption || !caption.dataset.epoch) return null;
const svg = document.querySelector('.autograd-lite-training-view svg');
return {epoch: Number(caption.dataset.epoch), loss: caption.dataset.loss,
        text: caption.textContent,
        slider: Number(document.querySelector('.autograd-lite-epoch').value),
        paths: [...svg.querySelectorAll('path')].map(p => p.getAttribute('d')),
        edges: [...svg.querySelectorAll('line')].map(l => l.getAttribute('stroke-width')),
        width: svg.getBoundingClientRect().width,
        resources: performance.getEntriesByType('resource').map(r => r.name)};
"""


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    """A two-moons run recorded: (its page, fit's history)."""
    points, labels = data.two_moons(n=60, noise=0.1, seed=0)
    order = list(range(len(points)))
    random.Random(0).shuffle(order)
    points, labels = [points[i] for i in order], [labels[i] for i in order]
    model = MLP(2, [8, 8, 1], activation="relu", output_activation="linear", seed=0)
    page = tmp_path_factory.mktemp("replay") / "run.html"
    history = fit(model, points, labels, loss=binary_cross_entropy_with_logits,
                  optimizer=Adam(model.parameters(), lr=0.03), epochs=EPOCHS, batch_size=10,
                  progress=False, record=page)  # fmt: skip
    return page, history


def shown(driver: WebDriver) -> dict[str, Any]:
    state: dict[str, Any] = WebDriverWait(driver, 30).until(lambda d: d.execute_script(SHOWN))
    return state


def check_epoch(state: dict[str, Any], history: list[float]) -> None:
    """The caption's J̄ is fit's for that epoch, exactly (JavaScript prints the shortest
    text that reads back as the same double, as Python's repr does)."""
    epoch = state["epoch"]
    assert state["slider"] == epoch  # one frame per epoch: the slider is at the epoch
    if epoch == 0:
        assert state["loss"] == "" and state["text"].startswith("before training")
    else:
        assert float(state["loss"]) == history[epoch - 1], state
        assert f"epoch {epoch} of {EPOCHS}: mean J = {history[epoch - 1]:.4g}" in state["text"]


def test_replay_slider_shows_each_epochs_loss_from_fits_history(
    browser: WebDriver, replay: tuple[Path, list[float]]
) -> None:
    page, history = replay
    browser.get(page.as_uri())
    last = shown(browser)
    assert last["epoch"] == EPOCHS
    check_epoch(last, history)
    slider = browser.find_element(By.CSS_SELECTOR, ".autograd-lite-epoch")
    slider.send_keys(Keys.HOME)
    first = shown(browser)
    assert first["epoch"] == 0
    check_epoch(first, history)
    for epoch in (1, 2, 3):
        slider.send_keys(Keys.ARROW_RIGHT)
        state = shown(browser)
        assert state["epoch"] == epoch
        check_epoch(state, history)
    # the mouse: drag the thumb from epoch 3 to about two thirds of the way
    width = slider.size["width"]
    ActionChains(browser).click_and_hold(slider).move_by_offset(width // 6, 0).release().perform()
    dragged = shown(browser)
    assert 3 < dragged["epoch"] < EPOCHS
    check_epoch(dragged, history)
    # the panels changed with the epoch: the loss curve drawn so far, the boundary, the weights
    assert dragged["paths"] != first["paths"] and dragged["edges"] != first["edges"]
    assert 700 <= dragged["width"] <= 840  # the notebook's width, as the still is
    assert dragged["resources"] == []  # nothing was fetched
    errors = [  # this page's (leaving an earlier page, JupyterLab's, logs an "intervention")
        entry for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and entry["message"].startswith(page.as_uri())
    ]  # fmt: skip
    assert errors == []
    png = screenshot(browser, "training_replay")
    assert distinct_colours(png) > 8


# Records in the page every epoch the live view shows, as it shows it (a MutationObserver
# on the captions: no update can slip between two polls), with whether its SVG is the one
# first seen (marked then: an update that rebuilt the view would show) and whether the
# cell still runs (its prompt is [*])
WATCH = """
window.shownEpochs = [];
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
new MutationObserver(() => {
  const view = panel.querySelector('.autograd-lite-training-view');
  if (!view) return;
  const svg = view.querySelector('svg'), caption = view.querySelector('.autograd-lite-caption');
  const last = window.shownEpochs[window.shownEpochs.length - 1];
  const epoch = Number(caption.dataset.epoch);
  const first = !svg.dataset.seen;
  if (first) svg.dataset.seen = '1';  // (each set is a mutation: only once, or it loops)
  if (last && last.epoch === epoch && !first) return;
  const prompts = [...panel.querySelectorAll('.jp-InputPrompt')];
  window.shownEpochs.push({epoch, loss: caption.dataset.loss, first,
                           running: prompts.some(p => p.textContent.includes('*'))});
}).observe(panel, {subtree: true, childList: true, attributes: true, characterData: true});
"""
# Whether the cell has run: its prompt holds a number
RAN = """
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
return [...panel.querySelectorAll('.jp-InputPrompt')].some(p => /\\[\\d+\\]/.test(p.textContent));
"""
# The last text the notebook printed: here repr(history[-1])
PRINTED = """
const texts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) '
  + '.jp-OutputArea-output pre')].map(e => e.textContent.trim()).filter(t => t);
return texts.length ? texts[texts.length - 1] : null;
"""
LIVE_CELL = """\
from autograd_lite.nn import MLP, data
from autograd_lite.nn.losses import binary_cross_entropy_with_logits
from autograd_lite.nn.optim import Adam
from autograd_lite.training import fit
points, labels = data.two_moons(n=100, noise=0.1, seed=0)
model = MLP(2, [8, 8, 1], seed=0)
history = fit(model, points, labels, loss=binary_cross_entropy_with_logits,
              optimizer=Adam(model.parameters(), lr=0.03), epochs=40, batch_size=10,
              compile=False, progress=False, live=True)
print(repr(history[-1]))
"""


def test_live_view_updates_in_place_while_fit_runs_in_jupyterlab(
    browser: WebDriver, jupyterlab: Any
) -> None:
    import nbformat
    from test_notebooks_in_browser import LOAD, SAVED, open_in_jupyterlab, run_all_cells

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(LIVE_CELL)]
    notebook.metadata = nbformat.read(str(SAVED[0]), as_version=4).metadata  # its kernel
    nbformat.write(notebook, str(jupyterlab.root / "00_live.ipynb"))
    open_in_jupyterlab(browser, jupyterlab, "00_live.ipynb")
    # a fresh JupyterLab may ask which kernel to start, before it has listed them: the
    # one the notebook names, which the dialog offers
    accept = ".jp-Dialog .jp-Dialog-button.jp-mod-accept"
    with contextlib.suppress(TimeoutException):
        WebDriverWait(browser, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, accept))
        browser.find_element(By.CSS_SELECTOR, accept).click()
    browser.execute_script(WATCH)
    run_all_cells(browser)
    WebDriverWait(browser, LOAD).until(lambda d: d.execute_script(RAN))
    printed = WebDriverWait(browser, LOAD).until(lambda d: d.execute_script(PRINTED))
    seen = browser.execute_script("return window.shownEpochs")
    # while fit ran (its end puts the still into the output, which draws the view anew)
    during = [s for s in seen if s["running"] and s["epoch"] < 40]
    epochs = [s["epoch"] for s in during]
    assert len(set(epochs)) >= 3, seen  # it moved while fit ran
    assert epochs == sorted(epochs)
    assert [s["first"] for s in during].count(True) == 1, seen  # one SVG, changed in place
    final = seen[-1]
    assert final["epoch"] == 40 and float(final["loss"]) == float(printed)
    png = screenshot(browser, "jupyterlab_live_training_view")
    assert distinct_colours(png) > 8
