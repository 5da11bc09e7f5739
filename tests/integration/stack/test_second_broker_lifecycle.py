"""The full broker life cycle (up, down, stale pid, restart, port taken) on a second broker.

It runs on free ports with its own state dir, so it never disturbs the shared broker
on KAFKA_BOOTSTRAP_SERVERS, and it proves nothing in the stack is hard-coded.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.kafka import ensure_topics
from hybridflow.kafka.security import client_options
from hybridflow.probes import pid_alive, port_answers
from hybridflow.services.broker import BrokerPaths, KafkaBroker
from hybridflow.services.process import PidFile

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def second(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of a second broker (free ports, own state dir sharing the resolved jars); stopped at the end."""
    state = tmp_path_factory.mktemp("second-broker")
    (state / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    other = settings.with_(
        kafka_bootstrap_servers=f"localhost:{_free_port()}", kafka_controller_port=_free_port(), state_dir=state
    )
    yield other
    KafkaBroker().stop(other, timeout_s=10)


def _dlq_values(s: Settings) -> list[bytes]:
    """Every value in partition 0 of the DLQ topic (reads up to the end offset, no idle wait)."""
    consumer = KafkaConsumer(
        bootstrap_servers=s.bootstrap_list, consumer_timeout_ms=15000, **client_options(s, "kafka-python", "admin")
    )
    try:
        tp = TopicPartition(s.topic_dlq, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        values = []
        for record in consumer:
            values.append(record.value)
            if record.offset + 1 >= end:
                break
        return values
    finally:
        consumer.close()


def test_down_up_cycle_keeps_data(second: Settings) -> None:
    kafka, paths = KafkaBroker(), BrokerPaths.of(second)
    first = kafka.start(second)
    assert first.started_in_s and first.started_in_s > 0
    assert kafka.status(second).running
    assert ensure_topics(second) == {
        second.topic_tickets: second.topic_partitions,
        second.topic_dlq: 1,
        second.topic_alerts: second.topic_partitions,
        second.topic_events: second.topic_partitions,
        second.topic_breaches: second.topic_partitions,
    }
    producer = KafkaProducer(
        bootstrap_servers=second.bootstrap_list, acks="all", **client_options(second, "kafka-python", "admin")
    )
    producer.send(second.topic_dlq, b"survives a restart").get(timeout=30)
    producer.close()
    cluster_id = paths.cluster_id.read_text()

    stop_began = time.monotonic()
    assert kafka.stop(second) is True
    print(f"second broker: started in {first.started_in_s:.1f} s, stopped in {time.monotonic() - stop_began:.1f} s")
    assert not paths.pid.exists() and not pid_alive(first.pid)
    assert not port_answers(*second.bootstrap_list[0].split(":"))
    assert not kafka.status(second).running
    assert kafka.stop(second) is False  # down twice is harmless

    # A stale pid file (process gone, e.g. after a reboot or kill -9) must not block `up`.
    PidFile(paths.pid).write(first.pid)
    again = kafka.start(second)
    print(f"second broker: restarted in {again.started_in_s:.1f} s")
    assert again.pid != first.pid and PidFile(paths.pid).read() == again.pid
    assert paths.cluster_id.read_text() == cluster_id  # formatted once, not again
    assert _dlq_values(second) == [b"survives a restart"]


def test_port_taken_by_another_broker_is_refused(second: Settings, tmp_path: Path) -> None:
    running = KafkaBroker().start(second)  # idempotent: running already after the test above
    intruder = second.with_(state_dir=tmp_path / "intruder", kafka_controller_port=_free_port())
    with pytest.raises(
        StackError,
        match=rf"Port localhost:\d+ \(Kafka broker\) is already in use by java "
        rf"\(pid {running.pid}: .*kafka\.Kafka .*KAFKA_BOOTSTRAP_SERVERS",
    ):
        KafkaBroker().start(intruder)
    assert not BrokerPaths.of(intruder).pid.exists()


def test_same_state_dir_other_address_is_refused(second: Settings) -> None:
    KafkaBroker().start(second)
    moved = second.with_(kafka_bootstrap_servers=f"localhost:{_free_port()}")
    with pytest.raises(StackError, match=r"already runs .* with listeners"):
        KafkaBroker().start(moved)
