"""A data subject's access request (GDPR art. 15) in the disclosure log: every record about the person
(found by the keyed hash of the CPR number, as Q1 finds them) with its recipient or source, dates, basis and
purpose, and the earlier reads of those records and searches for the person; never who executed, decided or
read (CJEU C-579/21), nor the necessity assessment (the staff's own words).

The request itself is kept here, in the append-only auditor query log (query ``SUBJECT_ACCESS``): the
administrator, when, the person's key, the reason given and the request id every service's read-access log
names. It and the read-access rows of the concerns exported are committed before the answer leaves.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from contracts.cpr import cpr_hmac
from contracts.envelope import new_uuid7
from contracts.subject_access import AuditPart, Consultation, DisclosureAboutPerson, SubjectAccessRequest
from infohus.kit.auth import CaseKind, Principal, ReadAccessLogger, ReadPurpose, Role
from infohus.kit.auth.subject_access import consultations, log_export
from infohus.kit.telemetry import current_trace_id
from services.audit.adapters.orm import auditor_query_log, disclosure_log, disclosure_payloads, disclosure_subjects
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.values import format_utc

QUERY = "SUBJECT_ACCESS"
"""The auditor query log's name for a subject-access export."""
_p = disclosure_payloads.c
_COLUMNS = [column for column in disclosure_payloads.c if column.name in DisclosureAboutPerson.model_fields]


async def export_disclosures(uow: AuditUnitOfWork, log: ReadAccessLogger, principal: Principal,
                             request: SubjectAccessRequest, *, hmac_key: bytes, now: datetime) -> AuditPart:
    subject = cpr_hmac(hmac_key, request.cpr)
    async with uow:
        rows = (await uow.session.execute(
            select(disclosure_log.c.record_id, *_COLUMNS)
            .join(disclosure_log, disclosure_log.c.seq_no == _p.seq_no)
            .join(disclosure_subjects, disclosure_subjects.c.seq_no == _p.seq_no)
            .where(disclosure_subjects.c.subject_key == subject).order_by(_p.occurred_at, _p.seq_no))).mappings().all()
        records = [_record(row) for row in rows]
        concern_ids = [str(r.concern_id) for r in records if r.concern_id is not None]
        case_ids = [str(r.infohus_case_id) for r in records if r.infohus_case_id is not None]
        earlier = [*await consultations(log, uow.session, [*concern_ids, *case_ids]), *await _searches(uow, subject)]
        await uow.query_log.add(entry_id=new_uuid7(), at=format_utc(now), actor=principal.user_id[:200], query=QUERY,
                                parameters={"subject": subject, "reason": request.reason,
                                            "request_id": str(request.request_id)},
                                result_rows=len(records), output_format="json", trace_id=current_trace_id())
        await log_export(log, uow.session, principal, case_kind=CaseKind.CONCERN, case_ids=concern_ids,
                         request_id=request.request_id, parts=("disclosure_records",))
        await uow.commit()
    return AuditPart(disclosures=records, consultations=sorted(earlier, key=lambda c: c.read_at))


def _record(row: Any) -> DisclosureAboutPerson:
    values = {key: row[key] for key in DisclosureAboutPerson.model_fields if key in row}
    values["data_categories"] = [code for code in str(row["data_categories"] or "").split(",") if code]
    return DisclosureAboutPerson.model_validate(values)


async def _searches(uow: AuditUnitOfWork, subject: str) -> list[Consultation]:
    """The auditor queries (and earlier exports) that searched for the person by their key."""
    criterion = json.dumps({"subject": subject})[1:-1]  # as the log's sorted JSON holds it
    t = auditor_query_log.c
    rows = (await uow.session.execute(select(t.at, t.query).where(t.parameters.contains(criterion, autoescape=True))
                                      .order_by(t.at, t.entry_id))).all()
    return [Consultation(read_at=at, service="audit", roles=[_role_of(query).value], purpose=_purpose_of(query).value,
                         parts=[f"query:{query}"]) for at, query in rows]


def _role_of(query: str) -> Role:
    return Role.ADMINISTRATOR if query == QUERY else Role.AUDITOR


def _purpose_of(query: str) -> ReadPurpose:
    return ReadPurpose.SUBJECT_ACCESS if query == QUERY else ReadPurpose.AUDIT

