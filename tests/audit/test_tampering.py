"""Plain ``verify`` finds a change in any stored column of any record (hash version 2), names the first
broken seq_no, and an early erasure cannot pass as retention, on SQLite and PostgreSQL.

Each change is made out of band (as someone with the database and without the signing key), verified,
and undone before the next.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import text

from services.audit.bootstrap import AuditContainer
from services.audit.domain.stored_columns import V2_COLUMNS
from services.audit.service_layer.retention import purge_expired
from services.audit.service_layer.verify import verify_log
from tests.audit.builders import out_of_band, seed, seed_expired, seed_unchecked
from tests.audit.test_verify import verify_cli

LOG_COLUMNS = ("record_id", "prev_hash", "record_hash", "recorded_at", "retention_until", "trace_id",
               "hash_version", "payload_sha256")
TAMPERED = 2


def another(value: Any) -> Any:
    """A different value of the same type (SQLite gives booleans as 0/1: 1 becomes 2, which is no boolean)."""
    if value is None:
        return "X"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, date):
        return value + timedelta(days=1)
    if len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return ("f" if value[0] != "f" else "e") + value[1:]
    return value[:-1] + ("0" if value[-1] != "0" else "1")


async def stored_value(audit: AuditContainer, table: str, column: str) -> Any:
    async with audit.runtime.engine.connect() as connection:
        return (await connection.execute(text(
            f"SELECT {column} FROM {table} WHERE seq_no = {TAMPERED}"))).scalar_one()


async def first_broken(audit: AuditContainer) -> int | None:
    report = await verify_log(audit.unit_of_work, public_key=None, today=date.today())
    return report.first_broken_seq_no


async def test_plain_verify_finds_a_change_in_any_stored_column(audit: AuditContainer) -> None:
    await seed(audit, 3)
    assert await first_broken(audit) is None
    columns = [("disclosure_log", c) for c in LOG_COLUMNS]
    columns += [("disclosure_payloads", c) for c in ("content", *V2_COLUMNS)]
    columns += [("disclosure_subjects", "subject_key")]
    missed = []
    for table, column in columns:
        if table == "disclosure_subjects":  # a subject added to the record
            change = f"INSERT INTO disclosure_subjects (seq_no, subject_key) VALUES ({TAMPERED}, 'person-x')"
            undo = f"DELETE FROM disclosure_subjects WHERE seq_no = {TAMPERED} AND subject_key = 'person-x'"
            params: dict[str, Any] = {}
        else:
            original = await stored_value(audit, table, column)
            change = f"UPDATE {table} SET {column} = :v WHERE seq_no = {TAMPERED}"
            undo = f"UPDATE {table} SET {column} = :o WHERE seq_no = {TAMPERED}"
            params = {"v": another(original), "o": original}
        await out_of_band(audit, change, params=params)
        if await first_broken(audit) != TAMPERED:
            missed.append(f"{table}.{column}")
        await out_of_band(audit, undo, params=params)
        assert await first_broken(audit) is None, f"{table}.{column} not restored"
    assert missed == []
    code, report = await verify_cli(audit)
    assert code == 2 and report["ok"]  # no checkpoint was signed: nothing to say about the head


async def test_a_removed_subject_row_is_found(audit: AuditContainer) -> None:
    await seed(audit, 3, subject_cpr_hmacs=["hmac-1", "hmac-2"])
    await out_of_band(audit, f"DELETE FROM disclosure_subjects WHERE seq_no = {TAMPERED} AND subject_key = 'hmac-2'")
    assert await first_broken(audit) == TAMPERED


async def test_an_early_erasure_fails_verification_even_with_its_retention_date_moved_back(
        audit: AuditContainer) -> None:
    await seed_expired(audit, 1)
    await seed(audit, 2, first_id=2)
    assert await purge_expired(audit.unit_of_work, today=date.today()) == 1
    assert await first_broken(audit) is None
    await out_of_band(audit, *(f"DELETE FROM {t} WHERE seq_no = 3" for t in ("disclosure_subjects",
                                                                            "disclosure_payloads")),
                      "UPDATE disclosure_log SET retention_until = '2020-01-01' WHERE seq_no = 3")
    code, report = await verify_cli(audit)
    assert code == 1 and report["breaks"] == [{"seq_no": 3, "reasons": ["HASH_MISMATCH"]}]


async def test_purge_keeps_a_record_younger_than_the_statutory_minimum_whatever_its_retention_date(
        audit: AuditContainer) -> None:
    # Accepted before the minimum was checked: retention 2020-01-01 for a disclosure of 2026.
    await seed_unchecked(audit, 1, retention_until=date(2020, 1, 1))
    await seed_expired(audit, 2)
    assert await purge_expired(audit.unit_of_work, today=date.today()) == 1  # only the 2014 record
    code, report = await verify_cli(audit)
    assert code == 2 and report["ok"] and report["erased"] == 1
    async with audit.unit_of_work() as uow:
        kept = await uow.log.find(UUID(int=1))
    assert kept is not None and kept["content"] is not None
