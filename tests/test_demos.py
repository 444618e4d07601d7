"""The main job: `autograd-lite demo` and `autograd-lite regression`, with tiny step counts."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograd_lite import topological_order
from autograd_lite.app import cli
from autograd_lite.app.demos import (
    DEMO_EPOCHS,
    DEMO_X,
    FIX_LR,
    FORUM_HIDDEN,
    FORUM_LR,
    REGRESSION_STEPS,
    DemoResult,
    demo_dataset,
    demo_target,
    plots,
    run_demo,
    run_regression,
    seed_loss,
)
from autograd_lite.nn import MLP, manual

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str, Path]:
    """One run of the demo (3 epochs), shared: (result, what it printed, out directory)."""
    out = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = run_demo(steps=3, seed=0, out=out, progress=False)
    return result, printed.getvalue(), out


def test_demo_gradients_agree_to_1e_12(demo: tuple[DemoResult, str, Path]) -> None:
    result, _, _ = demo
    assert result.max_difference <= 1e-12
    mlp = MLP(2, [2, 2], output_activation="relu", seed=0)
    expected = manual.backprop(mlp, list(DEMO_X), demo_target(DEMO_X))
    assert result.manual_grads == expected
    assert len(result.engine_grads) == 12


def test_demo_prints_forward_pass_and_both_gradients_side_by_side(
    demo: tuple[DemoResult, str, Path],
) -> None:
    _, text, _ = demo
    for piece in ["z⁽²⁾ = [", "a⁽²⁾ = [", "z⁽³⁾ = [", "a⁽³⁾ = [", "δ⁽³⁾ = (a⁽³⁾ − y)",
                  "∂J/∂Θ⁽³⁾ⱼₖ", "∂J/∂Θ⁽²⁾ⱼₖ", "engine (backward)", "by hand (manual)",
                  "max |engine − manual| over all 12 parameters"]:
        assert piece in text, piece
    # every parameter has a row: label, engine value, manual value, difference
    rows = [line.split() for line in text.splitlines() if line.strip().startswith(("Θ", "b⁽"))]
    labels = [row[0] for row in rows if len(row) == 4]
    assert len(labels) == 12 and "Θ⁽²⁾₁₂" in labels and "b⁽³⁾₂" in labels
    assert text.index("∂J/∂Θ⁽³⁾ⱼₖ") < text.index("∂J/∂Θ⁽²⁾ⱼₖ")  # backward order


def test_demo_trains_and_writes_three_images(demo: tuple[DemoResult, str, Path]) -> None:
    result, text, out = demo
    assert len(result.history) == 3
    assert "Training: 3 epochs" in text
    for name in ("seed_network.svg", "seed_graph.svg"):
        assert "<svg" in (out / name).read_text("utf-8")
    assert (out / "loss.png").read_bytes().startswith(PNG)
    assert sorted(p.name for p in result.files) == [
        "loss.png", "seed_graph.svg", "seed_network.svg"
    ]
    # portable (letters as shapes, the same in every viewer), and the very figure the README
    # shows: one drawing, one legend
    graph = (out / "seed_graph.svg").read_bytes()
    assert b"<text" not in graph and b"<path" in graph
    committed = Path(__file__).resolve().parents[1] / "notebooks" / "figures" / "seed_graph.svg"
    assert graph == committed.read_bytes()


@pytest.mark.parametrize("plot", ["loss_curve", "regression"])
def test_the_plots_are_written_all_or_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plot: str
) -> None:
    def draw(path: Path) -> Path:
        if plot == "loss_curve":
            return plots.loss_curve([2.0, 1.0, 0.5], path)
        xs, ys = [0.0, 1.0], [0.0, 6.0]
        return plots.regression(xs, ys, (ys, ys, ys), (1.0, 1.0, 1.0), [[0.5, 0.0], [1.0]], path)

    target = tmp_path / "figure.png"
    target.write_bytes(b"the old figure")

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)  # the write fails after the bytes are out
    with pytest.raises(OSError, match="No space left"):
        draw(target)
    assert target.read_bytes() == b"the old figure"
    assert [p.name for p in tmp_path.iterdir()] == ["figure.png"]  # no temporary file left
    monkeypatch.undo()
    assert draw(target) == target and target.read_bytes().startswith(PNG)


def test_seed_loss_is_the_demos_network_after_backward() -> None:
    mlp, x, y, J = seed_loss(seed=3)
    same = MLP(2, [2, 2], activation="relu", output_activation="relu", seed=3)
    assert [p.data for p in mlp.parameters()] == [p.data for p in same.parameters()]
    assert (x, y) == (list(DEMO_X), demo_target(list(DEMO_X)))
    assert [p.grad for p in mlp.parameters()] == pytest.approx(manual.backprop(mlp, x, y))
    labels = {v.label for v in topological_order(J)}
    assert {"J", "z⁽²⁾₁", "a⁽²⁾₂", "z⁽³⁾₂", "a⁽³⁾₁"} <= labels


def test_demo_dataset_follows_its_rule() -> None:
    xs, ys = demo_dataset()
    assert len(xs) == 16 and ys == [demo_target(x) for x in xs]
    assert demo_target(DEMO_X) == [1.5, 0.5]


def test_regression_reproduces_the_forum_case_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_regression(steps=60, seed=0, out=tmp_path, progress=False)
    text = capsys.readouterr().out
    assert result.broken_predictions == [0.0] * 20
    assert result.broken_activity[-1] == [0.0]  # the output unit is dead
    assert result.r2_linear >= 0.995
    assert result.r2_leaky > 0.9
    assert "relu_activity" in text and "The output unit is dead" in text
    assert f"R² = {result.r2_linear:.5f}" in text
    assert (tmp_path / "regression.png").read_bytes().startswith(PNG)


@pytest.mark.parametrize("run", [run_demo, run_regression])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, "steps must be a positive int, got 0"),
        ({"steps": 1.5}, "steps must be a positive int"),
        ({"seed": "1"}, "seed must be an int, got '1'"),
        ({"progress": "yes"}, "progress must be True or False"),
    ],
)
def test_bad_arguments_raise_valueerror(
    run: object, kwargs: dict[str, object], message: str, tmp_path: Path
) -> None:
    args: dict[str, object] = {"steps": 1, "seed": 0, "out": tmp_path / "o", "progress": False}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        run(**args)  # type: ignore[operator]
    assert not (tmp_path / "o").exists()  # nothing written


def test_out_that_is_a_file_raises_oserror(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(OSError, match="is not a directory"):
        run_demo(steps=1, out=target, progress=False)


def test_cli_demo_with_another_seed_agrees_and_shows_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--steps", "1", "--seed", "5", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    line = next(x for x in captured.out.splitlines() if x.startswith("max |engine − manual|"))
    assert float(line.rsplit(":", 1)[1]) <= 1e-12
    assert "1/1" in captured.err  # the progress bar, on stderr
    assert (tmp_path / "loss.png").exists()


def test_cli_regression_stops_once_every_gradient_is_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # seed 1's output unit is dead from the start: all ∂J/∂θ are 0 after step 1 of 2
    args = ["regression", "--steps", "2", "--seed", "1", "--out", str(tmp_path), "--no-progress"]
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    assert "stopped after step 1 of 2: every ∂J/∂θ is exactly 0" in text
    assert "It was dead from the start" in text
    assert (tmp_path / "regression.png").read_bytes().startswith(PNG)


def test_cli_bad_out_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert cli.main(["demo", "--out", str(target), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autograd-lite demo: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_python_dash_m_reports_bad_steps_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "regression", "--steps", "0"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2
    assert "expected a positive whole number, got '0'" in done.stderr
    assert done.stderr.count("\n") == 1  # one line: no usage block, no traceback
    assert "Traceback" not in done.stderr


def test_demo_refuses_to_go_on_if_engine_and_manual_disagree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = manual.backprop

    def off_by_a_little(*args: object) -> list[float]:
        grads = real(*args)  # type: ignore[arg-type]
        return [grads[0] + 1e-9, *grads[1:]]

    monkeypatch.setattr(manual, "backprop", off_by_a_little)
    with pytest.raises(RuntimeError, match="disagree by 1"):
        run_demo(steps=1, out=tmp_path, progress=False)
    assert "max |engine − manual| over all 12 parameters: 1e-09" in capsys.readouterr().out
    assert not (tmp_path / "loss.png").exists()


def test_regression_says_why_its_progress_bar_stops_early(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # seed 0's forum network is stuck after step 3: the bar shows 3 steps done and why it
    # stopped, and a printed line says it, so an early stop cannot look like a crash
    result = run_regression(steps=5, seed=0, out=tmp_path, progress=True)
    captured = capsys.readouterr()
    assert result.broken_steps == 3
    assert "3/5" in captured.err and "stopped: every ∂J/∂θ is 0" in captured.err
    assert "stopped after step 3 of 5: every ∂J/∂θ is exactly 0" in captured.out


def test_regression_that_never_gets_stuck_says_nothing_about_stopping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_regression(steps=2, seed=0, out=tmp_path, progress=False)
    assert result.broken_steps == 2
    assert "stopped after" not in capsys.readouterr().out


def test_cli_defaults_are_the_stories_settings() -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["demo"]).steps == DEMO_EPOCHS
    assert parser.parse_args(["regression"]).steps == REGRESSION_STEPS


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks" / "sources"


@pytest.mark.parametrize(
    ("source", "settings"),
    [
        ("01_backprop_through_relu.py", {"DEMO_X", "DEMO_LR", "DEMO_EPOCHS", "demo_dataset"}),
        ("02_relu_output_regression.py",
         {"FORUM_HIDDEN", "FORUM_LR", "FIX_LR", "REGRESSION_STEPS", "R2_TARGET"}),
    ],
)
def test_notebooks_import_their_storys_settings_from_the_demos(
    source: str, settings: set[str]
) -> None:
    """One definition per story: the notebook imports the CLI's settings, and gives fit and
    the optimizers none of its own numbers (no `lr=0.05`, no `epochs=150`)."""
    import ast

    tree = ast.parse((NOTEBOOKS / source).read_text("utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "autograd_lite.app.demos"
        for alias in node.names
    }
    assert settings <= imported
    literal_keywords = [
        (node.func.id, k.arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"fit", "SGD", "Adam"}
        for k in node.keywords
        if k.arg in {"lr", "epochs"} and isinstance(k.value, ast.Constant)
        and (k.arg, k.value.value) != ("epochs", 1)  # one step at a time is not a setting
    ]
    assert literal_keywords == []


def test_the_stories_settings_are_the_ones_they_print(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_regression(steps=1, seed=0, out=tmp_path, progress=False)
    text = capsys.readouterr().out
    assert f"MLP(1, [{FORUM_HIDDEN}, 1]" in text
    assert f"SGD (α = {FORUM_LR})" in text and f"Adam (α = {FIX_LR})" in text


def test_importing_the_demos_loads_neither_matplotlib_nor_graphviz() -> None:
    # they are imported when a demo draws, not when the CLI starts
    code = (
        "import sys, autograd_lite.app.demos; "
        "print(*{'matplotlib', 'graphviz'} & set(sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ""
