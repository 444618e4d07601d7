"""The README's library example runs, and prints what its comments say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def library_example() -> str:
    """The README's one ```python block."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_library_example_prints_what_its_comments_say(tmp_path: Path) -> None:
    code = library_example()
    script = tmp_path / "example.py"
    script.write_text(code, "utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
        check=False, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    # the comment on each print line starts with what it prints
    claims = [
        line.split("#", 1)[1].strip()
        for line in code.splitlines()
        if line.startswith("print(") and "#" in line
    ]
    assert len(printed) == len(claims) == 4
    for out, claim in zip(printed, claims):
        assert claim == out or claim.startswith((out + " ", out + ":")), (out, claim)
    assert (tmp_path / "out" / "J.svg").exists() and (tmp_path / "out" / "net.png").exists()


def test_library_example_draws_before_the_step() -> None:
    # the pictures must show the weights that J and its gradients were computed from
    code = library_example()
    assert code.index("viz.save_graph") < code.index(".step()")
    assert code.index("viz.draw_network") < code.index(".step()")


def test_readme_quotes_the_stories_settings() -> None:
    from autograd_lite.demos import DEMO_EPOCHS, FIX_LR, REGRESSION_STEPS

    text = " ".join(README.read_text("utf-8").split())  # one line: sentences wrap
    assert f"(Adam, α = {FIX_LR}, {REGRESSION_STEPS} steps for the fixes)" in text
    assert f"# N = {DEMO_EPOCHS} epochs" in text and f"# N = {REGRESSION_STEPS} steps" in text
    assert "make notebooks" in text
