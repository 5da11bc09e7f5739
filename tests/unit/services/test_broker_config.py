"""Unit tests of the broker's pure parts: generated configuration, cluster id, port checks, status."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.kafka import security
from hybridflow.kafka.properties import read_properties
from hybridflow.services import broker
from hybridflow.services.process import PidFile


def test_properties_follow_the_settings(scratch_settings: Settings) -> None:
    scratch_settings = scratch_settings.with_(kafka_security="plaintext")  # secured: tests/unit/kafka/test_security.py
    host, port = scratch_settings.bootstrap_list[0].split(":")
    cport = scratch_settings.kafka_controller_port
    props = broker.server_properties(scratch_settings)
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}"
    assert props["advertised.listeners"] == f"PLAINTEXT://{host}:{port}"
    assert props["controller.quorum.voters"] == f"{broker.NODE_ID}@{host}:{cport}"
    assert Path(props["log.dirs"]) == scratch_settings.state_dir / "kafka" / "data"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "default.replication.factor",
    ):
        assert props[key] == "1", key


def test_nothing_host_like_is_hard_coded(scratch_settings: Settings) -> None:
    text = broker.render_properties(broker.server_properties(scratch_settings))
    assert "9092" not in text and "9093" not in text  # scratch ports are random, never the defaults


def test_render_and_read_round_trip(tmp_path: Path, scratch_settings: Settings) -> None:
    props = broker.server_properties(scratch_settings) | {"odd.value": "a\\b=c"}
    path = tmp_path / "server.properties"
    path.write_text("# comment\n\n" + broker.render_properties(props))
    assert read_properties(path) == props
    assert read_properties(tmp_path / "missing") == {}


def test_write_config_writes_both_files(scratch_settings: Settings) -> None:
    paths = broker.BrokerPaths.of(scratch_settings)
    broker.write_config(scratch_settings, paths)
    protocol = security.protocol(scratch_settings)  # SASL_SSL by default, PLAINTEXT if KAFKA_SECURITY says so
    assert read_properties(paths.properties)["listeners"].startswith(f"{protocol}://localhost:")
    log4j = paths.log4j.read_text()
    assert f"fileName = {paths.server_log}" in log4j and "rootLogger.level = INFO" in log4j
    assert paths.server_log.parent == scratch_settings.state_dir / "logs"


def test_controller_port_must_differ(scratch_settings: Settings) -> None:
    port = int(scratch_settings.bootstrap_list[0].rsplit(":", 1)[1])
    clash = scratch_settings.with_(kafka_controller_port=port)
    with pytest.raises(StackError, match="KAFKA_CONTROLLER_PORT"):
        broker.server_properties(clash)


def test_single_broker_only(scratch_settings: Settings) -> None:
    two = scratch_settings.with_(kafka_bootstrap_servers="localhost:1,localhost:2")
    with pytest.raises(StackError, match="single host:port"):
        broker.listener(two)


def test_cluster_id_looks_like_kafkas() -> None:
    ids = {broker.new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) and not i.startswith("-") for i in ids)


def test_enabled_only_for_local_addresses(scratch_settings: Settings) -> None:
    kafka = broker.KafkaBroker()
    assert kafka.enabled(scratch_settings)
    remote = scratch_settings.with_(kafka_bootstrap_servers="kafka.example.com:9092")
    assert not kafka.enabled(remote)


def test_start_refuses_a_taken_port(scratch_settings: Settings, listening_socket: int) -> None:
    taken = scratch_settings.with_(kafka_bootstrap_servers=f"localhost:{listening_socket}")
    with pytest.raises(
        StackError,
        match=rf"Port localhost:{listening_socket} \(Kafka broker\) is already in use by "
        rf".*\(pid {os.getpid()}: .*KAFKA_BOOTSTRAP_SERVERS",
    ):
        broker.KafkaBroker().start(taken)
    assert not broker.BrokerPaths.of(taken).pid.exists()  # nothing started, nothing recorded


def test_start_refuses_a_taken_controller_port(scratch_settings: Settings, listening_socket: int) -> None:
    taken = scratch_settings.with_(kafka_controller_port=listening_socket)
    with pytest.raises(StackError, match="KAFKA_CONTROLLER_PORT"):
        broker.KafkaBroker().start(taken)


def test_status_of_a_stale_pidfile_is_stopped(scratch_settings: Settings) -> None:
    paths = broker.BrokerPaths.of(scratch_settings)
    PidFile(paths.pid).write(2**22 + 12345)  # above the default pid_max: never a live process
    status = broker.KafkaBroker().status(scratch_settings)
    assert status.state == "stopped" and status.pid is None
    assert not paths.pid.exists()


def test_stop_without_a_broker_is_a_no_op(scratch_settings: Settings) -> None:
    assert broker.KafkaBroker().stop(scratch_settings) is False


def test_missing_jars_name_the_fix(scratch_settings: Settings) -> None:
    paths = broker.BrokerPaths.of(scratch_settings)
    with pytest.raises(Exception, match="make setup"):
        broker.java_command(scratch_settings, paths, broker.MAIN_CLASS)
