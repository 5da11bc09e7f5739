"""Benchmarks: scripts that print numbers (no assertions; tests never time anything)."""

from __future__ import annotations

import json
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
