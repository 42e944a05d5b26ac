"""Case, underretning and mail facts (SQLite and PostgreSQL): any arrival order converges, a redelivered
event changes nothing (the inbox), and only the recipient's domain is kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from services.audit.adapters.orm import mail_gateway_log, tables
from services.audit.domain.facts import end_of_danish_day, is_internal_domain, minor_possible, recipient_domain
from services.audit.service_layer.facts import (
    handle_case_opened,
    handle_case_transitioned,
    handle_notification_dead_lettered,
    handle_notification_sent,
    handle_underretning_updated,
)
from tests.audit.facts_builders import (
    RECEIVED,
    case_opened,
    case_transitioned,
    mail_dead_lettered,
    mail_sent,
    underretning,
)

TRIAGED = RECEIVED + timedelta(hours=20)
CLOSED = RECEIVED + timedelta(days=3)
HANDLERS: dict[str, Any] = {"CaseOpened": handle_case_opened, "CaseTransitioned": handle_case_transitioned,
                            "UnderretningUpdated": handle_underretning_updated,
                            "NotificationSent": handle_notification_sent,
                            "NotificationDeadLettered": handle_notification_dead_lettered}


async def deliver(audit, *envelopes: Any) -> None:
    for envelope in envelopes:
        await HANDLERS[envelope.type](envelope, uow=audit.unit_of_work())


async def case_row(audit, case: int) -> dict[str, Any] | None:
    async with audit.unit_of_work() as uow:
        return await uow.facts.case(str(UUID(int=case)))


@pytest.mark.parametrize("order", ["opened_first", "transitions_first", "close_before_triage"])
async def test_case_facts_converge_in_any_arrival_order(audit, order: str) -> None:
    opened = case_opened(1, bands=("ADULT", "MINOR"), subject_index=1, underretninger=(11,))
    triage = case_transitioned(1, "TRIAGE_COMPLETED", "OUT_OF_SCOPE", TRIAGED)
    closed = case_transitioned(1, "CLOSED", "CLOSED", CLOSED, from_state="OUT_OF_SCOPE")
    sequence = {"opened_first": (opened, triage, closed), "transitions_first": (triage, closed, opened),
                "close_before_triage": (closed, opened, triage)}[order]
    await deliver(audit, *sequence)
    row = await case_row(audit, 1)
    assert row is not None
    assert {k: row[k] for k in ("reference", "minor_possible", "underretning_count", "triage_outcome",
                                "triage_completed_at", "closed_at", "opened_at")} == {
        "reference": "REF-1", "minor_possible": True, "underretning_count": 1, "triage_outcome": "OUT_OF_SCOPE",
        "triage_completed_at": "2026-03-03T05:00:00.000000Z", "closed_at": "2026-03-05T09:00:00.000000Z",
        "opened_at": "2026-03-02T09:00:00.000000Z"}


async def test_a_transition_that_neither_triages_nor_closes_keeps_what_was_recorded(audit) -> None:
    await deliver(audit, case_transitioned(2, "CLOSED", "CLOSED", CLOSED),
                  case_transitioned(2, "PUT_ON_HOLD", "ON_HOLD", CLOSED + timedelta(days=1), from_state="SCREENING"),
                  case_transitioned(2, "CLOSED", "CLOSED", CLOSED + timedelta(days=2)))
    row = await case_row(audit, 2)
    assert row is not None and row["closed_at"] == "2026-03-05T09:00:00.000000Z" and row["triage_outcome"] is None
    assert row["minor_possible"] is None  # CaseOpened has not arrived yet


async def test_a_redelivered_event_is_not_applied_twice(audit) -> None:
    """The inbox decides: the same event id again is skipped, even where the upsert alone would change the row."""
    first = case_transitioned(3, "CLOSED", "CLOSED", CLOSED)
    await deliver(audit, first)
    redelivered = first.model_copy(update={"payload": first.payload.model_copy(
        update={"at": CLOSED - timedelta(days=1)})})
    await deliver(audit, redelivered)
    row = await case_row(audit, 3)
    assert row is not None and row["closed_at"] == "2026-03-05T09:00:00.000000Z"
    async with audit.unit_of_work() as uow:
        assert await uow.inbox.seen(first.event_id)
        processed = (await uow.session.execute(select(tables.inbox.c.event_id))).scalars().all()
    assert processed == [str(first.event_id)]


async def test_the_latest_underretning_update_wins_whatever_arrives_last(audit) -> None:
    newer = underretning(21, case=1, updated=RECEIVED + timedelta(hours=30), state="ASSESSED",
                         assessed_at=RECEIVED + timedelta(hours=30))
    older = underretning(21, case=1, updated=RECEIVED)
    await deliver(audit, newer, older)
    async with audit.unit_of_work() as uow:
        row = await uow.facts.underretning(str(UUID(int=21)))
    assert row is not None and (row["state"], row["assessed_at"]) == ("ASSESSED", "2026-03-03T15:00:00.000000Z")
    # 10 March 2026 ends at midnight Danish time (CET, UTC+1).
    assert row["receipt_confirmation_due_end"] == "2026-03-10T23:00:00.000000Z"


async def test_the_gateway_log_keeps_the_recipient_domain_and_no_address(audit) -> None:
    await deliver(audit, mail_sent(31, "Anna.Jensen@Politi.DK", concern=5),
                  mail_dead_lettered(32, concern=5, reason="SMTP 550 <anna.jensen@politi.dk> ukendt"),
                  mail_sent(31, "Anna.Jensen@Politi.DK", concern=5))
    async with audit.unit_of_work() as uow:
        rows = await uow.facts.mails(str(UUID(int=5)))
        everything = (await uow.session.execute(select(mail_gateway_log))).all()
    assert [(r["outcome"], r["recipient_domain"]) for r in rows] == [("SENT", "politi.dk"), ("DEAD_LETTERED", None)]
    assert rows[1]["reason"] == "SMTP 550 <<adresse>> ukendt"
    assert "anna" not in repr(everything).lower()


async def test_the_service_role_may_upsert_facts_but_not_change_the_log(audit_postgres) -> None:
    """Facts are projections (UPDATE granted); the log's tables stay insert-only for the same role."""
    await deliver(audit_postgres, case_opened(4))
    async with audit_postgres.runtime.engine.connect() as connection:
        await connection.execute(text("SET LOCAL ROLE infohus_audit_app"))
        await connection.execute(text("UPDATE case_facts SET closed_at = 'x' WHERE reference = 'REF-4'"))
        with pytest.raises(DBAPIError):
            await connection.execute(text("UPDATE auditor_query_log SET actor = 'x'"))
        await connection.rollback()


def test_minor_possible_reads_the_subjects_own_band() -> None:
    assert minor_possible(["ADULT", "MINOR"], 1) and not minor_possible(["ADULT", "MINOR"], 0)
    assert minor_possible(["UNKNOWN"], 0) and minor_possible(["MINOR_NEAR_18"], 0)
    assert minor_possible(["ADULT", "MINOR"], 5) and not minor_possible(["ADULT"], 3)


def test_mail_domains() -> None:
    assert recipient_domain("Tk@Ishoj.dk") == "ishoj.dk" and recipient_domain("<a@b.dk>") == "b.dk"
    assert recipient_domain("") is None and recipient_domain("no-at-sign") is None
    assert is_internal_domain("ishoj.dk", ("ishoj.dk",)) and is_internal_domain("straxen.ishoj.dk", ("ishoj.dk",))
    assert not is_internal_domain("notishoj.dk", ("ishoj.dk",)) and not is_internal_domain("politi.dk", ("ishoj.dk",))


def test_end_of_a_danish_day_in_summer_time() -> None:
    from datetime import date
    assert end_of_danish_day(date(2026, 7, 1)).isoformat() == "2026-07-01T22:00:00+00:00"
