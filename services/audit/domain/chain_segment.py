"""The check of one seq_no range of the chain on its own, so that ranges can be checked in parallel.

A range is *clean* when every seq_no in it is present, each record's hash is right and its content names
its own position (``chain_match``), each ``prev_hash`` is the previous record's hash inside the range, and
every missing payload is past its ``retention_until``. The link into the range (its first ``prev_hash``)
is left to the caller, which knows the previous range's last hash. Anything else makes the range unclean,
and the check stops there: the caller then verifies the careful way, which says what is wrong and where.

For the Merkle tree a range also keeps its RFC 6962 leaves and hands back their perfect nodes
(``MerkleCache.perfect_levels``); ranges aligned on a power of two join into the whole log's tree without
hashing a leaf twice (``MerkleCache.from_segments``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.audit.domain.chain_match import names_its_position
from services.audit.domain.hashing import is_sha256_hex
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
        self._prev_bytes: bytes | None = None
        self._first_prev: str | None = None
        self._leaves: list[bytes] | None = [] if keep_tree else None
        self._erased = 0
        self.clean = True

    def feed(self, rows: Sequence[Sequence[Any]]) -> bool:
        """Checks the next rows in seq_no order; False once the range is unclean (read no further).

        One tight loop per record: once a row's prev_hash is known to be the previous record_hash, the
        previous leaf's bytes are its hash input, so each record costs one SHA-256 and one comparison."""
        if not self.clean:
            return False
        if self._prev is None and rows:
            self._first_prev = self._prev = rows[0][1]
            self._prev_bytes = _bytes_of(rows[0][1])
        sha256, leaves = hashlib.sha256, self._leaves
        expected_seq, expected_prev, prev_bytes = self._next_seq, self._prev, self._prev_bytes
        for row in rows:
            seq_no, prev_hash, record_hash, content = row[0], row[1], row[2], row[3]
            if seq_no != expected_seq or prev_hash != expected_prev or prev_bytes is None:
                self.clean = False
                return False
            if content is None:
                current = _bytes_of(record_hash)
                if current is None or not self._erased_in_time(row):
                    self.clean = False
                    return False
            else:
                data = content if isinstance(content, bytes) else content.encode("utf-8")
                digest = sha256(prev_bytes)
                digest.update(data)
                current = digest.digest()
                if current.hex() != record_hash or not names_its_position(data, seq_no, prev_hash):
                    self.clean = False
                    return False
            if leaves is not None:
                leaves.append(current)
            expected_seq, expected_prev, prev_bytes = seq_no + 1, record_hash, current
        self._next_seq, self._prev, self._prev_bytes = expected_seq, expected_prev, prev_bytes
        return True

    def _erased_in_time(self, row: Sequence[Any]) -> bool:
        retention_until = row[4]
        if str(retention_until)[:10] >= self._today:
            return False
        self._erased += 1
        return True

    def result(self) -> SegmentResult:
        complete = self.clean and self._next_seq == self._last + 1
        levels = None
        if complete and self._leaves is not None:
            levels = MerkleCache(self._leaves).perfect_levels()
        return SegmentResult(self._first, self._last, complete, self._next_seq - self._first, self._erased,
                             self._first_prev, self._prev, levels)


def _bytes_of(hash_hex: Any) -> bytes | None:
    """The 32 bytes of a well-formed (lowercase, 64 hex digits) hash; None for anything else."""
    return bytes.fromhex(hash_hex) if isinstance(hash_hex, str) and is_sha256_hex(hash_hex) else None
