"""The ticket streaming job: wire source -> transforms -> sinks, run it, report progress.

Three queries read the same topic, each with its own checkpoint:

- ``tickets``        valid tickets, enriched with their support team, SLA and client
                     dimension (batch ETL), to the lake (Parquet, partitioned by date)
- ``ticket_windows`` counts per event-time window / type / priority, with a watermark
- ``dead_letters``   malformed events, original bytes + reason, to the dead-letter topic

The client dimension is a snapshot taken when the tickets query starts; while the job
runs, `Pipeline.refresh_dimension` restarts that one query when a batch run changed it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery, StreamingQueryListener

from hybridflow.batch.dimension import ClientDimension
from hybridflow.batch.transforms import enrich_with_clients
from hybridflow.config import Settings
from hybridflow.streaming import sinks, sources, transforms


@dataclass
class Pipeline:
    """The running queries of one pipeline start, by name, and the client dimension they use."""

    spark: SparkSession
    settings: Settings
    available_now: bool
    dimension: ClientDimension
    queries: dict[str, StreamingQuery] = field(default_factory=dict)

    def refresh_dimension(self) -> bool:
        """Restart the tickets query if a batch run changed the client dimension; True if it did."""
        before = self.dimension.version
        clients = self.dimension.current()
        if self.dimension.version == before:
            return False
        self.queries[sinks.TICKETS].stop()  # the checkpoint resumes it exactly where it stopped
        tickets = _tickets(self.spark, _validated(self.spark, self.settings), clients)
        self.queries[sinks.TICKETS] = sinks.write_tickets(tickets, self.settings, self.available_now)
        print(f"[{sinks.TICKETS}] client dimension refreshed (version {self.dimension.version}): query restarted")
        return True

    def stop(self) -> None:
        """Stop every query that is still active (a graceful stop ends the current micro-batch)."""
        for query in self.queries.values():
            if query.isActive:
                query.stop()


class ProgressPrinter(StreamingQueryListener):
    """Prints one line per micro-batch: rows in, batch duration, rows dropped by the watermark."""

    def __init__(self, printer=print) -> None:
        self._print = printer
        self._names: dict[str, str] = {}

    def onQueryStarted(self, event) -> None:  # noqa: N802 (Spark's API)
        self._names[str(event.id)] = event.name
        self._print(f"[{event.name}] started (id {str(event.id)[:8]})")

    def onQueryProgress(self, event) -> None:  # noqa: N802
        p = event.progress
        dropped = sum(op.numRowsDroppedByWatermark for op in p.stateOperators)
        late = f", {dropped} late rows dropped by the watermark" if dropped else ""
        wm = p.eventTime.get("watermark") if p.eventTime else None
        wm_text = f", watermark {wm}" if wm and not wm.startswith("1970") else ""
        self._print(
            f"[{p.name}] batch {p.batchId}: {p.numInputRows} rows in, "
            f"{p.batchDuration / 1000:.1f} s{late}{wm_text}"
        )

    def onQueryIdle(self, event) -> None:  # noqa: N802
        pass

    def onQueryTerminated(self, event) -> None:  # noqa: N802
        status = f"failed: {event.exception.splitlines()[0]}" if event.exception else "stopped"
        self._print(f"[{self._names.get(str(event.id), str(event.id)[:8])}] {status}")


def _validated(spark: SparkSession, settings: Settings) -> DataFrame:
    """Every record of the tickets topic, validated (typed fields + `error`)."""
    return transforms.validate(transforms.decode(sources.read_from_kafka(spark, settings)), settings.max_payload_bytes)


def _tickets(spark: SparkSession, validated: DataFrame, clients: DataFrame) -> DataFrame:
    """The valid tickets, enriched with team, SLA and the client dimension."""
    teams, slas = transforms.reference_frames(spark)
    return enrich_with_clients(transforms.enrich(transforms.valid_tickets(validated), teams, slas), clients)


def build_streams(spark: SparkSession, settings: Settings, clients: DataFrame) -> dict[str, DataFrame]:
    """The three output DataFrames of the job (not started), by query name."""
    validated = _validated(spark, settings)
    return {
        sinks.TICKETS: _tickets(spark, validated, clients),
        sinks.WINDOWS: transforms.windowed_counts(
            transforms.valid_tickets(validated), settings.window_duration, settings.watermark_delay
        ),
        sinks.DEAD_LETTERS: transforms.dead_letters(validated),
    }


def start_pipeline(spark: SparkSession, settings: Settings, available_now: bool = False) -> Pipeline:
    """Start the three queries; returns at once with the running `Pipeline`."""
    dimension = ClientDimension(spark, settings)
    streams = build_streams(spark, settings, dimension.current())
    writers = {
        sinks.TICKETS: sinks.write_tickets,
        sinks.WINDOWS: sinks.write_windows,
        sinks.DEAD_LETTERS: sinks.write_dead_letters,
    }
    pipeline = Pipeline(spark, settings, available_now, dimension)
    try:
        for name, write in writers.items():
            pipeline.queries[name] = write(streams[name], settings, available_now)
    except Exception:
        pipeline.stop()
        raise
    return pipeline


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
    pipeline = start_pipeline(spark, settings, available_now)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    next_refresh = time.monotonic() + settings.dimension_refresh_s
    try:
        with _stop_requested_on_signals() as stop_requested:
            while not stop_requested.is_set():
                if not available_now and time.monotonic() >= next_refresh:
                    pipeline.refresh_dimension()
                    next_refresh = time.monotonic() + settings.dimension_refresh_s
                if deadline is not None and time.monotonic() > deadline:
                    if available_now:
                        raise TimeoutError(f"the available-now run did not finish within {timeout_s} s")
                    break
                active = [q for q in pipeline.queries.values() if q.isActive]
                failed = [q for q in pipeline.queries.values() if q.exception()]
                if failed or not active:
                    break
                active[0].awaitTermination(1)
            if stop_requested.is_set():
                print("stopping the streaming queries (signal received)…")
        for query in pipeline.queries.values():
            if query.exception():
                raise query.exception()
    finally:
        pipeline.stop()
        if listener:
            spark.streams.removeListener(listener)
    return pipeline
