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


#: The rule table this file was generated from (engine.py compares).
RULES = {
    "+": rule("x + y", "1.0", "1.0"),
    "-": rule("x - y", "1.0", "-1.0"),
    "*": rule("x * y", "y", "x"),
    "/": rule(
        "x / y",
        "1.0 / y",
        "-out / y",
        domain=(
            Domain("y > 0.0 or y < 0.0", ZeroDivisionError, "/ divides by zero: {x!r} / {y!r}"),
        ),
    ),
    "**": rule(
        "power(x, y)",
        "0.0 if zero(y) else y * power(x, y - 1.0)",
        "out * log(x) if x > 0.0 else 0.0",
        domain=(
            Domain("x >= 0.0 or float(y).is_integer()", ValueError, "** of a negative base to a non-integer power is not real: {x!r} ** {y!r}"),
            Domain("x > 0.0 or x < 0.0 or y >= 0.0", ZeroDivisionError, "** of zero to a negative power: {x!r} ** {y!r}"),
            Domain("x >= 0.0 or b.__class__ is float", ValueError, "** with a Value exponent needs a non-negative base, got {x!r} ** {y!r}; use a number exponent for a negative base"),
        ),
    ),
    "neg": rule("-x", "-1.0"),
    "exp": rule("exp(x)", "out"),
    "log": rule(
        "log(x)",
        "1.0 / x",
        domain=(
            Domain("x > 0.0", ValueError, "log needs a positive input, got {x!r}"),
        ),
    ),
    "sqrt": rule(
        "sqrt(x)",
        "0.5 / out if out > 0.0 else signed_inf(out)",
        domain=(
            Domain("x >= 0.0", ValueError, "sqrt needs a non-negative input, got {x!r}"),
        ),
    ),
    "tanh": rule("tanh(x)", "1.0 - out * out"),
    "sigmoid": rule(
        "1.0 / (1.0 + exp(-x)) if x >= 0.0 else exp(x) / (1.0 + exp(x))",
        "out * (1.0 - out)",
    ),
    "relu": rule("x if x > 0.0 else 0.0", "1.0 if x > 0.0 else 0.0"),
    "leaky_relu": rule(
        "x if x > 0.0 else negative_slope * x",
        "1.0 if x > 0.0 else negative_slope",
        "0.0 if x > 0.0 else x",
        names=("x", "negative_slope"),
    ),
    "abs": rule("abs(x)", "1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0"),
}
NEGATIVE_SLOPE = 0.01


def add_forward(x: float, y: float) -> float:
    return x + y


def add_local_grads(out: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return (1.0, 1.0)


def add_local_grad_0(out: Any, x: Any, y: Any) -> Any:
    return 1.0


def add_local_grad_1(out: Any, x: Any, y: Any) -> Any:
    return 1.0


def sub_forward(x: float, y: float) -> float:
    return x - y


def sub_local_grads(out: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return (1.0, -1.0)


def sub_local_grad_0(out: Any, x: Any, y: Any) -> Any:
    return 1.0


def sub_local_grad_1(out: Any, x: Any, y: Any) -> Any:
    return -1.0


def mul_forward(x: float, y: float) -> float:
    return x * y


def mul_local_grads(out: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return (y, x)


def mul_local_grad_0(out: Any, x: Any, y: Any) -> Any:
    return y


def mul_local_grad_1(out: Any, x: Any, y: Any) -> Any:
    return x


def div_forward(x: float, y: float) -> float:
    return x / y


def div_local_grads(out: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return (1.0 / y, -out / y)


def div_local_grad_0(out: Any, x: Any, y: Any) -> Any:
    return 1.0 / y


def div_local_grad_1(out: Any, x: Any, y: Any) -> Any:
    return -out / y


def div_check_domain(x: float, y: float, a: Operand, b: Operand) -> None:
    if not (y > 0.0 or y < 0.0):
        raise ZeroDivisionError(f"/ divides by zero: {x!r} / {y!r}")


def pow_forward(x: float, y: float) -> float:
    return float_power(x, y)


def pow_local_grads(out: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return (0.0 if zero(y) else y * power(x, y - 1.0), out * log(x) if x > 0.0 else 0.0)


def pow_local_grad_0(out: Any, x: Any, y: Any) -> Any:
    return 0.0 if zero(y) else y * power(x, y - 1.0)


def pow_local_grad_1(out: Any, x: Any, y: Any) -> Any:
    return out * log(x) if x > 0.0 else 0.0


def pow_check_domain(x: float, y: float, a: Operand, b: Operand) -> None:
    if not (x >= 0.0 or float(y).is_integer()):
        raise ValueError(f"** of a negative base to a non-integer power is not real: {x!r} ** {y!r}")
    if not (x > 0.0 or x < 0.0 or y >= 0.0):
        raise ZeroDivisionError(f"** of zero to a negative power: {x!r} ** {y!r}")
    if not (x >= 0.0 or b.__class__ is float):
        raise ValueError(f"** with a Value exponent needs a non-negative base, got {x!r} ** {y!r}; use a number exponent for a negative base")


def neg_forward(x: float) -> float:
    return -x


def neg_local_grads(out: Any, x: Any) -> tuple[Any, ...]:
    return (-1.0,)


def neg_local_grad_0(out: Any, x: Any) -> Any:
    return -1.0


def exp_forward(x: float) -> float:
    return exp(x)


def exp_local_grads(out: Any, x: Any) -> tuple[Any, ...]:
    return (out,)


def exp_local_grad_0(out: Any, x: Any) -> Any:
    return out


def log_forward(x: float) -> float:
    return float_log(x)


def log_local_grads(out: Any, x: Any) -> tuple[Any, ...]:
    return (1.0 / x,)


def log_local_grad_0(out: Any, x: Any) -> Any:
    return 1.0 / x


def log_check_domain(x: float, a: Operand) -> None:
    if not (x > 0.0):
        raise ValueError(f"log needs a positive input, got {x!r}")


def sqrt_forward(x: float) -> float:
    return sqrt(x)


def sqrt_local_grads(out: Any, x: Any) -> tuple[Any, ...]:
    return (0.5 / out if out > 0.0 else signed_inf(out),)


def sqrt_local_grad_0(out: Any, x: Any) -> Any:
    return 0.5 / out if out > 0.0 else signed_inf(out)


def sqrt_check_domain(x: float, a: Operand) -> None:
    if not (x >= 0.0):
        raise ValueError(f"sqrt needs a non-negative input, got {x!r}")


def tanh_forward(x: float) -> float:
    return tanh(x)


def tanh_local_grads(out: Any, x: Any) -> tuple[Any, ...]:
    return (1.0 - out * out,)


def tanh_local_grad_0(out: Any, x: Any) -> Any:
    return 1.0 - out * out


def sigmoid_forward(x: float) -> float:
    return 1.0 / (1.0 + exp(-x)) if x >= 0.0 else exp(x) / (1.0 + exp(x))


def sigmoid_local_grads(out: Any, x: Any) -> tuple[Any, ...]:
    return (out * (1.0 - out),)


def sigmoid_local_grad_0(out: Any, x: Any) -> Any:
    return out * (1.0 - out)


def relu_forward(x: float) -> float:
    return x if x > 0.0 else 0.0


def relu_local_grads(out: Any, x: Any) -> tuple[Any, ...]:
    return (1.0 if x > 0.0 else 0.0,)


def relu_local_grad_0(out: Any, x: Any) -> Any:
    return 1.0 if x > 0.0 else 0.0


def leaky_relu_forward(x: float, negative_slope: float) -> float:
    return x if x > 0.0 else negative_slope * x


def leaky_relu_local_grads(out: Any, x: Any, negative_slope: Any) -> tuple[Any, ...]:
    return (1.0 if x > 0.0 else negative_slope, 0.0 if x > 0.0 else x)


def leaky_relu_local_grad_0(out: Any, x: Any, negative_slope: Any) -> Any:
    return 1.0 if x > 0.0 else negative_slope


def leaky_relu_local_grad_1(out: Any, x: Any, negative_slope: Any) -> Any:
    return 0.0 if x > 0.0 else x


def abs_forward(x: float) -> float:
    return abs(x)


def abs_local_grads(out: Any, x: Any) -> tuple[Any, ...]:
    return (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0,)


def abs_local_grad_0(out: Any, x: Any) -> Any:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0



#: Each op's functions, as the engine runs them.
OPS = {
    "+": Op(
        add_forward,
        add_local_grads,
        rule=RULES["+"],
        local_grad=(add_local_grad_0, add_local_grad_1),
    ),
    "-": Op(
        sub_forward,
        sub_local_grads,
        rule=RULES["-"],
        local_grad=(sub_local_grad_0, sub_local_grad_1),
    ),
    "*": Op(
        mul_forward,
        mul_local_grads,
        rule=RULES["*"],
        local_grad=(mul_local_grad_0, mul_local_grad_1),
    ),
    "/": Op(
        div_forward,
        div_local_grads,
        check_domain=div_check_domain,
        rule=RULES["/"],
        local_grad=(div_local_grad_0, div_local_grad_1),
    ),
    "**": Op(
        pow_forward,
        pow_local_grads,
        check_domain=pow_check_domain,
        rule=RULES["**"],
        local_grad=(pow_local_grad_0, pow_local_grad_1),
    ),
    "neg": Op(
        neg_forward,
        neg_local_grads,
        rule=RULES["neg"],
        local_grad=(neg_local_grad_0,),
    ),
    "exp": Op(
        exp_forward,
        exp_local_grads,
        rule=RULES["exp"],
        local_grad=(exp_local_grad_0,),
    ),
    "log": Op(
        log_forward,
        log_local_grads,
        check_domain=log_check_domain,
        rule=RULES["log"],
        local_grad=(log_local_grad_0,),
    ),
    "sqrt": Op(
        sqrt_forward,
        sqrt_local_grads,
        check_domain=sqrt_check_domain,
        rule=RULES["sqrt"],
        local_grad=(sqrt_local_grad_0,),
    ),
    "tanh": Op(
        tanh_forward,
        tanh_local_grads,
        rule=RULES["tanh"],
        local_grad=(tanh_local_grad_0,),
    ),
    "sigmoid": Op(
        sigmoid_forward,
        sigmoid_local_grads,
        rule=RULES["sigmoid"],
        local_grad=(sigmoid_local_grad_0,),
    ),
    "relu": Op(
        relu_forward,
        relu_local_grads,
        rule=RULES["relu"],
        local_grad=(relu_local_grad_0,),
    ),
    "leaky_relu": Op(
        leaky_relu_forward,
        leaky_relu_local_grads,
        rule=RULES["leaky_relu"],
        local_grad=(leaky_relu_local_grad_0, leaky_relu_local_grad_1),
    ),
    "abs": Op(
        abs_forward,
        abs_local_grads,
        rule=RULES["abs"],
        local_grad=(abs_local_grad_0,),
    ),
}


class ValueOps:
    """The op methods of `engine.Value`, generated from engine.RULES."""

    __slots__ = ()
    data: float

    def __add__(self, other: Operand) -> Value:
        """The "+" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if other.__class__ is Value:
            y = other.data
        elif other.__class__ is float:
            y = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            y = other = float(other)
        else:
            return apply("+", self, other)
        if x.__class__ is not float or y.__class__ is not float:
            return apply("+", self, other)
        out = x + y
        if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "+", (self, other, 1.0, 1.0)
                return v
            return node(out, "+", (self, other, 1.0, 1.0))
        return apply("+", self, other)

    def __radd__(self, other: float) -> Value:
        """The "+" rule of engine.RULES, inline (see the module doc)."""
        y = self.data
        if other.__class__ is float:
            x = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            x = other = float(other)
        else:
            return apply("+", other, self)
        if y.__class__ is not float:
            return apply("+", other, self)
        out = x + y
        if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "+", (other, self, 1.0, 1.0)
                return v
            return node(out, "+", (other, self, 1.0, 1.0))
        return apply("+", other, self)

    def __sub__(self, other: Operand) -> Value:
        """The "-" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if other.__class__ is Value:
            y = other.data
        elif other.__class__ is float:
            y = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            y = other = float(other)
        else:
            return apply("-", self, other)
        if x.__class__ is not float or y.__class__ is not float:
            return apply("-", self, other)
        out = x - y
        if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "-", (self, other, 1.0, -1.0)
                return v
            return node(out, "-", (self, other, 1.0, -1.0))
        return apply("-", self, other)

    def __rsub__(self, other: float) -> Value:
        """The "-" rule of engine.RULES, inline (see the module doc)."""
        y = self.data
        if other.__class__ is float:
            x = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            x = other = float(other)
        else:
            return apply("-", other, self)
        if y.__class__ is not float:
            return apply("-", other, self)
        out = x - y
        if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "-", (other, self, 1.0, -1.0)
                return v
            return node(out, "-", (other, self, 1.0, -1.0))
        return apply("-", other, self)

    def __mul__(self, other: Operand) -> Value:
        """The "*" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if other.__class__ is Value:
            y = other.data
        elif other.__class__ is float:
            y = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            y = other = float(other)
        else:
            return apply("*", self, other)
        if x.__class__ is not float or y.__class__ is not float:
            return apply("*", self, other)
        out = x * y
        if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "*", (self, other, y, x)
                return v
            return node(out, "*", (self, other, y, x))
        return apply("*", self, other)

    def __rmul__(self, other: float) -> Value:
        """The "*" rule of engine.RULES, inline (see the module doc)."""
        y = self.data
        if other.__class__ is float:
            x = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            x = other = float(other)
        else:
            return apply("*", other, self)
        if y.__class__ is not float:
            return apply("*", other, self)
        out = x * y
        if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "*", (other, self, y, x)
                return v
            return node(out, "*", (other, self, y, x))
        return apply("*", other, self)

    def __truediv__(self, other: Operand) -> Value:
        """The "/" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if other.__class__ is Value:
            y = other.data
        elif other.__class__ is float:
            y = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            y = other = float(other)
        else:
            return apply("/", self, other)
        if x.__class__ is not float or y.__class__ is not float:
            return apply("/", self, other)
        if y > 0.0 or y < 0.0:
            out = x / y
            if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
                if current_mode() is DEFAULT:
                    v = new(Value)
                    v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "/", (self, other, (1.0 / y), (-out / y))
                    return v
                return node(out, "/", (self, other, (1.0 / y), (-out / y)))
        return apply("/", self, other)

    def __rtruediv__(self, other: float) -> Value:
        """The "/" rule of engine.RULES, inline (see the module doc)."""
        y = self.data
        if other.__class__ is float:
            x = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            x = other = float(other)
        else:
            return apply("/", other, self)
        if y.__class__ is not float:
            return apply("/", other, self)
        if y > 0.0 or y < 0.0:
            out = x / y
            if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
                if current_mode() is DEFAULT:
                    v = new(Value)
                    v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "/", (other, self, (1.0 / y), (-out / y))
                    return v
                return node(out, "/", (other, self, (1.0 / y), (-out / y)))
        return apply("/", other, self)

    def __pow__(self, other: Operand) -> Value:
        """The "**" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if other.__class__ is Value:
            y = other.data
        elif other.__class__ is float:
            y = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            y = other = float(other)
        else:
            return apply("**", self, other)
        if x.__class__ is not float or y.__class__ is not float:
            return apply("**", self, other)
        if (x >= 0.0 or float(y).is_integer()) and (x > 0.0 or x < 0.0 or y >= 0.0) and (x >= 0.0 or other.__class__ is float):
            out = float_power(x, y)
            if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
                if current_mode() is DEFAULT:
                    v = new(Value)
                    v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "**", (self, other, (0.0 if zero(y) else y * float_power(x, y - 1.0)), (out * float_log(x) if x > 0.0 else 0.0))
                    return v
                return node(out, "**", (self, other, (0.0 if zero(y) else y * float_power(x, y - 1.0)), (out * float_log(x) if x > 0.0 else 0.0)))
        return apply("**", self, other)

    def __rpow__(self, other: float) -> Value:
        """The "**" rule of engine.RULES, inline (see the module doc)."""
        y = self.data
        if other.__class__ is float:
            x = other
        elif other.__class__ is int and -1e300 < other < 1e300:
            x = other = float(other)
        else:
            return apply("**", other, self)
        if y.__class__ is not float:
            return apply("**", other, self)
        if (x >= 0.0 or float(y).is_integer()) and (x > 0.0 or x < 0.0 or y >= 0.0) and (x >= 0.0 or self.__class__ is float):
            out = float_power(x, y)
            if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
                if current_mode() is DEFAULT:
                    v = new(Value)
                    v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "**", (other, self, (0.0 if zero(y) else y * float_power(x, y - 1.0)), (out * float_log(x) if x > 0.0 else 0.0))
                    return v
                return node(out, "**", (other, self, (0.0 if zero(y) else y * float_power(x, y - 1.0)), (out * float_log(x) if x > 0.0 else 0.0)))
        return apply("**", other, self)

    def __neg__(self) -> Value:
        """The "neg" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if x.__class__ is not float:
            return apply("neg", self)
        out = -x
        if out - out == 0.0 and x - x == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "neg", (self, -1.0)
                return v
            return node(out, "neg", (self, -1.0))
        return apply("neg", self)

    def __abs__(self) -> Value:
        """The "abs" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if x.__class__ is not float:
            return apply("abs", self)
        out = abs(x)
        if out - out == 0.0 and x - x == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "abs", (self, (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0))
                return v
            return node(out, "abs", (self, (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0)))
        return apply("abs", self)

    def exp(self) -> Value:
        """The "exp" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if x.__class__ is not float:
            return apply("exp", self)
        out = exp(x)
        if out - out == 0.0 and x - x == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "exp", (self, out)
                return v
            return node(out, "exp", (self, out))
        return apply("exp", self)

    def log(self) -> Value:
        """The "log" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if x.__class__ is not float:
            return apply("log", self)
        if x > 0.0:
            out = float_log(x)
            if out - out == 0.0 and x - x == 0.0:
                if current_mode() is DEFAULT:
                    v = new(Value)
                    v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "log", (self, (1.0 / x))
                    return v
                return node(out, "log", (self, (1.0 / x)))
        return apply("log", self)

    def sqrt(self) -> Value:
        """The "sqrt" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if x.__class__ is not float:
            return apply("sqrt", self)
        if x >= 0.0:
            out = sqrt(x)
            if out - out == 0.0 and x - x == 0.0:
                if current_mode() is DEFAULT:
                    v = new(Value)
                    v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "sqrt", (self, (0.5 / out if out > 0.0 else signed_inf(out)))
                    return v
                return node(out, "sqrt", (self, (0.5 / out if out > 0.0 else signed_inf(out))))
        return apply("sqrt", self)

    def tanh(self) -> Value:
        """The "tanh" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if x.__class__ is not float:
            return apply("tanh", self)
        out = tanh(x)
        if out - out == 0.0 and x - x == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "tanh", (self, (1.0 - out * out))
                return v
            return node(out, "tanh", (self, (1.0 - out * out)))
        return apply("tanh", self)

    def sigmoid(self) -> Value:
        """The "sigmoid" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if x.__class__ is not float:
            return apply("sigmoid", self)
        out = 1.0 / (1.0 + exp(-x)) if x >= 0.0 else exp(x) / (1.0 + exp(x))
        if out - out == 0.0 and x - x == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "sigmoid", (self, (out * (1.0 - out)))
                return v
            return node(out, "sigmoid", (self, (out * (1.0 - out))))
        return apply("sigmoid", self)

    def relu(self) -> Value:
        """The "relu" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if x.__class__ is not float:
            return apply("relu", self)
        out = x if x > 0.0 else 0.0
        if out - out == 0.0 and x - x == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "relu", (self, (1.0 if x > 0.0 else 0.0))
                return v
            return node(out, "relu", (self, (1.0 if x > 0.0 else 0.0)))
        return apply("relu", self)

    def abs(self) -> Value:
        """The "abs" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if x.__class__ is not float:
            return apply("abs", self)
        out = abs(x)
        if out - out == 0.0 and x - x == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "abs", (self, (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0))
                return v
            return node(out, "abs", (self, (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0)))
        return apply("abs", self)

    def leaky_relu(self, negative_slope: Operand = 0.01) -> Value:
        """The "leaky_relu" rule of engine.RULES, inline (see the module doc)."""
        x = self.data
        if negative_slope.__class__ is Value:
            y = negative_slope.data
        elif negative_slope.__class__ is float:
            y = negative_slope
        elif negative_slope.__class__ is int and -1e300 < negative_slope < 1e300:
            y = negative_slope = float(negative_slope)
        else:
            return apply("leaky_relu", self, negative_slope)
        if x.__class__ is not float or y.__class__ is not float:
            return apply("leaky_relu", self, negative_slope)
        out = x if x > 0.0 else y * x
        if out - out == 0.0 and x - x == 0.0 and y - y == 0.0:
            if current_mode() is DEFAULT:
                v = new(Value)
                v.data, v.grad, v.label, v.op, v.edges = out, 0.0, None, "leaky_relu", (self, negative_slope, (1.0 if x > 0.0 else y), (0.0 if x > 0.0 else x))
                return v
            return node(out, "leaky_relu", (self, negative_slope, (1.0 if x > 0.0 else y), (0.0 if x > 0.0 else x)))
        return apply("leaky_relu", self, negative_slope)

    def __lt__(self, other: Operand) -> bool:
        """self < other, on data (told to an al.compile trace, if any)."""
        number = other.data if isinstance(other, Value) else real_number(other, "<")
        return compared(self, "<", other, self.data < number)

    def __le__(self, other: Operand) -> bool:
        """self <= other, on data (told to an al.compile trace, if any)."""
        number = other.data if isinstance(other, Value) else real_number(other, "<=")
        return compared(self, "<=", other, self.data <= number)

    def __gt__(self, other: Operand) -> bool:
        """self > other, on data (told to an al.compile trace, if any)."""
        number = other.data if isinstance(other, Value) else real_number(other, ">")
        return compared(self, ">", other, self.data > number)

    def __ge__(self, other: Operand) -> bool:
        """self >= other, on data (told to an al.compile trace, if any)."""
        number = other.data if isinstance(other, Value) else real_number(other, ">=")
        return compared(self, ">=", other, self.data >= number)
