"""Read a lake dataset back without Spark: its committed files, listed and fetched through the S3 API or the disk.

Spark's file sink records every file of every committed micro-batch in
``<dataset>/_spark_metadata/<batch>``; readers that honour that log see each row
exactly once, even if a crashed batch left a stray file behind. These helpers do
the same with boto3 (s3a:// lakes) or plain file access (file:// lakes), so a test
or a notebook can prove what landed in the bucket without going through Spark.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from hybridflow.config import Settings
from hybridflow.stack.objectstore import s3_client, split_s3a

METADATA_DIR = "_spark_metadata"


@dataclass(frozen=True)
class LakeObject:
    """One object (file) of the lake: its URI relative to the dataset, and its size in bytes."""

    path: str
    size: int


def _is_s3(uri: str) -> bool:
    return uri.startswith("s3a://")


def list_dataset(settings: Settings, dataset: str) -> list[LakeObject]:
    """Every object under a dataset (data files and `_spark_metadata`), paths relative to the dataset."""
    root = settings.lake_path(dataset)
    if _is_s3(root):
        bucket, prefix = split_s3a(root)
        client = s3_client(settings)
        found = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
            found += [LakeObject(o["Key"][len(prefix) + 1:], o["Size"]) for o in page.get("Contents", [])]
        return sorted(found, key=lambda o: o.path)
    base = settings.local_path(root)
    if not base.exists():
        return []
    return sorted(
        (LakeObject(str(p.relative_to(base)), p.stat().st_size) for p in base.rglob("*") if p.is_file()),
        key=lambda o: o.path,
    )


def data_files(settings: Settings, dataset: str) -> list[str]:
    """The Parquet data files physically present in a dataset (relative paths)."""
    return [o.path for o in list_dataset(settings, dataset)
            if o.path.endswith(".parquet") and not o.path.startswith(METADATA_DIR)]


def _read_bytes(settings: Settings, uri: str) -> bytes:
    if _is_s3(uri):
        bucket, key = split_s3a(uri)
        return s3_client(settings).get_object(Bucket=bucket, Key=key)["Body"].read()
    return Path(settings.local_path(uri)).read_bytes()


def committed_files(settings: Settings, dataset: str) -> list[str]:
    """Relative paths of the files the file sink committed, from its `_spark_metadata` log (compacted or not)."""
    root = settings.lake_path(dataset)
    logs = [o.path for o in list_dataset(settings, dataset) if o.path.startswith(f"{METADATA_DIR}/")]
    files: set[str] = set()
    for log in logs:
        name = log.rsplit("/", 1)[-1]
        if not name.removesuffix(".compact").isdigit():
            continue  # temp files of an unfinished write
        for line in _read_bytes(settings, f"{root}/{log}").decode().splitlines()[1:]:  # line 0: version "v1"
            entry = json.loads(line)
            if entry.get("action", "add") == "add":
                files.add(_relative(entry["path"], root))
    return sorted(files)


def _relative(path: str, root: str) -> str:
    # The log stores absolute URIs (file:/…, s3a://…); keep what follows the dataset root.
    for candidate in (root, root.replace("file:///", "file:/")):
        if path.startswith(candidate + "/"):
            return path[len(candidate) + 1:]
    raise ValueError(f"{path} is not under {root}")


def read_dataset(settings: Settings, dataset: str) -> pd.DataFrame:
    """Every committed row of a dataset, partition columns included (empty frame if nothing landed)."""
    root = settings.lake_path(dataset)
    frames = []
    for rel in committed_files(settings, dataset):
        frame = pq.read_table(io.BytesIO(_read_bytes(settings, f"{root}/{rel}"))).to_pandas()
        for part in rel.split("/")[:-1]:  # hive-style partition folders: key=value
            key, _, value = part.partition("=")
            frame[key] = value
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
