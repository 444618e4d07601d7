"""The Value engine: construction, recording, errors, comparisons, backward and printing."""

from __future__ import annotations

import gc
import math
import weakref
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import Program, programs, reals

import autograd_lite as al
from autograd_lite import Value
from autograd_lite.core import nary

# --- construction ----------------------------------------------------------------------------


@given(st.integers(-(10**15), 10**15))
def test_int_data_is_stored_as_float(n: int) -> None:
    v = Value(n)
    assert type(v.data) is float
    assert v.data == float(n)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_finite_float_data_is_stored_unchanged(x: float) -> None:
    v = Value(x)
    assert type(v.data) is float
    assert v.data == x
    assert v.grad == 0.0


def test_fraction_is_a_real_number_and_is_accepted() -> None:
    v = Value(Fraction(1, 4))
    assert type(v.data) is float
    assert v.data == 0.25


@pytest.mark.parametrize(
    ("data", "type_name"),
    [
        (True, "bool"),
        (False, "bool"),
        ("1.0", "str"),
        (None, "NoneType"),
        (1 + 2j, "complex"),
        ([1.0], "list"),
        (Decimal("1.5"), "Decimal"),  # a numbers.Number, but not numbers.Real
    ],
)
def test_non_real_data_raises_type_error_naming_the_type(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [math.nan, math.inf, -math.inf])
def test_nan_or_infinite_data_raises_value_error(data: float) -> None:
    with pytest.raises(ValueError, match="Value"):
        Value(data)


@pytest.mark.parametrize(
    "data", [10**400, -(10**400), Fraction(10**400, 3)], ids=["1e400", "-1e400", "Fraction"]
)
def test_a_real_number_too_large_for_a_float_raises_an_error_naming_the_op(data: object) -> None:
    # Such a number has no finite float; like ±inf it is refused, with the op named.
    with pytest.raises((ValueError, OverflowError), match="Value"):
        Value(data)  # type: ignore[arg-type]
    with pytest.raises((ValueError, OverflowError), match=r"\+"):
        Value(1.0) + data  # type: ignore[operator]


def test_label_is_an_optional_name() -> None:
    assert Value(1.0).label is None
    assert Value(1.0, label="w1").label == "w1"
    assert Value(1.0, "b").label == "b"


# --- recording -------------------------------------------------------------------------------


def test_parents_are_ordered_and_keep_repeats() -> None:
    a, b = Value(2.0), Value(3.0)
    assert (a * a).inputs == (a, a)
    assert (a - b).inputs == (a, b)
    assert (b - a).inputs == (b, a)
    assert al.total([b, a, b]).inputs == (b, a, b)
    assert al.dot([a, b], [b, a], bias=a).inputs == (a, b, b, a, a)


def test_square_records_each_parents_local_derivative() -> None:
    a = Value(3.0)
    out = a * a
    assert out.local_grads == (3.0, 3.0)
    out.backward()
    assert a.grad == 6.0


def test_number_operands_are_recorded_as_float_constants() -> None:
    x = Value(2.0)
    for out, expected in [(3 * x, (3.0, x)), (x - 1, (x, 1.0)), (2**x, (2.0, x))]:
        assert out.inputs == expected
        constant = out.inputs[0] if out.inputs[1] is x else out.inputs[1]
        assert type(constant) is float
    third = x / Fraction(1, 3)
    assert third.inputs[1] == pytest.approx(1 / 3) and type(third.inputs[1]) is float


#: One node of every op, made from fresh leaves: name -> builder.
EVERY_OP: dict[str, Callable[[], Value]] = {
    "+": lambda: Value(1.5) + Value(-2.0),
    "-": lambda: Value(1.5) - 2,
    "*": lambda: 3 * Value(1.5),
    "/": lambda: Value(1.5) / Value(-2.0),
    "**": lambda: Value(1.5) ** 3,
    "** value": lambda: Value(1.5) ** Value(0.5),
    "number ** value": lambda: 2 ** Value(1.5),
    "neg": lambda: -Value(1.5),
    "exp": lambda: Value(1.5).exp(),
    "log": lambda: Value(1.5).log(),
    "sqrt": lambda: Value(1.5).sqrt(),
    "tanh": lambda: Value(1.5).tanh(),
    "sigmoid": lambda: Value(1.5).sigmoid(),
    "relu": lambda: Value(1.5).relu(),
    "leaky_relu": lambda: Value(-1.5).leaky_relu(),
    "abs": lambda: Value(-1.5).abs(),
    "sum": lambda: al.total([Value(1.5), 2, Value(-2.0)]),
    "dot": lambda: al.dot([Value(1.5), 2], [Value(-2.0), Value(0.5)], bias=1),
}


@pytest.mark.parametrize("make", EVERY_OP.values(), ids=EVERY_OP.keys())
def test_local_grads_are_floats_one_per_input(make: Callable[[], Value]) -> None:
    out = make()
    assert out.op
    assert len(out.local_grads) == len(out.inputs) > 0
    assert all(type(g) is float for g in out.local_grads)
    assert all(type(x) is float or isinstance(x, Value) for x in out.inputs)
    assert type(out.data) is float and math.isfinite(out.data)


@pytest.mark.parametrize("make", EVERY_OP.values(), ids=EVERY_OP.keys())
def test_nodes_hold_numbers_not_closures(make: Callable[[], Value]) -> None:
    out = make()
    assert not hasattr(out, "__dict__")  # __slots__
    for slot in ("data", "grad", "label", "op", "inputs", "local_grads"):
        assert not callable(getattr(out, slot))
    assert not any(callable(g) for g in out.local_grads)


def test_a_dropped_graph_is_freed_at_once_without_the_garbage_collector() -> None:
    gc.disable()
    try:
        x, y = Value(0.5, "x"), Value(-1.5, "y")
        hidden = x * y  # interior, next to the leaves
        out = al.total([hidden.tanh(), hidden * hidden, (x + 1).log(), al.dot([x, y], [y, hidden])])
        out = out.sigmoid() + x.relu() ** 2 / (y.abs() + 1).sqrt() - 2 ** y.exp()
        out.backward()
        root_ref, hidden_ref = weakref.ref(out), weakref.ref(hidden)
        del out, hidden
        assert root_ref() is None
        assert hidden_ref() is None
        leaf_ref = weakref.ref(x)
        del x, y
        assert leaf_ref() is None
    finally:
        gc.enable()


def test_leaves_outlive_the_graph_that_used_them() -> None:
    gc.disable()
    try:
        x = Value(2.0)
        out = (x * x).exp()
        out.backward()
        del out
        assert x.grad == pytest.approx(4 * math.exp(4.0))
    finally:
        gc.enable()


# --- errors: raised at the forward op, naming the op and the operand --------------------------

ERRORS: list[tuple[str, Callable[[Value, Value], object], type[Exception], tuple[str, ...]]] = [
    ("log of zero", lambda a, b: Value(0.0).log(), ValueError, ("log", "0.0")),
    ("log of negative", lambda a, b: (a * -0.25).log(), ValueError, ("log", "-0.5")),
    ("divide by number zero", lambda a, b: a / 0, ZeroDivisionError, ("/", "0.0")),
    ("divide by Value zero", lambda a, b: a / (b - b), ZeroDivisionError, ("/", "0.0")),
    ("number divided by zero", lambda a, b: 1 / (b - b), ZeroDivisionError, ("/", "0.0")),
    ("negative ** non-integer", lambda a, b: (-a) ** 0.5, ValueError, ("**", "-2.0", "0.5")),
    ("negative ** 1/3", lambda a, b: Value(-8.0) ** (1 / 3), ValueError, ("**", "-8.0")),
    ("negative ** Value", lambda a, b: (-a) ** b, ValueError, ("**", "-2.0")),
    ("negative ** integral Value", lambda a, b: (-a) ** (b - 1), ValueError, ("**", "-2.0")),
    ("negative number ** Value", lambda a, b: (-2) ** b, ValueError, ("**", "-2.0")),
    ("zero ** negative", lambda a, b: Value(0.0) ** -1, ZeroDivisionError, ("**", "0.0")),
    ("zero ** negative Value", lambda a, b: 0 ** (-b), ZeroDivisionError, ("**", "0.0")),
    ("exp overflow", lambda a, b: Value(1000.0).exp(), OverflowError, ("exp", "1000.0")),
    ("sqrt of negative", lambda a, b: (-a).sqrt(), ValueError, ("sqrt", "-2.0")),
    ("* overflow", lambda a, b: Value(1e200) * Value(1e200), OverflowError, ("*", "1e+200")),
    ("number * overflow", lambda a, b: 1e200 * Value(1e200), OverflowError, ("*", "1e+200")),
    ("+ overflow", lambda a, b: Value(1e308) + 1e308, OverflowError, ("+", "1e+308")),
    ("** overflow", lambda a, b: Value(10.0) ** 400, OverflowError, ("**", "400")),
    ("number ** overflow", lambda a, b: 10 ** (b * 200), OverflowError, ("**", "400")),
    ("/ overflow", lambda a, b: Value(1e300) / 1e-300, OverflowError, ("/", "1e+300")),
    ("sum overflow", lambda a, b: al.total([Value(1e308), 1e308]), OverflowError, ("sum",)),
    ("dot overflow", lambda a, b: al.dot([1e200], [Value(1e200)]), OverflowError, ("dot",)),
    ("Value + str", lambda a, b: a + "a", TypeError, ("+", "str")),
    ("str - Value", lambda a, b: "a" - a, TypeError, ("-", "str")),
    ("Value * None", lambda a, b: a * None, TypeError, ("*", "NoneType")),
    ("Value + True", lambda a, b: a + True, TypeError, ("+", "bool")),
    ("Value / list", lambda a, b: a / [1.0], TypeError, ("/", "list")),
    ("Value ** complex", lambda a, b: a**1j, TypeError, ("**", "complex")),
    ("str ** Value", lambda a, b: "a" ** b, TypeError, ("**", "str")),
    ("sum with str", lambda a, b: al.total([a, "b"]), TypeError, ("sum", "str")),
    ("Value + nan", lambda a, b: a + math.nan, ValueError, ("+", "nan")),
    ("nan * Value", lambda a, b: math.nan * a, ValueError, ("*", "nan")),
    ("Value ** inf", lambda a, b: a**math.inf, ValueError, ("**", "inf")),
    ("nan ** Value", lambda a, b: math.nan**b, ValueError, ("**", "nan")),
    ("leaky_relu nan", lambda a, b: a.leaky_relu(math.nan), ValueError, ("leaky_relu", "nan")),
    ("sum with inf", lambda a, b: al.total([a, -math.inf]), ValueError, ("sum", "inf")),
    ("dot with nan", lambda a, b: al.dot([a], [math.nan]), ValueError, ("dot", "nan")),
    ("dot length mismatch", lambda a, b: al.dot([a, b], [a, b, a]), ValueError, ("dot", "2", "3")),
    ("compare with str", lambda a, b: a < "b", TypeError, ("<", "str")),
    ("compare with nan", lambda a, b: a >= math.nan, ValueError, (">=", "nan")),
]


def _operands() -> tuple[Value, Value]:
    return Value(2.0, "a"), Value(2.0, "b")


_ERROR_IDS = [case[0] for case in ERRORS]


@pytest.mark.parametrize(("make", "error", "names"), [c[1:] for c in ERRORS], ids=_ERROR_IDS)
def test_error_names_the_op_and_the_operand(
    make: Callable[[Value, Value], object], error: type[Exception], names: tuple[str, ...]
) -> None:
    a, b = _operands()
    with pytest.raises(error) as info:
        make(a, b)
    message = str(info.value)
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"


def _state(v: Value) -> tuple[object, ...]:
    return (v.data, v.grad, v.label, v.op, v.inputs, v.local_grads)


@pytest.mark.parametrize(("make", "error"), [c[1:3] for c in ERRORS], ids=_ERROR_IDS)
def test_a_failed_op_leaves_its_operands_as_they_were(
    make: Callable[[Value, Value], object], error: type[Exception]
) -> None:
    a, b = _operands()
    a.grad, b.grad = 0.25, -0.75
    before = _state(a), _state(b)
    with pytest.raises(error):
        make(a, b)
    assert (_state(a), _state(b)) == before


_ANY_FLOAT = st.floats(allow_nan=False, allow_infinity=False)
_BINARY_OPS: dict[str, Callable[[Value, Value], Value]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "dot": lambda a, b: al.dot([a, b], [b, a], bias=a),
    "sum": lambda a, b: al.total([a, b, b]),
}
_UNARY_OPS = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "abs"]


@given(st.sampled_from(sorted(_BINARY_OPS)), _ANY_FLOAT, _ANY_FLOAT, st.booleans())
def test_binary_ops_give_finite_data_or_raise_a_named_error(
    op: str, x: float, y: float, constant: bool
) -> None:
    b: Value | float = y if constant and op in {"+", "-", "*", "/", "**"} else Value(y)
    try:
        out = _BINARY_OPS[op](Value(x), b)  # type: ignore[arg-type]
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        assert op in str(e)
    else:
        assert type(out.data) is float and math.isfinite(out.data)


@given(st.sampled_from(_UNARY_OPS), _ANY_FLOAT)
def test_unary_ops_give_finite_data_or_raise_a_named_error(op: str, x: float) -> None:
    try:
        out = getattr(Value(x), op)()
    except (ValueError, OverflowError) as e:
        assert op in str(e)
    else:
        assert type(out.data) is float and math.isfinite(out.data)


# --- comparisons and hashing ----------------------------------------------------------------


@given(reals(), reals())
def test_comparisons_compare_data_and_return_bool(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    results = [a < b, a <= b, a > b, a >= b, a < y, a <= y, x > b, x >= b]
    assert all(type(r) is bool for r in results)
    assert results == [x < y, x <= y, x > y, x >= y, x < y, x <= y, x > y, x >= y]


def test_equality_and_hash_are_identity_based() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a
    assert a != b
    assert (a == 1.0) is False
    table = {a: "a", b: "b"}
    assert len(table) == 2
    assert table[a] == "a" and table[b] == "b"
    assert a in {a} and b not in {a}
    a.data = 5.0  # mutating data does not move a Value in a dict
    assert table[a] == "a"


# --- backward ----------------------------------------------------------------------------------


def test_backward_works_through_a_chain_of_a_million_nodes() -> None:
    # The one deep test. The gc is paused only to keep it fast: nothing here is a cycle.
    gc.disable()
    try:
        x, step = Value(1.0), Value(1e-6)
        y = x
        for _ in range(1_000_000):
            y = y + step
        y.backward()
        assert y.grad == 1.0
        assert x.grad == 1.0
        assert step.grad == 1_000_000.0  # one leaf, a million uses: each counted once
        del y
    finally:
        gc.enable()


def _shape(order: list[Value]) -> list[tuple[object, ...]]:
    """The graph as (op, data, input positions or constants), node by node in `order`."""
    position = {node: i for i, node in enumerate(order)}
    return [
        (n.op, n.data, tuple(position[x] if isinstance(x, Value) else x for x in n.inputs))
        for n in order
    ]


@given(programs())
def test_topological_order_puts_every_node_once_after_its_inputs(program: Program) -> None:
    program = program.checked()  # no overflow on the way
    root, pool = program.build(*(Value(x) for x in program.leaves))
    order = al.topological_order(root)
    assert order[-1] is root
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order)  # each node once
    assert set(position) >= {*pool, root}
    for node in order:
        for x in node.inputs:
            if isinstance(x, Value):
                assert position[x] < position[node]


@given(programs())
def test_topological_order_is_deterministic(program: Program) -> None:
    program = program.checked()  # no overflow on the way
    root, _ = program.build(*(Value(x) for x in program.leaves))
    first = al.topological_order(root)
    assert al.topological_order(root) == first
    # A second graph built the same way gives the same order, node for node.
    twin, _ = program.build(*(Value(x) for x in program.leaves))
    assert _shape(al.topological_order(twin)) == _shape(first)


def test_topological_order_visits_inputs_in_order() -> None:
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    root = al.total([c, a, b])
    assert al.topological_order(root) == [c, a, b, root]


def test_root_grad_is_one() -> None:
    x = Value(3.0)
    h = x * 2.0
    out = h * h
    out.backward()
    assert h.grad == 2 * h.data  # h was interior there
    h.backward()  # now h is the root
    assert h.grad == 1.0
    assert out.grad == 1.0


def test_leaf_root_backward_gives_grad_one_and_a_second_call_accumulates() -> None:
    x = Value(3.0)
    x.backward()
    assert x.grad == 1.0
    x.backward()  # a leaf accumulates, even as the root
    assert x.grad == 2.0
    x.backward(gradient=0.5)
    assert x.grad == 2.5


def test_backward_takes_a_seed_gradient() -> None:
    x = Value(3.0)
    out = x * x
    out.backward(5.0)  # as torch's out.backward(torch.tensor(5.0))
    assert (out.grad, x.grad) == (5.0, 30.0)
    with pytest.raises(ValueError, match="backward gradient"):
        out.backward(math.nan)
    with pytest.raises(TypeError, match="backward gradient"):
        out.backward("1")  # type: ignore[arg-type]


def test_interior_grads_are_recomputed_not_double_counted() -> None:
    x, y = Value(2.0), Value(-3.0)
    h = x * y
    out = h.tanh() + h * x
    out.backward()
    first = (h.grad, out.grad)
    out.backward()
    assert (h.grad, out.grad) == first
    assert h.grad == pytest.approx(1 - math.tanh(-6.0) ** 2 + 2.0)


def test_second_backward_accumulates_on_leaves_only() -> None:
    x, y = Value(2.0), Value(-3.0)
    h = x * y
    out = h * x + y
    out.backward()
    once = (x.grad, y.grad, h.grad)
    assert once == (2 * x.data * y.data, x.data**2 + 1, x.data)
    out.backward()
    assert (x.grad, y.grad) == (2 * once[0], 2 * once[1])
    assert h.grad == once[2]


def test_zeroing_leaf_grads_gives_a_fresh_gradient() -> None:
    x = Value(2.0)
    out = x * x * x
    out.backward()
    out.backward()
    x.grad = 0.0
    out.backward()
    assert x.grad == 12.0


def test_constants_take_no_gradient() -> None:
    x = Value(2.0)
    out = 3.0 * x + 1.0
    out.backward()
    assert out.inputs[1] == 1.0 and type(out.inputs[1]) is float
    assert x.grad == 3.0


def test_a_sum_of_100000_terms_is_one_node() -> None:
    xs = [Value(float(i)) for i in range(100_000)]
    s = al.total(xs)
    assert s.data == float(sum(range(100_000)))
    assert len(s.inputs) == 100_000
    assert all(not x.inputs for x in s.inputs)  # depth 1: every input is a leaf
    assert len(al.topological_order(s)) == 100_001
    s.backward()
    assert all(x.grad == 1.0 for x in xs)


def test_a_dot_of_10000_pairs_is_one_node() -> None:
    ws = [Value(1.0) for _ in range(10_000)]
    xs = [Value(2.0) for _ in range(10_000)]
    z = al.dot(ws, xs, bias=Value(0.5))
    assert z.data == 20_000.5
    assert len(al.topological_order(z)) == 20_002


def test_sum_and_dot_of_nothing_are_float_zero() -> None:
    for empty in (al.total([]), al.dot([], [])):
        assert type(empty.data) is float
        assert empty.data == 0.0


# --- printing ----------------------------------------------------------------------------------


def test_repr_shows_data_and_grad() -> None:
    x = Value(2.0)
    assert repr(x) == "Value(data=2.0, grad=0.0)"
    (x * 3).backward()
    assert repr(x) == "Value(data=2.0, grad=3.0)"


def test_repr_shows_the_label_when_there_is_one() -> None:
    assert repr(Value(-1.5, label="w1")) == "Value(data=-1.5, grad=0.0, label='w1')"


@given(
    st.lists(st.floats(-10, 10), min_size=1, max_size=5),
    st.data(),
)
def test_dot_builds_the_same_node_as_the_general_apply(
    ws: list[float], data: st.DataObject
) -> None:
    # dot has a quicker path for Values and plain floats; it must agree with `apply`.
    xs = data.draw(st.lists(st.floats(-10, 10), min_size=len(ws), max_size=len(ws)))
    w_values = [Value(w) for w in ws]
    x_mixed = [Value(x) if k % 2 else x for k, x in enumerate(xs)]
    bias = Value(0.25)
    quick = al.dot(w_values, x_mixed, bias)
    general = nary.apply("dot", *w_values, *x_mixed, bias)
    assert quick.data == general.data
    assert quick.op == general.op == "dot"
    assert quick.inputs == general.inputs
    assert quick.local_grads == general.local_grads


def test_dot_converts_int_constants_to_floats_on_the_general_path() -> None:
    w = Value(2.0)
    z = al.dot([w], [3])
    assert z.data == 6.0 and z.inputs == (w, 3.0) and type(z.inputs[1]) is float


@pytest.mark.parametrize("enabled", [True, False])
def test_topological_order_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    x = Value(1.0)
    y = x * 2.0 + 1.0
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        al.topological_order(y)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
