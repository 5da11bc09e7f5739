"""`hybridflow seed-crm` and `hybridflow batch`: thin wrappers over the batch package."""

from __future__ import annotations

import argparse

from hybridflow.batch.job import run_batch, seed_sources
from hybridflow.config import get_settings
from hybridflow.spark import get_spark


def _seed_crm(args: argparse.Namespace) -> int:
    settings = get_settings()
    seeded, landing = seed_sources(settings, scale=args.scale, seed=args.seed, export_files=args.export_files)
    print(seeded.summary())
    print(landing.summary(settings.landing_dir))
    return 0


def _batch(args: argparse.Namespace) -> int:
    settings = get_settings()
    spark = get_spark(settings, app_name="hybridflow-batch")
    report = run_batch(spark, settings, mode="full" if args.full else "incremental", tables=args.tables or None)
    print(report.summary().splitlines()[-1])
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `seed-crm` and `batch` commands."""
    p = sub.add_parser("seed-crm", help="(re)create and fill the on-premise CRM/ERP database, drop CSV exports")
    p.add_argument(
        "--scale", type=float, default=1.0, help="size: 1 = ~30k rows (default), 0.05 for tests, 100 = ~2.7M rows"
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    p.add_argument("--export-files", type=int, default=3, help="daily invoice CSV exports to drop in LANDING_DIR")
    p.set_defaults(func=_seed_crm)

    b = sub.add_parser("batch", help="batch ETL: PostgreSQL (JDBC) + landing CSV -> lake reference layer")
    mode = b.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="re-read every source and overwrite the lake tables")
    mode.add_argument(
        "--incremental",
        action="store_true",
        help="only rows changed since the high-water mark, merged (default; first run is full)",
    )
    b.add_argument("--tables", nargs="+", metavar="TABLE", help="only these tables (default: all)")
    b.set_defaults(func=_batch)
