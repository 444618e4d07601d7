"""The generated module: committed, current, and real code a learner can open and step into;
and the chain rule as written for learners, against the fast loop."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from strategies import Program, programs

from autograd_lite.core import _ops_generated, codegen, engine, rules
from autograd_lite.core.engine import Value

PACKAGE = Path(engine.__file__).resolve().parents[1]


def test_the_committed_file_is_what_the_rule_table_generates_now() -> None:
    text = codegen.generate(engine.RULES, engine.NEGATIVE_SLOPE)
    assert codegen.TARGET.read_text("utf-8") == text, "run make regen"


def test_the_header_says_how_the_file_is_made_and_not_to_edit_it() -> None:
    head = codegen.TARGET.read_text("utf-8").splitlines()[:2]
    assert "make regen" in head[0] and "python -m autograd_lite.core.codegen" in head[0]
    assert head[1].startswith("# Do not edit")


@pytest.mark.parametrize("method", [*codegen.METHODS, "__lt__", "__le__", "__gt__", "__ge__"])
def test_every_op_method_is_a_named_function_of_the_generated_file(method: str) -> None:
    function = getattr(Value, method)
    assert inspect.getsourcefile(function) == str(Path(_ops_generated.__file__).resolve())
    assert function.__name__ == method and function.__qualname__ == f"ValueOps.{method}"
    assert next(iter(inspect.signature(function).parameters)) == "self"
    assert inspect.getsource(function).lstrip().startswith(f"def {method}(self")


def test_leaky_relus_parameter_is_negative_slope_as_in_pytorch() -> None:
    x = Value(-2.0)
    assert x.leaky_relu(negative_slope=0.25).data == -0.5
    assert inspect.signature(Value.leaky_relu).parameters["negative_slope"].default == 0.01
    assert x.leaky_relu().data == -2.0 * engine.NEGATIVE_SLOPE


def test_sum_of_values_has_one_name_total() -> None:
    import autograd_lite as al

    assert al.total([Value(1.0), 2.0]).data == 3.0
    with pytest.raises(AttributeError, match=r"al\.total"):
        al.sum  # noqa: B018


def test_a_breakpoint_in_the_generated_file_is_hit() -> None:
    source, first = inspect.getsourcelines(Value.__mul__)
    target = first + next(i for i, line in enumerate(source) if "out = x * y" in line)
    hits = []

    def trace(frame, event, arg):  # type: ignore[no-untyped-def]
        if frame.f_code.co_filename == _ops_generated.__file__ and frame.f_lineno == target:
            hits.append(frame.f_locals["x"])
        return trace

    sys.settrace(trace)
    try:
        Value(2.0) * 3.0
    finally:
        sys.settrace(None)
    assert hits == [2.0]


def test_the_ops_functions_are_the_generated_ones() -> None:
    for op, rule in engine.RULES.items():
        prefix = codegen.function_prefix(op)
        assert engine.OPS[op].forward is getattr(_ops_generated, f"{prefix}_forward")
        assert engine.OPS[op].rule == rule
        assert len(engine.OPS[op].local_grad) == rule.arity


def test_an_op_compiled_at_run_time_is_the_generated_one() -> None:
    for op, rule in engine.RULES.items():
        compiled = codegen.compile_op(op, rule)
        numbers = (0.75, 2.0)[: rule.arity]
        generated = engine.OPS[op]
        out = generated.forward(*numbers)
        assert compiled.forward(*numbers) == out
        assert compiled.local_grads(out, *numbers) == generated.local_grads(out, *numbers)


def _copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "autograd_lite",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    return tmp_path / "autograd_lite"


def _python(cwd: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "AUTOGRAD_LITE_REGEN"}
    environment.update(PYTHONPATH=str(cwd), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, env=environment)  # fmt: skip


def test_a_rule_changed_without_make_regen_fails_loudly_until_regenerated(tmp_path: Path) -> None:
    package = _copy_of_the_package(tmp_path)
    engine_py = package / "core" / "engine.py"
    text = engine_py.read_text("utf-8")
    changed = text.replace('rule("x * y", "y", "x")', 'rule("x * y", "y", "x + 0.0")')
    assert changed != text
    engine_py.write_text(changed, "utf-8")
    check = "import autograd_lite as al; x = al.Value(2.0); (x * 3.0).backward(); print(x.grad)"
    stale = _python(tmp_path, check)
    assert stale.returncode != 0 and "run make regen" in stale.stderr
    regen = subprocess.run([sys.executable, str(package / "core" / "codegen.py")],  # make regen
                           capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert regen.returncode == 0, regen.stderr
    fresh = _python(tmp_path, check)
    assert fresh.returncode == 0 and fresh.stdout.strip() == "3.0"
    assert '"x + 0.0"' in (package / "core" / "_ops_generated.py").read_text("utf-8")


def test_a_domain_error_must_be_a_builtin_exception() -> None:
    class Mine(ValueError):
        pass

    wrong = rules.rule("x", "1.0", domain=(rules.Domain("x > 0.0", Mine, "no"),))
    with pytest.raises(ValueError, match="builtin exception, got Mine"):
        codegen.op_source("mine", wrong)


# --- the chain rule as a learner writes it, against the fast loop --------------------------


@given(programs(max_leaves=4, max_steps=14))
def test_propagate_simply_gives_the_fast_loops_grads_to_the_last_bit(program: Program) -> None:
    program = program.checked()  # finite numbers (the fast loop's case), no kinks
    grads = []
    for propagate in (engine.propagate, engine.propagate_simply):
        root, _ = program.build(*(Value(x) for x in program.leaves))
        order = engine.topological_order(root)
        root.grad = 1.0
        propagate(order)
        grads.append([node.grad for node in order])
    assert grads[0] == grads[1]


def test_make_regen_replaces_a_broken_generated_file(tmp_path: Path) -> None:
    package = _copy_of_the_package(tmp_path)
    generated = package / "core" / "_ops_generated.py"
    generated.write_text("this is not Python\n", "utf-8")
    regen = subprocess.run([sys.executable, str(package / "core" / "codegen.py")],
                           capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert regen.returncode == 0, regen.stderr
    assert generated.read_text("utf-8") == codegen.TARGET.read_text("utf-8")
