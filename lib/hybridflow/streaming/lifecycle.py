"""The lifecycle queries: lifecycle events into the lake, per-ticket state, SLA breaches detected as they happen.

Two queries, each with its own checkpoint:

- ``ticket_events`` (micro-batch, `foreachBatch`, stateless): reads the events topic, validates
  each record once (`transforms.validate_events`), appends the valid ones to the Delta table
  ``ticket_event_log`` (each record once, stamped with the stream time) and publishes the
  invalid ones as dead letters in one transaction — the tickets query's pattern.
- ``ticket_lifecycle`` (micro-batch, stateful): reads the ``tickets`` and ``ticket_event_log``
  tables as streams, keys them by ``ticket_id`` and runs Spark's ``transformWithState``
  (`TicketLifecycleProcessor`, the pure state machine of `lifecycle_state`) with event-time
  timers at each ticket's SLA deadlines. From each micro-batch's output, `LifecycleBatchWriter`
  appends the newly applied events to ``ticket_events``, MERGEs the changed rows into
  ``ticket_status`` and publishes the breaches (topic TOPIC_BREACHES) and the orphan events
  (dead-letter topic) in one Kafka transaction: each exactly once, across crashes.

The watermark is set on ``stream_time`` (`sinks.StreamClock`), the highest event time each input
table has carried, which never goes back: no row is ever older than the watermark, so Spark drops
none as late. With two inputs, Spark keeps the lower of their watermarks (its default policy).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery
from pyspark.sql.streaming.stateful_processor import (
    ExpiredTimerInfo,
    StatefulProcessor,
    StatefulProcessorHandle,
    TimerValues,
)
from pyspark.sql.types import (
    StructField,
    StructType,
)
from pyspark.sql.window import Window

from hybridflow.config import Settings, duration_ms
from hybridflow.crm_tables import DEFAULT_TIER, spark_type
from hybridflow.lake import (
    EVENTS_QUERY,
    FORMAT,
    LIFECYCLE_QUERY,
    TICKET_EVENT_LOG,
    TICKET_EVENTS,
    TICKET_STATUS,
    TICKETS,
    LakeTable,
)
from hybridflow.spark import jvm
from hybridflow.streaming import lifecycle_state as machine
from hybridflow.streaming import sinks, sources, transforms
from hybridflow.streaming.scheduling import scheduler_pool, session_conf, start_batches
from hybridflow.streaming.sinks import STREAM_TIME
from hybridflow.streaming.writers import TicketBatchWriter
from hybridflow.tickets.malformed import (
    DLQ_DETAIL,
    DLQ_REASON,
    DLQ_SOURCE_OFFSET,
    DLQ_SOURCE_PARTITION,
    DLQ_SOURCE_TOPIC,
)

log = logging.getLogger(__name__)

ROCKSDB = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"


def _schema(ddl: str) -> StructType:
    """A flat schema from "name type, …" (Spark's own DDL parser needs a running session)."""
    fields = [item.split() for item in ddl.split(",")]
    return StructType([StructField(name, spark_type(kind)) for name, kind in fields])


# What the processor reads: tickets and events in one shape (times in ms since the epoch).
INPUT_SCHEMA = _schema(
    "kind string, ticket_id string, stream_time timestamp, client_id string, created_at bigint, request_type string, "
    "priority string, contract_tier string, client_known boolean, team_id string, first_response_hours int, "
    "resolution_hours int, event_id string, event_type string, occurred_at bigint, agent_id int, "
    "event_team_id string, value string, partition int, offset bigint"
)
# What it emits: one shape for the four kinds of rows (`lifecycle_state` STATUS, EVENT, BREACH, ORPHAN).
OUTPUT_SCHEMA = _schema(
    "kind string, ticket_id string, "
    "event_id string, event_type string, occurred_at bigint, event_agent_id int, event_team_id string, "
    "event_value string, event_partition int, event_offset bigint, "
    "breach_kind string, deadline bigint, watermark bigint, "
    "client_id string, created_at bigint, request_type string, priority string, contract_tier string, "
    "client_known boolean, team_id string, status string, last_event_type string, last_event_at bigint, "
    "assigned_at bigint, first_response_at bigint, resolved_at bigint, closed_at bigint, reopen_count int, agent_id int, "
    "events int, first_response_deadline bigint, resolution_deadline bigint, first_response_breached boolean, "
    "resolution_breached boolean, revision int"
)
OUTPUT_COLUMNS = OUTPUT_SCHEMA.fieldNames()
OUTPUT_ROW = Row(*OUTPUT_COLUMNS)  # a Row "class": the processor's rows, field by field in the schema's order
_TIMES = (
    "created_at",
    "last_event_at",
    "assigned_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "first_response_deadline",
    "resolution_deadline",
)
STATUS_COLUMNS = (
    "ticket_id",
    "client_id",
    "created_at",
    "created_date",
    "request_type",
    "priority",
    "contract_tier",
    "client_known",
    "team_id",
    "agent_id",
    "status",
    "last_event_type",
    "last_event_at",
    "assigned_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "events",
    "first_response_deadline",
    "resolution_deadline",
    "first_response_breached",
    "resolution_breached",
    "revision",
)


def ttls(settings: Settings) -> machine.Ttls:
    """The event-time TTLs of the state, from the settings."""
    return machine.Ttls(duration_ms(settings.orphan_event_ttl), duration_ms(settings.closed_ticket_ttl))


# --- The stateful processor --------------------------------------------------------------------
def _split(rows: Iterator[Row]) -> tuple[list[dict], list[dict]]:
    """The input rows of one ticket, as the state machine's ticket and event dicts."""
    tickets: list[dict] = []
    events: list[dict] = []
    for row in rows:
        if row["kind"] == "ticket":
            tickets.append({name: row[name] for name in machine.TICKET_FIELDS})
        else:
            events.append(
                {
                    "event_id": row["event_id"],
                    "event_type": row["event_type"],
                    "occurred_at": row["occurred_at"],
                    "agent_id": row["agent_id"],
                    "team_id": row["event_team_id"],
                    "value": row["value"],
                    "partition": row["partition"],
                    "offset": row["offset"],
                }
            )
    return tickets, events


class TicketLifecycleProcessor(StatefulProcessor):
    """Spark's side of `lifecycle_state`: one JSON document of state per ticket, event-time timers.

    Rows in, rows out (Spark's Row-based ``transformWithState``): a pandas frame per ticket cost
    more than the state itself (measured: 2–3 ms to build and type one, outside Spark). Each call
    of the state API is a round trip to the JVM, so a ticket costs one read and one write per batch
    that touches it, plus its timers.
    """

    def __init__(self, lifetimes: machine.Ttls) -> None:
        self.lifetimes = lifetimes

    def init(self, handle: StatefulProcessorHandle) -> None:
        self.handle = handle
        self.doc = handle.getValueState("ticket", "doc string")

    def _state(self) -> dict[str, Any]:
        stored = self.doc.get()
        return machine.load(stored[0] if stored else None)

    def _finish(self, step: machine.Step) -> Iterator[Row]:
        for timer in sorted(step.timers):
            self.handle.registerTimer(timer)
        if step.state is None:
            self.doc.clear()
        else:
            self.doc.update((machine.dump(step.state),))
        for row in step.rows:
            yield OUTPUT_ROW(*(row.get(name) for name in OUTPUT_COLUMNS))

    def handleInputRows(  # noqa: N802 (Spark's API names it)
        self,
        key: Any,
        rows: Iterator[Row],
        timerValues: TimerValues,  # noqa: N803 (Spark's API names it)
    ) -> Iterator[Row]:
        tickets, events = _split(rows)
        yield from self._finish(machine.on_input(self._state(), key[0], tickets, events, self.lifetimes))

    def handleExpiredTimer(  # noqa: N802 (Spark's API names it)
        self,
        key: Any,
        timerValues: TimerValues,  # noqa: N803 (Spark's API names it)
        expiredTimerInfo: ExpiredTimerInfo,  # noqa: N803 (Spark's API names it)
    ) -> Iterator[Row]:
        step = machine.on_timer(
            self._state(),
            key[0],
            expiredTimerInfo.getExpiryTimeInMs(),
            timerValues.getCurrentWatermarkInMs(),
            self.lifetimes,
        )
        yield from self._finish(step)

    def close(self) -> None:
        pass


# --- The inputs --------------------------------------------------------------------------------
def _nulls(names: str) -> list:
    return [F.lit(None).cast(INPUT_SCHEMA[name].dataType).alias(name) for name in names.split()]


def ticket_rows(tickets: DataFrame) -> DataFrame:
    """The tickets table's rows in the processor's input shape (a ticket of an unknown client gets the lowest tier)."""
    return tickets.select(
        F.lit("ticket").alias("kind"),
        "ticket_id",
        STREAM_TIME,
        "client_id",
        F.unix_millis("created_at").alias("created_at"),
        "request_type",
        "priority",
        F.coalesce("contract_tier", F.lit(DEFAULT_TIER)).alias("contract_tier"),
        "client_known",
        "team_id",
        F.col("contract_first_response_hours").cast("int").alias("first_response_hours"),
        F.col("contract_sla_hours").cast("int").alias("resolution_hours"),
        *_nulls("event_id event_type occurred_at agent_id event_team_id value partition offset"),
    )


def event_rows(events: DataFrame) -> DataFrame:
    """The event log's rows in the processor's input shape."""
    return events.select(
        F.lit("event").alias("kind"),
        "ticket_id",
        STREAM_TIME,
        *_nulls(
            "client_id created_at request_type priority contract_tier client_known team_id "
            "first_response_hours resolution_hours"
        ),
        "event_id",
        "event_type",
        F.unix_millis("occurred_at").alias("occurred_at"),
        "agent_id",
        F.col("team_id").alias("event_team_id"),
        "value",
        F.col("source_partition").alias("partition"),
        F.col("source_offset").alias("offset"),
    )


def lifecycle_stream(spark: SparkSession, settings: Settings) -> DataFrame:
    """The processor's output rows over the tickets and event-log tables read as streams."""
    delay = settings.lifecycle_watermark_delay

    def read(table: LakeTable) -> DataFrame:
        return spark.readStream.format(FORMAT).load(table.uri(settings)).withWatermark(STREAM_TIME, delay)

    rows = ticket_rows(read(TICKETS)).unionByName(event_rows(read(TICKET_EVENT_LOG)))
    return rows.groupBy("ticket_id").transformWithState(
        statefulProcessor=TicketLifecycleProcessor(ttls(settings)),
        outputStructType=OUTPUT_SCHEMA,
        outputMode="Update",
        timeMode="EventTime",
    )


# --- What a batch's output becomes -------------------------------------------------------------
def _times(df: DataFrame, names: tuple[str, ...]) -> DataFrame:
    return df.withColumns({name: F.timestamp_millis(name) for name in names})


def applied_events(out: DataFrame) -> DataFrame:
    """The `ticket_events` rows of a batch's output: each newly applied event."""
    return out.where(F.col("kind") == machine.EVENT).select(
        "event_id",
        "ticket_id",
        "event_type",
        F.timestamp_millis("occurred_at").alias("occurred_at"),
        F.to_date(F.timestamp_millis("occurred_at")).alias("occurred_date"),
        F.col("event_agent_id").alias("agent_id"),
        F.col("event_team_id").alias("team_id"),
    )


def status_rows(out: DataFrame) -> DataFrame:
    """The `ticket_status` rows of a batch's output: the newest revision of each ticket it changed."""
    newest = Window.partitionBy("ticket_id").orderBy(F.col("revision").desc())
    rows = out.where(F.col("kind") == machine.STATUS).withColumn("_n", F.row_number().over(newest))
    rows = _times(rows.where("_n = 1"), _TIMES).withColumn("created_date", F.to_date("created_at"))
    return rows.select(*STATUS_COLUMNS)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def breach_record(row: dict[str, Any], topic: str) -> dict[str, Any]:
    """A breach output row as the breach topic's record (key: ticket id; value: JSON)."""
    value = {
        "ticket_id": row["ticket_id"],
        "kind": row["breach_kind"],
        "deadline": _iso(row["deadline"]),
        "client_id": row["client_id"],
        "contract_tier": row["contract_tier"],
        "team": row["team_id"],
        "priority": row["priority"],
        "watermark": _iso(row["watermark"]),
    }
    return {"topic": topic, "key": row["ticket_id"].encode(), "value": json.dumps(value).encode(), "headers": []}


def orphan_letter(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """An orphan output row as a dead letter: the event's original JSON, the reason and its source in headers."""
    headers = {
        DLQ_REASON: machine.ORPHAN_REASON,
        DLQ_DETAIL: f"no ticket {row['ticket_id']} within ORPHAN_EVENT_TTL ({settings.orphan_event_ttl})",
        DLQ_SOURCE_TOPIC: settings.topic_events,
        DLQ_SOURCE_PARTITION: str(row["event_partition"]),
        DLQ_SOURCE_OFFSET: str(row["event_offset"]),
    }
    return {
        "topic": settings.topic_dlq,
        "key": row["ticket_id"].encode(),
        "value": (row["event_value"] or "").encode(),
        "headers": [{"key": k, "value": v.encode()} for k, v in headers.items()],
    }


class StatusMerger:
    """MERGEs a batch's status rows into `ticket_status`, at most once per (query id, batch id).

    A row replaces the stored one only when its revision is newer, and the MERGE names the
    days (partitions) of its rows, so it reads and rewrites only their files.
    """

    def __init__(self, settings: Settings, table: LakeTable = TICKET_STATUS) -> None:
        self.appender = sinks.OnceAppender(table, settings)  # the first write creates the table, with a marker
        self.settings = settings

    def bind(self, query: StreamingQuery) -> None:
        """Give the merger its query's id (the idempotence key)."""
        self.appender.bind(query)

    def merge(self, rows: DataFrame, batch_id: int) -> bool:
        """Upsert the rows; False when the batch was already committed (a replay) or brought no row."""
        from delta.tables import DeltaTable

        table, settings = self.appender.table, self.settings
        if not table.exists(settings):
            return self.appender.append(rows, batch_id)
        self.appender.wait_bound()
        app_id = self.appender.app_id
        if self.appender._first_batch and sinks.last_committed_batch(table, settings, app_id) >= batch_id:
            log.info("%s: batch %d already merged by query %s: replay skipped", table.name, batch_id, app_id)
            self.appender._first_batch = False
            return False
        self.appender._first_batch = False
        days = [row[0] for row in rows.select("created_date").distinct().collect()]
        if not days:
            return False
        spark = rows.sparkSession  # the query's own session: its conf names this commit only
        spark.conf.set("spark.databricks.delta.commitInfo.userMetadata", sinks.batch_marker(app_id, batch_id))
        try:
            in_days = F.col("t.created_date").isin(days)
            (
                DeltaTable.forPath(spark, table.uri(settings))
                .alias("t")
                .merge(rows.alias("s"), in_days & (F.col("t.ticket_id") == F.col("s.ticket_id")))
                .whenMatchedUpdateAll(condition="s.revision > t.revision")
                .whenNotMatchedInsertAll()
                .execute()
            )
        finally:
            spark.conf.unset("spark.databricks.delta.commitInfo.userMetadata")
        return True


class LifecycleBatchWriter:
    """The `foreachBatch` function of the lifecycle query: its output to two Delta tables and two topics.

    The batch is computed once (the state machine runs once per batch) and cached; each output
    is then written from the cache, each exactly once per batch id.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.events = sinks.OnceAppender(TICKET_EVENTS, settings)
        self.status = StatusMerger(settings)
        self.stats = {"batches": 0, "events": 0, "status_rows": 0, "breaches": 0, "orphans": 0}
        self._publisher: sinks.TransactionalPublisher | None = None
        self._app_id = ""

    def bind(self, query: StreamingQuery) -> None:
        """Give the writer its query's id: the idempotence key of every write."""
        self._app_id = str(query.id)
        self.events.bind(query)
        self.status.bind(query)

    def __call__(self, out: DataFrame, batch_id: int) -> None:
        out = out.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            # One job runs the state machine, once, into the cache, and says which outputs have rows:
            # an output with none is not written (no empty Delta commit, no empty transaction).
            kinds = {row["kind"]: row["count"] for row in out.groupBy("kind").count().collect()}
            if kinds.get(machine.EVENT):
                self.events.append(applied_events(out), batch_id)
            if kinds.get(machine.STATUS):
                self.status.merge(status_rows(out), batch_id)
            records = []
            if kinds.get(machine.BREACH) or kinds.get(machine.ORPHAN):
                rows = out.where(F.col("kind").isin(machine.BREACH, machine.ORPHAN)).toArrow().to_pylist()
                records = [
                    breach_record(r, self.settings.topic_breaches)
                    if r["kind"] == machine.BREACH
                    else orphan_letter(r, self.settings)
                    for r in rows
                ]
                if self._publisher is None:
                    self._publisher = sinks.TransactionalPublisher(self.settings, self._app_id)
                # The marker is the batch id, kept as the committed "offset" of the events topic's partition 0
                # for the query's own group: a replayed batch finds it and publishes nothing.
                self._publisher.publish_marked(records, {(self.settings.topic_events, 0): batch_id + 1})
            self.stats["batches"] += 1
            self.stats["events"] += kinds.get(machine.EVENT, 0)
            self.stats["status_rows"] += kinds.get(machine.STATUS, 0)
            self.stats["breaches"] += kinds.get(machine.BREACH, 0)
            self.stats["orphans"] += kinds.get(machine.ORPHAN, 0)
            log.debug(
                "%s batch %d: output rows %s, %d records published", LIFECYCLE_QUERY.name, batch_id, kinds, len(records)
            )
        finally:
            out.unpersist()

    def close(self) -> None:
        """Release the Kafka producer."""
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None


# --- Starting the queries ------------------------------------------------------------------------
def event_writer(spark: SparkSession, settings: Settings) -> TicketBatchWriter:
    """The `foreachBatch` function of the events query (valid events to the event log, the rest to the dead letters)."""
    return TicketBatchWriter(spark, settings, TICKET_EVENT_LOG, "occurred_at", transforms.valid_events)


def start_events(
    spark: SparkSession, settings: Settings, available_now: bool
) -> tuple[StreamingQuery, TicketBatchWriter]:
    """Start the events query (events topic -> event log + dead letters); returns it with its writer."""
    writer = event_writer(spark, settings)
    raw = sources.read_from_kafka(spark, settings, topic=settings.topic_events)
    validated = transforms.validate_events(transforms.decode(raw), settings.max_payload_bytes)
    query = start_batches(
        spark, settings, validated, EVENTS_QUERY, writer, available_now, settings.lifecycle_trigger_interval
    )
    return query, writer


def ensure_event_log(spark: SparkSession, settings: Settings) -> None:
    """Create the empty event log when no event ever came, so the lifecycle query can read it as a stream."""
    if TICKET_EVENT_LOG.exists(settings):
        return
    schema = _schema(
        "event_id string, ticket_id string, event_type string, occurred_at timestamp, occurred_date date, "
        "agent_id int, team_id string, value string, source_partition int, source_offset bigint, "
        "kafka_timestamp timestamp, stream_time timestamp"
    )
    writer = spark.createDataFrame([], schema).write.format(FORMAT).mode("append")
    writer.options(**dict(TICKET_EVENT_LOG.properties)).partitionBy(*TICKET_EVENT_LOG.partition_by).save(
        TICKET_EVENT_LOG.uri(settings)
    )


STATE_SERVER_LOGGER = "org.apache.spark.sql.execution.python.streaming.TransformWithStateInPySparkStateServer"


def quiet_state_server(spark: SparkSession) -> None:
    """Spark's state server logs a WARN each time a ticket's state is read before it exists (every new ticket)."""
    gateway = jvm(spark)
    level = gateway.org.apache.logging.log4j.Level.ERROR
    gateway.org.apache.logging.log4j.core.config.Configurator.setLevel(STATE_SERVER_LOGGER, level)


def start_lifecycle(
    spark: SparkSession, settings: Settings, available_now: bool
) -> tuple[StreamingQuery, LifecycleBatchWriter]:
    """Start the lifecycle query (the tickets table must exist); returns it with its writer.

    Its state lives in RocksDB (transformWithState needs it; it also keeps a million tickets off
    the JVM heap). The state store and its partitions are fixed by the query's first start.
    """
    quiet_state_server(spark)
    ensure_event_log(spark, settings)
    writer = LifecycleBatchWriter(settings)
    stream = (
        lifecycle_stream(spark, settings)
        .writeStream.queryName(LIFECYCLE_QUERY.name)
        .outputMode("update")
        .option("checkpointLocation", LIFECYCLE_QUERY.checkpoint(settings))
        .foreachBatch(writer)
    )
    with (
        scheduler_pool(spark, LIFECYCLE_QUERY.name),
        session_conf(spark, "spark.sql.streaming.stateStore.providerClass", ROCKSDB),
    ):
        query = sinks.trigger(stream, available_now, settings.lifecycle_trigger_interval).start()
    writer.bind(query)
    return query, writer
