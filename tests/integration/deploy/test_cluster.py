"""The same streaming job on a Spark standalone cluster (not local[*]) gives the same lake.

A master and one worker are started from pyspark's own classes on free ports; the
unchanged `hybridflow stream --available-now` runs once with SPARK_MASTER=local[2]
into a local lake and once with SPARK_MASTER=spark://… into the bucket (so the
executors need the Kafka *and* the S3A connector: both reach them through spark.jars).
The lakes must hold the same rows; the event log and the master's and worker's JSON
must show that executors on the worker ran the tasks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from hybridflow import lake
from hybridflow.deploy.runner import compare_local_and_cluster
from hybridflow.services.cluster import ClusterSpec, SparkCluster, alive_workers

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(settings, tmp_path_factory, free_tcp_port) -> Iterator[tuple]:
    """A running master + worker (1 core, 1g) on free ports with its own state dir; stopped at the end."""
    state = tmp_path_factory.mktemp("cluster-state")
    cluster_settings = settings.with_(
        state_dir=state,
        kafka_ca_file=settings.kafka_ca_path,  # the shared broker's CA lives in the session's state dir
        spark_master=f"spark://127.0.0.1:{free_tcp_port()}",
        spark_master_webui_port=free_tcp_port(),
        spark_worker_webui_port=free_tcp_port(),
        spark_worker_cores=1,
        spark_worker_memory="1g",
    )
    spec = ClusterSpec.of(cluster_settings)
    service = SparkCluster()
    status = service.start(cluster_settings)
    try:
        yield cluster_settings, spec, status
    finally:
        service.stop(cluster_settings)
    assert alive_workers(spec) == 0  # really stopped


@pytest.fixture(scope="module")
def comparison(cluster, object_store, s3_settings, pipeline_input, lake_under, tmp_path_factory):
    """The pipeline on local[2] (file:// lake) and on the cluster (s3a:// lake, with an event log)."""
    _, spec, _ = cluster
    topics, events = pipeline_input
    base = lake_under(s3_settings, topics, s3_settings.lake_uri)
    result = compare_local_and_cluster(
        base, spec, tmp_path_factory.mktemp("cluster-runs"), cluster_lake_uri="s3a://lake-tests/cluster"
    )
    print(f"\npipeline: local[2] {result.local.seconds:.1f} s, standalone cluster {result.cluster.seconds:.1f} s")
    return result, events


def _canonical(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame[sorted(frame.columns)].sort_values(keys).reset_index(drop=True)


def test_cluster_starts_from_pyspark_classes(cluster):
    _, spec, status = cluster
    assert status.running and alive_workers(spec) == 1
    assert status.started_in_s is not None and status.started_in_s < 90


@pytest.mark.parametrize(
    ("dataset", "keys"),
    [
        (lake.TICKETS.name, ["ticket_id"]),
        (lake.TICKET_WINDOWS.name, ["window_start", "request_type", "priority"]),
    ],
)
def test_same_lake_contents_as_local_mode(comparison, dataset, keys):
    result, events = comparison
    local = lake.table(dataset).to_pandas(result.local_settings)  # delta-rs: the lakes as any reader sees them
    on_cluster = lake.table(dataset).to_pandas(result.cluster_settings)
    assert len(local) > 0
    pd.testing.assert_frame_equal(_canonical(local, keys), _canonical(on_cluster, keys))
    assert result.same_contents[dataset]
    if dataset == lake.TICKETS.name:
        assert len(on_cluster) == sum(e.is_valid for e in events)


def test_executors_on_the_worker_did_the_work(comparison):
    evidence = comparison[0].evidence
    assert evidence.app_id.startswith("app-")  # a standalone-cluster application, not local-…
    assert evidence.app_state == "FINISHED"
    assert evidence.cores_offered == 1
    assert evidence.worker_executors, "the worker launched no executor for the app"
    assert evidence.tasks_on_workers > 0
    assert "driver" not in evidence.tasks_by_executor  # every task ran on an executor
    assert set(evidence.tasks_by_executor) <= set(evidence.executor_hosts)
    assert comparison[0].local.app_id.startswith("local-")
