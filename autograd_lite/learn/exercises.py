"""Four exercises, graded by the engine and gradcheck: write the pieces of backprop yourself.

    from autograd_lite import exercises
    print(exercises.task(1))                    # what to write
    grade = exercises.check(1, tanh_slope)      # one short paragraph: right, or where not
    print(grade); assert grade.passed

The ladder:
  1  the local derivative of an op: tanh′(x)
  2  backward for a two-node graph: out = tanh(u), u = x·w
  3  the δ⁽²⁾ equation of the seed network: δ⁽²⁾ = ∂J/∂z⁽²⁾ from Θ⁽³⁾, δ⁽³⁾ and z⁽²⁾
  4  one SGD step: θ := θ − α ∂J/∂θ

`check` tries your function on a few fixed inputs, in order, and compares what it returns
with the engine's numbers (to a relative 1e-6). At the first input where they disagree it
says so, with both numbers and a hint that points at the idea, not the formula. For the
derivatives (1–3) gradcheck also compares your numbers with central differences, and the
paragraph says what it found. An answer that raises, or returns the wrong kind of thing,
is told so in the same way. Nothing your function does reaches the engine's own path: it
gets fresh Values built for the check.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.engine import Value
from ..core.functional import GradcheckError, gradcheck
from ..core.nary import total
from ..nn import manual
from ..nn.losses import half_squared_error
from ..nn.modules import MLP
from ..nn.notation import unit_label
from ..nn.optim import SGD

__all__ = [
    "EXERCISES",
    "SEED_X",
    "SEED_Y",
    "Exercise",
    "Grade",
    "check",
    "seed_network",
    "task",
    "two_node_graph",
]

#: The seed example (app/demos/seed.py's DEMO_X and its target demo_target(DEMO_X)).
SEED_X = (1.0, 0.5)
SEED_Y = (1.5, 0.5)
#: Your number and the engine's agree when within this, relative (or absolute near 0).
RELATIVE = 1e-6
ABSOLUTE = 1e-9


@dataclass(frozen=True)
class Grade:
    """The verdict: `passed`, and `text`, the paragraph (also what printing it shows)."""

    exercise: int
    passed: bool
    text: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


@dataclass(frozen=True)
class Exercise:
    """One rung of the ladder: its statement and its grader."""

    number: int
    title: str
    task: str
    grader: Callable[[Callable[..., Any]], Grade]


# === What every grader shares ==============================================================


@dataclass(frozen=True)
class _Wrong:
    """Where an answer first goes wrong: the input, the quantity, both numbers, the hint."""

    where: str
    quantity: str
    expected: float
    actual: float
    hint: str
    numeric: str = ""  # what gradcheck said there, as a parenthesis ('' if not run)


class _Refused(Exception):
    """The answer raised or returned the wrong kind of thing: `what` says which, `fix`
    what to do about it."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(what)
        self.what = what
        self.fix = fix


def _call(function: Callable[..., Any], where: str, *args: Any) -> Any:
    """function(*args), or _Refused naming what it raised (KeyboardInterrupt goes through)."""
    try:
        return function(*args)
    except Exception as error:
        raise _Refused(
            f"{where}, your function raised {type(error).__name__}: {str(error)[:100]}",
            "Make it run on that input first",
        ) from None


def _number(value: object, where: str, what: str, fix: str = "Check what it returns") -> float:
    """value as a float, or _Refused saying what came back instead of a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _Refused(
            f"{where}, your function gave {type(value).__name__} {value!r:.60} for {what}, "
            "where a number is needed",
            fix,
        )
    return float(value)


def close(actual: float, expected: float) -> bool:
    """Whether an answer's number counts as the engine's."""
    return math.isclose(actual, expected, rel_tol=RELATIVE, abs_tol=ABSOLUTE)


def _shown(x: float, other: float) -> str:
    """x with 4 significant digits, or as many more as it takes to differ from other."""
    for digits in (4, 6, 9, 12):
        if f"{x:.{digits}g}" != f"{other:.{digits}g}":
            break
    return "0" if x == 0.0 else f"{x:.{digits}g}"


def gradcheck_accepts(
    value_of: Callable[..., float], yours: Sequence[float], point: Sequence[float]
) -> bool:
    """Whether gradcheck accepts `yours` as the gradient of value_of at point. Your
    numbers become the local derivatives of one node that stands for the whole function
    (a Σ node of the inputs, its data and local derivatives replaced)."""

    def f(*xs: Value) -> Value:
        node = total(xs) if len(xs) > 1 else xs[0] * 1.0
        node.data = value_of(*(x.data for x in xs))
        node.local_grads = (*yours, *node.local_grads[len(xs) :])
        return node

    try:
        return gradcheck(f, *point)
    except GradcheckError:
        return False


def _numeric_note(accepted: bool) -> str:
    """What gradcheck found where an answer is wrong, as a parenthesis for the paragraph."""
    if accepted:
        return (
            " (close enough to pass gradcheck, whose tolerance is 1e-3, but not the exact "
            "derivative)"
        )
    return " (gradcheck's central differences agree with the engine, not with you)"


def _right_note(accepted: list[bool]) -> str:
    """The end of the paragraph for a right derivative: what gradcheck said of it."""
    if all(accepted):
        return ", and gradcheck accepts it against central differences."
    return ", though gradcheck did not accept it everywhere: a bug of ours, please report it."


def _first_wrong(
    names: Sequence[str], expected: Sequence[float], actual: Sequence[float]
) -> tuple[str, float, float] | None:
    """(name, expected, actual) for the first quantity where actual is not expected."""
    for name, e, a in zip(names, expected, actual):
        if not close(a, e):
            return name, e, a
    return None


def _grade(
    exercise: Exercise, run: Callable[[], _Wrong | None], right: Callable[[], str]
) -> Grade:
    """The paragraph for exercise: `run` grades every case and returns the first _Wrong
    (or None), then `right()` says what a right answer did."""
    head = f"Exercise {exercise.number} ({exercise.title})"
    try:
        wrong = run()
    except _Refused as refused:
        task = f"`exercises.task({exercise.number})` says what it gets and returns"
        text = f"{head}: not yet. {refused.what}. {refused.fix} ({task})."
        return Grade(exercise.number, False, text)
    if wrong is None:
        return Grade(exercise.number, True, f"{head}: right. {right()}")
    text = (
        f"{head}: not yet. {wrong.where}, your {wrong.quantity} is "
        f"{_shown(wrong.actual, wrong.expected)} where the engine's is "
        f"{_shown(wrong.expected, wrong.actual)}{wrong.numeric}. Hint: {wrong.hint}"
    )
    return Grade(exercise.number, False, text)


# === 1. The local derivative of an op: tanh′(x) ============================================

_TANH_POINTS = (0.5, -1.0, 2.0, 0.0, -3.0)


def _grade_tanh(answer: Callable[..., Any]) -> Grade:
    accepted: list[bool] = []

    def run() -> _Wrong | None:
        for x in _TANH_POINTS:
            where = f"At x = {x:g}"
            actual = _number(_call(answer, where, x), where, "tanh′(x)")
            expected = Value(x).tanh().local_grads[0]  # the engine's rule, OPS["tanh"]
            accepted.append(gradcheck_accepts(math.tanh, [actual], [x]))
            if not close(actual, expected):
                hint, numeric = _tanh_hint(x, actual), _numeric_note(accepted[-1])
                return _Wrong(where, "tanh′(x)", expected, actual, hint, numeric)
        return None

    def right() -> str:
        return (
            f"Your tanh′ is the engine's local derivative at all {len(_TANH_POINTS)} inputs, "
            f"x from {min(_TANH_POINTS):g} to {max(_TANH_POINTS):g}" + _right_note(accepted)
        )

    return _grade(EXERCISES[1], run, right)


def _tanh_hint(x: float, actual: float) -> str:
    expected = 1.0 - math.tanh(x) ** 2
    if close(actual, math.tanh(x)):
        return "that number is tanh(x) itself; the exercise asks for its slope at x."
    if close(actual, -expected):
        return "the size is right but not the sign: tanh only ever goes up."
    if close(actual, 1.0 - x * x):
        return (
            "your formula would be right if tanh(x) were x; look at what the rule is "
            "written in (the engine's rules may use the op's output, out)."
        )
    return (
        "tanh is steepest at x = 0, where its slope is 1, and flattens out on both sides; "
        "try your function at 0 and at ±3 and see whether it does the same."
    )


# === 2. backward for a two-node graph: out = tanh(u), u = x·w ==============================

_PRODUCT_POINTS = ((0.5, -1.5), (2.0, 0.3), (-1.0, 0.8))


def two_node_graph(x: float, w: float) -> Value:
    """out = tanh(u) with u = x·w: the graph of exercise 2, labelled, every grad 0."""
    u = Value(x, "x") * Value(w, "w")
    out = u.tanh()
    u.label, out.label = "u", "out"
    return out


def _grade_backward(answer: Callable[..., Any]) -> Grade:
    names = ("∂out/∂u", "∂out/∂x", "∂out/∂w")
    accepted: list[bool] = []

    def run() -> _Wrong | None:
        for x, w in _PRODUCT_POINTS:
            where = f"At x = {x:g}, w = {w:g}"
            yours = _your_backward(answer, where, x, w)
            engine = two_node_graph(x, w)
            engine.backward()
            u = engine.parents[0]
            expected = [u.grad, *(leaf.grad for leaf in u.parents)]
            # gradcheck sees the function of the leaves, out(x, w): it checks ∂out/∂x, ∂out/∂w
            accepted.append(gradcheck_accepts(lambda x, w: math.tanh(x * w), yours[1:], [x, w]))
            found = _first_wrong(names, expected, yours)
            if found is not None:
                name, e, a = found
                numeric = _numeric_note(accepted[-1]) if name != names[0] else ""
                hint = _backward_hint(name, x, w, yours, expected)
                return _Wrong(where, name, e, a, hint, numeric)
        return None

    def right() -> str:
        return (
            f"At all {len(_PRODUCT_POINTS)} points (x, w) your backward sets ∂out/∂u, "
            "∂out/∂x and ∂out/∂w to the engine's gradients" + _right_note(accepted)
        )

    return _grade(EXERCISES[2], run, right)


def _your_backward(answer: Callable[..., Any], where: str, x: float, w: float) -> list[float]:
    """[u.grad, x.grad, w.grad] after answer(out) on a fresh graph."""
    out = two_node_graph(x, w)
    u = out.parents[0]
    _call(answer, where, out)
    leaves = u.parents
    return [_number(v.grad, where, f"{v.label}.grad") for v in (u, *leaves)]


def _backward_hint(name: str, x: float, w: float, yours: list[float], engine: list[float]) -> str:
    d_u = engine[0]
    if all(g == 0.0 for g in yours):
        return "every gradient is still 0; backward starts at the root, with ∂out/∂out = 1."
    if name == "∂out/∂u":
        return "u reaches out through tanh: its gradient is the upstream one times tanh's slope."
    if close(yours[1], yours[0]) and close(yours[2], yours[0]):
        return (
            "from u to x and to w the chain rule multiplies by a local derivative too "
            "(`lab.compare(out, 'forgot_local_derivative')` shows this bug)."
        )
    if close(yours[1], d_u * x) or close(yours[2], d_u * w):
        return (
            "your ∂out/∂x would be right for ∂out/∂w, and the other way round; "
            "look again at which number ∂u/∂x is, for u = x·w."
        )
    return "go one node at a time from out: ∂out/∂u first, then through u to each of x and w."


# === 3. δ⁽²⁾ of the seed network ============================================================


def seed_network(seed: int = 0) -> MLP:
    """The seed network: 2 inputs, 2 ReLU hidden units, 2 ReLU outputs (the demo's)."""
    return MLP(2, [2, 2], activation="relu", output_activation="relu", seed=seed)


@dataclass(frozen=True)
class _SeedCase:
    """The seed network, with `seed`; `closed_at_zero` moves b⁽²⁾ₖ so that z⁽²⁾ₖ = 0
    exactly (ReLU's kink) for that k (1-based), or leaves it (None)."""

    seed: int
    closed_at_zero: int | None
    where: str

    def network(self) -> MLP:
        mlp = seed_network(self.seed)
        if self.closed_at_zero is not None:
            neuron = mlp.layers[0].neurons[self.closed_at_zero - 1]
            # z = Σ w·x + b in the engine's order, so z = s + (−s) = 0 exactly
            s = sum(map(float.__mul__, [w.data for w in neuron.w], SEED_X), 0.0)
            neuron.b.data = -s
        return mlp


_SEED_CASES = (
    _SeedCase(0, None, "For the demo's network (seed 0; z⁽²⁾₂ < 0, its gate closed)"),
    _SeedCase(5, None, "For the seed network with seed 5 (both hidden gates open)"),
    _SeedCase(0, 2, "For the demo's network with b⁽²⁾₂ set so that z⁽²⁾₂ = 0 exactly"),
)


def seed_case(case: _SeedCase) -> tuple[list[list[float]], list[float], list[float], list[float]]:
    """(Θ⁽³⁾ rows, δ⁽³⁾, z⁽²⁾, δ⁽²⁾): the inputs of exercise 3 and the engine's answer,
    ∂J/∂z⁽²⁾ after J.backward() for J = Σ ½(a⁽³⁾ − y)² at x = SEED_X."""
    mlp = case.network()
    outputs = mlp(list(SEED_X))
    J = half_squared_error(outputs, list(SEED_Y))
    J.backward()
    z3 = [a.parents[0] for a in outputs]  # a⁽³⁾ⱼ = relu(z⁽³⁾ⱼ)
    # a dot node's inputs are (w₁, w₂, a₁, a₂, b): the hidden layer's a⁽²⁾ are 3rd and 4th
    z2 = [a.parents[0] for a in z3[0].parents[2:4]]
    theta3 = [[w.data for w in neuron.w] for neuron in mlp.layers[1].neurons]
    return theta3, [z.grad for z in z3], [z.data for z in z2], [z.grad for z in z2]


def _grade_delta(answer: Callable[..., Any]) -> Grade:
    names = [unit_label("δ", 2, k) for k in (1, 2)]
    accepted: list[bool] = []

    def run() -> _Wrong | None:
        for case in _SEED_CASES:
            theta3, delta3, z2, expected = seed_case(case)
            yours = _your_vector(_call(answer, case.where, theta3, delta3, z2), case.where)
            if case.closed_at_zero is None:  # at the kink central differences cannot decide
                accepted.append(gradcheck_accepts(_loss_of_z2(case), yours, z2))
            found = _first_wrong(names, expected, yours)
            if found is None:
                continue
            name, e, a = found
            numeric = (
                _numeric_note(accepted[-1])
                if case.closed_at_zero is None
                else " (at this kink central differences cannot decide; the convention does)"
            )
            hint = _delta_hint(theta3, delta3, z2, yours)
            return _Wrong(case.where, name, e, a, hint, numeric)
        return None

    def right() -> str:
        return (
            f"For all {len(_SEED_CASES)} networks (a closed gate, open gates, and z⁽²⁾₂ = 0 "
            "exactly) your δ⁽²⁾ is the engine's ∂J/∂z⁽²⁾" + _right_note(accepted)
        ).replace("central differences.", "central differences, away from the kink.")

    return _grade(EXERCISES[3], run, right)


def _your_vector(value: object, where: str) -> list[float]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise _Refused(
            f"{where}, your function returned {type(value).__name__} {value!r:.60}, where "
            "δ⁽²⁾ is a list of 2 numbers",
            "Check what it returns",
        )
    return [_number(v, where, f"δ⁽²⁾{'₁₂'[k]}") for k, v in enumerate(value)]


def _loss_of_z2(case: _SeedCase) -> Callable[..., float]:
    """J as a function of z⁽²⁾₁, z⁽²⁾₂ (floats), the rest of the network fixed."""
    top = case.network().layers[1]

    def loss(*z2: float) -> float:
        a2 = [manual.g(z, "relu") for z in z2]
        a3 = [
            manual.g(sum(map(float.__mul__, [w.data for w in n.w], a2), 0.0) + n.b.data, "relu")
            for n in top.neurons
        ]
        return sum(0.5 * (a - y) ** 2 for a, y in zip(a3, SEED_Y))

    return loss


def _delta_hint(
    theta3: list[list[float]], delta3: list[float], z2: list[float], yours: list[float]
) -> str:
    def back(rows: bool, gate: Callable[[float], float]) -> list[float]:
        return [
            sum((theta3[k][j] if rows else theta3[j][k]) * delta3[j] for j in range(2))
            * gate(z2[k])
            for k in range(2)
        ]

    relu_slope = lambda z: 1.0 if z > 0.0 else 0.0  # noqa: E731
    if all(close(a, e) for a, e in zip(yours, back(True, relu_slope))):
        return (
            "δ⁽²⁾ₖ collects from every output unit j that hidden unit k feeds: that is "
            "column k of Θ⁽³⁾, not row k."
        )
    if all(close(a, e) for a, e in zip(yours, back(False, lambda z: 1.0 if z >= 0.0 else 0.0))):
        return "at z = 0 exactly, this engine (as PyTorch) takes relu′(0) = 0: the gate is closed."
    if all(close(a, e) for a, e in zip(yours, back(False, lambda z: 1.0))):
        return "between z⁽²⁾ and a⁽²⁾ sits the ReLU; where its gate is closed, nothing passes back."
    if all(close(a, e) for a, e in zip(yours, back(False, lambda z: manual.g(z, "relu")))):
        return "the gate is ReLU's slope g′(z⁽²⁾), not its output g(z⁽²⁾)."
    return (
        "start from ∂J/∂z⁽³⁾ = δ⁽³⁾ and go down one step at a time: through "
        "z⁽³⁾ = Θ⁽³⁾a⁽²⁾ + b⁽³⁾ to a⁽²⁾, then through a⁽²⁾ = g(z⁽²⁾) to z⁽²⁾."
    )


# === 4. One SGD step =======================================================================

_STEP_CASES = ((0, 0.1), (5, 0.5))


def _grade_step(answer: Callable[..., Any]) -> Grade:
    def run() -> _Wrong | None:
        for seed, lr in _STEP_CASES:
            where = f"With α = {lr:g} on the seed network (seed {seed}) after J.backward()"
            yours, engine = _trained(seed), _trained(seed)
            before = [(p.data, p.grad) for p in yours.parameters()]
            _call(answer, where, yours.parameters(), lr)
            SGD(engine.parameters(), lr=lr).step()
            for p, e in zip(yours.parameters(), engine.parameters()):
                actual = _number(
                    p.data, where, f"{p.label}.data after your step",
                    "Check what it stores in θ.data: a float, made from floats like θ.grad",
                )  # fmt: skip
                if not close(actual, e.data):
                    hint = _step_hint(yours.parameters(), before, lr)
                    return _Wrong(where, f"{p.label} after the step", e.data, actual, hint)
        return None

    def right() -> str:
        return (
            f"In both cases (α = {_STEP_CASES[0][1]:g} and {_STEP_CASES[1][1]:g}) every θ "
            "of the seed network moved to where the engine's SGD(params, lr).step() puts it."
        )

    return _grade(EXERCISES[4], run, right)


def _trained(seed: int) -> MLP:
    """The seed network with ∂J/∂θ in every θ.grad, after J.backward() at SEED_X."""
    mlp = seed_network(seed)
    half_squared_error(mlp(list(SEED_X)), list(SEED_Y)).backward()
    return mlp


def _step_hint(params: list[Value], before: list[tuple[float, float]], lr: float) -> str:
    moved = [p.data - data for p, (data, _) in zip(params, before)]
    grads = [grad for _, grad in before]
    if all(m == 0.0 for m in moved):
        if any(p.grad != grad for p, (_, grad) in zip(params, before)):
            return "your step changed the gradients; a step moves each θ's .data."
        return (
            "no θ moved. Assigning to the loop variable (p = …) only rebinds a name; "
            "change p.data."
        )
    if all(close(m, lr * g) for m, g in zip(moved, grads)):
        return "the gradient points the way J grows; the step goes the other way."
    if all(close(m, -g) for m, g in zip(moved, grads)):
        return "the step's length is the learning rate α times the gradient."
    if any(m == 0.0 and g != 0.0 for m, g in zip(moved, grads)):
        return "some θ with a nonzero gradient did not move; the step updates every θ in params."
    return "θ := θ − α ∂J/∂θ, for each θ: ∂J/∂θ is in θ.grad, α is lr."


# === The ladder ===========================================================================

EXERCISES: dict[int, Exercise] = {
    1: Exercise(1, "tanh′", (
        "Write tanh_slope(x): the local derivative ∂tanh(x)/∂x of the op tanh at the "
        "float x, as a float. The engine stores this number on every tanh node, as its "
        "local_grads[0]."), _grade_tanh),
    2: Exercise(2, "backward of out = tanh(x·w)", (
        "Write backward(out) for the graph out = tanh(u), u = x·w, where x and w are "
        "leaves (u = out.inputs[0]; x, w = u.inputs). Set u.grad, x.grad and w.grad to "
        "∂out/∂u, ∂out/∂x and ∂out/∂w, from the nodes' .data, without calling "
        "out.backward(). Every grad starts at 0."), _grade_backward),
    3: Exercise(3, "δ⁽²⁾ of the seed network", (
        "Write delta2(theta3, delta3, z2) for the seed network (2 inputs, 2 ReLU hidden "
        "units, 2 ReLU outputs, J = Σ ½(a⁽³⁾ − y)²). theta3[j - 1][k - 1] is Θ⁽³⁾ⱼₖ, the "
        "weight from hidden unit k to output unit j; delta3 is δ⁽³⁾ = ∂J/∂z⁽³⁾ and z2 is "
        "z⁽²⁾, each a list of 2 floats. Return δ⁽²⁾ = ∂J/∂z⁽²⁾ as a list of 2 floats. "
        "The engine's ReLU has relu′(0) = 0."), _grade_delta),
    4: Exercise(4, "one SGD step", (
        "Write sgd_step(params, lr): one step of gradient descent, θ := θ − α ∂J/∂θ with "
        "α = lr, on each Value θ in the list params, whose θ.grad holds ∂J/∂θ. Change "
        "each θ.data in place; return nothing."), _grade_step),
}  # fmt: skip


def _exercise(n: object, who: str) -> Exercise:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(
            f"exercises.{who} needs the exercise's number, 1 to {len(EXERCISES)}, "
            f"got {type(n).__name__} {n!r:.60}"
        )
    if n not in EXERCISES:
        raise ValueError(
            f"exercises.{who}: there are exercises 1 to {len(EXERCISES)}, got {n!r}"
        )
    return EXERCISES[n]


def task(n: int) -> str:
    """What exercise n asks you to write."""
    exercise = _exercise(n, "task")
    return f"Exercise {n} ({exercise.title}): {exercise.task}"


def check(n: int, your_function: Callable[..., Any]) -> Grade:
    """Your answer to exercise n, graded: a Grade, true when right, whose text is one
    short paragraph (right, or the first input where it is wrong, with the expected and
    actual numbers and a hint). TypeError / ValueError for an n that is not 1 to 4, or
    an answer that is not callable; an answer that raises is graded, not raised."""
    exercise = _exercise(n, "check")
    if not callable(your_function):
        raise TypeError(
            f"exercises.check({n}, your_function): your_function must be a function, "
            f"got {type(your_function).__name__} {your_function!r:.60}"
        )
    return exercise.grader(your_function)
