"""The third flavour: a graph's forward and backward passes as JavaScript, for the explorer.

`program(order)` writes, for the Values of a graph in topological order (node k is
`order[k]`), the source of one JavaScript function

    evaluate(L) -> {d, g, lg} or {error, at}

L holds a number for each leaf (by node index). Node by node, in the order the forward
pass made them, the code checks the op's domain, computes its value and its local
derivatives, and checks that the value is finite; then, from the root back, it runs the
engine's `propagate`: the same sums in the same order, with its zero rule (a zero gradient
sends nothing; a non-finite one skips zero local derivatives). So the page's numbers are
the engine's: the same float operations, differing only where the browser's Math.exp, log,
tanh or pow round a last bit differently from C's.

Every expression comes from the op's rule in `engine.OPS`, through ruleexpr.py (the same
code pycode.py compiles), then translated here from Python's `ast` into JavaScript by an
allow-list: a rule with a construct this file cannot translate fails loudly, naming the op.
Outside its domain, or where a value overflows, `evaluate` returns the engine's own error
text ("log needs a positive input, got -0.5"), formatted as Python's repr formats numbers.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from ..core.engine import OPS, Value
from .ruleexpr import Code, condition_code, local_grad_code, value_code

__all__ = ["PRELUDE", "program"]

#: The helpers the generated code calls: the rules' (power, zero, signed_inf) and Python's
#: repr of a float, for the engine's messages.
PRELUDE = r"""
function pyRepr(x) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const a = Math.abs(x);
  if (a >= 1e16 || a < 1e-4) {
    const [m, e] = x.toExponential().split("e");
    const n = parseInt(e, 10);
    return m + "e" + (n < 0 ? "-" : "+") + String(Math.abs(n)).padStart(2, "0");
  }
  const s = String(x);
  return s.includes(".") ? s : s + ".0";
}
function pyPower(x, p) { return Math.pow(x, p); }  // IEEE pow, as Python's float **
function pySigmoid(x) {  // rules.sigmoid: the form that cannot overflow
  return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
}
function signedInf(x) { return (x < 0 || Object.is(x, -0)) ? -Infinity : Infinity; }
"""

_CALLS = {"_exp": "Math.exp", "_log": "Math.log", "_sqrt": "Math.sqrt", "_tanh": "Math.tanh",
          "_abs": "Math.abs", "_power": "pyPower", "_signed_inf": "signedInf",
          "_sigmoid": "pySigmoid"}  # fmt: skip
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Gt: ">",
              ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.And: "&&", ast.Or: "||"}  # fmt: skip


def js(code: str, op: str) -> str:
    """The Python expression `code` (ruleexpr's, for op) as JavaScript."""
    return _js(ast.parse(code, mode="eval").body, op)


def _js(node: ast.expr, op: str) -> str:  # one return per construct
    if isinstance(node, ast.Constant) and isinstance(node.value, (float, int)) \
            and not isinstance(node.value, bool):
        return repr(float(node.value))
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return "true" if node.value else "false"
    if isinstance(node, ast.Name):
        return "Infinity" if node.id == "_inf" else node.id
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return f"({_js(node.left, op)} {_OPERATORS[type(node.op)]} {_js(node.right, op)})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"(-{_js(node.operand, op)})"
    if isinstance(node, ast.IfExp):
        return f"({_js(node.test, op)} ? {_js(node.body, op)} : {_js(node.orelse, op)})"
    if isinstance(node, ast.BoolOp) and type(node.op) in _OPERATORS:
        return "(" + f" {_OPERATORS[type(node.op)]} ".join(_js(v, op) for v in node.values) + ")"
    if (isinstance(node, ast.Compare) and len(node.ops) == 1
            and type(node.ops[0]) in _OPERATORS):  # fmt: skip
        left, right = _js(node.left, op), _js(node.comparators[0], op)
        return f"({left} {_OPERATORS[type(node.ops[0])]} {right})"
    if isinstance(node, ast.Call):
        return _call(node, op)
    raise ValueError(f"jscode: the rule of {op!r} uses {ast.unparse(node)!r:.60}, "
                     "which has no JavaScript here")  # fmt: skip


def _call(node: ast.Call, op: str) -> str:
    args = [_js(a, op) for a in node.args]
    function = node.func
    if isinstance(function, ast.Name) and function.id in _CALLS:
        return f"{_CALLS[function.id]}({', '.join(args)})"
    if isinstance(function, ast.Name) and function.id == "_zero" and len(args) == 1:
        return f"({args[0]} === 0)"
    if (isinstance(function, ast.Attribute) and function.attr == "is_integer"
            and isinstance(function.value, ast.Call) and not node.args):  # fmt: skip
        inner = function.value  # _float(y).is_integer()
        if isinstance(inner.func, ast.Name) and inner.func.id == "_float":
            return f"Number.isInteger({_js(inner.args[0], op)})"
    raise ValueError(f"jscode: the rule of {op!r} calls {ast.unparse(node)!r:.60}, "
                     "which has no JavaScript here")  # fmt: skip


def _inputs(node: Value, index: dict[Value, int]) -> list[Code]:
    return [f"d{index[x]}" if isinstance(x, Value) else x for x in node.inputs]


def _message(template: str, names: Sequence[str], inputs: Sequence[Code]) -> str:
    """A JavaScript string expression: the Domain's message with each {name!r} filled."""
    parts, text = [], template
    for name, x in zip(names, inputs):
        code = x if isinstance(x, str) else repr(x)
        text = text.replace("{" + name + "!r}", "\0" + code + "\0")
    for k, piece in enumerate(text.split("\0")):
        parts.append(f"pyRepr({piece})" if k % 2 else _string(piece))
    return " + ".join(p for p in parts if p != '""') or '""'


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _forward_lines(k: int, node: Value, index: dict[Value, int]) -> list[str]:
    """Node k's domain check, value, finiteness check and local derivatives."""
    op, inputs = node.op, _inputs(node, index)
    rule = OPS[op].rule
    lines = []
    for j, domain in enumerate(rule.domain if rule is not None else ()):
        condition = js(condition_code(op, j, inputs), op)
        if condition != "true":
            message = _message(domain.message, rule.names, inputs)  # type: ignore[union-attr]
            lines.append(f"  if (!{condition}) return {{error: {message}, at: {k}}};")
    lines.append(f"  const d{k} = {js(value_code(op, inputs), op)};")
    numbers = ", ".join(f"pyRepr({x})" if isinstance(x, str) else _string(repr(x))
                        for x in inputs)  # fmt: skip
    overflow = _string(op + " overflows: inputs [")
    lines.append(f"  if (!Number.isFinite(d{k})) return {{error: {overflow} + [{numbers}]"
                 f".join(', ') + \"] give \" + pyRepr(d{k}), at: {k}}};")  # fmt: skip
    locals_ = [js(local_grad_code(op, i, inputs, f"d{k}"), op) for i in range(len(inputs))]
    lines.append(f"  lg[{k}] = [{', '.join(locals_)}];")
    return lines


def _backward_lines(k: int, node: Value, index: dict[Value, int]) -> list[str]:
    """propagate's step for node k: its gradient to each of its Value inputs."""
    targets = [(i, index[x]) for i, x in enumerate(node.inputs) if isinstance(x, Value)]
    if not targets:
        return []
    fast = " ".join(f"g[{t}] += lg[{k}][{i}] * gk;" for i, t in targets)
    careful = " ".join(f"if (lg[{k}][{i}] !== 0) g[{t}] = g[{t}] + lg[{k}][{i}] * gk;"
                       for i, t in targets)  # fmt: skip
    return [f"  gk = g[{k}]; if (gk !== 0) {{ if (Number.isFinite(gk)) {{ {fast} }} "
            f"else {{ {careful} }} }}"]  # fmt: skip


def program(order: Sequence[Value]) -> str:
    """The JavaScript source of `evaluate(L)` for the graph whose topological order is
    `order` (root last): see the module docstring."""
    index = {node: k for k, node in enumerate(order)}
    lines = ["function evaluate(L) {", f"  const lg = new Array({len(order)});"]
    for k, node in enumerate(order):
        if node.edges:
            lines.extend(_forward_lines(k, node, index))
        else:
            lines += [f"  const d{k} = L[{k}];", f"  lg[{k}] = [];"]
    lines.append(f"  const g = new Float64Array({len(order)}); let gk = 0.0;")
    lines.append(f"  g[{len(order) - 1}] = 1.0;")
    for k in range(len(order) - 1, -1, -1):
        lines.extend(_backward_lines(k, order[k], index))
    data = ", ".join(f"d{k}" for k in range(len(order)))
    lines += [f"  return {{d: [{data}], g: Array.from(g), lg: lg}};", "}"]
    return PRELUDE + "\n".join(lines) + "\n"
