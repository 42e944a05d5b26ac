"""LocalBroker against the real tansu binary."""

import asyncio
import socket
import stat
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # type: ignore[import-untyped, unused-ignore]
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped, unused-ignore]
from aiokafka.errors import KafkaConnectionError  # type: ignore[import-untyped, unused-ignore]

from devtools.devstack.broker import BrokerStartError, LocalBroker
from devtools.devstack.ports import free_port
from infohus.kit.messaging import ensure_topics
from infohus.kit.settings import KafkaSettings


async def list_topics(bootstrap_servers: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def produce(bootstrap_servers: str, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def consume_one(bootstrap_servers: str, topic: str) -> tuple[bytes | None, bytes | None]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        session_timeout_ms=3000,
        heartbeat_interval_ms=1000,
        fetch_max_wait_ms=50,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 20)
        return record.key, record.value
    finally:
        await consumer.stop()


def connect_refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


async def test_produce_and_consume_then_restart_is_empty() -> None:
    async with LocalBroker() as broker:
        assert broker.bootstrap_servers == f"127.0.0.1:{broker.port}"
        assert broker.is_running
        topic = "devstack.test.roundtrip"

        await ensure_topics(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), [topic])
        await ensure_topics(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), [topic, topic])  # idempotent
        assert topic in await list_topics(broker.bootstrap_servers)

        await produce(broker.bootstrap_servers, topic, b"k1", b"hej verden")
        assert await consume_one(broker.bootstrap_servers, topic) == (b"k1", b"hej verden")

        old_pid = broker.pid
        await broker.arestart()
        assert broker.pid != old_pid
        assert broker.bootstrap_servers == f"127.0.0.1:{broker.port}"
        assert topic not in await list_topics(broker.bootstrap_servers)  # memory storage: empty

        await ensure_topics(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), [topic, "devstack.test.other"])
        assert {topic, "devstack.test.other"} <= await list_topics(broker.bootstrap_servers)
    assert not broker.is_running
    assert connect_refused(broker.port)


async def test_sync_start_stop_kill_and_start_again() -> None:
    # The sync API, called from a coroutine only so the topic listing can use aiokafka.
    with LocalBroker(log_file=None) as broker:
        log_path = broker.log_path
        assert log_path is not None and log_path.exists()
        assert "tansu" in log_path.read_text()
        broker.kill()
        assert not broker.is_running
        assert connect_refused(broker.port)
        assert not log_path.exists()  # temporary log removed
        broker.start()  # same port again, after a crash
        assert broker.is_running
        assert await list_topics(broker.bootstrap_servers) == set()
    assert not broker.is_running
    assert connect_refused(broker.port)


def test_explicit_log_file_is_kept(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "tansu.log"
    with LocalBroker(log_file=log_file) as broker:
        assert broker.log_path == log_file
    assert "listening on" in log_file.read_text()


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(BrokerStartError, match="already in use"):
            LocalBroker(port=port).start()


def test_start_failure_reports_exit_code_and_log_tail(tmp_path: Path) -> None:
    fake = tmp_path / "fake-tansu"
    fake.write_text("#!/bin/sh\necho 'fake tansu: storage engine exploded' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    broker = LocalBroker(binary=str(fake), startup_timeout=5)
    with pytest.raises(BrokerStartError, match="code 3") as info:
        broker.start()
    assert "storage engine exploded" in str(info.value)
    assert not broker.is_running


def test_not_answering_kafka_times_out_with_log_tail(tmp_path: Path) -> None:
    # A process that stays alive but never listens: the wait is bounded and the process is cleaned up.
    fake = tmp_path / "silent-tansu"
    fake.write_text("#!/bin/sh\necho 'fake tansu waiting'\nexec sleep 30\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    broker = LocalBroker(binary=str(fake), startup_timeout=0.5, stop_grace=0.5)
    with pytest.raises(BrokerStartError, match="did not answer") as info:
        broker.start()
    assert "fake tansu waiting" in str(info.value)
    assert not broker.is_running


async def test_ensure_topics_without_broker_gives_up() -> None:
    with pytest.raises(KafkaConnectionError):
        await ensure_topics(KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}", request_timeout_ms=500),
                            ["nowhere"])
