"""Through the running system, on SQLite and PostgreSQL: a ConcernSubmitted the broker confirmed and then lost,
with no sign of a broker loss (no replay), reaches routing through intake's reconciliation alone, and
routing's acknowledgement stops intake from asking again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import select, update

from contracts.concern import ConcernIn
from devtools.devstack.broker import LocalBroker
from services.intake.adapters.orm import concern_routing, concerns, tables
from tests.conftest import kafka_test_settings
from tests.e2e.test_walking_skeleton import concern_body
from tests.system import InfohusSystem, build_system
from tests.waiting import eventually

pytestmark = pytest.mark.slow


async def test_a_concern_lost_after_the_broker_confirmed_it_is_routed_by_intakes_reconciliation(
        databases, kafka: LocalBroker, mailbox, unique) -> None:
    # the lost event is older than the replay window: a topic check's replay would not send it again
    no_replay = kafka_test_settings(kafka.bootstrap_servers, unique).model_copy(update={"replay_window_hours": 0.5})
    system = build_system(databases, kafka.bootstrap_servers, unique, mailbox, intake_overrides={
        "kafka": no_replay, "reconcile_interval_s": 0.5, "reconcile_after_s": 1.0})
    for runtime in system.runtimes:
        await runtime.migrate()
    receipt = await system.intake.submit(ConcernIn.model_validate(concern_body()))
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    async with system.intake.unit_of_work() as uow:  # "sent" two hours ago, and lost since: routing never saw it
        await uow.session.execute(update(tables.outbox).values(published_at=two_hours_ago, created_at=two_hours_ago))
        await uow.session.execute(update(concerns).values(recorded_at=two_hours_ago))
        await uow.commit()

    await system.start()
    try:
        async def routed() -> bool:
            async with system.routing.unit_of_work() as uow:
                return bool(await uow.cases.rows_for_concern(await _concern_id(system, receipt.reference)))

        await eventually(routed, within=60)

        async def acknowledged() -> int | None:
            async with system.intake.unit_of_work() as uow:
                row = (await uow.session.execute(select(concern_routing))).mappings().one_or_none()
            return None if row is None or row["routed_at"] is None else int(row["times_asked_again"])

        asked = await eventually(acknowledged, within=60)
        assert asked is not None and asked >= 1  # it took the reconciliation to get it there
        async with system.routing.unit_of_work() as uow:
            assert len(await uow.cases.rows_for_concern(await _concern_id(system, receipt.reference))) == 1
    finally:
        await system.stop()


async def _concern_id(system: InfohusSystem, reference: str) -> UUID:
    async with system.intake.unit_of_work() as uow:
        return UUID((await uow.session.execute(select(concerns.c.concern_id)
                                               .where(concerns.c.reference == reference))).scalar_one())
