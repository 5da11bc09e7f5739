"""Integration tests of the local stack against the real broker on KAFKA_BOOTSTRAP_SERVERS.

These never stop the shared broker: the down/up cycle runs on a second broker
instance (other ports, own state dir), see test_second_broker_lifecycle.py.
"""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from hybridflow.cli import main
from hybridflow.config import Settings
from hybridflow.kafka import describe_topics, ensure_topics
from hybridflow.kafka.security import client_options
from hybridflow.kafka.topics import DLQ_PARTITIONS
from hybridflow.services import StackUp, status, up
from hybridflow.services.broker import BrokerPaths
from hybridflow.services.process import PidFile

pytestmark = pytest.mark.integration


def _kafka(stack: StackUp):
    return next(s for s in stack.services if s.name == "kafka")


def test_up_is_idempotent(settings: Settings, stack: StackUp) -> None:
    first = _kafka(stack)
    again = up(settings)
    assert _kafka(again).pid == first.pid
    assert _kafka(again).started_in_s == 0.0  # found running, not restarted
    assert PidFile(BrokerPaths.of(settings).pid).read() == first.pid


def test_up_created_the_pipeline_topics(settings: Settings, stack: StackUp) -> None:
    assert stack.topics == {
        settings.topic_tickets: settings.topic_partitions,
        settings.topic_dlq: DLQ_PARTITIONS,
        settings.topic_alerts: settings.topic_partitions,
        settings.topic_events: settings.topic_partitions,
        settings.topic_breaches: settings.topic_partitions,
    }


def test_ensure_topics_is_idempotent(isolated_settings: Settings) -> None:
    expected = {
        isolated_settings.topic_tickets: isolated_settings.topic_partitions,
        isolated_settings.topic_dlq: DLQ_PARTITIONS,
        isolated_settings.topic_alerts: isolated_settings.topic_partitions,
        isolated_settings.topic_events: isolated_settings.topic_partitions,
        isolated_settings.topic_breaches: isolated_settings.topic_partitions,
    }
    assert ensure_topics(isolated_settings) == expected  # second call (the fixture made the first)
    assert ensure_topics(isolated_settings) == expected
    listed = describe_topics(isolated_settings)
    assert {n: listed[n] for n in expected} == expected


def test_ensure_topics_grows_partitions(isolated_settings: Settings) -> None:
    more = isolated_settings.with_(topic_partitions=isolated_settings.topic_partitions + 1)
    assert ensure_topics(more)[more.topic_tickets] == more.topic_partitions


def test_produce_consume_round_trip(isolated_settings: Settings) -> None:
    key, value = b"client-0042", f"hello {uuid.uuid4()}".encode()
    producer = KafkaProducer(
        bootstrap_servers=isolated_settings.bootstrap_list,
        acks="all",
        request_timeout_ms=isolated_settings.kafka_request_timeout_ms,
        **client_options(isolated_settings, "kafka-python", "producer"),
    )
    meta = producer.send(isolated_settings.topic_tickets, key=key, value=value).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        bootstrap_servers=isolated_settings.bootstrap_list,
        consumer_timeout_ms=15000,
        request_timeout_ms=isolated_settings.kafka_request_timeout_ms,
        **client_options(isolated_settings, "kafka-python", "streaming"),
    )
    try:
        tp = TopicPartition(meta.topic, meta.partition)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        record = next(iter(consumer))  # StopIteration after 15 s if nothing arrives
        end = consumer.end_offsets([tp])[tp]
    finally:
        consumer.close()
    assert (record.key, record.value) == (key, value)
    assert record.offset == meta.offset == 0 and end == 1  # exactly one record in that partition


def test_status_reports_running(settings: Settings, stack: StackUp, capsys) -> None:
    kafka = next(s for s in status(settings) if s.name == "kafka")
    assert kafka.running and kafka.pid == _kafka(stack).pid
    assert kafka.address == settings.kafka_bootstrap_servers
    assert f"{settings.topic_tickets}({settings.topic_partitions})" in kafka.details["topics"]
    main(["status"])
    out = capsys.readouterr().out
    assert any(
        line.startswith("kafka") and "running" in line and f"pid {kafka.pid}" in line for line in out.splitlines()
    )
