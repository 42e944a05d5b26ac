"""Accepted concerns survive a broker that comes back empty, with every mail sent exactly once."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest

from devtools.devstack.broker import LocalBroker
from tests.e2e.test_walking_skeleton import concern_body
from tests.system import build_system, eventually

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
        await asyncio.sleep(2)  # room for a late duplicate to show up
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
