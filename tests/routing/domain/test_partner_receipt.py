"""The RECEIPT record of a partner authority's concern: its basis, and that audit's rules accept it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from contracts.concern import Channel, ConcernIn
from rules.codes import LegalBasis
from rules.facts import derive_facts
from services.audit.domain.derived import CooperationRegister, KnownFacts, reconcile
from services.audit.domain.invariant_types import InvariantContext
from services.audit.domain.invariants import check_invariants
from services.audit.domain.record import from_event
from services.audit.service_layer.append import completeness_violations
from services.routing.domain.disclosures import SystemInfo
from services.routing.domain.duplicates import fingerprint
from services.routing.domain.facts import concern_facts
from services.routing.domain.partner_receipt import partner_receipt

from ..builders import ADULT, CONFIG, MINOR, concern_body, person

RECEIVED = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
SYSTEM = SystemInfo(retention_years=5, system_version="test")
REGISTER = CooperationRegister({p.code: frozenset(p.forms) for p in CONFIG.cooperation_participants})
NECESSITY = "Personen er kendt for voldsparathed, og Infohus skal vurdere en indsats hurtigt."


def receipt_for(reporter: dict[str, Any], subject: dict[str, Any], channel: Channel = Channel.PARTNER) -> Any:
    body = concern_body(subjects=[person(subject)]) | {"reporter": reporter}
    concern = ConcernIn.model_validate(body)
    derived = derive_facts(concern, RECEIVED, CONFIG)
    facts = concern_facts(concern_id=uuid4(), reference="IH-2026-AAAA-BBBB", concern=concern, facts=derived,
                          key=b"k", fingerprint=fingerprint(concern, RECEIVED, b"k"), config_version=CONFIG.version)
    return partner_receipt(facts, concern.reporter, channel=channel, recorded_by="betjent", case_id=uuid4(),
                           config=CONFIG, system=SYSTEM)


def partner(authority: str, **more: str) -> dict[str, Any]:
    return {"category": "PARTNER_AUTHORITY", "authority": authority, "workplace": "Myndigheden", **more}


@pytest.mark.parametrize(("reporter", "subject", "basis", "source"), [
    (partner("POLICE"), MINOR, LegalBasis.BL133_UNDERRETNING, "KBHV_POLITI_INFOHUS"),
    (partner("MUNICIPALITY"), MINOR, LegalBasis.BL133_UNDERRETNING, "OTHER_MUNICIPALITY"),
    (partner("POLICE", cooperation_form="SSP", necessity_assessment=NECESSITY), ADULT, LegalBasis.RPL115_1_1_SSP,
     "KBHV_POLITI_INFOHUS"),
    (partner("POLICE", cooperation_form="KSP_B", necessity_assessment=NECESSITY), ADULT, LegalBasis.RPL115_1_3B_KSP,
     "KBHV_POLITI_INFOHUS"),
    (partner("KRIMINALFORSORGEN", cooperation_form="KSP_A", necessity_assessment=NECESSITY), ADULT,
     LegalBasis.RPL115_2, "KRIMINALFORSORGEN"),
    # Kriminalforsorgen takes no part in SSP, the region is not in Ishøj's register: no § 115 exchange.
    (partner("KRIMINALFORSORGEN", cooperation_form="SSP", necessity_assessment=NECESSITY), ADULT,
     LegalBasis.OTHER_REVIEWED, "KRIMINALFORSORGEN"),
    (partner("REGION", cooperation_form="PSP", necessity_assessment=NECESSITY), ADULT, LegalBasis.OTHER_REVIEWED,
     "REGION"),
    (partner("POLICE"), ADULT, LegalBasis.OTHER_REVIEWED, "KBHV_POLITI_INFOHUS"),
])
def test_the_basis_is_the_authoritys_own_duty_and_audit_accepts_the_record(
        reporter: dict[str, Any], subject: dict[str, Any], basis: LegalBasis, source: str) -> None:
    event = receipt_for(reporter, subject)
    assert (event.kind, event.legal_basis, event.discloser_authority) == ("RECEIPT", basis, source)
    assert event.recipient_authority == "ISHOEJ_KOMMUNE" and event.executed_by == "betjent (partner)"
    reconciled = reconcile(from_event(event, recorded_at=RECEIVED), declared_anonymous=event.reporter_anonymous,
                           participation_declared="recipient_is_cooperation_participant" in event.model_fields_set,
                           known=KnownFacts(register=REGISTER))
    draft = reconciled.draft
    assert reconciled.violations == [] and check_invariants(draft, context=InvariantContext()) == []
    assert draft.recipient_is_cooperation_participant is (basis in (LegalBasis.RPL115_1_1_SSP,
                                                                     LegalBasis.RPL115_1_3B_KSP, LegalBasis.RPL115_2))


def test_a_partner_report_by_mail_is_a_receipt_the_mail_log_need_not_confirm() -> None:
    event = receipt_for(partner("POLICE"), MINOR, channel=Channel.EMAIL)
    assert event.channel == "SECURE_EMAIL" and event.transport_ref is None
    assert completeness_violations(from_event(event, recorded_at=RECEIVED)) == []


def test_no_receipt_for_other_reporters() -> None:
    for reporter in ({"category": "PROF_PUBLIC", "name": "Lærer", "workplace": "Skolen"}, {"category": "SELF"}):
        assert receipt_for(reporter, MINOR, channel=Channel.PHONE) is None
