"""`autograd-lite draw EXPR [name=value ...] -o FILE`: good input draws, bad input gets one line."""

from __future__ import annotations

import ast
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_lite.app.draw as expression_module
from autograd_lite.app.cli import main
from autograd_lite.app.draw import evaluate, parse_assignments
from autograd_lite.viz import budget, rendering

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)


def run_draw(capsys: pytest.CaptureFixture[str], *args: str, output: Path) -> tuple[int, str, str]:
    code = main(["draw", "-o", str(output), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(code: int, err: str, output: Path, *fragments: str) -> None:
    """Exit 2, exactly one line on stderr, no traceback, no file; the line says what."""
    assert code == 2
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("autograd-lite draw: ")
    assert "Traceback" not in err
    assert not output.exists()
    for fragment in fragments:
        assert fragment in err


# --- good input -----------------------------------------------------------------------------


@needs_dot
def test_draw_writes_the_svg_with_gradients_and_gate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "g.svg"
    code, out, err = run_draw(capsys, "relu(x*w + b)", "x=0.5", "w=-1", "b=2", output=output)
    assert (code, err) == (0, "")
    assert out == f"wrote {output}\n"
    svg = html.unescape(output.read_text("utf-8"))  # dot writes - as &#45;
    assert "<svg" in svg
    # backward ran: ∂/∂x = w = −1, ∂/∂w = x = 0.5, ∂/∂b = 1; z = 1.5 > 0 opens the gate
    for cell in ("grad -1", "grad 0.5", "grad 1", "gate 1"):
        assert cell in svg


@needs_dot
def test_draw_marks_a_closed_gate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    output = tmp_path / "g.svg"
    code, _, _ = run_draw(capsys, "relu(x*w + b)", "x=0.5", "w=-1", "b=-2", output=output)
    svg = output.read_text("utf-8")
    assert code == 0
    assert "gate 0" in svg and "stroke-dasharray" in svg  # a dashed edge


@needs_dot
def test_draw_writes_png_by_suffix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    output = tmp_path / "sub" / "g.png"
    code, _, _ = run_draw(capsys, "tanh(x) * 2 + leaky_relu(-x, 0.1)", "x=1", output=output)
    assert code == 0
    assert output.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@needs_dot
def test_draw_end_to_end_in_a_fresh_process(tmp_path: Path) -> None:
    output = tmp_path / "g.svg"
    command = [sys.executable, "-m", "autograd_lite", "draw", "relu(x*w + b)"]
    done = subprocess.run(
        [*command, "x=0.5", "w=-1", "b=2", "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {output}\n"
    assert "<svg" in output.read_text("utf-8")


# --- hostile and bad input: exit 2, one line, no file ------------------------------------


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("__import__('os').system('echo hacked')", "only functions can be called, by name"),
        ("__import__('os')", "unknown function '__import__'"),
        ("x.__class__", "attribute access"),
        ("x.__class__.__bases__[0].__subclasses__()", "only functions can be called"),
        ("[x][0]", "subscripts"),
        ("x[0]", "subscripts"),
        ("(lambda: 1)()", "only functions can be called"),
        ("lambda: 1", "lambda"),
        ("open('f')", "unknown function 'open'"),
        ("[i for i in x]", "comprehensions"),
        ("sum(i for i in [x])", "unknown function 'sum'"),
        ("y", "unknown name 'y'"),
        ("x + y", "unknown name 'y'"),
        ("__builtins__", "names starting with __"),
        ("relu(x=1)", "keyword arguments"),
        ("relu(*[x])", "* unpacking"),
        ("relu(x, x)", "relu takes 1 argument, got 2"),
        ("leaky_relu(x, x)", "slope must be a number"),
        ("relu", "relu is a function"),
        ("'x'", "only numbers"),
        ("True + x", "only numbers"),
        ("1j * x", "only numbers"),
        ("x // 2", "the operator // is not allowed"),
        ("x % 2", "the operator % is not allowed"),
        ("x < 2", "comparisons"),
        ("x if x else 1", "if-else"),
        ("x and 1", "and/or"),
        ("(y := x)", "assignments"),
        ("f'{x}'", "f-strings"),
        ("x = 1", "not a valid expression"),
        ("x; import os", "not a valid expression"),
        ("x +", "not a valid expression"),
        ("", "empty"),
        ("3", "just the number 3.0"),
        ("x" + "+x" * 1000, "the limit is 2,000"),
        # deep nesting inside refused parts: still one line, no RecursionError traceback
        ("[y for y in " + "-" * 1000 + "x]", "comprehensions"),
        ("(lambda a=" + "-" * 1000 + "1: a)", "lambda"),
        ("x**(" * 300 + "x" + ")" * 300, "nested too deeply"),
        ("1if x else x", "if-else"),  # Python also warns (SyntaxWarning); we print one line
    ],
)
def test_refused_expressions_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, expression: str, says: str
) -> None:
    output = tmp_path / "g.svg"
    code, out, err = run_draw(capsys, expression, "x=1", output=output)
    assert out == ""
    assert_refused(code, err, output, says)


@pytest.mark.parametrize(
    ("assignments", "says"),
    [
        (["x"], "expected name=value, got 'x'"),
        (["1x=2"], "'1x' is not a valid variable name"),
        (["=2"], "'' is not a valid variable name"),
        (["x.y=2"], "'x.y' is not a valid variable name"),
        (["lambda=2"], "'lambda' is not a valid variable name"),
        (["__x=2"], "names starting with __ are not allowed"),
        (["relu=2"], "relu is a function, not a variable name"),
        (["x=1", "x=2"], "x is given twice"),
        (["x=abc"], "x: 'abc' is not a number"),
        (["x="], "x: '' is not a number"),
        (["x=1+1"], "x: '1+1' is not a number"),
        (["x=nan"], "x must be a finite number, got 'nan'"),
        (["x=inf"], "x must be a finite number, got 'inf'"),
        (["x=1e999"], "x must be a finite number, got '1e999'"),
        (["x=1\nimport os"], "is not a number"),
    ],
)
def test_bad_assignments_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assignments: list[str], says: str
) -> None:
    output = tmp_path / "g.svg"
    code, _, err = run_draw(capsys, "x * 2", *assignments, output=output)
    assert_refused(code, err, output, says)


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("log(x - 1)", "log needs a positive input, got 0.0"),
        ("sqrt(-x)", "sqrt needs a non-negative input"),
        ("x / (x - 1)", "/ divides by zero"),
        ("exp(1000 * x)", "exp overflows"),
        ("(-2) ** x", "non-negative base"),
        ("9 ** 9 ** 9 * x", "** overflows"),
        ("1" + "0" * 400 + " * x", "too large"),
    ],
)
def test_domain_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, expression: str, says: str
) -> None:
    output = tmp_path / "g.svg"
    code, _, err = run_draw(capsys, expression, "x=1", output=output)
    assert_refused(code, err, output, says)


def test_unknown_suffix_exits_2_naming_the_valid_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "g.jpg"
    code, _, err = run_draw(capsys, "x * 2", "x=1", output=output)
    assert_refused(code, err, output, ".svg, .png, .pdf")


def test_the_leftmost_refused_part_is_reported_and_nothing_is_computed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "g.svg"
    # log(-1) would fail if computed; the attribute access is found first, by checking
    code, _, err = run_draw(capsys, "x.real + log(-1)", "x=1", output=output)
    assert_refused(code, err, output, "attribute access", "'x.real'")


def test_missing_dot_exits_1_with_the_install_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    output = tmp_path / "g.svg"
    code, _, err = run_draw(capsys, "x * 2", "x=1", output=output)
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    for hint in ("sudo apt-get install graphviz", "brew install graphviz", "conda install"):
        assert hint in err


# --- the evaluator itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("relu(x*w + b)", max(0.0, 0.5 * -1.0 + 2.0)),
        ("-x + +w", -0.5 + -1.0),
        ("x ** 2 / 4", 0.5**2 / 4),
        ("2 ** x", 2**0.5),
        ("sigmoid(0) * x", 0.25),
        ("abs(w) - sqrt(4) * 1e-1", 1.0 - 0.2),
        ("leaky_relu(w, 0.2)", -0.2),
        ("leaky_relu(w)", -0.01),
        ("leaky_relu(w, -0.5)", 0.5),
        ("log(exp(b))", 2.0),
        ("x" + "+x" * 500, 0.5 * 501),  # a deep tree: evaluated without recursion
        ("-" * 999 + "x", -0.5),
    ],
)
def test_allowed_expressions_evaluate_like_the_math(expression: str, expected: float) -> None:
    variables = parse_assignments(["x=0.5", "w=-1", "b=2"])
    assert evaluate(expression, variables).data == pytest.approx(expected)


def test_variables_are_labelled_leaves_and_a_repeated_variable_is_one_node() -> None:
    variables = parse_assignments(["x=3"])
    out = evaluate("x * x", variables)
    out.backward()
    assert out.inputs == (variables["x"], variables["x"])
    assert variables["x"].label == "x" and variables["x"].grad == 6.0


def test_the_expression_module_never_calls_eval_exec_or_compile() -> None:
    tree = ast.parse(Path(expression_module.__file__).read_text("utf-8"))
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    called |= {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}


# --- sums fold into one node ----------------------------------------------------------------


def test_a_chain_of_three_or_more_plus_is_one_sum_node_with_the_same_numbers() -> None:
    names = ["a=0.1", "b=0.2", "c=0.7", "d=-1e-17"]
    flat = evaluate("a + b*c + c + d", parse_assignments(names))
    assert flat.op == "sum" and len(flat.inputs) == 4
    variables = parse_assignments(names)
    a, b, c, d = (variables[k] for k in "abcd")
    chain = ((a + b * c) + c) + d  # what Python's + would build
    flat.backward()
    chain.backward()
    assert flat.data == chain.data  # sum adds left to right, as the chain does
    assert [v.grad for v in variables.values()] == [a.grad, b.grad, c.grad, d.grad]
    flat_vars = flat.inputs[0], flat.inputs[1].inputs[0], flat.inputs[2], flat.inputs[3]
    assert [v.grad for v in flat_vars] == [a.grad, b.grad, c.grad, d.grad]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("expression", "op"),
    [("a + b", "+"), ("a + (b + c)", "+"), ("a + b - c + a", "+"), ("a - b - c", "-"),
     ("1 + 2 + 3", "sum"), ("a*b*c", "*")],
)  # fmt: skip
def test_only_chains_of_plus_fold(expression: str, op: str) -> None:
    assert evaluate(expression, parse_assignments(["a=1", "b=2", "c=3"])).op == op


# --- bounded drawing: an answer for every input, refusal before dot ------------------------

SUM_200 = "+".join(["x"] * 200)
PRODUCT_1000 = "*".join(["x"] * 1000)
PRODUCT_200 = "*".join(["(x+1)"] * 200)


def forbid_dot(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Fails the test if dot is run; returns the list of commands that tried."""
    tried: list[list[str]] = []

    def run(command: list[str], *args: object, **kwargs: object) -> None:
        tried.append(command)
        raise AssertionError("dot was run")

    monkeypatch.setattr(rendering.subprocess, "run", run)
    return tried


@pytest.mark.parametrize("expression", [PRODUCT_1000, PRODUCT_200])
def test_slow_expressions_are_refused_in_one_line_before_dot_runs(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    expression: str,
) -> None:
    assert len(expression) < 2000  # short enough to pass the length limit
    tried = forbid_dot(monkeypatch)
    output = tmp_path / "g.svg"
    code, out, err = run_draw(capsys, expression, "x=1.0001", output=output)
    assert out == "" and tried == []
    assert_refused(code, err, output, "too big to lay out", "ranks crossed by long edges")


@needs_dot
def test_a_sum_of_200_terms_is_drawn_as_one_sum_node(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "g.svg"
    code, _, err = run_draw(capsys, SUM_200, "x=1", output=output)
    assert (code, err) == (0, "")
    svg = html.unescape(output.read_text("utf-8"))
    assert "Σ" in svg and "1 (×200)" in svg and "grad 200" in svg


def test_the_budget_lets_ordinary_expressions_through_and_counts_like_dot() -> None:
    root = evaluate("relu(x*w - b) + relu(x*b)", parse_assignments(["x=1", "w=2", "b=3"]))
    size = budget.check_layout_budget(root)
    # 9 Values (x, w, b and 6 made by ops) and 6 op ellipses; 10 input edges and 6 op → value
    assert (size.values, size.nodes, size.edges) == (9, 15, 16)
    x = parse_assignments(["x=2"])["x"]
    product = x
    for _ in range(9):
        product = product * x
    # x sits at rank 0, the k-th × at rank 4k − 2 and its product at 4k: the edge from x to
    # the k-th × crosses 4k − 3 ranks, the others 1 each (an edge into an op, and op → value)
    first = 1 + 1 + 1  # x → × twice, × → x·x
    later = sum((4 * k - 3) + 1 + 1 for k in range(2, 10))
    assert budget.layout_size(product).long_edge_ranks == first + later


# --- --frames -------------------------------------------------------------------------------


@needs_dot
def test_frames_are_written_as_numbered_images(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output, frames = tmp_path / "g.png", tmp_path / "frames"
    code, out, err = run_draw(
        capsys, "relu(x*w - b) + relu(x*b)", "x=0.5", "w=-1", "b=2", "--frames", str(frames),
        output=output,
    )  # fmt: skip
    assert (code, err) == (0, "")
    names = sorted(p.name for p in frames.iterdir())
    assert names == [f"frame_{k}.png" for k in range(1, 10)]  # one per Value
    assert out == f"wrote {output}\nwrote 9 frames: {frames / 'frame_1.png'} … frame_9.png\n"
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in frames.iterdir())


def test_a_frames_path_that_is_a_file_or_the_output_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried = forbid_dot(monkeypatch)
    output = tmp_path / "g.svg"
    file = tmp_path / "file"
    file.write_text("not a directory")
    code, _, err = run_draw(capsys, "x*2", "x=1", "--frames", str(file), output=output)
    assert_refused(code, err, output, "--frames", "is not a directory")
    code, _, err = run_draw(capsys, "x*2", "x=1", "--frames", str(output), output=output)
    assert_refused(code, err, output, "--frames and -o name the same path")
    assert tried == [] and file.read_text() == "not a directory"


@pytest.mark.parametrize(
    ("output", "frames", "says"),
    [
        ("d.svg", None, "-o 'TMP/d.svg' is a directory"),
        ("g.svg/x.svg", None, "-o 'TMP/g.svg/x.svg': 'TMP/g.svg' exists and is not a directory"),
        ("g2.svg", "g.svg/sub", "--frames 'TMP/g.svg/sub': 'TMP/g.svg' exists and is not a"),
        ("g2.svg", "g.svg", "--frames 'TMP/g.svg': 'TMP/g.svg' exists and is not a directory"),
        ("d.svg/x/y.svg", "g.svg/sub", "--frames 'TMP/g.svg/sub': 'TMP/g.svg' exists and"),
    ],
)  # fmt: skip
def test_unusable_output_paths_are_refused_in_one_line_before_dot_runs(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    output: str,
    frames: str | None,
    says: str,
) -> None:
    tried = forbid_dot(monkeypatch)
    (tmp_path / "g.svg").write_text("a file")
    (tmp_path / "d.svg").mkdir()
    before = sorted(tmp_path.rglob("*"))
    frames_args = [] if frames is None else ["--frames", str(tmp_path / frames)]
    code, out, err = run_draw(
        capsys, "relu(x*w + b)", "x=0.5", "w=-1", "b=2", *frames_args, output=tmp_path / output
    )
    assert (code, out, tried) == (2, "", [])
    assert err.startswith(f"autograd-lite draw: {says.replace('TMP', str(tmp_path))}")
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, no directory made
    assert (tmp_path / "g.svg").read_text() == "a file"


def test_the_directories_are_made_before_dot_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, frames = tmp_path / "new" / "g.svg", tmp_path / "film" / "frames"
    seen: list[tuple[bool, bool]] = []

    def run(command: list[str], *args: object, **kwargs: object) -> object:
        seen.append((output.parent.is_dir(), frames.is_dir()))
        return subprocess.CompletedProcess(command, 0, stdout=b"<svg/>", stderr=b"")

    monkeypatch.setattr(rendering.subprocess, "run", run)
    code, _, err = run_draw(capsys, "x*2", "x=1", "--frames", str(frames), output=output)
    assert (code, err) == (0, "")
    assert seen == [(True, True)] * 3  # the graph, then a frame for each of x and x*2
    assert output.read_bytes() == b"<svg/>"


def test_too_many_frames_are_refused_before_dot_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried = forbid_dot(monkeypatch)
    output, frames = tmp_path / "g.svg", tmp_path / "frames"
    expression = "+".join(f"tanh(x*{k})" for k in range(1, 30))  # x, 29 × and tanh, Σ: 60
    code, _, err = run_draw(capsys, expression, "x=1", "--frames", str(frames), output=output)
    assert_refused(code, err, output, "--frames: 60 frames of 119 nodes")
    assert tried == [] and not frames.exists()


# --- kind errors (issue 24 §4): one line on stderr, what failed and how to fix it -----------


def run_cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m autograd_lite argv` in a fresh process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "autograd_lite", *argv],
        capture_output=True, text=True, timeout=120, check=False, cwd=cwd,
    )  # fmt: skip


def run_main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path, *argv: str
) -> subprocess.CompletedProcess[str]:
    """`autograd-lite argv` run in this process (argparse's errors exit): as run_cli, faster."""
    monkeypatch.chdir(cwd)
    try:
        code = main(list(argv))
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(list(argv), code, captured.out, captured.err)


def assert_one_line(done: subprocess.CompletedProcess[str], command: str) -> str:
    """The one line the failed command printed on stderr: no traceback, no raw errno."""
    assert done.returncode == 2, done
    assert done.stdout == ""
    err = done.stderr
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err and "[Errno" not in err and ".tmp" not in err, err
    assert err.startswith(f"autograd-lite{command}"), err
    return err.strip()


@pytest.mark.parametrize(
    ("argv", "dashed"),
    [
        (["draw", "-x", "x=1"], "-x"),
        (["draw", "-o", "g.svg", "-x", "x=1"], "-x"),
        (["draw", "-x*w", "-o", "g.svg", "x=1", "w=2"], "-x*w"),
        (["draw", "-og.svg", "--output=g.svg", "-2*x", "x=1"], "-2*x"),  # not -og.svg
        (["draw", "--out", "g.svg", "-x", "x=1"], "-x"),  # argparse's --out is --output
    ],
)
def test_an_expression_that_starts_with_minus_is_told_to_come_after_dashes(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    dashed: str,
) -> None:
    line = assert_one_line(run_main(capsys, monkeypatch, tmp_path, *argv), "")
    assert f"an expression that starts with - (here {dashed!r}) must come after --" in line
    assert f"autograd-lite draw -o graph.svg -- {dashed!r} x=1" in line  # how to write it
    assert list(tmp_path.iterdir()) == []


def test_the_dash_hint_is_right(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    output = tmp_path / "g.svg"
    code, _, err = run_draw(capsys, "--", "-x", "x=1", output=output)  # as the hint says
    assert (code, err) == (0, "") and output.exists()
    other = tmp_path / "other.svg"
    code, _, err = run_draw(capsys, "--", "-x", "-y=1", output=other)  # -y=1 is no option there
    assert_refused(code, err, other, "'-y' is not a valid variable name (in '-y=1')")


def test_an_unknown_function_gets_did_you_mean_and_the_functions_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "g.svg"
    code, _, err = run_draw(capsys, "rleu(x)", "x=1", output=output)
    assert_refused(code, err, output, "unknown function 'rleu': did you mean relu?")
    assert len(err.strip()) < 200, len(err)  # was 250 characters, the functions listed twice
    for name in expression_module.FUNCTIONS:
        uses = len(re.findall(rf"(?<![\w]){name}(?![\w])", err))
        assert uses == (2 if name == "relu" else 1), (name, err)  # relu: "did you mean" too


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("output", ["/proc/t.svg", "/proc/nope/t.svg"])
def test_an_output_that_cannot_be_written_is_named_as_the_user_gave_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    # /proc/nope cannot be made, which is known before dot runs; that /proc takes no new
    # file is known only when the image is written
    tried = forbid_dot(monkeypatch) if output == "/proc/nope/t.svg" else []
    code, out, err = run_draw(capsys, "x*2", "x=1", output=Path(output))
    assert (code, out, tried) == (2, "", [])
    # the error names the user's path, or the folder on it that could not be made
    named = "/proc/t.svg" if output == "/proc/t.svg" else "/proc/nope"
    assert err.startswith(f"autograd-lite draw: cannot write {named!r} (")
    assert err.count("\n") == 1 and ".tmp" not in err and "[Errno" not in err
    assert "choose" in err or "create" in err  # how to fix it


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", ["demo", "regression"])
def test_an_out_folder_that_cannot_be_made_is_one_line_saying_how_to_fix_it(
    command: str,
) -> None:
    done = run_cli(command, "--out", "/proc/nope", "--no-progress")
    line = assert_one_line(done, f" {command}")
    assert "cannot write '/proc/nope" in line and "No such file or directory" in line
    assert "choose a folder you can write to" in line


@pytest.mark.parametrize(
    ("assignments", "says"),
    [
        (["x=1", "z=2"], "'z=2' is given, but the expression has no z: remove it, or use it"),
        (["z=2", "x=1", "y=3"], "'z=2' and 'y=3' are given, but the expression has no z or y"),
        (["x=1", "X=2"], "'X=2' is given, but the expression has no X"),
    ],
)
def test_an_unused_assignment_is_reported(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    assignments: list[str],
    says: str,
) -> None:
    tried = forbid_dot(monkeypatch)
    output = tmp_path / "g.svg"
    code, out, err = run_draw(capsys, "x*2", *assignments, output=output)
    assert_refused(code, err, output, says)
    assert (out, tried) == ("", [])


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["draw", "x*2", "x=1", "-o", "g.jpg"], " draw"),
        (["draw", "import os", "-o", "g.svg"], " draw"),
        (["draw", "x*2", "x=1", "-o", "sub"], " draw"),  # a directory
        (["draw", "x*2", "x=1", "-o", "file/g.svg"], " draw"),  # a file where a folder goes
        (["demo", "--out", "file", "--no-progress"], " demo"),
        (["demo", "--steps", "0"], " demo"),
        (["regression", "--seed", "x"], " regression"),
        (["train"], ""),
        ([], ""),
    ],
)
def test_every_cli_error_is_one_line_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    command: str,
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "file").write_text("a file")
    before = sorted(tmp_path.rglob("*"))
    assert_one_line(run_main(capsys, monkeypatch, tmp_path, *argv), command)
    assert sorted(tmp_path.rglob("*")) == before
