"""Sinks of the ticket stream: idempotent Delta appends, a transactional dead-letter producer, the alerts topic.

Exactly-once, for every reader:

- **Delta, per micro-batch** (`append_once`): each commit carries the query's id and the
  batch id in its ``userMetadata``, in the same atomic commit as the data. Spark replays at
  most one batch after a restart — the last one it planned and did not record as done — so
  only the first batch of a run can already be in the table: that batch, and only that one,
  looks up the query's last committed batch in the table's log (`last_committed_batch`) and
  is skipped if it is there. A crashed, uncommitted write leaves files no Delta reader sees.
  (Delta's own ``txnAppId``/``txnVersion`` options give the same guarantee, but Delta 4.4
  answers the lookup by reconstructing the table state — three Spark jobs, ~1.5 s — on
  *every* write: on the 2-core development machine, most of a small batch's time.)
- **Dead letters** (`DeadLetterPublisher`): one Kafka transaction per micro-batch holds the
  batch's dead letters *and* a marker, the source offsets committed for a consumer group
  of its own (the consume-transform-produce pattern of Kafka's exactly-once). A replayed
  batch finds its marker committed and publishes nothing; a batch killed mid-way is
  aborted when the next incarnation starts (same ``transactional.id``), so `read_committed`
  consumers never see its records.
- **Windows** are appended the same way (`OnceAppender`, from `foreachBatch`), not through
  Delta's streaming sink, which answers the same question with the same state reconstruction
  on every batch (measured in the 1M-event drain: the windows query's two batches took
  13–14 s with it, 8–9 s without).
- **Alerts** go through Spark's Kafka sink: at-least-once (a crash can repeat an alert, never
  lose one); the record key is the ticket id, so a consumer can de-duplicate.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from pyspark.sql import DataFrame
from pyspark.sql.streaming import DataStreamWriter, StreamingQuery

from hybridflow.config import Settings
from hybridflow.kafka.security import client_options
from hybridflow.lake import ALERTS_QUERY, FORMAT, WINDOWS_QUERY, LakeTable
from hybridflow.tickets.clients import MAX_REQUEST_BYTES

if TYPE_CHECKING:
    from confluent_kafka import KafkaError, Producer

log = logging.getLogger(__name__)

T = TypeVar("T")


def trigger(writer: DataStreamWriter, available_now: bool, interval: str) -> DataStreamWriter:
    """Available-now (drain what is there, then stop) or a processing-time trigger every `interval`."""
    if available_now:
        return writer.trigger(availableNow=True)
    return writer.trigger(processingTime=interval)


def batch_marker(app_id: str, batch_id: int, **extra: object) -> str:
    """The `userMetadata` of a micro-batch's commit: which query wrote it, which batch (and `extra` facts)."""
    return json.dumps({"query": app_id, "batch": batch_id, **extra}, sort_keys=True)


def last_marker(table: LakeTable, settings: Settings, app_id: str) -> dict | None:
    """The marker of the newest commit the query `app_id` made to `table`, from the log (None: none).

    Reads the newest commits first (without Spark); the query is normally the table's only
    writer, so its last commit is the newest one.
    """
    delta = table.delta(settings)
    if delta is None:
        return None
    for limit in (50, None):
        for commit in delta.history(limit):  # newest first
            try:
                marker = json.loads(commit.get("userMetadata") or "null")
            except ValueError:
                continue
            if isinstance(marker, dict) and marker.get("query") == app_id:
                return marker
    return None


def last_committed_batch(table: LakeTable, settings: Settings, app_id: str) -> int:
    """The highest batch id the query `app_id` committed to `table`, from the log (-1: none)."""
    marker = last_marker(table, settings, app_id)
    return -1 if marker is None else int(marker["batch"])


def append_once(
    df: DataFrame,
    table: LakeTable,
    settings: Settings,
    app_id: str,
    batch_id: int,
    may_be_replay: bool,
    marker: dict | None = None,
) -> bool:
    """Append a micro-batch to a Delta table, at most once per (query id, batch id).

    Args:
        may_be_replay: True for the first batch after a (re)start, the only one Spark can
            replay: it is skipped when the log shows it committed.
        marker: more facts for the commit's marker (the stream time a batch reached).
    Returns:
        False when the batch was already committed (nothing written).
    """
    if may_be_replay and last_committed_batch(table, settings, app_id) >= batch_id:
        log.info("%s: batch %d already committed by query %s: replay skipped", table.name, batch_id, app_id)
        return False
    writer = (
        df.write.format(FORMAT).mode("append").option("userMetadata", batch_marker(app_id, batch_id, **(marker or {})))
    )
    if may_be_replay and table.properties and not table.exists(settings):
        # `delta.…` options on the write that creates a table become its properties (and apply to that write).
        writer = writer.options(**dict(table.properties))
    if table.partition_by:
        writer = writer.partitionBy(*table.partition_by)
    writer.save(table.uri(settings))
    return True


class OnceAppender:
    """A `foreachBatch` function appending each micro-batch to a Delta table once (`append_once`).

    Its query's id, stable across restarts, is the idempotence key: `bind` it once the query has
    started (Spark's first call may come before, and waits for it).
    """

    def __init__(self, table: LakeTable, settings: Settings) -> None:
        self.table = table
        self.settings = settings
        self.app_id = ""
        self._bound = threading.Event()
        self._first_batch = True  # only the first batch after a start can be one Spark replays

    def bind(self, query: StreamingQuery) -> None:
        """Give the appender its query's id."""
        self.app_id = str(query.id)
        self._bound.set()

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        self.append(batch, batch_id)

    def wait_bound(self) -> None:
        """Wait until the query's id is known (Spark may call the first batch before `start()` returns)."""
        if not self._bound.wait(timeout=60):
            raise RuntimeError(f"the query writing {self.table.name} never bound its id to its appender")

    def append(self, batch: DataFrame, batch_id: int, marker: dict | None = None) -> bool:
        """Append the batch; False when it was already committed (a replay: nothing written)."""
        self.wait_bound()
        written = append_once(batch, self.table, self.settings, self.app_id, batch_id, self._first_batch, marker)
        if not written:
            # A stateful query (the windows) commits its state as the batch's plan runs, and Spark 4.2
            # fails the batch if it did not run on every partition: the skipped replay still runs it,
            # into Spark's no-op sink (it rebuilds the same state version; the output goes nowhere).
            batch.write.format("noop").mode("overwrite").save()
        self._first_batch = False
        return written


STREAM_TIME = "stream_time"


class StreamClock:
    """The stream time of one table's writer: the highest event time its batches have carried so far.

    Each batch's rows are stamped with it (column ``stream_time``) and its commit marker keeps it,
    so a restarted query goes on from where it was. It never goes back: a downstream query that
    sets its watermark on ``stream_time`` sees no row older than its watermark, so Spark drops
    none as late (a late *event time* is the lifecycle's business, not a reason to lose the row).
    """

    def __init__(self, appender: OnceAppender) -> None:
        self.appender = appender
        self.mark_ms: int | None = None
        self._loaded = False

    def advance(self, valid: DataFrame, event_time: str) -> int | None:
        """Move the clock to the batch's highest `event_time` if that is later; returns it (ms, None: no event yet)."""
        from pyspark.sql import functions as F

        if not self._loaded:  # after a (re)start: where the last committed batch left it
            self.appender.wait_bound()
            marker = last_marker(self.appender.table, self.appender.settings, self.appender.app_id) or {}
            self.mark_ms, self._loaded = marker.get(STREAM_TIME), True
        batch_max = valid.agg(F.max(F.unix_millis(F.col(event_time)))).first()[0]  # type: ignore[index]  # an aggregate has a row
        if batch_max is not None and (self.mark_ms is None or batch_max > self.mark_ms):
            self.mark_ms = int(batch_max)
        return self.mark_ms

    def column(self):
        """The stream time as a timestamp literal column."""
        from pyspark.sql import functions as F

        if self.mark_ms is None:
            return F.lit(None).cast("timestamp")
        return F.timestamp_millis(F.lit(self.mark_ms))


def write_windows(counts: DataFrame, table: LakeTable, settings: Settings, available_now: bool) -> StreamingQuery:
    """Append closed event-time windows to their Delta table (each window once, after the watermark)."""
    appender = OnceAppender(table, settings)
    writer = (
        counts.writeStream.queryName(WINDOWS_QUERY.name)
        .outputMode("append")
        .option("checkpointLocation", WINDOWS_QUERY.checkpoint(settings))
        .foreachBatch(appender)
    )
    query = trigger(writer, available_now, settings.windows_trigger_interval).start()
    appender.bind(query)
    return query


def real_time_possible(task_slots: int, settings: Settings) -> bool:
    """Real-time Mode keeps one task per topic partition running for its whole batch: it needs those
    slots plus at least two for the micro-batch queries beside it."""
    return task_slots >= settings.topic_partitions + 2


def write_alerts(alerts: DataFrame, settings: Settings, task_slots: int) -> StreamingQuery:
    """Publish alerts to the alerts topic: Spark's Real-time Mode when the slots allow, else micro-batches."""
    writer = (
        alerts.writeStream.queryName(ALERTS_QUERY.name)
        .format("kafka")
        .options(
            **{
                "kafka.bootstrap.servers": settings.kafka_bootstrap_servers,
                **client_options(settings, "spark", "streaming"),
            }
        )
        .option("topic", settings.topic_alerts)
        .option("kafka.acks", "all")
        .option("checkpointLocation", ALERTS_QUERY.checkpoint(settings))
        .outputMode("update")
    )
    if real_time_possible(task_slots, settings):
        # The duration is how often Real-time Mode checkpoints, not a latency: records are emitted as they come.
        return writer.trigger(realTime=settings.alerts_checkpoint_interval).start()  # type: ignore[call-overload]  # Real-time Mode: not in pyspark 4.2's stubs
    log.warning(
        "alerts: %d task slots < %d partitions + 2, so Real-time Mode would starve the other queries: "
        "running micro-batches as fast as possible instead (raise N in SPARK_MASTER=local[N] or the workers' cores)",
        task_slots,
        settings.topic_partitions,
    )
    return writer.trigger(processingTime="0 seconds").start()


class TransactionalPublisher:
    """Publishes each micro-batch's records in one Kafka transaction, exactly once per batch.

    With the records, the transaction commits a *marker*: offsets for a consumer group of the
    query's own (``marks``: (topic, partition) -> offset). A batch whose marker is already
    committed was published: a replay publishes nothing. `DeadLetterPublisher` marks with the
    dead letters' source offsets; the lifecycle query marks with its batch id.

    librdkafka (confluent-kafka), not kafka-python: the batch waits for this publish, and
    librdkafka sends a batch's thousands of records from its own threads in a fraction of the time.

    A broker outage does not fail the batch at once: the publish is retried for
    `outage_s` (librdkafka's rules: a retriable commit is retried, an abortable transaction
    aborted and begun again, a producer left in a fatal state replaced by a new one, whose
    start completes or aborts the old one's transaction). Being fenced on a healthy path —
    another incarnation of the query took the same transactional id — is final: the batch
    fails. Fenced *after an outage* in the same publish is the restarted broker's doing (it
    ended the transaction it found open and moved the producer's epoch on, "old epoch": seen in
    a run of the broker-restart test), so the producer is replaced like a fatal one.

    Args:
        app_id: the streaming query's id (stable across restarts from the same checkpoint); it
            names the transactional id and the marker's consumer group.
        outage_s: how long a publish keeps retrying (default: four request timeouts, 60 s).
    """

    FENCED = frozenset({"_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH", "TRANSACTION_COORDINATOR_FENCED"})

    def __init__(self, settings: Settings, app_id: str, outage_s: float | None = None) -> None:
        from confluent_kafka import Consumer

        self.settings = settings
        self.group = f"hybridflow-dlq-{app_id}"
        self._timeout_s = settings.kafka_request_timeout_ms / 1000
        self._outage_s = 4 * self._timeout_s if outage_s is None else outage_s
        self._common = {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "client.id": self.group,
            **client_options(settings, "confluent", "streaming"),
        }
        # The marker's group: read its committed offsets, and name it in each transaction (never subscribes).
        self._group = Consumer(self._common | {"group.id": self.group, "enable.auto.commit": False})
        self._producer: Producer | None = self._new_producer()
        # Only the first batch after a start can be a replay (Spark re-runs the last uncommitted
        # batch on restart); once this publisher committed one, later batches are new by
        # construction — unless a failed attempt of this batch may have committed after all.
        self._may_be_replay = True

    def _new_producer(self) -> Producer:
        from confluent_kafka import Producer

        producer = Producer(
            self._common
            | {
                "transactional.id": self.group,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                # A dead letter may be as large as the tickets topic allows (plus headers; the DLQ topic has the room).
                "message.max.bytes": MAX_REQUEST_BYTES,
            }
        )
        # Fences an earlier incarnation of this query and completes or aborts its open transaction,
        # if any: from here on, the marker read below is the last committed one.
        producer.init_transactions(self._timeout_s)
        return producer

    @staticmethod
    def _retrying(call: Callable[[], T], deadline: float) -> T:
        """`call()`, called again while librdkafka says its error is retriable, until `deadline` (time.monotonic)."""
        from confluent_kafka import KafkaException

        while True:
            try:
                return call()
            except KafkaException as exc:
                if not exc.args[0].retriable() or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _published(self, marks: dict[tuple[str, int], int]) -> bool:
        """True when the marker group's committed offsets already cover `marks` (this batch was published)."""
        from confluent_kafka import TopicPartition

        # A fresh broker creates its offsets topic on first use: the coordinator comes a moment later.
        committed = self._retrying(
            lambda: self._group.committed([TopicPartition(t, p) for t, p in marks], timeout=self._timeout_s),
            time.monotonic() + self._timeout_s,
        )
        return all(tp.offset >= marks[(tp.topic, tp.partition)] for tp in committed)

    def publish_marked(self, rows: list[dict], marks: dict[tuple[str, int], int]) -> int:
        """Produce `rows` (dicts of key, value, headers, and `topic` or the dead-letter topic) with the marker `marks`.

        Returns how many were written: 0 when this batch's transaction was committed by an earlier run (a replay).
        """
        from confluent_kafka import KafkaException

        deadline = time.monotonic() + self._outage_s
        attempts = 0
        outage = False  # an attempt of this publish failed with a broker error
        while True:
            try:
                if self._producer is None:
                    self._producer = self._new_producer()
                if self._may_be_replay and self._published(marks):
                    self._may_be_replay = False
                    if attempts:  # this run's failed attempt committed after all
                        return len(rows)
                    log.info("records of marker %s already committed: replayed batch, nothing published", marks)
                    return 0
                attempts += 1
                self._transact(rows, marks, deadline)
                self._may_be_replay = False
                return len(rows)
            except KafkaException as exc:
                error = exc.args[0]
                if (error.name() in self.FENCED and not outage) or time.monotonic() > deadline:
                    raise
                outage = True
                log.warning("dead letters not published yet (%s): retrying for up to %.0f s", error.str(), deadline - time.monotonic())  # fmt: skip
                self._recover(error)
                self._may_be_replay = True  # the failed transaction may have been committed by the broker
                time.sleep(1)

    def _transact(self, rows: list[dict], marks: dict[tuple[str, int], int], deadline: float) -> None:
        from confluent_kafka import TopicPartition

        producer = self._producer
        assert producer is not None
        producer.begin_transaction()
        for row in rows:
            self._produce(row)
        offsets = [TopicPartition(t, p, offset) for (t, p), offset in marks.items()]
        producer.send_offsets_to_transaction(offsets, self._group.consumer_group_metadata(), self._timeout_s)
        self._retrying(lambda: producer.commit_transaction(self._timeout_s), deadline)  # flushes, then commits

    def _recover(self, error: KafkaError) -> None:
        """After a failed attempt: abort the transaction if librdkafka says it can be; else drop the producer."""
        from confluent_kafka import KafkaException

        if self._producer is not None and not error.fatal():
            try:
                self._producer.abort_transaction(self._timeout_s)
                return
            except KafkaException as exc:
                log.info("dead-letter transaction not aborted (%s): starting a new producer", exc.args[0].str())
        self._drop_producer()

    def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.purge()
                producer.close()
            except Exception as exc:  # noqa: BLE001 (a producer in a fatal state can refuse anything: it is dropped either way)
                log.debug("dead-letter producer closed with %r", exc)

    def _produce(self, row: dict) -> None:
        """Queue one dead letter; when librdkafka's queue is full, wait for it to drain a little."""
        assert self._producer is not None
        record = {
            "key": row["key"],
            "value": row["value"],
            "headers": [(h["key"], h["value"]) for h in row["headers"]],
        }
        while True:
            try:
                self._producer.produce(row.get("topic") or self.settings.topic_dlq, **record)
                return
            except BufferError:
                self._producer.poll(0.1)

    def close(self) -> None:
        """Close the marker group's client and the producer; never raises (nothing is pending between batches).

        It runs while the job stops, maybe because this producer failed: an error here must not
        hide the one that stopped the job.
        """
        try:
            self._group.close()
        except Exception as exc:  # noqa: BLE001
            log.debug("dead-letter marker client closed with %r", exc)
        self._drop_producer()


class DeadLetterPublisher(TransactionalPublisher):
    """Publishes each micro-batch's dead letters in one transaction, marked with their source offsets."""

    def publish(self, letters: Iterable[dict]) -> int:
        """Produce the batch's dead letters (rows of `transforms.dead_letters`, as dicts); returns how many were written.

        0 when there are none, or when this batch's transaction was committed by an earlier run (a replay).
        """
        rows = list(letters)
        if not rows:
            return 0
        marks: dict[tuple[str, int], int] = {}
        for row in rows:
            tp = (row["source_topic"], row["source_partition"])
            marks[tp] = max(marks.get(tp, 0), row["source_offset"] + 1)
        return self.publish_marked(rows, marks)
