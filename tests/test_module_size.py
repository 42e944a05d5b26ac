"""No production module is over 400 lines (issue #26): a longer one is split into cohesive modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_PACKAGES = ("infohus", "contracts", "services", "rules")
SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__"})
MAX_LINES = 400



def production_modules() -> Iterator[Path]:
    for package in PRODUCTION_PACKAGES:
        root = REPO_ROOT / package
        if root.is_dir():
            yield from (path for path in sorted(root.rglob("*.py"))
                        if not SKIPPED_DIRECTORIES.intersection(path.relative_to(root).parts))


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def oversized() -> dict[str, int]:
    sizes = {path.relative_to(REPO_ROOT).as_posix(): line_count(path) for path in production_modules()}
    return {name: lines for name, lines in sizes.items() if lines > MAX_LINES}


def test_no_production_module_is_over_400_lines() -> None:
    over = oversized()
    listing = "\n".join(f"  {name}: {lines} lines" for name, lines in sorted(over.items()))
    assert not over, f"production modules over {MAX_LINES} lines (split them):\n{listing}"


def test_the_count_sees_the_production_packages() -> None:
    counted = {path.relative_to(REPO_ROOT).parts[0] for path in production_modules()}
    assert {"infohus", "contracts", "services", "rules"} <= counted
