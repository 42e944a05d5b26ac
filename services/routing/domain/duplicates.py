"""Near duplicates (docs/legal.md §C.1, rule R0b): same reporter, same subject, same description.

Only keyed hashes (HMAC-SHA256 with the routing key) are kept for matching, never a CPR number, a
name or the text. A concern is a near duplicate of an earlier one when, within the configured window:

- the reporter is the same: an e-mail address, a phone number or a name in common (an anonymous reporter
  has no key, and so is never a near duplicate: a different reporter is never a duplicate);
- the subjects are the same: each subject shares a key (CPR, or name + date of birth) with a subject of
  the other concern, both ways; a subject with neither has no key and never matches;
- the normalised descriptions (case, whitespace and punctuation ignored) hash the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.concern import ConcernIn, Person, ReporterCategory

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Fingerprint:
    received_at: datetime
    reporter_keys: frozenset[str]
    subject_keys: tuple[frozenset[str], ...]  # one set per subject, in order
    description_hash: str


def keyed(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def normalise_text(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def fingerprint(concern: ConcernIn, received_at: datetime, key: bytes) -> Fingerprint:
    return Fingerprint(
        received_at=received_at,
        reporter_keys=_reporter_keys(concern, key),
        subject_keys=tuple(subject_keys(person, key) for person in concern.subjects),
        description_hash=keyed(key, "description", normalise_text(concern.description)),
    )


def _reporter_keys(concern: ConcernIn, key: bytes) -> frozenset[str]:
    reporter = concern.reporter
    if reporter.category is ReporterCategory.ANONYMOUS:
        return frozenset()
    keys = set()
    if reporter.email:
        keys.add(keyed(key, "email", reporter.email.strip().casefold()))
    if reporter.phone:
        digits = re.sub(r"\D", "", reporter.phone)
        keys.add(keyed(key, "phone", digits[-8:]))  # Danish numbers: +45 and spacing do not matter
    if reporter.name:
        keys.add(keyed(key, "name", normalise_text(reporter.name)))
    return frozenset(keys)


def subject_keys(person: Person, key: bytes) -> frozenset[str]:
    keys = set()
    if person.cpr:
        keys.add(keyed(key, "cpr", person.cpr))
    if person.name and person.date_of_birth:
        keys.add(keyed(key, "name-dob", f"{normalise_text(person.name)}|{person.date_of_birth.isoformat()}"))
    return frozenset(keys)


def can_match(print_: Fingerprint) -> bool:
    """Whether any concern could be a near duplicate of this one: it needs a reporter key and a key for each
    subject (so there is nothing to look for otherwise)."""
    return bool(print_.reporter_keys) and bool(print_.subject_keys) and all(print_.subject_keys)


def is_near_duplicate(new: Fingerprint, earlier: Fingerprint, window: timedelta) -> bool:
    if abs(new.received_at - earlier.received_at) > window:
        return False
    if new.description_hash != earlier.description_hash:
        return False
    if not new.reporter_keys & earlier.reporter_keys:
        return False
    return _same_subjects(new.subject_keys, earlier.subject_keys)


def _same_subjects(a: tuple[frozenset[str], ...], b: tuple[frozenset[str], ...]) -> bool:
    if len(a) != len(b) or any(not keys for keys in (*a, *b)):
        return False
    return all(any(x & y for y in b) for x in a) and all(any(y & x for x in a) for y in b)
