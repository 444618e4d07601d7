"""The saved notebooks are what their sources build, within the limits CI keeps to.

Each notebook asserts the facts its prose states in its own cells; `make test` runs them
all again with nbmake. These tests catch what a run cannot: a source edited without a
rebuild, a hand-edited .ipynb, a notebook saved with an error or grown past 2 MB.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("nbclient")  # the notebooks dependency group
import nbformat  # after the skip: it comes with the same group

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted((NOTEBOOKS / "sources").glob("[0-9][0-9]_*.py"))


def builder() -> ModuleType:
    path = NOTEBOOKS / "build_notebooks.py"
    spec = importlib.util.spec_from_file_location("build_notebooks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_notebooks", module)
    spec.loader.exec_module(module)
    return module


def test_there_are_five_notebooks() -> None:
    assert [s.stem[:2] for s in SOURCES] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_saved_notebook_is_built_from_its_current_source(source: Path) -> None:
    saved = nbformat.read(str(NOTEBOOKS / f"{source.stem}.ipynb"), as_version=4)
    expected = builder().notebook_cells(source)
    assert [(c.cell_type, c.source) for c in saved.cells] == [
        (c.cell_type, c.source) for c in expected
    ], f"rebuild it: .venv/bin/python notebooks/build_notebooks.py {source.stem[:2]}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_saved_notebook_ran_cleanly_and_is_small(source: Path) -> None:
    path = NOTEBOOKS / f"{source.stem}.ipynb"
    saved = nbformat.read(str(path), as_version=4)
    code = [c for c in saved.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)  # saved with outputs
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert path.stat().st_size < builder().MAX_BYTES


def test_the_builder_refuses_a_notebook_over_its_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = builder()
    source = tmp_path / "sources" / "99_tiny.py"
    source.parent.mkdir()
    source.write_text("# %% [markdown]\n# # Tiny\n\n# %%\nprint('x' * 200)\n", "utf-8")
    monkeypatch.setattr(module, "HERE", tmp_path)
    monkeypatch.setattr(module, "MAX_BYTES", 100)
    with pytest.raises(RuntimeError, match="the limits are"):
        module.build(source)
    assert not (tmp_path / "99_tiny.ipynb").exists()  # nothing written
    monkeypatch.setattr(module, "MAX_BYTES", 2_000_000)
    module.build(source)
    assert "xxxx" in (tmp_path / "99_tiny.ipynb").read_text("utf-8")


def saved_outputs() -> list[tuple[str, dict]]:
    return [
        (path.name, output)
        for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
        for cell in nbformat.read(str(path), as_version=4).cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]


def test_every_saved_picture_carries_a_png_that_an_untrusted_notebook_shows() -> None:
    # JupyterLab shows an untrusted notebook's image/svg+xml as its text line (issue 20)
    for name, output in saved_outputs():
        data = output.get("data", {})
        if "image/svg+xml" in data or ("text/html" in data and "<img" in data["text/html"]):
            assert "image/png" in data, name
        assert WIDGET_VIEW not in data, name  # no widget state is saved: a view would fail
        text = data.get("text/plain", "")
        assert "IPython.core.display.SVG" not in text and "interactive widget" not in text, name


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# A "~" in markdown outside code and math: JupyterLab draws ~text~ struck through (issue 20
# found "(~$10^4$) … (~$4 \times 10^5$)" so).
TILDE = re.compile(r"~")
CODE_OR_MATH = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", re.S)


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_no_markdown_has_a_tilde_that_would_strike_text_through(source: Path) -> None:
    for cell in builder().notebook_cells(source):
        if cell.cell_type == "markdown":
            prose = CODE_OR_MATH.sub("", cell.source)
            assert not TILDE.search(prose), prose[max(0, prose.find("~") - 40) :][:80]


def test_the_tilde_check_finds_the_old_sentence() -> None:
    old = r"are huge (~$10^4$): one step … larger still (~$4 \times 10^5$)"
    assert TILDE.search(CODE_OR_MATH.sub("", old))


FIGSIZE = re.compile(r"figsize=\(([\d.]+),")
FONTSIZE = re.compile(r"fontsize=([\d.]+)")


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_matplotlib_figures_fit_the_page_with_text_of_8_pt_or_more(source: Path) -> None:
    # inline figures are drawn at 100 px per inch: 8.4 in is the 840 px a notebook shows
    # without shrinking them (viz.display.MAX_DISPLAY_WIDTH), and 8 pt is 11 px
    text = source.read_text("utf-8")
    assert all(float(w) <= 8.4 for w in FIGSIZE.findall(text)), FIGSIZE.findall(text)
    assert all(float(f) >= 8 for f in FONTSIZE.findall(text)), FONTSIZE.findall(text)


def widget_output(model_id: str, **data: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "display_data", {WIDGET_VIEW: {"model_id": model_id}, "text/plain": "Widget", **data}
    )


def test_a_saved_widget_shows_its_picture_its_outputs_or_a_note() -> None:
    module = builder()
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("widgets")
    cell.outputs = [
        widget_output("player", **{"image/png": "iVBOR"}),  # frame_player: its first frame
        widget_output("box"),  # ipywidgets.interactive: a box around an Output
        widget_output("slider"),  # anything else
    ]
    notebook.cells = [cell]
    shown = nbformat.v4.new_output("display_data", {"image/png": "QUJD", "text/plain": "fig"})
    notebook.metadata["widgets"] = {
        module.WIDGET_STATE: {
            "state": {
                "box": {"state": {"_model_name": "VBoxModel",
                                  "children": ["IPY_MODEL_slider", "IPY_MODEL_out"]}},
                "out": {"state": {"_model_name": "OutputModel", "outputs": [shown]}},
                "slider": {"state": {"_model_name": "IntSliderModel"}},
            }
        }
    }  # fmt: skip
    module.tidy(notebook)
    player, captured, note = cell.outputs
    assert player.data == {"image/png": "iVBOR", "text/plain": "Widget"}
    assert captured.data == {"image/png": "QUJD", "text/plain": "fig"}
    assert note.data == {
        "text/plain": "[an interactive widget: run this cell in Jupyter to use it]"
    }
    assert "widgets" not in notebook.metadata
