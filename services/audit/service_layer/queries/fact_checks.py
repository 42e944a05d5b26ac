"""The auditor queries Q1–Q18 of legal-research.md §D4, with filters and pagination; each run is logged.

Every query reads ``disclosure_payloads`` (so an erased record no longer shows, except in Q11 and
Q16) and is logged in ``auditor_query_log`` with who ran it and the criteria (SIKBEK § 19: "bruger,
tidspunkt ... det anvendte søgekriterium").

Q9, Q12 (its mail-gateway half) and Q17 also read the case, underretning and mail facts audit keeps
from routing's and notify's events (``case_facts``, ``underretning_facts``, ``mail_gateway_log``; see
``domain/facts.py``). Instants are compared as the fixed-width UTC text both databases sort alike.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, String, and_, case, cast, exists, func, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from contracts.envelope import new_uuid7
from infohus.kit.telemetry import current_trace_id
from services.audit.adapters.columns import parse_instant
from services.audit.adapters.orm import (
    auditor_query_log,
    case_facts,
    disclosure_log,
    disclosure_payloads,
    disclosure_subjects,
    mail_gateway_log,
    underretning_facts,
)
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.derived import CooperationRegister
from services.audit.domain.facts import DEAD_LETTERED, OUT_OF_SCOPE, SENT
from services.audit.domain.office_days import COPENHAGEN, office_days_between
from services.audit.domain.values import format_utc

p = disclosure_payloads
lg = disclosure_log
cf = case_facts
uf = underretning_facts
mg = mail_gateway_log
LEAVING_KINDS = ("DISCLOSURE", "INTERNAL_TRANSFER")
MOVING_KINDS = ("DISCLOSURE", "RECEIPT", "INTERNAL_TRANSFER")
NOT_REJECTED = p.c.kind != "DECISION_REJECTED"
# "RPL115_*": the § 115 bases proper. The underscore is a LIKE wildcard, so it is escaped; this
# leaves out RPL115A_FAMILY (§ 115 a), which Q6 covers.
RPL115 = p.c.legal_basis.like("RPL115\\_%", escape="\\")
MAX_PAGE = 1000
MAX_EXPORT = 100_000
STAFF_COLUMNS = ("executed_by", "decided_by")


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_from: date | None = None
    date_to: date | None = None
    subject: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=64)
    recipient: str | None = Field(default=None, max_length=80)
    legal_basis: str | None = Field(default=None, max_length=40)
    kind: str | None = Field(default=None, max_length=32)
    employee: str | None = Field(default=None, max_length=200)
    from_seq_no: int | None = Field(default=None, ge=1)
    to_seq_no: int | None = Field(default=None, ge=1)
    include_staff: bool = False
    limit: int = Field(default=100, ge=1, le=MAX_EXPORT)
    offset: int = Field(default=0, ge=0)

    def logged(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


@dataclass(frozen=True)
class QuerySpec:
    id: str
    title_da: str
    description_da: str
    zero_is_compliant: bool = False
    needs: tuple[str, ...] = ()
    note_da: str | None = None
    # At least one of these filters (Q1: a person's key or a concern's reference).
    needs_one_of: tuple[str, ...] = ()


SPECS: tuple[QuerySpec, ...] = (
    QuerySpec("Q1", "Pr. registreret person",
              "Alle videregivelser, modtagelser og interne overførsler om en person (søgt på CPR-nummer "
              "eller henvendelsens referencenummer) i en periode: tidspunkt, modtager eller kilde, hjemmel, "
              "formål og kategorier. Medarbejderes identitet vises ikke (C-579/21).",
              needs_one_of=("subject", "reference")),
    QuerySpec("Q2", "Pr. modtager", "Alt sendt til en modtager i en periode, grupperet efter hjemmel, "
              "samarbejdsform og formål, med antal.", needs=("recipient",)),
    QuerySpec("Q3", "§ 115 uden nødvendighedsvurdering eller beslutningstager",
              "Videregivelser efter § 115 uden (tilstrækkelig) nødvendighedsvurdering eller uden angivelse "
              "af, hvem der besluttede. Skal give 0 rækker.", zero_is_compliant=True),
    QuerySpec("Q4", "Efterforskningsformål under § 115",
              "§ 115-videregivelser med formålet anmeldelse, eller uden bekræftelse af, at oplysningerne "
              "ikke bruges til efterforskning. Skal give 0 rækker.", zero_is_compliant=True),
    QuerySpec("Q5", "Modtagere uden for samarbejdet under § 115",
              "§ 115-videregivelser til modtagere, der ikke deltager i samarbejdet. Skal give 0 rækker.",
              zero_is_compliant=True),
    QuerySpec("Q6", "§ 115 a om mindreårige", "§ 115 a-videregivelser om personer under 18 år eller "
              "uden kendt alder. Skal give 0 rækker.", zero_is_compliant=True),
    QuerySpec("Q7", "Følsomme oplysninger, strafbare forhold og bandeoplysninger",
              "Videregivelser med særlige kategorier, strafbare forhold eller bandetilknytning, pr. "
              "hjemmel og modtager, til stikprøvekontrol."),
    QuerySpec("Q8", "Videregivelseskæde", "Videregivelser af oplysninger modtaget efter § 115, med "
              "kildeposten og den selvstændige hjemmel for den videre videregivelse."),
    QuerySpec("Q9", "Underretninger", "Underretningspligt (barnets lov §§ 133-138): (a) sager om en mulig "
              "mindreårig uden underretning, (b) vurdering efter 24-timers-fristen eller endnu ikke vurderet "
              "efter fristen, (c) kvittering efter fristens udløb eller endnu ikke kvitteret efter fristen, "
              "(d) fagpersoner, der endnu ikke er orienteret, med alder i dage. (a)-(c) skal give 0 rækker; "
              "videresendte underretninger tæller ikke som udestående.",
              note_da="Bygger på routings hændelser om sager og underretninger; \"mulig mindreårig\" medregner "
                      "sager, hvor alderskilderne var uenige."),
    QuerySpec("Q10", "Sen registrering", "Poster registreret mere end 24 timer efter videregivelsen, og "
              "mundtlige mødevideregivelser registreret mere end 2 arbejdsdage senere."),
    QuerySpec("Q11", "Integritet", "Genberegning af hashkæden over et interval af løbenumre: første "
              "brud og eventuelle huller.", zero_is_compliant=True),
    QuerySpec("Q12", "Fuldstændighed", "Afstemning mod mail-gatewayens log: mails til modtagere uden for "
              "kommunens egne domæner, hvis henvendelse ikke har en post i loggen (skal give 0); "
              "mislykkede leverancer (gatewayens og loggens); sikre mails uden transportreference.",
              zero_is_compliant=True),
    QuerySpec("Q13", "Rettelser og fejlmeddelelser", "Poster, der senere er rettet, og om modtageren "
              "fik en fejlmeddelelse (RECIPIENT_ERROR_NOTICE)."),
    QuerySpec("Q14", "Underretning af den registrerede", "Poster med udsat underretning (DEFERRED_*), hvis "
              "revurderingsdato (review_at) er overskredet eller mangler, og poster med status PENDING ældre "
              "end 1 måned, som ikke er rettet siden. Skal give 0 rækker.", zero_is_compliant=True),
    QuerySpec("Q15", "Pr. medarbejder", "Udførte og besluttede videregivelser pr. medarbejder pr. måned, "
              "med markering af afvigere (mere end 3 gange månedens median og mindst 10)."),
    QuerySpec("Q16", "Opbevaring", "Poster, hvis opbevaringsfrist er udløbet, men hvis indhold endnu ikke "
              "er slettet. Skal give 0 rækker efter hver sletning.", zero_is_compliant=True,
              note_da="Retlig tilbageholdelse (legal hold) er endnu ikke en del af loggen."),
    QuerySpec("Q17", "Videregivelse efter lukket sag", "Videregivelser og interne overførsler efter sagens "
              "lukning eller efter triageudfaldet OUT_OF_SCOPE, til gennemgang (fx en lovlig underretning "
              "efter et OUT_OF_SCOPE-udfald)."),
    QuerySpec("Q18", "Afviste forslag", "Antal DECISION_REJECTED pr. hjemmel: viser, at "
              "nødvendighedsvurderingerne er reelle."),
)
BY_ID = {spec.id: spec for spec in SPECS}

# Column headings on the auditor page (the API and CSV keep the field names of §D1); the values' code
# lists are in ``domain/labels.py``.
LABELS_DA: dict[str, str] = {
    "seq_no": "Løbenr.", "record_id": "Post-id", "kind": "Art", "occurred_at": "Tidspunkt",
    "recorded_at": "Registreret", "discloser_authority": "Afgivende myndighed",
    "discloser_unit": "Afgivende enhed", "recipient_authority": "Modtager", "recipient_unit": "Modtagende enhed",
    "legal_basis": "Hjemmel", "cooperation_form": "Samarbejdsform", "purpose": "Formål",
    "data_categories": "Kategorier", "channel": "Kanal", "delivery_status": "Levering",
    "executed_by": "Udført af", "decided_by": "Besluttet af", "direction": "Retning", "counterpart": "Modpart",
    "count": "Antal", "necessity_assessment": "Nødvendighedsvurdering",
    "not_for_investigation": "Ikke til efterforskning",
    "recipient_is_cooperation_participant": "Deltager i samarbejdet",
    "subject_age_at_occurrence": "Alder", "contains_special_categories": "Følsomme oplysninger",
    "contains_criminal_data": "Strafbare forhold", "contains_gang_info": "Bandeoplysninger",
    "onward_legal_basis": "Hjemmel for videregivelsen", "source_record_id": "Kildepost",
    "source_seq_no": "Kildens løbenr.", "source_legal_basis": "Kildens hjemmel", "source_authority": "Kilde",
    "source_occurred_at": "Modtaget", "source_missing": "Kildepost mangler",
    "recording_lag_s": "Forsinkelse (sek.)", "lag_hours": "Forsinkelse (timer)",
    "oral_over_2_office_days": "Mundtlig, over 2 arbejdsdage", "finding": "Fund", "transport_ref": "Transportreference",
    "original_seq_no": "Rettet løbenr.", "original_record_id": "Rettet post", "original_recipient": "Modtager",
    "correction_seq_no": "Rettelsens løbenr.", "correction_record_id": "Rettelse", "corrected_at": "Rettet",
    "recipient_notified": "Modtager underrettet", "notice_record_id": "Fejlmeddelelse",
    "subject_information_status": "Underretning af den registrerede", "month": "Måned", "employee": "Medarbejder",
    "role": "Rolle", "month_median": "Månedens median", "outlier": "Afviger", "retention_until": "Opbevares til",
    "finding_da": "Fund (forklaring)", "reference": "Sagsreference", "infohus_case_id": "Sag",
    "underretning_id": "Underretning", "legal_type": "Type", "state": "Tilstand", "at": "Tidspunkt",
    "due_at": "Frist", "done_at": "Udført", "age_days": "Alder (dage)", "closed_at": "Lukket",
    "triage_outcome": "Triageudfald", "triage_completed_at": "Triage afsluttet", "source": "Kilde",
    "concern_id": "Henvendelse", "recipient": "Modtager", "reason": "Årsag", "review_at": "Revurderes",
    "fact_provenance": "Kontrolleret / oplyst",
}

FINDINGS_DA: dict[str, str] = {
    "MISSING_UNDERRETNING": "Mulig mindreårig uden underretning",
    "ASSESSED_LATE": "Vurderet efter 24-timers-fristen",
    "NOT_ASSESSED_PAST_DUE": "Ikke vurderet, fristen er overskredet",
    "RECEIPT_CONFIRMED_LATE": "Kvitteret efter fristen",
    "RECEIPT_NOT_CONFIRMED_PAST_DUE": "Ikke kvitteret, fristen er overskredet",
    "PROFESSIONAL_NOT_ORIENTED": "Fagperson endnu ikke orienteret",
    "EXTERNAL_MAIL_WITHOUT_RECORD": "Ekstern mail uden post i loggen",
    "DELIVERY_DEAD_LETTERED": "Mail opgivet af gatewayen",
    "RECORD_DELIVERY_FAILED": "Post med mislykket levering",
    "SECURE_EMAIL_WITHOUT_TRANSPORT_REF": "Sikker mail uden transportreference",
    "AFTER_CLOSE": "Efter sagens lukning",
    "AFTER_OUT_OF_SCOPE": "Efter triageudfaldet OUT_OF_SCOPE",
    "REVIEW_OVERDUE": "Revurdering overskredet",
    "NO_REVIEW_DATE": "Udsat uden revurderingsdato",
    "PENDING_OVER_1_MONTH": "PENDING i mere end 1 måned",
}


@dataclass
class QueryResult:
    query: str
    title_da: str
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    zero_is_compliant: bool
    note_da: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def compliant(self) -> bool | None:
        return (self.total == 0) if self.zero_is_compliant else None

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "title_da": self.title_da, "columns": self.columns, "rows": self.rows,
                "total": self.total, "limit": self.limit, "offset": self.offset,
                "zero_is_compliant": self.zero_is_compliant, "compliant": self.compliant,
                "note_da": self.note_da, **self.extra}


@dataclass(frozen=True)
class QueryContext:
    """What a query needs besides its filters: the time it runs at and the municipality's settings."""

    now: datetime
    internal_mail_domains: tuple[str, ...] = ("ishoj.dk",)
    register: CooperationRegister | None = None


class QueryError(ValueError):
    """A query asked for without what it needs (e.g. Q1 without a subject)."""


UowFactory = Callable[[], AuditUnitOfWork]
Verifier = Callable[[Filters], Any]


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
            result = await _q11(spec, filters, verifier)
        else:
            result = await RUNNERS[spec.id](uow, spec, filters, QueryContext(now, internal_mail_domains, register))
        await uow.query_log.add(entry_id=new_uuid7(), at=format_utc(now), actor=actor, query=spec.id,
                                parameters=filters.logged(), result_rows=result.total,
                                output_format=output_format, trace_id=current_trace_id())
        await uow.commit()
    return result


@dataclass(frozen=True)
class IntegrityStatus:
    """What the auditor index shows about the log's integrity, from what audit stores: the log's size, the
    last signed checkpoint and the last integrity check run as Q11 (the CLI's ``verify`` stores none)."""

    log_size: int
    checkpoint_at: datetime | None = None
    checkpoint_tree_size: int | None = None
    verified_at: str | None = None
    verified_findings: int | None = None
    verified_range: str | None = None


async def integrity_status(uow_factory: UowFactory) -> IntegrityStatus:
    async with uow_factory() as uow:
        size = await uow.log.count()
        checkpoint = await uow.checkpoints.latest()
        last_check = (await uow.session.execute(
            select(auditor_query_log.c.at, auditor_query_log.c.parameters, auditor_query_log.c.result_rows)
            .where(auditor_query_log.c.query == "Q11").order_by(auditor_query_log.c.at.desc()).limit(1))).first()
    status = IntegrityStatus(size, checkpoint.issued_at if checkpoint else None,
                             checkpoint.tree_size if checkpoint else None)
    if last_check is None:
        return status
    parameters = json.loads(last_check.parameters)
    first, last = parameters.get("from_seq_no"), parameters.get("to_seq_no")
    scope = f"{first or 1}–{last}" if last else (f"{first} og frem" if first else None)
    return IntegrityStatus(status.log_size, status.checkpoint_at, status.checkpoint_tree_size,
                           last_check.at, last_check.result_rows, scope)


# --- shared pieces ----------------------------------------------------------------------------------

RECORD_COLUMNS = ("seq_no", "record_id", "kind", "occurred_at", "recorded_at", "discloser_authority",
                  "discloser_unit", "recipient_authority", "recipient_unit", "legal_basis", "cooperation_form",
                  "purpose", "data_categories", "channel", "delivery_status", "executed_by", "decided_by")


def _columns(*names: str) -> list[ColumnElement[Any]]:
    out: list[ColumnElement[Any]] = []
    for name in names:
        if name == "record_id":
            out.append(lg.c.record_id)
        elif name == "seq_no":
            out.append(p.c.seq_no)
        else:
            out.append(p.c[name])
    return out


def _instant(day: date) -> str:
    return f"{day.isoformat()}T00:00:00.000000Z"


def _common(query: Select[Any], filters: Filters, *, basis: bool = True, recipient: bool = True,
            kind: bool = True) -> Select[Any]:
    if filters.date_from:
        query = query.where(p.c.occurred_at >= _instant(filters.date_from))
    if filters.date_to:
        query = query.where(p.c.occurred_at < _instant(filters.date_to + timedelta(days=1)))
    if recipient and filters.recipient:
        query = query.where(p.c.recipient_authority == filters.recipient)
    if basis and filters.legal_basis:
        query = query.where(p.c.legal_basis == filters.legal_basis)
    if kind and filters.kind:
        query = query.where(p.c.kind == filters.kind)
    if filters.employee:
        query = query.where(or_(p.c.executed_by == filters.employee, p.c.decided_by == filters.employee))
    return query


def _joined() -> Any:
    return p.join(lg, lg.c.seq_no == p.c.seq_no)


async def _page(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, query: Select[Any],
                columns: list[str], *, order: list[Any] | None = None) -> QueryResult:
    total = int((await uow.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one())
    ordered = query.order_by(*(order or [p.c.seq_no])).limit(filters.limit).offset(filters.offset)
    rows = [dict(r) for r in (await uow.session.execute(ordered)).mappings()]
    return QueryResult(spec.id, spec.title_da, columns, rows, total, filters.limit, filters.offset,
                       spec.zero_is_compliant, spec.note_da)


async def _records(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, *conditions: Any,
                   extra: tuple[str, ...] = ()) -> QueryResult:
    names = (*RECORD_COLUMNS, *extra)
    query = _common(select(*_columns(*names)).select_from(_joined()).where(*conditions), filters)
    return await _page(uow, spec, filters, query, list(names))


async def _union_page(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, parts: list[Select[Any]],
                      columns: list[str], order: tuple[str, ...]) -> QueryResult:
    """One page over the union of ``parts`` (each selecting ``columns``, by label); adds ``finding_da``."""
    rows_of = union_all(*parts).subquery()
    total = int((await uow.session.execute(select(func.count()).select_from(rows_of))).scalar_one())
    page = select(rows_of).order_by(*(rows_of.c[name] for name in order)).limit(filters.limit).offset(filters.offset)
    rows = [dict(r) for r in (await uow.session.execute(page)).mappings()]
    for row in rows:
        row["finding_da"] = FINDINGS_DA.get(row["finding"], row["finding"])
    return QueryResult(spec.id, spec.title_da, [*columns, "finding_da"], rows, total, filters.limit, filters.offset,
                       spec.zero_is_compliant, spec.note_da)


def _between(column: Any, filters: Filters) -> list[ColumnElement[bool]]:
    """The date filters on an instant column other than ``occurred_at``."""
    conditions: list[ColumnElement[bool]] = []
    if filters.date_from:
        conditions.append(column >= _instant(filters.date_from))
    if filters.date_to:
        conditions.append(column < _instant(filters.date_to + timedelta(days=1)))
    return conditions


def _text(value: Any) -> Any:
    return cast(value, String) if value is not None else cast(null(), String)


# --- the queries -------------------------------------------------------------------------------------

async def _q1(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    names = ["occurred_at", "kind", "recipient_authority", "recipient_unit", "discloser_authority",
             "discloser_unit", "legal_basis", "purpose", "data_categories", "channel"]
    if filters.include_staff:
        names += list(STAFF_COLUMNS)
    query = _common(select(*_columns(*names)).where(*_about(filters), p.c.kind.in_(MOVING_KINDS)), filters)
    result = await _page(uow, spec, filters, query, names, order=[p.c.occurred_at, p.c.seq_no])
    for row in result.rows:
        outgoing = row["kind"] != "RECEIPT"
        row["counterpart"] = row["recipient_authority"] if outgoing else row["discloser_authority"]
        row["direction"] = "videregivet til" if outgoing else "modtaget fra"
    result.columns = ["occurred_at", "kind", "direction", "counterpart", *names[2:]]
    result.extra["staff_hidden"] = not filters.include_staff
    return result


def _about(filters: Filters) -> list[ColumnElement[bool]]:
    """Q1's records: those whose subjects include ``subject`` (a person id or CPR HMAC) and/or those about
    the concern, case or underretning with ``reference`` (looked up in the case and underretning facts)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.subject:
        conditions.append(exists(select(literal(1)).select_from(disclosure_subjects).where(
            disclosure_subjects.c.seq_no == p.c.seq_no, disclosure_subjects.c.subject_key == filters.subject)))
    if filters.reference:
        reference = filters.reference.strip().upper()
        concerns = union_all(select(cf.c.concern_id).where(cf.c.reference == reference, cf.c.concern_id.is_not(None)),
                             select(uf.c.concern_id).where(uf.c.reference == reference))
        cases = union_all(select(cf.c.infohus_case_id).where(cf.c.reference == reference),
                          select(uf.c.infohus_case_id).where(uf.c.reference == reference,
                                                             uf.c.infohus_case_id.is_not(None)))
        conditions.append(or_(p.c.concern_id.in_(concerns), p.c.infohus_case_id.in_(cases)))
    return conditions


async def _q2(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    count = func.count().label("count")
    query = _common(select(p.c.legal_basis, p.c.cooperation_form, p.c.purpose, count).where(NOT_REJECTED)
                    .group_by(p.c.legal_basis, p.c.cooperation_form, p.c.purpose), filters)
    return await _page(uow, spec, filters, query, ["legal_basis", "cooperation_form", "purpose", "count"],
                       order=[p.c.legal_basis, p.c.cooperation_form, p.c.purpose])


async def _q3(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    weak = or_(p.c.necessity_assessment.is_(None), func.length(func.trim(p.c.necessity_assessment)) < 30,
               p.c.decided_by.is_(None))
    return await _records(uow, spec, filters, RPL115, NOT_REJECTED, weak, extra=("necessity_assessment",))


async def _q4(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    investigation = or_(p.c.purpose == "CRIMINAL_REPORT", p.c.not_for_investigation.is_(False))
    return await _records(uow, spec, filters, RPL115, NOT_REJECTED, investigation,
                          extra=("not_for_investigation",))


async def _q5(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, ctx: QueryContext) -> QueryResult:
    """Declared non-participants, and (with a register) every counterpart the register does not list for
    the record's cooperation form, whatever the record declared: a record kept from before audit derived
    participation is found too."""
    outside: ColumnElement[bool] = p.c.recipient_is_cooperation_participant.is_(False)
    if ctx.register is not None:
        who = case((p.c.kind == "RECEIPT", p.c.discloser_authority), else_=p.c.recipient_authority)
        listed = [and_(who == code, p.c.cooperation_form.in_(sorted(forms)))
                  for code, forms in ctx.register.forms_by_authority.items()]
        outside = or_(outside, ~or_(*listed)) if listed else literal(True)
    return await _records(uow, spec, filters, RPL115, NOT_REJECTED, outside,
                          extra=("recipient_is_cooperation_participant", "fact_provenance"))


async def _q6(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    minor = or_(p.c.subject_age_at_occurrence.is_(None), p.c.subject_age_at_occurrence < 18)
    return await _records(uow, spec, filters, p.c.legal_basis == "RPL115A_FAMILY", NOT_REJECTED, minor,
                          extra=("subject_age_at_occurrence", "fact_provenance"))


async def _q7(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    sensitive = or_(p.c.contains_special_categories.is_(True), p.c.contains_criminal_data.is_(True),
                    p.c.contains_gang_info.is_(True))
    names = (*RECORD_COLUMNS, "contains_special_categories", "contains_criminal_data", "contains_gang_info")
    query = _common(select(*_columns(*names)).select_from(_joined()).where(NOT_REJECTED, sensitive), filters)
    result = await _page(uow, spec, filters, query, list(names),
                         order=[p.c.legal_basis, p.c.recipient_authority, p.c.seq_no])
    groups = await uow.session.execute(
        _common(select(p.c.legal_basis, p.c.recipient_authority, func.count().label("count"))
                .where(NOT_REJECTED, sensitive).group_by(p.c.legal_basis, p.c.recipient_authority), filters)
        .order_by(p.c.legal_basis, p.c.recipient_authority))
    result.extra["groups"] = [dict(g) for g in groups.mappings()]
    return result


async def _q8(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    src_log, src = aliased(lg), aliased(p)
    query = _common(
        select(p.c.seq_no, lg.c.record_id, p.c.occurred_at, p.c.recipient_authority,
               p.c.legal_basis.label("onward_legal_basis"), p.c.purpose, p.c.source_record_id,
               src.c.seq_no.label("source_seq_no"), src.c.legal_basis.label("source_legal_basis"),
               src.c.discloser_authority.label("source_authority"), src.c.occurred_at.label("source_occurred_at"))
        .select_from(_joined().outerjoin(src_log, src_log.c.record_id == p.c.source_record_id)
                     .outerjoin(src, src.c.seq_no == src_log.c.seq_no))
        .where(p.c.kind == "DISCLOSURE", p.c.source_of_data == "RECEIVED_UNDER_RPL115"), filters)
    result = await _page(uow, spec, filters, query,
                         ["seq_no", "record_id", "occurred_at", "recipient_authority", "onward_legal_basis",
                          "purpose", "source_record_id", "source_seq_no", "source_legal_basis",
                          "source_authority", "source_occurred_at", "source_missing"])
    for row in result.rows:
        row["source_missing"] = row["source_seq_no"] is None
    return result


async def _q10(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    result = await _records(uow, spec, filters, p.c.recording_lag_s > 24 * 3600, extra=("recording_lag_s",))
    for row in result.rows:
        row["lag_hours"] = round(row["recording_lag_s"] / 3600, 1)
        row["oral_over_2_office_days"] = row["channel"] == "MEETING_ORAL" and office_days_between(
            parse_instant(row["occurred_at"]), parse_instant(row["recorded_at"])) > 2
    result.columns += ["lag_hours", "oral_over_2_office_days"]
    return result


async def _q11(spec: QuerySpec, filters: Filters, verifier: Verifier | None) -> QueryResult:
    if verifier is None:
        raise QueryError("Q11 needs the verifier")
    report = await verifier(filters)
    rows = [{"seq_no": b.seq_no, "finding": ",".join(b.reasons)} for b in report.breaks]
    rows += [{"seq_no": g.first_missing, "finding": f"GAP {g.first_missing}-{g.last_missing}"} for g in report.gaps]
    rows.sort(key=lambda r: r["seq_no"])
    page = rows[filters.offset:filters.offset + filters.limit]
    return QueryResult(spec.id, spec.title_da, ["seq_no", "finding"], page, len(rows), filters.limit,
                       filters.offset, True, None,
                       {"checked": report.checked, "erased": report.erased,
                        "first_broken_seq_no": report.first_broken_seq_no, "head_seq_no": report.head_seq_no})


Q9_COLUMNS = ["finding", "reference", "infohus_case_id", "underretning_id", "legal_type", "state", "at",
              "due_at", "done_at"]


async def _q9(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, ctx: QueryContext) -> QueryResult:
    """(a) from the case facts; (b)-(d) from the latest state of each underretning. ``at`` is when the
    case was opened or the underretning received (what the date filters select on)."""
    now = format_utc(ctx.now)
    has_underretning = exists(select(literal(1)).select_from(uf).where(uf.c.infohus_case_id == cf.c.infohus_case_id))
    missing = select(
        literal("MISSING_UNDERRETNING").label("finding"), cf.c.reference.label("reference"),
        cf.c.infohus_case_id.label("infohus_case_id"), _text(None).label("underretning_id"),
        _text(None).label("legal_type"), _text(None).label("state"), cf.c.opened_at.label("at"),
        _text(None).label("due_at"), _text(None).label("done_at"),
    ).where(cf.c.minor_possible.is_(True), func.coalesce(cf.c.underretning_count, 0) == 0, ~has_underretning,
            *_between(cf.c.opened_at, filters))
    not_forwarded = uf.c.forwarded_at.is_(None)

    def part(finding: str, due: Any, done: Any, *conditions: Any) -> Select[Any]:
        return select(
            literal(finding).label("finding"), uf.c.reference.label("reference"),
            uf.c.infohus_case_id.label("infohus_case_id"), uf.c.underretning_id.label("underretning_id"),
            uf.c.legal_type.label("legal_type"), uf.c.state.label("state"), uf.c.received_at.label("at"),
            _text(due).label("due_at"), _text(done).label("done_at"),
        ).where(*conditions, *_between(uf.c.received_at, filters))

    parts = [
        missing,
        part("ASSESSED_LATE", uf.c.assessment_due_at, uf.c.assessed_at, uf.c.assessed_at > uf.c.assessment_due_at),
        part("NOT_ASSESSED_PAST_DUE", uf.c.assessment_due_at, None, uf.c.assessed_at.is_(None),
             uf.c.assessment_due_at < now, not_forwarded),
        part("RECEIPT_CONFIRMED_LATE", uf.c.receipt_confirmation_due_end, uf.c.receipt_confirmed_at,
             uf.c.receipt_confirmed_at > uf.c.receipt_confirmation_due_end),
        part("RECEIPT_NOT_CONFIRMED_PAST_DUE", uf.c.receipt_confirmation_due_end, None,
             uf.c.receipt_confirmed_at.is_(None), uf.c.receipt_confirmation_due_end < now, not_forwarded),
        part("PROFESSIONAL_NOT_ORIENTED", None, None, uf.c.professional_orientation_required.is_(True),
             uf.c.oriented_at.is_(None), not_forwarded),
    ]
    result = await _union_page(uow, spec, filters, parts, Q9_COLUMNS, order=("at", "finding", "underretning_id"))
    for row in result.rows:
        row["age_days"] = None if row["at"] is None else (ctx.now - parse_instant(row["at"])).days
    result.columns.insert(result.columns.index("done_at") + 1, "age_days")
    return result


Q12_COLUMNS = ["finding", "source", "at", "reference", "concern_id", "seq_no", "record_id", "recipient",
               "transport_ref", "delivery_status", "reason"]


async def _q12(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, ctx: QueryContext) -> QueryResult:
    """Three sources in one list: the gateway's external mails without a record for their concern (or
    with their Message-ID), the gateway's dead-lettered notifications, and the log's own failed or
    unreferenced secure mails. ``recipient`` is an authority code (log) or a mail domain (gateway)."""
    internal = or_(*(or_(mg.c.recipient_domain == d.lower(), mg.c.recipient_domain.endswith("." + d.lower(),
                                                                                            autoescape=True))
                     for d in ctx.internal_mail_domains)) if ctx.internal_mail_domains else literal(False)
    recorded = exists(select(literal(1)).select_from(p).where(
        p.c.kind.in_(LEAVING_KINDS), or_(p.c.transport_ref == mg.c.message_id, p.c.concern_id == mg.c.concern_id)))
    reference = func.coalesce(
        mg.c.reference,
        select(func.max(cf.c.reference)).where(cf.c.concern_id == mg.c.concern_id).scalar_subquery(),
        select(func.max(uf.c.reference)).where(uf.c.concern_id == mg.c.concern_id).scalar_subquery())
    recipient_filter = [mg.c.recipient_domain == filters.recipient.lower()] if filters.recipient else []

    def gateway(finding: str, *conditions: Any) -> Select[Any]:
        return select(
            literal(finding).label("finding"), literal("mail-gateway").label("source"), mg.c.at.label("at"),
            reference.label("reference"), mg.c.concern_id.label("concern_id"),
            cast(null(), p.c.seq_no.type).label("seq_no"), _text(None).label("record_id"),
            mg.c.recipient_domain.label("recipient"), mg.c.message_id.label("transport_ref"),
            literal(None, String).label("delivery_status"), mg.c.reason.label("reason"),
        ).where(*conditions, *_between(mg.c.at, filters), *recipient_filter)

    def in_log(finding: str, *conditions: Any) -> Select[Any]:
        return _common(select(
            literal(finding).label("finding"), literal("log").label("source"), p.c.occurred_at.label("at"),
            _text(None).label("reference"), p.c.concern_id.label("concern_id"), p.c.seq_no.label("seq_no"),
            lg.c.record_id.label("record_id"), p.c.recipient_authority.label("recipient"),
            p.c.transport_ref.label("transport_ref"), p.c.delivery_status.label("delivery_status"),
            _text(None).label("reason"),
        ).select_from(_joined()).where(*conditions), filters)

    parts = [
        gateway("EXTERNAL_MAIL_WITHOUT_RECORD", mg.c.outcome == SENT,
                or_(mg.c.recipient_domain.is_(None), ~internal), ~recorded),
        gateway("DELIVERY_DEAD_LETTERED", mg.c.outcome == DEAD_LETTERED),
        in_log("RECORD_DELIVERY_FAILED", p.c.delivery_status == "FAILED"),
        in_log("SECURE_EMAIL_WITHOUT_TRANSPORT_REF", p.c.delivery_status != "FAILED", p.c.channel == "SECURE_EMAIL",
               p.c.transport_ref.is_(None), NOT_REJECTED),
    ]
    return await _union_page(uow, spec, filters, parts, Q12_COLUMNS, order=("at", "finding", "transport_ref"))


async def _q13(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    orig_log, orig = aliased(lg), aliased(p)
    notice = aliased(p)
    notice_log = aliased(lg)
    notice_exists = exists(select(literal(1)).select_from(notice).where(
        notice.c.kind == "RECIPIENT_ERROR_NOTICE",
        or_(notice.c.corrects_record_id == orig_log.c.record_id, notice.c.corrects_record_id == lg.c.record_id)))
    first_notice = (select(func.min(notice_log.c.record_id)).select_from(
        notice.join(notice_log, notice_log.c.seq_no == notice.c.seq_no)).where(
        notice.c.kind == "RECIPIENT_ERROR_NOTICE",
        or_(notice.c.corrects_record_id == orig_log.c.record_id, notice.c.corrects_record_id == lg.c.record_id))
        .scalar_subquery())
    query = _common(
        select(orig_log.c.seq_no.label("original_seq_no"), orig_log.c.record_id.label("original_record_id"),
               orig.c.recipient_authority.label("original_recipient"), p.c.seq_no.label("correction_seq_no"),
               lg.c.record_id.label("correction_record_id"), p.c.recorded_at.label("corrected_at"),
               notice_exists.label("recipient_notified"), first_notice.label("notice_record_id"))
        .select_from(_joined().join(orig_log, orig_log.c.record_id == p.c.corrects_record_id)
                     .outerjoin(orig, orig.c.seq_no == orig_log.c.seq_no))
        .where(p.c.kind == "CORRECTION"), filters, recipient=False, kind=False)
    return await _page(uow, spec, filters, query,
                       ["original_seq_no", "original_record_id", "original_recipient", "correction_seq_no",
                        "correction_record_id", "corrected_at", "recipient_notified", "notice_record_id"])


async def _q14(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, ctx: QueryContext) -> QueryResult:
    corrector = aliased(p)
    corrected = exists(select(literal(1)).select_from(corrector).where(
        corrector.c.kind == "CORRECTION", corrector.c.corrects_record_id == lg.c.record_id))
    month_ago = format_utc(ctx.now - timedelta(days=30))
    today = ctx.now.astimezone(COPENHAGEN).date().isoformat()
    deferred = p.c.subject_information_status.like("DEFERRED\\_%", escape="\\")
    open_status = or_(and_(deferred, or_(p.c.review_at.is_(None), p.c.review_at < today)),
                      and_(p.c.subject_information_status == "PENDING", p.c.recorded_at < month_ago))
    result = await _records(uow, spec, filters, open_status, ~corrected, NOT_REJECTED,
                            extra=("subject_information_status", "review_at"))
    for row in result.rows:
        finding = "PENDING_OVER_1_MONTH" if row["subject_information_status"] == "PENDING" else (
            "NO_REVIEW_DATE" if row["review_at"] is None else "REVIEW_OVERDUE")
        row["finding"], row["finding_da"] = finding, FINDINGS_DA[finding]
    result.columns += ["finding", "finding_da"]
    return result


async def _q15(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    rows: list[dict[str, Any]] = []
    for role, column in (("executed", p.c.executed_by), ("decided", p.c.decided_by)):
        query = _common(select(column.label("employee"), p.c.occurred_month.label("month"),
                               func.count().label("count")).where(column.is_not(None), NOT_REJECTED)
                        .group_by(column, p.c.occurred_month), filters)
        rows += [{**dict(r), "role": role} for r in (await uow.session.execute(query)).mappings()]
    by_month: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        by_month.setdefault((row["month"], row["role"]), []).append(row["count"])
    for row in rows:
        median = statistics.median(by_month[(row["month"], row["role"])])
        row["month_median"] = median
        row["outlier"] = row["count"] >= 10 and row["count"] > 3 * median
    rows.sort(key=lambda r: (r["month"], r["role"], -r["count"], r["employee"]))
    page = rows[filters.offset:filters.offset + filters.limit]
    return QueryResult(spec.id, spec.title_da, ["month", "employee", "role", "count", "month_median", "outlier"],
                       page, len(rows), filters.limit, filters.offset, False, spec.note_da)


async def _q16(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, ctx: QueryContext) -> QueryResult:
    return await _records(uow, spec, filters, p.c.retention_until < ctx.now.date().isoformat(),
                          extra=("retention_until",))


async def _q17(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    """Records that moved data after their case was closed, or after its triage found it OUT_OF_SCOPE."""
    after_close = and_(cf.c.closed_at.is_not(None), p.c.occurred_at > cf.c.closed_at)
    after_out_of_scope = and_(cf.c.triage_outcome == OUT_OF_SCOPE, p.c.occurred_at > cf.c.triage_completed_at)
    names = (*RECORD_COLUMNS, "infohus_case_id")
    query = _common(
        select(*_columns(*names), cf.c.reference, cf.c.closed_at, cf.c.triage_outcome, cf.c.triage_completed_at)
        .select_from(_joined().join(cf, cf.c.infohus_case_id == p.c.infohus_case_id))
        .where(p.c.kind.in_(LEAVING_KINDS), or_(after_close, after_out_of_scope)), filters)
    result = await _page(uow, spec, filters, query,
                         [*names, "reference", "closed_at", "triage_outcome", "triage_completed_at"])
    for row in result.rows:
        closed = row["closed_at"] is not None and row["occurred_at"] > row["closed_at"]
        row["finding"] = "AFTER_CLOSE" if closed else "AFTER_OUT_OF_SCOPE"
        row["finding_da"] = FINDINGS_DA[row["finding"]]
    result.columns += ["finding", "finding_da"]
    return result


async def _q18(uow: AuditUnitOfWork, spec: QuerySpec, filters: Filters, _ctx: QueryContext) -> QueryResult:
    query = _common(select(p.c.legal_basis, func.count().label("count"))
                    .where(p.c.kind == "DECISION_REJECTED").group_by(p.c.legal_basis), filters, kind=False)
    return await _page(uow, spec, filters, query, ["legal_basis", "count"], order=[p.c.legal_basis])


Runner = Callable[[AuditUnitOfWork, QuerySpec, Filters, QueryContext], Any]
RUNNERS: dict[str, Runner] = {
    "Q1": _q1, "Q2": _q2, "Q3": _q3, "Q4": _q4, "Q5": _q5, "Q6": _q6, "Q7": _q7, "Q8": _q8, "Q9": _q9,
    "Q10": _q10, "Q12": _q12, "Q13": _q13, "Q14": _q14, "Q15": _q15, "Q16": _q16, "Q17": _q17,
    "Q18": _q18,
}

