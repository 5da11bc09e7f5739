"""The lake's tables, each named once: where it lives, its format, partitioning and key, and how to read it.

Every table of the lake is a **Delta Lake** table: Parquet data files plus a transaction
log (``<table>/_delta_log/``) that says which files make up each version. A reader that
follows the log sees each committed row exactly once, whatever a crashed writer left
behind, and can read an older version (time travel) while a writer commits a new one.

Two readers per table, so no caller builds a path or picks a reader on its own:

- `LakeTable.read` — Spark (jobs), optionally at a given version;
- `LakeTable.to_pandas` / `LakeTable.delta` — **without Spark**, through delta-rs (the
  ``deltalake`` package): notebooks, the report, tests, the S3 read-back. `duckdb_connection`
  gives DuckDB's own Delta reader (``delta_scan``) for SQL on a local lake.

Tables on S3 (``s3a://`` for Spark) are read by delta-rs as ``s3://`` with the endpoint and
keys of the settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from hybridflow.config import Settings
from hybridflow.crm_tables import TABLES

if TYPE_CHECKING:
    import duckdb
    from deltalake import DeltaTable
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

FORMAT = "delta"


@dataclass(frozen=True)
class LakeTable:
    """One table of the lake.

    Args:
        name: short name used in code, logs and the report.
        path: location relative to LAKE_URI.
        partition_by: partition columns of the Delta table.
        key: the columns that identify a row (at most one row per key).
        properties: Delta table properties set when the table is created (`delta.…`).
    """

    name: str
    path: str
    partition_by: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    description: str = ""
    properties: tuple[tuple[str, str], ...] = ()

    def uri(self, settings: Settings) -> str:
        """The URI Spark writes and reads (file://… or s3a://…)."""
        return settings.lake_path(self.path)

    # --- Spark -----------------------------------------------------------------
    def read(self, spark: SparkSession, settings: Settings, version: int | None = None) -> DataFrame:
        """The table as a Spark DataFrame (latest version, or `version`)."""
        reader = spark.read.format(FORMAT)
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.load(self.uri(settings))

    # --- without Spark ---------------------------------------------------------
    def delta(self, settings: Settings, version: int | None = None) -> DeltaTable | None:
        """The delta-rs handle of the table, or None when nothing was ever committed to it."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        location, options = delta_rs_location(settings, self.uri(settings))
        try:
            return DeltaTable(location, version=version, storage_options=options)
        except TableNotFoundError:
            return None

    def exists(self, settings: Settings) -> bool:
        """True once a first version of the table is committed."""
        return self.delta(settings) is not None

    def version(self, settings: Settings) -> int | None:
        """The latest committed version (None: no table yet)."""
        table = self.delta(settings)
        return None if table is None else table.version()

    def to_pandas(
        self, settings: Settings, columns: list[str] | None = None, version: int | None = None
    ) -> pd.DataFrame:
        """Every committed row as a pandas DataFrame (empty when the table does not exist yet)."""
        table = self.delta(settings, version)
        if table is None:
            return pd.DataFrame(columns=columns or [])
        return table.to_pandas(columns=columns)

    def files(self, settings: Settings) -> list[tuple[str, int]]:
        """The data files of the latest version, as the log lists them: (path relative to the table, bytes)."""
        import pyarrow as pa

        table = self.delta(settings)
        if table is None:
            return []
        actions = pa.table(table.get_add_actions(flatten=True)).to_pydict()  # delta-rs returns an Arrow C stream
        return list(zip(actions["path"], actions["size_bytes"], strict=True))

    def count(self, settings: Settings) -> int:
        """Rows in the latest version, from the log's file statistics and data (0 when absent)."""
        table = self.delta(settings)
        return 0 if table is None else table.to_pyarrow_dataset().count_rows()

    def describe(self) -> dict[str, str]:
        """One row of the catalogue table shown in docs/pipeline.md and the report."""
        return {
            "table": self.name,
            "path": f"<LAKE_URI>/{self.path}",
            "format": FORMAT,
            "partitioned by": ", ".join(self.partition_by) or "—",
            "key": ", ".join(self.key) or "—",
            "content": self.description,
        }


def delta_rs_location(settings: Settings, uri: str) -> tuple[str, dict[str, str]]:
    """The location and storage options delta-rs needs for a lake URI (s3a:// becomes s3://)."""
    if uri.startswith("file://"):
        return str(settings.local_path(uri)), {}
    if uri.startswith("s3a://"):
        endpoint = settings.s3_endpoint or ""
        options = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": settings.s3_region,
            "AWS_ALLOW_HTTP": str(endpoint.startswith("http://")).lower(),
            "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
        }
        if settings.s3_access_key and settings.s3_secret_key:
            options["AWS_ACCESS_KEY_ID"] = settings.s3_access_key.get_secret_value()
            options["AWS_SECRET_ACCESS_KEY"] = settings.s3_secret_key.get_secret_value()
        return "s3://" + uri.removeprefix("s3a://"), options
    raise ValueError(f"{uri} is neither file:// nor s3a://")


def duckdb_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with its Delta extension loaded from the pinned wheel (no download)."""
    import os

    import duckdb
    import duckdb_ext

    extensions = os.path.join(next(iter(duckdb_ext.__path__)), "extensions")
    con = duckdb.connect(config={"extension_directory": extensions, "autoinstall_known_extensions": False})
    con.sql("LOAD delta")
    return con


def duckdb_scan(settings: Settings, table: LakeTable) -> str:
    """The `delta_scan('<folder>')` expression of a table of a local lake, for DuckDB SQL."""
    return f"delta_scan('{settings.local_path(table.uri(settings))}')"


# --- The streaming job's tables -------------------------------------------------
TICKETS = LakeTable(
    "tickets",
    "tickets",
    partition_by=("created_date",),
    key=("ticket_id",),
    description="valid tickets, enriched with support team, SLA and client dimension (streaming job)",
    # A commit every second or two: a checkpoint (the whole state rewritten as Parquet) every 100 commits,
    # not Delta's 10, so one micro-batch in ten no longer pays seconds for it; readers replay at most 100
    # small JSON commits. File statistics (min/max/nulls, for data skipping) on the columns queries filter
    # on, not on all 25: each write computes them for every row.
    properties=(
        ("delta.checkpointInterval", "100"),
        ("delta.dataSkippingStatsColumns", "ticket_id,client_id,created_at,request_type,priority"),
    ),
)
TICKET_WINDOWS = LakeTable(
    "ticket_windows",
    "ticket_windows",
    key=("window_start", "request_type", "priority"),
    description="tickets per event-time window, type and priority; each window once, when the watermark closes it",
)
# --- The ticket lifecycle (events, per-ticket state, SLA) ------------------------
TICKET_EVENT_LOG = LakeTable(
    "ticket_event_log",
    "ticket_event_log",
    partition_by=("occurred_date",),
    key=("source_partition", "source_offset"),
    description="every valid lifecycle event record as received, once (duplicated event_ids included), "
    "stamped with the stream's event-time high mark (events query)",
    properties=(("delta.checkpointInterval", "100"),),
)
TICKET_EVENTS = LakeTable(
    "ticket_events",
    "ticket_events",
    partition_by=("occurred_date",),
    key=("event_id",),
    description="every distinct lifecycle event applied to a known ticket, once (lifecycle query)",
    properties=(("delta.checkpointInterval", "100"),),
)
TICKET_STATUS = LakeTable(
    "ticket_status",
    "ticket_status",
    partition_by=("created_date",),
    key=("ticket_id",),
    description="one row per ticket: status, first response and resolution times, SLA deadlines and breaches "
    "(lifecycle query, MERGE once per micro-batch)",
    # No deletion vectors: delta-rs 1.6 (pandas, the report) cannot read a table that has them. Partitioned by
    # day instead, and the MERGE names the partitions of its rows: it rewrites only the files of those days.
    properties=(("delta.checkpointInterval", "100"),),
)
LIFECYCLE_TABLES = (TICKET_EVENT_LOG, TICKET_EVENTS, TICKET_STATUS)
STREAM_TABLES = (TICKETS, TICKET_WINDOWS, *LIFECYCLE_TABLES)


@dataclass(frozen=True)
class StreamQuery:
    """One streaming query of the job: its name (query name, scheduler pool, checkpoint folder) and what it writes."""

    name: str
    writes: tuple[LakeTable, ...] = ()

    def checkpoint(self, settings: Settings) -> str:
        """The URI of the query's checkpoint."""
        return settings.checkpoint_path(self.name)


TICKETS_QUERY = StreamQuery("tickets", (TICKETS,))  # one pass: tickets to the lake, dead letters to their topic
WINDOWS_QUERY = StreamQuery("ticket_windows", (TICKET_WINDOWS,))
ALERTS_QUERY = StreamQuery("ticket_alerts")  # writes the alerts topic only
EVENTS_QUERY = StreamQuery("ticket_events", (TICKET_EVENT_LOG,))  # lifecycle events to the lake, dead letters
LIFECYCLE_QUERY = StreamQuery("ticket_lifecycle", (TICKET_EVENTS, TICKET_STATUS))
QUERIES = (TICKETS_QUERY, WINDOWS_QUERY, ALERTS_QUERY, EVENTS_QUERY, LIFECYCLE_QUERY)


def stream_tables(settings: Settings) -> tuple[LakeTable, ...]:
    """The tables the streaming job writes with these settings (the lifecycle's only when LIFECYCLE is on)."""
    return STREAM_TABLES if settings.lifecycle else (TICKETS, TICKET_WINDOWS)


# --- The batch ETL's tables (one per `hybridflow.crm_tables` spec) ------------------
REFERENCE = "reference"
REJECTS = LakeTable(
    "reference_rejects",
    "reference_rejects",
    partition_by=("table",),
    description="rows the batch ETL rejected, with their reason, source and run",
)


BATCH_STATE = "_state/batch.json"  # the batch ETL's high-water marks and loaded files, beside its tables


def batch_state_uri(settings: Settings) -> str:
    """The URI of the batch ETL's state file."""
    return settings.lake_path(BATCH_STATE)


def reference_table(spec) -> LakeTable:
    """The lake table of a batch `TableSpec` (``reference/<name>``)."""
    return LakeTable(
        spec.name,
        f"{REFERENCE}/{spec.name}",
        partition_by=tuple(spec.lake_partition_by),
        key=(spec.key,),
        description=spec.description,
    )


def catalogue() -> list[LakeTable]:
    """Every table of the lake: the stream's, then the batch ETL's."""
    return [*STREAM_TABLES, *(reference_table(spec) for spec in TABLES), REJECTS]


def table(name: str) -> LakeTable:
    """The lake table called `name`."""
    for candidate in catalogue():
        if candidate.name == name:
            return candidate
    raise KeyError(f"unknown lake table {name!r}; known: {', '.join(t.name for t in catalogue())}")
