"""The code of one node, from the op's rule in `engine.OPS`: its value, its local
derivatives and its domain check, as Python expressions, for floats or for NumPy arrays.

The rule text is the engine's (`OPS[op].rule.value`, `.local_grads`, `.domain`): here it is
parsed with `ast`, checked against an allow-list of constructs, and rewritten, never
copied by hand:

- the rule's input names (x, y, negative_slope) and `out` become the code of the node's inputs
  and result (a variable name or a constant);
- parts made of constants only are folded (`0.0 if zero(2.0) else …` loses its test);
- for NumPy, the helpers become NumPy functions (exp → np.exp, zero(v) → v == 0.0,
  signed_inf(v) → np.copysign(np.inf, v)), `a if c else b` becomes np.where(c, a, b),
  and `or`/`and` become np.logical_or/np.logical_and.

The n-ary ops `sum` and `dot` have no rule text (their functions are written by hand in
engine.py); `NARY` below writes their code for both flavours: dot's with the engine's own
`dot_value` and `dot_local_grads`, run on code instead of numbers. A test checks the code
against the engine's functions.

Every name the code calls (the rule's helpers, `float`, `abs`, `sum`, NumPy) is written
with a leading `_` (`_exp`, `_np.where`) and bound in `HELPERS` (NumPy by npcode.py): the
generated code's own names all start with `_`, which no node's name does
(codenames.identifier), so that a parameter labelled `exp` cannot hide the helper.

Only our own rule table and names we generate reach this module, and the folding
evaluates only expressions made of that table's constants and helpers.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.engine import OPS, dot_inputs, dot_local_grads, dot_value
from ..core.rules import FLOAT_NAMES, RULE_NODES, Rule

__all__ = [
    "HELPERS",
    "NARY",
    "condition_code",
    "domain_code",
    "local_grad_code",
    "refusal_code",
    "sum_of",
    "value_code",
]

#: The constructs a rule may use; a new rule with anything else fails loudly, here.
_ALLOWED = RULE_NODES
_NUMPY_NAMES = {"exp": "exp", "log": "log", "sqrt": "sqrt", "tanh": "tanh", "power": "power",
                "abs": "abs", "inf": "inf"}  # fmt: skip
#: The functions the generated code calls, under the names it calls them by: the rules'
#: helpers and the builtins it uses, each with a leading `_` (see the module doc).
HELPERS: dict[str, Any] = {
    f"_{name}": f for name, f in {**FLOAT_NAMES, "float": float, "abs": abs, "sum": sum}.items()
}
# Python 3.12's sum() adds floats with compensation; before, it adds left to right, as `+`.
_SUM_IS_PLAIN = sum((1e100, 1.0, -1e100), 0.0) == 0.0


@functools.cache
def _parsed(source: str) -> ast.expr:
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            kind = type(node).__name__
            raise ValueError(f"rule {source!r} uses {kind}, which compile cannot map")
    return tree.body


def _rule(op: str) -> Rule:
    rule = OPS[op].rule
    if rule is None:  # define_function's ops: Python callables, no rule text to translate
        raise TypeError(f"al.compile: the op {op!r} has a hand-written Python backward "
                        "(define_function), which runs eagerly only; call f without "
                        "al.compile, or define the op with define_op")  # fmt: skip
    return rule


Code = str | float  # an input: the code of a variable (str), or a constant


def value_code(op: str, inputs: Sequence[Code], numpy: bool = False) -> str:
    """The code of op's value, from its inputs (code of variables, or constants)."""
    if op in NARY:
        return NARY[op].value([_code(x) for x in inputs])
    return _filled(_template(op, "value", numpy, _pattern(inputs), None), inputs)


def local_grad_code(
    op: str, k: int, inputs: Sequence[Code], out: str, numpy: bool = False
) -> str:
    """The code of ∂out/∂(input k)."""
    if op in NARY:
        return _code(NARY[op].local_grad(inputs, k))
    return _filled(_template(op, "local_grad", numpy, _pattern(inputs), k), inputs, out)


def domain_code(op: str, inputs: Sequence[Code], numpy: bool = False) -> str | None:
    """The code of "the inputs are in op's domain" (None: no domain, or always true)."""
    if op in NARY or not _rule(op).domain:
        return None
    code = _template(op, "domain", numpy, _pattern(inputs), None)
    return None if code == "True" else _filled(code, inputs)


def condition_code(op: str, k: int, inputs: Sequence[Code]) -> str:
    """The code of the k-th condition of op's domain alone (its Domain's error when false)."""
    return _filled(_template(op, "condition", False, _pattern(inputs), k), inputs)


def refusal_code(
    op: str, inputs: Sequence[Code], error: type[BaseException], numpy: bool = False
) -> str:
    """The code of "the engine refuses these inputs of op with `error`", as `nary.apply`
    checks them: the first of op's domain conditions that fails raises its own error;
    if all hold, a value that is not finite raises OverflowError."""
    conditions = [] if op in NARY else [
        (_filled(_template(op, "condition", numpy, _pattern(inputs), k), inputs), d.error)
        for k, d in enumerate(_rule(op).domain)
    ]  # fmt: skip
    both, negated = (_both_np, _not_np) if numpy else (_both, _not)
    cases = []
    holds = [c for c, _ in conditions]
    for j, (condition, raised) in enumerate(conditions):
        if raised is error:  # the conditions before hold, and this one fails
            cases.append(functools.reduce(both, [*holds[:j], negated(condition)]))
    if error is OverflowError:
        value = value_code(op, inputs, numpy)
        finite = f"_np.isfinite({value})" if numpy else f"_finite(({value},))"
        cases.append(functools.reduce(both, [*holds, negated(finite)]))
    if not cases:
        return "False"
    if numpy:
        return functools.reduce(lambda a, b: f"_np.logical_or({a}, {b})", cases)
    return " or ".join(f"({c})" for c in cases)


def _both(a: str, b: str) -> str:  # in order: out of the domain, the value may raise
    return f"({a}) and ({b})"


def _not(a: str) -> str:
    return f"not ({a})"


def _both_np(a: str, b: str) -> str:
    return f"_np.logical_and({a}, {b})"


def _not_np(a: str) -> str:
    return f"_np.logical_not({a})"


def assignment_lines(name: str, op: str, inputs: Sequence[Code], numpy: bool = False) -> list[str]:
    """The forward line `name = <op's value>`, after a check of op's domain if it has one
    (outside it, the replay raises `Fallback` and the step runs eagerly)."""
    domain = domain_code(op, inputs, numpy)
    check = [] if domain is None else [
        f"    if not {'_np.all' if numpy else ''}({domain}):\n        raise _Fallback"
    ]
    return [*check, f"    {name} = {value_code(op, inputs, numpy)}"]


def _code(x: Code) -> str:
    return x if isinstance(x, str) else repr(x)


def _pattern(inputs: Sequence[Code]) -> tuple[float | None, ...]:
    return tuple(None if isinstance(x, str) else x for x in inputs)


_PLACEHOLDER = re.compile(r"\b_in(\d+)_\b|\b_out_\b")


def _filled(template: str, inputs: Sequence[Code], out: str = "") -> str:
    """template with its placeholders replaced in one pass: a name put in is never searched
    again (a node named `x_in1_` stays itself)."""

    def code(match: re.Match[str]) -> str:
        return out if match[1] is None else str(inputs[int(match[1])])

    return _PLACEHOLDER.sub(code, template)


@functools.cache
def _template(
    op: str, part: str, numpy: bool, pattern: tuple[float | None, ...], k: int | None
) -> str:
    """The code of a part of op's rule, with `_in0_`, `_in1_`, `_out_` standing for the
    variables (constants are in place, so that they fold): made once per pattern."""
    rule = _rule(op)
    inputs = [f"_in{i}_" if c is None else repr(c) for i, c in enumerate(pattern)]
    names = {**dict(zip(rule.names, inputs)), "out": "_out_"}
    if part == "value":
        return _rewrite(rule.value, names, numpy)
    if part == "local_grad":
        assert k is not None
        return _rewrite(rule.local_grads[k], names, numpy)
    # `b.__class__ is float` in the ** rule asks whether the second input is a constant
    kinds = {"a": pattern[0] is not None, "b": len(pattern) > 1 and pattern[1] is not None}
    if part == "condition":  # the k-th condition of the domain, alone
        assert k is not None
        return _rewrite(rule.domain[k].condition, names, numpy, kinds)
    parts = [_rewrite(d.condition, names, numpy, kinds) for d in rule.domain]
    parts = [p for p in parts if p != "True"]
    if not parts:
        return "True"
    if numpy:
        return functools.reduce(lambda a, b: f"_np.logical_and({a}, {b})", parts)
    return " and ".join(f"({p})" for p in parts)


def _rewrite(
    source: str, names: dict[str, str], numpy: bool, kinds: dict[str, bool] | None = None
) -> str:
    tree = _Substitute(names, kinds or {}).visit(_copy(_parsed(source)))
    tree = _Fold().visit(tree)
    if numpy:
        tree = _ToNumpy().visit(tree)
    tree = _Own().visit(tree)
    return ast.unparse(ast.fix_missing_locations(tree))


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


class _Substitute(ast.NodeTransformer):
    """Rule names -> the code of the node's inputs; `a.__class__ is float` -> True/False."""

    def __init__(self, names: dict[str, str], kinds: dict[str, bool]) -> None:
        self.names = {k: ast.parse(v, mode="eval").body for k, v in names.items()}
        self.kinds = kinds

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return _copy(self.names[node.id]) if node.id in self.names else node

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        left = node.left
        if (isinstance(left, ast.Attribute) and left.attr == "__class__"
                and isinstance(left.value, ast.Name) and left.value.id in self.kinds):
            return ast.Constant(self.kinds[left.value.id])
        return self.generic_visit(node)  # type: ignore[return-value]  # fmt: skip


class _Fold(ast.NodeTransformer):
    """Evaluates the parts made of constants and helpers only (our own table's)."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        node = super().generic_visit(node)
        if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Constant):
            return node.body if node.test.value else node.orelse
        if isinstance(node, ast.BoolOp):
            return self.bool_op(node)
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Compare)) and _constant(node):
            try:
                code = compile(ast.fix_missing_locations(ast.Expression(node)), "<rule>", "eval")
                value = eval(code, dict(FLOAT_NAMES))  # constants of our own table only
            except (ArithmeticError, ValueError, TypeError):
                return node
            if isinstance(value, (bool, float)) and (value - value == 0.0):
                return ast.Constant(value)
        return node

    @staticmethod
    def bool_op(node: ast.BoolOp) -> ast.expr:
        decisive = isinstance(node.op, ast.Or)  # True decides an `or`, False an `and`
        values = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                if bool(v.value) == decisive:
                    return ast.Constant(decisive)
                continue
            values.append(v)
        if not values:
            return ast.Constant(not decisive)
        return values[0] if len(values) == 1 else ast.BoolOp(node.op, values)


def _constant(node: ast.AST) -> bool:
    """Is node made of constants and the helpers only (no input, no result)?"""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id not in FLOAT_NAMES and sub.id != "float":
            return False
        if isinstance(sub, ast.Attribute) and sub.attr != "is_integer":
            return False
        if isinstance(sub, ast.Subscript):
            return False
    return True


class _Own(ast.NodeTransformer):
    """The helpers' names as the generated code binds them: exp -> _exp (see HELPERS)."""

    def visit_Name(self, node: ast.Name) -> ast.expr:
        own = f"_{node.id}"
        return ast.Name(own, node.ctx) if own in HELPERS else node


def _np(attribute: str) -> ast.expr:
    return ast.Attribute(ast.Name("_np", ast.Load()), attribute, ast.Load())


def _np_call(function: str, *args: ast.expr) -> ast.expr:
    return ast.Call(_np(function), list(args), [])


class _ToNumpy(ast.NodeTransformer):
    """Helpers -> NumPy functions; `a if c else b` -> np.where; or/and -> np.logical_*."""

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return _np(_NUMPY_NAMES[node.id]) if node.id in _NUMPY_NAMES else node

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        node = self.generic_visit(node)  # type: ignore[assignment]
        return _np_call("where", node.test, node.body, node.orelse)

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        node = self.generic_visit(node)  # type: ignore[assignment]
        function = "logical_or" if isinstance(node.op, ast.Or) else "logical_and"
        return functools.reduce(lambda a, b: _np_call(function, a, b), node.values)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        function = node.func
        if isinstance(function, ast.Name) and function.id == "zero":
            return ast.Compare(self.visit(node.args[0]), [ast.Eq()], [ast.Constant(0.0)])
        if isinstance(function, ast.Name) and function.id == "sigmoid":  # as rules.sigmoid
            v = self.visit(node.args[0])
            e = _np_call("exp", _np_call("negative", _np_call("abs", v)))
            one = ast.Constant(1.0)
            return _np_call("where", ast.Compare(_copy(v), [ast.GtE()], [ast.Constant(0.0)]),
                            ast.BinOp(one, ast.Div(), ast.BinOp(one, ast.Add(), e)),
                            ast.BinOp(_copy(e), ast.Div(), ast.BinOp(one, ast.Add(), _copy(e))))
        if isinstance(function, ast.Name) and function.id == "signed_inf":
            return _np_call("copysign", _np("inf"), self.visit(node.args[0]))
        if (isinstance(function, ast.Attribute) and function.attr == "is_integer"
                and isinstance(function.value, ast.Call)):  # float(v).is_integer()
            v = self.visit(function.value.args[0])
            return ast.Compare(_np_call("floor", v), [ast.Eq()], [_copy(v)])
        return self.generic_visit(node)  # type: ignore[return-value]  # fmt: skip


# --- the n-ary ops ----------------------------------------------------------------------


def _plus(terms: Iterable[str]) -> str:
    """Σ terms, added as the engine's sum adds them (`sum(terms, 0.0)`): from 0.0, which
    is no idle term: it makes a sum of −0.0s 0.0, as eager mode has it."""
    terms = list(terms)
    if not terms:
        return "0.0"
    if _SUM_IS_PLAIN and len(terms) <= 100:  # the same additions, in the same order
        return " + ".join(["0.0", *terms])
    return f"_sum(({', '.join(terms)},), 0.0)"  # a flat tuple: no deep nesting to compile


def sum_of(terms: str) -> str:
    """The code of Σ terms for a list held in a variable, as the engine's sum adds."""
    return f"_sum({terms}, 0.0)"


def _dot_value(inputs: list[str]) -> str:
    def total(terms: Iterable[str], start: float) -> str:
        return _plus(terms)  # from 0.0, as sum(terms, 0.0)

    def times(w: str, x: str) -> str:
        return f"{w} * {x}"

    def plus(z: str, b: str) -> str:
        return f"{z} + {b}"

    return str(dot_value(*dot_inputs(inputs), total=total, times=times, plus=plus))


def _dot_local_grad(inputs: Sequence[Code], k: int) -> Code:
    return dot_local_grads(inputs)[k]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Nary:
    """The code of an n-ary op: its value, and ∂out/∂(input k), from its inputs' code."""

    value: Callable[[list[str]], str]
    local_grad: Callable[[Sequence[Code], int], Code]


NARY: dict[str, Nary] = {
    "sum": Nary(_plus, lambda inputs, k: "1.0"),
    "dot": Nary(_dot_value, _dot_local_grad),
}
