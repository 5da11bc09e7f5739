"""Every bad setting fails at once, in one sentence that names the variable and the fix (settings and CLI).

A table of bad values per variable, set in the environment as a user would: `get_settings`
raises `ConfigError` with ``Setting VAR is invalid (why): fix it in .env or the environment
(see .env.example).`` — one line, no traceback, no secret echoed — and the `hybridflow` CLI turns it
into that line on stderr and exit status 2.
"""

from __future__ import annotations

import re

import pytest

from hybridflow.cli import main
from hybridflow.config import get_settings
from hybridflow.errors import ConfigError

BAD = [
    # the broker
    ("KAFKA_BOOTSTRAP_SERVERS", "localhost"),
    ("KAFKA_BOOTSTRAP_SERVERS", "localhost:"),
    ("KAFKA_BOOTSTRAP_SERVERS", ":9092"),
    ("KAFKA_BOOTSTRAP_SERVERS", "localhost:99999"),
    ("KAFKA_BOOTSTRAP_SERVERS", "localhost:0"),
    ("KAFKA_BOOTSTRAP_SERVERS", "http://localhost:9092"),
    ("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092,"),
    ("KAFKA_BOOTSTRAP_SERVERS", "local host:9092"),
    ("KAFKA_CONTROLLER_PORT", "0"),
    ("KAFKA_CONTROLLER_PORT", "70000"),
    ("KAFKA_CONTROLLER_PORT", "ninety"),
    ("TOPIC_TICKETS", ""),
    ("TOPIC_TICKETS", "client tickets"),
    ("TOPIC_TICKETS", "tickets/2026"),
    ("TOPIC_TICKETS", "x" * 250),
    ("TOPIC_DLQ", ".."),
    ("TOPIC_ALERTS", "alerts\u00e9"),
    ("TOPIC_PARTITIONS", "0"),
    ("TOPIC_PARTITIONS", "-3"),
    ("TOPIC_PARTITIONS", "three"),
    ("TOPIC_PARTITIONS", "1.5"),
    ("KAFKA_REQUEST_TIMEOUT_MS", "10"),
    ("KAFKA_REQUEST_TIMEOUT_MS", "15s"),
    ("KAFKA_CLIENT", "librdkafka"),
    ("KAFKA_SECURITY", "ssl"),
    ("KAFKA_SECURITY", "SASL-SSL"),
    ("KAFKA_ADMIN_USER", "admin user"),
    ("KAFKA_PRODUCER_USER", "User:producer"),
    ("KAFKA_STREAMING_USER", ""),
    ("KAFKA_ADMIN_PASSWORD", "short"),
    ("KAFKA_PRODUCER_PASSWORD", 'has"a-quote-in-it'),
    ("KAFKA_STREAMING_PASSWORD", "has a blank in it"),
    # storage
    ("LAKE_URI", "/no/scheme"),
    ("LAKE_URI", "data/lake"),
    ("LAKE_URI", "file://relative/path"),
    ("LAKE_URI", "file://"),
    ("LAKE_URI", "s3://lake/x"),
    ("LAKE_URI", "s3a://"),
    ("LAKE_URI", "s3a://Upper_Case/x"),
    ("LAKE_URI", "hdfs://namenode/lake"),
    ("CHECKPOINT_URI", "checkpoints"),
    ("S3_ENDPOINT", "localhost:9000"),
    ("S3_ENDPOINT", "ftp://localhost:9000"),
    ("S3_ENDPOINT", "http://"),
    # Spark
    ("SPARK_MASTER", "yarn"),
    ("SPARK_MASTER", "local[0]"),
    ("SPARK_MASTER", "local[-1]"),
    ("SPARK_MASTER", "spark://host"),
    ("SPARK_MASTER", "k8s://https://cluster"),
    ("SPARK_DRIVER_MEMORY", "lots"),
    ("SPARK_DRIVER_MEMORY", "0g"),
    ("SPARK_DRIVER_MEMORY", "-2g"),
    ("SPARK_DRIVER_MEMORY", "2 gigabytes"),
    ("SPARK_SHUFFLE_PARTITIONS", "0"),
    ("TRIGGER_INTERVAL", "1s"),
    ("TRIGGER_INTERVAL", "soon"),
    ("WINDOW_DURATION", "5 parsecs"),
    ("WINDOW_DURATION", "0 minutes"),
    ("WATERMARK_DELAY", "-30 seconds"),
    ("ALERTS_CHECKPOINT_INTERVAL", "every minute"),
    ("ALERT_PRIORITIES", "urgent"),
    ("ALERT_PRIORITIES", ",,"),
    ("ALERT_PRIORITIES", "critical,urgent"),
    ("MAX_OFFSETS_PER_TRIGGER", "0"),
    ("MAX_OFFSETS_PER_TRIGGER", "lots"),
    ("MAX_PAYLOAD_BYTES", "100"),
    ("MAX_PAYLOAD_BYTES", "10kb"),
    # the database
    ("PG_PORT", "0"),
    ("PG_PORT", "65536"),
    ("PG_PORT", "postgres"),
    ("JDBC_NUM_PARTITIONS", "0"),
    ("JDBC_FETCH_SIZE", "-1"),
    ("LOCAL_SERVICES", "maybe"),
]


@pytest.fixture(autouse=True)
def _no_env_file(tmp_path, monkeypatch):
    """Only the variables each test sets: not the developer's .env (`make setup` writes secrets there)."""
    empty = tmp_path / "empty.env"
    empty.write_text("")
    monkeypatch.setenv("HYBRIDFLOW_ENV_FILE", str(empty))


ONE_SENTENCE = re.compile(
    r"^Setting (?P<var>[A-Z0-9_]+) is invalid \(.+\): fix it in \.env or the environment \(see \.env\.example\)\.$"
)


@pytest.mark.parametrize(("variable", "value"), BAD, ids=[f"{v}={x[:20]!r}" for v, x in BAD])
def test_a_bad_value_fails_in_one_sentence_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        get_settings()
    message = str(caught.value)
    match = ONE_SENTENCE.match(message)
    assert match, message
    assert match["var"] == variable
    assert "\n" not in message


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LAKE_URI": "s3a://lake/x"}, "S3_ENDPOINT"),
        ({"S3_ENDPOINT": "http://localhost:9000"}, "S3_ACCESS_KEY / S3_SECRET_KEY"),
        ({"S3_ENDPOINT": "http://localhost:9000", "S3_ACCESS_KEY": "k"}, "S3_SECRET_KEY"),
        ({"TOPIC_DLQ": "client_tickets"}, "TOPIC_TICKETS, TOPIC_DLQ, TOPIC_ALERTS, TOPIC_EVENTS and TOPIC_BREACHES"),
        ({"TOPIC_BREACHES": "client_ticket_events"}, "TOPIC_EVENTS and TOPIC_BREACHES"),
        ({"TOPIC_ALERTS": "same", "TOPIC_DLQ": "same"}, "TOPIC_DLQ"),
        (
            {"KAFKA_CONSOLE_USER": "hybridflow-producer", "KAFKA_CONSOLE_PASSWORD": "x" * 12},
            "KAFKA_CONSOLE_USER",
        ),
        (
            {"KAFKA_PRODUCER_USER": "hybridflow-admin"},
            "KAFKA_ADMIN_USER, KAFKA_PRODUCER_USER, KAFKA_STREAMING_USER and KAFKA_CONSOLE_USER",
        ),
    ],
)
def test_settings_that_disagree_fail_naming_each_variable(monkeypatch, env, named):
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(
        ConfigError, match=r"^Settings disagree \(.+\): fix them in \.env or the environment \(see \.env\.example\)\.$"
    ) as caught:
        get_settings()
    assert named in str(caught.value)


def test_a_bad_password_setting_is_not_echoed(monkeypatch):
    monkeypatch.setenv("S3_ENDPOINT", "http://localhost:9000")
    monkeypatch.setenv("S3_ACCESS_KEY", "AKIA-not-shown")
    with pytest.raises(ConfigError) as caught:
        get_settings()
    assert "AKIA-not-shown" not in str(caught.value)


def test_a_bad_kafka_password_is_not_echoed(monkeypatch):
    monkeypatch.setenv("KAFKA_STREAMING_PASSWORD", "not" + '"' + "shown-anywhere")
    with pytest.raises(ConfigError) as caught:
        get_settings()
    assert "shown-anywhere" not in str(caught.value) and "KAFKA_STREAMING_PASSWORD" in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"), [("SPARK_MASTER", "yarn"), ("TOPIC_PARTITIONS", "-1"), ("LAKE_URI", "/x")]
)
def test_the_cli_prints_the_sentence_and_exits_2(monkeypatch, capsys, variable, value):
    monkeypatch.setenv(variable, value)
    assert main(["settings"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"hybridflow: Setting {variable} is invalid") and "\n" not in err
