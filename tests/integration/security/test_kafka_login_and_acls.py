"""The secured broker, for real: who gets in, and what each principal may do once in.

A private broker (own ports and state folder, random passwords) started with the defaults
of `make up` — KAFKA_SECURITY=sasl_ssl — and its topics and ACLs made by `ensure_topics`:

- nobody gets in without logging in: a plaintext client, a TLS client without SASL, a wrong
  password, a user that does not exist (librdkafka names the SCRAM failure; our own admin
  client says which password to check);
- the producer writes the tickets topic and nothing else: it cannot read it, write the dead
  letters, or create a topic;
- the streaming job reads the tickets and writes dead letters (in a transaction under its
  ``hybridflow-dlq-`` prefix) and alerts, and nothing else: it cannot write tickets, read dead
  letters, or use another transactional id;
- every client dialect logs in through `hybridflow.kafka.security.client_options`: kafka-python and
  librdkafka here, Kafka's Java tool (ProducerPerformance) too; Spark's Kafka source and sink
  run the whole pipeline in tests/integration/streaming/test_pipeline.py against such a broker;
- a password changed in the settings takes effect at the next `up` (the broker's users follow).
"""

from __future__ import annotations

import itertools
import secrets
import subprocess
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import (
    KafkaError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailedError,
)
from pydantic import SecretStr

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.kafka import ensure_topics
from hybridflow.kafka.admin import admin_client, broker_answers
from hybridflow.kafka.security import ROLES, Role, client_options
from hybridflow.probes import free_port
from hybridflow.services.broker import BrokerPaths, KafkaBroker
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.producer import produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TIMEOUT_S = 20


@pytest.fixture(scope="module")
def secured(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A private broker with `make up`'s secured defaults and random passwords, its topics and ACLs made."""
    state = tmp_path_factory.mktemp("secured-broker")
    (state / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    private = settings.model_copy(
        update={
            "kafka_bootstrap_servers": f"localhost:{free_port()}",
            "kafka_controller_port": free_port(),
            "state_dir": state,
            "kafka_security": "sasl_ssl",
            "kafka_ca_file": None,
            "kafka_request_timeout_ms": 10_000,
            **{f"kafka_{role}_password": SecretStr(secrets.token_urlsafe(18)) for role in ROLES},
        }
    )
    began = time.monotonic()
    KafkaBroker().start(private)
    ensure_topics(private)
    print(f"secured broker: started, users and ACLs made in {time.monotonic() - began:.1f} s")
    yield private
    KafkaBroker().stop(private, timeout_s=10)


def _confluent_login_error(s: Settings, config: Mapping[str, object]) -> str | None:
    """None when librdkafka lists the topics with `config`, else what it said (its error callbacks)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    said: list[str] = []
    conf: dict[str, Any] = {
        "bootstrap.servers": s.kafka_bootstrap_servers,
        "error_cb": lambda e: said.append(str(e)),
        "socket.timeout.ms": 5000,
        "log_level": 0,
        **config,
    }
    admin = AdminClient(conf)
    try:
        admin.list_topics(timeout=6)
        return None
    except KafkaException as exc:
        admin.poll(1)  # serves the error callbacks: librdkafka's reason, e.g. the SCRAM failure
        return " | ".join(said) or str(exc)


def _producer(s: Settings, role: Role, **extra: object) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=s.bootstrap_list,
        max_block_ms=TIMEOUT_S * 1000,
        acks="all",
        **client_options(s, "kafka-python", role),
        **extra,
    )


def _read_all(s: Settings, role: Role, topic: str, expect: int) -> list[bytes]:
    """Up to `expect` values of `topic` from the beginning (every partition), read as `role`."""
    consumer = KafkaConsumer(
        bootstrap_servers=s.bootstrap_list,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        **client_options(s, "kafka-python", role),
    )
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        values: list[bytes] = []
        deadline = time.monotonic() + TIMEOUT_S
        while len(values) < expect and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values += [r.value for r in records]
        return values
    finally:
        consumer.close()


# --- who gets in ---------------------------------------------------------------------------------


def test_the_broker_listens_with_sasl_over_tls_only(secured: Settings) -> None:
    listeners = (BrokerPaths.of(secured).properties.read_text().split("listeners=", 1)[1]).splitlines()[0]
    assert listeners.startswith("SASL_SSL://") and "PLAINTEXT" not in listeners


def test_a_client_that_does_not_log_in_is_refused(secured: Settings) -> None:
    assert _confluent_login_error(secured, {"security.protocol": "PLAINTEXT"}) is not None
    tls_only = {"security.protocol": "SSL", "ssl.ca.location": str(secured.kafka_ca_path)}
    assert _confluent_login_error(secured, tls_only) is not None
    assert not broker_answers(secured.with_(kafka_security="plaintext"), timeout_ms=3000)
    # and the same login is let in: the refusals above are about the login, not the broker
    assert _confluent_login_error(secured, client_options(secured, "confluent", "producer")) is None


def test_a_wrong_password_or_an_unknown_user_is_refused(secured: Settings) -> None:
    right = client_options(secured, "confluent", "producer")
    wrong = _confluent_login_error(secured, right | {"sasl.password": "not-the-password"})
    assert wrong and "Authentication failed" in wrong and "SCRAM-SHA-512" in wrong, wrong
    other = _confluent_login_error(secured, right | {"sasl.username": "nobody-here"})
    assert other and "Authentication failed" in other, other
    # the admin's password does not open the producer's account either
    swapped = right | {"sasl.password": secured.kafka_admin_password.get_secret_value()}
    assert _confluent_login_error(secured, swapped) is not None
    bad = secured.with_(kafka_producer_password=SecretStr("not-the-password"))
    with (
        pytest.raises(StackError, match=r"did not let 'hybridflow-producer' in .* check KAFKA_PRODUCER_PASSWORD"),
        admin_client(bad, timeout_ms=4000, role="producer"),
    ):
        pass
    log = (Path(secured.state_dir) / "logs" / "kafka-server.log").read_text()
    assert "Failed authentication" in log and "invalid credentials with SASL mechanism SCRAM-SHA-512" in log


# --- what each principal may do ------------------------------------------------------------------


def test_the_producer_writes_the_tickets_topic_and_nothing_else(secured: Settings) -> None:
    events = list(itertools.islice(TicketGenerator(7, datetime(2026, 1, 31, 9, tzinfo=UTC)).events(), 20))
    for client in ("kafka-python", "confluent"):
        summary = produce(events, secured, progress=False, client=client)
        assert (summary.sent, summary.failed) == (20, 0), (client, summary)

    producer = _producer(secured, "producer")
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(secured.topic_dlq, b"not mine to write").get(timeout=TIMEOUT_S)
    finally:
        producer.close(timeout=5)
    with pytest.raises(TopicAuthorizationFailedError):
        _read_all(secured, "producer", secured.topic_tickets, expect=1)
    with admin_client(secured, role="producer") as admin:
        created = admin.create_topics([NewTopic("producer_made_this", 1, 1)], raise_errors=False)
        assert created["topics"][0]["error_code"] != 0  # TopicAuthorizationFailed / ClusterAuthorizationFailed
        assert "producer_made_this" not in admin.list_topics()


def test_the_streaming_job_reads_tickets_writes_dead_letters_and_alerts_and_nothing_else(secured: Settings) -> None:
    assert len(_read_all(secured, "streaming", secured.topic_tickets, expect=40)) >= 20

    job = _producer(secured, "streaming", transactional_id="hybridflow-dlq-security-test", enable_idempotence=True)
    try:
        job.init_transactions()
        job.begin_transaction()
        job.send(secured.topic_dlq, b"a dead letter")
        job.commit_transaction()
    finally:
        job.close(timeout=5)
    assert _read_all(secured, "admin", secured.topic_dlq, expect=1) == [b"a dead letter"]

    plain = _producer(secured, "streaming")  # as Spark's alert sink: idempotent, not transactional
    try:
        plain.send(secured.topic_alerts, b"an alert").get(timeout=TIMEOUT_S)
        with pytest.raises(TopicAuthorizationFailedError):
            plain.send(secured.topic_tickets, b"not mine to write").get(timeout=TIMEOUT_S)
    finally:
        plain.close(timeout=5)
    with pytest.raises(TopicAuthorizationFailedError):
        _read_all(secured, "streaming", secured.topic_dlq, expect=1)
    other = _producer(secured, "streaming", transactional_id="someone-elses-txn", enable_idempotence=True)
    try:
        with pytest.raises((TransactionalIdAuthorizationFailedError, KafkaError)) as caught:
            other.init_transactions()
        assert "TransactionalIdAuthorization" in type(caught.value).__name__ + str(caught.value)
    finally:
        other.close(timeout=5)


def test_kafkas_java_tool_logs_in_through_the_same_options(secured: Settings, tmp_path: Path) -> None:
    from hybridflow.bench.produce import perf_tool_command

    payload = tmp_path / "payload.txt"
    payload.write_text('{"ticket": 1}\n')

    def run(topic: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            perf_tool_command(secured, topic, 50, payload), capture_output=True, text=True, timeout=180, check=False
        )

    allowed = run(secured.topic_tickets)
    assert allowed.returncode == 0 and "50 records sent" in allowed.stdout, allowed.stdout + allowed.stderr
    config = tmp_path / "perf-producer.properties"
    assert config.stat().st_mode & 0o077 == 0 and "SCRAM-SHA-512" in config.read_text()
    refused = run(secured.topic_dlq)
    assert "TopicAuthorization" in refused.stdout + refused.stderr


def test_a_password_changed_in_the_settings_takes_effect_at_the_next_up(secured: Settings) -> None:
    changed = secured.with_(kafka_producer_password=SecretStr(secrets.token_urlsafe(18)))
    KafkaBroker().start(changed)  # already running: `up` only updates the users
    assert _confluent_login_error(changed, client_options(changed, "confluent", "producer")) is None
    assert _confluent_login_error(secured, client_options(secured, "confluent", "producer")) is not None
    KafkaBroker().start(secured)  # back, for whatever runs after
