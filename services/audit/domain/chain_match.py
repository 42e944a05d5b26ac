"""The per-record part of the chain check, apart from the walk, so that it can run in other processes.

A record's hash depends only on its own row (``sha256(prev_hash bytes ‖ content)``), so the hashing of
a batch splits freely across processes; only the links (each ``prev_hash`` the previous
``record_hash``) and the seq_no sequence need one pass in order, which ``verify``'s walker makes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

HASH_HEX = 64


def match_rows(rows: Sequence[Sequence[Any]]) -> bytes:
    """One byte per row: 1 when ``sha256(prev_hash bytes ‖ content)`` is its ``record_hash`` and the content
    names its own seq_no and prev_hash; 0 otherwise (erased, malformed or broken: the walker then looks at
    the row the careful way and says why). Rows are (seq_no, prev_hash, record_hash, content, retention)."""
    out = bytearray(len(rows))
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    for index, (seq_no, prev_hash, record_hash, content, _retention) in enumerate(rows):
        if content is None or len(record_hash) != HASH_HEX or len(prev_hash) != HASH_HEX:
            continue
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        try:
            digest = sha256(fromhex(prev_hash) + data).hexdigest()
        except ValueError:
            continue
        if digest == record_hash and names_its_position(data, seq_no, prev_hash):
            out[index] = 1
    return bytes(out)


def names_its_position(content: bytes, seq_no: int, prev_hash: str) -> bool:
    """Whether the (canonical JSON) content carries this seq_no and prev_hash, as a sealed record's does.

    Searched from the end: with the keys sorted, both come in the second half of a record."""
    return (content.rfind(b'"seq_no":%d,' % seq_no) >= 0
            and content.rfind(b'"prev_hash":"%s"' % prev_hash.encode()) >= 0)
