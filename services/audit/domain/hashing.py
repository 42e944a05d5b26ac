"""The record hash of the disclosure log: ``sha256(prev_hash_bytes || canonical_json)``.

``canonical_json`` is RFC 8785 (JCS) over the record's fields except ``record_hash``; that is the payload
plus ``seq_no`` and ``prev_hash``, so a record is bound to its position and to its predecessor.
``prev_hash_bytes`` are the 32 raw bytes of the predecessor's hash (not its hex text).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import rfc8785

GENESIS_PREV_HASH = "0" * 64
HASH_FIELDS = frozenset({"seq_no", "prev_hash", "record_hash"})

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def is_sha256_hex(value: str) -> bool:
    return _SHA256_HEX.fullmatch(value) is not None


def canonical_json(value: Mapping[str, Any]) -> bytes:
    return rfc8785.dumps(dict(value))


def hashed_content(*, seq_no: int, prev_hash: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What the record hash covers: the payload plus the chain position, never ``record_hash`` itself."""
    clash = HASH_FIELDS.intersection(payload)
    if clash:
        raise ValueError(f"payload must not carry chain fields: {sorted(clash)}")
    return {**payload, "seq_no": seq_no, "prev_hash": prev_hash}


def compute_record_hash(*, seq_no: int, prev_hash: str, payload: Mapping[str, Any]) -> str:
    return hashed_record_content(seq_no=seq_no, prev_hash=prev_hash, payload=payload)[0]


def hashed_record_content(*, seq_no: int, prev_hash: str, payload: Mapping[str, Any]) -> tuple[str, bytes]:
    """The record hash and the canonical bytes it covers, canonicalised once."""
    if not is_sha256_hex(prev_hash):
        raise ValueError("prev_hash must be 64 lowercase hex characters")
    content = canonical_json(hashed_content(seq_no=seq_no, prev_hash=prev_hash, payload=payload))
    return hashlib.sha256(bytes.fromhex(prev_hash) + content).hexdigest(), content


# --- hash version 2 -----------------------------------------------------------------------------------
#
# Version 1 (above): record_hash = SHA-256(prev_hash bytes ‖ content). It covers the record's JSON but not
# the query columns copied from it, nor the chain row's own columns (retention_until, recorded_at, trace
# id), and once the content is erased nothing but the link is left to check.
#
# Version 2 covers everything stored, and keeps the chain row verifiable after erasure:
#   payload_sha256 = SHA-256(content ‖ U+001F ‖ columns_text)       (stored on the chain row)
#   header         = RFC 8785 JSON array [2, seq_no, prev_hash, record_id, recorded_at, retention_until,
#                                         trace_id, payload_sha256]
#   record_hash    = SHA-256(prev_hash bytes ‖ header)
# ``content`` is canonical JSON, which has no raw control characters, so the separator is unambiguous.

HASH_VERSION_2 = 2
_SEPARATOR = b"\x1f"
_NEEDS_ESCAPING = re.compile(r'["\\\x00-\x1f\x7f-\x9f\u2028\u2029]')


def payload_digest(content: bytes, columns_text: str) -> str:
    """What hash version 2 commits to for the payload row and subject rows: their hashed JSON and columns."""
    return hashlib.sha256(content + _SEPARATOR + columns_text.encode("utf-8")).hexdigest()


def header_v2(*, seq_no: int, prev_hash: str, record_id: str, recorded_at: str, retention_until: str,
              trace_id: str | None, payload_sha256: str) -> bytes:
    """The chain row as hashed (version 2): RFC 8785 of the array (tests compare with ``rfc8785``).

    Built by formatting when no text needs escaping (always, for a row as the service writes it: hex, a
    UUID, a fixed-format instant and date), which is the same bytes as the JSON serializer's, and cheaper
    (this runs once per record in verification)."""
    texts = (prev_hash, record_id, recorded_at, retention_until, trace_id or "", payload_sha256)
    if not _NEEDS_ESCAPING.search("".join(texts)):
        trace = "null" if trace_id is None else f'"{trace_id}"'
        return (f'[{HASH_VERSION_2},{int(seq_no)},"{prev_hash}","{record_id}","{recorded_at}",'
                f'"{retention_until}",{trace},"{payload_sha256}"]').encode()
    return json.dumps([HASH_VERSION_2, seq_no, prev_hash, record_id, recorded_at, retention_until, trace_id,
                       payload_sha256], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def record_hash_v2(prev_hash: str, header: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + header).hexdigest()
