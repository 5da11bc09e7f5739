"""Read back what the pipeline produced: lake datasets and dead letters (for the CLI, notebooks, tests)."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hybridflow import lake
from hybridflow.config import Settings
from hybridflow.spark import one_row
from hybridflow.streaming import sinks, sources, transforms


def read_lake(spark: SparkSession, settings: Settings, dataset: str) -> DataFrame | None:
    """A lake table (by name, see `hybridflow.lake`) read through Spark, or None if nothing was committed yet."""
    table = lake.table(dataset)
    return table.read(spark, settings) if table.exists(settings) else None


def read_dead_letters(spark: SparkSession, settings: Settings) -> DataFrame:
    """Every dead letter in the dead-letter topic, with its reason and source coordinates."""
    raw = sources.read_topic_batch(spark, settings, settings.topic_dlq, headers=True)
    return transforms.read_dead_letter_headers(raw)


def pipeline_summary(spark: SparkSession, settings: Settings) -> dict[str, object]:
    """Counts of what landed where: lake tickets, closed windows, dead letters per reason."""
    tickets = read_lake(spark, settings, sinks.TICKETS)
    windows = read_lake(spark, settings, sinks.WINDOWS)
    letters = read_dead_letters(spark, settings)
    reasons = {r["reason"]: r["count"] for r in letters.groupBy("reason").count().collect()}
    # One aggregate per table (each Spark job costs a fixed second or so on a small machine).
    landed = (0, 0) if tickets is None else one_row(tickets.agg(F.count("*"), F.count_if("client_known")))
    closed = (0, 0) if windows is None else one_row(windows.agg(F.count("*"), F.sum("tickets")))
    return {
        "tickets": landed[0],
        "known_clients": landed[1],
        "tickets_path": settings.lake_path(sinks.TICKETS),
        "windows": closed[0],
        "windowed_tickets": closed[1] or 0,
        "windows_path": settings.lake_path(sinks.WINDOWS),
        "dead_letters": sum(reasons.values()),
        "dead_letter_reasons": reasons,
        "dead_letter_topic": settings.topic_dlq,
    }
