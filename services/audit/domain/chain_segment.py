"""The check of one seq_no range of the chain on its own, so that ranges can be checked in parallel.

A range is *clean* when every seq_no in it is present, nothing is wrong with any row by itself
(``chain_match.row_problems``: hashes, stored columns, a payload missing only after its ``retention_until``),
and each ``prev_hash`` is the previous record's hash inside the range. The link into the range (its first ``prev_hash``)
is left to the caller, which knows the previous range's last hash. Anything else makes the range unclean,
and the check stops there: the caller then verifies the careful way, which says what is wrong and where.

For the Merkle tree a range also keeps its RFC 6962 leaves and hands back their perfect nodes
(``MerkleCache.perfect_levels``); ranges aligned on a power of two join into the whole log's tree without
hashing a leaf twice (``MerkleCache.from_segments``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.audit.domain.chain_match import CONTENT, HASH, PREV, SEQ, row_problems
from services.audit.domain.merkle_cache import MerkleCache


@dataclass(frozen=True)
class SegmentResult:
    first_seq_no: int
    last_seq_no: int
    clean: bool
    checked: int
    erased: int
    first_prev_hash: str | None
    last_record_hash: str | None
    perfect_levels: list[bytes] | None


class SegmentCheck:
    def __init__(self, first_seq_no: int, last_seq_no: int, *, today: str, keep_tree: bool) -> None:
        """``today``: ISO date; a payload may be missing only when ``retention_until`` is before it."""
        self._first, self._last, self._today = first_seq_no, last_seq_no, today
        self._next_seq = first_seq_no
        self._prev: str | None = None
        self._first_prev: str | None = None
        self._leaves: list[bytes] | None = [] if keep_tree else None
        self._erased = 0
        self.clean = True

    def feed(self, rows: Sequence[Sequence[Any]]) -> bool:
        """Checks the next rows in seq_no order; False once the range is unclean (read no further)."""
        if not self.clean:
            return False
        if self._prev is None and rows:
            self._first_prev = self._prev = rows[0][PREV]
        leaves, today = self._leaves, self._today
        expected_seq, expected_prev = self._next_seq, self._prev
        for row in rows:
            if row[SEQ] != expected_seq or row[PREV] != expected_prev or row_problems(row, today):
                self.clean = False
                return False
            if row[CONTENT] is None:
                self._erased += 1
            if leaves is not None:
                leaves.append(bytes.fromhex(row[HASH]))
            expected_seq, expected_prev = row[SEQ] + 1, row[HASH]
        self._next_seq, self._prev = expected_seq, expected_prev
        return True

    def result(self) -> SegmentResult:
        complete = self.clean and self._next_seq == self._last + 1
        levels = None
        if complete and self._leaves is not None:
            levels = MerkleCache(self._leaves).perfect_levels()
        return SegmentResult(self._first, self._last, complete, self._next_seq - self._first, self._erased,
                             self._first_prev, self._prev, levels)

