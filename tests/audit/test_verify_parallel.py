"""Verification in worker processes gives the same report as verification in one, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.audit.bootstrap import AuditContainer
from services.audit.service_layer import verify as verify_module
from services.audit.service_layer.retention import purge_expired
from services.audit.service_layer.tree import LogTree, issue_checkpoint
from services.audit.service_layer.verify import verify_log
from services.audit.service_layer.verify_parallel import Parallelism, segment_bounds, verify_in_parallel
from tests.audit.builders import out_of_band, reseal_from, seed, seed_expired


def in_workers(audit: AuditContainer) -> Parallelism:
    # Ranges of 4 records, so a dozen records make several ranges and two workers.
    return Parallelism(audit.settings.database_url, audit.settings.db_schema, workers=2, segment_height=2)


async def both_ways(audit: AuditContainer, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    public_key = audit.settings.public_key()
    serial = await verify_log(audit.unit_of_work, public_key=public_key, today=date.today(), **options)
    parallel = await verify_log(audit.unit_of_work, public_key=public_key, today=date.today(),
                                parallelism=in_workers(audit), **options)
    return serial.as_dict(), parallel.as_dict()


@pytest.fixture
def no_serial_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a clean log was checked serially")

    monkeypatch.setattr(verify_module, "_verify_serially", refuse)


async def test_a_clean_log_with_erased_payloads_verifies_in_workers_against_its_checkpoints(audit) -> None:
    await seed(audit, 5)
    await seed_expired(audit, 6, 7)
    await seed(audit, 6, first_id=8)
    await issue_checkpoint(LogTree(audit.unit_of_work), audit.unit_of_work, audit.settings.private_key(),
                           now=datetime.now(UTC))
    await seed(audit, 3, first_id=14)
    await issue_checkpoint(LogTree(audit.unit_of_work), audit.unit_of_work, audit.settings.private_key(),
                           now=datetime.now(UTC))
    assert await purge_expired(audit.unit_of_work, today=date.today()) == 2
    serial, parallel = await both_ways(audit)
    assert parallel == serial
    assert parallel["ok"] and parallel["checked"] == 16 and parallel["erased"] == 2
    assert [c["root_ok"] and c["signature_ok"] for c in parallel["checkpoints"]] == [True, True]


async def test_the_workers_really_check_a_clean_log(audit, no_serial_fallback) -> None:
    await seed(audit, 11)
    report = await verify_log(audit.unit_of_work, public_key=None, today=date.today(), parallelism=in_workers(audit))
    assert report.ok and report.checked == 11 and report.head_seq_no == 11


async def test_a_range_verifies_in_workers(audit, no_serial_fallback) -> None:
    await seed(audit, 14)
    report = await verify_log(audit.unit_of_work, public_key=None, today=date.today(), from_seq_no=3, to_seq_no=13,
                              parallelism=in_workers(audit))
    assert report.ok and report.checked == 11 and report.head_seq_no == 13


async def test_a_tampered_log_gets_the_same_report_as_from_one_process(audit) -> None:
    await seed(audit, 14)
    await issue_checkpoint(LogTree(audit.unit_of_work), audit.unit_of_work, audit.settings.private_key(),
                           now=datetime.now(UTC))
    await out_of_band(audit, "UPDATE disclosure_payloads SET content = replace(content, 'Screening', 'Skreening') "
                             "WHERE seq_no = 10",
                      "UPDATE disclosure_log SET prev_hash = record_hash WHERE seq_no = 5")
    serial, parallel = await both_ways(audit)
    assert parallel == serial and parallel["first_broken_seq_no"] == 5
    await out_of_band(audit, *(f"DELETE FROM {t} WHERE seq_no = 9" for t in
                               ("disclosure_subjects", "disclosure_payloads", "disclosure_log")))
    serial, parallel = await both_ways(audit)
    assert parallel == serial and {"first_missing": 9, "last_missing": 9} in parallel["gaps"]


async def test_a_range_linked_to_the_wrong_predecessor_is_found_at_the_join(audit, monkeypatch) -> None:
    await seed(audit, 10)
    # Records 9 and 10 (the third range) re-sealed onto a made-up predecessor: the range itself is
    # consistent, so only the join between ranges can see it.
    await reseal_from(audit, 9, prev_hash="ab" * 32)
    outcomes = []

    async def recording(*args: Any, **kwargs: Any) -> Any:
        outcomes.append(await verify_in_parallel(*args, **kwargs))
        return outcomes[-1]

    monkeypatch.setattr(verify_module, "verify_in_parallel", recording)
    serial, parallel = await both_ways(audit)
    assert outcomes == [None]  # the workers' check found it, and the careful check then said where
    assert parallel == serial and parallel["breaks"] == [{"seq_no": 9, "reasons": ["LINK_MISMATCH"]}]


def test_ranges_are_cut_on_the_tree_s_aligned_subtrees() -> None:
    assert segment_bounds(1, 10, 2) == [(1, 4), (5, 8), (9, 10)]
    assert segment_bounds(3, 13, 2) == [(3, 4), (5, 8), (9, 12), (13, 13)]
    assert segment_bounds(5, 8, 2) == [(5, 8)]
