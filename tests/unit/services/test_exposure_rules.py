"""Loopback unless told otherwise, and no example credential beyond loopback (rules, without starting anything)."""

from __future__ import annotations

import secrets

import pytest
from pydantic import SecretStr

from hybridflow.config import get_settings
from hybridflow.errors import StackError
from hybridflow.probes import is_loopback
from hybridflow.services.broker import server_properties
from hybridflow.services.objectstore import check_credentials


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
    ("0.0.0.0", False), ("192.0.2.2", False), ("10.1.2.3", False), ("no-such-host.invalid", False),
])  # fmt: skip
def test_loopback_means_every_address_is_a_loopback_one(host, loopback):
    assert is_loopback(host) is loopback


RANDOM_KEY = secrets.token_urlsafe(24)  # made at run time: no key-like literal for the secret scanner to flag


def _s3(endpoint: str, secret: str):
    return get_settings(s3_endpoint=endpoint, s3_access_key="hybridflow", s3_secret_key=secret)


@pytest.mark.parametrize("secret", ["change-me-please", "change-me", "short"])
def test_the_object_store_refuses_the_example_or_a_short_secret_beyond_loopback(secret):
    with pytest.raises(
        StackError,
        match=r"^S3_ENDPOINT=http://0\.0\.0\.0:9000 is reachable from other machines.*set a long random one in \.env",
    ):
        check_credentials(_s3("http://0.0.0.0:9000", secret))


def test_the_object_store_takes_the_example_secret_on_loopback_and_a_real_one_anywhere():
    check_credentials(_s3("http://localhost:9000", "change-me-please"))
    check_credentials(_s3("http://0.0.0.0:9000", RANDOM_KEY))


def test_the_broker_listens_where_kafka_bootstrap_servers_says_loopback_by_default():
    props = server_properties(get_settings())
    listeners = [entry.split("://")[1] for entry in props["listeners"].split(",")]
    assert all(is_loopback(address.rsplit(":", 1)[0]) for address in listeners), listeners


def test_the_local_cluster_web_uis_listen_on_the_masters_host():
    from hybridflow.services.cluster import SparkCluster

    master, worker = SparkCluster().daemons(get_settings(spark_master="spark://127.0.0.1:7077"))
    assert master.env["SPARK_LOCAL_IP"] == worker.env["SPARK_LOCAL_IP"] == "127.0.0.1"


def test_a_local_spark_driver_binds_loopback_a_remote_cluster_does_not(monkeypatch):
    from hybridflow.spark import spark_conf

    monkeypatch.delenv("SPARK_LOCAL_IP", raising=False)
    for master in ("local[2]", "spark://127.0.0.1:7077"):
        conf = spark_conf(get_settings(spark_master=master))
        assert (conf["spark.driver.bindAddress"], conf["spark.driver.host"]) == ("127.0.0.1", "127.0.0.1")
    assert "spark.driver.bindAddress" not in spark_conf(get_settings(spark_master="spark://spark-master:7077"))
    monkeypatch.setenv("SPARK_LOCAL_IP", "10.0.0.5")  # told otherwise
    assert "spark.driver.bindAddress" not in spark_conf(get_settings(spark_master="local[2]"))


def test_the_secret_never_reaches_a_command_line():
    from hybridflow.services.objectstore import ObjectStore

    daemon = ObjectStore().daemons(_s3("http://localhost:9000", RANDOM_KEY))[0]
    assert daemon.env["ROOT_SECRET_KEY"] == RANDOM_KEY
    assert isinstance(_s3("http://localhost:9000", "x" * 20).s3_secret_key, SecretStr)


def test_composes_bucket_init_refuses_the_example_keys_before_touching_the_store(monkeypatch, capsys):
    from hybridflow.cli import main

    monkeypatch.setenv("S3_ENDPOINT", "http://s3:9000")  # Compose's store: every container of the network reaches it
    monkeypatch.setenv("S3_ACCESS_KEY", "change-me-access-key")
    monkeypatch.setenv("S3_SECRET_KEY", "change-me-please")
    assert main(["objectstore", "init", "--wait", "1"]) == 2
    err = capsys.readouterr().err
    assert "S3_SECRET_KEY is the example placeholder" in err and "make setup" in err
