"""Ops of your own: `define_op` in the rule language of `engine.RULES`, and
`define_function` with a backward written by hand. Both are checked the moment they are
defined, by gradcheck at sample points inside the op's domain.

    softplus = al.define_op("softplus", "log(1.0 + exp(x))", "sigmoid(x)")
    y = Value(0.3).softplus()            # a Value method, as x.relu() is
    al.undefine_op("softplus")           # gone again (tests and notebooks clean up so)

A rule is checked as `engine.RULES` is: its text is parsed with `ast` and may use only the
input names (x, y), `out` (in a local derivative), numbers, + - * / and unary -,
comparisons, `a if c else b`, `and`/`or`, and the helpers exp, log, sqrt, tanh, sigmoid,
power, abs. Nothing else is evaluated. From the checked text the op's functions are
generated and compiled (codegen.op_source: our own generator's code, not the user's text),
so the op is everything a built-in op is: a Value method, grad and higher order (its local
derivatives run on Values too), `al.compile` in Python and NumPy, the explorer's
JavaScript, and drawing (its ellipse shows its name).

Every refusal (a construct outside the allow-list, a name that clashes with an op or a
Value attribute, a derivative gradcheck rejects) leaves the op table and Value as they
were. Definitions are serialised by a lock; an op is defined for the whole process, until
`undefine_op(name)`.
"""

from __future__ import annotations

import ast
import keyword
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import engine, nary
from .codegen import compile_op
from .engine import Value
from .functional import gradcheck
from .rules import FLOAT_NAMES, RULE_NODES, Domain, Op, rule

__all__ = ["define_function", "define_op", "undefine_op"]

_lock = threading.Lock()
#: The ops defined here, and what each added to Value.
_DEFINED: dict[str, str] = {}
#: Where gradcheck samples an op: every point (or pair) inside its domain, away from 0.
SAMPLES = (-1.7, -0.6, 0.35, 1.1, 2.4)
_HELPERS = frozenset({"exp", "log", "sqrt", "tanh", "sigmoid", "power", "abs"})


def _value_aware(name: str, method: str) -> Callable[[Any], Any]:
    """The helper `name` on floats, and the Value method on Values (higher order)."""
    on_floats = FLOAT_NAMES[name]
    return lambda x: getattr(x, method)() if isinstance(x, Value) else on_floats(x)


# A defined op's local derivatives also run on Values (grad of grad): its helpers take both.
_NAMESPACE: dict[str, Any] = {
    "exp": _value_aware("exp", "exp"), "sqrt": _value_aware("sqrt", "sqrt"),
    "tanh": _value_aware("tanh", "tanh"), "sigmoid": _value_aware("sigmoid", "sigmoid"),
}  # fmt: skip


def _check_text(text: object, names: Sequence[str], what: str, who: str) -> str:
    """text, if it is rule text in the allow-list; else ValueError naming what is refused."""
    if not isinstance(text, str):
        raise TypeError(f"{who}: {what} must be rule text (a str), got {text!r:.60}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError(f"{who}: {what} {text!r:.60} is not an expression") from None
    allowed = {*names, *_HELPERS, *(("out",) if what.startswith("local") else ())}
    for node in ast.walk(tree):
        if not isinstance(node, RULE_NODES) or isinstance(node, (ast.Attribute, ast.Is)):
            raise ValueError(f"{who}: {what} {text!r:.60} uses {type(node).__name__}, which "
                             "a rule may not (see define_op's docstring)")  # fmt: skip
        if isinstance(node, ast.Name) and node.id not in allowed:
            raise ValueError(f"{who}: {what} {text!r:.60} uses the name {node.id!r}; a rule may "
                             f"use {', '.join(sorted(allowed))}")  # fmt: skip
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                               and node.func.id in _HELPERS):  # fmt: skip
            raise ValueError(f"{who}: {what} {text!r:.60} calls something other than "
                             f"{', '.join(sorted(_HELPERS))}")  # fmt: skip
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ValueError(f"{who}: {what} {text!r:.60} holds {node.value!r:.20}, not a number")
    return text


def _check_name(name: object, who: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{who}: the name must be an identifier, got {name!r:.60}")
    if name.startswith("_"):
        raise ValueError(f"{who}: the name {name!r} starts with _, which is ours")
    if name in engine.OPS or hasattr(Value, name) or name in _HELPERS:
        raise ValueError(f"{who}: {name!r} is already an op or a Value attribute; "
                         "choose another name")  # fmt: skip
    return name


def _samples(arity: int) -> list[tuple[float, ...]]:
    if arity == 1:
        return [(x,) for x in SAMPLES]
    return [(x, y) for x in SAMPLES for y in SAMPLES[::2]]


def _check_by_gradcheck(name: str, arity: int, who: str) -> int:
    """gradcheck of the op at every sample inside its domain; GradcheckError (with its
    table, and the sample) at the first it fails. Returns how many samples it checked."""
    checked = 0
    for point in _samples(arity):
        try:
            nary.apply(name, *(Value(x) for x in point))
        except (ValueError, ZeroDivisionError, OverflowError):
            continue  # outside the domain
        try:
            gradcheck(lambda *xs: nary.apply(name, *xs), *point)
        except Exception as error:
            raise type(error)(f"{who}: {name}'s local derivative is wrong at "
                              f"{', '.join(map(repr, point))}:\n{error}") from None  # fmt: skip
        checked += 1
    if checked == 0:
        raise ValueError(f"{who}: no sample point {SAMPLES} lies in {name}'s domain, so its "
                         "derivative cannot be checked")  # fmt: skip
    return checked


def _install(name: str, op: Op, who: str) -> None:
    """op under `name` in the op table, checked by gradcheck, then its Value method; on a
    refusal the table is left as it was."""
    arity = op.rule.arity if op.rule is not None else 1  # define_function: one input
    with _lock:
        _check_name(name, who)
        engine.OPS[name] = op
        try:
            _check_by_gradcheck(name, arity, who)
        except BaseException:
            del engine.OPS[name]
            raise

        def method(self: Value, *others: object) -> Value:
            return nary.apply(name, self, *others)

        method.__name__ = method.__qualname__ = name
        method.__doc__ = f"The op {name!r}, defined by {who}."
        setattr(Value, name, method)
        _DEFINED[name] = who


def define_op(
    name: str,
    value: str,
    *local_grads: str,
    domain: str | Sequence[str] = (),
    names: Sequence[str] = ("x", "y"),
) -> Op:
    """Adds the op `name`: its value and its local derivatives ∂out/∂input as rule text in
    the inputs' names (`x`, and `y` for a second input) and `out`, and its domain, a
    condition (or several) on the inputs outside which it raises ValueError. Returns the
    op as the engine runs it; `x.name(...)` and `al.compile` work at once. Refused with a
    ValueError: text outside the allow-list (module docstring), a name already taken, or a
    derivative gradcheck rejects at a sample inside the domain (its table in the message).
    """
    who = f"define_op({name!r})"
    _check_name(name, who)
    if not 1 <= len(local_grads) <= 2:
        raise ValueError(f"{who}: give one local derivative per input (1 or 2), got "
                         f"{len(local_grads)}")  # fmt: skip
    inputs = tuple(names)[: len(local_grads)]
    if len(inputs) != len(local_grads) or len(set(inputs)) != len(inputs) or not all(
        isinstance(n, str) and n.isidentifier() and n not in _HELPERS and n != "out"
        for n in inputs
    ):
        raise ValueError(f"{who}: names must be distinct identifiers, one per input, got "
                         f"{tuple(names)!r:.60}")  # fmt: skip
    _check_text(value, inputs, "value", who)
    for k, text in enumerate(local_grads):
        _check_text(text, inputs, f"local derivative {k}", who)
    conditions = [domain] if isinstance(domain, str) else list(domain)
    for condition in conditions:
        _check_text(condition, inputs, "domain", who)
    shown = ", ".join(f"{n}={{{n}!r}}" for n in inputs)
    made = rule(value, *local_grads, names=inputs, domain=tuple(
        Domain(c, ValueError, f"{name} needs {c}, got {shown}") for c in conditions))  # fmt: skip
    op = compile_op(name, made, _NAMESPACE)  # our generator's code, from the checked text
    _install(name, op, who)
    return op


def define_function(
    name: str,
    forward: Callable[[float], float],
    backward: Callable[[float, float], float],
) -> Op:
    """Adds a one-input op `name` from Python callables, as torch.autograd.Function has
    them: forward(x) -> out, and backward(out, x) -> ∂out/∂x, the local derivative. It is
    checked by gradcheck as define_op's ops are, and runs eagerly only: al.compile refuses
    a function that uses it, naming it (the compiler needs rule text to generate code)."""
    who = f"define_function({name!r})"
    _check_name(name, who)
    if not (callable(forward) and callable(backward)):
        raise TypeError(f"{who}: forward and backward must be callables")

    def local_grads(out: float, x: float) -> tuple[float]:
        return (float(backward(out, x)),)

    op = Op(lambda x: float(forward(x)), local_grads)
    _install(name, op, who)
    return op


def undefine_op(name: str) -> None:
    """Removes an op define_op or define_function added (and its Value method)."""
    with _lock:
        if name not in _DEFINED:
            raise ValueError(f"undefine_op: {name!r} is not an op define_op or define_function "
                             "added")  # fmt: skip
        del engine.OPS[name]
        delattr(Value, name)
        del _DEFINED[name]


def is_defined(name: str) -> bool:
    return name in _DEFINED

