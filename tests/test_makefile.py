"""The Makefile: a failed step leaves nothing that a rerun would take for finished."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"
REFERENCE_TESTS = Path(__file__).resolve().parent / "reference"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_venv_whose_pip_upgrade_fails_is_not_left_for_the_next_run(tmp_path: Path) -> None:
    # A stand-in for `python3 -m venv DIR` that makes DIR/bin/python, a python that fails.
    fake_python = tmp_path / "python3"
    fake_python.write_text(
        '#!/bin/sh\nmkdir -p "$3/bin"\nprintf "#!/bin/sh\\nexit 1\\n" > "$3/bin/python"\n'
        'chmod +x "$3/bin/python"\n'
    )
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IXUSR)
    venv = tmp_path / "venv"
    target = f"{venv}/bin/python"
    done = subprocess.run(
        ["make", "-f", str(MAKEFILE), f"PYTHON={fake_python}", f"VENV={venv}", target],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0  # the pip upgrade failed ...
    assert (venv / "bin").is_dir()  # ... after the venv was made ...
    assert not (venv / "bin" / "python").exists()  # ... so make deleted its target


def run_reference_tests(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    """pytest on tests/reference with torch hidden (a torch package that fails to import)."""
    hidden = tmp_path / "no-torch" / "torch"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text(
        "raise ModuleNotFoundError('torch is hidden by this test', name='torch')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(hidden.parent), "CI": "true" if ci else "false"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(REFERENCE_TESTS)],
        cwd=REFERENCE_TESTS.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_torch_the_reference_checks_are_skipped_and_say_so(tmp_path: Path) -> None:
    done = run_reference_tests(tmp_path, ci=False)
    assert done.returncode in (0, 5), done.stdout + done.stderr  # 5: every test was skipped
    assert "skipped" in done.stdout and "passed" not in done.stdout


def test_under_ci_a_missing_torch_fails_the_reference_run(tmp_path: Path) -> None:
    done = run_reference_tests(tmp_path, ci=True)
    assert done.returncode != 0
    assert "torch is not installed" in done.stdout + done.stderr
    assert "make test-reference" in done.stdout + done.stderr


def test_make_test_runs_tests_and_notebooks_in_one_run_with_jupyterlab_on_one_worker() -> None:
    """`make test` spreads one pytest run over the cores; the tests that use the JupyterLab
    server are grouped (conftest.py), so that --dist loadgroup starts one server, not one
    per worker."""
    recipe = MAKEFILE.read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    run = " ".join(recipe.replace("\\\n", " ").split())
    assert "pytest -q -n auto" in run and "--dist loadgroup --nbmake tests notebooks" in run
    import conftest

    class Item:
        def __init__(self, fixturenames: list[str]) -> None:
            self.fixturenames, self.markers = fixturenames, []

        def add_marker(self, marker: pytest.MarkDecorator) -> None:
            self.markers.append(marker)

    lab, other = Item(["browser", "jupyterlab"]), Item(["browser"])
    items = [other, lab]
    conftest.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert items == [lab, other]  # the longest chain of work first
    assert [(m.name, m.args) for m in lab.markers] == [("xdist_group", ("jupyterlab",))]
    assert other.markers == []
