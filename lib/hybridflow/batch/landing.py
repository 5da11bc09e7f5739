"""The SAN-style flat exports: the ERP drops one CSV of invoices a day in the landing folder.

The files look like what a French ERP writes: ``;``-separated, a header line,
dates as ``dd/MM/yyyy``, amounts with a decimal comma and a space as thousands
separator. Consecutive exports overlap (the ERP re-sends the last lines of the
previous day, and re-sends an invoice when its status changes), and a few lines
are broken. `write_invoice_exports` makes such files, deterministically, and
says how many lines the batch job must reject and how many are duplicates.

The reader uses an explicit schema with every column as a string: a typed CSV
schema would silently turn ``12,5O`` into null, losing the value the reject
reason must quote; typing happens in ``transforms.conform`` with ``try_*`` parsers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hybridflow.batch.errors import BatchError
from hybridflow.crm_tables import INVOICE_STATUSES, INVOICES_SPEC, TableSpec
from hybridflow.tickets.generator import client_ids

CSV_OPTIONS = {"header": "true", "sep": ";", "encoding": "UTF-8", "mode": "PERMISSIVE", "quote": '"', "escape": '"'}
SOURCE_FILE_COLUMN = "_source_file"

# The broken lines each export carries (kind -> what is wrong); the reject reasons name them.
BROKEN_KINDS = ("bad date", "bad amount", "bad client id", "missing invoice id")


@dataclass(frozen=True)
class LandingReport:
    """What the export generator wrote and what the batch job must make of it."""

    files: tuple[str, ...]
    lines: int  # data lines, header excluded
    broken: int  # lines the job must reject
    exact_duplicates: int  # lines identical to one of the previous export
    resent_changed: int  # lines re-sending an earlier invoice with a later updated_at
    distinct_invoices: int  # invoices the lake must hold afterwards

    def summary(self, folder: object = "") -> str:
        """One line: files, lines, broken ones."""
        where = f" in {folder}" if folder else ""
        return f"seed-crm: {len(self.files)} invoice exports ({self.lines:,} lines, {self.broken} broken on purpose){where}"


def _amount_fr(value: float) -> str:
    whole, cents = f"{value:.2f}".split(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{' '.join(groups)},{cents}"


def invoice_exports(
    n_files: int = 3,
    rows_per_file: int = 200,
    n_clients: int = 100,
    seed: int = 42,
    first_day: date = date(2026, 1, 5),
) -> tuple[dict[str, str], LandingReport]:
    """`n_files` daily invoice exports, file name -> CSV text, and what they hold; deterministic for a seed (no I/O)."""
    rng = random.Random(f"{seed}:invoices")
    clients = client_ids(n_clients)
    texts: dict[str, str] = {}
    header = ";".join(INVOICES_SPEC.column_names)
    names, lines_total, broken, dups, resent = [], 0, 0, 0, 0
    invoices: set[str] = set()
    previous: list[str] = []  # yesterday's fresh, valid lines
    next_no = 1
    for k in range(n_files):
        day = first_day + timedelta(days=k)
        stamp = f"{datetime(day.year, day.month, day.day, 22, 0, 0):%Y-%m-%d %H:%M:%S}"
        # Overlap: the last 2 lines of yesterday's export, byte for byte ...
        lines: list[str] = list(previous[-2:])
        dups += len(previous[-2:])
        # ... and one invoice of yesterday re-sent as paid, with a later updated_at (a real change).
        if previous:
            old = previous[0].split(";")
            old[4], old[5] = "paid", stamp
            lines.append(";".join(old))
            resent += 1
        fresh: list[str] = []
        for _ in range(rows_per_file):
            inv = f"INV-{next_no:08d}"
            next_no += 1
            issued = day - timedelta(days=rng.randint(0, 60))
            status = rng.choices(INVOICE_STATUSES, weights=(60, 25, 12, 3))[0]
            client = rng.choice(clients)
            padded = f"  {client} " if rng.random() < 0.05 else client  # hand-typed: trimmed by the job
            fresh.append(
                ";".join(
                    [
                        inv,
                        padded,
                        f"{issued:%d/%m/%Y}",
                        _amount_fr(rng.lognormvariate(7, 1.0)),
                        status.upper() if rng.random() < 0.05 else status,
                        stamp,
                    ]
                )
            )
            invoices.add(inv)
        lines += fresh
        for kind in BROKEN_KINDS:
            inv = f"INV-{next_no:08d}"
            next_no += 1
            cols = [inv, rng.choice(clients), f"{day:%d/%m/%Y}", _amount_fr(100.0), "unpaid", stamp]
            if kind == "bad date":
                cols[2] = f"31/02/{day.year}"
            elif kind == "bad amount":
                cols[3] = "12,5O"
            elif kind == "bad client id":
                cols[1] = "CLI-042"
            elif kind == "missing invoice id":
                cols[0] = ""
            lines.append(";".join(cols))
            broken += 1
        name = f"invoices_{day:%Y%m%d}.csv"
        texts[name] = header + "\n" + "\n".join(lines) + "\n"
        names.append(name)
        lines_total += len(lines)
        previous = fresh
    return texts, LandingReport(tuple(names), lines_total, broken, dups, resent, len(invoices))


def write_invoice_exports(landing_dir: Path, **options: Any) -> LandingReport:
    """Write the `invoice_exports(**options)` into `landing_dir` (created if needed); return what they hold."""
    texts, report = invoice_exports(**options)
    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (landing_dir / name).write_text(text, encoding="utf-8")
    return report


def landing_files(landing_dir: Path, spec: TableSpec = INVOICES_SPEC) -> list[Path]:
    """The export files of a dataset in the landing folder, oldest name first."""
    landing_dir = Path(landing_dir)
    if not landing_dir.is_dir():
        return []
    return sorted(p for p in landing_dir.glob(spec.csv_glob or "*.csv") if p.is_file())


def read_landing(spark: SparkSession, files: list[Path], spec: TableSpec = INVOICES_SPEC) -> DataFrame:
    """Read export files with the explicit (all-string) schema; adds the source file name of each line."""
    if not files:
        raise BatchError(
            f"No {spec.csv_glob} files to read: drop the exports in LANDING_DIR or run `hybridflow seed-crm`."
        )
    df = spark.read.options(**CSV_OPTIONS).schema(spec.raw_csv_schema()).csv([p.resolve().as_uri() for p in files])
    return df.withColumn(SOURCE_FILE_COLUMN, F.element_at(F.split(F.input_file_name(), "/"), -1))
