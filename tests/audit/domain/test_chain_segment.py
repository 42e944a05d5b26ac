"""One range of the chain checked on its own (what a verification worker does)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from services.audit.domain.chain_segment import SegmentCheck
from services.audit.domain.hashing import GENESIS_PREV_HASH
from services.audit.domain.merkle_cache import MerkleCache

TODAY = "2026-11-22"


def chain(count: int, *, erased: dict[int, str] | None = None) -> list[tuple[Any, ...]]:
    """Rows as the reader gives them: (seq_no, prev_hash, record_hash, content, retention_until)."""
    rows, prev = [], GENESIS_PREV_HASH
    for seq_no in range(1, count + 1):
        content = json.dumps({"prev_hash": prev, "purpose": "INFOHUS_SCREENING", "seq_no": seq_no,
                              "system_version": "0.1.0"},
                             sort_keys=True, separators=(",", ":")).encode()
        record_hash = hashlib.sha256(bytes.fromhex(prev) + content).hexdigest()
        retention = (erased or {}).get(seq_no, "2031-01-01")
        rows.append((seq_no, prev, record_hash, None if seq_no in (erased or {}) else content, retention))
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


def test_anything_the_careful_check_would_report_makes_the_range_unclean() -> None:
    rows = chain(8)
    changed_content = [*rows[:3], (*rows[3][:3], rows[3][3].replace(b"SCREENING", b"SKREENING"), rows[3][4]), *rows[4:]]
    broken_link = [*rows[:5], (rows[5][0], rows[5][2], *rows[5][2:]), *rows[6:]]
    erased_too_early = chain(8, erased={6: TODAY})
    for tampered in (changed_content, broken_link, erased_too_early, rows[:4] + rows[5:], rows[:7]):
        result = check(tampered, 1, 8).result()
        assert not result.clean and result.perfect_levels is None


def test_it_stops_reading_once_the_range_is_unclean() -> None:
    rows = chain(9)
    segment = SegmentCheck(1, 9, today=TODAY, keep_tree=False)
    assert segment.feed(rows[:3])
    assert not segment.feed([rows[4], *rows[5:6]])  # seq_no 4 is missing
    assert not segment.feed(rows[6:])
