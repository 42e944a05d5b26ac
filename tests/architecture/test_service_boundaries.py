"""No service imports another: what two services share lives in ``rules``, ``contracts`` or the kit."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = REPO_ROOT / "services"


def imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, the code of ``module`` (dotted)."""
    package = module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] if node.level else [])
            name = ".".join(part for part in (base, node.module or "") if part)
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


def other_services_imported(source: str, module: str) -> list[str]:
    """The imports in ``module`` (``services.<own>....``) of a service other than its own."""
    own = module.split(".")[1]
    problems = []
    for line, name in imported_modules(source, module):
        parts = name.split(".")
        if parts[0] == "services" and len(parts) > 1 and parts[1] != own:
            problems.append(f"{module}:{line} imports {name}")
    return problems


def _module_name(path: Path) -> str:
    """Dotted, with a package's ``__init__`` kept so that its relative imports resolve from the package."""
    return ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)


def test_no_module_of_a_service_imports_another_service() -> None:
    modules = [path for path in sorted(SERVICES.rglob("*.py")) if path.parent != SERVICES]
    assert len(modules) > 100, "the scan finds the services' modules"
    problems = [problem for path in modules
                for problem in other_services_imported(path.read_text(encoding="utf-8"), _module_name(path))]
    assert problems == []


def test_the_scan_sees_every_form_of_import() -> None:
    source = """
import services.routing.domain.case
from services.routing.domain import case
from services import notify
from ...routing import bootstrap
from . import model
from services.intake.domain import model as own
def later():
    from services.audit.domain.record import DisclosureDraft
"""
    assert other_services_imported(source, "services.intake.service_layer.submit") == [
        "services.intake.service_layer.submit:2 imports services.routing.domain.case",
        "services.intake.service_layer.submit:3 imports services.routing.domain.case",
        "services.intake.service_layer.submit:4 imports services.notify",
        "services.intake.service_layer.submit:5 imports services.routing.bootstrap",
        "services.intake.service_layer.submit:9 imports services.audit.domain.record.DisclosureDraft",
    ]
