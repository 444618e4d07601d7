"""Code generated from the op table: every op's functions and Value methods come from the
Python expressions written once in `engine.OPS`.

A row of the table is a `Rule`: the op's value and its local derivatives as expressions
in its inputs (x, y) and its result (out), plus the conditions its inputs must meet:

    "*":    rule("x * y", "y", "x")
    "relu": rule("x if x > 0.0 else 0.0", "1.0 if x > 0.0 else 0.0")

From each row this module builds, once, at import:

- `forward(x, y)`: the value, on floats;
- `derivative(out, x, y)`: the local derivatives. The expressions are plain arithmetic,
  comparisons and the helpers below, which take floats and Values alike, so the same
  function gives numbers for `backward()` and graphs for `grad(grad(f))`;
- `check_domain(x, y, a, b)`: raises the op's own error (log of 0, 1/0, …) naming the
  values; x, y are the inputs' numbers and a, b the inputs themselves;
- the Value method (`Value.__mul__`, `Value.relu`, …): the whole op inline, value and
  local derivatives written out, with one quick test that the numbers are finite. Any
  other case (a number of another type, a NaN, a domain error, an overflow) goes to the
  engine's `apply`, which does the careful checks and raises the precise error. Inlining
  makes `x * y` about twice as fast as calling `forward` and `derivative` in turn.

`source_of(method)` shows what was generated. The source is built here from our own rule
table and compiled with `exec`; no user text ever reaches it.

This module imports nothing of ours: nary.py hands it the table and what the methods call.
"""

from __future__ import annotations

import linecache
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Domain", "Op", "Rule", "methods", "rule", "source_of"]


@dataclass(frozen=True)
class Domain:
    """A condition the inputs must meet, and the error raised when they do not."""

    condition: str  # a Python expression in the input names (x, y) and operands (a, b)
    error: type[Exception]
    message: str  # formatted with the input names, e.g. "log needs x > 0, got {x!r}"


@dataclass(frozen=True)
class Rule:
    """One op's math as source text: `value` and one slope ∂out/∂input per input."""

    value: str
    slopes: tuple[str, ...]
    domain: tuple[Domain, ...] = ()
    names: tuple[str, ...] = ("x", "y")  # what the expressions call the inputs

    @property
    def arity(self) -> int:
        return len(self.slopes)


@dataclass(frozen=True)
class Op:
    """A primitive as the engine runs it. `rule` is its source (None for the n-ary ops,
    whose functions are written by hand)."""

    forward: Callable[..., float]  # inputs' numbers -> out
    derivative: Callable[..., tuple[Any, ...]]  # (out, *inputs) -> ∂out/∂input for each
    check_domain: Callable[..., None] = field(default=lambda *args: None)
    rule: Rule | None = None
    slopes: tuple[Callable[..., Any], ...] = ()  # (out, *inputs) -> ∂out/∂input k, for each k

    def local_grads(self, positions: list[int], out: Any, *inputs: Any) -> list[Any]:
        """∂out/∂inputs[k] for each k in `positions`, computing only those where the rule
        gives one function per input (a slope off the path may have no finite value)."""
        if self.slopes:
            return [self.slopes[k](out, *inputs) for k in positions]
        every = self.derivative(out, *inputs)
        return [every[k] for k in positions]


# --- the helpers the expressions may call -------------------------------------------------


def _float_power(x: float, p: float) -> float:
    """x ** p as IEEE pow: ±inf where Python raises (overflow, 0 to a negative power)."""
    try:
        return float(x**p)
    except (OverflowError, ZeroDivisionError):
        odd = float(p).is_integer() and p % 2 == 1
        return math.copysign(math.inf, x) if odd else math.inf


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # inf: the finite test sends it to `apply`, which names it
        return math.inf


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float))


def _power(x: Any, p: Any) -> Any:
    return _float_power(x, p) if _is_number(x) and _is_number(p) else x**p


def _zero(x: Any) -> bool:
    """True for the number 0 only. A Value is never "zero" here, even at 0: the rule it
    enters may still have a non-zero derivative with respect to it (higher order)."""
    return _is_number(x) and x == 0.0


def _log(x: Any) -> Any:
    return math.log(x) if _is_number(x) else x.log()


def _signed_inf(x: Any) -> float:
    """±inf with the sign of x (of x's number, for a Value): 1/±0 as IEEE has it."""
    return math.copysign(math.inf, x if _is_number(x) else x.data)


#: The names the expressions may use, on floats (values and fast paths) ...
FLOAT_NAMES: dict[str, Any] = {
    "exp": _exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "power": _float_power,
    "zero": _zero,
    "signed_inf": _signed_inf,
    "inf": math.inf,
}
#: ... and in derivative rules, on floats or Values.
DUAL_NAMES: dict[str, Any] = {**FLOAT_NAMES, "log": _log, "power": _power}


# --- compiling a rule ---------------------------------------------------------------------


def _compile(
    source: str, name: str, namespace: dict[str, Any], shown: str | None = None
) -> Callable[..., Any]:
    scope = dict(namespace)
    # Named after this file, so tracebacks say where the code came from, and so that
    # detect_anomaly's search for the user's line skips it like the rest of the package.
    # linecache lets tracebacks show the generated lines.
    filename = f"{__file__} <generated {shown or name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), scope)  # our own rule table, never user text
    function: Callable[..., Any] = scope[name]
    function.__source__ = source  # type: ignore[attr-defined]
    return function


def _operands(arity: int) -> str:
    return "a, b" if arity == 2 else "a"


def rule(
    value: str, *slopes: str, domain: tuple[Domain, ...] = (), names: tuple[str, ...] = ("x", "y")
) -> Op:
    """The Op for a row of the table: its functions compiled from the expressions."""
    source = Rule(value, slopes, domain, names[: len(slopes)])
    inputs = ", ".join(source.names)
    forward = _compile(f"def forward({inputs}):\n    return {value}\n", "forward", FLOAT_NAMES)
    derivative = _compile(
        f"def derivative(out, {inputs}):\n    return ({', '.join(slopes)},)\n",
        "derivative",
        DUAL_NAMES,
    )
    check = "".join(
        f"    if not ({d.condition}):\n"
        f"        raise DOMAIN[{i}].error(DOMAIN[{i}].message.format({_as_keywords(source)}))\n"
        for i, d in enumerate(domain)
    )
    check_domain = _compile(
        f"def check_domain({inputs}, {_operands(len(slopes))}):\n{check}    return None\n",
        "check_domain",
        {**FLOAT_NAMES, "DOMAIN": domain},
    )
    each = tuple(
        _compile(f"def slope(out, {inputs}):\n    return {slope}\n", "slope", DUAL_NAMES)
        for slope in slopes
    )
    return Op(forward, derivative, check_domain, source, each)


def _as_keywords(source: Rule) -> str:
    return ", ".join(f"{n}={n}" for n in source.names)


# --- Value methods ------------------------------------------------------------------------

# How each method reads its operands. `a` is the op's first input and `b` its second; a
# reflected method (`2.0 * x` is `x.__rmul__(2.0)`) receives them the other way round.
# A Value's data is a float unless set by hand to something else (an int, a bool, a NumPy
# scalar): then apply converts it or refuses it, as it does any other kind of number.
_UNARY = """def {method}(a):
    {x} = a.data
    if {x}.__class__ is not float:
        return apply({op!r}, a)
"""
# Reads the number operand v into n. An int constant (x ** 2) becomes a float here; one too
# big for a float, and every other kind of number, goes to apply.
_NUMBER = """if {v}.__class__ is float:
        {n} = {v}
    elif {v}.__class__ is int and -1e300 < {v} < 1e300:
        {n} = {v} = float({v})
    else:
        return apply({op!r}, a, b)
"""
_LEFT = (
    "def {method}(a, b{default}):\n    {x} = a.data\n"
    "    if b.__class__ is Value:\n        {y} = b.data\n    el"
    + _NUMBER.replace("{v}", "b").replace("{n}", "{y}")
    + "    if {x}.__class__ is not float or {y}.__class__ is not float:\n"
    "        return apply({op!r}, a, b)\n"
)
_RIGHT = (
    "def {method}(b, a):\n    {y} = b.data\n    "
    + _NUMBER.replace("{v}", "a").replace("{n}", "{x}")
    + "    if {y}.__class__ is not float:\n        return apply({op!r}, a, b)\n"
)
# The body: in the domain, compute; if everything is finite, make the node (inline when
# no grad mode is in force, the common case; else through `node`, which applies the
# modes). A NaN or ±inf fails `v - v == 0.0`: one test covers NaN data set by hand, and
# overflow.
_BODY = """    out = {value}
    if out - out == 0.0{finite}:
        if mode() is DEFAULT:
            v = new(Value)
            v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, {op!r}, ({edges})
            return v
        return node(out, {op!r}, ({edges}))
    return apply({op!r}, {operands})
"""


def _method_source(method: str, op_name: str, op: Op, side: str, default: str) -> str:
    source = op.rule
    assert source is not None, f"{op_name} has no rule to generate {method} from"
    names = source.names
    head = {"unary": _UNARY, "left": _LEFT, "right": _RIGHT}[side]
    # the node's edges: its inputs, then ∂out/∂input for each
    edges = ", ".join([*"ab"[: source.arity], *map(_grouped, source.slopes)])
    body = _BODY.format(
        value=source.value,
        finite="".join(f" and {n} - {n} == 0.0" for n in names),
        op=op_name,
        edges=edges,
        operands=_operands(source.arity),
    )
    if source.domain:  # compute only inside the domain: Python raises for 1/0
        domain = " and ".join(_grouped(d.condition) for d in source.domain)
        body = f"    if {domain}:\n" + "".join(f"    {line}\n" for line in body.splitlines()[:-1])
        body += f"    return apply({op_name!r}, {_operands(source.arity)})\n"
    x, y = (*names, "")[:2]
    return head.format(method=method, x=x, y=y, op=op_name, default=default) + body


def _grouped(expression: str) -> str:
    """expression, in parentheses unless it is one name or number."""
    return expression if expression.replace(".", "").isalnum() else f"({expression})"


_SOURCES: dict[str, str] = {}


def methods(
    specs: dict[str, tuple[str, str, str]], ops: dict[str, Op], engine: dict[str, Any]
) -> dict[str, Callable[..., Any]]:
    """{method name: function} for each spec (op name, "unary"/"left"/"right", default of b).

    `engine` names what the methods call: `Value`, `node` (a node as the grad modes have
    it), `apply` (the checked slow path), `mode` (the grad modes in force) and `DEFAULT`
    (what `mode()` returns when none is)."""
    value_class = engine["Value"]
    namespace = {**FLOAT_NAMES, "new": object.__new__, **engine}
    made = {}
    for method, (op_name, side, default) in specs.items():
        # compiled under another name, so that `def exp` cannot hide the helper exp
        source = _method_source("generated", op_name, ops[op_name], side, default)
        _SOURCES[method] = source.replace("def generated(", f"def {method}(", 1)
        function = _compile(source, "generated", namespace, shown=f"{method} of {op_name!r}")
        function.__name__ = method
        function.__qualname__ = f"{value_class.__name__}.{method}"
        made[method] = function
    return made


def source_of(method: str) -> str:
    """The generated source of a Value method, e.g. source_of("__mul__")."""
    return _SOURCES[method]
