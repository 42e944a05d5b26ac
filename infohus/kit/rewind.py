"""After the broker lost its data, a consumer reads its partitions from the start: now, and on every assignment
until the loss has settled.

A broker that comes back empty (tansu keeps everything in memory) starts every topic at offset 0 again, while
a consumer may still hold its old position in memory, or find one it committed to the new broker from before
it noticed. Either way it would skip the new log's first offsets: the events intake, routing and the others
publish again after the loss. So when a service's topic check finds the loss, :meth:`RewindAfterLoss.lost`
moves the consumer to the start of every partition it holds, and until :meth:`settled` (the next check that
finds nothing lost) every partition assigned in a rebalance starts there too. What was already handled is
found in the inbox and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition

log = logging.getLogger(__name__)


class RewindAfterLoss(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, name: str) -> None:
        self.name = name
        self.subscriber: Any = None  # FastStream's subscriber; its ``consumer`` exists once the broker runs
        self.pending = False
        self.rewinds = 0  # partitions moved to their start, counted for tests and logs

    def _consumer(self) -> Any:
        return getattr(self.subscriber, "consumer", None)

    async def lost(self) -> None:
        """The broker lost its data: read every partition held from its start, and every one assigned later."""
        self.pending = True
        consumer = self._consumer()
        if consumer is not None and (assigned := consumer.assignment()):
            self._rewind(consumer, assigned)

    def settled(self) -> None:
        """A later check found nothing lost: rebalances keep their committed positions again."""
        self.pending = False

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self._consumer()
        if self.pending and assigned and consumer is not None:
            self._rewind(consumer, assigned)

    def _rewind(self, consumer: Any, partitions: set[TopicPartition]) -> None:
        # ``seek`` only sets the position (safe inside a rebalance); an offset below the log's start is out of
        # range there and resets to the earliest (auto_offset_reset), so 0 means "the start" on any broker.
        for partition in partitions:
            consumer.seek(partition, 0)
        self.rewinds += len(partitions)
        log.warning("%s: reading %d partitions from their start after the broker lost its data", self.name,
                    len(partitions))
