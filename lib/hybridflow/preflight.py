"""Checks a job runs before it starts: can it write where it must (the lake, the checkpoints)?

A location Spark cannot write is otherwise found out minutes later, by a Java stack trace from
deep inside the first micro-batch. Here it is one sentence, at start, naming the setting to fix.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from hybridflow.config import Settings
from hybridflow.errors import ConfigError
from hybridflow.services.objectstore import s3_client, split_s3a

log = logging.getLogger(__name__)


def _locations(settings: Settings) -> list[tuple[str, str, str]]:
    """(what, URI, the setting that moves it) of every place the streaming job writes."""
    checkpoints = "CHECKPOINT_URI" if settings.checkpoint_uri else "LAKE_URI (or CHECKPOINT_URI)"
    return [("lake", settings.lake_uri, "LAKE_URI"), ("checkpoint", settings.checkpoint_root, checkpoints)]


def _check_folder(path: Path, what: str, variable: str) -> None:
    """Create the folder if missing, then write and remove a probe file in it (root ignores mode bits: try, not stat)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".hybridflow-write-check-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"The {what} location {path} is not writable ({exc.strerror or type(exc).__name__}): "
            f"fix its permissions or point {variable} at a folder this user can write."
        ) from None


def _check_bucket(settings: Settings, uri: str, what: str, variable: str) -> None:
    """Put and delete a probe object under the s3a:// prefix."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = split_s3a(uri)
    key = f"{prefix}/.hybridflow-write-check-{uuid.uuid4().hex[:8]}".lstrip("/")
    try:
        client = s3_client(settings)
        client.put_object(Bucket=bucket, Key=key, Body=b"")
        client.delete_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise ConfigError(
            f"The {what} location {uri} is not writable ({code}): check the bucket and S3_ACCESS_KEY / S3_SECRET_KEY, "
            f"or point {variable} elsewhere."
        ) from None
    except BotoCoreError as exc:
        raise ConfigError(
            f"The {what} location {uri} is unreachable ({type(exc).__name__}): start the object store (`make up`) "
            "or fix S3_ENDPOINT."
        ) from None


def check_writable(settings: Settings) -> None:
    """Fail at once, in one sentence, when the lake or the checkpoint location cannot be written.

    Raises:
        ConfigError: names the location, the reason and the setting to change.
    """
    for what, uri, variable in _locations(settings):
        if uri.startswith("file://"):
            _check_folder(settings.local_path(uri), what, variable)
        else:
            _check_bucket(settings, uri, what, variable)
        log.debug("%s location %s is writable", what, uri)
