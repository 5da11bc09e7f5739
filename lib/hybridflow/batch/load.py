"""Writes to the lake's reference layer: full overwrite, or an idempotent merge of the changed rows.

Parquet has no MERGE, so an incremental run rewrites only the partitions the changes
touch (dynamic partition overwrite), each rebuilt as union(existing, changes) keeping
the latest ``updated_at`` per key. Why not rewrite the whole table: the big tables are
partitioned by month, and a day's changes touch a few months, so most files stay as
they are. Why not append: a changed row must replace its old version, not sit beside it.

The rebuilt partitions are first written to a staging folder, then swapped in: Spark
must not read the files it is overwriting, and the staging folder keeps the final swap
short for readers of the table (the stream's client dimension).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hybridflow.batch.state import delete, exists
from hybridflow.batch.tables import TableSpec
from hybridflow.batch.transforms import affected_partitions, merge_latest, newer_than
from hybridflow.config import Settings

REFERENCE = "reference"
REJECTS = "reference_rejects"


def table_uri(settings: Settings, spec: TableSpec | str) -> str:
    """URI of a reference table in the lake."""
    name = spec if isinstance(spec, str) else spec.name
    return settings.lake_path(f"{REFERENCE}/{name}")


def rejects_uri(settings: Settings) -> str:
    """URI of the rejects dataset (one partition per table)."""
    return settings.lake_path(REJECTS)


def read_reference(spark: SparkSession, settings: Settings, spec: TableSpec) -> DataFrame:
    """A reference table with its declared schema (partition columns keep their declared types)."""
    return spark.read.schema(spec.lake_schema()).parquet(table_uri(settings, spec))


def _writer(df: DataFrame, spec: TableSpec):
    if not spec.lake_partition_by:
        return df.coalesce(1).write.mode("overwrite").option("compression", "snappy")
    # One task per partition value: one file per lake partition, not one per (task, partition) pair.
    cols = list(spec.lake_partition_by)
    return df.repartition(*cols).write.mode("overwrite").option("compression", "snappy").partitionBy(*cols)


@dataclass(frozen=True)
class LoadResult:
    """What a load changed: rows written (new or newer versions), partitions rewritten, rows in the table after."""

    written: int
    partitions_rewritten: int | None
    table_rows: int


def load_full(spark: SparkSession, settings: Settings, spec: TableSpec, valid: DataFrame) -> LoadResult:
    """Replace the whole table with `valid` (already deduplicated)."""
    cached_here = not valid.is_cached  # counted then written: read the source once
    if cached_here:
        valid = valid.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        n = valid.count()
        _writer(valid, spec).parquet(table_uri(settings, spec))
    finally:
        if cached_here:
            valid.unpersist()
    return LoadResult(written=n, partitions_rewritten=None, table_rows=n)


def load_merge(spark: SparkSession, settings: Settings, spec: TableSpec, changes: DataFrame, run_id: str) -> LoadResult:
    """Merge `changes` (deduplicated) into the table; rows not newer than the lake's are ignored (idempotent)."""
    uri = table_uri(settings, spec)
    if not exists(spark, uri):
        return load_full(spark, settings, spec, changes)
    existing = read_reference(spark, settings, spec)
    newer = newer_than(changes, existing, spec.key, spec.updated_at).persist(StorageLevel.MEMORY_AND_DISK)
    staging = settings.lake_path(f"_staging/{spec.name}/{run_id}")
    try:
        written = newer.count()
        if written == 0:  # nothing new: leave every file untouched
            return LoadResult(written=0, partitions_rewritten=0, table_rows=existing.count())
        if spec.lake_partition_by:
            parts = affected_partitions(existing, newer, spec.key, spec.lake_partition_by)
            base = existing.join(F.broadcast(parts), on=list(spec.lake_partition_by), how="left_semi")
            n_parts = parts.count()
        else:
            base, n_parts = existing, 1
        merged = merge_latest(base, newer, spec.key, spec.updated_at)
        merged.write.mode("overwrite").parquet(staging)
        staged = spark.read.schema(spec.lake_schema()).parquet(staging)
        # Dynamic mode: only the partitions present in `staged` are replaced; the others are left alone.
        _writer(staged, spec).option("partitionOverwriteMode", "dynamic").parquet(uri)
    finally:
        newer.unpersist()
        delete(spark, staging)
    return LoadResult(written=written, partitions_rewritten=n_parts, table_rows=read_reference(spark, settings, spec).count())


def write_rejects(spark: SparkSession, settings: Settings, spec: TableSpec, rejects: DataFrame, run_id: str,
                  replace: bool) -> int:
    """Store rejected rows with their reason; a full run replaces the table's earlier rejects, an incremental appends."""
    if replace:
        delete(spark, f"{rejects_uri(settings)}/table={spec.name}")
    out = rejects.withColumn("run_id", F.lit(run_id)).withColumn("rejected_at", F.current_timestamp()).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    try:
        n = out.count()
        if n:
            out.write.mode("append").partitionBy("table").parquet(rejects_uri(settings))
    finally:
        out.unpersist()
    return n


def read_rejects(spark: SparkSession, settings: Settings) -> DataFrame:
    """Every rejected row with its table, source, reason, original record and run."""
    return spark.read.parquet(rejects_uri(settings))
