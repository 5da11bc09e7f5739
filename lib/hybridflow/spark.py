"""Build the SparkSession from the settings (local mode or a standalone cluster)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, Row, SparkSession

from hybridflow.config import Settings
from hybridflow.probes import is_loopback
from hybridflow.toolchain import check_java, jars

# The FAIR scheduler pools of the streaming job's queries (`hybridflow.streaming.job` names them).
SCHEDULER_POOLS = Path(__file__).parent / "streaming" / "pools.xml"


def local_only(settings: Settings) -> bool:
    """True when the driver needs no address but loopback: local[N], or a standalone master on this machine's loopback."""
    if settings.spark_master.startswith("local"):
        return True
    hosts = [server.rsplit(":", 1)[0] for server in settings.spark_master.removeprefix("spark://").split(",")]
    return all(is_loopback(host) for host in hosts)


def spark_conf(settings: Settings) -> dict[str, str]:
    """Every Spark option the project sets, as data (also shown in the report)."""
    conf = {
        "spark.master": settings.spark_master,
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.streaming.forceDeleteTempCheckpointLocation": "true",
        # Parquet written by the sinks stays readable by pandas/pyarrow (no INT96 timestamps).
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        # The lake's tables are Delta tables (jars from jvm/pom.xml, profile `spark`).
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        # Delta rebuilds a table's state from its log with this many tasks (default 50): sized for a
        # cluster, it costs seconds per micro-batch on a small machine. Follow the shuffle setting.
        "spark.databricks.delta.snapshotPartitions": str(settings.spark_shuffle_partitions),
        # The stream caches each micro-batch to read it twice, then drops it: compressing that cache
        # cost a fifth of the batch's CPU (measured over 200,000 records), for memory it has to spare.
        "spark.sql.inMemoryColumnarStorage.compressed": "false",
        # The streaming queries share the task slots by weight (`streaming/pools.xml`), not first come first served.
        "spark.scheduler.mode": "FAIR",
        "spark.scheduler.allocation.file": str(SCHEDULER_POOLS),
    }
    connectors = [str(p) for p in jars(settings, "spark")]
    if settings.spark_master.startswith("local"):
        # Executors run in the driver's JVM: the connectors go on its class path. Through spark.jars,
        # the local executor would copy all of them (680 MB, the AWS SDK bundle mostly) into a
        # spark-*/userFiles temporary directory at every start, left behind whenever a job is killed.
        conf["spark.driver.extraClassPath"] = os.pathsep.join(connectors)
    else:
        # Through spark.jars, before the JVM starts: the driver ships them to the cluster's executors.
        conf["spark.jars"] = ",".join(connectors)
    if local_only(settings) and os.environ.get("SPARK_LOCAL_IP", "127.0.0.1") == "127.0.0.1":  # else: told otherwise
        # Otherwise the driver's RPC and block manager listen on the machine's network address
        # (Spark picks the first non-loopback interface): nothing outside needs to reach them.
        conf |= {"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1"}
    if settings.s3_endpoint:
        conf |= {
            "spark.hadoop.fs.s3a.endpoint": settings.s3_endpoint,
            "spark.hadoop.fs.s3a.endpoint.region": settings.s3_region,
            "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.connection.ssl.enabled": str(settings.s3_endpoint.startswith("https")).lower(),
            "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
            "spark.hadoop.fs.s3a.access.key": settings.s3_access_key.get_secret_value(),  # type: ignore[union-attr]  # Settings requires both keys with S3_ENDPOINT
            "spark.hadoop.fs.s3a.secret.key": settings.s3_secret_key.get_secret_value(),  # type: ignore[union-attr]  # Settings requires both keys with S3_ENDPOINT
            "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        }
    return conf


def get_spark(settings: Settings, app_name: str = "hybridflow") -> SparkSession:
    """Return a SparkSession configured from the settings (reuses the active one if any)."""
    check_java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors use this venv's Python
    if local_only(settings):
        # The driver's web UI (4040…) listens on SPARK_LOCAL_IP, else on every interface (0.0.0.0).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName(app_name)
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def one_row(df: DataFrame) -> Row:
    """The row of a query that returns exactly one (an aggregate); Spark's `first()` is typed as optional."""
    row = df.first()
    if row is None:
        raise ValueError("expected one row (an aggregate query), got none")
    return row


def jvm(spark: SparkSession) -> Any:
    """The py4j gateway to the driver's JVM (a live SparkContext always has one)."""
    gateway = spark.sparkContext._jvm
    if gateway is None:
        raise RuntimeError("the SparkContext has no JVM gateway: it was stopped")
    return gateway
