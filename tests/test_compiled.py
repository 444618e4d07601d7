"""al.compile: compiled steps give eager mode's numbers, and refuse or retrace whenever a
replay could be stale."""

from __future__ import annotations

import ast
import keyword
import linecache
import math
import random
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import Program, programs

import autograd_lite as al
from autograd_lite import Value
from autograd_lite.compiler.compiled import BranchError
from autograd_lite.compiler.npcode import _Plan
from autograd_lite.compiler.ruleexpr import HELPERS, NARY, local_grad_code, value_code
from autograd_lite.compiler.tape import MASKING_OPS, RESERVED, Tape
from autograd_lite.core import engine, nary
from autograd_lite.nn import MLP
from autograd_lite.nn.losses import half_squared_error
from autograd_lite.nn.optim import SGD


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def eager_grads(f, params, *args):  # type: ignore[no-untyped-def]
    for p in params:
        p.grad = 0.0
    out = f(*args)
    out.backward()
    return out.data, [p.grad for p in params]


def compiled_grads(step, params, *args):  # type: ignore[no-untyped-def]
    for p in params:
        p.grad = 0.0
    return step(*args), [p.grad for p in params]


def sum_grads(step, params, *columns):  # type: ignore[no-untyped-def]
    for p in params:
        p.grad = 0.0
    return step.sum(*columns), [p.grad for p in params]


def eager_sum(f, params, *columns):  # type: ignore[no-untyped-def]
    return eager_grads(lambda: al.total([f(*a) for a in zip(*columns)]), params)


def regression(n: int, seed: int) -> tuple[list[list[float]], list[list[float]]]:
    rng = random.Random(seed)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    return xs, [[math.sin(3 * x0) * x1] for x0, x1 in xs]


# --- equality with eager mode ----------------------------------------------------------------


def test_seed_network_step_is_eager_to_the_last_bit() -> None:
    model = MLP(2, [2, 2], output_activation="relu", seed=0)
    params = model.parameters()

    def f(x: list[float], y: list[float]) -> Value:
        return half_squared_error(model(x), y)

    step = al.compile(f)
    for x, y in (([1.0, 0.5], [1.5, 0.5]), ([0.3, -0.8], [0.2, 0.9])):
        assert compiled_grads(step, params, x, y) == eager_grads(f, params, x, y)
    assert step.traces == 1


def test_full_batch_step_matches_eager_after_optimizer_steps() -> None:
    model = MLP(2, [8, 8, 1], seed=1)
    params = model.parameters()
    xs, ys = regression(20, 2)

    def batch(xs: list[list[float]], ys: list[list[float]]) -> Value:
        return al.total([half_squared_error(model(x), y) for x, y in zip(xs, ys)])

    step = al.compile(batch)
    optimizer = SGD(params, lr=0.05)
    for _ in range(3):
        expected = eager_grads(batch, params, xs, ys)
        assert compiled_grads(step, params, xs, ys) == expected  # the same bits
        optimizer.step()
    new_xs, new_ys = regression(20, 3)
    expected = eager_grads(batch, params, new_xs, new_ys)
    assert compiled_grads(step, params, new_xs, new_ys) == expected
    assert step.traces == 1
    assert "for _k in _reversed(_range(20)):" in step.source  # the samples became a loop


def test_leaves_accumulate_like_backward() -> None:
    p = Value(1.5)
    step = al.compile(lambda x: x * p * p)
    p.grad = 1.0
    step(2.0)
    assert p.grad == 1.0 + 2 * 2.0 * 1.5


def test_value_arguments_get_gradients() -> None:
    p = Value(0.5, "p")

    def f(a: Value, b: Value) -> Value:
        return (a * b + p).tanh() * a

    step = al.compile(f)
    for a_data, b_data in ((0.3, -1.2), (1.1, 0.4)):
        a, b = Value(a_data), Value(b_data)
        p.grad = 0.0
        J = step(a, b)
        got = (a.grad, b.grad, p.grad)
        a2, b2 = Value(a_data), Value(b_data)
        p.grad = 0.0
        out = f(a2, b2)
        out.backward()
        assert out.data == J and got == (a2.grad, b2.grad, p.grad)
    a = Value(0.7)
    p.grad = 0.0
    step(a, a)  # the same Value twice: both uses add up, as in eager mode
    a2 = Value(0.7)
    p.grad = 0.0
    f(a2, a2).backward()
    assert a.grad == a2.grad


def test_a_value_argument_with_history_passes_the_gradient_on() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    step = al.compile(lambda v: v * v)
    ab = a * b
    assert step(ab) == 36.0
    assert (a.grad, b.grad, ab.grad) == (36.0, 24.0, 12.0)  # ∂J/∂a = 2ab·b, as eager
    assert step(ab) == 36.0  # again: a and b accumulate, ab's grad is this pass's, as eager
    a2, b2 = Value(2.0), Value(3.0)
    ab2 = a2 * b2
    (ab2 * ab2).backward()
    (ab2 * ab2).backward()
    assert (a.grad, b.grad, ab.grad) == (a2.grad, b2.grad, ab2.grad) == (72.0, 48.0, 12.0)
    leaf = Value(6.0)
    assert step(leaf) == 36.0 and leaf.grad == 12.0
    assert _runs_of_f(step, leaf) == 0  # a leaf is replayed, as before


def test_sum_matches_the_eager_sum() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    xs, ys = regression(50, 4)

    def f(x: list[float], y: list[float]) -> Value:
        return half_squared_error(model(x), y)

    step = al.compile(f)
    J, grads = sum_grads(step, params, xs, ys)
    J_eager, expected = eager_sum(f, params, xs, ys)
    assert close(J, J_eager) and all(close(g, e) for g, e in zip(grads, expected))
    assert "@" in step.sum_source  # the dot nodes of a layer fused into a matrix product


def _random_program_check(program: Program, perturbation: float) -> None:
    params = [Value(x) for x in program.leaves]
    n = len(params)

    def f(*ts: Value) -> Value:
        return program(*(p + t for p, t in zip(params, ts)))

    step = al.compile(f)
    ts = [perturbation * (k + 1) for k in range(n)]
    try:
        expected = eager_grads(f, params, *ts)
    except (ValueError, ArithmeticError) as error:
        with pytest.raises(type(error)):
            compiled_grads(step, params, *ts)
        return
    J, grads = compiled_grads(step, params, *ts)
    assert close(J, expected[0]) and all(close(g, e) for g, e in zip(grads, expected[1]))
    columns = [[0.0, perturbation, -perturbation] for _ in range(n)]
    J, grads = sum_grads(step, params, *columns)
    J_eager, eager = eager_sum(f, params, *columns)
    assert close(J, J_eager, 1e-9)
    assert all(close(g, e, 1e-9) for g, e in zip(grads, eager))


@given(programs(), st.sampled_from([0.0, 1e-3, -0.25]))
def test_random_programs_compile_to_eager_numbers(program: Program, shift: float) -> None:
    _random_program_check(program.checked(), shift)


# --- one source of truth ---------------------------------------------------------------------


@given(st.lists(st.floats(-10, 10), min_size=2, max_size=9))
def test_nary_code_is_the_engines_sum_and_dot(numbers: list[float]) -> None:
    names = [f"v{k}" for k in range(len(numbers))]
    scope = dict(zip(names, numbers))
    for op in ("sum", "dot"):
        out = eval(NARY[op].value(names), HELPERS, scope)  # our own table's code
        assert out == engine.OPS[op].forward(*numbers)
        codes = [local_grad_code(op, k, names, "out") for k in range(len(names))]
        grads = [eval(code, HELPERS, scope) for code in codes]
        assert tuple(grads) == tuple(engine.OPS[op].local_grads(out, *numbers))


def test_rule_code_comes_from_the_op_table() -> None:
    assert value_code("relu", ["z"]) == "z if z > 0.0 else 0.0"
    assert value_code("relu", ["z"], numpy=True) == "_np.where(z > 0.0, z, 0.0)"
    assert local_grad_code("relu", 0, ["z"], "a") == "1.0 if z > 0.0 else 0.0"
    assert local_grad_code("**", 0, ["s", 2.0], "o") == "2.0 * _power(s, 1.0)"  # constants fold


def test_source_reads_as_the_chain_rule() -> None:
    model = MLP(2, [2, 2], output_activation="relu", seed=0)
    step = al.compile(lambda x, y: half_squared_error(model(x), y))
    step([1.0, 0.5], [1.5, 0.5])
    source = step.source
    assert "dJ_dz3_1 = dJ_da3_1 * (1.0 if z3_1 > 0.0 else 0.0)" in source
    assert "z2_1 = 0.0 + Θ2_11 * x_1 + Θ2_12 * x_2 + b2_1" in source
    assert "dJ_dΘ2_11 += dJ_dz2_1 * x_1" in source
    filename = step._latest().cache["python"].__code__.co_filename
    assert linecache.getline(filename, 1).startswith("def _replay(_numbers, _L):")


# --- the generated code's own names ---------------------------------------------------------

#: Names the generated code once used bare: each was a clash waiting for a label.
OLD_TEMPLATE_NAMES = [
    "numbers", "L", "np", "Stale", "NotFinite", "finite", "check_domain", "DOMAIN", "Value",
    "exp", "log", "sqrt", "tanh", "power", "zero", "signed_inf", "inf", "float", "abs", "sum",
    "replay", "N", "P", "G", "IN", "J", "k", "TERMS", "SAVED", "SLOTS", "GET", "range",
    "reversed", "bad", "dX", "LEAVES", "leaf", "g", "zip", "slice",
]  # fmt: skip
N_LABELLED = 80


def _labelled_steps(labels: list[str]) -> tuple[list[Value], list[tuple[al.Compiled, tuple]]]:  # type: ignore[type-arg]
    """Parameters with these labels, and steps (with their arguments) whose generated code
    takes every template: straight and looped Python, one and two passes, the sample's
    numbers read one or several at a time, a guard, a fused layer, NumPy's column gradient
    _dX. Each parameter is used after the guard and inside the loops."""
    ps = [Value(0.05 + 0.1 * ((k % 7) - 3), label) for k, label in enumerate(labels)]
    W, B, V, rest = ps[:6], ps[6:9], ps[9:11], ps[11:]

    def sample(x: list, y: Value | float, guard: bool = False) -> Value:  # type: ignore[type-arg]
        h = [z.tanh() for z in nary.affine([W[0:2], W[2:4], W[4:6]], x, B)]
        z = nary.dot(V, [h[1], x[0] * h[2]])
        if guard and z > -1e9:  # every parameter below is read after this guard
            z = z * 1.0
        h0, h1, h2 = h
        square = h0 * h0 + 1.0
        every_op = [square.log(), (square - 0.5).sqrt(), h1.sigmoid(), h1.relu(), abs(h2),
                    h2.leaky_relu(), h0.exp() / square, -h2, square ** V[0]]  # fmt: skip
        return (z - y) ** 2 + al.total([p * h0 for p in rest]) + al.total(every_op)

    xs, ys = [[0.5, -0.25], [0.1, 0.7], [-0.3, 0.2]], [0.3, -0.2, 0.9]
    steps = [
        (al.compile(lambda x, y: sample(x, y, guard=True)), (xs[0], ys[0])),
        (al.compile(lambda xs, ys: al.total(map(sample, xs, ys)).sqrt()), (xs, ys)),
        (al.compile(lambda ys: al.total([sample([0.5, -0.25], y) for y in ys]) * 0.5), (ys,)),
    ]
    return ps, steps


def _runs_of_f(step: al.Compiled, *args: object) -> int:
    """How many times step(*args) ran f: 1 to trace it, 0 to replay it; more means the
    replay fell back to eager mode."""
    runs = []
    f = step.f
    step.f = lambda *a: runs.append(1) or f(*a)
    try:
        step(*args)
    finally:
        step.f = f
    return len(runs)


def _sources(step: al.Compiled) -> list[tuple[str, set[str]]]:
    """step's sources, each with the names it may use besides the node names and the
    `_` names: its gradients', and (NumPy) the fused units' (made by a Namer that knew
    the node names)."""
    tape: Tape = step._latest()
    source = step.source
    numpy = not tape.guards or step.f.__code__.co_argcount == 2
    plan = _Plan(tape) if numpy else None  # (it names every node; a loop, only those it reads)
    node_names = set(tape.names)
    found = [(source, {f"dJ_d{n}" for n in node_names})]
    if plan is not None:
        plan.forward()  # names the fused layers' weights and biases
        units = plan.namer.used - node_names - RESERVED - set(keyword.kwlist + keyword.softkwlist)
        allowed = units | {f"dJ_d{n}" for n in units | node_names}
        found.append((step.sum_source, allowed))
    return found


def _names_in(source: str) -> set[str]:
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args}
    return names | {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_every_name_in_generated_code_is_a_node_or_starts_with_an_underscore() -> None:
    _, steps = _labelled_steps([f"p{k}" for k in range(N_LABELLED)])
    for step, args in steps:
        step(*args)
        if step.f.__code__.co_argcount == 2 and not isinstance(args[1], list):
            step.sum([args[0], args[0]], [args[1], -args[1]])
        sources = _sources(step)
        node_names = set(step._latest().names)
        for source, allowed in sources:
            strays = {n for n in _names_in(source) - node_names - allowed if n[0] != "_"}
            assert not strays, f"names neither a node's nor the code's own: {strays}"


def test_labels_named_like_the_generated_codes_own_names_change_nothing() -> None:
    _, steps = _labelled_steps([f"p{k}" for k in range(N_LABELLED)])
    own: set[str] = set()
    for step, args in steps:
        step(*args)
        own |= {n.lstrip("_") for src, _ in _sources(step) for n in _names_in(src) if n[0] == "_"}
    labels = sorted((own | set(OLD_TEMPLATE_NAMES)) - {""})
    assert len(labels) <= N_LABELLED
    ps, steps = _labelled_steps(labels + [f"p{k}" for k in range(N_LABELLED - len(labels))])
    for step, args in steps:
        f = step.f
        for _ in range(2):  # the trace's replay, then a replay of the stored code
            assert compiled_grads(step, ps, *args) == eager_grads(f, ps, *args)
        assert _runs_of_f(step, *args) == 0  # the numbers were the replay's, not eager mode's
        assert step.traces == 1
    step, (x, y) = steps[0]
    columns = ([x, [0.2, -0.4]], [y, 0.1])
    J, grads = sum_grads(step, ps, *columns)
    J_eager, expected = eager_sum(step.f, ps, *columns)
    assert close(J, J_eager) and all(close(g, e) for g, e in zip(grads, expected))


def test_a_label_holding_a_placeholder_is_put_in_whole() -> None:
    a, c = Value(2.0, "a_in1_b"), Value(5.0, "c_out_d")  # the rule templates' placeholders
    step = al.compile(lambda x: (a * c * x).exp() * a)
    assert compiled_grads(step, [a, c], 0.1) == eager_grads(step.f, [a, c], 0.1)
    assert "a_in1_b * c_out_d" in step.source


def test_a_bug_in_generated_code_is_raised_not_hidden_by_eager_mode() -> None:
    p = Value(2.0)
    step = al.compile(lambda x: x * p)
    step(1.0)
    step._latest().cache["python"] = lambda numbers, leaves: 1.0 + None  # a broken replay
    with pytest.raises(TypeError, match="unsupported operand"):
        step(1.0)


# --- structure guards ------------------------------------------------------------------------


def test_a_changed_branch_retraces() -> None:
    p = Value(0.5)

    def f(x: float) -> Value:
        y = x * p
        return (y + 1.0).log() if y > 0 else (y * y).exp()

    step = al.compile(f)
    for x, traces in ((1.0, 1), (2.0, 1), (-1.0, 2), (-3.0, 2), (1.0, 3)):
        assert compiled_grads(step, [p], x) == eager_grads(f, [p], x)
        assert step.traces == traces


def test_sum_refuses_samples_on_different_branches_naming_the_line() -> None:
    p = Value(0.5)

    def f(x: float) -> Value:
        if x * p > 0:  # the comparison
            return x * p
        return -x * p

    step = al.compile(f)
    with pytest.raises(BranchError, match=r"test_compiled\.py:\d+.*samples \[1\]"):
        step.sum([1.0, -1.0, 2.0])
    p.grad = 0.0
    assert step.sum([-1.0, -2.0]) == pytest.approx(1.5)  # all on the other branch: retraced
    assert p.grad == pytest.approx(3.0)


def test_a_file_name_never_reaches_the_generated_code() -> None:
    text = "def f(x):\n    if x * 1.0 > 0.0:\n        return x * 2.0\n    return x * 3.0\n"
    filename = 'user.py\n        raise SystemExit("a file name ran as code")\n#'
    scope: dict = {}  # type: ignore[type-arg]
    exec(compile(text, filename, "exec"), scope)  # our own test text
    step = al.compile(scope["f"])
    assert step(1.0) == 2.0 and step(-1.0) == -3.0 and step(2.0) == 4.0
    assert step.sum([1.0, 2.0]) == 6.0
    for source in (step.source, step.sum_source):
        assert "user.py" not in source and "SystemExit" not in source
    with pytest.raises(BranchError, match=r"user\.py"):  # the message reads it from the tape
        step.sum([1.0, -1.0])


def test_kinks_are_ops_not_branches() -> None:
    p = Value(0.5)
    step = al.compile(lambda x: (x * p).relu() + abs(x * p) + (x * p).leaky_relu())
    for x in (1.0, -1.0, 0.0, 3.0):
        assert compiled_grads(step, [p], x) == eager_grads(step.f, [p], x)
    assert step.traces == 1
    J, grads = sum_grads(step, [p], [1.0, -1.0, 2.0])
    J_eager, expected = eager_sum(step.f, [p], [1.0, -1.0, 2.0])
    assert close(J, J_eager) and close(grads[0], expected[0])


def test_argument_shapes_are_part_of_the_key() -> None:
    p = Value(2.0)
    step = al.compile(lambda xs: al.total([x * p for x in xs]))
    assert step([1.0, 2.0]) == 6.0
    assert step([1.0, 2.0, 3.0]) == 12.0
    assert step.traces == 2
    with al.no_grad():  # the grad mode too
        p.grad = 0.0
        assert step([1.0]) == 2.0
        assert p.grad == 0.0
    assert step.traces == 3


def test_no_grad_and_detach_replay_their_values_and_stop_gradients() -> None:
    p, q = Value(0.5), Value(-1.5)

    def g(x: float) -> Value:
        with al.no_grad():
            s = x * p
        return s * p + (x * q).detach() * q

    step = al.compile(g)
    for data in (0.5, 0.7):
        p.data = data
        assert compiled_grads(step, [p, q], 2.0) == eager_grads(g, [p, q], 2.0)
        assert sum_grads(step, [p, q], [2.0, 3.0]) == eager_sum(g, [p, q], [2.0, 3.0])


def test_number_arguments_are_values_inside_f() -> None:
    step = al.compile(lambda x: Value(math.exp(x)))
    with pytest.raises(TypeError, match="number arguments are Values"):
        step(1.0)


# --- errors, anomalies and the zero rule -----------------------------------------------------


@pytest.mark.parametrize(
    ("f", "x", "error", "op"),
    [
        (lambda p, x: (x * p).log(), -1.0, ValueError, "log"),
        (lambda p, x: p / (x - 1.0), 1.0, ZeroDivisionError, "/"),
        (lambda p, x: (x * p).exp(), 2000.0, OverflowError, "exp"),
        (lambda p, x: (x * p).sqrt(), -2.0, ValueError, "sqrt"),
    ],
)
def test_domain_errors_are_the_engines(f, x, error, op) -> None:  # type: ignore[no-untyped-def]
    p = Value(0.5)
    step = al.compile(lambda x: f(p, x))
    step(3.0)  # traced in the domain
    p.grad = 0.0
    with pytest.raises(error, match=op if op != "/" else "divides by zero"):
        step(x)
    with pytest.raises(error):
        step.sum([3.0, x])
    assert p.grad == 0.0  # nothing written


def test_an_overflow_hidden_by_leaky_relus_slope_is_the_engines() -> None:
    p = Value(1.0, "p")
    step = al.compile(lambda w: p.leaky_relu(al.total([w]).exp()))  # slope e^w: a Value
    assert compiled_grads(step, [p], 0.0) == eager_grads(step.f, [p], 0.0) == (1.0, [1.0])
    p.grad = 0.0
    with pytest.raises(OverflowError, match="exp overflows"):  # leaky_relu(1, inf) = 1
        step(1000.0)
    with pytest.raises(OverflowError, match="exp overflows"):
        step.sum([0.0, 1000.0])
    assert p.grad == 0.0  # nothing written
    assert "leaky_relu" in MASKING_OPS  # found by running the rules, not listed by hand


def test_zero_rule_and_detect_anomaly() -> None:
    p = Value(0.0)
    step = al.compile(lambda x: (x * p).sqrt())  # ∂sqrt/∂u = inf at u = 0
    assert compiled_grads(step, [p], 0.0) == eager_grads(step.f, [p], 0.0) == (0.0, [0.0])
    assert compiled_grads(step, [p], 1.0) == eager_grads(step.f, [p], 1.0) == (0.0, [math.inf])
    assert sum_grads(step, [p], [0.0, 0.0]) == (0.0, [0.0])  # 0 · inf sends nothing
    with al.detect_anomaly(), pytest.raises(FloatingPointError, match="backward of sqrt"):
        step(1.0)


def test_bad_arguments_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="compile needs a function"):
        al.compile(3)  # type: ignore[arg-type]
    step = al.compile(lambda x: x * 2.0)
    with pytest.raises(TypeError, match=r"al\.compile\(<lambda>\): argument x must be a number"):
        step("a")
    with pytest.raises(TypeError, match="compile needs f to return a single Value, got float"):
        al.compile(lambda x: 2.0)(1.0)
    runs = []
    listed = al.compile(lambda x: runs.append(1) or [x * 2.0])
    with pytest.raises(TypeError, match="needs f to return a single Value, got list; reduce"):
        listed(1.0)
    assert len(runs) == 1  # traced once, not run again to look for an error of eager mode's
    with pytest.raises((TypeError, ValueError), match=r"<lambda>\)\.sum"):
        step.sum([[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="Values are not batched"):
        step.sum([Value(1.0)])
    with pytest.raises(ValueError, match="one entry per sample"):
        al.compile(lambda x, y: x * y).sum([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="not been traced"):
        al.compile(lambda x: x).source  # noqa: B018


@pytest.mark.parametrize(
    "column", [[True, False], ["1.5", "2"], [1.0, True], [[1.0, "2"]], [[1.0], [1.0, 2.0]]]
)
def test_sum_refuses_what_the_step_refuses(column: list) -> None:  # type: ignore[type-arg]
    import numpy as np

    w = Value(2.0)
    step = al.compile(lambda x, y: w * x)
    for refused in (column, np.array(column, dtype=object)):
        with pytest.raises(TypeError, match=r"\.sum: argument y must hold"):
            step.sum([1.0] * len(column), refused)
    if column != [[1.0], [1.0, 2.0]]:  # each sample alone is fine there; not so here:
        with pytest.raises(TypeError, match="argument y"):
            step(1.0, column[-1])
    with pytest.raises(TypeError, match=r"\.sum: argument x must hold"):
        step.sum(np.array([True, False]), [1.0, 2.0])  # a NumPy array of bools too
    assert w.grad == 0.0 and step.traces == 0


def test_step_needs_no_numpy() -> None:
    code = (
        "import sys, autograd_lite as al\n"
        "p = al.Value(2.0)\n"
        "assert al.compile(lambda x: (x * p).relu())(3.0) == 6.0\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_sum_fuses_layers_and_reads_any_columns() -> None:
    rng = random.Random(5)

    def values(*shape: int) -> list:  # type: ignore[type-arg]
        if len(shape) == 1:
            return [Value(rng.uniform(-1, 1)) for _ in range(shape[0])]
        return [values(*shape[1:]) for _ in range(shape[0])]

    w1, b1, w2, w3 = values(4, 3), values(4), values(2), values(2)
    params = [*(p for row in w1 for p in row), *b1, *w2, *w3]

    def f(x: list[Value], y: Value) -> Value:
        a = [z.tanh() for z in nary.affine(w1, x, b1)]  # one matrix product, one map
        z2 = nary.dot(w2, [a[2], a[0]])  # columns 2 and 0 of a
        z3 = nary.dot(w3, [a[1], x[0] * a[3]])  # a column beside a node of its own
        return (z2 * z3 - y) ** 2 + a[1].exp() + a[0].relu() / (1.0 + a[3] * a[3])

    xs = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(7)]
    ys = [rng.uniform(-1, 1) for _ in range(7)]
    step = al.compile(f)
    J, grads = sum_grads(step, params, xs, ys)
    J_eager, expected = eager_sum(f, params, xs, ys)
    assert close(J, J_eager) and all(close(g, e) for g, e in zip(grads, expected))
    assert "@" in step.sum_source


@pytest.mark.parametrize("head", ["mean", "sqrt"])
def test_loops_over_samples_keep_eager_bits(head: str) -> None:
    model = MLP(2, [4, 1], activation="tanh", seed=3)
    params = model.parameters()
    xs, ys = regression(12, 6)

    def batch(xs: list[list[float]], ys: list[list[float]]) -> Value:
        total = al.total([half_squared_error(model(x), y) for x, y in zip(xs, ys)])
        return total * (1.0 / len(xs)) if head == "mean" else total.sqrt()

    step = al.compile(batch)
    assert compiled_grads(step, params, xs, ys) == eager_grads(batch, params, xs, ys)
    assert ("_SAVED" in step.source) == (head == "sqrt")  # ∂J/∂Σ depends on Σ: two passes


def test_guards_on_parameters_alone() -> None:
    p, q = Value(1.0), Value(2.0)

    def f(x: float) -> Value:
        return x * p if p > q else x * q

    step = al.compile(f)
    assert sum_grads(step, [p, q], [1.0, 2.0]) == (6.0, [0.0, 3.0])
    p.data = 3.0  # now p > q for every sample: traced again
    assert sum_grads(step, [p, q], [1.0, 2.0]) == (9.0, [3.0, 0.0])
    assert step.traces == 2


def test_generated_lines_leave_linecache_with_their_tape() -> None:
    step = al.compile(lambda x: x * 2.0)
    step(1.0)
    filename = step._latest().cache["python"].__code__.co_filename
    assert filename in linecache.cache
    step.reset()
    del step
    import gc

    gc.collect()
    assert filename not in linecache.cache


# --- a call is eager mode: the classes of wrong answers a review found (issue 19) ---------


def _both_ways(f, leaves, *args):  # type: ignore[no-untyped-def]
    """(compiled, eager): (J, the leaves' grads) or the exception's type, each from the
    leaves' grads as given (they are restored in between)."""
    start = [p.grad for p in leaves]

    def run(call):  # type: ignore[no-untyped-def]
        for p, g in zip(leaves, start):
            p.grad = g
        try:
            return call(), [p.grad for p in leaves]
        except Exception as error:
            return type(error), [p.grad for p in leaves]

    def eager():  # type: ignore[no-untyped-def]
        out = f(*[[Value(x) for x in a] if isinstance(a, list) else a if isinstance(a, Value)
                  else Value(a) for a in args])  # fmt: skip
        out.backward()
        return out.data

    step = al.compile(f)
    return run(lambda: step(*args)), run(eager)


def test_sums_of_bare_leaves_accumulate_into_their_grads() -> None:
    a, b = Value(1.0), Value(2.0)
    ws = [Value(float(k)) for k in range(1, 5)]
    p = Value(3.0)
    p.grad = 5.0
    for f, leaves in [
        (lambda: al.total([a, b]), [a, b]),
        (lambda: al.total(ws) / 4, ws),  # the mean of some parameters
        (lambda: al.total([p, p]), [p]),  # p.grad = 5 + 1 + 1
        (lambda: al.total([a, a * b, a]), [a, b]),
        (lambda: al.total([p, a]) * 0.5, [p, a]),
    ]:
        compiled, eager = _both_ways(f, leaves)
        assert compiled == eager
    p.grad = 5.0
    assert _both_ways(lambda: al.total([p, p]), [p])[0] == (6.0, [7.0])
    u, v = Value(1.5), Value(-0.5)
    compiled, eager = _both_ways(lambda x, y: al.total([x, y, x]), [u, v], u, v)
    assert compiled == eager == (2.5, [2.0, 1.0])


def test_generated_code_always_compiles() -> None:
    ps = [Value(0.1), Value(0.2)]
    p = Value(2.0)
    for f, args in [
        (lambda xs: al.total(xs).exp(), ([0.1, 0.2, 0.3],)),  # terms with no graph of their own
        (lambda: (al.total(ps) - 1.0) ** 2, ()),
        (lambda x: x * p * 1e-05, (3.0,)),  # a slope written 1e-05: its e is no name
        (lambda x: (x * p) * -3.4e-37 + x, (1.0,)),
    ]:
        compiled, eager = _both_ways(f, [*ps, p], *args)
        assert compiled == eager and isinstance(compiled[0], float)


def test_a_branch_taken_by_catching_the_engines_error_is_a_guard() -> None:
    w = Value(1.0)

    def f(x: Value) -> Value:
        try:
            return (x * w).log()
        except ValueError:
            return x * w * 0.0 - 100.0

    step = al.compile(f)
    assert step(-1.0) == -100.0  # traced on the path of the caught error
    assert step(2.0) == math.log(2.0)  # the engine accepts 2: f's other path, traced anew
    assert step(-3.0) == -100.0
    assert step.traces == 2  # at -3, the trace made at 2 leaves log's domain: eagerly
    v = Value(0.0)

    def g() -> Value:  # caught: a division by zero, not an overflow
        try:
            return (w / v).exp()
        except ZeroDivisionError:
            return w + 1.0

    step = al.compile(g)
    assert step() == 2.0
    v.data = 1e-310  # w / v overflows now: the engine's OverflowError, which g does not catch
    with pytest.raises(OverflowError, match="overflows"):
        step()


def test_an_unused_op_still_refuses_its_inputs() -> None:
    w = Value(2.0)

    def f(x: Value) -> Value:
        x.log()  # unused, but eager mode runs it: log of x ≤ 0 raises
        return x * w

    compiled, eager = _both_ways(f, [w], -1.0)
    assert compiled == eager == (ValueError, [0.0])
    step = al.compile(f)
    assert step(1.0) == 2.0
    with pytest.raises(ValueError, match="log needs a positive input"):
        step(-1.0)


def test_a_guard_on_a_node_made_before_an_argument_is_read() -> None:
    p = Value(-2.0)
    step = al.compile(lambda xs: al.total([max(x, abs(p)) for x in xs]).exp())
    assert step([-2.0]) == math.exp(2.0)  # max compares abs(p), made first, with x
    assert step([3.0]) == math.exp(3.0)


def test_data_set_by_hand_is_read_as_eager_mode_reads_it() -> None:
    import numpy as np

    w = Value(1.0)
    f = lambda x: x * w  # noqa: E731
    step = al.compile(f)
    step(2.0)
    for data in (np.float32(0.1), 3, np.float64(0.3), math.nan, True):
        w.data = data
        compiled, eager = _both_ways(f, [w], 2.0)
        assert compiled == eager or (math.isnan(data) and compiled[0] is eager[0] is ValueError)
    w.data = True
    with pytest.raises(ValueError, match=r"\*: input 1 is a Value whose data is True"):
        step(2.0)
    assert step.eager_reason is not None and "bool True" in step.eager_reason


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_bad_number_argument_is_refused_on_every_call_by_name(bad: float) -> None:
    def loss(x: Value, ys: list[Value]) -> Value:
        return x * ys[0] + ys[1].log()

    message = rf"al\.compile\(loss\): argument ys\[1\] needs a finite number, got {bad!r}"
    for traced_first in (False, True):
        step = al.compile(loss)
        if traced_first:
            step(1.0, [2.0, 3.0])
        with pytest.raises(ValueError, match=message):
            step(1.0, [2.0, bad])
        with pytest.raises(TypeError, match="argument x must be a number"):
            step(True, [2.0, 3.0])


def test_the_eager_fallback_runs_f_on_values() -> None:
    step = al.compile(lambda x: x.log())  # fine on Values, not on floats
    assert step(2.0) == math.log(2.0)
    with pytest.raises(ValueError, match=r"log needs a positive input, got -1\.0"):
        step(-1.0)
    with pytest.raises(ValueError, match="log needs a positive input"):
        step.sum([2.0, -1.0])
    with pytest.raises(ValueError, match=r"\.sum: argument x needs finite numbers, got nan"):
        step.sum([2.0, math.nan])


def test_a_sum_of_negative_zeros_is_zero_as_in_eager_mode() -> None:
    a, b = Value(-2.0), Value(0.0)
    for f in (lambda: al.total([a * b, -b]), lambda: al.dot([a], [b])):  # -0.0 terms
        J = al.compile(f)()
        assert math.copysign(1.0, J) == 1.0 == math.copysign(1.0, f().data)
