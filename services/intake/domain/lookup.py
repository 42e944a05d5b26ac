"""Reading concerns back: who sees what (need-to-know), the persons of a concern, and what a search means.

Pure: no I/O. The rules (docs/legal.md §B, the kit's permission matrix):

- a tovholder (``Permission.CASE_READ``) sees a concern whole;
- a StraXen caseworker (``Permission.UNDERRETNING_READ``) sees one person of it, the one their underretning is
  about, with what was said about the concern (never the other subjects or children);
- intake staff (``Permission.CONCERN_CREATE_PHONE``) see only the concerns they entered themself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from contracts.concern import ConcernIn, Person
from infohus.kit.auth import Permission, Principal, ReadPurpose

SUBJECTS = "subjects"
CHILDREN_AT_RISK = "children_at_risk"
PERSON_PATH_PATTERN = r"^(subjects|children_at_risk)\[\d{1,2}\]$"
REFERENCE_PATTERN = re.compile(r"^IH-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$", re.IGNORECASE)
CPR_PATTERN = re.compile(r"^(\d{6})-?(\d{4})$")
MIN_QUERY_LENGTH = 2

# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "đ": "d", "ł": "l", "ß": "ss", "þ": "th", "ð": "d"})


class Scope(StrEnum):
    """How much of a concern a reader may see."""

    WHOLE = "whole"
    """Every person and the reporter: tovholdere, and intake staff for their own entries."""
    ONE_PERSON = "one_person"
    """The one person asked for, and what was said about the concern: StraXen."""


@dataclass(frozen=True)
class Reader:
    """A signed-in reader as need-to-know sees them."""

    user_id: str
    scope: Scope
    own_entries_only: bool
    default_purpose: ReadPurpose

    @classmethod
    def of(cls, principal: Principal) -> Reader | None:
        """The reader ``principal`` is, by their broadest permission; None for someone who may read nothing."""
        if principal.can(Permission.CASE_READ):
            return cls(principal.user_id, Scope.WHOLE, False, ReadPurpose.CASE_HANDLING)
        if principal.can(Permission.UNDERRETNING_READ):
            return cls(principal.user_id, Scope.ONE_PERSON, False, ReadPurpose.UNDERRETNING_ASSESSMENT)
        if principal.can(Permission.CONCERN_CREATE_PHONE):
            return cls(principal.user_id, Scope.WHOLE, True, ReadPurpose.CASE_HANDLING)
        return None

    def may_see(self, recorded_by: str) -> bool:
        return not self.own_entries_only or recorded_by == self.user_id


@dataclass(frozen=True)
class NamedPerson:
    path: str
    """``subjects[0]``, ``children_at_risk[1]``: where the person stands in the concern."""
    role: Literal["subject", "child_at_risk"]
    person: Person


def persons_of(concern: ConcernIn) -> Iterator[NamedPerson]:
    for index, person in enumerate(concern.subjects):
        yield NamedPerson(f"{SUBJECTS}[{index}]", "subject", person)
    for index, person in enumerate(concern.children_at_risk):
        yield NamedPerson(f"{CHILDREN_AT_RISK}[{index}]", "child_at_risk", person)


def fold_name(text: str) -> str:
    """``text`` for matching: lower case, without accents (é -> e, å -> a, ø -> o, æ -> ae), single spaces.

    Control and format characters become spaces: they mean nothing in a name, and PostgreSQL's text refuses
    NUL (a name with "\\u0000" is valid in the contract and stored as such in the body)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    bare = "".join(" " if unicodedata.category(char).startswith("C") else char
                   for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())


class CriterionKind(StrEnum):
    REFERENCE = "reference"
    CPR = "cpr"
    NAME = "name"


@dataclass(frozen=True)
class Criterion:
    """What a search asks for. Only ``kind`` may be logged: ``value`` and ``words`` are personal data."""

    kind: CriterionKind
    value: str = ""
    words: tuple[str, ...] = ()


def parse_search(query: str) -> Criterion | None:
    """A reference, a CPR number (with or without the dash) or words of a name; None when too short."""
    text = query.strip()
    if REFERENCE_PATTERN.fullmatch(text):
        return Criterion(CriterionKind.REFERENCE, value=text.upper())
    if match := CPR_PATTERN.fullmatch(text):
        return Criterion(CriterionKind.CPR, value=match.group(1) + match.group(2))
    folded = fold_name(text)
    if len(folded) < MIN_QUERY_LENGTH:
        return None
    return Criterion(CriterionKind.NAME, words=tuple(dict.fromkeys(folded.split())))
