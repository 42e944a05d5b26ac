"""The query columns of ``disclosure_payloads``, derived from a record's JSON payload.

Used when a record is appended and by ``verify``, which derives them again from the hashed ``content``
(hash version 1, and ``--deep``) or hashes them as stored (version 2): a column changed behind the log's
back is found, not just a changed hash. The definitions are pure and live in ``domain/stored_columns.py``.
"""

from __future__ import annotations

from services.audit.domain.stored_columns import (
    ALL_COLUMNS,
    COPIED,
    DERIVED,
    LATER,
    parse_instant,
    payload_columns,
    query_columns,
    subject_keys,
)

__all__ = ["ALL_COLUMNS", "COPIED", "DERIVED", "LATER", "parse_instant", "payload_columns", "query_columns",
           "subject_keys"]
