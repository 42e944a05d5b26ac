"""Running an auditor query by its id: checked for the filters it needs, and logged (append-only) in
``auditor_query_log`` with who ran it and the criteria (SIKBEK § 19: "bruger, tidspunkt ... det anvendte
søgekriterium")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from contracts.envelope import new_uuid7
from infohus.kit.telemetry import current_trace_id
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.derived import CooperationRegister
from services.audit.domain.values import format_utc
from services.audit.service_layer.queries.catalogue import BY_ID, QueryContext, QueryError, QuerySpec, UowFactory
from services.audit.service_layer.queries.disclosure_checks import (
    q3_rpl115_without_assessment,
    q4_rpl115_investigation,
    q5_rpl115_outside_cooperation,
    q6_rpl115a_minors,
    q7_sensitive_data,
    q8_onward_chain,
)
from services.audit.service_layer.queries.fact_checks import q9_underretninger, q12_completeness, q17_after_close
from services.audit.service_layer.queries.filters import Filters
from services.audit.service_layer.queries.integrity import Verifier, q11_integrity
from services.audit.service_layer.queries.overviews import (
    q1_per_person,
    q2_per_recipient,
    q15_per_employee,
    q18_rejected,
)
from services.audit.service_layer.queries.paging import QueryResult
from services.audit.service_layer.queries.record_checks import (
    q10_late_recording,
    q13_corrections,
    q14_subject_information,
    q16_retention,
)


async def run_query(query_id: str, filters: Filters, *, uow_factory: UowFactory, actor: str,
                    output_format: str = "json", now: datetime | None = None,
                    verifier: Verifier | None = None,
                    internal_mail_domains: tuple[str, ...] = ("ishoj.dk",),
                    register: CooperationRegister | None = None) -> QueryResult:
    """Run an auditor query and log it (append-only) in the same breath."""
    spec = BY_ID.get(query_id.upper())
    if spec is None:
        raise QueryError(f"unknown query {query_id}")
    missing = [name for name in spec.needs if getattr(filters, name) in (None, "")]
    if spec.needs_one_of and all(getattr(filters, name) in (None, "") for name in spec.needs_one_of):
        missing.append(" or ".join(spec.needs_one_of))
    if missing:
        raise QueryError(f"{spec.id} needs {', '.join(missing)}")
    now = now or datetime.now(UTC)
    async with uow_factory() as uow:
        if spec.id == "Q11":
            result = await q11_integrity(spec, filters, verifier)
        else:
            result = await RUNNERS[spec.id](uow, spec, filters, QueryContext(now, internal_mail_domains, register))
        await uow.query_log.add(entry_id=new_uuid7(), at=format_utc(now), actor=actor, query=spec.id,
                                parameters=filters.logged(), result_rows=result.total,
                                output_format=output_format, trace_id=current_trace_id())
        await uow.commit()
    return result


Runner = Callable[[AuditUnitOfWork, QuerySpec, Filters, QueryContext], Any]
RUNNERS: dict[str, Runner] = {
    "Q1": q1_per_person, "Q2": q2_per_recipient, "Q3": q3_rpl115_without_assessment,
    "Q4": q4_rpl115_investigation, "Q5": q5_rpl115_outside_cooperation, "Q6": q6_rpl115a_minors,
    "Q7": q7_sensitive_data, "Q8": q8_onward_chain, "Q9": q9_underretninger, "Q10": q10_late_recording,
    "Q12": q12_completeness, "Q13": q13_corrections, "Q14": q14_subject_information, "Q15": q15_per_employee,
    "Q16": q16_retention, "Q17": q17_after_close, "Q18": q18_rejected,
}
