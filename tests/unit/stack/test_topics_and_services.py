"""Unit tests of topic wiring, the unreachable-broker error, the service registry and the CLI."""

from __future__ import annotations

import pytest

from hybridflow.cli import build_parser
from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.stack import services, topics
from hybridflow.stack.base import Service, ServiceStatus


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
    assert topics.broker_answers(scratch_settings, timeout_ms=1000) is False


def test_registry_holds_services() -> None:
    names = [s.name for s in services.SERVICES]
    assert names[0] == "kafka"  # the broker starts first: everything else may need it
    assert len(names) == len(set(names))
    assert all(isinstance(s, Service) for s in services.SERVICES)


class _Fake:
    def __init__(self, name: str, log: list[str], on: bool = True) -> None:
        self.name, self.log, self.on = name, log, on

    def enabled(self, settings: Settings) -> bool:
        return self.on

    def start(self, settings: Settings) -> ServiceStatus:
        self.log.append(f"start {self.name}")
        return ServiceStatus(self.name, True, "here:1", 42, started_in_s=1.5)

    def stop(self, settings: Settings) -> bool:
        self.log.append(f"stop {self.name}")
        return True

    def status(self, settings: Settings) -> ServiceStatus:
        return ServiceStatus(self.name, True, "here:1", 42)


def test_up_and_down_follow_registry_order(monkeypatch, scratch_settings: Settings) -> None:
    log: list[str] = []
    fakes = (_Fake("a", log), _Fake("off", log, on=False), _Fake("b", log))
    monkeypatch.setattr(services, "SERVICES", fakes)
    monkeypatch.setattr(services, "ensure_topics", lambda s: {"t": 3})
    result = services.up(scratch_settings)
    assert log == ["start a", "start b"]  # disabled services are skipped
    assert [s.name for s in result.services] == ["a", "b"] and result.topics == {"t": 3}
    assert "a at here:1 (pid 42, started in 1.5 s)" in result.summary() and "t(3)" in result.summary()
    log.clear()
    assert services.down(scratch_settings) == ["b", "off", "a"]
    assert log == ["stop b", "stop off", "stop a"]


def test_status_line() -> None:
    line = ServiceStatus("kafka", True, "localhost:9092", 7, details={"topics": "a(3)"}).line()
    assert "running" in line and "localhost:9092" in line and "pid 7" in line and "topics: a(3)" in line
    assert ServiceStatus("kafka", False, "localhost:9092").state == "stopped"


def test_cli_has_stack_commands() -> None:
    parser = build_parser()
    for command in (
        ["up"],
        ["down"],
        ["status"],
        ["cluster", "up"],
        ["cluster", "down"],
        ["cluster", "status"],
        ["objectstore", "install", "--if-needed"],
        ["objectstore", "init"],
    ):
        assert parser.parse_args(command).func.__module__ == "hybridflow.stack.commands", command


def test_a_port_that_is_not_kafka_fails_without_leaking_threads(
    scratch_settings: Settings, listening_socket: int
) -> None:
    import threading

    fake = scratch_settings.with_(kafka_bootstrap_servers=f"localhost:{listening_socket}")
    before = threading.active_count()
    assert topics.broker_answers(fake, timeout_ms=1000) is False
    with pytest.raises(StackError, match="is not reachable"):
        topics.ensure_topics(fake, timeout_s=1)
    assert threading.active_count() == before
