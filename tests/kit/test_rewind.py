"""After the broker lost its data a consumer reads from the start: the partitions it holds now, and every
partition a rebalance gives it until the loss has settled (``infohus/kit/rewind.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka import TopicPartition

from infohus.kit.rewind import RewindAfterLoss

A, B = TopicPartition("t", 0), TopicPartition("u", 0)


@dataclass
class FakeConsumer:
    held: set[TopicPartition] = field(default_factory=set)
    positions: dict[TopicPartition, int] = field(default_factory=dict)

    def assignment(self) -> set[TopicPartition]:
        return self.held

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.positions[partition] = offset


@dataclass
class FakeSubscriber:
    consumer: FakeConsumer


async def test_a_loss_rewinds_what_is_held_now_and_what_a_rebalance_assigns_until_it_settles() -> None:
    consumer = FakeConsumer(held={A})
    rewind = RewindAfterLoss("kit-test")
    rewind.subscriber = FakeSubscriber(consumer)

    await rewind.on_partitions_assigned({A})
    assert consumer.positions == {}  # no loss: committed positions stand

    await rewind.lost()
    assert consumer.positions == {A: 0}
    consumer.positions.clear()
    await rewind.on_partitions_assigned({A, B})  # a rebalance after the loss, before it settled
    assert consumer.positions == {A: 0, B: 0}

    rewind.settled()
    consumer.positions.clear()
    await rewind.on_partitions_assigned({A, B})
    assert consumer.positions == {}
    assert rewind.rewinds == 3


async def test_a_loss_found_while_nothing_is_assigned_rewinds_at_the_next_assignment() -> None:
    consumer = FakeConsumer()
    rewind = RewindAfterLoss("kit-test")
    await rewind.lost()  # not started yet: no consumer at all
    rewind.subscriber = FakeSubscriber(consumer)
    await rewind.lost()  # in a rebalance: nothing held
    assert consumer.positions == {}
    await rewind.on_partitions_assigned({B})
    assert consumer.positions == {B: 0}
