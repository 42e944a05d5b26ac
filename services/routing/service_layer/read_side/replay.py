"""A stored decision replayed with the configuration it was made under and with today's
(``infohus explain --decision``); see ``domain.replay``."""

from __future__ import annotations

from dataclasses import replace

from pydantic import ValidationError

from rules.config import MunicipalityConfig
from rules.decision_table import replay
from rules.fingerprint import RulesVersion, config_fingerprint
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.replay import ReplayReport, differences


async def replay_decision(uow: RoutingUnitOfWork, key: str, *, today_config: MunicipalityConfig,
                          today: RulesVersion) -> ReplayReport | None:
    """The replay of the decision with this decision id, concern id or reference; None if there is none."""
    async with uow:
        stored = await uow.decisions.find(key)
        config_text = None if stored is None or stored.config_fingerprint is None else (
            await uow.decisions.config(stored.config_fingerprint))
    if stored is None:
        return None
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
