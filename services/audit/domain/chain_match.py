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
        if digest == record_hash and b'"seq_no":%d,' % seq_no in data \
                and b'"prev_hash":"' + prev_hash.encode() + b'"' in data:
            out[index] = 1
    return bytes(out)
