"""The batch job: extract (JDBC + landing CSV), conform, load into the lake's reference layer.

``run_batch(spark, settings, "full" | "incremental")`` is what `hybridflow batch`, the
benchmark and the notebooks call. Per table it reads the source (only rows changed
since the high-water mark, or export files not loaded yet, when incremental), splits
clean rows from rejects, keeps the latest version per key, and writes — full
overwrite or merge — then records the new marks with the lake. It returns a
`BatchReport`: rows read, rejected, written, seconds and rows/s per table.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Literal

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from hybridflow.batch.crm import CrmSize, SeedReport, apply_client_changes
from hybridflow.batch.crm import seed as seed_crm
from hybridflow.batch.errors import BatchError
from hybridflow.batch.extract import plan_extract, read_table
from hybridflow.batch.landing import LandingReport, landing_files, read_landing, write_invoice_exports
from hybridflow.batch.load import load_full, load_merge, write_rejects
from hybridflow.batch.state import BatchState, delete, load_state, save_state
from hybridflow.batch.transforms import conform, dedup_latest
from hybridflow.config import Settings
from hybridflow.crm_tables import TABLES, TableSpec, table
from hybridflow.lake import REJECTS, batch_state_uri, reference_table
from hybridflow.services.postgres import SERVICE

Mode = Literal["full", "incremental"]


@dataclass
class TableReport:
    """One table's run: what was read, rejected, collapsed as duplicates, written; and how fast."""

    table: str
    source: str
    mode: str
    read: int = 0
    rejected: int = 0
    duplicates: int = 0
    written: int = 0
    table_rows: int | None = None
    jdbc_partitions: int | None = None
    extract_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def rows_per_s(self) -> float:
        """Rows read per second, end to end."""
        return self.read / self.seconds if self.seconds else 0.0

    @property
    def extract_rows_per_s(self) -> float:
        """Rows per second of the extract alone (source → Spark)."""
        return self.read / self.extract_seconds if self.extract_seconds else 0.0

    def line(self) -> str:
        """One summary line."""
        parts = f" ({self.jdbc_partitions} JDBC partitions)" if self.jdbc_partitions else ""
        return (
            f"{self.table:<15} read {self.read:>9,}  rejected {self.rejected:>6,}  duplicates {self.duplicates:>6,}  "
            f"written {self.written:>9,}  {self.seconds:6.1f} s  {self.rows_per_s:>9,.0f} rows/s{parts}"
        )


@dataclass
class BatchReport:
    """A whole run: its id, mode, each table and where the output is."""

    run_id: str
    mode: str
    lake: str
    tables: list[TableReport] = field(default_factory=list)
    seconds: float = 0.0

    def table(self, name: str) -> TableReport:
        """The report of one table."""
        return next(t for t in self.tables if t.table == name)

    def summary(self) -> str:
        """The per-table lines and a final one-line total."""
        read = sum(t.read for t in self.tables)
        written = sum(t.written for t in self.tables)
        rejected = sum(t.rejected for t in self.tables)
        lines = [t.line() for t in self.tables]
        lines.append(
            f"batch {self.mode}: {read:,} rows read, {written:,} written, {rejected:,} rejected in {self.seconds:.1f} s "
            f"({read / max(self.seconds, 1e-9):,.0f} rows/s) -> {self.lake}/reference/ (rejects: {self.lake}/reference_rejects)"
        )
        return "\n".join(lines)

    def to_pandas(self):
        """The per-table report as a pandas DataFrame (for notebooks)."""
        import pandas as pd

        rows = [asdict(t) | {"rows_per_s": round(t.rows_per_s)} for t in self.tables]
        return pd.DataFrame(rows).set_index("table")


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a short random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _extract(
    spark: SparkSession,
    settings: Settings,
    spec: TableSpec,
    mode: Mode,
    state: BatchState,
    report: TableReport,
    database: str | None,
) -> tuple[DataFrame | None, dict]:
    """The raw rows to process and the state updates to record once they are loaded."""
    current = state.table(spec.name)
    if spec.source == "jdbc":
        plan = plan_extract(spark, settings, spec, None if mode == "full" else current.high_water_mark, database)
        report.jdbc_partitions = plan.num_partitions
        if plan.rows == 0:
            return None, {}
        return read_table(spark, settings, spec, plan, database), {"high_water_mark": plan.max_updated_at}
    files = landing_files(settings.landing_dir, spec)
    if mode == "incremental":
        files = [f for f in files if f.name not in set(current.files)]
    if not files:
        return None, {}
    loaded = sorted(set(current.files if mode == "incremental" else []) | {f.name for f in files})
    return read_landing(spark, files, spec), {"files": loaded}


def run_table(
    spark: SparkSession,
    settings: Settings,
    spec: TableSpec,
    mode: Mode,
    state: BatchState,
    run_id: str,
    database: str | None = None,
) -> TableReport:
    """Extract, conform, load one table; update `state` in memory (the caller saves it)."""
    report = TableReport(
        spec.name, spec.pg_table if spec.source == "jdbc" else f"{settings.landing_dir}/{spec.csv_glob}", mode
    )
    t0 = time.monotonic()
    raw, updates = _extract(spark, settings, spec, mode, state, report, database)
    if raw is None:  # nothing to read (no change since the mark, no new export): nothing to write
        report.seconds = time.monotonic() - t0
        return report
    # Cache the raw rows: conform, rejects, dedup and load all read them, the source only once.
    raw = raw.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        report.read = _count_source(raw, spec, report.source)
        report.extract_seconds = time.monotonic() - t0
        valid, rejects = conform(raw, spec, report.source)
        report.rejected = write_rejects(spark, settings, spec, rejects, run_id, replace=(mode == "full"))
        latest = dedup_latest(valid, spec.key, spec.updated_at).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            report.duplicates = report.read - report.rejected - latest.count()
            result = (load_full if mode == "full" else _merge(run_id))(spark, settings, spec, latest)
        finally:
            latest.unpersist()
    finally:
        raw.unpersist()
    report.written, report.table_rows = result.written, result.table_rows
    current = state.table(spec.name)
    for key, value in updates.items():
        setattr(current, key, value)
    if result.written or mode == "full":
        current.version, current.rows = run_id, result.table_rows
    report.seconds = time.monotonic() - t0
    return report


def _count_source(raw: DataFrame, spec: TableSpec, source: str) -> int:
    """Read the source (the first action on it): a source lost mid-run is one sentence, not a Java stack trace."""
    try:
        return raw.count()
    except Exception as exc:  # noqa: BLE001 - py4j wraps the driver's error (PSQLException, IOException) in a Java stack trace
        text = str(exc)
        # The driver's own error (PSQLException names host and port), not Spark's or py4j's wrapping of it.
        found = re.search(r"\b((?:PSQL|SQL|IO|Connect|Socket|EOF)Exception: [^\n]+)", text)
        cause = (found.group(1) if found else (text.splitlines() or [type(exc).__name__])[0])[:200]
        raise BatchError(
            f"Reading {source} for table {spec.name!r} failed during the run ({cause}): the lake table and its "
            f"high-water mark are unchanged; start the source (`make up` for the local PostgreSQL) or fix the "
            f"PG_* settings, then rerun `hybridflow batch`: it loads what this run did not."
        ) from None


def _merge(run_id: str):
    return lambda spark, settings, spec, latest: load_merge(spark, settings, spec, latest, run_id)


def run_batch(
    spark: SparkSession,
    settings: Settings,
    mode: Mode = "incremental",
    tables: list[str] | None = None,
    database: str | None = None,
    progress: bool = True,
) -> BatchReport:
    """Run the batch ETL over every table (or `tables`) and return the per-table report.

    The state (high-water marks, loaded files) is saved after each table, so an
    interrupted run resumes where it stopped.

    Args:
        mode: 'full' re-reads every source and overwrites the lake tables; 'incremental'
            reads changes since the last run and merges them (the first run is a full one).
        database: read another database than PG_DATABASE (tests use one per session).
    """
    from tqdm import tqdm

    if mode not in ("full", "incremental"):
        raise BatchError(f"mode must be 'full' or 'incremental', not {mode!r}.")
    specs = [table(name) for name in tables] if tables else list(TABLES)
    run_id = new_run_id()
    report = BatchReport(run_id, mode, settings.lake_uri)
    state = load_state(spark, settings)
    t0 = time.monotonic()
    with tqdm(specs, desc=f"batch {mode}", unit="table", disable=not progress) as bar:
        for spec in bar:
            bar.set_postfix_str(spec.name)
            table_report = run_table(spark, settings, spec, mode, state, run_id, database)
            report.tables.append(table_report)
            save_state(spark, settings, state)
            if progress:
                bar.write(table_report.line())
    report.seconds = time.monotonic() - t0
    return report


def lake_outputs(settings: Settings) -> dict[str, str]:
    """Where the batch job writes: every reference table, the rejects, the state."""
    return {spec.name: reference_table(spec).uri(settings) for spec in TABLES} | {
        "rejects": REJECTS.uri(settings),
        "state": batch_state_uri(settings),
    }


def showcase(
    spark: SparkSession, settings: Settings, scale: float = 0.05, n_updates: int = 3, n_inserts: int = 2, seed: int = 42
):
    """The batch ETL in four runs, for a notebook: full, change K clients, incremental, the same again.

    Re-seeds PG_DATABASE and re-writes LANDING_DIR (give it settings with a lake of its own).
    Returns a pandas DataFrame: one row per (run, table) with rows read/rejected/written and rows/s.
    """
    import pandas as pd

    seed_crm(settings, scale=scale, seed=seed, progress=False)
    write_invoice_exports(settings.landing_dir, n_clients=CrmSize.of(scale).clients, seed=seed)
    delete(spark, batch_state_uri(settings))
    runs = {"1 full": run_batch(spark, settings, "full", progress=False)}
    apply_client_changes(settings, n_updates, n_inserts)
    runs[f"2 incremental after {n_updates} updates + {n_inserts} inserts"] = run_batch(
        spark, settings, "incremental", progress=False
    )
    runs["3 same incremental again"] = run_batch(spark, settings, "incremental", progress=False)
    frames = [r.to_pandas().reset_index().assign(run=name) for name, r in runs.items()]
    cols = ["run", "table", "read", "rejected", "duplicates", "written", "seconds", "rows_per_s"]
    return pd.concat(frames)[cols].set_index(["run", "table"])


def seed_sources(
    settings: Settings, scale: float = 1.0, seed: int = 42, export_files: int = 3, progress: bool = True
) -> tuple[SeedReport, LandingReport]:
    """Fill the on-premise sources: the CRM/ERP database (started if local) and the SAN-style CSV exports."""
    if SERVICE.enabled(settings):
        SERVICE.start(settings)  # idempotent: the database the seeder fills must be up
    seeded = seed_crm(settings, scale=scale, seed=seed, progress=progress)
    landing = write_invoice_exports(
        settings.landing_dir,
        n_files=export_files,
        rows_per_file=max(20, round(500 * scale)),
        n_clients=CrmSize.of(scale).clients,
        seed=seed,
    )
    return seeded, landing
