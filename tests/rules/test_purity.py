"""``rules`` does no I/O: it imports only pure standard-library modules, pure libraries and the contracts,
and calls no built-in that reads or writes. The project modules it imports are held to the same rule."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PURE_STANDARD_LIBRARY = frozenset({
    "__future__", "abc", "calendar", "collections", "dataclasses", "datetime", "decimal", "enum", "functools",
    "hashlib", "hmac", "itertools", "json", "math", "operator", "re", "string", "tomllib", "typing", "uuid", "zoneinfo",
})
PURE_LIBRARIES = frozenset({"dateutil", "holidays", "pydantic", "pydantic_core", "uuid_utils"})
PROJECT_PACKAGES = frozenset({"rules", "contracts"})
ALLOWED = PURE_STANDARD_LIBRARY | PURE_LIBRARIES | PROJECT_PACKAGES
FORBIDDEN_CALLS = frozenset({"open", "input", "print", "exec", "eval", "compile", "__import__", "breakpoint"})


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def impurities(source: str) -> list[str]:
    """What in ``source`` could do I/O: an import outside the allowlist, or a call of an I/O built-in."""
    tree = ast.parse(source)
    problems = [f"{line}: imports {name}" for line, name in _imports(tree) if name.split(".")[0] not in ALLOWED]
    problems += [f"{node.lineno}: calls {node.func.id}()" for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS]
    return problems


def _project_module_path(name: str) -> Path | None:
    base = REPO_ROOT.joinpath(*name.split("."))
    return next((path for path in (base.with_suffix(".py"), base / "__init__.py") if path.is_file()), None)


def _rules_and_what_it_imports_of_the_project() -> dict[str, Path]:
    """Every module of ``rules``, and every project module those import, transitively."""
    found = {f"rules.{path.stem}": path for path in sorted((REPO_ROOT / "rules").glob("*.py"))}
    pending = list(found.values())
    while pending:
        for _, name in _imports(ast.parse(pending.pop().read_text(encoding="utf-8"))):
            path = _project_module_path(name) if name.split(".")[0] in PROJECT_PACKAGES else None
            if path is not None and name not in found:
                found[name] = path
                pending.append(path)
    return found


def test_rules_and_the_project_modules_it_imports_do_no_io() -> None:
    modules = _rules_and_what_it_imports_of_the_project()
    assert {"rules.decision_table", "rules.codes", "rules.calendar", "contracts.concern"} <= set(modules)
    sources = {name: path.read_text(encoding="utf-8") for name, path in modules.items()}
    problems = {name: found for name, source in sources.items() if (found := impurities(source))}
    assert problems == {}


def test_the_scan_refuses_io() -> None:
    source = """
import socket
from pathlib import Path
import sqlalchemy.orm
from datetime import date
from services.routing.domain import case
def read() -> str:
    return open("x").read()
"""
    assert impurities(source) == ["2: imports socket", "3: imports pathlib", "4: imports sqlalchemy.orm",
                                  "6: imports services.routing.domain", "8: calls open()"]


def test_no_service_module_is_allowed() -> None:
    assert not {"services", "infohus", "os", "io", "pathlib", "asyncio", "socket", "httpx", "faststream",
                "aiokafka", "sqlalchemy", "logging", "subprocess"} & ALLOWED
