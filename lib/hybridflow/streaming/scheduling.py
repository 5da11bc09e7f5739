"""How the job's queries share one Spark application: FAIR scheduler pools and per-query session settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery

from hybridflow.config import Settings
from hybridflow.lake import StreamQuery
from hybridflow.streaming.sinks import trigger


class BatchWriter(Protocol):
    """A `foreachBatch` writer that learns its query once started (for the query's id in its outputs)."""

    def __call__(self, batch: DataFrame, batch_id: int, /) -> Any:
        """Write one micro-batch."""
        ...

    def bind(self, query: StreamingQuery) -> None:
        """Remember the query that runs this writer."""
        ...


@contextmanager
def scheduler_pool(spark: SparkSession, name: str) -> Iterator[None]:
    """Queries started inside run their jobs in the FAIR scheduler pool `name` (weights in `streaming/pools.xml`)."""
    context = spark.sparkContext
    context.setLocalProperty("spark.scheduler.pool", name)
    try:
        yield
    finally:
        context.setLocalProperty("spark.scheduler.pool", None)  # type: ignore[arg-type]  # None unsets it


@contextmanager
def session_conf(spark: SparkSession, key: str, value: str) -> Iterator[None]:
    """`key` set to `value` while a query starts (a streaming query keeps the session conf it started with)."""
    previous = spark.conf.get(key, None)
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, previous)


def start_batches(
    spark: SparkSession,
    settings: Settings,
    frame: DataFrame,
    query: StreamQuery,
    writer: BatchWriter,
    available_now: bool,
    interval: str,
) -> StreamingQuery:
    """Start `frame` written micro-batch by micro-batch by `writer`, as `query` (name, checkpoint) in its scheduler pool.

    Until the topic is drained (`available_now`) or every `interval`; the writer is bound to the started query.
    """
    stream = (
        frame.writeStream.queryName(query.name)
        .option("checkpointLocation", query.checkpoint(settings))
        .foreachBatch(writer)
    )
    with scheduler_pool(spark, query.name):
        started = trigger(stream, available_now, interval).start()
    writer.bind(started)
    return started
