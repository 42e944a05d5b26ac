"""I2 and tamper evidence: ``infohus audit verify`` over the stored log, changed out of band."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, date, datetime

from services.audit.entrypoints.cli import run_async
from services.audit.service_layer.retention import purge_expired
from services.audit.service_layer.tree import LogTree, issue_checkpoint
from services.audit.service_layer.verify import verify_log
from tests.audit.builders import out_of_band, reseal_from, seed, seed_expired


async def verify_cli(audit, *extra: str) -> tuple[int, dict]:
    args = argparse.Namespace(audit_command="verify", from_seq=1, to_seq=None, deep="--deep" in extra,
                              public_key=None, require_checkpoint=True, json=True, workers=None)
    out = io.StringIO()
    code = await run_async(args, audit.settings, out=out)
    return code, json.loads(out.getvalue())


async def checkpoint(audit) -> None:
    # A fresh tree each time, as a separate process (the CLI, another replica) would have.
    await issue_checkpoint(LogTree(audit.unit_of_work), audit.unit_of_work, audit.settings.private_key(),
                           now=datetime.now(UTC))


async def test_an_untouched_log_verifies_against_its_signed_checkpoint(audit) -> None:
    await seed(audit, 12)
    await checkpoint(audit)
    code, report = await verify_cli(audit)
    assert code == 0 and report["ok"]
    assert report["checked"] == 12 and report["first_broken_seq_no"] is None
    assert [c["tree_size"] for c in report["checkpoints"]] == [12]
    assert report["checkpoints"][0]["signature_ok"] is True


async def test_records_changed_out_of_band_are_found_at_their_seq_nos(audit) -> None:
    await seed(audit, 12)
    await checkpoint(audit)
    await out_of_band(audit, "UPDATE disclosure_payloads SET content = replace(content, 'Screening', 'Skreening') "
                             "WHERE seq_no IN (5, 11)",
                      "UPDATE disclosure_log SET prev_hash = record_hash WHERE seq_no = 8")
    code, report = await verify_cli(audit)
    assert code == 1 and not report["ok"]
    assert report["first_broken_seq_no"] == 5
    assert report["breaks"] == [{"seq_no": 5, "reasons": ["HASH_MISMATCH"]},
                                {"seq_no": 8, "reasons": ["LINK_MISMATCH", "HASH_MISMATCH"]},
                                {"seq_no": 11, "reasons": ["HASH_MISMATCH"]}]


async def test_a_query_column_changed_behind_the_log_is_found_by_plain_and_deep_verification(audit) -> None:
    await seed(audit, 6)
    await out_of_band(audit, "UPDATE disclosure_payloads SET purpose = 'PET_REQUEST' WHERE seq_no = 4")
    code, report = await verify_cli(audit)
    assert code == 1 and report["first_broken_seq_no"] == 4  # hash version 2 covers the query columns
    assert report["breaks"] == [{"seq_no": 4, "reasons": ["HASH_MISMATCH"]}]
    code, report = await verify_cli(audit, "--deep")
    assert code == 1 and report["first_broken_seq_no"] == 4
    assert report["breaks"] == [{"seq_no": 4, "reasons": ["COLUMNS_DIFFER_FROM_CONTENT", "HASH_MISMATCH"]}]


async def test_a_consistent_rewrite_of_the_tail_fails_the_signed_checkpoints(audit) -> None:
    await seed(audit, 6)
    await checkpoint(audit)
    await seed(audit, 6, first_id=7)
    await checkpoint(audit)
    await reseal_from(audit, 9, edit={"purpose_description": "Omskrevet bagefter"})
    report = await verify_log(audit.unit_of_work, public_key=audit.settings.public_key(), today=date.today())
    assert report.breaks == [] and report.gaps == []  # the chain alone cannot tell
    assert [c.ok for c in report.checkpoints] == [True, False]
    assert report.as_dict()["rewritten_between"] == [7, 12]
    code, _ = await verify_cli(audit)
    assert code == 1


async def test_truncation_at_the_head_and_a_gap_are_found(audit) -> None:
    await seed(audit, 8)
    await checkpoint(audit)
    await out_of_band(audit, *(f"DELETE FROM {t} WHERE seq_no >= 7" for t in
                               ("disclosure_subjects", "disclosure_payloads", "disclosure_log")))
    code, report = await verify_cli(audit)
    assert code == 1 and "fewer than" in report["checkpoints"][0]["problem"]
    await out_of_band(audit, *(f"DELETE FROM {t} WHERE seq_no = 3" for t in
                               ("disclosure_subjects", "disclosure_payloads", "disclosure_log")))
    code, report = await verify_cli(audit)
    assert report["gaps"] == [{"first_missing": 3, "last_missing": 3}] and report["first_broken_seq_no"] == 3


async def test_retention_erases_payloads_and_verification_still_passes(audit) -> None:
    await seed(audit, 3)
    await seed_expired(audit, 4, 5)
    await seed(audit, 2, first_id=6)
    await checkpoint(audit)
    assert await purge_expired(audit.unit_of_work, today=date.today()) == 2
    code, report = await verify_cli(audit, "--deep")
    assert code == 0 and report["erased"] == 2 and report["checked"] == 7
    # A payload removed before its retention_until is a break, even though the chain still links.
    await out_of_band(audit, "DELETE FROM disclosure_payloads WHERE seq_no = 6")
    code, report = await verify_cli(audit)
    assert code == 1 and report["breaks"] == [{"seq_no": 6, "reasons": ["PAYLOAD_MISSING_BEFORE_RETENTION"]}]


async def test_a_range_can_be_verified_on_its_own(audit) -> None:
    await seed(audit, 10)
    await out_of_band(audit, "UPDATE disclosure_log SET prev_hash = record_hash WHERE seq_no = 8")
    report = await verify_log(audit.unit_of_work, public_key=None, today=date.today(), from_seq_no=3, to_seq_no=6)
    assert report.ok and report.checked == 4
    report = await verify_log(audit.unit_of_work, public_key=None, today=date.today(), from_seq_no=6)
    assert report.first_broken_seq_no == 8
