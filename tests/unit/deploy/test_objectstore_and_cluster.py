"""Pure parts of the object store, the Spark cluster and the runner: addresses, commands, evidence parsing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from hybridflow.config import Settings, child_env, get_settings
from hybridflow.deploy.runner import read_event_log
from hybridflow.errors import ConfigError, StackError, ToolchainError
from hybridflow.services.cluster import (
    MASTER_CLASS,
    WORKER_CLASS,
    ClusterSpec,
    master_command,
    scala_version,
    worker_command,
)
from hybridflow.services.objectstore import (
    ObjectStore,
    ObjectStorePaths,
    endpoint_address,
    required_buckets,
    server_command,
    split_s3a,
)


def _s3(**over) -> Settings:
    base = {
        "s3_endpoint": "http://localhost:9123",
        "s3_access_key": "ak",
        "s3_secret_key": "very-secret",
        "lake_uri": "s3a://lake/hybridflow",
    }
    return get_settings(**(base | over))


def test_endpoint_and_buckets_come_from_the_settings():
    settings = _s3(checkpoint_uri="s3a://checkpoints/run1")
    assert endpoint_address(settings) == ("localhost", 9123)
    assert split_s3a("s3a://lake/hybridflow/tickets") == ("lake", "hybridflow/tickets")
    assert required_buckets(settings) == ["lake", "checkpoints"]
    assert required_buckets(get_settings(lake_uri="file:///tmp/lake")) == []
    with pytest.raises(StackError, match="s3a://bucket"):
        split_s3a("file:///tmp/x")


def test_object_store_is_enabled_only_for_a_local_endpoint():
    assert ObjectStore().enabled(_s3())
    assert not ObjectStore().enabled(_s3(s3_endpoint="http://storage.example.com:9000"))
    assert not ObjectStore().enabled(get_settings(s3_endpoint=None, lake_uri="file:///tmp/lake"))


def test_server_command_keeps_secrets_off_the_command_line(tmp_path):
    settings = _s3(state_dir=tmp_path)
    cmd = server_command(Path("/bin/versitygw"), settings, ObjectStorePaths.of(settings))
    assert cmd[cmd.index("--port") + 1] == "localhost:9123"
    assert cmd[-2:] == ["posix", str(tmp_path / "objectstore" / "data")]
    assert "very-secret" not in " ".join(cmd) and "ak" not in cmd


def test_start_without_the_binary_says_to_run_setup(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no versitygw on PATH either
    settings = _s3(state_dir=tmp_path, s3_endpoint="http://127.0.0.1:1")  # port 1: free, nobody listens
    with pytest.raises(ToolchainError, match="make setup"):
        ObjectStore().start(settings)


def test_cluster_spec_reads_spark_master_and_the_cluster_settings(monkeypatch):
    monkeypatch.setenv("SPARK_WORKER_MEMORY", "3g")  # the settings read Spark's own variable names
    spec = ClusterSpec.of(
        get_settings(spark_master="spark://10.0.0.5:7078", spark_master_webui_port=9090, spark_worker_cores=2)
    )
    assert (spec.host, spec.port, spec.webui_port, spec.worker_webui_port) == ("10.0.0.5", 7078, 9090, 8081)
    assert (spec.worker_cores, spec.worker_memory) == (2, "3g")
    assert spec.master_url == "spark://10.0.0.5:7078" and spec.master_ui == "http://10.0.0.5:9090"
    monkeypatch.delenv("SPARK_WORKER_MEMORY")
    local = ClusterSpec.of(get_settings(spark_master="local[*]"))
    assert local.master_url == "spark://127.0.0.1:7077" and (local.worker_cores, local.worker_memory) == (1, "1g")
    with pytest.raises(ConfigError, match="SPARK_WORKER_CORES"):
        get_settings().with_(spark_worker_cores="two")


def test_daemon_commands_use_pysparks_jars(tmp_path):
    spec = ClusterSpec.of(get_settings(spark_master="spark://127.0.0.1:7077"))
    master = master_command(spec)
    assert MASTER_CLASS in master and master[master.index("-cp") + 1].endswith("pyspark/jars/*")
    worker = worker_command(spec, tmp_path)
    assert worker[worker.index(WORKER_CLASS) + 1] == "spark://127.0.0.1:7077"
    assert worker[worker.index("--cores") + 1] == "1" and worker[worker.index("--memory") + 1] == "1g"
    assert scala_version() == "2.13"


def test_child_env_rebuilds_the_same_settings(monkeypatch):
    settings = _s3(topic_tickets="t1", trigger_interval="5 seconds", spark_worker_cores=3)
    env = child_env(settings, EXTRA="x")
    assert env["S3_SECRET_KEY"] == "very-secret" and env["TOPIC_TICKETS"] == "t1" and env["EXTRA"] == "x"
    assert env["SPARK_WORKER_CORES"] == "3" and env["HYBRIDFLOW_ENV_FILE"] == os.devnull  # no .env adds to them
    assert "CHECKPOINT_URI" not in env  # unset stays unset
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert get_settings() == settings


def test_event_log_summary_counts_tasks_per_executor(tmp_path):
    folder = tmp_path / "eventlog_v2_app-20260101000000-0001"
    folder.mkdir()
    events = [
        {"Event": "SparkListenerApplicationStart", "App ID": "app-20260101000000-0001"},
        {"Event": "SparkListenerExecutorAdded", "Executor ID": "0", "Executor Info": {"Host": "10.0.0.7"}},
        *[{"Event": "SparkListenerTaskEnd", "Task Info": {"Executor ID": "0"}}] * 3,
        {"Event": "SparkListenerApplicationEnd"},
    ]
    (folder / "events_1_app-20260101000000-0001").write_text("\n".join(json.dumps(e) for e in events))
    summary = read_event_log(folder)
    assert summary.app_id == "app-20260101000000-0001" and summary.finished
    assert summary.executors == {"0": "10.0.0.7"} and summary.tasks_by_executor == {"0": 3}


def test_secret_values_are_secret_in_settings():
    assert isinstance(_s3().s3_secret_key, SecretStr) and "very-secret" not in repr(_s3())
