"""Draw the computation graph of an expression a user typed: `autograd-lite draw`.

    autograd-lite draw "relu(x*w + b)" x=0.5 w=-1 b=2 -o g.svg

The text is parsed with `ast` and checked against an allow-list before anything is
computed: numbers, the variables given as name=value, `+ - * / **`, unary `-` and `+`,
and calls of the engine's functions by bare name (relu, tanh, exp, log, sqrt, sigmoid,
abs, leaky_relu). Everything else is refused with a one-line ValueError. The checked
tree is then evaluated by walking it here, node by node, with the engine's ops: the
text is never given to eval, exec or compile.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import operator
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .. import atomic, viz
from ..core.engine import NEGATIVE_SLOPE, Operand, Value, topological_order
from ..core.nary import apply, total
from ..viz.budget import check_frames_budget, check_layout_budget
from ..viz.frames import frame_paths

__all__ = [
    "FUNCTIONS",
    "MAX_LENGTH",
    "RENDER_TIMEOUT",
    "draw_expression",
    "evaluate",
    "parse_assignments",
]

#: The functions an expression may call, each with the engine op it runs.
FUNCTIONS: dict[str, str] = {
    "relu": "relu",
    "leaky_relu": "leaky_relu",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "abs": "abs",
}
#: Longer expressions are refused: their graphs would be too big to read anyway.
MAX_LENGTH = 2000
#: Seconds dot may take per image: a backstop, since the layout budget refuses slow graphs.
RENDER_TIMEOUT = 8.0

_BINARY: dict[type[ast.operator], tuple[str, Callable[[Operand, Operand], Operand]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.Pow: ("**", operator.pow),
}
_ALLOWED_SUMMARY = (
    "allowed: numbers, variables given as name=value, + - * / **, unary -, and calls of "
    + ", ".join(FUNCTIONS)
)
#: What an unknown function's error lists instead: only the functions, once.
_FUNCTIONS_SUMMARY = "the functions: " + ", ".join(FUNCTIONS)

# What to call each refused construct, so the error says what was found.
_REFUSED_NAMES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Slice: "slices",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if-else expressions",
    ast.NamedExpr: "assignments (:=)",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.Starred: "* unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.keyword: "keyword arguments",
}


def draw_expression(
    expression: str,
    assignments: Sequence[str],
    output: str | Path,
    *,
    frames: str | Path | None = None,
) -> list[Path]:
    """The paths written: the graph of `expression` after backward(), as SVG, PNG or PDF,
    or as the explorer's page (.html: viz.explore, a slider for each variable), and with
    `frames` (a directory) the backward pass frame by frame in the same format.

    `assignments` are the variables as "name=value" strings; the format comes from the
    suffix of `output`. Bad input of any kind (a refused construct, an unknown name, a
    bad value, a domain error such as log(-1), a bad suffix, an output that is a
    directory, a file where a directory must go) raises a one-line ValueError, and so
    does a graph over the layout budget (`layout_budget`). All that is checked, and the
    directories are made (OSError if that fails), before dot runs, so every input gets an
    answer within seconds and nothing is drawn for a path that cannot take it.
    viz.RenderError if dot fails anyway or needs more than RENDER_TIMEOUT seconds, and
    its subclass viz.GraphvizNotFound if dot is not installed.
    """
    output = Path(output)
    page = output.suffix.lower() in (".html", ".htm")  # the explorer: a page you can move
    try:
        fmt = "svg" if page else viz.format_for(output)  # a bad suffix fails before any work
    except ValueError as error:
        raise ValueError(f"{error}, or .html for the explorer") from None
    directories = _output_directories(output, None if frames is None else Path(frames))
    variables = parse_assignments(assignments)
    root = evaluate(expression, variables)
    _check_all_used(assignments, variables, root)
    size = check_layout_budget(root)
    atomic.check_target(output)  # a device, a FIFO, …: refused before anything is drawn
    if frames is not None:
        check_frames_budget(size, "--frames")
        frame_paths(frames, size.values, fmt)  # each checked the same way
    for directory in directories:
        directory.mkdir(parents=True, exist_ok=True)
    root.backward()
    # the layout budget is far below draw_graph's max_nodes: no max_nodes is passed
    if page:
        written = [viz.explore(root, timeout=RENDER_TIMEOUT).save(output)]
    else:
        written = [viz.save_graph(root, output, timeout=RENDER_TIMEOUT)]
    if frames is not None:
        written += viz.save_frames(viz.backward_frames(root), frames, fmt, timeout=RENDER_TIMEOUT)
    return written


def _output_directories(output: Path, frames: Path | None) -> list[Path]:
    """The directories draw_expression writes into (output's, and frames), once checked:
    a one-line ValueError for an output that is a directory, the same path twice, or a
    file where one of the directories (or a directory above it) must go."""
    if output.is_dir():
        raise ValueError(f"-o {str(output)!r} is a directory: give the image's file name")
    if frames is not None and frames.resolve() == output.resolve():
        raise ValueError(f"--frames and -o name the same path {str(output)!r}")
    wanted = [("-o", output, output.parent)]
    if frames is not None:
        wanted.append(("--frames", frames, frames))
    for option, path, directory in wanted:
        for above in (directory, *directory.parents):
            if above.exists() and not above.is_dir():
                raise ValueError(
                    f"{option} {str(path)!r}: {str(above)!r} exists and is not a directory"
                )
    return [directory for _, _, directory in wanted]


def _check_all_used(assignments: Sequence[str], variables: dict[str, Value], root: Value) -> None:
    """ValueError for a variable given as name=value that the expression does not use
    (a typo, or a name dropped from the expression): say so, instead of drawing without it."""
    used = set(topological_order(root))
    unused = [text.strip() for text, v in zip(assignments, variables.values()) if v not in used]
    if unused:
        names = [text.partition("=")[0].strip() for text in unused]
        given = " and ".join(_show(text) for text in unused[:3]) + (" …" if len(unused) > 3 else "")
        raise ValueError(
            f"{given} {'is' if len(unused) == 1 else 'are'} given, but the expression has no "
            f"{' or '.join(names[:3])}: remove {'it' if len(unused) == 1 else 'them'}, or use "
            f"{'it' if len(unused) == 1 else 'them'} in the expression"
        )


def parse_assignments(assignments: Sequence[str]) -> dict[str, Value]:
    """{name: Value leaf labelled name} from ["x=0.5", "w=-1", ...]; one-line ValueError if bad."""
    variables: dict[str, Value] = {}
    for text in assignments:
        name, sep, value_text = text.partition("=")
        if not sep and text.startswith("-"):
            raise ValueError(
                f"expected name=value, got {_show(text)}: options such as -o go before the "
                "expression (and before --)"
            )
        if not sep:
            raise ValueError(f"expected name=value, got {_show(text)}")
        # Python reads identifiers in NFKC form (a fullwidth ｘ is x), so names are compared so
        name = unicodedata.normalize("NFKC", name.strip())
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"{_show(name)} is not a valid variable name (in {_show(text)})")
        if name.startswith("__"):
            raise ValueError(f"names starting with __ are not allowed: {_show(name)}")
        if name in FUNCTIONS:
            raise ValueError(f"{name} is a function, not a variable name (in {_show(text)})")
        if name in variables:
            raise ValueError(f"{name} is given twice (in {_show(text)})")
        try:
            value = float(value_text)
        except ValueError:
            raise ValueError(f"{name}: {_show(value_text)} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {_show(value_text)}")
        variables[name] = Value(value, label=name)
    return variables


def evaluate(expression: str, variables: dict[str, Value]) -> Value:
    """The Value of `expression`, built with the engine's ops from `variables`.

    Checks the whole expression against the allow-list first, so nothing runs if any
    part of it is refused. One-line ValueError for anything refused, unknown, or outside
    an op's domain (log(-1), 1/0, exp(1000)).
    """
    if not isinstance(expression, str):
        raise TypeError(f"the expression must be a str, got {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise ValueError(
            f"the expression is {len(expression):,} characters long; the limit is {MAX_LENGTH:,}"
        )
    if not expression.strip():
        raise ValueError("the expression is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning: the error below is the one line
            tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ValueError(f"not a valid expression: {error.msg} in {_show(expression)}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        # e.g. a null byte, a number with too many digits, or absurdly deep nesting
        reason = _one_line(str(error)) or "it is nested too deeply"
        raise ValueError(f"cannot parse the expression: {reason}") from None
    _check(tree, expression, variables)
    try:
        result = _evaluate(tree.body, variables)
    except (ZeroDivisionError, OverflowError) as error:
        # the engine reports these domain errors with their own types; the cli wants ValueError
        raise ValueError(_one_line(str(error))) from None
    if not isinstance(result, Value):
        raise ValueError(
            f"the expression {_show(expression)} is just the number {result!r}: there is no "
            "graph to draw; use a variable, e.g. x*2 x=1.5"
        )
    return result


def _check(tree: ast.Expression, expression: str, variables: dict[str, Value]) -> None:
    """ValueError for the first refused part of the tree, in reading order."""
    function_names: set[ast.AST] = set()  # the `relu` of relu(x): allowed only there
    problems: list[tuple[float, float, str, str]] = []

    def refuse(node: ast.expr | ast.keyword, message: str, summary: str = _ALLOWED_SUMMARY) -> None:
        problems.append((node.lineno, node.col_offset, message, summary))

    for node in ast.walk(tree):  # iterative, so any depth is fine
        if isinstance(node, (ast.Expression, ast.expr_context, ast.operator, ast.unaryop)):
            continue  # the BinOp or UnaryOp that holds an operator checks it
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                refuse(
                    node,
                    f"the operator {_operator_text(node.op)} is not allowed: "
                    f"{_source(expression, node)}",
                )
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                refuse(
                    node, f"{_operator_text(node.op)} is not allowed: {_source(expression, node)}"
                )
        elif isinstance(node, ast.Constant):
            # type(), not isinstance: True is an int to Python, but not a number here
            if type(node.value) not in (int, float):
                refuse(
                    node, f"only numbers are allowed as constants, got {_source(expression, node)}"
                )
        elif isinstance(node, ast.Name):
            if node in function_names:
                continue
            if node.id.startswith("__"):
                refuse(node, f"names starting with __ are not allowed: {node.id}")
            elif node.id in FUNCTIONS:
                refuse(node, f"{node.id} is a function: call it, as in {node.id}(x)")
            elif node.id not in variables:
                refuse(
                    node,
                    f"unknown name {node.id!r}{_did_you_mean(node.id, variables, ' (', ')')}: "
                    f"give it a value, e.g. {node.id}=1.5",
                )
        elif isinstance(node, ast.Call):
            _check_call(node, expression, variables, function_names, refuse)
        elif isinstance(node, (ast.expr, ast.keyword)):
            what = _REFUSED_NAMES.get(type(node), type(node).__name__)
            refuse(node, f"{what} not allowed: {_source(expression, node)}")
        # Parts without a position (a lambda's arguments, a comprehension's for, a
        # comparison's <) sit inside a construct that is refused above with a better message.
    if problems:
        # ast.walk goes breadth first; the reader wants the leftmost problem
        _, _, message, summary = min(problems, key=lambda p: (p[0], p[1]))
        raise ValueError(f"{message} ({summary})")


def _check_call(
    node: ast.Call,
    expression: str,
    variables: dict[str, Value],
    function_names: set[ast.AST],
    refuse: Callable[..., None],
) -> None:
    """Refuses (by `refuse(node, message[, summary])`) a call that is not one of FUNCTIONS
    with its arguments; marks an allowed call's name in `function_names`."""
    func = node.func
    if isinstance(func, ast.Name) and func.id not in FUNCTIONS:
        if func.id in variables:
            refuse(node, f"{func.id} is a variable, not a function: multiply with *, as in x*(2)")
        else:
            did_you_mean = _did_you_mean(func.id, FUNCTIONS)
            refuse(node, f"unknown function {func.id!r:.60}{did_you_mean}", _FUNCTIONS_SUMMARY)
        return
    if not isinstance(func, ast.Name):
        refuse(node, f"only functions can be called, by name: {_source(expression, node)}")
        return
    function_names.add(func)
    if node.keywords:
        refuse(node, f"keyword arguments are not allowed: {_source(expression, node)}")
    arity = "1 or 2 arguments" if func.id == "leaky_relu" else "1 argument"
    if not 1 <= len(node.args) <= (2 if func.id == "leaky_relu" else 1):
        refuse(node, f"{func.id} takes {arity}, got {len(node.args)}: {_source(expression, node)}")
    elif len(node.args) == 2 and _literal_number(node.args[1]) is None:
        refuse(
            node,
            f"leaky_relu's negative_slope must be a number, as in leaky_relu(x, 0.1): "
            f"{_source(expression, node)}",
        )


def _did_you_mean(name: str, known: Iterable[str], before: str = ": ", after: str = "") -> str:
    """': did you mean relu?' for the known name closest to `name` (difflib, ignoring
    case: W for w), else ''."""
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    return f"{before}did you mean {by_lower[close[0]]}?{after}" if close else ""


def _literal_number(node: ast.expr) -> float | None:
    """The number a literal like 0.1, -0.1 or +2 stands for; None for anything else."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * _to_float(node.value)
    return None


def _evaluate(root: ast.expr, variables: dict[str, Value]) -> Operand:
    """Walks the checked tree in post-order with an explicit stack (no recursion, so a long
    chain such as x+x+…+x cannot overflow Python's stack) and builds the engine graph."""
    results: list[Operand] = []
    stack: list[tuple[ast.expr, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node)
        if not children_done and children:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        args = results[len(results) - len(children) :]
        del results[len(results) - len(children) :]
        results.append(_combine(node, args, variables))
    return results[0]


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return _sum_terms(node) or [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return node.args[:1]  # leaky_relu's negative_slope is read as a literal in _combine
    return []


def _sum_terms(node: ast.BinOp) -> list[ast.expr] | None:
    """The terms of a chain a + b + c + … of three or more (Python nests it to the left:
    ((a + b) + c) + …), else None.

    `_evaluate` adds them with one n-ary `sum` node (`al.total`), not a chain of `+` nodes:
    the same numbers (sum adds left to right, as the chain does, and each term's local
    derivative is 1 either way), but x+x+…+x with 200 terms is one node with 200 inputs
    instead of a chain 200 deep, which dot can lay out and a reader can read. Only `+`
    is folded: a − b + c keeps its `−` node. A product has no n-ary op in the engine,
    and x·x·…·x is not rewritten as x ** n (another op, other rounding): products stay
    chains, and the drawing budget refuses long ones.
    """
    terms = []
    spine: ast.expr = node
    while isinstance(spine, ast.BinOp) and isinstance(spine.op, ast.Add):
        terms.append(spine.right)
        spine = spine.left
    terms.append(spine)
    return terms[::-1] if len(terms) >= 3 else None


def _combine(node: ast.expr, args: list[Operand], variables: dict[str, Value]) -> Operand:
    """One node's value from its children's values (the tree was checked: only allowed nodes)."""
    if isinstance(node, ast.Constant):
        return _to_float(node.value)
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.UnaryOp):
        (x,) = args
        if isinstance(node.op, ast.UAdd):
            return x
        return -x  # -2 is the number -2 (exact, no node); -x is a neg node
    if isinstance(node, ast.BinOp) and len(args) > 2:
        return total(args)  # a + b + c + …, flattened by _sum_terms
    if isinstance(node, ast.BinOp):
        left, right = args
        name, python_op = _BINARY[type(node.op)]
        if isinstance(left, Value) or isinstance(right, Value):
            # Value's operators, not apply: ** checks the base of a Value exponent there
            return python_op(left, right)
        # number op number is an engine node too, so 2*3 shows in the picture (and the
        # engine's domain checks and messages apply: 1/0, (-8)**0.5, 10**400)
        return apply(name, left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        op = FUNCTIONS[node.func.id]
        if op == "leaky_relu":
            # the same default slope as the MLP's leaky_relu layers
            given = _literal_number(node.args[1]) if len(node.args) == 2 else None
            negative_slope = NEGATIVE_SLOPE if given is None else given
            return apply(op, args[0], negative_slope)
        return apply(op, args[0])
    raise AssertionError(f"unchecked node {ast.dump(node)}")  # _check refuses all others


def _to_float(value: object) -> float:
    try:
        result = float(value)  # type: ignore[arg-type]  # _check allowed only int and float
    except OverflowError:
        raise ValueError(f"the number {str(value)[:20]}… is too large") from None
    if not math.isfinite(result):
        raise ValueError(f"the number {value!r} is too large")
    return result


def _operator_text(op: ast.AST) -> str:
    return {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.Invert: "~",
        ast.Not: "not",
    }.get(type(op), type(op).__name__)


def _source(expression: str, node: ast.AST) -> str:
    """The text of node, quoted on one line (cut at 60 characters)."""
    text = ast.get_source_segment(expression.strip(), node) or type(node).__name__
    return _show(text)


def _show(text: str) -> str:
    """text quoted on one line, cut at 60 characters: repr escapes newlines and controls."""
    text = " ".join(text.split()) if text.strip() else text
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _one_line(text: str) -> str:
    return " ".join(text.split())
