"""The compact truth table of docs/legal.md §C.4, one test case per row.

Single subject, Ishøj resident, NEW, default (Ishøj) configuration. The table's "key messages" omit
M_112_LINE in some rows; §C.3 shows it on every non-acute answer, so the full lists below include it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from contracts.events import Destination, Priority
from rules.decision_table import decide
from rules.messages import render_reporter_messages
from rules.vocabulary import Flag, MessageId
from tests.routing.builders import (
    ADULT,
    CLOSED_SATURDAY_NIGHT,
    CLOSED_TUESDAY_NIGHT,
    CONFIG,
    HOTLINE_FRIDAY,
    HOTLINE_TUESDAY,
    MINOR,
    NEAR_18,
    OPEN_TUESDAY,
    UNKNOWN_AGE,
    at,
    concern,
    person,
)

D = Destination
M = MessageId
TK = (D.INFOHUS_TK,)
TK_OOH = (D.INFOHUS_TK, D.OOH_ESCALATION)
TK_UND = (D.INFOHUS_TK, D.UNDERRETNING)
TK_UND_OOH = (D.INFOHUS_TK, D.UNDERRETNING, D.OOH_ESCALATION)
P0, P1, P2 = Priority.P0, Priority.P1, Priority.P2


@dataclass(frozen=True)
class Row:
    name: str
    subject: dict[str, Any]
    reporter: str
    instant: str
    destinations: tuple[Destination, ...]
    priority: Priority
    clock_24h: bool
    receipt_6_hverdage: bool
    messages: tuple[MessageId, ...]
    acuteness: str = "ROUTINE"
    crime: bool = False
    children: list[dict[str, Any]] = field(default_factory=list)
    flags: frozenset[Flag] = frozenset()


ROWS = [
    Row("minor, professional, open", MINOR, "PROF_PUBLIC", OPEN_TUESDAY, TK_UND, P1, True, True,
        (M.M_ACK, M.M_UND_PROF, M.M_OPEN, M.M_112_LINE)),
    Row("minor, citizen, hotline only", MINOR, "CITIZEN", HOTLINE_TUESDAY, TK_UND, P1, True, True,
        (M.M_ACK, M.M_UND_CITIZEN, M.M_CLOSED_NEXT, M.M_HOTLINE, M.M_112_LINE)),
    Row("minor, citizen, hotline only, 24 h due before next opening", MINOR, "CITIZEN", HOTLINE_FRIDAY,
        TK_UND_OOH, P1, True, True, (M.M_ACK, M.M_UND_CITIZEN, M.M_CLOSED_NEXT, M.M_HOTLINE, M.M_112_LINE),
        flags=frozenset({Flag.ASSESSMENT_DEADLINE_AT_RISK})),
    Row("minor, anonymous, all closed", MINOR, "ANONYMOUS", CLOSED_TUESDAY_NIGHT, TK_UND, P1, True, False,
        (M.M_ACK, M.M_UND_CITIZEN, M.M_CLOSED_NEXT, M.M_112_LINE)),
    Row("minor, anonymous, all closed, 24 h due before next opening", MINOR, "ANONYMOUS",
        CLOSED_SATURDAY_NIGHT, TK_UND_OOH, P1, True, False,
        (M.M_ACK, M.M_UND_CITIZEN, M.M_CLOSED_NEXT, M.M_112_LINE),
        flags=frozenset({Flag.ASSESSMENT_DEADLINE_AT_RISK})),
    Row("near 18, contactable", NEAR_18, "CITIZEN", OPEN_TUESDAY, TK_UND, P1, True, True,
        (M.M_ACK, M.M_UND_CITIZEN, M.M_OPEN, M.M_112_LINE), flags=frozenset({Flag.ADULT_TRANSITION})),
    Row("near 18, not contactable", NEAR_18, "CITIZEN_NO_CONTACT", OPEN_TUESDAY, TK_UND, P1, True, False,
        (M.M_ACK, M.M_UND_CITIZEN, M.M_OPEN, M.M_112_LINE), flags=frozenset({Flag.ADULT_TRANSITION})),
    Row("unknown age", UNKNOWN_AGE, "PROF_BEK1602", OPEN_TUESDAY, TK_UND, P1, True, True,
        (M.M_ACK, M.M_UND_PROF, M.M_AGE_UNKNOWN, M.M_OPEN, M.M_112_LINE),
        flags=frozenset({Flag.AGE_UNVERIFIED})),
    Row("adult, professional, open", ADULT, "PROF_PUBLIC", OPEN_TUESDAY, TK, P2, False, False,
        (M.M_ACK, M.M_OPEN, M.M_112_LINE)),
    Row("adult, citizen, crime, open", ADULT, "CITIZEN", OPEN_TUESDAY, TK, P1, False, False,
        (M.M_ACK, M.M_POLICE_114, M.M_OPEN, M.M_112_LINE), crime=True,
        flags=frozenset({Flag.CRIME_SUSPICION})),
    Row("adult, urgent, all closed", ADULT, "CITIZEN", CLOSED_TUESDAY_NIGHT, TK, P1, False, False,
        (M.M_ACK, M.M_CLOSED_NEXT, M.M_112_LINE), acuteness="URGENT"),
    Row("adult, acute, all closed", ADULT, "CITIZEN", CLOSED_TUESDAY_NIGHT, TK_OOH, P0, False, False,
        (M.M_112_FIRST, M.M_ACK, M.M_CLOSED_NEXT), acuteness="ACUTE",
        flags=frozenset({Flag.ACUTE, Flag.DISCLOSURE_PROPOSED_TASK})),
    Row("minor, acute, crime, all closed", MINOR, "CITIZEN", CLOSED_TUESDAY_NIGHT, TK_UND_OOH, P0, True, True,
        (M.M_112_FIRST, M.M_ACK, M.M_UND_CITIZEN, M.M_CLOSED_NEXT), acuteness="ACUTE", crime=True,
        flags=frozenset({Flag.ACUTE, Flag.DISCLOSURE_PROPOSED_TASK, Flag.CRIME_SUSPICION})),
    Row("adult with children at risk, open", ADULT, "CITIZEN", OPEN_TUESDAY, TK_UND, P1, True, True,
        (M.M_ACK, M.M_UND_CITIZEN, M.M_OPEN, M.M_112_LINE), children=[person(MINOR)]),
    Row("adult self-referral", ADULT, "SELF", CLOSED_TUESDAY_NIGHT, TK, P2, False, False,
        (M.M_ACK, M.M_CLOSED_NEXT, M.M_12B, M.M_112_LINE), flags=frozenset({Flag.SELF_REFERRAL_SEL_12B})),
    Row("adult self-referral, anonymous", ADULT, "SELF_ANONYMOUS", CLOSED_TUESDAY_NIGHT, TK, P2, False, False,
        (M.M_ACK, M.M_CLOSED_NEXT, M.M_12B, M.M_112_LINE), flags=frozenset({Flag.SELF_REFERRAL_SEL_12B})),
    Row("minor, partner authority, open", MINOR, "PARTNER_AUTHORITY", OPEN_TUESDAY, TK_UND, P1, True, True,
        (M.M_ACK, M.M_UND_PROF, M.M_OPEN, M.M_112_LINE)),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_truth_table_row(row: Row) -> None:
    received_at = at(row.instant)
    the_concern = concern(
        reporter=row.reporter,
        subjects=[person(row.subject)],
        children=row.children,
        acuteness=row.acuteness,
        crime=row.crime,
    )
    decision = decide(the_concern, received_at, CONFIG)

    assert decision.destinations == row.destinations
    assert decision.priority is row.priority
    assert bool(decision.underretninger) is row.clock_24h
    receipts = {u.receipt_confirmation_due_date is not None for u in decision.underretninger}
    assert receipts <= {row.receipt_6_hverdage}
    assert decision.reporter_messages == row.messages
    assert row.flags <= set(decision.flags)

    rendered = render_reporter_messages(
        decision,
        reference="IH-2026-TEST",
        received_at=received_at,
        config=CONFIG,
        contactable=the_concern.reporter.contactable,
    )
    assert [message.id for message in rendered] == list(row.messages)
    assert ("kvittering senest" in " ".join(m.text for m in rendered)) is row.receipt_6_hverdage
