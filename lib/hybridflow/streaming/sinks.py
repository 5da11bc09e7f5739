"""Sinks of the ticket stream; each returns its started `StreamingQuery`.

Lake sinks are Spark's file sink (Parquet) with their own checkpoint: the
`_spark_metadata` log makes them exactly-once for readers that go through Spark.
The dead-letter sink is Kafka, at-least-once (a crash between write and commit can
repeat a dead letter; never lose one).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql.streaming import DataStreamWriter, StreamingQuery

from hybridflow.config import Settings

TICKETS = "tickets"
WINDOWS = "ticket_windows"
DEAD_LETTERS = "dead_letters"


def _trigger(writer: DataStreamWriter, settings: Settings, available_now: bool) -> DataStreamWriter:
    if available_now:
        return writer.trigger(availableNow=True)
    return writer.trigger(processingTime=settings.trigger_interval)


def _write_lake(
    df: DataFrame, settings: Settings, name: str, available_now: bool, partition_by: tuple[str, ...] = ()
) -> StreamingQuery:
    """Append a stream to the lake dataset `name` (Parquet file sink) with its own checkpoint."""
    writer = (
        df.writeStream.queryName(name)
        .format("parquet")
        .outputMode("append")
        .option("path", settings.lake_path(name))
        .option("checkpointLocation", settings.checkpoint_path(name))
    )
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    return _trigger(writer, settings, available_now).start()


def write_tickets(enriched: DataFrame, settings: Settings, available_now: bool = False) -> StreamingQuery:
    """Append enriched tickets to the lake as Parquet partitioned by `created_date`."""
    return _write_lake(enriched, settings, TICKETS, available_now, partition_by=("created_date",))


def write_windows(counts: DataFrame, settings: Settings, available_now: bool = False) -> StreamingQuery:
    """Append closed event-time windows to the lake (each window once, after the watermark)."""
    return _write_lake(counts, settings, WINDOWS, available_now)


def write_dead_letters(letters: DataFrame, settings: Settings, available_now: bool = False) -> StreamingQuery:
    """Produce dead letters (original bytes + reason headers) to the dead-letter topic."""
    writer = (
        letters.writeStream.queryName(DEAD_LETTERS)
        .format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap_servers)
        .option("topic", settings.topic_dlq)
        .option("kafka.acks", "all")
        .option("checkpointLocation", settings.checkpoint_path(DEAD_LETTERS))
    )
    return _trigger(writer, settings, available_now).start()
