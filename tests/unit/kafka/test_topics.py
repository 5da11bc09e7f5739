"""Unit tests of the topics as data, the unreachable-broker error and the admin client's probe (no broker)."""

from __future__ import annotations

import threading

import pytest

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.kafka import admin, topics


def test_wanted_topics_come_from_settings(scratch_settings: Settings) -> None:
    custom = scratch_settings.with_(
        topic_tickets="t", topic_dlq="d", topic_alerts="a", topic_events="e", topic_breaches="b", topic_partitions=5
    )
    assert topics.wanted_topics(custom) == {"t": 5, "d": topics.DLQ_PARTITIONS, "a": 5, "e": 5, "b": 5}


@pytest.mark.parametrize("call", [topics.ensure_topics, topics.describe_topics])
def test_unreachable_broker_names_the_fix(scratch_settings: Settings, call, monkeypatch) -> None:
    def no_client(*args, **kwargs):
        raise AssertionError("a Kafka client was built although nothing listens")

    # Fails fast: the TCP probe answers before any client (and its bootstrap time-out) exists.
    monkeypatch.setattr(topics.KafkaAdminClient, "__init__", no_client)
    with pytest.raises(StackError) as err:
        call(scratch_settings)
    msg = str(err.value)
    assert f"Kafka broker at {scratch_settings.kafka_bootstrap_servers} is not reachable (nothing listens there)" in msg
    assert "make up" in msg and "KAFKA_BOOTSTRAP_SERVERS" in msg


def test_broker_answers_is_false_without_broker(scratch_settings: Settings) -> None:
    assert admin.broker_answers(scratch_settings, timeout_ms=1000) is False


def test_a_port_that_is_not_kafka_fails_without_leaking_threads(
    scratch_settings: Settings, listening_socket: int
) -> None:
    fake = scratch_settings.with_(kafka_bootstrap_servers=f"localhost:{listening_socket}")
    before = threading.active_count()
    assert admin.broker_answers(fake, timeout_ms=1000) is False
    with pytest.raises(StackError, match="is not reachable"):
        topics.ensure_topics(fake, timeout_s=1)
    assert threading.active_count() == before
