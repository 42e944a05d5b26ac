"""One range of the chain checked on its own (what a verification worker does)."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import pytest
import rfc8785

from services.audit.domain.chain_segment import SegmentCheck
from services.audit.domain.hashing import GENESIS_PREV_HASH, canonical_json, header_v2, payload_digest, record_hash_v2
from services.audit.domain.merkle_cache import MerkleCache
from services.audit.domain.stored_columns import columns_text, query_columns, subject_keys

TODAY = "2026-11-22"


def chain(count: int, *, erased: dict[int, str] | None = None, version: int = 2) -> list[tuple[Any, ...]]:
    """Rows as the reader gives them (``chain_match``): hash version 2, or 1 (records from before it)."""
    rows, prev = [], GENESIS_PREV_HASH
    for seq_no in range(1, count + 1):
        retention = (erased or {}).get(seq_no, "2031-01-01")
        payload = {"record_id": str(UUID(int=seq_no)), "recorded_at": "2026-03-02T10:00:00.000000Z",
                   "retention_until": retention, "purpose": "INFOHUS_SCREENING", "system_version": "0.1.0",
                   "kind": "DISCLOSURE", "occurred_at": "2026-03-02T09:00:00.000000Z", "data_categories": ["IDENTITY"],
                   "subject_person_ids": [f"person-{seq_no}"]}
        content = canonical_json({**payload, "prev_hash": prev, "seq_no": seq_no})
        columns = columns_text(query_columns(payload), subject_keys(payload))
        fields, _, keys = columns.rpartition("\x1f")
        if version == 1:
            record_hash, digest = hashlib.sha256(bytes.fromhex(prev) + content).hexdigest(), None
        else:
            digest = payload_digest(content, columns)
            record_hash = record_hash_v2(prev, header_v2(
                seq_no=seq_no, prev_hash=prev, record_id=payload["record_id"], recorded_at=payload["recorded_at"],
                retention_until=retention, trace_id=None, payload_sha256=digest))
        kept = seq_no not in (erased or {})
        rows.append((seq_no, prev, record_hash, content if kept else None, retention, version, payload["record_id"],
                     payload["recorded_at"], None, digest, fields if kept else None, keys if kept else None))
        prev = record_hash
    return rows


def check(rows: list[tuple[Any, ...]], first: int, last: int, batch: int = 3) -> SegmentCheck:
    segment = SegmentCheck(first, last, today=TODAY, keep_tree=True)
    for start in range(0, len(rows), batch):
        if not segment.feed(rows[start:start + batch]):
            break
    return segment


def test_a_clean_range_reports_its_ends_and_its_tree() -> None:
    rows = chain(12)
    result = check(rows[4:10], 5, 10).result()
    assert result.clean and result.checked == 6 and result.erased == 0
    assert result.first_prev_hash == rows[3][2] and result.last_record_hash == rows[9][2]
    assert result.perfect_levels == MerkleCache([bytes.fromhex(r[2]) for r in rows[4:10]]).perfect_levels()


def test_a_payload_erased_after_its_retention_is_clean_and_counted() -> None:
    result = check(chain(6, erased={2: "2026-01-01", 4: "2025-12-31"}), 1, 6).result()
    assert result.clean and result.erased == 2 and result.checked == 6


def changed(row: tuple[Any, ...], index: int, value: Any) -> tuple[Any, ...]:
    return (*row[:index], value, *row[index + 1:])


@pytest.mark.parametrize("version", [1, 2])
def test_anything_the_careful_check_would_report_makes_the_range_unclean(version: int) -> None:
    rows = chain(8, version=version)
    changed_content = [*rows[:3], changed(rows[3], 3, rows[3][3].replace(b"SCREENING", b"SKREENING")), *rows[4:]]
    changed_column = [*rows[:3], changed(rows[3], 10, rows[3][10].replace("SCREENING", "SKREENING")), *rows[4:]]
    changed_subjects = [*rows[:3], changed(rows[3], 11, "person-99"), *rows[4:]]
    changed_retention = [*rows[:3], changed(rows[3], 4, "2031-01-02"), *rows[4:]]
    broken_link = [*rows[:5], (rows[5][0], rows[5][2], *rows[5][2:]), *rows[6:]]
    erased_too_early = chain(8, erased={6: TODAY}, version=version)
    for tampered in (changed_content, changed_column, changed_subjects, changed_retention, broken_link,
                     erased_too_early, rows[:4] + rows[5:], rows[:7]):
        result = check(tampered, 1, 8).result()
        assert not result.clean and result.perfect_levels is None


def test_an_erased_version_2_record_still_commits_to_its_retention_date() -> None:
    rows = chain(6, erased={2: "2026-01-01"})
    assert check(rows, 1, 6).result().clean
    moved_back = [rows[0], changed(rows[1], 4, "2025-01-01"), *rows[2:]]
    assert not check(moved_back, 1, 6).result().clean


def test_it_stops_reading_once_the_range_is_unclean() -> None:
    rows = chain(9)
    segment = SegmentCheck(1, 9, today=TODAY, keep_tree=False)
    assert segment.feed(rows[:3])
    assert not segment.feed([rows[4], *rows[5:6]])  # seq_no 4 is missing
    assert not segment.feed(rows[6:])


@pytest.mark.parametrize("trace_id", [None, "ab" * 16, 'a"b', "a\\b", "a\nb", "æøå", "a\u2028b"])
def test_the_version_2_header_is_rfc_8785_of_its_array(trace_id: str | None) -> None:
    values = {"seq_no": 7, "prev_hash": "ab" * 32, "record_id": str(UUID(int=7)),
              "recorded_at": "2026-03-02T10:00:00.000000Z", "retention_until": "2031-03-02", "trace_id": trace_id,
              "payload_sha256": "cd" * 32}
    assert header_v2(**values) == rfc8785.dumps([2, *values.values()])
