"""The ticket streaming job: one read and one parse of the topic per micro-batch, then every output from it.

Queries, each with its own checkpoint:

- ``tickets`` (micro-batch, `foreachBatch`): reads the tickets topic (at most
  MAX_OFFSETS_PER_TRIGGER records per batch), decodes and validates every record **once**, then
  from that one cached batch appends the valid tickets — enriched with their support team, SLA
  and the client dimension at its current Delta version — to the ``tickets`` Delta table
  (at most once per batch id) and publishes the dead letters in one Kafka transaction (exactly
  once per batch). See `hybridflow.streaming.sinks` for why a replayed batch writes nothing twice.
- ``ticket_windows`` (micro-batch, stateful): reads the ``tickets`` Delta table as a stream —
  already parsed and columnar, so the topic is not parsed a second time — and counts tickets per
  event-time window with a watermark; each window is appended once, when the watermark closes it.
- ``ticket_alerts`` (Spark Real-time Mode, only when the job runs continuously): a stateless
  query that republishes critical tickets to the alerts topic as they arrive (tens of
  milliseconds end to end, not a micro-batch interval). It starts at the topic's end the first
  time: alerts are about now; a backlog is drained into the lake, not alerted.

With ``available_now`` the job drains what the topic holds then stops: the tickets query
first, then the windows query over what it wrote.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from py4j.protocol import Py4JError
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery, StreamingQueryListener

from hybridflow.batch.dimension import ClientDimension
from hybridflow.config import Settings
from hybridflow.lake import (
    ALERTS_QUERY,
    EVENTS_QUERY,
    FORMAT,
    LIFECYCLE_QUERY,
    TICKET_WINDOWS,
    TICKETS,
    TICKETS_QUERY,
    WINDOWS_QUERY,
)
from hybridflow.streaming import lifecycle, sinks, sources, transforms
from hybridflow.streaming.scheduling import scheduler_pool, session_conf, start_batches
from hybridflow.streaming.writers import TicketBatchWriter

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    """The running queries of one pipeline start, by name, and their batch writers."""

    spark: SparkSession
    settings: Settings
    available_now: bool
    writer: TicketBatchWriter
    queries: dict[str, StreamingQuery] = field(default_factory=dict)
    writers: dict[str, Any] = field(default_factory=dict)  # the other queries' foreachBatch writers, by query

    @property
    def dimension(self) -> ClientDimension:
        """The client dimension the tickets query joins (re-read when its Delta tables move)."""
        return self.writer.dimension

    def stop(self) -> None:
        """Stop every query that is still active.

        A micro-batch under way is cancelled, not finished: its writes are either committed or
        invisible, and the next start replays it from the checkpoint.
        """
        for query in self.queries.values():
            if query.isActive:
                query.stop()
        self.writer.close()
        for writer in self.writers.values():
            writer.close()


class ProgressPrinter(StreamingQueryListener):
    """Logs one line per micro-batch (INFO): rows in, batch duration, rows dropped by the watermark."""

    def __init__(self, printer: Callable[[str], None] = log.info) -> None:
        self._print = printer
        self._names: dict[str, str] = {}

    def onQueryStarted(self, event) -> None:  # noqa: N802 (Spark's listener API names it)
        self._names[str(event.id)] = event.name
        self._print(f"[{event.name}] started (id {str(event.id)[:8]})")

    def onQueryProgress(self, event) -> None:  # noqa: N802 (Spark's listener API names it)
        p = event.progress
        dropped = sum(op.numRowsDroppedByWatermark for op in p.stateOperators)
        late = f", {dropped} late rows dropped by the watermark" if dropped else ""
        wm = p.eventTime.get("watermark") if p.eventTime else None
        wm_text = f", watermark {wm}" if wm and not wm.startswith("1970") else ""
        self._print(
            f"[{p.name}] batch {p.batchId}: {p.numInputRows} rows in, {p.batchDuration / 1000:.1f} s{late}{wm_text}"
        )
        if log.isEnabledFor(logging.DEBUG):  # where the batch's time went, by Spark's phases (ms)
            log.debug("[%s] batch %d phases: %s", p.name, p.batchId, dict(p.durationMs))

    def onQueryIdle(self, event) -> None:  # noqa: N802 (Spark's listener API names it)
        pass

    def onQueryTerminated(self, event) -> None:  # noqa: N802 (Spark's listener API names it)
        status = f"failed: {event.exception.splitlines()[0]}" if event.exception else "stopped"
        self._print(f"[{self._names.get(str(event.id), str(event.id)[:8])}] {status}")


class ProgressFile(StreamingQueryListener):
    """Appends each micro-batch's progress, as Spark reports it (JSON, one line a batch), to a file.

    Benchmarks and live views read the queries' real figures (rows, durations, watermark, state)
    from it, not from log lines.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def onQueryStarted(self, event) -> None:  # noqa: N802 (Spark's listener API names it)
        pass

    def onQueryProgress(self, event) -> None:  # noqa: N802 (Spark's listener API names it)
        line = json.dumps(json.loads(event.progress.json), separators=(",", ":"))
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()

    def onQueryIdle(self, event) -> None:  # noqa: N802 (Spark's listener API names it)
        pass

    def onQueryTerminated(self, event) -> None:  # noqa: N802 (Spark's listener API names it)
        pass

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._out.close()


def start_tickets(
    spark: SparkSession, settings: Settings, available_now: bool
) -> tuple[StreamingQuery, TicketBatchWriter]:
    """Start the one-pass tickets query (lake + dead letters); returns it with its batch writer."""
    writer = TicketBatchWriter(spark, settings)
    validated = transforms.validate(
        transforms.decode(sources.read_from_kafka(spark, settings)), settings.max_payload_bytes
    )
    query = start_batches(spark, settings, validated, TICKETS_QUERY, writer, available_now, settings.trigger_interval)
    return query, writer


def windows_stream(spark: SparkSession, settings: Settings) -> DataFrame:
    """Windowed counts over the tickets Delta table, read as a stream (no second parse of the topic).

    A new windows query reads the table's commits from version 0 when the log still holds it
    (the tickets table is append-only: the same rows), not Delta's default first snapshot, which
    rebuilds and sorts the whole file list first (measured: 5 s of a 1M-ticket drain). A restarted
    query resumes from its checkpoint either way.
    """
    reader = spark.readStream.format(FORMAT)
    if _log_starts_at_zero(settings):
        reader = reader.option("startingVersion", "0")
    tickets = reader.load(TICKETS.uri(settings))
    return transforms.windowed_counts(tickets, settings.window_duration, settings.watermark_delay)


def _log_starts_at_zero(settings: Settings) -> bool:
    """True when the tickets table's log still holds version 0 (log clean-up may have removed it)."""
    from deltalake.exceptions import DeltaError

    try:
        return TICKETS.delta(settings, version=0) is not None
    except DeltaError:
        return False


# The windows query's state is a few rows per minute (request types x priorities), and each task
# pre-aggregates its rows before the shuffle: one state partition is enough at any rate, and on two
# cores it cuts a quarter of its cost (1M tickets, data + no-data batch: 4.1 -> 3.2 s warm, 7.3 -> 5.3 s cold).
WINDOWS_STATE_PARTITIONS = 1


def start_windows(spark: SparkSession, settings: Settings, available_now: bool) -> StreamingQuery:
    """Start the windowed-counts query (the tickets table must exist: a first tickets batch creates it).

    Its state partitions are fixed by its first start (a checkpoint keeps its own number).
    """
    partitions = session_conf(spark, "spark.sql.shuffle.partitions", str(WINDOWS_STATE_PARTITIONS))
    with scheduler_pool(spark, WINDOWS_QUERY.name), partitions:
        return sinks.write_windows(windows_stream(spark, settings), TICKET_WINDOWS, settings, available_now)


def alerts_stream(spark: SparkSession, settings: Settings) -> DataFrame:
    """Critical valid tickets, straight from the topic, shaped for the alerts topic (stateless)."""
    raw = sources.read_from_kafka(spark, settings, starting_offsets="latest", max_offsets=False)
    validated = transforms.validate(transforms.decode(raw), settings.max_payload_bytes)
    enriched = transforms.enrich(transforms.valid_tickets(validated))
    return transforms.alerts(enriched, settings.alert_priority_list)


def start_pipeline(spark: SparkSession, settings: Settings, available_now: bool = False) -> Pipeline:
    """Start the queries and return at once with the running `Pipeline`.

    Available-now: only the tickets query (and the events query) start here; `run_pipeline`
    starts the windows and lifecycle queries once they have drained their topics.
    Continuously: every query starts at once (those reading the tickets table once it exists).
    """
    query, writer = start_tickets(spark, settings, available_now)
    pipeline = Pipeline(spark, settings, available_now, writer, {TICKETS_QUERY.name: query})
    try:
        if settings.lifecycle:
            pipeline.queries[EVENTS_QUERY.name], pipeline.writers[EVENTS_QUERY.name] = lifecycle.start_events(
                spark, settings, available_now
            )
        if available_now:
            return pipeline
        _wait_for_table(pipeline, query)
        pipeline.queries[WINDOWS_QUERY.name] = start_windows(spark, settings, available_now)
        if settings.lifecycle:
            _start_lifecycle(pipeline)
        slots = spark.sparkContext.defaultParallelism  # local[N]: N; a cluster: its executors' cores
        with scheduler_pool(spark, ALERTS_QUERY.name):
            pipeline.queries[ALERTS_QUERY.name] = sinks.write_alerts(alerts_stream(spark, settings), settings, slots)
    except Exception:
        pipeline.stop()
        raise
    return pipeline


def _start_lifecycle(pipeline: Pipeline) -> None:
    spark, settings, available_now = pipeline.spark, pipeline.settings, pipeline.available_now
    query, writer = lifecycle.start_lifecycle(spark, settings, available_now)
    pipeline.queries[LIFECYCLE_QUERY.name], pipeline.writers[LIFECYCLE_QUERY.name] = query, writer


def _wait_for_table(pipeline: Pipeline, query: StreamingQuery) -> None:
    """Wait until the tickets table exists (its first batch creates it): the windows query reads it."""
    while not TICKETS.exists(pipeline.settings):
        failure = query.exception()
        if failure is not None:
            raise failure
        if not query.isActive:
            return
        query.awaitTermination(1)


@contextmanager
def _stop_requested_on_signals() -> Iterator[threading.Event]:
    """Turn Ctrl-C / SIGTERM into a flag while the queries run.

    PySpark's own SIGINT handler cancels jobs from inside the signal handler, racing the
    py4j call we are blocked in; a flag polled between short waits stops cleanly instead.
    """
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: requested.set())
    try:
        yield requested
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _await(
    pipeline: Pipeline,
    stop_requested: threading.Event,
    deadline: float | None,
    available_now: bool,
    timeout_s: float | None,
) -> bool:
    """Wait while the queries run; True when a stop was requested or the deadline passed."""
    while not stop_requested.is_set():
        if deadline is not None and time.monotonic() > deadline:
            if available_now:
                raise TimeoutError(f"the available-now run did not finish within {timeout_s} s")
            return True
        queries = list(pipeline.queries.values())
        if any(q.exception() for q in queries) or not any(q.isActive for q in queries):
            return False
        next(q for q in queries if q.isActive).awaitTermination(1)
    return True


def _raise_failures(pipeline: Pipeline) -> None:
    for query in pipeline.queries.values():
        failure = query.exception()
        if failure is not None:
            raise failure


def run_pipeline(
    spark: SparkSession,
    settings: Settings,
    available_now: bool = True,
    timeout_s: float | None = None,
    progress: bool = True,
) -> Pipeline:
    """Run the job: until the topic is drained (`available_now`) or until Ctrl-C / `timeout_s`."""
    listener = ProgressPrinter() if progress else None
    if listener:
        spark.streams.addListener(listener)
    recorder = ProgressFile(settings.progress_file) if settings.progress_file else None
    if recorder:
        spark.streams.addListener(recorder)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    pipeline: Pipeline | None = None
    try:
        with _stop_requested_on_signals() as stop_requested:  # a Ctrl-C while the queries start stops them too
            pipeline = start_pipeline(spark, settings, available_now)
            stopped = _await(pipeline, stop_requested, deadline, available_now, timeout_s)
            _raise_failures(pipeline)
            if available_now and not stopped and TICKETS.exists(settings):
                pipeline.queries[WINDOWS_QUERY.name] = start_windows(spark, settings, available_now=True)
                if settings.lifecycle:
                    _start_lifecycle(pipeline)
                stopped = _await(pipeline, stop_requested, deadline, available_now, timeout_s)
            if stop_requested.is_set():
                log.info("stopping the streaming queries (signal received)…")
        _raise_failures(pipeline)
    finally:
        if pipeline is not None:
            pipeline.stop()
        if listener or recorder:
            _deliver_pending_events(spark)
        for added in (listener, recorder):
            if added:
                spark.streams.removeListener(added)
        if recorder:
            recorder.close()
    return pipeline


def _deliver_pending_events(spark: SparkSession, timeout_ms: int = 10_000) -> None:
    """Let Spark's listener bus hand the last progress events to the Python listener.

    Spark delivers them from a queue of its own: an event still queued when Python exits is
    delivered while the interpreter shuts down, and Spark logs the failed callback as an ERROR
    with a stack trace (seen after `make demo`, whose closing summary no longer runs Spark jobs).
    """
    try:
        spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(timeout_ms)  # the JVM SparkContext, through py4j
    except Py4JError as exc:  # a timeout only means a late progress line is not printed
        log.debug("listener events still queued after %d ms: %s", timeout_ms, exc)
