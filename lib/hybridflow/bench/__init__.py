"""Benchmarks: scripts that print numbers (no assertions; tests never time anything)."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hybridflow.config import Settings


def results_dir(settings: Settings) -> Path:
    """Where the benchmarks write their JSON results, and where the report's synthesis reads them."""
    return settings.state_dir / "bench"


def write_results(settings: Settings, name: str, results: dict[str, Any], path: Path | None = None) -> Path:
    """Write a benchmark's results, stamped with the time, as JSON (default STATE_DIR/bench/NAME.json); return the path."""
    out = path or results_dir(settings) / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    stamped = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds")} | results
    out.write_text(json.dumps(stamped, indent=2, default=str))
    return out


def add_job_options(parser: argparse.ArgumentParser, name: str, keep_help: str) -> None:
    """The options of a benchmark that runs the job: its log level, keeping its logs, where the JSON goes."""
    parser.add_argument(
        "--job-log-level", default="INFO", help="the job's log level (DEBUG: per-batch phase timings in its logs)"
    )
    parser.add_argument("--keep-logs", action="store_true", help=keep_help)
    parser.add_argument(
        "--json", type=Path, default=None, help=f"where the results go as JSON (default STATE_DIR/bench/{name}.json)"
    )


@contextmanager
def scratch_folder(name: str, keep: bool, kept: str) -> Iterator[Path]:
    """A fresh folder for a run's logs and scratch data; removed at the end unless `keep` (then its path is printed)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"hybridflow-bench-{name}-"))
    try:
        yield workdir
    finally:
        if keep:
            print(f"{kept} kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
