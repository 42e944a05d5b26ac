"""The routing decisions, one per concern, as made when the concern arrived, with the rules that made them:
their fingerprint, their input, and every configuration that decided something (``rules_configs``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.db import insert_unless_taken
from rules.decision import Decision
from rules.fingerprint import RulesVersion
from rules.inputs import DecisionInput
from services.routing.adapters.instants import aware_at, utc
from services.routing.adapters.orm import decisions, rules_configs


@dataclass(frozen=True)
class StoredDecision:
    decision_id: str
    concern_id: str
    reference: str
    received_at: datetime
    decided_at: datetime
    decision: Decision
    rules_fingerprint: str | None  # None: decided before the rules were fingerprinted (migration 0009)
    code_fingerprint: str | None
    config_fingerprint: str | None
    rules_input: DecisionInput | None


class DecisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, decision_id: UUID, concern_id: UUID, reference: str, received_at: datetime,
                  decided_at: datetime, decision: Decision, trace_id: str | None, rules: RulesVersion,
                  rules_input: DecisionInput) -> None:
        """The decision with the fingerprint of the rules that made it and their input; the first decision
        under a configuration also stores that configuration."""
        await self._session.execute(
            insert_unless_taken(self._session.get_bind().dialect.name, rules_configs),
            dict(config_fingerprint=rules.config_fingerprint, config_version=rules.label,
                 config=rules.config_json, first_decided_at=utc(decided_at)))
        await self._session.execute(decisions.insert(), dict(
            decision_id=str(decision_id), concern_id=str(concern_id), reference=reference,
            received_at=utc(received_at), decided_at=utc(decided_at), config_version=decision.config_version,
            decision=decision.model_dump_json(), trace_id=trace_id,
            rules_fingerprint=rules.fingerprint, code_fingerprint=rules.code_fingerprint,
            config_fingerprint=rules.config_fingerprint, rules_input=rules_input.model_dump_json()))

    async def get(self, concern_id: UUID) -> Decision | None:
        row = (await self._session.execute(
            select(decisions.c.decision).where(decisions.c.concern_id == str(concern_id)))).first()
        return None if row is None else Decision.model_validate_json(row[0])

    async def stored(self, concern_id: UUID) -> tuple[Decision, datetime, str | None] | None:
        """The decision as stored when the concern arrived, when it was made, and the fingerprint of the rules
        that made it (None: decided before the rules were fingerprinted)."""
        row = (await self._session.execute(
            select(decisions.c.decision, decisions.c.decided_at, decisions.c.rules_fingerprint)
            .where(decisions.c.concern_id == str(concern_id)))).first()
        return None if row is None else (Decision.model_validate_json(row[0]), aware_at(row[1]), row[2])

    async def find(self, key: str) -> StoredDecision | None:
        """The decision with this decision id, concern id or concern reference (any case)."""
        c = decisions.c
        row = (await self._session.execute(select(decisions).where(or_(
            c.decision_id == key.lower(), c.concern_id == key.lower(), func.upper(c.reference) == key.upper())))
        ).mappings().first()
        if row is None:
            return None
        return StoredDecision(
            decision_id=row["decision_id"], concern_id=row["concern_id"], reference=row["reference"],
            received_at=aware_at(row["received_at"]), decided_at=aware_at(row["decided_at"]),
            decision=Decision.model_validate_json(row["decision"]), rules_fingerprint=row["rules_fingerprint"],
            code_fingerprint=row["code_fingerprint"], config_fingerprint=row["config_fingerprint"],
            rules_input=None if row["rules_input"] is None else DecisionInput.model_validate_json(row["rules_input"]))

    async def config(self, config_fingerprint: str) -> str | None:
        """The stored configuration (canonical JSON) with this fingerprint."""
        found: str | None = (await self._session.execute(select(rules_configs.c.config).where(
            rules_configs.c.config_fingerprint == config_fingerprint))).scalar_one_or_none()
        return found

    async def first_decided_at(self, config_version: str) -> datetime | None:
        """When the earliest decision under ``config_version`` was made (None: none yet)."""
        # Ordered rather than min(): the column's type (UTC-aware on every backend) stays applied.
        first: datetime | None = (await self._session.execute(
            select(decisions.c.decided_at).where(decisions.c.config_version == config_version)
            .order_by(decisions.c.decided_at).limit(1))).scalar_one_or_none()
        return first
