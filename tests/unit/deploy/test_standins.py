"""The Redpanda stand-in of `make compose-test` reads Redpanda's flags as rpk does (no broker started here)."""

from __future__ import annotations

import pytest

from hybridflow.deploy.compose import ENV_EXAMPLE, interpolate, load_compose, read_env_file
from hybridflow.deploy.standins import (
    StandinError,
    _rpk_options,
    heap_size,
    kafka_properties,
    parse_redpanda_start,
)


@pytest.fixture(scope="module")
def command() -> list[str]:
    return interpolate(load_compose(), read_env_file(ENV_EXAMPLE))["services"]["redpanda"]["command"]


def test_the_compose_command_becomes_the_same_listeners(command):
    flags = parse_redpanda_start(command)
    assert flags.listeners == {"INTERNAL": "0.0.0.0:9092", "EXTERNAL": "0.0.0.0:19092"}
    assert flags.advertised == {"INTERNAL": "redpanda:9092", "EXTERNAL": "localhost:19092"}
    props = kafka_properties(flags)
    assert props["listeners"] == "INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:19092,CONTROLLER://0.0.0.0:33145"
    assert props["advertised.listeners"] == "INTERNAL://redpanda:9092,EXTERNAL://localhost:19092"
    assert props["controller.quorum.voters"] == "1@redpanda:33145" and props["inter.broker.listener.name"] == "INTERNAL"


def test_auto_creation_follows_mode_then_set(command):
    assert kafka_properties(parse_redpanda_start(command))["auto.create.topics.enable"] == "false"
    bare = ["redpanda", "start", "--mode=dev-container", "--kafka-addr=plain://0.0.0.0:9092"]
    assert parse_redpanda_start(bare).auto_create_topics is True  # dev-container's own default
    assert parse_redpanda_start(bare[:2] + bare[3:]).auto_create_topics is False  # Redpanda's default


def test_flags_without_a_kafka_equivalent_are_reported_and_unknown_ones_refused(command):
    assert "--schema-registry-addr" in parse_redpanda_start(command).ignored
    with pytest.raises(StandinError, match="--tune"):
        parse_redpanda_start([*command, "--tune"])
    with pytest.raises(StandinError, match="--set"):
        parse_redpanda_start([*command, "--set", "redpanda.enable_sasl=true"])
    with pytest.raises(StandinError, match="name://host:port"):
        parse_redpanda_start(["redpanda", "start", "--kafka-addr=0.0.0.0:9092"])


def test_memory_becomes_the_heap_bound():
    assert heap_size("1G") == "1g" and heap_size("512M") == "512m" and heap_size("2GiB") == "2g"
    with pytest.raises(StandinError):
        heap_size("lots")


def test_rpk_options_of_topic_init():
    words, options = _rpk_options(
        ["topic", "create", "client_tickets_dlq", "-p", "1", "-r", "1", "-X", "brokers=redpanda:9092"]
    )
    assert words == ["topic", "create", "client_tickets_dlq"]
    assert options == {"partitions": "1", "replicas": "1", "brokers": "redpanda:9092"}
    with pytest.raises(StandinError):
        _rpk_options(["topic", "create", "x", "--topic-config", "retention.ms=1"])
