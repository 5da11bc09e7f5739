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


def write_tickets(enriched: DataFrame, settings: Settings, available_now: bool = False) -> StreamingQuery:
    """Append enriched tickets to the lake as Parquet partitioned by `created_date`."""
    writer = (
        enriched.writeStream.queryName(TICKETS)
        .format("parquet")
        .outputMode("append")
        .partitionBy("created_date")
        .option("path", settings.lake_path(TICKETS))
        .option("checkpointLocation", settings.checkpoint_path(TICKETS))
    )
    return _trigger(writer, settings, available_now).start()


def write_windows(counts: DataFrame, settings: Settings, available_now: bool = False) -> StreamingQuery:
    """Append closed event-time windows to the lake (each window once, after the watermark)."""
    writer = (
        counts.writeStream.queryName(WINDOWS)
        .format("parquet")
        .outputMode("append")
        .option("path", settings.lake_path(WINDOWS))
        .option("checkpointLocation", settings.checkpoint_path(WINDOWS))
    )
    return _trigger(writer, settings, available_now).start()


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
