"""The batch job's memory, stored with the lake: high-water marks and processed export files.

One small JSON at ``<LAKE_URI>/_state/batch.json``, read and written through Hadoop's
FileSystem API (the one Spark uses), so it works the same on ``file://`` and ``s3a://``
lakes and travels with the data it describes. It is written after the data: a run
that dies half-way leaves the previous marks, and the next run redoes the work
(the merge is idempotent, so redoing is safe).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from pyspark.sql import SparkSession

from hybridflow.batch.errors import BatchError
from hybridflow.config import Settings
from hybridflow.lake import batch_state_uri
from hybridflow.spark import jvm


@dataclass
class TableState:
    """What the lake holds of one table."""

    high_water_mark: str | None = None  # ISO-8601 UTC, microseconds: max(updated_at) extracted so far
    files: list[str] = field(default_factory=list)  # CSV exports already loaded
    version: str | None = None  # run id of the last run that changed the table
    rows: int | None = None  # rows in the lake table after that run


@dataclass
class BatchState:
    """Every table's state."""

    tables: dict[str, TableState] = field(default_factory=dict)

    def table(self, name: str) -> TableState:
        """The state of `name` (created empty if new)."""
        return self.tables.setdefault(name, TableState())

    def to_json(self) -> str:
        """Indented JSON."""
        return json.dumps({"tables": {k: asdict(v) for k, v in sorted(self.tables.items())}}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> BatchState:
        """Parse the JSON form."""
        raw = json.loads(text)
        return cls({k: TableState(**v) for k, v in raw.get("tables", {}).items()})


def _fs_path(spark: SparkSession, uri: str):
    path = jvm(spark).org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def read_text(spark: SparkSession, uri: str) -> str | None:
    """The content of a small text file on the lake, or None if absent."""
    fs, path = _fs_path(spark, uri)
    if not fs.exists(path):
        return None
    stream = fs.open(path)
    try:
        return jvm(spark).org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
    finally:
        stream.close()


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Write a small text file on the lake (overwrite; temp file + rename where the store allows)."""
    fs, path = _fs_path(spark, uri)
    tmp = jvm(spark).org.apache.hadoop.fs.Path(uri + ".tmp")
    out = fs.create(tmp, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()
    if fs.exists(path):
        fs.delete(path, False)
    if not fs.rename(tmp, path):
        raise BatchError(f"Could not write {uri}: check that the lake is writable.")


def exists(spark: SparkSession, uri: str) -> bool:
    """True when a file or folder exists on the lake."""
    fs, path = _fs_path(spark, uri)
    return bool(fs.exists(path))


def delete(spark: SparkSession, uri: str) -> None:
    """Delete a file or folder (recursively) on the lake; no error if absent."""
    fs, path = _fs_path(spark, uri)
    if fs.exists(path):
        fs.delete(path, True)


def load_state(spark: SparkSession, settings: Settings) -> BatchState:
    """The stored state (empty on a new lake)."""
    text = read_text(spark, batch_state_uri(settings))
    if text is None:
        return BatchState()
    try:
        return BatchState.from_json(text)
    except (ValueError, TypeError) as exc:
        raise BatchError(
            f"{batch_state_uri(settings)} is unreadable ({exc}): delete it and run `hybridflow batch --full`."
        ) from None


def save_state(spark: SparkSession, settings: Settings, state: BatchState) -> None:
    """Store the state with the lake."""
    write_text(spark, batch_state_uri(settings), state.to_json() + "\n")
