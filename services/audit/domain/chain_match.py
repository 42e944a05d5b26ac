"""The per-record part of the chain check, apart from the walk, so that it can run in other processes.

A record's hash depends only on its own row, so the checking of a batch splits freely across processes;
only the links (each ``prev_hash`` the previous ``record_hash``) and the seq_no sequence need one pass in
order, which ``verify``'s walker makes.

A row, as ``adapters/chain_reader.py`` reads it: (seq_no, prev_hash, record_hash, content, retention_until,
hash_version, record_id, recorded_at, trace_id, payload_sha256, columns text, subject keys text); content
and the texts are None once the payload was erased.

- Hash version 2 (``hashing.header_v2``): the chain row's header hashes to ``record_hash``, and the content
  with the stored query columns and subject keys to ``payload_sha256``. Every stored column is covered, and
  after erasure the chain row (its ``retention_until`` too) still is.
- Hash version 1: ``sha256(prev_hash bytes ‖ content) = record_hash``, and, since that hash covers neither
  the query columns nor the chain row's dates, those are compared with the content (parsed: slower, but
  only records written before version 2 take this way).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from services.audit.domain.chain import BreakReason
from services.audit.domain.hashing import HASH_VERSION_2, header_v2, is_sha256_hex, payload_digest, record_hash_v2
from services.audit.domain.stored_columns import columns_text, query_columns, stored_text, subject_keys
from services.audit.domain.values import format_utc

SEQ, PREV, HASH, CONTENT, RETENTION, VERSION, RECORD_ID, RECORDED_AT, TRACE_ID, PAYLOAD_SHA, COLUMNS, KEYS = range(12)
INSTANT_LENGTH = 27  # len("2026-03-02T10:00:00.000000Z")
PAYLOAD_MISSING = "PAYLOAD_MISSING_BEFORE_RETENTION"
COLUMNS_DIFFER = "COLUMNS_DIFFER_FROM_CONTENT"
MALFORMED = BreakReason.MALFORMED.value
HASH_MISMATCH = BreakReason.HASH_MISMATCH.value


def match_rows(rows: Sequence[Sequence[Any]]) -> bytes:
    """One byte per row: 1 when the row has its content and nothing is wrong with it on its own
    (``row_problems``); 0 otherwise (erased, malformed or broken: the walker then looks at the row the
    careful way and says why)."""
    return bytes(int(row[CONTENT] is not None and not row_problems(row, "")) for row in rows)


def row_problems(row: Sequence[Any], today: str) -> list[str]:
    """What is wrong with one row by itself (its link to the previous row aside). ``today``: ISO date; a
    payload may be missing only when ``retention_until`` is before it."""
    if not (isinstance(row[PREV], str) and isinstance(row[HASH], str)
            and is_sha256_hex(row[PREV]) and is_sha256_hex(row[HASH])):
        return [MALFORMED]
    if row[VERSION] == HASH_VERSION_2:
        return _v2_problems(row, today)
    if row[VERSION] == 1:
        return _v1_problems(row, today)
    return [MALFORMED]


def names_its_position(content: bytes, seq_no: int, prev_hash: str) -> bool:
    """Whether the (canonical JSON) content carries this seq_no and prev_hash, as a sealed record's does.

    Searched from the end: with the keys sorted, both come in the second half of a record."""
    return (content.rfind(b'"seq_no":%d,' % seq_no) >= 0
            and content.rfind(b'"prev_hash":"%s"' % prev_hash.encode()) >= 0)


def utc_text(value: Any) -> str:
    """A chain row's ``recorded_at`` in the record's UTC text, whatever form the database gave it in."""
    if isinstance(value, str):
        if value.endswith("Z"):
            return value
        if len(value) == INSTANT_LENGTH - 1 and value[10] == " ":  # SQLAlchemy's SQLite form, UTC
            return f"{value[:10]}T{value[11:]}Z"
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return format_utc(value.astimezone(UTC) if value.utcoffset() is not None else value)
    return str(value)


def _bytes(content: Any) -> bytes:
    return content if isinstance(content, bytes) else str(content).encode("utf-8")


def _erased_in_time(row: Sequence[Any], today: str) -> list[str]:
    return [PAYLOAD_MISSING] if str(row[RETENTION])[:10] >= today else []


def _v2_problems(row: Sequence[Any], today: str) -> list[str]:
    digest = row[PAYLOAD_SHA]
    if not (isinstance(digest, str) and is_sha256_hex(digest)):
        return [MALFORMED]
    header = header_v2(seq_no=row[SEQ], prev_hash=row[PREV], record_id=str(row[RECORD_ID]),
                       recorded_at=utc_text(row[RECORDED_AT]), retention_until=str(row[RETENTION]),
                       trace_id=row[TRACE_ID], payload_sha256=digest)
    if record_hash_v2(row[PREV], header) != row[HASH]:
        return [HASH_MISMATCH]
    if row[CONTENT] is None:
        return _erased_in_time(row, today)
    content = _bytes(row[CONTENT])
    if payload_digest(content, stored_text(row[COLUMNS], row[KEYS])) != digest:
        return [HASH_MISMATCH]
    return [] if names_its_position(content, row[SEQ], row[PREV]) else [MALFORMED]


def _v1_problems(row: Sequence[Any], today: str) -> list[str]:
    if row[CONTENT] is None:
        return _erased_in_time(row, today)
    content = _bytes(row[CONTENT])
    if hashlib.sha256(bytes.fromhex(row[PREV]) + content).hexdigest() != row[HASH]:
        return [HASH_MISMATCH]
    if not names_its_position(content, row[SEQ], row[PREV]):
        return [MALFORMED]  # the content names another position
    return [] if _v1_columns_match(content, row) else [COLUMNS_DIFFER]


def _v1_columns_match(content: bytes, row: Sequence[Any]) -> bool:
    """The columns version 1 does not hash, compared with the hashed content they were copied from."""
    try:
        payload = {k: v for k, v in json.loads(content).items() if k not in ("seq_no", "prev_hash")}
        expected = columns_text(query_columns(payload), subject_keys(payload))
        log_row = (payload["record_id"], payload["recorded_at"], payload["retention_until"])
        stored_log_row = (str(row[RECORD_ID]), utc_text(row[RECORDED_AT]), str(row[RETENTION])[:10])
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return stored_text(row[COLUMNS], row[KEYS]) == expected and stored_log_row == log_row
