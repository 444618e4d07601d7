"""The Makefile: a failed step leaves nothing that a rerun would take for finished."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"


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
