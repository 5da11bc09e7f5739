"""The streaming job next to Spark's own one-query speed, and its latency at a steady rate.

    python -m hybridflow.bench stream [--count 1000000] [--runs 1] [--rate 1000] [--seconds 120]
                                      [--malformed-ratio 0.02] [--json FILE]

Side by side in one run, on one topic holding ``--count`` events (produced once beforehand):

* **baseline** — Spark alone, one query: Kafka → ``from_json`` with the ticket's 6-field
  schema → Parquet, available-now. A child process, timed whole (JVM start included), like:
* **the job** — ``hybridflow stream --available-now`` on a fresh lake and checkpoint: validation,
  dead letters (transactional), enrichment, the tickets Delta table, then the windows query.

Both job runs (drain and steady state) run with ``LIFECYCLE=false``: they measure the tickets
path (tickets, windows, alerts) as they did before the lifecycle queries existed, so their
figures stay comparable with earlier ones. The lifecycle has its own benchmark
(``python -m hybridflow.bench lifecycle``).

Runs alternate (baseline, job, baseline, job …) so a busy moment of the shared machine hits
both alike; the medians and their ratio are printed.

Then the **steady state**: the job runs continuously (``hybridflow stream``) on a fresh topic
while tickets stamped with the current time are produced at ``--rate`` for ``--seconds``.
Latency is measured from each ticket's ``created_at``

* to *visible in the tickets table*: the commit time of the Delta version that added it,
  read from the table's log (``_delta_log``), i.e. when a Delta reader can first see it;
* to *in the alerts topic*: the timestamp of its alert record (critical tickets only).

Peak memory of the job's processes (Python driver, JVM = driver + executor in local mode)
is sampled with psutil. Every number is written as JSON to ``STATE_DIR/bench/stream.json`` (or
``--json FILE``), where the report's synthesis reads it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

from hybridflow import lake
from hybridflow.bench import add_job_options, scratch_folder, write_results
from hybridflow.bench.produce import events
from hybridflow.config import Settings, get_settings
from hybridflow.kafka.security import client_options
from hybridflow.kafka.topics import delete_topics
from hybridflow.pipeline import ensure_topics, start_stream, stream_command, stream_env
from hybridflow.tickets.malformed import valid_event
from hybridflow.tickets.model import Priority, RequestType, Ticket, new_ticket_id
from hybridflow.tickets.producer import produce

BASELINE = "Spark alone: Kafka -> from_json -> Parquet (one query)"
JOB = "hybridflow stream --available-now (whole job)"

TICKET_SCHEMA = (
    "ticket_id string, client_id string, created_at timestamp, request string, request_type string, priority string"
)

# The baseline as a user would write it: the smallest correct Spark query over the same topic.
# Arguments: Parquet folder, checkpoint folder, topic, schema (DDL).
_BASELINE_SCRIPT = textwrap.dedent(
    """
    import sys
    from pyspark.sql import functions as F
    from hybridflow.config import get_settings
    from hybridflow.spark import get_spark
    from hybridflow.streaming.sources import read_from_kafka

    settings = get_settings()
    spark = get_spark(settings, app_name="bench-baseline")
    topic, schema = sys.argv[3], sys.argv[4]
    parsed = read_from_kafka(spark, settings, topic=topic).select(F.from_json(F.col("value").cast("string"), schema).alias("t")).select("t.*")
    query = (parsed.writeStream.format("parquet").option("path", sys.argv[1]).option("checkpointLocation", sys.argv[2])
             .trigger(availableNow=True).start())
    query.awaitTermination()
    print("rows", spark.read.parquet(sys.argv[1]).count())
    """
)


@dataclass
class Peak:
    """Peak resident memory (MiB) of a process tree, sampled every 0.5 s."""

    python_mib: float = 0.0
    jvm_mib: float = 0.0

    def sample(self, root: psutil.Process) -> None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in procs:
            try:
                rss = proc.memory_info().rss / 2**20
                name = proc.name()
            except psutil.Error:
                continue
            if name.startswith("java"):
                self.jvm_mib = max(self.jvm_mib, rss)
            elif proc.pid == root.pid:
                self.python_mib = max(self.python_mib, rss)

    def merged(self, other: Peak) -> Peak:
        """The higher of two peaks, per process kind."""
        return Peak(max(self.python_mib, other.python_mib), max(self.jvm_mib, other.jvm_mib))


def _run_timed(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, Peak]:
    """Run a child process to its end; seconds (whole process) and its peak memory."""
    peak = Peak()
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            peak.sample(root)
            time.sleep(0.5)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} exited {proc.returncode}; log: {log}\n{log.read_text()[-2000:]}")
    return seconds, peak


def _scratch(
    settings: Settings, workdir: Path, name: str, topic: str | None = None, events_topic: str | None = None
) -> Settings:
    """Settings of a throw-away run: its own topics (but `topic` / `events_topic` when given), lake and checkpoints."""
    uid = uuid.uuid4().hex[:8]
    return settings.with_(
        topic_tickets=topic or f"bench_stream_{uid}",
        topic_dlq=f"bench_stream_dlq_{uid}",
        topic_alerts=f"bench_stream_alerts_{uid}",
        topic_events=events_topic or f"bench_stream_events_{uid}",
        topic_breaches=f"bench_stream_breaches_{uid}",
        lake_uri=(workdir / f"{name}-{uid}" / "lake").as_uri(),
        checkpoint_uri=(workdir / f"{name}-{uid}" / "checkpoints").as_uri(),
    )


def _outputs(settings: Settings) -> list[str]:
    """The topics a job run writes (dead letters, alerts, breaches): a scratch run deletes them afterwards."""
    return [settings.topic_dlq, settings.topic_alerts, settings.topic_breaches]


def _all_topics(settings: Settings) -> list[str]:
    """Every topic of the settings: the inputs (tickets, events) and the outputs."""
    return [settings.topic_tickets, settings.topic_events, *_outputs(settings)]


def run_baseline(settings: Settings, workdir: Path, tag: str, topic: str, schema: str) -> float:
    """Seconds of one baseline run (a whole child process): Spark alone, `topic` -> `from_json(schema)` -> Parquet."""
    script = workdir / "baseline.py"
    if not script.exists():
        script.write_text(_BASELINE_SCRIPT)
    base = _scratch(settings, workdir, "baseline", topic=topic)
    out = settings.local_path(base.lake_uri)
    seconds, _ = _run_timed(
        [sys.executable, str(script), str(out / "parquet"), str(out / "checkpoint"), topic, schema],
        stream_env(base),
        workdir / f"{tag}.log",
    )
    return seconds


@dataclass
class DrainResult:
    """Seconds per run of the baseline and the job over the same backlog."""

    count: int
    baseline_s: list[float] = field(default_factory=list)
    job_s: list[float] = field(default_factory=list)
    job_peak: Peak = field(default_factory=Peak)

    def rate(self, seconds: list[float]) -> float:
        """Events per second at the median time."""
        return self.count / statistics.median(seconds)

    @property
    def ratio(self) -> float:
        """The job's events/s over the baseline's (medians)."""
        return self.rate(self.job_s) / self.rate(self.baseline_s)

    def lines(self) -> list[str]:
        """The printed table."""
        return [
            f"{'what':<58} {'median s':>9} {'events/s':>10}",
            f"{BASELINE:<58} {statistics.median(self.baseline_s):>9.1f} {self.rate(self.baseline_s):>10,.0f}",
            f"{JOB:<58} {statistics.median(self.job_s):>9.1f} {self.rate(self.job_s):>10,.0f}",
            f"drain of {self.count:,} events: job / baseline = {self.ratio:.2f}x "
            f"(runs: baseline {', '.join(f'{s:.1f}' for s in self.baseline_s)} s; job {', '.join(f'{s:.1f}' for s in self.job_s)} s); "
            f"job peak memory: JVM {self.job_peak.jvm_mib:,.0f} MiB, Python driver {self.job_peak.python_mib:,.0f} MiB",
        ]


def drain(
    settings: Settings, count: int, runs: int, malformed_ratio: float, workdir: Path, log_level: str = "INFO"
) -> DrainResult:
    """Produce `count` events once, then time the baseline and the job over them, alternately."""
    topic = _scratch(settings, workdir, "topic")
    ensure_topics(topic)
    result = DrainResult(count)
    try:
        print(f"producing {count:,} events ({malformed_ratio:.0%} malformed) to {topic.topic_tickets} …")
        sent = produce(iter(events(count, 7, settings, malformed_ratio)), topic, progress=False)
        print(sent.line())
        for run in range(1, runs + 1):
            seconds = run_baseline(settings, workdir, f"baseline-{run}", topic.topic_tickets, TICKET_SCHEMA)
            result.baseline_s.append(seconds)
            print(f"run {run}: baseline {seconds:.1f} s ({count / seconds:,.0f} events/s)")
            # The tickets path alone, as before the lifecycle queries existed (comparable figures).
            job = _scratch(settings, workdir, "job", topic=topic.topic_tickets).with_(lifecycle=False)
            ensure_topics(job)
            try:
                seconds, peak = _run_timed(
                    stream_command(log_level, "--available-now"),
                    stream_env(job),
                    workdir / f"job-{run}.log",
                )
            finally:
                delete_topics(job, [job.topic_events, *_outputs(job)])
            result.job_s.append(seconds)
            result.job_peak = result.job_peak.merged(peak)
            landed = lake.TICKETS.count(job)
            print(f"run {run}: job {seconds:.1f} s ({count / seconds:,.0f} events/s), {landed:,} tickets in the lake")
    finally:
        delete_topics(topic, _all_topics(topic))
    return result


# --- steady state ----------------------------------------------------------------


def live_tickets(seed: int = 3):
    """Valid tickets stamped with the current time as they are produced (a live support portal)."""
    rng = random.Random(seed)
    types, priorities = list(RequestType), list(Priority)
    while True:
        yield valid_event(
            Ticket(
                ticket_id=new_ticket_id(rng),
                client_id=f"C{rng.randrange(1, 2000):05d}",
                created_at=datetime.now(UTC),
                request="Machine stopped on line 3, error E42; please call back.",
                request_type=rng.choice(types),
                priority=rng.choices(priorities, weights=[40, 35, 20, 5])[0],
            )
        )


def visible_latencies(settings: Settings) -> list[tuple[float, float]]:
    """Each ticket's `created_at` (Unix time) and the seconds from it to the commit of the Delta version
    that made it visible, read once from the table's log and files."""
    import pyarrow.parquet as pq

    root = settings.local_path(lake.TICKETS.uri(settings))
    latencies: list[tuple[float, float]] = []
    for commit in sorted((root / "_delta_log").glob("*.json")):
        actions = [json.loads(line) for line in commit.read_text().splitlines() if line.strip()]
        committed_ms = next(a["commitInfo"]["timestamp"] for a in actions if "commitInfo" in a)
        for add in (a["add"] for a in actions if "add" in a):
            created = pq.read_table(root / add["path"], columns=["created_at"]).column("created_at").to_pylist()
            stamps = [ts.replace(tzinfo=UTC).timestamp() for ts in created]
            latencies += [(t, committed_ms / 1000 - t) for t in stamps]
    return latencies


def _alert_latencies(settings: Settings, stop: threading.Event, out: list[float], since: list[float]) -> None:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        settings.topic_alerts,
        bootstrap_servers=settings.bootstrap_list,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=500,
        **client_options(settings, "kafka-python", "admin"),
    )
    try:
        while not stop.is_set():
            for record in consumer:
                created = datetime.fromisoformat(json.loads(record.value)["created_at"]).timestamp()
                if since and created >= since[0]:
                    out.append(record.timestamp / 1000 - created)
    finally:
        consumer.close()


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 of a sample (seconds)."""
    if len(values) < 2:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "n": len(values)}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "n": len(values)}


@dataclass
class SteadyResult:
    """Latencies at a steady produce rate."""

    rate: float
    seconds: float
    warmup_s: float
    sent: int
    visible: dict[str, float]
    alerts: dict[str, float]
    peak: Peak
    warmup_visible: dict[str, float] = field(default_factory=dict)  # the JVM's first minute, shown, not hidden
    visible_s: list[float] = field(default_factory=list, repr=False)  # every ticket's latency, for plots
    alerts_s: list[float] = field(default_factory=list, repr=False)

    def lines(self) -> list[str]:
        """The printed table."""

        def row(name: str, p: dict[str, float]) -> str:
            return f"{name:<44} {p['p50']:>7.2f} {p['p95']:>7.2f} {p['p99']:>7.2f} {int(p['n']):>8,}"

        return [
            f"steady state: {self.sent:,} tickets at {self.rate:,.0f}/s for {self.seconds:.0f} s "
            f"(measured after {self.warmup_s:.0f} s of warm-up at the same rate)",
            f"{'latency from created_at (s)':<44} {'p50':>7} {'p95':>7} {'p99':>7} {'tickets':>8}",
            row("visible in the tickets table (Delta commit)", self.visible),
            row("in the alerts topic (Real-time Mode)", self.alerts),
            *(
                [row(f"(warm-up, first {self.warmup_s:.0f} s: visible in the table)", self.warmup_visible)]
                if self.warmup_visible
                else []
            ),
            f"job peak memory: JVM (driver + executor, local mode) {self.peak.jvm_mib:,.0f} MiB, "
            f"Python driver {self.peak.python_mib:,.0f} MiB",
        ]


def steady(
    settings: Settings, rate: float, seconds: float, workdir: Path, warmup_s: float = 60.0, log_level: str = "INFO"
) -> SteadyResult:
    """Run the job continuously while producing live tickets at `rate` for `seconds`; measure latencies.

    The first `warmup_s` seconds of tickets are produced at the same rate and reported apart: the
    JVM compiles the job's hot code during its first minutes (measured: its JIT compiler threads
    still take a quarter of the machine's CPU a minute and a half after the start). The steady
    state is what the job does after that, for as long as it runs.
    """
    run = _scratch(settings, workdir, "steady").with_(lifecycle=False)  # the tickets path, as before the lifecycle
    ensure_topics(run)
    log = workdir / "steady.log"
    peak = Peak()
    alerts: list[float] = []
    since: list[float] = []  # the measured window's start, once known (shared with the alert reader)
    stop = threading.Event()
    try:
        # One ticket first: the tickets table exists, and the job starts its windows and alerts queries.
        produce(iter([next(live_tickets(99))]), run, progress=False)
        proc = start_stream(run, log, log_level)
        root = psutil.Process(proc.pid)
        deadline = time.monotonic() + 300
        while "[ticket_alerts] started" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the job did not start its alert query; log: {log}\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        time.sleep(5)  # Real-time Mode tasks are scheduled once the query has started
        reader = threading.Thread(target=_alert_latencies, args=(run, stop, alerts, since), daemon=True)
        reader.start()
        sampler_stop = threading.Event()

        def sample() -> None:
            while not sampler_stop.is_set():
                peak.sample(root)
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        tickets = live_tickets()
        # The load generator shares the machine with the job under test: librdkafka's producer takes a
        # fraction of kafka-python's CPU for the same rate (see `bench produce`), so it steals less of it.
        source = run.with_(kafka_client="confluent")
        warm = produce(tickets, source, count=int(rate * warmup_s), rate=rate, progress=False) if warmup_s > 0 else None
        since.append(time.time())
        sent = produce(tickets, source, count=int(rate * seconds), rate=rate, progress=False)
        drained = time.monotonic() + 120  # every ticket committed (the first one was produced before the start)
        while (
            lake.TICKETS.count(run) < sent.sent + (warm.sent if warm else 0) + 1
            and time.monotonic() < drained
            and proc.poll() is None
        ):
            time.sleep(1)
        time.sleep(2)  # the last alerts reach their topic
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        sampler_stop.set()
        stop.set()
        reader.join(timeout=10)
    finally:
        stop.set()
        if "proc" in locals() and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        delete_topics(run, _all_topics(run))
    latencies = visible_latencies(run)
    visible = [lag for created, lag in latencies if created >= since[0]]
    warming = [lag for created, lag in latencies if created < since[0]]
    return SteadyResult(
        rate,
        seconds,
        warmup_s,
        sent.sent,
        percentiles(visible),
        percentiles(alerts),
        peak,
        percentiles(warming),
        visible,
        alerts,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the drain comparison and the steady-state latency; print both tables."""
    parser = argparse.ArgumentParser(prog="python -m hybridflow.bench stream", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="backlog events (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=1, help="alternating runs of baseline and job (default 1)")
    parser.add_argument("--malformed-ratio", type=float, default=0.02, help="fraction of malformed events")
    parser.add_argument("--rate", type=float, default=1000.0, help="steady-state tickets/s (default 1000)")
    parser.add_argument("--seconds", type=float, default=120.0, help="steady-state duration (default 120; 0 skips it)")
    parser.add_argument(
        "--warmup", type=float, default=60.0, help="steady-state warm-up, reported apart (default 60 s)"
    )
    parser.add_argument("--skip-drain", action="store_true", help="only the steady state")
    add_job_options(parser, "stream", "keep the job's logs (their folder is printed)")
    args = parser.parse_args(argv)

    settings = get_settings()
    results: dict[str, object] = {
        "master": settings.spark_master,
        "max_offsets_per_trigger": settings.max_offsets_per_trigger,
    }
    with scratch_folder("stream", args.keep_logs, "job logs") as workdir:
        if not args.skip_drain:
            drained = drain(settings, args.count, args.runs, args.malformed_ratio, workdir, args.job_log_level)
            print("\n".join(drained.lines()))
            results["drain"] = asdict(drained) | {
                "ratio": drained.ratio,
                "baseline_eps": drained.rate(drained.baseline_s),
                "job_eps": drained.rate(drained.job_s),
            }
        if args.seconds > 0:
            held = steady(settings, args.rate, args.seconds, workdir, args.warmup, args.job_log_level)
            print("\n".join(held.lines()))
            results["steady"] = asdict(held)
    out = write_results(settings, "stream", results, args.json)
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
