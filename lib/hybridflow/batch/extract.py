"""Partitioned, parallel JDBC reads of the on-premise tables (PostgreSQL here, SQL Server in production).

Spark splits a JDBC read into `numPartitions` range queries on a numeric column:
``WHERE col >= lo + k*stride AND col < lo + (k+1)*stride``. The bounds only set the
stride (rows outside them are still read, by the first and last partitions), so
they are computed from the table itself — ``min``/``max`` of the column over the
rows to extract — in the same query that counts them. Small tables get one reader:
a range query per partition costs more than it saves below ~10,000 rows.

What changes for SQL Server: the driver (``com.microsoft.sqlserver:mssql-jdbc`` in
jvm/pom.xml), the URL (``jdbc:sqlserver://host:1433;databaseName=…;encrypt=true``) and
the timestamp literal; and instead of an ``updated_at`` column, SQL Server's Change
Data Capture (``cdc.fn_cdc_get_all_changes_…``) or ``rowversion`` can drive the increments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession

from hybridflow.batch.errors import BatchError
from hybridflow.config import Settings
from hybridflow.crm_tables import TableSpec
from hybridflow.spark import one_row

JDBC_DRIVER = "org.postgresql.Driver"
MIN_ROWS_PER_PARTITION = 10_000


def jdbc_url(settings: Settings, database: str | None = None) -> str:
    """The JDBC URL of the CRM database."""
    return f"jdbc:postgresql://{settings.pg_host}:{settings.pg_port}/{database or settings.pg_database}"


def jdbc_options(settings: Settings, database: str | None = None) -> dict[str, str]:
    """Connection options every read shares (the password stays a secret until here)."""
    return {
        "url": jdbc_url(settings, database),
        "driver": JDBC_DRIVER,
        "user": settings.pg_user,
        "password": settings.pg_password.get_secret_value(),
        "fetchsize": str(settings.jdbc_fetch_size),
        # Spark's PostgreSQL dialect turns autocommit off when fetchsize > 0, so the driver streams rows
        # in fetchsize batches instead of loading the whole result in memory; the session is read-only.
        "sessionInitStatement": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    }


def changed_since(spec: TableSpec, high_water_mark: str | None) -> str:
    """The SQL filter of an extract: every row, or rows updated after the mark."""
    if high_water_mark is None:
        return "TRUE"
    return f"{spec.updated_at} > TIMESTAMPTZ '{high_water_mark}'"


@dataclass(frozen=True)
class ExtractPlan:
    """How one table is read: filter, row count, bounds, partitions."""

    table: str
    where: str
    rows: int
    lower_bound: int | None
    upper_bound: int | None
    num_partitions: int
    max_updated_at: str | None  # the high-water mark after this extract (ISO-8601 UTC)


def plan_extract(
    spark: SparkSession,
    settings: Settings,
    spec: TableSpec,
    high_water_mark: str | None,
    database: str | None = None,
    min_rows_per_partition: int = MIN_ROWS_PER_PARTITION,
) -> ExtractPlan:
    """Count the rows to extract and compute the partition bounds, in one round trip."""
    where = changed_since(spec, high_water_mark)
    pcol = spec.jdbc_partition_column
    bounds = f"min({pcol}) AS lo, max({pcol}) AS hi" if pcol else "NULL::bigint AS lo, NULL::bigint AS hi"
    query = (
        f"SELECT count(*) AS n, {bounds}, "
        f"to_char(max({spec.updated_at}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') AS hwm "
        f"FROM {spec.pg_table} WHERE {where}"
    )
    try:
        reader = spark.read.format("jdbc").options(**jdbc_options(settings, database))
        row = one_row(reader.option("query", query).load())
    except Exception as exc:  # noqa: BLE001 - py4j wraps the driver's SQLException; say what to do instead
        text = str(exc).splitlines()[0][:300]
        raise BatchError(
            f"Cannot read {spec.pg_table} over JDBC at {jdbc_url(settings, database)} ({text}): "
            "run `make up` and `hybridflow seed-crm`, or fix the PG_* settings."
        ) from None
    n = int(row["n"])
    parts = 1
    if pcol and n > 0 and row["lo"] is not None:
        parts = max(1, min(settings.jdbc_num_partitions, math.ceil(n / min_rows_per_partition)))
    return ExtractPlan(
        table=spec.name,
        where=where,
        rows=n,
        lower_bound=int(row["lo"]) if row["lo"] is not None else None,
        upper_bound=int(row["hi"]) if row["hi"] is not None else None,
        num_partitions=parts,
        max_updated_at=row["hwm"] or high_water_mark,
    )


def read_table(
    spark: SparkSession, settings: Settings, spec: TableSpec, plan: ExtractPlan, database: str | None = None
) -> DataFrame:
    """The rows of `plan` as a DataFrame, read by `plan.num_partitions` parallel JDBC queries."""
    cols = ", ".join(spec.column_names)
    where = plan.where
    if plan.max_updated_at is not None:
        # Bound the extract by the mark it will record: a row committed after plan_extract waits for the next run.
        where = f"({where}) AND {spec.updated_at} <= TIMESTAMPTZ '{plan.max_updated_at}'"
    reader = (
        spark.read.format("jdbc")
        .options(**jdbc_options(settings, database))
        .option("dbtable", f"(SELECT {cols} FROM {spec.pg_table} WHERE {where}) AS src")
    )
    if plan.num_partitions > 1:
        if plan.lower_bound is None or plan.upper_bound is None:
            raise BatchError(f"{spec.name}: partitioned read without bounds; this is a bug in plan_extract.")
        reader = reader.options(
            partitionColumn=spec.jdbc_partition_column,
            lowerBound=str(plan.lower_bound),
            upperBound=str(plan.upper_bound + 1),
            numPartitions=str(plan.num_partitions),
        )
    return reader.load()
