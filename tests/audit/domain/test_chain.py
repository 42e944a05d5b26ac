from __future__ import annotations

import hashlib
from typing import Any

import pytest
import rfc8785

from services.audit.domain.chain import (
    GENESIS_PREV_HASH,
    BreakReason,
    ChainEntry,
    SeqGap,
    verify_chain,
)
from services.audit.domain.record import DisclosureDraft, DisclosureRecord, seal
from tests.audit.domain.builders import a_chain, a_draft

TAMPERED_AT = 3
PAYLOAD_FIELDS = sorted(DisclosureDraft.model_fields)


def entries(records: list[DisclosureRecord]) -> list[ChainEntry]:
    return [ChainEntry.from_record(record) for record in records]


def altered(value: Any) -> Any:
    """A different JSON value of the same shape."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    if isinstance(value, list):
        return [*value, "extra"]
    return "tampered"  # None


def test_record_hash_is_sha256_of_prev_hash_bytes_and_rfc8785_json() -> None:
    record = seal(a_draft(), seq_no=1, prev_hash=GENESIS_PREV_HASH)
    content = {**record.payload(), "seq_no": 1, "prev_hash": GENESIS_PREV_HASH}
    expected = hashlib.sha256(bytes(32) + rfc8785.dumps(content)).hexdigest()
    assert GENESIS_PREV_HASH == "0" * 64
    assert record.record_hash == expected


def test_an_untouched_chain_verifies() -> None:
    records = a_chain(5)
    report = verify_chain(records)
    assert report.ok
    assert (report.checked, report.erased, report.first_broken_seq_no) == (5, 0, None)
    assert (report.head_seq_no, report.head_record_hash) == (5, records[-1].record_hash)


def test_an_empty_log_verifies_and_its_head_is_genesis() -> None:
    report = verify_chain([])
    assert report.ok
    assert (report.head_seq_no, report.head_record_hash) == (None, GENESIS_PREV_HASH)


@pytest.mark.parametrize("field", PAYLOAD_FIELDS)
def test_changing_any_stored_field_is_found_at_that_record(field: str) -> None:
    rows = entries(a_chain(5))
    victim = rows[TAMPERED_AT - 1]
    assert victim.payload is not None
    rows[TAMPERED_AT - 1] = ChainEntry(victim.seq_no, victim.prev_hash, victim.record_hash,
                                       {**victim.payload, field: altered(victim.payload.get(field))})
    report = verify_chain(rows)
    assert report.first_broken_seq_no == TAMPERED_AT
    assert report.breaks[0].reasons == (BreakReason.HASH_MISMATCH,)
    assert len(report.breaks) == 1


def test_a_changed_record_model_is_found_too() -> None:
    records = a_chain(5)
    records[TAMPERED_AT - 1] = records[TAMPERED_AT - 1].model_copy(update={"recipient_authority": "PET"})
    assert verify_chain(records).first_broken_seq_no == TAMPERED_AT


@pytest.mark.parametrize(("field", "reasons"), [
    ("record_hash", (BreakReason.HASH_MISMATCH,)),
    ("prev_hash", (BreakReason.LINK_MISMATCH, BreakReason.HASH_MISMATCH)),
])
def test_changing_a_chain_field_is_found_at_that_record(field: str, reasons: tuple[BreakReason, ...]) -> None:
    records = a_chain(5)
    records[TAMPERED_AT - 1] = records[TAMPERED_AT - 1].model_copy(update={field: "f" * 64})
    report = verify_chain(records)
    assert report.first_broken_seq_no == TAMPERED_AT
    assert report.breaks[0].reasons == reasons


def test_a_record_rewritten_with_a_fresh_hash_breaks_the_link_of_the_next() -> None:
    records = a_chain(5)
    original = records[TAMPERED_AT - 1]
    rewritten = original.draft().model_copy(update={"purpose_description": "Noget andet"})
    records[TAMPERED_AT - 1] = seal(rewritten, seq_no=original.seq_no, prev_hash=original.prev_hash)
    report = verify_chain(records)
    assert report.first_broken_seq_no == TAMPERED_AT + 1
    assert report.breaks[0].reasons == (BreakReason.LINK_MISMATCH,)


def test_a_removed_record_is_reported_as_a_gap() -> None:
    records = a_chain(6)
    del records[3]
    report = verify_chain(records)
    assert report.gaps == (SeqGap(4, 4),)
    assert report.breaks == ()
    assert not report.ok


def test_a_missing_first_record_is_a_gap_from_genesis() -> None:
    report = verify_chain(a_chain(3)[1:])
    assert report.gaps == (SeqGap(1, 1),)


def test_a_range_verifies_from_the_hash_before_it() -> None:
    records = a_chain(6)
    assert verify_chain(records[3:], start_prev_hash=records[2].record_hash).ok
    assert verify_chain(records[3:], start_prev_hash=records[1].record_hash).first_broken_seq_no == 4


def test_a_repeated_seq_no_is_a_break() -> None:
    records = a_chain(3)
    report = verify_chain([*records, records[-1]])
    assert report.breaks[0].seq_no == 3
    assert report.breaks[0].reasons == (BreakReason.SEQ_NOT_INCREASING,)


def test_a_payload_carrying_chain_fields_is_malformed() -> None:
    [row] = entries(a_chain(1))
    assert row.payload is not None
    forged = ChainEntry(row.seq_no, row.prev_hash, row.record_hash, {**row.payload, "seq_no": 9})
    assert verify_chain([forged]).breaks[0].reasons == (BreakReason.MALFORMED,)


def test_erased_payloads_still_verify_by_their_links() -> None:
    rows = entries(a_chain(5))
    rows[1], rows[2] = rows[1].erase(), rows[2].erase()
    report = verify_chain(rows)
    assert report.ok
    assert report.erased == 2


def test_records_and_erased_entries_mix() -> None:
    records = a_chain(3)
    assert verify_chain([ChainEntry.from_record(records[0]).erase(), records[1], records[2]]).ok


def test_a_forged_hash_on_an_erased_entry_breaks_the_next_link() -> None:
    rows = entries(a_chain(5))
    erased = rows[TAMPERED_AT - 1].erase()
    rows[TAMPERED_AT - 1] = ChainEntry(erased.seq_no, erased.prev_hash, "e" * 64, None)
    report = verify_chain(rows)
    assert report.first_broken_seq_no == TAMPERED_AT + 1
    assert report.breaks[0].reasons == (BreakReason.LINK_MISMATCH,)


def test_a_forged_prev_hash_on_an_erased_entry_is_found_at_that_entry() -> None:
    rows = entries(a_chain(5))
    erased = rows[TAMPERED_AT - 1].erase()
    rows[TAMPERED_AT - 1] = ChainEntry(erased.seq_no, "e" * 64, erased.record_hash, None)
    assert verify_chain(rows).first_broken_seq_no == TAMPERED_AT
