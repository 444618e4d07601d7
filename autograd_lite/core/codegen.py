"""The code generator: writes `_ops_generated.py` from the rule table `engine.RULES`.

    make regen        (python autograd_lite/core/codegen.py; or, when the package imports,
                       python -m autograd_lite.core.codegen)

For each rule it writes the op's functions: `mul_forward(x, y)` (the value, on floats),
`mul_local_grads(out, x, y)` (every local derivative ∂out/∂input, on floats or Values),
`mul_local_grad_0` … (one per input, for higher-order gradients) and, for an op with a
domain, `div_check_domain(x, y, a, b)` (raises the op's own error, naming the values). It
also writes the class `ValueOps`, which `engine.Value` inherits: each method (`__mul__`,
`__rmul__`, `relu`, …) does its op inline, value and local derivatives written out, with
one quick test that the numbers are finite; anything else goes to the checked `apply`.

The generated file is committed, so editors, debuggers, coverage and type checkers see
real code; tests/test_codegen.py fails when it differs from what this module writes now.
`compile_op` compiles one op's functions at run time, from the same text.
"""

from __future__ import annotations

import ast
import builtins
import linecache
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

if __name__ == "__main__" and not __package__:  # run as a file: `make regen`
    import sys
    import types

    # Import core/ alone, with a stand-in for the generated module, so that no stale or
    # broken _ops_generated.py can stop its own regeneration.
    sys.path[0] = str(Path(__file__).resolve().parents[2])
    top = types.ModuleType("autograd_lite")
    top.__path__ = [str(Path(__file__).resolve().parents[1])]
    stand_in = types.ModuleType("autograd_lite.core._ops_generated")
    stand_in.__dict__.update(ValueOps=type("ValueOps", (), {"__slots__": ()}), OPS={},
                             check=lambda *args: None)  # fmt: skip
    sys.modules.update({"autograd_lite": top, stand_in.__name__: stand_in})
    from autograd_lite.core import codegen

    codegen.main()
    raise SystemExit

from .rules import HELPERS, Domain, Op, Rule

__all__ = ["METHODS", "compile_method", "compile_op", "generate", "main", "op_source"]

#: Where the generated module lives.
TARGET = Path(__file__).with_name("_ops_generated.py")

#: Each Value method: (its op, how it reads its operands: "unary", "left" or "right").
#: A reflected method (`2.0 * x` is `x.__rmul__(2.0)`) gets the op's inputs the other way.
METHODS: dict[str, tuple[str, str]] = {
    "__add__": ("+", "left"), "__radd__": ("+", "right"),
    "__sub__": ("-", "left"), "__rsub__": ("-", "right"),
    "__mul__": ("*", "left"), "__rmul__": ("*", "right"),
    "__truediv__": ("/", "left"), "__rtruediv__": ("/", "right"),
    "__pow__": ("**", "left"), "__rpow__": ("**", "right"),
    "__neg__": ("neg", "unary"), "__abs__": ("abs", "unary"),
    "exp": ("exp", "unary"), "log": ("log", "unary"), "sqrt": ("sqrt", "unary"),
    "tanh": ("tanh", "unary"), "sigmoid": ("sigmoid", "unary"),
    "relu": ("relu", "unary"), "abs": ("abs", "unary"),
    "leaky_relu": ("leaky_relu", "left"),
}  # fmt: skip
_COMPARISONS = {"__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">="}
# The ops whose names are not identifiers, as their functions are called.
_WORDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}


def _quoted(text: str) -> str:
    """text as a Python string literal in double quotes, as the rest of the package has them."""
    if '"' in text or "\\" in text or "\n" in text:
        return repr(text)
    return f'"{text}"'


def _tuple(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def function_prefix(op: str) -> str:
    prefix = _WORDS.get(op, op)
    if not prefix.isidentifier():
        raise ValueError(f"codegen: op name {op!r:.60} is not an identifier")
    return prefix


# --- an op's functions ----------------------------------------------------------------------


def op_source(op: str, rule: Rule) -> str:
    """The text of op's functions: forward, local_grads, local_grad_k, check_domain."""
    name = function_prefix(op)
    value = _renamed(rule.value, _ON_FLOATS)  # the value is computed on floats only
    inputs = ", ".join(f"{n}: float" for n in rule.names)
    duals = ", ".join(f"{n}: Any" for n in rule.names)
    grads = _tuple(list(rule.local_grads))
    parts = [
        f"def {name}_forward({inputs}) -> float:\n    return {value}\n",
        f"def {name}_local_grads(out: Any, {duals}) -> tuple[Any, ...]:\n    return {grads}\n",
    ]
    for k, local in enumerate(rule.local_grads):
        parts.append(f"def {name}_local_grad_{k}(out: Any, {duals}) -> Any:\n    return {local}\n")
    if rule.domain:
        operands = "a: Operand, b: Operand" if rule.arity == 2 else "a: Operand"
        checks = "".join(_domain_check(d) for d in rule.domain)
        parts.append(f"def {name}_check_domain({inputs}, {operands}) -> None:\n{checks}")
    return "\n\n".join(parts)


def _domain_check(domain: Domain) -> str:
    error = domain.error.__name__
    if getattr(builtins, error, None) is not domain.error:  # the file names it as a builtin
        raise ValueError(f"codegen: a domain's error must be a builtin exception, got {error}")
    return f"    if not ({domain.condition}):\n        raise {error}(f{_quoted(domain.message)})\n"


def _op_entry(op: str, rule: Rule) -> str:
    name = function_prefix(op)
    each = _tuple([f"{name}_local_grad_{k}" for k in range(rule.arity)])
    domain = f"\n        check_domain={name}_check_domain," if rule.domain else ""
    return (
        f"    {_quoted(op)}: Op(\n        {name}_forward,\n        {name}_local_grads,{domain}\n"
        f"        rule=RULES[{_quoted(op)}],\n        local_grad={each},\n    ),\n"
    )


def _rule_literal(rule: Rule) -> str:
    """rule as the call that makes it, one argument a line, as engine.RULES writes it."""
    args = [_quoted(rule.value), *map(_quoted, rule.local_grads)]
    if rule.domain:
        domains = "".join(
            f"            Domain({_quoted(d.condition)}, {d.error.__name__}, "
            f"{_quoted(d.message)}),\n"
            for d in rule.domain
        )
        args.append(f"domain=(\n{domains}        )")
    if rule.names != ("x", "y")[: rule.arity]:
        args.append(f"names={_tuple([_quoted(n) for n in rule.names])}")
    one_line = f"rule({', '.join(args)})"
    if len(one_line) <= 90 and "\n" not in one_line:
        return one_line
    return "rule(\n" + "".join(f"        {a},\n" for a in args) + "    )"


# --- Value methods --------------------------------------------------------------------------

# Reads the number operand into its number. An int constant (x ** 2) becomes a float here; one
# too big for a float, and every other kind of number, goes to apply.
_NUMBER = """\
if {v}.__class__ is float:
            {n} = {v}
        elif {v}.__class__ is int and -1e300 < {v} < 1e300:
            {n} = {v} = float({v})
        else:
            return apply({op}, {operands})
"""
_UNARY = """\
    def {method}(self) -> Value:
        {doc}
        x = self.data
        if x.__class__ is not float:
            return apply({op}, self)
"""
_LEFT = (
    "    def {method}(self, {other}: Operand{default}) -> Value:\n        {doc}\n"
    "        x = self.data\n        if {other}.__class__ is Value:\n"
    "            y = {other}.data\n        el"
    + _NUMBER.replace("{v}", "{other}").replace("{n}", "y")
    + "        if x.__class__ is not float or y.__class__ is not float:\n"
    "            return apply({op}, {operands})\n"
)
_RIGHT = (
    "    def {method}(self, {other}: float) -> Value:\n        {doc}\n"
    "        y = self.data\n        "
    + _NUMBER.replace("{v}", "{other}").replace("{n}", "x")
    + "        if y.__class__ is not float:\n            return apply({op}, {operands})\n"
)
# In the domain, compute; if everything is finite, make the node (inline when no grad mode
# is in force, the common case; else through `node`, which applies the modes). A NaN or ±inf
# fails `v - v == 0.0`: one test covers NaN data set by hand, and overflow.
_BODY = """\
        out = {value}
        if out - out == 0.0{finite}:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, {op}, ({edges})
                return v
            return node(out, {op}, ({edges}))
"""


# A method's fast path has floats only: the helpers that also take Values need not check.
_ON_FLOATS = {"log": "float_log", "power": "float_power"}


def method_source(method: str, op: str, rule: Rule, side: str, default: str = "") -> str:
    """The text of one Value method, indented as in the class. In it, self and other are
    the operands, x and y the inputs' numbers (whatever the rule calls them)."""
    first, second = ("other", "self") if side == "right" else ("self", "other")
    other = rule.names[1] if side == "left" and rule.names[1] != "y" else "other"
    if side == "left":
        second = other
    operands = f"{first}, {second}" if rule.arity == 2 else first
    names = {**dict(zip(rule.names, ("x", "y"))), "a": first, "b": second, **_ON_FLOATS}
    head = {"unary": _UNARY, "left": _LEFT, "right": _RIGHT}[side]
    op = _quoted(op)
    doc = f'"""The {op} rule of engine.RULES, inline (see the module doc)."""'
    edges = ", ".join([*operands.split(", "), *(_grouped(_renamed(g, names)) for g in
                                                rule.local_grads)])  # fmt: skip
    body = _BODY.format(
        value=_renamed(rule.value, names),
        finite="".join(f" and {n} - {n} == 0.0" for n in ("x", "y")[: rule.arity]),
        op=op,
        edges=edges,
    )
    if rule.domain:  # compute only inside the domain: Python raises for 1/0
        conditions = [_renamed(d.condition, names) for d in rule.domain]
        domain = " and ".join(map(_grouped, conditions)) if len(conditions) > 1 else conditions[0]
        body = f"        if {domain}:\n" + "".join(f"    {line}\n" for line in body.splitlines())
    text = head.format(method=method, other=other, op=op, operands=operands, doc=doc,
                       default=default)  # fmt: skip
    return text + body + f"        return apply({op}, {operands})\n"


def _comparison_source(method: str, symbol: str) -> str:
    return (
        f"    def {method}(self, other: Operand) -> bool:\n"
        f'        """self {symbol} other, on data (told to an al.compile trace, if any)."""\n'
        f"        number = other.data if isinstance(other, Value) else real_number(other, "
        f"{_quoted(symbol)})\n"
        f"        return compared(self, {_quoted(symbol)}, other, self.data {symbol} number)\n"
    )


def _renamed(expression: str, names: Mapping[str, str]) -> str:
    """expression with its variables renamed (`negative_slope * x` -> `y * x`)."""

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            return ast.Name(names.get(node.id, node.id), node.ctx)

    return ast.unparse(Rename().visit(ast.parse(expression, mode="eval")))


def _grouped(expression: str) -> str:
    """expression, in parentheses unless it is one name or number (-1.0 included)."""
    atom = expression.removeprefix("-").replace(".", "").isalnum()
    return expression if atom else f"({expression})"


# --- the module -------------------------------------------------------------------------

_HEADER = '''\
# Generated from engine.RULES by `make regen` (python -m autograd_lite.core.codegen).
# Do not edit: edit the rule in engine.py, or the generator in codegen.py, and regenerate.
# mypy: disable-error-code="union-attr, no-any-return, comparison-overlap"
"""Every function the engine runs for an op of `engine.RULES`, as Python you can open,
step into and set breakpoints in: for each op its forward value, its local derivatives and
its domain check; and `ValueOps`, the op methods that `engine.Value` inherits.

A method does its whole op inline for Values and floats with finite numbers in the op's
domain: x and y are the inputs' numbers, self and other the operands. Anything else
(another kind of number, a NaN set by hand, log of 0, an overflow) goes to `apply`, which
checks everything and raises an error naming the op and the value.

`Value`, `apply` and `node` are handed to this module by nary.py once they exist: it cannot
import them, as engine.py imports this module.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .modes import DEFAULT
from .modes import current as current_mode
from .rules import (
    Domain,
    Op,
    exp,
    float_log,
    float_power,
    log,
    power,
    rule,
    signed_inf,
    sqrt,
    tanh,
    zero,
)
from .tracehook import compared
from .validation import real_number

if TYPE_CHECKING:
    from .engine import Operand, Value
    from .nary import apply, node

new = object.__new__  # a Value without __init__'s checks, for numbers already checked


def check(rules: object, negative_slope: float) -> None:
    """Refuses code generated from other rules than engine.py's. (AUTOGRAD_LITE_REGEN=1
    lets `python -m autograd_lite.core.codegen` import a stale file, to replace it.)"""
    stale = rules != RULES or negative_slope != NEGATIVE_SLOPE
    if stale and os.environ.get("AUTOGRAD_LITE_REGEN") != "1":
        raise ImportError(f"{__file__} was generated from other rules than engine.RULES: "
                          "run make regen")  # fmt: skip

'''


def generate(rules: Mapping[str, Rule], negative_slope: float) -> str:
    """The text of _ops_generated.py for this rule table (and leaky_relu's default)."""
    copies = "".join(f"    {_quoted(op)}: {_rule_literal(r)},\n" for op, r in rules.items())
    functions = "\n\n".join(op_source(op, r) for op, r in rules.items())
    table = "".join(_op_entry(op, r) for op, r in rules.items())
    methods = "\n".join(
        method_source(m, op, rules[op], side, f" = {negative_slope!r}" if m == "leaky_relu" else "")
        for m, (op, side) in METHODS.items()
    )
    comparisons = "\n".join(_comparison_source(m, s) for m, s in _COMPARISONS.items())
    return (
        f"{_HEADER}\n#: The rule table this file was generated from (engine.py compares).\n"
        f"RULES = {{\n{copies}}}\nNEGATIVE_SLOPE = {negative_slope!r}\n\n\n{functions}\n\n\n"
        f"#: Each op's functions, as the engine runs them.\nOPS = {{\n{table}}}\n\n\n"
        "class ValueOps:\n"
        '    """The op methods of `engine.Value`, generated from engine.RULES."""\n\n'
        "    __slots__ = ()\n    data: float\n\n"
        f"{methods}\n{comparisons}"
    )


# --- compiled at run time --------------------------------------------------------------------


def _compiled(source: str, name: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Runs `source`, text this module generated from a rule (never a user's text: a user's
    rule is checked against an allow-list of constructs first), and returns its names."""
    # Named after this file, so that tracebacks say where the code came from, and so that
    # detect_anomaly's search for the user's line skips it like the rest of the package.
    filename = f"{__file__} <generated {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope = dict(namespace)
    exec(compile(source, filename, "exec"), scope)  # our own generated text
    return scope


def compile_op(op: str, rule: Rule, helpers: Mapping[str, Any] | None = None) -> Op:
    """op's functions compiled now from `rule`, as the generated module has them (with
    `helpers` in place of some of the rules' helpers: define_op's take Values too)."""
    name = function_prefix(op)
    scope = _compiled(op_source(op, rule), op, {**HELPERS, **(helpers or {}), "Any": Any})
    return Op(
        scope[f"{name}_forward"],
        scope[f"{name}_local_grads"],
        rule=rule,
        local_grad=tuple(scope[f"{name}_local_grad_{k}"] for k in range(rule.arity)),
        **({"check_domain": scope[f"{name}_check_domain"]} if rule.domain else {}),
    )


def compile_method(method: str, op: str, rule: Rule, default: str = "") -> Callable[..., Any]:
    """A Value method compiled now from `rule`, with the generated module's names in scope.
    It is compiled in a class body, as in the file, so that `def tanh` does not hide the
    helper tanh."""
    from . import _ops_generated

    source = "class Methods:\n" + method_source(method, op, rule, METHODS[method][1], default)
    function: Callable[..., Any] = vars(_compiled(source, method, vars(_ops_generated))["Methods"])[
        method
    ]
    return function


def main() -> None:
    """Writes _ops_generated.py from engine.RULES, if it changed."""
    from .. import atomic
    from . import engine

    text = generate(engine.RULES, engine.NEGATIVE_SLOPE)
    if TARGET.exists() and TARGET.read_text("utf-8") == text:
        print(f"{TARGET.name} is up to date")
        return
    atomic.write_bytes(TARGET, text.encode("utf-8"))
    print(f"wrote {TARGET} from engine.RULES")


if __name__ == "__main__":
    main()
