"""What audit knows about a record's circumstances, read before its invariants are checked
(``domain/derived.py``): the register of cooperation participants (configuration) and the case facts
routing's events left (``case_facts``).
"""

from __future__ import annotations

from datetime import date

from contracts.events import DisclosureRecorded
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.derived import CooperationRegister, KnownFacts
from services.audit.domain.record import DisclosureDraft


def declared_anonymity(event: DisclosureRecorded) -> bool | None:
    """The caller's ``reporter_anonymous``, or None when the caller left it out."""
    return event.reporter_anonymous if "reporter_anonymous" in event.model_fields_set else None


def participation_declared(event: DisclosureRecorded) -> bool:
    return "recipient_is_cooperation_participant" in event.model_fields_set


async def known_facts(uow: AuditUnitOfWork, draft: DisclosureDraft,
                      register: CooperationRegister | None) -> KnownFacts:
    """A read of its own, committed (in a consumer's batch a unit of work must commit to count as done)."""
    concern = None if draft.concern_id is None else str(draft.concern_id)
    case = None if draft.infohus_case_id is None else str(draft.infohus_case_id)
    async with uow:
        rows = await uow.facts.cases_about(concern_id=concern, infohus_case_id=case)
        await uow.commit()
    # Anonymity belongs to a concern: a concern that joined a person's case opened by another concern has no
    # facts of its own here, and the opener's reporter says nothing about it.
    own = [r for r in rows if concern is None or r["concern_id"] == concern]
    anonymity = [bool(r["reporter_anonymous"]) for r in own if r["reporter_anonymous"] is not None]
    primary = draft.subject_person_ids[0]
    subject = next((r for r in rows if r["subject_person_id"] == primary and r["subject_adult_from"]), None)
    return KnownFacts(
        register=register,
        reporter_anonymous=any(anonymity) if anonymity else None,
        subject_person_id=None if subject is None else primary,
        subject_adult_from=None if subject is None else date.fromisoformat(str(subject["subject_adult_from"])))
