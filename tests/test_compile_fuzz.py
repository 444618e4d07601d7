"""A differential fuzzer for al.compile: random programs, run eagerly and compiled, must give
the same numbers to the last bit (`step.sum`: to 1e-12 relative), or raise the same type
of exception.

A program is one sample's code over a pool of Values (captured parameters, Value
arguments, the sample's number), made of every op of the engine, written raw (so that
they leave their domains: log of a negative, 1/0, an overflow) and inside try/except
(so that f's path depends on an error the engine raised), with comparisons (`a > b`,
`max`), stand-in tests (`a == b`, `a == 1.0`, `bool(a)`, `int(a)`), no_grad and detach.
f sums one such term per sample, with bare leaves mixed in (`total([p, t₁, p, t₂])`), so
that sums of leaves, of Value arguments and of repeats all occur, and applies a head
(`(Σ − 1)²`, `Σ/4`, `exp(Σ)`, …). Each example calls the step several times: parameters'
`.grad` set beforehand (leaves accumulate), their `.data` set by hand to every kind of
number between calls, and NaN, ±inf, bools and other numbers among the arguments, on the
first call and on later ones.

Eager mode, the reference: f on a fresh Value for each number argument, then backward()
(what al.compile promises a call is). `fit(compile=True)` is compared with
`fit(compile=False)` on custom losses that test their targets (`y == 1.0`, `if y:`,
`int(y)`, `round`, formatting), catch domain errors, and branch on outputs.
"""

from __future__ import annotations

import math
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import Value, training
from autograd_lite.compiler.compiled import BranchError
from autograd_lite.core.engine import topological_order
from autograd_lite.nn import MLP, losses
from autograd_lite.nn.optim import SGD, Adam
from autograd_lite.training import fit

# --- the ops of a sample's code: (a, b) -> Value ----------------------------------------------


#: The path each sample took (appended to by the ops that branch; read by the step.sum
#: test, which needs to know whether two samples took different paths).
PATH: list[bool] = []


def _try(op: Callable[[], Value], error: type[Exception], otherwise: Callable[[], Value]) -> Value:
    try:
        out = op()
    except error:  # the engine's own error: f's path depends on it
        PATH.append(False)
        return otherwise()
    PATH.append(True)
    return out


def _try_log(a: Value, b: Value) -> Value:
    return _try(a.log, ValueError, lambda: a * 0.0 - 100.0)


def _try_div(a: Value, b: Value) -> Value:
    return _try(lambda: a / b, ZeroDivisionError, lambda: a + 1.0)


def _try_exp(a: Value, b: Value) -> Value:
    return _try(lambda: (a * 300.0).exp(), OverflowError, lambda: a - 3.0)


def _try_root(a: Value, b: Value) -> Value:
    return _try(lambda: a**0.5, ValueError, lambda: -a)


def _branch(a: Value, b: Value) -> Value:
    PATH.append(a.data > b.data)  # the test's own record: a number read, no comparison
    return a * 2.0 if a > b else b - a


def _max(a: Value, b: Value) -> Value:
    PATH.append(b.data > a.data)  # max(a, b) is b if b > a
    return max(a, b)


def _no_grad(a: Value, b: Value) -> Value:
    with al.no_grad():
        c = a * b
    return c + a


Op = Callable[[Value, Value], Value]
OPS: dict[str, Op] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: 2.0 - a,
    "mul": lambda a, b: a * b,
    "square": lambda a, b: a * a,
    "div": lambda a, b: a / b,
    "rdiv": lambda a, b: 2.0 / a,
    "neg": lambda a, b: -a,
    "pow_int": lambda a, b: a**3,
    "pow_half": lambda a, b: a**0.5,
    "pow_value": lambda a, b: (a * a + 0.5) ** b,
    "pow_negative_base": lambda a, b: a**b,
    "rpow": lambda a, b: 1.5**a,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "sqrt": lambda a, b: a.sqrt(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: a.relu(),
    "leaky_relu": lambda a, b: a.leaky_relu(0.1),
    "leaky_relu_value": lambda a, b: a.leaky_relu(b),
    "abs": lambda a, b: abs(a),
    "sum": lambda a, b: al.total([a, b, a]),
    "dot": lambda a, b: al.dot([a, b], [b, 2.0], bias=a),
    "try_log": _try_log,
    "try_div": _try_div,
    "try_exp": _try_exp,
    "try_root": _try_root,
    "branch": _branch,
    "max": _max,
    "equal": lambda a, b: a * 3.0 if a == b else a + b,  # Values: identity, as in eager mode
    "equal_number": lambda a, b: a * 3.0 if a == 1.0 else a,
    "truth": lambda a, b: a if a else -a,  # a Value is true
    "int": lambda a, b: a * int(a),  # type: ignore[call-overload]  # TypeError, both ways
    "no_grad": _no_grad,
    "detach": lambda a, b: a.detach() * b,
}
HEADS: dict[str, Callable[[Value], Value]] = {
    "none": lambda s: s,
    "square": lambda s: s**2,
    "mean": lambda s: s / 4.0,
    "scale": lambda s: s * 0.5,
    "exp": lambda s: s.exp(),
    "tanh": lambda s: s.tanh(),
    "minus_one_squared": lambda s: (s - 1.0) ** 2,
    "sqrt": lambda s: s.sqrt(),
    "log": lambda s: s.log(),
}
#: What a parameter's .data may be set to by hand: every kind of number, and bad ones.
DATA_KINDS: dict[str, Any] = {
    "float": 0.75, "negative": -1.25, "zero": 0.0, "int": 2, "float32": np.float32(0.1),
    "float64": np.float64(0.3), "fraction": Fraction(1, 3), "bool": True, "nan": math.nan,
    "inf": math.inf,
}  # fmt: skip
GOOD = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.0, 3.0]) | st.floats(-3.0, 3.0)
BAD = st.sampled_from(
    [math.nan, math.inf, -math.inf, True, False, 3, np.float32(0.5), Fraction(1, 4), 10**400]
)


# --- programs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    """f(xs, *value_args) = head(Σ over the samples x of term(x), bare leaves mixed in)."""

    steps: tuple[tuple[str, int, int], ...]
    result: int | None  # the pool entry a term is (None: the sum of all it made)
    extras: tuple[tuple[int, int], ...]  # (place in the sum, leaf) for bare leaves in it
    head: str

    def term(self, base: list[Value], x: Value) -> Value:
        pool = [*base, x]
        for name, i, j in self.steps:
            pool.append(OPS[name](pool[i % len(pool)], pool[j % len(pool)]))
        if self.result is None:  # every node made is used: no unused ones, so loops happen
            return al.total(pool[len(base) :]) if self.steps else x * 1.0
        return pool[self.result % len(pool)]

    def function(self, params: list[Value]) -> Callable[..., Value]:
        def f(xs: list[Value], *value_args: Value) -> Value:
            base = [*params, *value_args]
            terms = [self.term(base, x) for x in xs]
            for place, k in self.extras:
                terms.insert(place % (len(terms) + 1), base[k % len(base)])
            return HEADS[self.head](al.total(terms))

        return f

    def sample_function(self, params: list[Value]) -> Callable[[Value], Value]:
        """One sample's f, for step.sum: head(term(x))."""
        return lambda x: HEADS[self.head](self.term(list(params), x))


#: The ops that stay in their domain on most inputs come up three times as often: a
#: program that always raises tests little.
RISKY = {"div", "rdiv", "pow_half", "pow_negative_base", "log", "sqrt", "int", "exp"}
OP_CHOICES = sorted(OPS) + 2 * sorted(set(OPS) - RISKY)


@st.composite
def programs(draw: st.DrawFn) -> Program:
    index = st.integers(0, 50)
    steps = draw(st.lists(st.tuples(st.sampled_from(OP_CHOICES), index, index), max_size=6))
    result = draw(st.none() | index)
    extras = draw(st.lists(st.tuples(index, index), max_size=3) | st.just([]))
    return Program(tuple(steps), result, tuple(extras), draw(st.sampled_from(sorted(HEADS))))


@dataclass
class Call:
    xs: list[Any]
    value_args: list[Any]  # each Value argument's data for this call
    set_data: dict[int, str] = field(default_factory=dict)  # parameter -> DATA_KINDS key


@st.composite
def calls(draw: st.DrawFn, n_samples: int, n_value_args: int) -> list[Call]:
    made = []
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.sampled_from([n_samples, n_samples, n_samples, max(1, n_samples - 1)]))
        xs = draw(st.lists(GOOD, min_size=n, max_size=n))
        if xs and draw(st.integers(0, 7)) == 0:  # a bad argument, on any call
            xs[draw(st.integers(0, len(xs) - 1))] = draw(BAD)
        value_args = draw(st.lists(GOOD, min_size=n_value_args, max_size=n_value_args))
        kinds = st.sampled_from(sorted(DATA_KINDS))
        changes = 1 if draw(st.integers(0, 3)) == 0 else 0  # .data set by hand, now and then
        set_data = draw(st.dictionaries(st.integers(0, 2), kinds, max_size=changes))
        made.append(Call(xs, value_args, set_data))
    return made


# --- running both ways -----------------------------------------------------------------------


def bits(x: float) -> bytes:
    return struct.pack("<d", x) if isinstance(x, float) else repr(x).encode()


def same(a: Any, b: Any) -> bool:
    """Equal to the last bit (NaN is NaN; 0.0 is not -0.0); tuples and lists item by item."""
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return bits(a) == bits(b) or (a != a and b != b)
    return bool(a == b)


def close(a: float, b: float, rel: float = 1e-12, scale: float = 1.0) -> bool:
    """Equal to `rel` relative to the larger of a, b and the size of the terms summed."""
    if a != a or b != b or math.isinf(a) or math.isinf(b):
        return same(a, b)
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b), scale)


@dataclass
class World:
    """The Values a program reaches: captured parameters and Value arguments."""

    params: list[Value]
    value_args: list[Value]

    @classmethod
    def make(cls, datas: list[float], grads: list[float], n_value_args: int) -> World:
        params = [Value(d, f"p{k}") for k, d in enumerate(datas)]
        for p, g in zip(params, grads):
            p.grad = g
        return cls(params, [Value(0.0, f"v{k}") for k in range(n_value_args)])

    def prepare(self, call: Call) -> None:
        for k, kind in call.set_data.items():
            self.params[k % len(self.params)].data = DATA_KINDS[kind]
        for v, data in zip(self.value_args, call.value_args):
            v.data = data

    def state(self) -> tuple[list[Any], list[float], list[float]]:
        return ([p.data for p in self.params], [p.grad for p in self.params],
                [v.grad for v in self.value_args])  # fmt: skip


def outcome(run: Callable[[], float]) -> tuple[str, Any]:
    try:
        return ("value", run())
    except Exception as error:  # the type is what is compared
        return ("raised", type(error))


def eager(f: Callable[..., Value], *args: Any) -> float:
    """What a compiled step promises to be: f on a fresh Value per number, backward()."""
    out = f(*(_as_values(a) for a in args))
    out.backward()
    return out.data


def _as_values(x: Any) -> Any:
    if isinstance(x, list):
        return [_as_values(v) for v in x]
    return x if isinstance(x, Value) else Value(x)


# --- the properties --------------------------------------------------------------------------


@given(
    programs(),
    st.lists(GOOD, min_size=1, max_size=3),
    st.lists(st.sampled_from([0.0, 0.0, 1.0, -2.5, 0.125]), min_size=3, max_size=3),
    st.sampled_from([1, 2, 3, 3, 4]),
    st.integers(0, 2),
    st.data(),
)
def test_a_compiled_step_is_eager_mode_to_the_last_bit(
    program: Program,
    datas: list[float],
    grads: list[float],
    n_samples: int,
    n_value_args: int,
    data: st.DataObject,
) -> None:
    worlds = [World.make(datas, grads, n_value_args) for _ in range(2)]
    f_eager = program.function(worlds[0].params)
    step = al.compile(program.function(worlds[1].params))
    for number, call in enumerate(data.draw(calls(n_samples, n_value_args))):
        for world in worlds:
            world.prepare(call)
        expected = outcome(lambda: eager(f_eager, call.xs, *worlds[0].value_args))  # noqa: B023
        got = outcome(lambda: step(call.xs, *worlds[1].value_args))  # noqa: B023
        assert same(got, expected), f"call {number}: {got} compiled, {expected} eagerly"
        assert same(worlds[1].state(), worlds[0].state()), f"call {number}: the leaves differ"


@given(
    programs(),
    st.lists(GOOD, min_size=1, max_size=3),
    st.lists(st.sampled_from([0.0, 1.0, -2.5]), min_size=3, max_size=3),
    st.lists(st.lists(GOOD, min_size=1, max_size=4), min_size=1, max_size=3),
    st.data(),
)
def test_step_sum_is_the_eager_sum(
    program: Program,
    datas: list[float],
    grads: list[float],
    columns: list[list[float]],
    data: st.DataObject,
) -> None:
    worlds = [World.make(datas, grads, 0) for _ in range(2)]
    h_eager = program.sample_function(worlds[0].params)
    step = al.compile(program.sample_function(worlds[1].params))
    for number, column in enumerate(columns):
        if data.draw(st.integers(0, 7)) == 0:  # a bad number, in any column
            column = [*column[:-1], data.draw(BAD)]
        for eager_p, compiled_p in zip(*(w.params for w in worlds)):  # .sum is close, not same
            eager_p.data, eager_p.grad = compiled_p.data, compiled_p.grad
        before = [p.grad for p in worlds[0].params]
        unchanged = worlds[1].state()
        graph: list[Value] = []
        expected = outcome(lambda: eager_sum(h_eager, column, graph))  # noqa: B023
        got = outcome(lambda: step.sum(column))  # noqa: B023
        if got == ("raised", BranchError):
            # refused, naming the comparison: only if the samples do take different paths
            assert len(set(paths(program, worlds[1], column))) > 1, f"column {number}: one path"
            assert same(worlds[1].state(), unchanged), f"column {number}: leaves changed"
            continue
        message = f"column {number}: {got} by step.sum, {expected} eagerly"
        assert got[0] == expected[0], message
        if got[0] == "raised":
            assert same(worlds[1].state(), unchanged), f"column {number}: leaves changed"
            continue
        value_scale, grad_scale = scales(graph[0])
        assert close(got[1], expected[1], scale=value_scale), message
        for p, q, g in zip(worlds[1].params, worlds[0].params, before):
            assert close(p.grad, q.grad, scale=grad_scale + abs(g)), f"{message}: ∂/∂{p.label}"


def paths(program: Program, world: World, column: list[Any]) -> list[tuple[bool, ...]]:
    """The path each sample takes through f, eagerly (on a copy of the world's leaves)."""
    copy = World.make([p.data for p in world.params], [0.0] * len(world.params), 0)
    h = program.sample_function(copy.params)
    found = []
    for x in column:
        PATH.clear()
        outcome(lambda: h(Value(x)).data)  # noqa: B023
        found.append(tuple(PATH))
    return found


def eager_sum(h: Callable[[Value], Value], column: list[Any], graph: list[Value]) -> float:
    """Σ h(x) over the column, eagerly (its graph kept in `graph`, for its scales)."""
    out = al.total([h(Value(x)) for x in column])
    graph.append(out)
    out.backward()
    return out.data


def scales(out: Value) -> tuple[float, float]:
    """The size of what .sum adds in another order than eager mode: Σ|term| of J's sum,
    and Σ over the graph's edges of |local derivative · gradient| (every chain-rule term)."""
    value_scale = sum(abs(t.data) for t in out.inputs if isinstance(t, Value))
    grad_scale = sum(
        abs(n.grad) * sum(abs(local) for local in n.local_grads)
        for n in topological_order(out) if n.edges
    )  # fmt: skip
    return value_scale, grad_scale


# --- fit(compile=True) against fit(compile=False) ---------------------------------------------


def _hinge(a: Value, y: float) -> Value:
    return (1.0 - a).relu() if y == 1.0 else (1.0 + a).relu()  # a target tested with ==


def _try_log_loss(a: Value, y: float) -> Value:
    try:
        return (a - y).log()
    except ValueError:
        return (a - y) * (a - y)


#: One output's term of a custom loss, J = Σₖ term(aₖ, yₖ): each reads its target in
#: another way, as a loss written for numbers may (the Loss type promises numbers).
LOSS_TERMS: dict[str, Callable[[Value, Any], Value]] = {
    "square": lambda a, y: (a - y) ** 2,
    "hinge": _hinge,
    "truth": lambda a, y: (a - y) ** 2 if y else a * a,
    "not_equal": lambda a, y: a * 2.0 if y != 0.0 else -a,
    "int": lambda a, y: (a - int(y)) ** 2,
    "round": lambda a, y: (a - round(y)) ** 2,
    "format": lambda a, y: (a - 1.0) ** 2 if f"{y:.0f}" == "1" else (a + 1.0) ** 2,
    "member": lambda a, y: a * 3.0 if y in (1.0, 2.0) else a,
    "weighted": lambda a, y: {0.0: 1.0, 1.0: 2.0}.get(y, 0.5) * (a - y) ** 2,
    "kind": lambda a, y: (a - y) ** 2 if isinstance(y, float) else a,
    "try_log": _try_log_loss,
    "output_branch": lambda a, y: a - y if a > y else (y - a) * 2.0,
    "abs": lambda a, y: abs(a - y),
}
LIBRARY_LOSSES = {"half_squared_error": losses.half_squared_error, "mse": losses.mse,
                  "bce": losses.binary_cross_entropy_with_logits}  # fmt: skip
#: What fit says when it turns eager (None on code that has no such warning).
SAID = getattr(training, "CompileWarning", None)


def make_loss(terms: tuple[str, ...]) -> Callable[[list[Value], list[float]], Value]:
    if terms[0] in LIBRARY_LOSSES:
        return LIBRARY_LOSSES[terms[0]]  # type: ignore[return-value]

    def loss(outputs: list[Value], targets: list[float]) -> Value:
        return al.total([LOSS_TERMS[terms[k % len(terms)]](a, y)
                         for k, (a, y) in enumerate(zip(outputs, targets))])  # fmt: skip

    return loss


@dataclass(frozen=True)
class Training:
    sizes: tuple[int, ...]  # nin, then the layer widths
    activation: str
    output: str
    loss: tuple[str, ...]
    adam: bool
    epochs: int
    batch_size: int | None
    xs: tuple[tuple[float, ...], ...]
    ys: tuple[tuple[float, ...], ...]
    set_data: str | None  # DATA_KINDS key for the first weight's .data, set by hand

    def run(self, compile: bool) -> tuple[tuple[str, Any], list[Any], int]:
        """(fit's outcome, the parameters' data and grads, how many CompileWarnings)."""
        mlp = MLP(self.sizes[0], list(self.sizes[1:]), activation=self.activation,
                  output_activation=self.output, seed=1)  # fmt: skip
        if self.set_data is not None:
            mlp.layers[0].neurons[0].w[0].data = DATA_KINDS[self.set_data]
        params = mlp.parameters()
        optimizer = Adam(params, lr=0.02) if self.adam else SGD(params, lr=0.05, momentum=0.5)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = outcome(lambda: fit(  # type: ignore[arg-type, return-value]
                mlp, [list(x) for x in self.xs], [list(y) for y in self.ys],
                loss=make_loss(self.loss), optimizer=optimizer, epochs=self.epochs,
                batch_size=self.batch_size, progress=False, compile=compile))  # fmt: skip
        said = sum(SAID is not None and issubclass(w.category, SAID) for w in caught)
        return result, [(p.data, p.grad) for p in params], said


@st.composite
def trainings(draw: st.DrawFn) -> Training:
    nin, hidden, nout = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    n = draw(st.integers(2, 5))
    coordinate = st.sampled_from([-1.5, -0.5, 0.0, 0.5, 1.0]) | st.floats(-2.0, 2.0)
    target = st.sampled_from([0.0, 1.0, 1.0, -1.0, 0.5, 2.0])
    xs = draw(st.lists(st.tuples(*[coordinate] * nin), min_size=n, max_size=n))
    ys = draw(st.lists(st.tuples(*[target] * nout), min_size=n, max_size=n))
    custom = st.lists(st.sampled_from(sorted(LOSS_TERMS)), min_size=1, max_size=2)
    loss = tuple(draw(custom | st.sampled_from(sorted(LIBRARY_LOSSES)).map(lambda n: [n])))
    return Training(
        (nin, hidden, nout), draw(st.sampled_from(["relu", "tanh"])),
        draw(st.sampled_from(["linear", "relu", "sigmoid"])), loss, draw(st.booleans()),
        draw(st.integers(2, 4)), draw(st.sampled_from([None, 1, 2, 3])),
        tuple(xs), tuple(ys), draw(st.none() | st.none() | st.sampled_from(sorted(DATA_KINDS))),
    )  # fmt: skip


@given(trainings())
def test_compiled_fit_trains_as_eager_fit_to_the_last_bit(training: Training) -> None:
    eager_result, eager_params, _ = training.run(compile=False)
    result, params, said = training.run(compile=True)
    assert same(result, eager_result), f"fit: {result} compiled, {eager_result} eagerly"
    assert same(params, eager_params), "the parameters (data, grad) differ"
    assert said <= 1  # a step that cannot be replayed is said once
