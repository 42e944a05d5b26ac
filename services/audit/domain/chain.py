"""The hash chain of the disclosure log (invariant I2) and its verification (auditor query Q11).

Each record's hash covers its predecessor's hash, so changing, inserting or removing a record inside
the log shows at that record or at the next one. Two things the chain alone cannot show:

- Truncation at the head (dropping the newest records) leaves a valid, shorter chain. Signed Merkle
  checkpoints (``checkpoint.py``) and the externally anchored head hash cover that.
- A rewrite of the whole chain from some record on by someone who can also recompute every later hash.
  The same checkpoints cover that: the rewritten chain no longer matches a root signed earlier.

Retention trade-off. After ``retention_until`` the payload of a record may be erased while its
``seq_no``, ``prev_hash`` and ``record_hash`` stay (a ``ChainEntry`` with ``payload=None``). For such an
entry the verifier can only check linkage: its ``prev_hash`` must equal the predecessor's hash, and its
stored ``record_hash`` is accepted as given and must reappear as the next entry's ``prev_hash``. A
forged hash on an erased entry therefore still breaks the link to the next surviving entry, and a
checkpoint signed before the erasure still commits to the original hash. What is given up is the proof
of what the erased record said, which is the point of erasing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from services.audit.domain.hashing import GENESIS_PREV_HASH, compute_record_hash, is_sha256_hex
from services.audit.domain.record import DisclosureRecord

__all__ = [
    "GENESIS_PREV_HASH",
    "BreakReason",
    "ChainBreak",
    "ChainEntry",
    "ChainReport",
    "SeqGap",
    "merkle_leaves",
    "verify_chain",
]

FIRST_SEQ_NO = 1


@dataclass(frozen=True)
class ChainEntry:
    """A row as the verifier sees it; ``payload`` is the record's JSON payload, ``None`` once erased."""

    seq_no: int
    prev_hash: str
    record_hash: str
    payload: dict[str, Any] | None

    @classmethod
    def from_record(cls, record: DisclosureRecord) -> ChainEntry:
        return cls(record.seq_no, record.prev_hash, record.record_hash, record.payload())

    @property
    def erased(self) -> bool:
        return self.payload is None

    def erase(self) -> ChainEntry:
        return replace(self, payload=None)


class BreakReason(StrEnum):
    HASH_MISMATCH = "HASH_MISMATCH"
    """The stored record_hash is not the hash of the stored content."""
    LINK_MISMATCH = "LINK_MISMATCH"
    """prev_hash is not the previous record's record_hash."""
    SEQ_NOT_INCREASING = "SEQ_NOT_INCREASING"
    """seq_no repeats, goes backwards, or starts below ``start_seq_no``; the entry is otherwise skipped."""
    MALFORMED = "MALFORMED"
    """A hash is not 64 lowercase hex characters, or the payload cannot be canonicalised."""


@dataclass(frozen=True)
class ChainBreak:
    seq_no: int
    reasons: tuple[BreakReason, ...]


@dataclass(frozen=True)
class SeqGap:
    """``seq_no`` values ``first_missing`` to ``last_missing`` (inclusive) are absent."""

    first_missing: int
    last_missing: int


@dataclass(frozen=True)
class ChainReport:
    checked: int
    erased: int
    breaks: tuple[ChainBreak, ...]
    gaps: tuple[SeqGap, ...]
    head_seq_no: int | None
    head_record_hash: str

    @property
    def ok(self) -> bool:
        return not self.breaks and not self.gaps

    @property
    def first_broken_seq_no(self) -> int | None:
        return self.breaks[0].seq_no if self.breaks else None


def verify_chain(
    records: Iterable[DisclosureRecord | ChainEntry],
    *,
    start_prev_hash: str = GENESIS_PREV_HASH,
    start_seq_no: int | None = None,
) -> ChainReport:
    """Check records given in ``seq_no`` order: hashes recomputed, links followed, gaps found.

    ``start_prev_hash`` is the hash before the first record (GENESIS for the whole log, otherwise the
    hash of the record before the range). ``start_seq_no`` is the ``seq_no`` the first record must have;
    it defaults to 1 from GENESIS and to the first record's own ``seq_no`` otherwise. After a gap the
    link of the next record cannot be checked; the gap itself is reported. After a break, checking goes
    on from the stored hash, so a record whose content was changed is reported at that record only.
    """
    if start_seq_no is None and start_prev_hash == GENESIS_PREV_HASH:
        start_seq_no = FIRST_SEQ_NO
    walker = _ChainWalker(expected_prev=start_prev_hash, expected_seq=start_seq_no)
    for item in records:
        walker.visit(item if isinstance(item, ChainEntry) else ChainEntry.from_record(item))
    return walker.report()


class _ChainWalker:
    def __init__(self, *, expected_prev: str, expected_seq: int | None) -> None:
        self.expected_prev = expected_prev
        self.expected_seq = expected_seq
        self.last_seq: int | None = None
        self.checked = 0
        self.erased = 0
        self.breaks: list[ChainBreak] = []
        self.gaps: list[SeqGap] = []

    def visit(self, entry: ChainEntry) -> None:
        if self.expected_seq is not None and entry.seq_no < self.expected_seq:
            self.breaks.append(ChainBreak(entry.seq_no, (BreakReason.SEQ_NOT_INCREASING,)))
            return
        reasons = [*self._link_problems(entry), *self._hash_problems(entry)]
        if reasons:
            self.breaks.append(ChainBreak(entry.seq_no, tuple(reasons)))
        self.checked += 1
        self.erased += int(entry.erased)
        self.last_seq = entry.seq_no
        self.expected_seq = entry.seq_no + 1
        self.expected_prev = entry.record_hash

    def _link_problems(self, entry: ChainEntry) -> list[BreakReason]:
        if self.expected_seq is not None and entry.seq_no > self.expected_seq:
            self.gaps.append(SeqGap(self.expected_seq, entry.seq_no - 1))
            return []
        return [] if entry.prev_hash == self.expected_prev else [BreakReason.LINK_MISMATCH]

    @staticmethod
    def _hash_problems(entry: ChainEntry) -> list[BreakReason]:
        if not (is_sha256_hex(entry.prev_hash) and is_sha256_hex(entry.record_hash)):
            return [BreakReason.MALFORMED]
        if entry.payload is None:
            return []
        try:
            recomputed = compute_record_hash(
                seq_no=entry.seq_no, prev_hash=entry.prev_hash, payload=entry.payload
            )
        except ValueError:  # rfc8785.CanonicalizationError is a ValueError too
            return [BreakReason.MALFORMED]
        return [] if recomputed == entry.record_hash else [BreakReason.HASH_MISMATCH]

    def report(self) -> ChainReport:
        return ChainReport(
            checked=self.checked,
            erased=self.erased,
            breaks=tuple(self.breaks),
            gaps=tuple(self.gaps),
            head_seq_no=self.last_seq,
            head_record_hash=self.expected_prev,
        )


def merkle_leaves(entries: Iterable[DisclosureRecord | ChainEntry]) -> list[bytes]:
    """The Merkle leaf bytes of records in ``seq_no`` order: the 32 raw bytes of each record_hash."""
    return [bytes.fromhex(entry.record_hash) for entry in entries]
