"""The Redpanda stand-in of `make compose-test` reads Redpanda's flags as rpk does (no broker started here)."""

from __future__ import annotations

import secrets

import pytest

from hybridflow.deploy.compose import ENV_EXAMPLE, interpolate, load_compose, read_env_file
from hybridflow.deploy.standins import (
    StandinError,
    _rpk_options,
    bootstrap_user,
    heap_size,
    kafka_properties,
    parse_redpanda_start,
)

SECRET = secrets.token_urlsafe(12)  # made at run time: nothing for the secret scanner


@pytest.fixture(scope="module")
def command() -> list[str]:
    return interpolate(load_compose(), read_env_file(ENV_EXAMPLE))["services"]["redpanda"]["command"]


def test_the_compose_command_becomes_the_same_listeners(command):
    flags = parse_redpanda_start(command)
    assert flags.listeners == {"INTERNAL": "0.0.0.0:9092", "EXTERNAL": "0.0.0.0:19092"}
    assert flags.advertised == {"INTERNAL": "redpanda:9092", "EXTERNAL": "localhost:19092"}
    props = kafka_properties(flags, secret=SECRET)
    assert props["listeners"] == "INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:19092,CONTROLLER://0.0.0.0:33145"
    assert props["advertised.listeners"] == "INTERNAL://redpanda:9092,EXTERNAL://localhost:19092"
    assert props["controller.quorum.voters"] == "1@redpanda:33145" and props["inter.broker.listener.name"] == "INTERNAL"


def test_auto_creation_follows_mode_then_set(command):
    assert kafka_properties(parse_redpanda_start(command), secret=SECRET)["auto.create.topics.enable"] == "false"
    bare = ["redpanda", "start", "--mode=dev-container", "--kafka-addr=plain://0.0.0.0:9092"]
    assert parse_redpanda_start(bare).auto_create_topics is True  # dev-container's own default
    assert parse_redpanda_start(bare[:2] + bare[3:]).auto_create_topics is False  # Redpanda's default


def test_flags_without_a_kafka_equivalent_are_reported_and_unknown_ones_refused(command):
    assert "--schema-registry-addr" in parse_redpanda_start(command).ignored
    with pytest.raises(StandinError, match="--tune"):
        parse_redpanda_start([*command, "--tune"])
    with pytest.raises(StandinError, match="--set"):
        parse_redpanda_start([*command, "--set", "redpanda.kafka_api_tls=true"])
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


def test_sasl_as_redpanda_plays_it_every_listener_logs_in_and_only_the_super_users_are_super(command):
    flags = parse_redpanda_start(command)
    props = kafka_properties(flags, secret=SECRET)
    assert (
        props["listener.security.protocol.map"]
        == "INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    )
    assert props["listener.name.external.sasl.enabled.mechanisms"].startswith("SCRAM-SHA-512")
    assert props["super.users"] == f"User:broker;User:{flags.superusers[0]}"
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["allow.everyone.if.no.acl.found"] == "false"
    with pytest.raises(StandinError, match="own secret"):
        kafka_properties(flags)
    bare = ["redpanda", "start", "--kafka-addr=plain://0.0.0.0:9092", "--set", "redpanda.enable_sasl=true"]
    with pytest.raises(StandinError, match="superusers"):
        parse_redpanda_start(bare)


def test_the_bootstrap_user_is_read_as_redpanda_reads_it():
    assert bootstrap_user({"RP_BOOTSTRAP_USER": "admin:pa:ss:SCRAM-SHA-512"}) == ("admin", "pa:ss", "SCRAM-SHA-512")
    assert bootstrap_user({"RP_BOOTSTRAP_USER": "admin:secret"}) == ("admin", "secret", "SCRAM-SHA-256")
    assert bootstrap_user({}) is None
    with pytest.raises(StandinError):
        bootstrap_user({"RP_BOOTSTRAP_USER": "no-password"})


def test_rpk_logs_in_as_the_health_check_asks():
    words, options = _rpk_options(
        [
            "cluster",
            "info",
            "-X",
            "brokers=localhost:9092",
            "-X",
            "sasl.mechanism=SCRAM-SHA-512",
            "-X",
            "user=a",
            "-X",
            "pass=b",
        ]
    )
    assert words == ["cluster", "info"]
    assert options == {"brokers": "localhost:9092", "sasl.mechanism": "SCRAM-SHA-512", "user": "a", "pass": "b"}
