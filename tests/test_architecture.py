"""The package's architecture, as its folders promise it: imports flow one way, from app/
down to core/, with no circles, and no function too long to read in one screen."""

from __future__ import annotations

import ast
from pathlib import Path

import autograd_lite

PACKAGE = Path(autograd_lite.__file__).resolve().parent

#: What each part of the package may import of ours (a top-level module is its own part).
ALLOWED = {
    "core": {"core", "atomic"},  # atomic: codegen writes the generated module through it
    "atomic": set(),
    "compiler": {"core", "compiler"},
    "nn": {"core", "nn", "atomic"},
    "viz": {"core", "nn", "compiler", "viz", "atomic"},
    "training": {"core", "nn", "compiler", "viz"},  # viz: fit(live=..., record=...)
    "micrograd": {"core", "nn", "viz"},
    "learn": {"core", "nn", "viz", "learn"},
    "app": {"core", "nn", "compiler", "viz", "app", "atomic", "training"},
    "__init__": {"core", "nn", "compiler", "training", "learn"},
    "__main__": {"app"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def runtime_imports(path: Path) -> set[str]:
    """The modules of ours that path imports when it runs (`if TYPE_CHECKING:` left out)."""
    tree = ast.parse(path.read_text("utf-8"))
    here = module_name(path).split(".") if module_name(path) != "__init__" else []
    package = here if is_package(path) else here[:-1]
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[: len(package) - (node.level - 1)] + (node.module or "").split(".")
        base = [part for part in base if part]
        for alias in node.names:
            candidate = ".".join([*base, alias.name])
            found.add(candidate if known(candidate) else ".".join(base) or "__init__")
    return found


def known(name: str) -> bool:
    path = PACKAGE.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    return {module_name(p): runtime_imports(p) for p in PACKAGE.rglob("*.py")}


def part(module: str) -> str:
    return module.split(".")[0]


def test_each_part_imports_only_the_parts_below_it() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if part(target) != part(module) and part(target) not in ALLOWED[part(module)]
    ]
    assert not wrong


def test_the_package_has_no_import_circles() -> None:
    imports = graph()
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(imports.get(module, ())):
            if target == module or target not in imports:
                continue
            assert state.get(target) != "open", " → ".join([*path, module, target])
            if target not in state:
                visit(target, [*path, module])
        state[module] = "done"

    for module in sorted(imports):
        if module not in state:
            visit(module, [])


def test_no_function_in_the_package_is_over_60_lines() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                assert length <= 60, f"{path.relative_to(PACKAGE)}: {node.name} is {length} lines"


def test_the_engine_is_read_in_one_sitting() -> None:
    lines = (PACKAGE / "core" / "engine.py").read_text("utf-8").count("\n")
    assert lines <= 300, f"core/engine.py is {lines} lines; a learner reads it in one sitting"


def test_the_old_flat_paths_of_the_public_modules_still_import() -> None:
    from autograd_lite.losses import half_squared_error
    from autograd_lite.optim import SGD

    from autograd_lite import data, losses, manual, nn, optim, viz
    from autograd_lite.nn import MLP

    assert half_squared_error is losses.half_squared_error
    assert losses is autograd_lite.losses
    assert MLP is nn.modules.MLP and SGD is optim.SGD
    assert data is nn.data and manual is nn.manual and viz.draw_graph
    assert callable(autograd_lite.compile)  # not shadowed by the compiler/ folder
