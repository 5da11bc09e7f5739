"""How the job's queries share one Spark application: FAIR scheduler pools and per-query session settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession


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
