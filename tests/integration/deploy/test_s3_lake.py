"""The lake in the bucket for real: Spark writes Delta through s3a://, delta-rs reads it back without Spark.

First a plain Spark write/read of Parquet through the s3a connector; then the ticket
pipeline (unchanged, run as `hybridflow stream --available-now` in a child process)
with LAKE_URI=s3a://…: its Delta tables and checkpoints land in the bucket, exactly once,
and a rerun commits nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hybridflow import lake
from hybridflow.config import child_env
from hybridflow.deploy.runner import run_stream
from hybridflow.services.objectstore import list_objects, split_s3a

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_SPARK_ROUND_TRIP = """
from hybridflow.config import get_settings
from hybridflow.spark import get_spark
settings = get_settings()
spark = get_spark(settings, app_name="s3a-round-trip")
spark.range(1000).selectExpr("id", "id % 3 AS part").write.mode("overwrite").partitionBy("part").parquet(settings.lake_path("numbers"))
back = spark.read.parquet(settings.lake_path("numbers"))
print("ROWS", back.count(), back.selectExpr("sum(id)").first()[0])
spark.stop()
"""


def test_spark_writes_and_reads_parquet_through_s3a(object_store, s3_settings):
    settings = s3_settings.with_(lake_uri="s3a://lake-tests/roundtrip")
    env = child_env(settings)
    done = subprocess.run(
        [sys.executable, "-c", _SPARK_ROUND_TRIP], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ROWS 1000 499500" in done.stdout
    keys = [o["key"] for o in list_objects(settings, settings.lake_path("numbers"))]
    assert {k.split("/")[2] for k in keys if k.endswith(".parquet")} == {"part=0", "part=1", "part=2"}
    assert "roundtrip/numbers/_SUCCESS" in keys


@pytest.fixture(scope="module")
def s3_run(object_store, s3_settings, pipeline_input, lake_under):
    """One available-now run of the pipeline into the bucket."""
    topics, events = pipeline_input
    settings = lake_under(s3_settings, topics, "s3a://lake-tests/pipeline")
    run = run_stream(settings)
    return settings, events, run


def test_pipeline_outputs_land_in_the_bucket(s3_run):
    settings, events, _run = s3_run
    valid = sorted(json.loads(e.value)["ticket_id"] for e in events if e.is_valid)
    tickets = lake.TICKETS.to_pandas(settings)  # delta-rs over the S3 API, following the Delta log
    assert sorted(tickets["ticket_id"]) == valid
    assert tickets["created_date"].nunique() >= 1  # the date partitions came back as a column
    _bucket, prefix = split_s3a(lake.TICKETS.uri(settings))
    keys = {o["key"] for o in list_objects(settings, lake.TICKETS.uri(settings))}
    committed = [path for path, _ in lake.TICKETS.files(settings)]
    assert committed and {f"{prefix}/{path}" for path in committed} <= keys  # every file the log names is in the bucket
    assert any(k.startswith(f"{prefix}/_delta_log/") for k in keys)
    windows = lake.TICKET_WINDOWS.to_pandas(settings)
    assert len(windows) > 0 and windows["tickets"].sum() <= len(valid)
    checkpoint_keys = [o["key"] for o in list_objects(settings, lake.TICKETS_QUERY.checkpoint(settings))]
    assert any("/offsets/" in k for k in checkpoint_keys) and any("/commits/" in k for k in checkpoint_keys)


def test_rerun_adds_nothing_to_the_bucket(s3_run):
    settings, events, _ = s3_run
    before = {t.name: t.version(settings) for t in lake.STREAM_TABLES}
    run_stream(settings)
    assert {t.name: t.version(settings) for t in lake.STREAM_TABLES} == before  # not one new commit
    tickets = lake.TICKETS.to_pandas(settings)
    assert tickets["ticket_id"].is_unique
    assert len(tickets) == sum(e.is_valid for e in events)
