"""How fast the batch ETL extracts from PostgreSQL and loads the lake, at a given scale.

    python -m hybridflow.bench.batch [--scale 10] [--seed 42] [--keep]

Seeds a throw-away database (``hf_bench``) on the local PostgreSQL at ``--scale``,
times the JDBC extract of the largest table with 1 reader and with
JDBC_NUM_PARTITIONS readers, then runs a full batch into a throw-away lake and prints,
per table, rows/s of the extract (source → Spark) and of the load (clean → Parquet).
Prints numbers only: no assertions (tests never time anything).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from hybridflow.batch.crm import seed
from hybridflow.batch.extract import plan_extract, read_table
from hybridflow.batch.job import run_batch
from hybridflow.batch.landing import write_invoice_exports
from hybridflow.config import get_settings
from hybridflow.crm_tables import TICKET_HISTORY_SPEC
from hybridflow.services.postgres import SERVICE, drop_database, ensure_role_and_database
from hybridflow.spark import get_spark, one_row

BENCH_DATABASE = "hf_bench"


def _extract_rate(spark, settings, spec, partitions: int) -> tuple[float, int]:
    """Rows/s of reading the whole table over JDBC with `partitions` readers (a full scan, nothing cached)."""
    plan = plan_extract(spark, settings, spec, None, min_rows_per_partition=1)
    plan = type(plan)(**{**plan.__dict__, "num_partitions": partitions})
    start = time.perf_counter()
    # A sum over every column forces each row to be fetched and decoded (count() alone may prune columns).
    df = read_table(spark, settings, spec, plan)
    n = one_row(df.selectExpr("count(*) AS n", "sum(hash(*)) AS h"))["n"]
    return n / (time.perf_counter() - start), n


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="python -m hybridflow.bench.batch", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0, help="CRM size (1 = ~30k rows, 100 = ~2.7M rows)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the bench database and lake afterwards")
    args = parser.parse_args(argv)

    base = get_settings()
    SERVICE.start(base)
    ensure_role_and_database(base, BENCH_DATABASE)
    work = Path(tempfile.mkdtemp(prefix="hf-bench-batch-"))
    settings = base.with_(pg_database=BENCH_DATABASE, lake_uri=(work / "lake").as_uri(), landing_dir=work / "landing")
    try:
        seeded = seed(settings, scale=args.scale, seed=args.seed)
        print(seeded.summary())
        write_invoice_exports(
            settings.landing_dir, n_files=3, rows_per_file=max(20, round(500 * args.scale)), seed=args.seed
        )
        spark = get_spark(settings, app_name="hybridflow-bench-batch")
        cores = spark.sparkContext.defaultParallelism
        print(f"spark: {settings.spark_master} ({cores} cores), fetchsize {settings.jdbc_fetch_size}")
        for parts in sorted({1, settings.jdbc_num_partitions}):
            rate, n = _extract_rate(spark, settings, TICKET_HISTORY_SPEC, parts)
            print(f"extract ticket_history: {n:,} rows with {parts} JDBC reader(s): {rate:,.0f} rows/s")
        report = run_batch(spark, settings, "full", progress=False)
        print(f"\n{'table':<15} {'read':>10} {'written':>10} {'extract rows/s':>15} {'load rows/s':>12} {'total s':>8}")
        for t in report.tables:
            load_s = max(t.seconds - t.extract_seconds, 1e-9)
            print(
                f"{t.table:<15} {t.read:>10,} {t.written:>10,} {t.extract_rows_per_s:>15,.0f} "
                f"{t.written / load_s:>12,.0f} {t.seconds:>8.1f}"
            )
        print(report.summary().splitlines()[-1])
    finally:
        if not args.keep:
            drop_database(base, BENCH_DATABASE)
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
