"""The broker SIGKILLed while the job publishes a batch's dead letters (private broker).

A batch whose dead letters cannot be published fails the query, and the whole job with it:
a broker restart must not do that. The publish keeps trying through the outage — the
transaction it had open is aborted, or the producer librdkafka left in a fatal state replaced —
and once the broker is back, `read_committed` consumers see every dead letter exactly once.
An outage longer than the publisher allows fails with the broker's error, and closing the
publisher after it raises nothing (it runs while the job stops: it must not hide that error).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from confluent_kafka import KafkaException

from hybridflow.config import Settings
from hybridflow.stack import ensure_topics
from hybridflow.stack.broker import BrokerPaths, KafkaBroker
from hybridflow.stack.process import PidFile, pid_alive, port_in_use, wait_until
from hybridflow.streaming.sinks import DeadLetterPublisher
from hybridflow.tickets.consumer import read_committed

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def private(settings: Settings, tmp_path_factory: pytest.TempPathFactory, module_stable_port) -> Iterator[Settings]:
    """A private broker (restartable ports, own state dir) and its topics; stopped at the end."""
    state = tmp_path_factory.mktemp("dlq-broker")
    (state / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    s = settings.with_(kafka_bootstrap_servers=f"localhost:{module_stable_port()}", kafka_controller_port=module_stable_port(), state_dir=state)  # fmt: skip
    KafkaBroker().start(s)
    ensure_topics(s)
    yield s
    KafkaBroker().stop(s, timeout_s=10)


def letters(s: Settings, offsets: range, partition: int = 0) -> list[dict]:
    """Dead-letter rows as the job collects them (`transforms.dead_letters`, through Arrow)."""
    return [
        {"key": None, "value": f"bad {partition}-{o}".encode(), "headers": [{"key": "dlq.reason", "value": b"malformed_json"}],
         "source_topic": s.topic_tickets, "source_partition": partition, "source_offset": o}
        for o in offsets
    ]  # fmt: skip


def _kill(s: Settings) -> None:
    pid = PidFile(BrokerPaths.of(s).pid).read()
    os.kill(pid, signal.SIGKILL)
    while pid_alive(pid):
        time.sleep(0.05)
    host, port = s.kafka_bootstrap_servers.rsplit(":", 1)
    wait_until(
        lambda: not port_in_use(host, int(port)), 30, what="the killed broker's port to close", fix="see ss -ltnp"
    )


def test_a_publish_rides_a_broker_restart_out_and_lands_once(private: Settings) -> None:
    s = private
    first, during = letters(s, range(3000)), letters(s, range(3000, 6000)) + letters(s, range(500), partition=2)
    publisher = DeadLetterPublisher(s, uuid.uuid4().hex)
    try:
        assert publisher.publish(first) == len(first)
        _kill(s)
        restart = threading.Timer(5, KafkaBroker().start, args=(s,))
        restart.start()
        try:
            assert publisher.publish(during) == len(during)  # sent while the broker is down
        finally:
            restart.join()
    finally:
        publisher.close()
    landed = Counter(record["value"] for record in read_committed(s, s.topic_dlq))
    assert landed == Counter(row["value"].decode() for row in first + during), "a dead letter was lost or duplicated"


def test_a_longer_outage_fails_with_the_brokers_error_and_closing_raises_nothing(private: Settings) -> None:
    s = private
    publisher = DeadLetterPublisher(s, uuid.uuid4().hex, outage_s=10)
    try:
        _kill(s)
        started = time.monotonic()
        with pytest.raises(KafkaException):
            publisher.publish(letters(s, range(100)))
        assert time.monotonic() - started < 10 + 3 * s.kafka_request_timeout_ms / 1000
    finally:
        publisher.close()  # raises nothing
        KafkaBroker().start(s)
