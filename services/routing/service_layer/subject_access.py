"""A data subject's access request (GDPR art. 15): the infohus cases and underretninger about a person,
found by the keyed hash of their CPR number, with what routing derived about them. Every case and
underretning exported is logged as read for the request (committed) before the answer leaves.

Only declared fields leave (the contract's models): who signed, decided, assessed or completed anything is
given by role, never by user id (CJEU C-579/21); a § 138 receipt's address is the reporter's, not theirs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from contracts.cpr import cpr_hmac
from contracts.subject_access import (
    Analysis,
    Assessment,
    CaseAboutPerson,
    CaseRecord,
    Deadline,
    Handover,
    PersonFacts,
    RecommendedMeasure,
    RoutingPart,
    Screening,
    SubjectAccessRequest,
    TaskStep,
    TimelineStep,
    Triage,
    UnderretningAboutPerson,
)
from infohus.kit.auth import CaseKind, Principal, ReadAccessLogger
from infohus.kit.auth.subject_access import consultations, log_export
from services.routing.adapters.subject_access import Row, SubjectAccessQueries
from services.routing.adapters.unit_of_work import RoutingUnitOfWork

M = TypeVar("M", bound=BaseModel)

# The detail of a timeline step that says what it was, by action (a free text, a reason or an outcome code).
STEP_TEXT = {"NOTE_ADDED": "note", "PUT_ON_HOLD": "reason", "CLOSED": "reason", "TRIAGE_SIGNED": "outcome",
             "TRIAGE_COMPLETED": "outcome", "DELIVERY_STATUS": "text"}
CASE_PARTS = ("case", "record", "timeline.roles", "tasks", "clocks")
UNDERRETNING_PARTS = ("underretning", "assessment_note", "tasks", "clocks")


async def export_cases(uow: RoutingUnitOfWork, log: ReadAccessLogger, principal: Principal,
                       request: SubjectAccessRequest, *, hmac_key: bytes) -> RoutingPart:
    async with uow:
        q = SubjectAccessQueries(uow.session)
        mentions = await q.mentions(cpr_hmac(hmac_key, request.cpr))
        person_ids = sorted(mentions)
        municipalities = sorted(principal.municipalities)
        facts = await q.concern_facts(set(mentions.values()))
        cases = await q.cases(person_ids, municipalities)
        underretninger = await q.underretninger(person_ids, municipalities)
        case_ids = [row["case_id"] for row in cases]
        underretning_ids = [row["underretning_id"] for row in underretninger]
        timeline = await q.timeline(case_ids)
        tasks = await q.tasks(case_ids, underretning_ids)
        clocks = await q.clocks(set(mentions.values()), case_ids, underretning_ids)
        earlier = await consultations(log, uow.session, [*case_ids, *underretning_ids])
        for kind, ids, parts in ((CaseKind.INFOHUS_CASE, case_ids, CASE_PARTS),
                                 (CaseKind.UNDERRETNING, underretning_ids, UNDERRETNING_PARTS)):
            await log_export(log, uow.session, principal, case_kind=kind, case_ids=ids,
                             request_id=request.request_id, parts=parts)
        await uow.commit()
    references = {row["concern_id"]: row["reference"] for row in facts}
    return RoutingPart(
        persons=[person for row in facts for person in _person_facts(row, mentions)],
        cases=[_case(row, [e for e in timeline if e["case_id"] == row["case_id"]],
                     [t for t in tasks if t["case_id"] == row["case_id"] and t["underretning_id"] is None],
                     [c for c in clocks if c["case_id"] == row["case_id"] and c["underretning_id"] is None])
               for row in cases],
        underretninger=[_underretning(row, references.get(row["concern_id"], ""),
                                      [t for t in tasks if t["underretning_id"] == row["underretning_id"]],
                                      [c for c in clocks if c["underretning_id"] == row["underretning_id"]])
                        for row in underretninger],
        consultations=earlier)


def picked(model: type[M], data: Mapping[str, Any]) -> M:
    """``model`` from the keys of ``data`` it declares: whatever else a stored record holds stays here."""
    return model.model_validate({key: value for key, value in data.items() if key in model.model_fields})


def _person_facts(row: Row, mentions: Mapping[str, str]) -> list[PersonFacts]:
    return [PersonFacts(concern_id=row["concern_id"], reference=row["reference"], path=person["path"],
                        age_band=person["age_band"], minor_possible=person["minor_possible"])
            for person in json.loads(row["persons"]) if person["person_id"] in mentions]


def case_record(record: Mapping[str, Any]) -> CaseRecord:
    def section(name: str, model: type[M]) -> M | None:
        value = record.get(name)
        return picked(model, value) if isinstance(value, dict) else None

    return CaseRecord(triage=section("triage", Triage), screening=section("screening", Screening),
                      analysis=section("analysis", Analysis), assessment=section("assessment", Assessment),
                      recommendations=[picked(RecommendedMeasure, r) for r in record.get("recommendations", [])],
                      handovers=[picked(Handover, h) for h in record.get("handovers", [])],
                      follow_up_due=record.get("follow_up_due"))


def timeline_step(row: Row) -> TimelineStep:
    details = json.loads(row["details"])
    text = details.get(STEP_TEXT.get(row["action"], ""))
    return TimelineStep(at=row["at"], by_role=row["actor_role"], action=row["action"], from_state=row["from_state"],
                        to_state=row["to_state"], text=text if isinstance(text, str) else None)


def _tasks(rows: list[Row]) -> list[TaskStep]:
    return [picked(TaskStep, row) for row in rows]


def _deadlines(rows: list[Row]) -> list[Deadline]:
    return [picked(Deadline, row) for row in rows]


def _case(row: Row, timeline: list[Row], tasks: list[Row], clocks: list[Row]) -> CaseAboutPerson:
    return CaseAboutPerson(
        case_id=row["case_id"], concern_id=row["concern_id"], reference=row["reference"],
        subject_path=f"subjects[{row['subject_index']}]", municipality=row["municipality"], state=row["state"],
        priority=row["priority"], flags=json.loads(row["flags"]), opened_at=row["opened_at"],
        triage_due_at=row["triage_due_at"], closed_at=row["closed_at"], close_reason=row["close_reason"],
        record=case_record(json.loads(row["record"])), timeline=[timeline_step(e) for e in timeline],
        tasks=_tasks(tasks), deadlines=_deadlines(clocks))


def _underretning(row: Row, reference: str, tasks: list[Row], clocks: list[Row]) -> UnderretningAboutPerson:
    return picked(UnderretningAboutPerson, {**row, "reference": reference, "tasks": _tasks(tasks),
                                            "deadlines": _deadlines(clocks)})
