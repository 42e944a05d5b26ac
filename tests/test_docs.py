"""References to the documentation resolve: every file of the repository that cites a page under docs/
names a page that exists, and a section (`docs/legal.md §C.2`) or heading (`docs/operations.md, "Sizing"`)
that page has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRECTORIES = frozenset({".git", ".venv", ".tools", "node_modules", "data", "__pycache__", ".mypy_cache",
                                 ".ruff_cache", ".pytest_cache", ".hypothesis", "dist", "build"})
TEXT_SUFFIXES = frozenset({".py", ".md", ".toml", ".html", ".j2", ".yaml", ".yml", ".sh", ".txt", ".cfg", ".ini",
                           ".mako", ".css", ".js"})
TEXT_NAMES = frozenset({"Makefile", "Dockerfile"})

SECTION_ID = r"[A-Z](?:\.?\d+)?(?![\w])"
# docs/legal.md §C.2, docs/legal.md §B1/§C, docs/legal.md § A3
SECTION_CITATION = re.compile(rf"docs/(?P<page>[\w.-]+\.md)(?P<sections>(?:\s*/?\s*§\s?{SECTION_ID})*)")
# docs/operations.md, "Sizing" and docs/operations.md ("Secrets")
HEADING_CITATION = re.compile(r'docs/(?P<page>[\w.-]+\.md)(?:,\s*|\s*\(\s*)"(?P<heading>[^"\n]+)"')
HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*$", re.MULTILINE)
HEADING_SECTION_ID = re.compile(rf"^(?P<id>{SECTION_ID})[.\s]")


def repository_texts() -> Iterator[tuple[Path, str]]:
    for path in _files(REPO_ROOT):
        try:
            yield path, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def _files(directory: Path) -> Iterator[Path]:
    for entry in sorted(directory.iterdir()):
        if entry.is_dir():
            if entry.name not in SKIPPED_DIRECTORIES:
                yield from _files(entry)
        elif entry.suffix in TEXT_SUFFIXES or entry.name in TEXT_NAMES:
            yield entry


@cache
def headings(page: str) -> tuple[str, ...]:
    """The headings of docs/<page>, or none when it does not exist."""
    path = REPO_ROOT / "docs" / page
    if not path.is_file():
        return ()
    return tuple(match["text"] for match in HEADING.finditer(path.read_text(encoding="utf-8")))


def section_ids(page: str) -> frozenset[str]:
    """The identifiers that open headings, as in '### C.1 Input derivation' or '## A. The rules'."""
    return frozenset(match["id"] for text in headings(page) if (match := HEADING_SECTION_ID.match(text)))


def where(path: Path, text: str, offset: int) -> str:
    return f"{path.relative_to(REPO_ROOT)}:{text.count(chr(10), 0, offset) + 1}"


def broken_citations(path: Path, text: str) -> Iterator[str]:
    for match in SECTION_CITATION.finditer(text):
        page = match["page"]
        if not (REPO_ROOT / "docs" / page).is_file():
            yield f"{where(path, text, match.start())}: docs/{page} does not exist"
            continue
        for section in re.findall(rf"§\s?({SECTION_ID})", match["sections"]):
            if section not in section_ids(page):
                yield f"{where(path, text, match.start())}: docs/{page} has no section {section}"
    for match in HEADING_CITATION.finditer(text):
        if match["heading"] not in headings(match["page"]):
            yield f"{where(path, text, match.start())}: docs/{match['page']} has no heading {match['heading']!r}"


def test_every_cited_page_section_and_heading_exists() -> None:
    problems = [problem for path, text in repository_texts() for problem in broken_citations(path, text)]
    assert problems == []


def test_nothing_cites_the_research_notes_which_are_not_in_the_repository() -> None:
    """The legal rules are cited from docs/legal.md; the notes it was written from live outside the repository."""
    notes = "legal-" + "research.md"  # spelt apart, so that this file does not cite them
    assert [str(path.relative_to(REPO_ROOT)) for path, text in repository_texts() if notes in text] == []


def test_the_check_finds_a_missing_page_a_missing_section_and_a_missing_heading() -> None:
    docs = "docs/"  # spelt apart, so that this file cites nothing itself
    text = (f'{docs}legal.md §C.2; {docs}legal.md §B1/§Q7; {docs}nowhere.md §A1; '
            f'{docs}operations.md, "Secrets"; {docs}operations.md ("No such heading")')
    problems = [problem.split(": ", 1)[1] for problem in broken_citations(REPO_ROOT / "example.md", text)]
    assert problems == [f"{docs}legal.md has no section Q7", f"{docs}nowhere.md does not exist",
                        f"{docs}operations.md has no heading 'No such heading'"]
