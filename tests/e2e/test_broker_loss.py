"""Accepted concerns survive a broker that comes back empty, with every mail sent exactly once."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select

from devtools.devstack.broker import LocalBroker
from services.notify.adapters.orm import deliveries
from services.notify.domain.delivery import State
from tests.e2e.test_walking_skeleton import concern_body
from tests.system import InfohusSystem, build_system
from tests.waiting import eventually

pytestmark = pytest.mark.slow

REFERENCE = re.compile(r"IH-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def test_broker_replaced_by_an_empty_one_loses_nothing_and_duplicates_nothing(
        databases, mailbox, unique) -> None:
    broker = LocalBroker()
    await broker.astart()
    system = build_system(databases, broker.bootstrap_servers, unique, mailbox)
    await system.start()
    try:
        references = []
        async with system.http() as client:
            for _ in range(4):
                references.append((await client.post("/api/v1/concerns", json=concern_body())).json()["reference"])
            await broker.arestart()  # same address, no topics, no messages, no offsets
            for _ in range(4):
                response = await client.post("/api/v1/concerns", json=concern_body())
                assert response.status_code == 201
                references.append(response.json()["reference"])

        def case_mails() -> Counter[str]:
            """Per reference, the mails to the two case mailboxes (out of opening hours the out-of-hours
            mailbox gets more, so the folder's total says nothing about these)."""
            return Counter(REFERENCE.search(m["Subject"]).group(0)  # type: ignore[union-attr]
                           for m in mailbox.messages() if m["To"] in ("tk@ishoj.dk", "Underretninger@ishoj.dk"))

        async def all_case_mails() -> bool:
            return sum(case_mails().values()) >= 2 * len(references)

        await eventually(all_case_mails, within=90)
        # No replay is still to come: every service has since checked its topics from start to end (and sent
        # its recent events again, had it not done so yet).
        checked = [runtime.topic_checks for runtime in system.runtimes]
        await eventually(lambda: all(runtime.topic_checks >= before + 2
                                     for runtime, before in zip(system.runtimes, checked, strict=True)))
        # A marker concern follows whatever is still on its way (one partition per topic: in order). Once its
        # mails are there and nothing is left to send, a late duplicate would be there too.
        async with system.http() as client:
            references.append((await client.post("/api/v1/concerns", json=concern_body())).json()["reference"])
        await eventually(lambda: case_mails()[references[-1]] == 2, within=60)
        await eventually(lambda: _nothing_left_to_send(system))
        counts = case_mails()
        assert set(counts) == set(references)
        assert all(n == 2 for n in counts.values()), counts

        async def disclosures() -> int:
            async with system.audit.unit_of_work() as uow:
                n = await uow.log.count()
            return n if n >= 2 * len(references) else 0

        assert await eventually(disclosures, within=60) == 2 * len(references)
    finally:
        await system.stop()
        await broker.astop()


async def _nothing_left_to_send(system: InfohusSystem) -> bool:
    async with system.notify.unit_of_work() as uow:
        waiting = (await uow.session.execute(
            select(deliveries.c.notification_id).where(deliveries.c.state.in_([State.PENDING, State.SENDING])))).all()
    return not waiting
