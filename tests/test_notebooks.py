"""The saved notebooks are what their sources build, within the limits CI keeps to.

Each notebook asserts the facts its prose states in its own cells; `make test` runs them
all again with nbmake. These tests catch what a run cannot: a source edited without a
rebuild, a hand-edited .ipynb, a notebook saved with an error or grown past 2 MB.
"""

from __future__ import annotations

import importlib.util
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
