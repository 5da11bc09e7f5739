"""The broker SIGKILLed while the job publishes a batch's dead letters (private broker).

A batch whose dead letters cannot be published fails the query, and the whole job with it:
a broker restart must not do that. The publish keeps trying through the outage — the
transaction it had open is aborted, or the producer librdkafka left in a fatal state replaced —
and once the broker is back, `read_committed` consumers see every dead letter exactly once.
An outage longer than the publisher allows fails with the broker's error, and closing the
publisher after it raises nothing (it runs while the job stops: it must not hide that error).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest
from confluent_kafka import KafkaException

from hybridflow.config import Settings
from hybridflow.kafka import ensure_topics
from hybridflow.kafka.consumer import read_committed
from hybridflow.services.broker import KafkaBroker
from hybridflow.streaming.sinks import DeadLetterPublisher

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def private(private_broker) -> Settings:
    """A private broker (restartable ports, own state dir) and its topics; stopped at the end."""
    s = private_broker("dlq-broker")
    ensure_topics(s)
    return s


def letters(s: Settings, offsets: range, partition: int = 0) -> list[dict]:
    """Dead-letter rows as the job collects them (`transforms.dead_letters`, through Arrow)."""
    return [
        {"key": None, "value": f"bad {partition}-{o}".encode(), "headers": [{"key": "dlq.reason", "value": b"malformed_json"}],
         "source_topic": s.topic_tickets, "source_partition": partition, "source_offset": o}
        for o in offsets
    ]  # fmt: skip


def test_a_publish_rides_a_broker_restart_out_and_lands_once(private: Settings, kill_broker) -> None:
    s = private
    first, during = letters(s, range(3000)), letters(s, range(3000, 6000)) + letters(s, range(500), partition=2)
    publisher = DeadLetterPublisher(s, uuid.uuid4().hex)
    try:
        assert publisher.publish(first) == len(first)
        kill_broker(s)
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


def test_a_longer_outage_fails_with_the_brokers_error_and_closing_raises_nothing(
    private: Settings, kill_broker
) -> None:
    s = private
    publisher = DeadLetterPublisher(s, uuid.uuid4().hex, outage_s=10)
    try:
        kill_broker(s)
        started = time.monotonic()
        with pytest.raises(KafkaException):
            publisher.publish(letters(s, range(100)))
        assert time.monotonic() - started < 10 + 3 * s.kafka_request_timeout_ms / 1000
    finally:
        publisher.close()  # raises nothing
        KafkaBroker().start(s)
