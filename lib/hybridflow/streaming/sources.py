"""Kafka sources of the ticket stream (streaming and batch reads)."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from hybridflow.config import Settings
from hybridflow.kafka.security import Role, client_options


def kafka_options(
    settings: Settings, topic: str, starting_offsets: str = "earliest", role: Role = "streaming"
) -> dict[str, str]:
    """The Kafka source options, explicit rather than Spark's defaults, logged in as `role` (the job's principal)."""
    options = {
        "kafka.bootstrap.servers": settings.kafka_bootstrap_servers,
        "subscribe": topic,
        "startingOffsets": starting_offsets,
        "kafka.request.timeout.ms": str(settings.kafka_request_timeout_ms),
        "kafka.default.api.timeout.ms": str(settings.kafka_request_timeout_ms),
        # Records of aborted transactions (a crashed dead-letter batch) are never read.
        "kafka.isolation.level": "read_committed",
        # A deleted/recreated topic is a real incident: fail the query rather than skip data.
        "failOnDataLoss": "true",
        **client_options(settings, "spark", role),
    }
    if settings.max_offsets_per_trigger:
        options["maxOffsetsPerTrigger"] = str(settings.max_offsets_per_trigger)
    return options


def read_from_kafka(
    spark: SparkSession,
    settings: Settings,
    topic: str | None = None,
    starting_offsets: str = "earliest",
    max_offsets: bool = True,
) -> DataFrame:
    """A streaming DataFrame of the raw Kafka records of the tickets topic (or `topic`).

    Args:
        starting_offsets: where a query with a new checkpoint starts (a restarted one resumes).
        max_offsets: cap micro-batches at MAX_OFFSETS_PER_TRIGGER (Real-time Mode takes no cap).
    """
    options = kafka_options(settings, topic or settings.topic_tickets, starting_offsets)
    if not max_offsets:
        options.pop("maxOffsetsPerTrigger", None)
    reader = spark.readStream.format("kafka")
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader.load()


def read_topic_batch(spark: SparkSession, settings: Settings, topic: str, headers: bool = False) -> DataFrame:
    """Everything currently in a topic, as a static DataFrame (inspection, tests, reports: as the admin)."""
    options = kafka_options(settings, topic, role="admin")
    options.pop("maxOffsetsPerTrigger", None)
    reader = spark.read.format("kafka").option("endingOffsets", "latest").option("includeHeaders", str(headers).lower())
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader.load()
