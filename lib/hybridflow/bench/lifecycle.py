"""The lifecycle queries: a backlog's drain next to Spark's one-query parse, open tickets in state, breach latency.

    python -m hybridflow.bench lifecycle [--drain-events 200000] [--runs 1] [--state-tickets 50000] [--heap 2g]
                                         [--rate 1000] [--seconds 120] [--compression 3600] [--catch-up 120]
                                         [--skip drain,state,steady] [--json FILE]

Three measurements, each on its own scratch topics, lake and checkpoints (deleted afterwards),
each printed as a table and one summary line. The job runs as a whole child process
(``hybridflow stream``, ``LIFECYCLE=true``) with ``PROGRESS_FILE`` set: Spark's own progress of
every micro-batch of every query is read from that file, so each query's busy time is shown
next to the wall time.

1. **Drain** — ``--drain-events`` records (tickets and their lifecycle events, ~80 % events, the
   default lifecycle simulation with its mess) are produced once; then, alternately,
   ``--runs`` times: the **baseline** — Spark alone, one query: the events topic →
   ``from_json`` with the event's schema → Parquet, available-now, a whole child process (JVM
   start included) — and **the job**, ``hybridflow stream --available-now`` on a fresh lake.
   Printed: the medians, the ratio baseline time / job time, and each query's busy time (the
   sum of its batch durations) — the ``ticket_lifecycle`` query's above all. The queries run
   two at a time (tickets + events, then windows + lifecycle), so busy times do not add up to
   the wall time. Default 200,000 records: ~6 min on an idle machine, ~20 min on a busy one;
   the spec's 1,000,000 takes about five times as long.
2. **Open tickets in state** — ``--state-tickets`` tickets and no events (every ticket stays
   open, so every one keeps a state entry), their times spread over 6 simulated hours so no
   SLA deadline falls due (no timer fires: the state only grows), drained by the job with
   ``SPARK_DRIVER_MEMORY=--heap`` (driver and executor share that JVM in local mode).
   Printed: the lifecycle state operator's ``numRowsTotal`` and ``memoryUsedBytes`` and its
   RocksDB metrics (last progress line), the JVM's peak RSS (psutil), the duration and
   tickets/s. Default 50,000 tickets: ~3-8 min; the spec's 1,000,000 takes ~35-135 min (the
   estimate is printed before it starts).
3. **Breach latency at a steady rate** — the job runs continuously while tickets and their
   events are produced at ``--rate`` tickets/s (the events follow from the simulation: ~3
   per ticket over a two-minute run) for ``--seconds``, on a compressed timeline: one wall
   second is ``--compression`` simulated seconds (default 3600: an hour), so 8-hour deadlines
   fall due after 8 s. No client dimension is loaded in the scratch lake, so every ticket has
   the lowest tier's SLA (bronze: 8 h first response, 120 h resolution); the simulation is
   given the same tier, so ~10 % of tickets miss their first response. The watermark delay is
   the job's own (LIFECYCLE_WATERMARK_DELAY, 15 minutes: a quarter of a wall second here).
   A breach's latency is its Kafka record timestamp minus the start (``timestamp``) of the
   first ``ticket_lifecycle`` batch whose ``eventTime.watermark`` reached the breach's
   deadline: how long the job takes to report a breach once it can know it. Printed: p50/p95/
   p99, the rate produced and the rate the lifecycle sustained (rows it read per second), its
   backlog when production ended and whether it caught up within ``--catch-up`` seconds.
   Production starts once the lifecycle query has run its first (cold) batch. The default rate
   is the spec's (1,000 tickets/s + ~3,000 events/s): this 2-core machine does not sustain it,
   and the table says by how much. Default run: ~5 min (2 min of production, up to 2 min of
   catch-up, the job's start and stop).

Every number goes as JSON to ``STATE_DIR/bench/lifecycle.json`` (or ``--json FILE``).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from hybridflow import lake
from hybridflow.bench import add_job_options, scratch_folder, write_results
from hybridflow.bench.stream import (
    Peak,
    _all_topics,
    _outputs,
    _run_timed,
    _scratch,
    percentiles,
    run_baseline,
)
from hybridflow.config import Settings, get_settings
from hybridflow.kafka.consumer import read_committed
from hybridflow.kafka.topics import delete_topics
from hybridflow.pipeline import ensure_topics, produce_sample, start_stream, stream_command, stream_env
from hybridflow.simulation.lifecycle import (
    EVENTS,
    RECORDS_PER_TICKET,
    TICKETS,
    LifecycleRecord,
    lifecycle_records,
    lifecycle_routes,
)
from hybridflow.tickets import lifecycle as events_model
from hybridflow.tickets.producer import produce

LIFECYCLE = lake.LIFECYCLE_QUERY.name
ALERTS = lake.ALERTS_QUERY.name  # Real-time Mode: one long batch a checkpoint interval, busy or not
BASELINE = "Spark alone: events topic -> from_json -> Parquet (one query)"
JOB = "hybridflow stream --available-now (LIFECYCLE=true)"
# The lifecycle query's wall time per ticket on this 2-core machine, for the printed estimates: the Python
# stateful processor's state API round trips to the JVM and its per-ticket pandas frames. Measured with
# the machine shared (load 5-7): ~8 ms per open ticket (no events), ~15 ms per ticket of a backlog with
# its events, breach timers and the status MERGE; the low ends are what an idle machine should need.
STATE_MS_PER_TICKET = (2.0, 8.0)
DRAIN_MS_PER_TICKET = (4.0, 15.0)
START_UP_S = 60.0
STATE_SPAN_S = 6 * 3600.0  # the open tickets' times: below the lowest tier's first-response SLA (8 h)
PROGRESS_NAME = "progress.jsonl"


def estimate(tickets: int, ms_per_ticket: tuple[float, float], other_s: float = START_UP_S) -> str:
    """A run's expected duration, from idle to shared machine, as "~A-B min"."""
    low, high = (tickets * ms / 1000 + other_s for ms in ms_per_ticket)
    return f"~{low / 60:.0f}-{high / 60:.0f} min ({ms_per_ticket[0]:g}-{ms_per_ticket[1]:g} ms per ticket, idle to busy machine)"


def event_schema() -> str:
    """The lifecycle event's Spark schema as DDL ("name type, …"), from its one definition."""
    return ", ".join(f"{f.name} {f.dataType.simpleString()}" for f in events_model.spark_schema().fields)


# --- Spark's progress, as the job's PROGRESS_FILE holds it -------------------------------------


def read_progress(path: Path) -> list[dict[str, Any]]:
    """Every micro-batch's progress in the file (one JSON a line; a line still being written is skipped)."""
    if not path.exists():
        return []
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(text))
        except json.JSONDecodeError:
            continue
    return lines


def query_lines(progress: Iterable[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The progress lines of one query, in batch order."""
    return sorted((p for p in progress if p.get("name") == name), key=lambda p: p["batchId"])


def unix_s(iso: str) -> float:
    """Unix seconds of an ISO-8601 time as Spark and the breach records write it (``…Z``)."""
    return datetime.fromisoformat(iso).timestamp()


def batch_span(line: dict[str, Any]) -> tuple[float, float]:
    """A batch's wall-clock start and end (Unix seconds)."""
    start = unix_s(line["timestamp"])
    return start, start + line["batchDuration"] / 1000


def busy_seconds(
    progress: Iterable[dict[str, Any]], since: float = float("-inf"), until: float = float("inf")
) -> dict[str, float]:
    """Each query's busy time (its batches' durations, s), the part of them within [since, until]."""
    busy: dict[str, float] = {}
    for line in progress:
        start, end = batch_span(line)
        inside = max(0.0, min(end, until) - max(start, since))
        busy[line["name"]] = busy.get(line["name"], 0.0) + inside
    return busy


def rows_read(lines: Iterable[dict[str, Any]], until: float = float("inf")) -> int:
    """Input rows of the batches that ended by `until` (Unix seconds)."""
    return sum(line["numInputRows"] for line in lines if batch_span(line)[1] <= until)


def caught_up_at(lines: list[dict[str, Any]], rows: int) -> float | None:
    """When the query had read `rows` and run one batch more (the one whose watermark covers them); None: not yet."""
    total = 0
    for i, line in enumerate(lines):
        total += line["numInputRows"]
        if total >= rows:
            return batch_span(lines[i + 1])[1] if i + 1 < len(lines) else None
    return None


def last_state(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The first state operator of a query's last progress line (empty when it reported none)."""
    with_state = [line for line in lines if line.get("stateOperators")]
    return with_state[-1]["stateOperators"][0] if with_state else {}


def breach_latencies(breaches: Iterable[dict[str, Any]], lifecycle: list[dict[str, Any]]) -> tuple[list[float], int]:
    """Each breach's latency (s): its record's timestamp minus the start of the first lifecycle batch whose
    watermark reached its deadline; and how many breaches no such batch explains."""
    marks: list[tuple[float, float]] = []  # (watermark, batch start), the watermark never going back
    for line in lifecycle:
        watermark = (line.get("eventTime") or {}).get("watermark")
        if watermark:
            mark = max(unix_s(watermark), marks[-1][0] if marks else float("-inf"))
            marks.append((mark, unix_s(line["timestamp"])))
    watermarks = [m for m, _ in marks]
    latencies, unexplained = [], 0
    for record in breaches:
        deadline = unix_s(json.loads(record["value"])["deadline"])
        at = bisect.bisect_left(watermarks, deadline)
        if at == len(marks):
            unexplained += 1
            continue
        latencies.append(int(record["timestamp_ms"]) / 1000 - marks[at][1])
    return latencies, unexplained


# --- 1. drain ------------------------------------------------------------------------------------


@dataclass
class DrainResult:
    """Seconds per run of the baseline (events topic only) and of the whole job over one lifecycle backlog."""

    records: int
    tickets: int
    events: int
    baseline_s: list[float] = field(default_factory=list)
    job_s: list[float] = field(default_factory=list)
    query_s: list[dict[str, float]] = field(default_factory=list)  # per job run: each query's busy time
    status_rows: int = 0
    breaches: int = 0
    job_peak: Peak = field(default_factory=Peak)

    @property
    def ratio(self) -> float:
        """Baseline time / job time (medians): how much of the job's time Spark alone needs for the events topic."""
        return statistics.median(self.baseline_s) / statistics.median(self.job_s)

    @property
    def lifecycle_s(self) -> float:
        """The lifecycle query's busy time (median over the runs)."""
        return statistics.median(q.get(LIFECYCLE, 0.0) for q in self.query_s)

    def lines(self) -> list[str]:
        """The printed table and its summary line."""
        base, job = statistics.median(self.baseline_s), statistics.median(self.job_s)
        queries = {name: statistics.median(q.get(name, 0.0) for q in self.query_s) for name in self.query_s[0]}
        return [
            f"{'what':<62} {'median s':>9} {'records/s':>10}",
            f"{BASELINE:<62} {base:>9.1f} {self.events / base:>10,.0f}  ({self.events:,} events)",
            f"{JOB:<62} {job:>9.1f} {self.records / job:>10,.0f}  ({self.records:,} records)",
            *(
                f"  {'busy in query ' + name:<60} {seconds:>9.1f}"
                + (f" {self.tickets / seconds:>10,.0f}  tickets/s" if name == LIFECYCLE and seconds else "")
                for name, seconds in sorted(queries.items(), key=lambda kv: -kv[1])
            ),
            f"drain of {self.records:,} lifecycle records ({self.tickets:,} tickets, {self.events:,} events): "
            f"baseline / job time = {self.ratio:.2f} ({base:.1f} s / {job:.1f} s); of the job's {job:.0f} s the "
            f"lifecycle query is busy {self.lifecycle_s:.0f} s ({self.tickets / max(self.lifecycle_s, 1e-9):,.0f} tickets/s); "
            f"{self.status_rows:,} ticket_status rows, {self.breaches:,} breaches; "
            f"job peak memory: JVM {self.job_peak.jvm_mib:,.0f} MiB, Python driver {self.job_peak.python_mib:,.0f} MiB",
        ]


def produce_backlog(settings: Settings, records: int, seed: int = 7) -> tuple[int, int, int]:
    """Produce `records` lifecycle records (tickets + events, in simulated-time order); (records, tickets, events).

    The default simulation (0.03 tickets per simulated second); its times start about as long ago as it lasts.
    """
    span_s = records / RECORDS_PER_TICKET / 0.03
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=span_s)
    stream = lifecycle_records(settings, None, seed, start)
    sent = produce(stream, settings, count=records, routes=lifecycle_routes(settings))
    print(sent.line())
    if sent.failed:
        raise RuntimeError(f"{sent.failed:,} records of the backlog were not delivered: {sent.first_error}")
    return sent.sent, sent.tally(TICKETS).records, sent.tally(EVENTS).records


def drain(settings: Settings, records: int, runs: int, workdir: Path, log_level: str = "INFO") -> DrainResult:
    """Produce a lifecycle backlog once, then time the baseline (events topic) and the whole job, alternately."""
    topics = _scratch(settings, workdir, "topics")
    ensure_topics(topics)
    try:
        print(f"drain: producing {records:,} lifecycle records to {topics.topic_tickets} + {topics.topic_events} …")
        result = DrainResult(*produce_backlog(topics, records))
        tickets = result.tickets
        print(f"drain: the job's run, estimate {estimate(tickets, DRAIN_MS_PER_TICKET, 2 * START_UP_S)}")
        for run in range(1, runs + 1):
            seconds = run_baseline(settings, workdir, f"baseline-{run}", topics.topic_events, event_schema())
            result.baseline_s.append(seconds)
            print(f"run {run}: baseline {seconds:.1f} s ({result.events / seconds:,.0f} events/s)")
            progress = workdir / f"drain-{run}-{PROGRESS_NAME}"
            job = _scratch(settings, workdir, "job", topic=topics.topic_tickets, events_topic=topics.topic_events)
            job = job.with_(lifecycle=True, progress_file=progress)
            ensure_topics(job)
            try:
                seconds, peak = _run_timed(
                    stream_command(log_level, "--available-now"), stream_env(job), workdir / f"job-{run}.log"
                )
                result.breaches = len(read_committed(job, job.topic_breaches))
            finally:
                delete_topics(job, _outputs(job))
            result.job_s.append(seconds)
            result.job_peak = result.job_peak.merged(peak)
            result.query_s.append(busy_seconds(read_progress(progress)))
            result.status_rows = lake.TICKET_STATUS.count(job)
            print(
                f"run {run}: job {seconds:.1f} s ({records / seconds:,.0f} records/s), lifecycle query busy "
                f"{result.query_s[-1].get(LIFECYCLE, 0.0):.1f} s; {result.status_rows:,} tickets in ticket_status"
            )
    finally:
        delete_topics(topics, _all_topics(topics))
    return result


# --- 2. open tickets held in state ---------------------------------------------------------------


@dataclass
class StateResult:
    """The lifecycle state after draining `tickets` open tickets with a `heap` JVM."""

    tickets: int
    heap: str
    seconds: float
    lifecycle_s: float
    num_rows_total: int
    memory_used_bytes: int
    custom_metrics: dict[str, Any]
    peak: Peak
    batches: int

    def lines(self) -> list[str]:
        """The printed table and its summary line."""
        m = self.custom_metrics
        rocks = [
            ("SST files on disk (rocksdbSstFileSize)", m.get("rocksdbSstFileSize")),
            ("block cache pinned (rocksdbPinnedBlocksMemoryUsage)", m.get("rocksdbPinnedBlocksMemoryUsage")),
            ("bytes copied to the checkpoint (rocksdbBytesCopied)", m.get("rocksdbBytesCopied")),
        ]
        return [
            f"{'state after draining ' + format(self.tickets, ',') + ' open tickets':<58} {'value':>14}",
            f"{'rows in the state store (numRowsTotal)':<58} {self.num_rows_total:>14,}",
            f"{'state memory, RocksDB (memoryUsedBytes, MiB)':<58} {self.memory_used_bytes / 2**20:>14,.1f}",
            *(f"{name + ', MiB':<58} {value / 2**20:>14,.1f}" for name, value in rocks if value is not None),
            f"{'JVM peak RSS (driver + executor, MiB; heap ' + self.heap + ')':<58} {self.peak.jvm_mib:>14,.0f}",
            f"{'Python driver peak RSS (MiB)':<58} {self.peak.python_mib:>14,.0f}",
            f"{'job, whole process (s)':<58} {self.seconds:>14.1f}",
            f"{'lifecycle query busy (s, ' + str(self.batches) + ' batches)':<58} {self.lifecycle_s:>14.1f}",
            f"open tickets in state: {self.tickets:,} tickets -> numRowsTotal {self.num_rows_total:,}, "
            f"memoryUsedBytes {self.memory_used_bytes / 2**20:,.1f} MiB, JVM peak {self.peak.jvm_mib:,.0f} MiB "
            f"(heap {self.heap}); {self.seconds:.0f} s whole job, lifecycle {self.lifecycle_s:.0f} s = "
            f"{self.tickets / max(self.lifecycle_s, 1e-9):,.0f} tickets/s",
        ]


def open_tickets(settings: Settings, count: int, heap: str, workdir: Path, log_level: str = "INFO") -> StateResult:
    """Produce `count` tickets without events, drain them with the job (JVM of `heap`); read the state's size."""
    progress = workdir / f"state-{PROGRESS_NAME}"
    run = _scratch(settings, workdir, "state").with_(lifecycle=True, progress_file=progress, spark_driver_memory=heap)
    print(f"state: {count:,} open tickets, JVM heap {heap}; estimate {estimate(count, STATE_MS_PER_TICKET)}")
    ensure_topics(run)
    try:
        sent = produce_sample(run, count, 0.0, seed=11, span_s=STATE_SPAN_S, lifecycle=False, progress=True)
        print(sent.line())
        seconds, peak = _run_timed(stream_command(log_level, "--available-now"), stream_env(run), workdir / "state.log")
    finally:
        delete_topics(run, _all_topics(run))
    lines = query_lines(read_progress(progress), LIFECYCLE)
    state = last_state(lines)
    return StateResult(
        tickets=sent.sent,
        heap=heap,
        seconds=seconds,
        lifecycle_s=sum(line["batchDuration"] for line in lines) / 1000,
        num_rows_total=int(state.get("numRowsTotal", 0)),
        memory_used_bytes=int(state.get("memoryUsedBytes", 0)),
        custom_metrics=dict(state.get("customMetrics", {})),
        peak=peak,
        batches=len(lines),
    )


# --- 3. breach latency at a steady rate ----------------------------------------------------------


@dataclass
class BreachResult:
    """Breach latencies and whether the lifecycle kept up with a steady produce rate."""

    rate: float  # asked: tickets per second
    seconds: float
    compression: float
    tickets_sent: int
    events_sent: int
    produce_s: float
    produce_behind_s: float
    valid_records: int  # what the lifecycle query has to read (valid tickets and events)
    lifecycle_read: int  # ... what it had read when production ended
    lifecycle_read_at_stop: int
    reading_s: float  # from the production's start to the end of the lifecycle's last batch with input rows
    caught_up_after_s: float | None  # seconds after production until it had read everything; None: not in time
    lifecycle_busy: float  # its busy share of the production window (1.0: never idle)
    busy_s: dict[str, float]  # every query's busy time during the production window
    breaches: int
    unexplained: int
    latency: dict[str, float]
    peak: Peak
    latencies_s: list[float] = field(default_factory=list, repr=False)

    @property
    def produced_per_s(self) -> float:
        """Records produced per second (both topics)."""
        return (self.tickets_sent + self.events_sent) / self.produce_s

    @property
    def input_per_s(self) -> float:
        """Rows per second the lifecycle query had to read (the valid records produced)."""
        return self.valid_records / self.produce_s

    @property
    def sustained_per_s(self) -> float:
        """Rows per second the lifecycle query read, from the production's start to its last batch with input.

        When it keeps up, that is the input rate (it idles between batches: see its busy share); when it
        falls behind, that is its throughput under this load.
        """
        return self.lifecycle_read_at_stop / self.reading_s if self.reading_s > 0 else 0.0

    @property
    def kept_up(self) -> bool:
        """True when the lifecycle read its input as fast as it came (within 5 %) and caught up at the end."""
        return self.caught_up_after_s is not None and self.sustained_per_s >= 0.95 * self.input_per_s

    def lines(self) -> list[str]:
        """The printed table and its summary line."""
        p = self.latency
        tickets_share = self.tickets_sent / max(self.tickets_sent + self.events_sent, 1)
        backlog = self.valid_records - self.lifecycle_read
        caught = (
            f"caught up {self.caught_up_after_s:.0f} s after production ended"
            if self.caught_up_after_s is not None
            else f"not caught up at the stop ({self.valid_records - self.lifecycle_read_at_stop:,} rows still unread)"
        )
        return [
            f"steady: asked {self.rate:,.0f} tickets/s for {self.seconds:.0f} s, 1 wall s = {self.compression:,.0f} "
            f"simulated s; sent {self.tickets_sent / self.produce_s:,.0f} tickets/s + "
            f"{self.events_sent / self.produce_s:,.0f} events/s = {self.produced_per_s:,.0f} records/s"
            + (f" (the producer fell {self.produce_behind_s:.0f} s behind)" if self.produce_behind_s > 1 else ""),
            f"{'lifecycle query':<52} {'rows/s':>10} {'tickets/s':>10}",
            f"{'  input produced (valid tickets + events)':<52} {self.input_per_s:>10,.0f} "
            f"{self.input_per_s * tickets_share:>10,.0f}",
            f"{'  read by the lifecycle query (sustained)':<52} {self.sustained_per_s:>10,.0f} "
            f"{self.sustained_per_s * tickets_share:>10,.0f}",
            f"  busy {self.lifecycle_busy:.0%} of the time; {backlog:,} rows not processed yet when production ended; {caught}",
            "  queries' busy time during production (s): "
            + ", ".join(f"{k} {v:.0f}" for k, v in sorted(self.busy_s.items(), key=lambda kv: -kv[1])),
            f"{'breach latency (s), watermark passed -> record in Kafka':<52} {'p50':>7} {'p95':>7} {'p99':>7} {'n':>6}",
            f"{'':<52} {p['p50']:>7.2f} {p['p95']:>7.2f} {p['p99']:>7.2f} {int(p['n']):>6,}",
            f"breach latency at {self.produced_per_s:,.0f} records/s: p50 {p['p50']:.2f} s, p95 {p['p95']:.2f} s, "
            f"p99 {p['p99']:.2f} s over {self.breaches:,} breaches"
            + (f" ({self.unexplained} without a batch past their deadline)" if self.unexplained else "")
            + f"; lifecycle read {self.sustained_per_s:,.0f} of {self.input_per_s:,.0f} rows/s "
            f"(~{self.sustained_per_s * tickets_share:,.0f} of {self.rate:,.0f} tickets/s asked: "
            f"{'kept up' if self.kept_up else 'fell behind'}); "
            f"JVM peak {self.peak.jvm_mib:,.0f} MiB",
        ]


def steady_records(settings: Settings, rate: float, seconds: float, compression: float) -> list[LifecycleRecord]:
    """The records of a steady run, generated before it starts (the generator must not take the job's CPU).

    `rate` tickets per wall second over a timeline where one wall second is `compression` simulated
    seconds; every client on the lowest tier, as the stream sees them without a client dimension.
    """
    start = datetime.now(UTC).replace(microsecond=0)
    count = int(rate * seconds)
    return list(lifecycle_records(settings, count, 5, start, arrival_rate=rate / compression, tiers={}))


def _wait_until(
    done: Callable[[], bool], what: str, proc: subprocess.Popen, log: Path, timeout_s: float = 300.0
) -> None:
    """Wait until `done()` while the job runs (it ended or the time ran out: raise, with the log's end)."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the job did not {what}; log: {log}\n{log.read_text()[-2000:]}")
        time.sleep(0.5)


def steady(
    settings: Settings,
    rate: float,
    seconds: float,
    compression: float,
    catch_up_s: float,
    workdir: Path,
    log_level: str = "INFO",
) -> BreachResult:
    """Run the job continuously while producing a lifecycle stream at `rate` tickets/s; measure breach latencies."""
    progress = workdir / f"steady-{PROGRESS_NAME}"
    run = _scratch(settings, workdir, "steady").with_(lifecycle=True, progress_file=progress)
    print(f"steady: generating {rate * seconds:,.0f} tickets and their events …")
    records = steady_records(run, rate, seconds, compression)
    head = next(i for i, r in enumerate(records) if r.role == TICKETS and r.is_valid) + 1
    record_rate = len(records) / seconds
    log = workdir / "steady.log"
    peak = Peak()
    ensure_topics(run)
    proc: subprocess.Popen | None = None
    try:
        # The first ticket before the start: the tickets table exists, so every query starts at once.
        first = produce(iter(records[:head]), run, routes=lifecycle_routes(run), progress=False)
        proc = start_stream(run, log, log_level)
        # The lifecycle's first batch (the first ticket) is its cold start (Python workers, RocksDB, the JIT):
        # production starts once it is over and every query runs (the alerts query starts last).
        _wait_until(lambda: bool(query_lines(read_progress(progress), LIFECYCLE)), "run a lifecycle batch", proc, log)
        _wait_until(lambda: f"[{ALERTS}] started" in log.read_text(), "start its alerts query", proc, log)
        root = psutil.Process(proc.pid)
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                peak.sample(root)
                time.sleep(0.5)

        threading.Thread(target=sample, daemon=True).start()
        print(f"steady: producing {len(records) - head:,} records at {record_rate:,.0f}/s for {seconds:.0f} s …")
        # librdkafka: the load generator shares the 2 cores with the job (see `bench stream`).
        began = time.time()
        sent = produce(
            iter(records[head:]),
            run,
            rate=record_rate,
            routes=lifecycle_routes(run),
            client="confluent",
            progress=False,
        )
        ended = time.time()
        print(sent.line())
        valid = sum(t.records - t.malformed for summary in (first, sent) for t in summary.per_topic)
        while time.time() < ended + catch_up_s and proc.poll() is None:
            if caught_up_at(query_lines(read_progress(progress), LIFECYCLE), valid) is not None:
                break
            time.sleep(1)
        proc.send_signal(signal.SIGINT)  # the driver stops its queries gracefully (the JVM ignores SIGINT)
        proc.wait(timeout=120)
        sampling.set()
        breaches = read_committed(run, run.topic_breaches)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        delete_topics(run, _all_topics(run))
    all_progress = read_progress(progress)
    lines = query_lines(all_progress, LIFECYCLE)
    latencies, unexplained = breach_latencies(breaches, lines)
    busy = {name: s for name, s in busy_seconds(all_progress, began, ended).items() if name != ALERTS}
    caught_up = caught_up_at(lines, valid)
    reading = [batch_span(line)[1] for line in lines if line["numInputRows"] and batch_span(line)[1] > began]
    return BreachResult(
        rate=rate,
        seconds=seconds,
        compression=compression,
        tickets_sent=sent.tally(TICKETS).records,
        events_sent=sent.tally(EVENTS).records,
        produce_s=ended - began,
        produce_behind_s=sent.behind_s,
        valid_records=valid,
        lifecycle_read=rows_read(lines, ended),
        lifecycle_read_at_stop=rows_read(lines),
        reading_s=max(reading, default=began) - began,
        caught_up_after_s=None if caught_up is None else max(0.0, caught_up - ended),
        lifecycle_busy=busy.get(LIFECYCLE, 0.0) / (ended - began),
        busy_s=busy,
        breaches=len(breaches),
        unexplained=unexplained,
        latency=percentiles(latencies),
        peak=peak,
        latencies_s=latencies,
    )


# --- the command ---------------------------------------------------------------------------------

PARTS = ("drain", "state", "steady")


def main(argv: list[str] | None = None) -> int:
    """Run the three lifecycle measurements (those not skipped); print their tables; write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m hybridflow.bench lifecycle", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--drain-events",
        type=int,
        default=200_000,
        help="drain: backlog records, tickets + events (default 200,000: ~6-20 min; the spec's 1,000,000: ~5x)",
    )
    parser.add_argument("--runs", type=int, default=1, help="drain: alternating runs of baseline and job (default 1)")
    parser.add_argument(
        "--state-tickets",
        type=int,
        default=50_000,
        help="state: open tickets (default 50,000: ~3-8 min; the spec's 1,000,000: ~35-135 min)",
    )
    parser.add_argument("--heap", default="2g", help="state: SPARK_DRIVER_MEMORY of the job (default 2g)")
    parser.add_argument("--rate", type=float, default=1000.0, help="steady: tickets/s (default 1000, the spec's)")
    parser.add_argument("--seconds", type=float, default=120.0, help="steady: production time (default 120)")
    parser.add_argument(
        "--compression",
        type=float,
        default=3600.0,
        help="steady: simulated seconds per wall second (default 3600: an 8-hour deadline falls due after 8 s)",
    )
    parser.add_argument(
        "--catch-up", type=float, default=120.0, help="steady: longest wait for the lifecycle after production (120 s)"
    )
    parser.add_argument("--skip", default="", help=f"comma-separated parts to skip: {', '.join(PARTS)}")
    add_job_options(parser, "lifecycle", "keep the job's logs and progress files")
    args = parser.parse_args(argv)
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    if skip - set(PARTS):
        parser.error(f"--skip takes {', '.join(PARTS)}; got {', '.join(sorted(skip - set(PARTS)))}")

    settings = get_settings()
    results: dict[str, object] = {
        "master": settings.spark_master,
        "max_offsets_per_trigger": settings.max_offsets_per_trigger,
        "lifecycle_watermark_delay": settings.lifecycle_watermark_delay,
        "lifecycle_trigger_interval": settings.lifecycle_trigger_interval,
    }
    summaries: list[str] = []
    with scratch_folder("lifecycle", args.keep_logs, "job logs and progress files") as workdir:
        for part in PARTS:
            if part in skip:
                continue
            before = os.getloadavg()[0]
            if part == "drain":
                drained = drain(settings, args.drain_events, args.runs, workdir, args.job_log_level)
                lines = drained.lines()
                figures = asdict(drained) | {"ratio": drained.ratio, "lifecycle_s": drained.lifecycle_s}
            elif part == "state":
                state = open_tickets(settings, args.state_tickets, args.heap, workdir, args.job_log_level)
                lines = state.lines()
                figures = asdict(state)
            else:
                held = steady(
                    settings, args.rate, args.seconds, args.compression, args.catch_up, workdir, args.job_log_level
                )
                lines = held.lines()
                figures = asdict(held) | {
                    "produced_per_s": held.produced_per_s,
                    "sustained_per_s": held.sustained_per_s,
                    "kept_up": held.kept_up,
                }
            # A shared machine slows every figure: its load (1-minute average, 2 cores) is kept with them.
            load = (before, os.getloadavg()[0])
            results[part] = figures | {"load_average": load}
            print("\n".join(lines))
            summaries.append(f"{lines[-1]} [machine load {load[0]:.1f} -> {load[1]:.1f}]")
    out = write_results(settings, "lifecycle", results, args.json)
    print("\n".join(summaries))
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
