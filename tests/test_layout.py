"""The package's layout rules: small modules and functions, no import cycles, no private
name imported from another module of the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cobra_gdel"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))
#: Limits of issue 13 ("about" 500 lines and 80 lines of code).
MAX_MODULE_LINES = 520
MAX_FUNCTION_CODE_LINES = 80


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names) of every import of the package in *path*, anywhere in
    the file (function-level imports count too)."""
    tree = ast.parse(path.read_text())
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "cobra_gdel":
                names = [a.name for a in node.names]
                if node.module is None:  # from . import x: x may be a module
                    out += [(f"{target}.{n}", []) for n in names]
                else:
                    out.append((target, names))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "cobra_gdel"]
    return out


def _code_lines(node: ast.AST, source: list[str]) -> int:
    """Lines of a function that hold code (not blank, comment or docstring lines)."""
    doc = ast.get_docstring(node, clean=False)
    body = node.body
    first = body[1].lineno if doc is not None and len(body) > 1 else body[0].lineno
    lines = source[first - 1: node.end_lineno]
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_and_function_sizes(path):
    source = path.read_text().splitlines()
    assert len(source) <= MAX_MODULE_LINES, f"{path.name}: {len(source)} lines"
    for node in ast.walk(ast.parse("\n".join(source))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = _code_lines(node, source)
            assert n <= MAX_FUNCTION_CODE_LINES, f"{path.name}:{node.name}: {n} lines of code"


def test_no_private_names_imported_across_modules():
    bad = []
    for path in MODULES:
        for target, names in _imports(path):
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            if private and target != _module_name(path):
                bad.append(f"{_module_name(path)}: from {target} import {private}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    known = {_module_name(p) for p in MODULES}
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        deps = set()
        for target, names in _imports(path):
            for candidate in [target] + [f"{target}.{n}" for n in names]:
                if candidate in known and candidate != _module_name(path):
                    deps.add(candidate)
        graph[_module_name(path)] = deps
    # A package's __init__ importing its own submodules is how packages work: skip
    # edges from a package to its children.
    for module, deps in graph.items():
        graph[module] = {d for d in deps if not d.startswith(module + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep):] + [dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
