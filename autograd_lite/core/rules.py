"""The rule language of `engine.RULES`: a `Rule` is one op's math as text, an `Op` is the
functions the engine runs for it, and the helpers below are the names a rule may call.

    "*":    rule("x * y", "y", "x")
    "relu": rule("x if x > 0.0 else 0.0", "1.0 if x > 0.0 else 0.0")

A rule's expressions use the inputs (x, y, or the names given), the result `out`,
arithmetic, comparisons with < and > (a Value's == is identity) and the helpers exp, log,
sqrt, tanh, power (IEEE pow), zero (the number 0) and signed_inf. The local derivatives
run on floats for `backward()` and on Values for `grad(grad(f))`, so `log` and `power`
take both. codegen.py turns each rule into Python functions.

This module imports nothing of ours.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FLOAT_NAMES", "RULE_NODES", "Domain", "Op", "Rule", "rule"]

#: The constructs a rule's text may use; al.compile's translations (compiler/ruleexpr.py,
#: jscode.py) handle each, and define_op (custom.py) refuses anything else.
RULE_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.BoolOp, ast.Call,
    ast.Name, ast.Constant, ast.Attribute, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div,
    ast.USub, ast.Gt, ast.GtE, ast.Lt, ast.LtE, ast.Is, ast.Or, ast.And,
)  # fmt: skip


@dataclass(frozen=True)
class Domain:
    """A condition the inputs must meet, and the error raised when they do not."""

    condition: str  # a Python expression in the input names (x, y) and operands (a, b)
    error: type[Exception]
    message: str  # formatted with the input names, e.g. "log needs x > 0, got {x!r}"


@dataclass(frozen=True)
class Rule:
    """One op's math as text: its `value`, and one local derivative ∂out/∂input per input."""

    value: str
    local_grads: tuple[str, ...]
    domain: tuple[Domain, ...] = ()
    names: tuple[str, ...] = ("x", "y")  # what the expressions call the inputs

    @property
    def arity(self) -> int:
        return len(self.local_grads)


def rule(
    value: str,
    *local_grads: str,
    domain: tuple[Domain, ...] = (),
    names: tuple[str, ...] = ("x", "y"),
) -> Rule:
    """A row of the table: the value and the local derivatives, side by side."""
    return Rule(value, local_grads, domain, names[: len(local_grads)])


def _no_domain(*args: object) -> None:
    return None


@dataclass(frozen=True)
class Op:
    """A primitive as the engine runs it: functions of its inputs' numbers (or Values, for
    the local derivatives of higher-order gradients). `rule` is its text (None for the
    n-ary ops, written by hand)."""

    forward: Callable[..., float]  # inputs' numbers -> out
    local_grads: Callable[..., tuple[Any, ...]]  # (out, *inputs) -> ∂out/∂input for each
    check_domain: Callable[..., None] = field(default=_no_domain)  # (*numbers, *operands)
    rule: Rule | None = None
    local_grad: tuple[Callable[..., Any], ...] = ()  # local_grad[k](out, *inputs): ∂out/∂input k

    def local_grads_for(self, positions: list[int], out: Any, *inputs: Any) -> list[Any]:
        """∂out/∂inputs[k] for each k in `positions`, computing only those where the rule
        gives one function per input (a derivative off the path may have no finite value)."""
        if self.local_grad:
            return [self.local_grad[k](out, *inputs) for k in positions]
        every = self.local_grads(out, *inputs)
        return [every[k] for k in positions]


# --- the helpers a rule may call ------------------------------------------------------------


def float_power(x: float, p: float) -> float:
    """x ** p as IEEE pow: ±inf where Python raises (overflow, 0 to a negative power)."""
    try:
        return float(x**p)
    except (OverflowError, ZeroDivisionError):
        odd = float(p).is_integer() and p % 2 == 1
        return math.copysign(math.inf, x) if odd else math.inf


def exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # inf: the finite test sends it to `apply`, which names it
        return math.inf


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float))


def power(x: Any, p: Any) -> Any:
    """IEEE pow on numbers, `**` on Values."""
    return float_power(x, p) if _is_number(x) and _is_number(p) else x**p


def log(x: Any) -> Any:
    """math.log on numbers, `x.log()` on a Value."""
    return math.log(x) if x.__class__ is float or _is_number(x) else x.log()


def zero(x: Any) -> bool:
    """True for the number 0 only. A Value is never "zero" here, even at 0: the rule it
    enters may still have a non-zero derivative with respect to it (higher order)."""
    return _is_number(x) and x == 0.0


def signed_inf(x: Any) -> float:
    """±inf with the sign of x (of x's number, for a Value): 1/±0 as IEEE has it."""
    return math.copysign(math.inf, x if _is_number(x) else x.data)


def sigmoid(x: float) -> float:
    """1/(1 + e⁻ˣ), in the form that cannot overflow (as the engine's sigmoid op)."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0.0 else math.exp(x) / (1.0 + math.exp(x))


sqrt = math.sqrt
tanh = math.tanh
float_log = math.log  # the Value methods' fast paths run on floats: float_log, float_power

#: The helpers on floats, under the names the rules use: al.compile's generated code
#: calls these (compiler/ruleexpr.py), and folds constants with them.
FLOAT_NAMES: dict[str, Any] = {
    "exp": exp,
    "log": math.log,
    "sqrt": sqrt,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "power": float_power,
    "zero": zero,
    "signed_inf": signed_inf,
    "inf": math.inf,
}
#: The same names as the engine's generated code has them (`log`, `power` take Values too).
HELPERS: dict[str, Any] = {
    **FLOAT_NAMES, "log": log, "power": power, "float_log": float_log, "float_power": float_power
}
