"""The deployment notebook's run: the unchanged job on local[2] and on a Spark standalone cluster, lake in S3.

`run_deployment_demo` starts, for the report only, an S3-API object store (versitygw) and
a master + worker, both on free ports with their state under ``data/report/state``; runs
`hybridflow stream --available-now` twice (``hybridflow.deploy.runner``): on ``local[2]``
into a local lake, then on the cluster into the bucket; and stops both services whatever
happens. Nothing of `make up` / `make cluster-up` is touched.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hybridflow import lake
from hybridflow.config import Settings
from hybridflow.deploy.runner import Comparison, compare_local_and_cluster
from hybridflow.probes import free_port
from hybridflow.report.context import report_data_dir, reset_topics
from hybridflow.services.cluster import ClusterSpec, SparkCluster
from hybridflow.services.objectstore import ObjectStore, private_store_settings

BUCKET = "report-lake"


@dataclass
class DeploymentResult:
    """What the deployment run produced (the `Comparison` of the runner, plus the bucket's listing)."""

    comparison: Comparison
    bucket_objects: pd.DataFrame
    s3_settings: Settings

    def runs(self) -> pd.DataFrame:
        """One row per run: master, seconds, rows per dataset, Spark application id."""
        return pd.DataFrame(self.comparison.table())

    def proof(self) -> pd.DataFrame:
        """Evidence that executors on the worker ran the cluster run, and that both lakes are equal."""
        ev = self.comparison.evidence
        rows = [
            ("application (master)", f"{ev.app_id} : {ev.app_state or '?'}"),
            ("cœurs offerts par les workers vivants", ev.cores_offered),
            ("exécuteurs de l'application sur le worker", len(ev.worker_executors)),
            ("tâches exécutées par des exécuteurs (pas le driver)", ev.tasks_on_workers),
            ("tâches par exécuteur", ", ".join(f"{k}: {v}" for k, v in sorted(ev.tasks_by_executor.items()))),
        ]
        rows += [
            (f"lac identique en local et sur le cluster : {d}", "oui" if same else "NON")
            for d, same in self.comparison.same_contents.items()
        ]
        return pd.DataFrame(rows, columns=["preuve", "valeur"])


def _s3_settings(settings: Settings, state: Path) -> Settings:
    if state.exists():
        shutil.rmtree(state)
    private = private_store_settings(settings, state, f"s3a://{BUCKET}/local", "hybridflow-report")
    return private.with_(spark_master=f"spark://127.0.0.1:{free_port()}")


def run_deployment_demo(settings: Settings, worker_cores: int = 1, worker_memory: str = "1g") -> DeploymentResult:
    """Object store + standalone cluster started for the report, the job run on both masters, services stopped."""
    root = report_data_dir() / "deployment"
    # The runs write dead letters too: to a topic of their own, not notebook 6's.
    topics = settings.with_(topic_dlq=f"{settings.topic_dlq}_deploy")
    reset_topics(topics, [topics.topic_dlq])
    s3 = _s3_settings(topics, root / "state").with_(
        spark_master_webui_port=free_port(),
        spark_worker_webui_port=free_port(),
        spark_worker_cores=worker_cores,
        spark_worker_memory=worker_memory,
    )
    store, cluster = ObjectStore(), SparkCluster()
    spec = ClusterSpec.of(s3)
    try:
        store.start(s3)
        cluster.start(s3)
        workdir = root / "runs"
        shutil.rmtree(workdir, ignore_errors=True)  # a fresh local lake and checkpoints each time
        comparison = compare_local_and_cluster(s3, spec, workdir, cluster_lake_uri=f"s3a://{BUCKET}/cluster")
        cluster_lake = comparison.cluster_settings
        listing = []
        for table in lake.stream_tables(cluster_lake):  # what the Delta log of each table says is in the bucket
            delta = table.delta(cluster_lake)
            if delta is None:
                continue
            listing += [
                {"table": table.name, "version Delta": delta.version(), "fichier": path, "octets": size}
                for path, size in table.files(cluster_lake)
            ]
    finally:
        cluster.stop(s3)
        store.stop(s3)
    return DeploymentResult(comparison, pd.DataFrame(listing), s3)
