"""A stored decision replayed with the configuration it was made under and with today's
(``infohus explain --decision``); see ``domain.replay``."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from pydantic import ValidationError

from infohus.kit.auth import CaseKind, ReadPurpose
from rules.config import MunicipalityConfig
from rules.decision_table import replay
from rules.fingerprint import RulesVersion, config_fingerprint
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.replay import ReplayReport, differences
from services.routing.service_layer.read_side.read_log import ReadLog


async def replay_decision(uow: RoutingUnitOfWork, key: str, *, today_config: MunicipalityConfig,
                          today: RulesVersion, read_log: ReadLog) -> ReplayReport | None:
    """The replay of the decision with this decision id, concern id or reference; None if there is none.
    The read is logged against the concern's cases (a near duplicate's: its original's), committed first."""
    async with uow:
        stored = await uow.decisions.find(key)
        if stored is None:
            return None
        config_text = None if stored.config_fingerprint is None else (
            await uow.decisions.config(stored.config_fingerprint))
        concern_id = UUID(stored.concern_id)
        facts = await uow.facts.get(concern_id)
        case_ids = await uow.cases.ids_for_concern(
            concern_id if facts is None or facts.duplicate_of is None else facts.duplicate_of)
        await read_log.record(uow, [(CaseKind.INFOHUS_CASE, case_id, ReadPurpose.RULES_REPLAY)
                                    for case_id in case_ids])
        await uow.commit()
    report = ReplayReport(
        decision_id=stored.decision_id, reference=stored.reference, received_at=stored.received_at,
        decided_at=stored.decided_at, stored=stored.decision, config_version=stored.decision.config_version,
        rules_fingerprint=stored.rules_fingerprint, code_fingerprint=stored.code_fingerprint,
        config_fingerprint=stored.config_fingerprint, today=today)
    if stored.rules_input is None or stored.config_fingerprint is None:
        return _refused(report, "the decision was made before routing recorded the rules' input and configuration")
    if config_text is None:
        return _refused(report, f"the configuration {stored.config_fingerprint[:12]} is not stored")
    if config_fingerprint(config_text) != stored.config_fingerprint:
        return _refused(report, "the stored configuration does not match its fingerprint")
    try:
        then_config = MunicipalityConfig.model_validate_json(config_text)
    except ValidationError as error:
        return _refused(report, f"today's rules code cannot read the stored configuration ({error.error_count()} "
                                "problem(s)): the rules code changed since")
    replayed = replay(stored.rules_input, then_config)
    under_today = replay(stored.rules_input, today_config)
    return replace(report, replay_differences=differences(stored.decision, replayed),
                   today_differences=differences(stored.decision, under_today))


def _refused(report: ReplayReport, problem: str) -> ReplayReport:
    return replace(report, problem=problem)
