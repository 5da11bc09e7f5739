"""Writes to the lake's reference layer (Delta tables): atomic full overwrite, or an idempotent MERGE.

- **Full load**: one Delta overwrite. Readers see the old version until the new one is
  committed, then the new one whole — never a half-written table.
- **Incremental load**: a Delta ``MERGE`` on the table's key: a new key is inserted, a key
  whose incoming ``updated_at`` is newer replaces the stored row, anything else is left alone,
  so re-running a load changes nothing (and commits no new version). Only the files holding
  the merged keys are rewritten.
- **Rejects**: appended to one Delta table partitioned by source table; a full run first
  replaces that table's earlier rejects, in the same commit.

Each write is one commit: a run that dies half-way leaves the previous version, and the
batch state (high-water marks) is saved only after the write, so the next run redoes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hybridflow.batch.transforms import affected_partitions, newer_than
from hybridflow.config import Settings
from hybridflow.crm_tables import TableSpec
from hybridflow.lake import FORMAT, REFERENCE, REJECTS, reference_table

__all__ = [
    "REFERENCE",
    "load_full",
    "load_merge",
    "read_reference",
    "read_rejects",
    "write_rejects",
]


def read_reference(spark: SparkSession, settings: Settings, spec: TableSpec, version: int | None = None) -> DataFrame:
    """A reference table (latest version, or `version`) with its declared column order."""
    return reference_table(spec).read(spark, settings, version).select(*spec.lake_schema().fieldNames())


def _write(df: DataFrame, spec: TableSpec):
    # One task per partition value: one file per lake partition, not one per (task, partition) pair.
    if not spec.lake_partition_by:
        return df.coalesce(1).write.format(FORMAT)
    cols = list(spec.lake_partition_by)
    return df.repartition(*cols).write.format(FORMAT).partitionBy(*cols)


@dataclass(frozen=True)
class LoadResult:
    """What a load changed: rows written (new or newer versions), partitions rewritten, rows in the table after."""

    written: int
    partitions_rewritten: int | None
    table_rows: int


def load_full(spark: SparkSession, settings: Settings, spec: TableSpec, valid: DataFrame) -> LoadResult:
    """Replace the whole table with `valid` (already deduplicated), in one Delta commit."""
    cached_here = not valid.is_cached  # counted then written: read the source once
    if cached_here:
        valid = valid.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        n = valid.count()
        _write(valid.select(*spec.lake_schema().fieldNames()), spec).mode("overwrite").option(
            "overwriteSchema", "true"
        ).save(reference_table(spec).uri(settings))
    finally:
        if cached_here:
            valid.unpersist()
    return LoadResult(written=n, partitions_rewritten=None, table_rows=n)


def load_merge(spark: SparkSession, settings: Settings, spec: TableSpec, changes: DataFrame, run_id: str) -> LoadResult:
    """MERGE `changes` (deduplicated) into the table; rows not newer than the lake's are ignored (idempotent)."""
    from delta.tables import DeltaTable

    if not reference_table(spec).exists(settings):
        return load_full(spark, settings, spec, changes)
    existing = read_reference(spark, settings, spec)
    newer = newer_than(changes, existing, spec.key, spec.updated_at).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        written = newer.count()
        if written == 0:  # nothing new: no commit, the table keeps its version
            return LoadResult(written=0, partitions_rewritten=0, table_rows=existing.count())
        n_parts = (
            affected_partitions(existing, newer, spec.key, spec.lake_partition_by).count()
            if spec.lake_partition_by
            else 1
        )
        key, ts = spec.key, spec.updated_at
        (
            DeltaTable.forPath(spark, reference_table(spec).uri(settings))
            .alias("t")
            .merge(newer.select(*spec.lake_schema().fieldNames()).alias("s"), f"t.{key} = s.{key}")
            .whenMatchedUpdateAll(condition=f"s.{ts} > t.{ts}")
            .whenNotMatchedInsertAll()
            .execute()
        )
    finally:
        newer.unpersist()
    return LoadResult(
        written=written, partitions_rewritten=n_parts, table_rows=read_reference(spark, settings, spec).count()
    )


def write_rejects(
    spark: SparkSession, settings: Settings, spec: TableSpec, rejects: DataFrame, run_id: str, replace: bool
) -> int:
    """Store rejected rows with their reason; a full run replaces the table's earlier rejects, an incremental appends."""
    out = (
        rejects.withColumn("run_id", F.lit(run_id))
        .withColumn("rejected_at", F.current_timestamp())
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        n = out.count()
        writer = out.write.format(FORMAT).partitionBy(*REJECTS.partition_by)
        if replace and REJECTS.exists(settings):
            # One commit removes the table's earlier rejects and adds the new ones (possibly none).
            writer.mode("overwrite").option("replaceWhere", f"table = '{spec.name}'").save(REJECTS.uri(settings))
        elif n:
            writer.mode("append").save(REJECTS.uri(settings))
    finally:
        out.unpersist()
    return n


def read_rejects(spark: SparkSession, settings: Settings) -> DataFrame:
    """Every rejected row with its table, source, reason, original record and run."""
    return REJECTS.read(spark, settings)
