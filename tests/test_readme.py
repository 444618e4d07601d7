"""The README's library example runs, and prints what its comments say."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), flags=re.S)


def library_example() -> str:
    """The README's library example: its second ```python block (the first is "Ten lines")."""
    blocks = python_blocks()
    assert len(blocks) == 2
    return blocks[1]


def test_the_first_screen_holds_the_commands_ten_lines_and_a_picture(tmp_path: Path) -> None:
    text = README.read_text("utf-8")
    first_screen = text[: text.index("```", text.index("## Ten lines") + 20) + 3]
    assert first_screen.count("\n") <= 45
    assert "make demo" in first_screen and "make test" in first_screen
    assert "![" in first_screen
    code = python_blocks()[0]
    assert len(code.strip().splitlines()) <= 10
    script = tmp_path / "ten.py"
    script.write_text(code, "utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, check=False, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    claims = [line.split("#", 1)[1].strip() for line in code.splitlines()
              if line.startswith("print(")]  # fmt: skip
    assert len(claims) == 1 and claims[0].startswith(done.stdout.strip() + " ")
    assert "function evaluate(L)" in (tmp_path / "out" / "a.html").read_text("utf-8")
    assert "notebooks/figures/explorer.png" in first_screen
    assert (README.parent / "notebooks" / "figures" / "explorer.png").stat().st_size > 10_000


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
    from autograd_lite.app.demos import DEMO_EPOCHS, FIX_LR, REGRESSION_STEPS

    text = " ".join(README.read_text("utf-8").split())  # one line: sentences wrap
    assert f"(Adam, α = {FIX_LR}, {REGRESSION_STEPS} steps for the fixes)" in text
    assert f"# N = {DEMO_EPOCHS} epochs" in text and f"# N = {REGRESSION_STEPS} steps" in text
    assert "make notebooks" in text


def figures_script() -> ModuleType:
    path = README.parent / "notebooks" / "build_figures.py"
    spec = importlib.util.spec_from_file_location("build_figures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_shows_the_seed_graph_and_a_frame_strip_as_portable_svg() -> None:
    text = README.read_text("utf-8")
    for name in ("seed_graph.svg", "backward_frames.svg"):
        assert f"](notebooks/figures/{name})" in text, name
        svg = (README.parent / "notebooks" / "figures" / name).read_text("utf-8")
        assert svg.lstrip().startswith(("<?xml", "<svg")) and "<text" not in svg  # shapes only
        assert len(svg.encode()) < 500_000


def test_what_the_readme_says_about_its_pictures_is_what_they_show() -> None:
    from autograd_lite import topological_order
    from autograd_lite.viz import backward_frames

    figures = figures_script()
    text = " ".join(README.read_text("utf-8").replace("−", "-").split())
    _, J = figures.seed_graph()
    nodes = {v.label: v for v in topological_order(J)}
    z, a = nodes["z⁽²⁾₂"], nodes["a⁽²⁾₂"]
    assert z.data <= 0 and z.grad == 0.0  # the closed gate stops the gradient
    assert f"z⁽²⁾₂ = {z.data:.4g} ≤ 0" in text and f"∂J/∂a⁽²⁾₂ = {a.grad:.4g}" in text
    root = figures.readme_example()
    frames = backward_frames(root)
    product = "∂a/∂w = ∂a/∂xw · ∂xw/∂w = 1 · 0.5 = 0.5"
    assert f"frame reads {product}" in text and product in frames[4].source
    assert topological_order(root)[::-1][4].label == "w"  # frame 5 is w's: backward's order


def test_the_frame_the_readme_quotes_is_the_one_its_own_example_draws() -> None:
    from autograd_lite import Value
    from autograd_lite.viz import backward_frames

    code = library_example()
    text = " ".join(README.read_text("utf-8").split())
    assert 'x, w, b = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b")' in code
    assert "a = (x * w + b).relu()" in code  # the example, unlabelled, as the README has it
    x, w, b = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b")
    a = (x * w + b).relu()
    product = "∂out/∂w = ∂out/∂v₂ · ∂v₂/∂w = 1 · 0.5 = 0.5"
    assert f"frame 5 shows {product}" in text
    assert product in backward_frames(a)[4].source


def test_the_micrograd_speedups_are_quoted_once_from_performance() -> None:
    text = " ".join(README.read_text("utf-8").split())
    coming, performance = text.index("## Coming from micrograd"), text.index("## Performance")
    quoted = re.search(r"demo procedure .*? is ([\d.–]+×) faster than in micrograd", text[coming:])
    small = re.search(r"test_engine.py`, it is only ([\d.–]+×) faster: building them is "
                      r"([\d.–]+×)", text[coming:])
    assert quoted is not None and small is not None
    measured = text[performance:]
    assert f"is {quoted[1]} faster than micrograd 0.1.0" in measured
    assert f"only {small[1]} (building them is {small[2]} faster" in measured
