"""Run the unchanged streaming job in a subprocess on a given master, and prove where its tasks ran.

Only one SparkContext can live in a process, so a notebook or a test that wants the
same job on `local[*]` and on a standalone cluster runs `hybridflow stream
--available-now` as a child process with the settings passed through the
environment (the very variables of `hybridflow.config`). With an event-log folder,
Spark records every task and the executor that ran it; together with the master's
and the worker's JSON that shows the work was done by executors on the worker.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hybridflow import lake
from hybridflow.config import Settings, child_env
from hybridflow.errors import StackError
from hybridflow.services.cluster import ClusterSpec, master_json, worker_json


@dataclass(frozen=True)
class StreamRun:
    """One `hybridflow stream --available-now` run: where, how long, what it printed, its event log."""

    master: str
    seconds: float
    output: str
    event_log: Path | None

    @property
    def app_id(self) -> str | None:
        """Spark's application id (app-… on a cluster, local-… in local mode), from the event log."""
        return _app_id_of(self.event_log) if self.event_log else None


def run_stream(
    settings: Settings,
    event_log_dir: Path | None = None,
    timeout_s: float = 900,
    extra_env: dict[str, str] | None = None,
) -> StreamRun:
    """Run the streaming job available-now in a child process with these settings; raise if it fails."""
    env = child_env(settings, **(extra_env or {}))  # complete settings: no .env may add to them
    before: set[Path] = set()
    if event_log_dir is not None:
        event_log_dir.mkdir(parents=True, exist_ok=True)
        before = set(event_log_dir.iterdir())
        # Read by pyspark when it launches the JVM, i.e. before get_spark's own options.
        env["PYSPARK_SUBMIT_ARGS"] = (
            f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir={event_log_dir.resolve().as_uri()} "
            "--conf spark.eventLog.compress=false pyspark-shell"
        )
    cmd = [sys.executable, "-m", "hybridflow.cli", "stream", "--available-now"]
    begin = time.monotonic()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise StackError(
            f"`hybridflow stream` on {settings.spark_master} ran over {timeout_s:.0f} s: check the cluster UI and logs."
        ) from None
    seconds = time.monotonic() - begin
    output = done.stdout + done.stderr
    if done.returncode != 0:
        tail = "\n".join(line for line in output.splitlines() if not line.startswith("\tat "))[-3000:]
        raise StackError(
            f"`hybridflow stream` on {settings.spark_master} exited {done.returncode}: read its output.\n{tail}"
        )
    new_logs = sorted(set(event_log_dir.iterdir()) - before) if event_log_dir is not None else []
    return StreamRun(settings.spark_master, seconds, output, new_logs[-1] if new_logs else None)


@dataclass(frozen=True)
class EventLogSummary:
    """What an event log says about an application's executors and tasks."""

    app_id: str
    executors: dict[str, str]  # executor id -> host
    tasks_by_executor: Counter = field(default_factory=Counter)
    finished: bool = False


def _app_id_of(path: Path) -> str:
    # Single file: app-…[.inprogress]; rolling (Spark 4's default): folder eventlog_v2_app-…
    return path.name.removeprefix("eventlog_v2_").split(".")[0]


def _event_lines(path: Path):
    files = (
        [path]
        if path.is_file()
        else sorted(
            path.glob("events_*"), key=lambda p: int(p.name.split("_")[1]) if p.name.split("_")[1].isdigit() else 0
        )
    )
    for file in files:
        with file.open() as fh:
            yield from fh


def read_event_log(path: Path) -> EventLogSummary:
    """Executors added and tasks ended per executor, from a plain (uncompressed) Spark event log, rolling or not."""
    app_id, finished = _app_id_of(path), False
    executors: dict[str, str] = {}
    tasks: Counter[str] = Counter()
    for line in _event_lines(path):
        event = json.loads(line)
        kind = event.get("Event")
        if kind == "SparkListenerApplicationStart":
            app_id = event.get("App ID", app_id)
        elif kind == "SparkListenerExecutorAdded":
            executors[event["Executor ID"]] = event["Executor Info"]["Host"]
        elif kind == "SparkListenerTaskEnd":
            tasks[event["Task Info"]["Executor ID"]] += 1
        elif kind == "SparkListenerApplicationEnd":
            finished = True
    return EventLogSummary(app_id, executors, tasks, finished)


@dataclass(frozen=True)
class ClusterEvidence:
    """Proof that an application ran on the standalone cluster's worker."""

    app_id: str
    app_state: str | None  # as the master reports it (FINISHED when the driver stopped cleanly)
    cores_offered: int  # cores of the ALIVE workers
    worker_executors: list[dict]  # the worker's finished executors of this app (id, cores, memory)
    tasks_by_executor: dict[str, int]
    executor_hosts: dict[str, str]

    @property
    def tasks_on_workers(self) -> int:
        """Tasks run by executors (not by the driver)."""
        return sum(n for ex, n in self.tasks_by_executor.items() if ex != "driver")


def cluster_evidence(spec: ClusterSpec, run: StreamRun) -> ClusterEvidence:
    """Join the run's event log with the master's and the worker's JSON."""
    if run.event_log is None:
        raise StackError("The run has no event log: pass event_log_dir to run_stream.")
    log = read_event_log(run.event_log)
    master = master_json(spec)
    app = next(
        (a for a in master.get("completedapps", []) + master.get("activeapps", []) if a["id"] == log.app_id), None
    )
    worker = worker_json(spec)
    mine = [
        {"id": e["id"], "cores": e.get("appdesc", {}).get("cores"), "memory": e.get("memory")}
        for e in worker.get("finishedexecutors", []) + worker.get("executors", [])
        if e.get("appid") == log.app_id
    ]
    alive = [w for w in master.get("workers", []) if w.get("state") == "ALIVE"]
    return ClusterEvidence(
        app_id=log.app_id,
        app_state=app.get("state") if app else None,
        cores_offered=sum(w.get("cores", 0) for w in alive),
        worker_executors=mine,
        tasks_by_executor=dict(log.tasks_by_executor),
        executor_hosts=log.executors,
    )


@dataclass(frozen=True)
class Comparison:
    """The same input run on local[*] and on the standalone cluster: times, rows, equality, proof."""

    local: StreamRun
    cluster: StreamRun
    local_settings: Settings
    cluster_settings: Settings
    rows: dict[str, tuple[int, int]]  # dataset -> (rows local, rows on the cluster)
    same_contents: dict[str, bool]
    evidence: ClusterEvidence

    def table(self) -> list[dict[str, object]]:
        """One row per run, for a notebook or the report."""
        return [
            {
                "master": run.master,
                "seconds": round(run.seconds, 1),
                **{f"{d} rows": r[i] for d, r in self.rows.items()},
                "app": run.app_id or "",
            }
            for i, run in enumerate((self.local, self.cluster))
        ]


def compare_local_and_cluster(
    settings: Settings,
    spec: ClusterSpec,
    workdir: Path,
    local_master: str = "local[2]",
    cluster_lake_uri: str | None = None,
) -> Comparison:
    """Run the job on `local_master` and on the cluster `spec` (same topics), compare the lakes, prove the cluster ran it.

    The local run writes under `workdir`; the cluster run to `cluster_lake_uri` (default: also under `workdir`).
    """
    local = settings.with_(spark_master=local_master, lake_uri=(workdir / "local-lake").as_uri(), checkpoint_uri=None)
    remote = settings.with_(
        spark_master=spec.master_url,
        checkpoint_uri=None,
        lake_uri=cluster_lake_uri or (workdir / "cluster-lake").as_uri(),
    )
    local_run = run_stream(local, event_log_dir=workdir / "event-logs")
    cluster_run = run_stream(remote, event_log_dir=workdir / "event-logs")
    rows, same = {}, {}
    for table in lake.stream_tables(local):
        dataset = table.name
        a, b = table.to_pandas(local), table.to_pandas(remote)
        rows[dataset] = (len(a), len(b))
        cols = sorted(a.columns)
        same[dataset] = (
            len(a) == len(b)
            and cols == sorted(b.columns)
            and (
                a[cols]
                .astype(str)
                .sort_values(cols)
                .reset_index(drop=True)
                .equals(b[cols].astype(str).sort_values(cols).reset_index(drop=True))
            )
        )
    return Comparison(local_run, cluster_run, local, remote, rows, same, cluster_evidence(spec, cluster_run))
