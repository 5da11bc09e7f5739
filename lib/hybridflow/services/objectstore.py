"""The local S3-API object store: Versity's versitygw gateway with its posix backend.

Why versitygw (and not MinIO): it is one small Go binary that builds from source in
about a minute on 2 cores (`go install …@v1.8.0`, no prebuilt download needed), keeps
objects as plain files under a folder (easy to inspect, nothing to format), answers
the S3 calls Spark's s3a connector and boto3 make, and ships a pinned container
image (`versity/versitygw:v1.8.0`) that the Compose file runs. MinIO's community
edition is source-only now and takes several times longer to compile.

Everything comes from the settings: the listen address is the host:port of
``S3_ENDPOINT``, the root credentials are ``S3_ACCESS_KEY`` / ``S3_SECRET_KEY``
(passed through the environment, never on the command line), the region is
``S3_REGION``, and the bucket(s) are those named by ``LAKE_URI`` / ``CHECKPOINT_URI``::

    <state_dir>/bin/versitygw              the binary (`make setup` builds it when S3_ENDPOINT is set)
    <state_dir>/objectstore/data/<bucket>/ one folder per bucket, one file per object
    <state_dir>/run/objectstore.pid        pid of the running gateway
    <state_dir>/logs/objectstore.log       its output
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from hybridflow import probes
from hybridflow.config import PLACEHOLDER_PREFIX, Settings
from hybridflow.errors import StackError, ToolchainError
from hybridflow.services.base import Daemon, Port, Service

VERSITYGW_MODULE = "github.com/versity/versitygw/cmd/versitygw"
# Same version as the Compose file's image (a unit test checks both agree).
VERSITYGW_VERSION = "v1.8.0"
VERSITYGW_IMAGE = f"versity/versitygw:{VERSITYGW_VERSION}"
HEALTH_PATH = "/health"
MIN_GO = (1, 21)  # go >= 1.21 fetches the newer toolchain versitygw's go.mod asks for by itself
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
BUILD_TIMEOUT_S = 900


@dataclass(frozen=True)
class ObjectStorePaths:
    """Every file of the local object store, derived from `settings.state_dir`."""

    binary: Path
    stamp: Path
    data: Path
    pid: Path
    log: Path

    @classmethod
    def of(cls, settings: Settings) -> ObjectStorePaths:
        """The paths for these settings."""
        state = Path(settings.state_dir)
        return cls(
            binary=state / "bin" / "versitygw",
            stamp=state / "bin" / f".versitygw-{VERSITYGW_VERSION}",
            data=state / "objectstore" / "data",
            pid=state / "run" / "objectstore.pid",
            log=state / "logs" / "objectstore.log",
        )


# --- addresses and buckets ---------------------------------------------------------


def endpoint_address(settings: Settings) -> tuple[str, int]:
    """(host, port) of S3_ENDPOINT."""
    if not settings.s3_endpoint:
        raise StackError("S3_ENDPOINT is not set: set it (e.g. http://localhost:9000) to use an object store.")
    url = urlparse(settings.s3_endpoint)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StackError(f"S3_ENDPOINT={settings.s3_endpoint} is not an http(s)://host:port URL: fix it in .env.")
    return url.hostname, url.port or (443 if url.scheme == "https" else 80)


def split_s3a(uri: str) -> tuple[str, str]:
    """('bucket', 'prefix') of an s3a://bucket/prefix URI."""
    match = re.match(r"^s3a://([^/]+)/?(.*)$", uri)
    if not match:
        raise StackError(f"{uri} is not an s3a://bucket/prefix URI: fix LAKE_URI or CHECKPOINT_URI.")
    return match.group(1), match.group(2).strip("/")


def required_buckets(settings: Settings) -> list[str]:
    """The buckets that LAKE_URI and the checkpoint root live in (empty for a local lake)."""
    buckets: list[str] = []
    for uri in (settings.lake_uri, settings.checkpoint_root):
        if uri.startswith("s3a://"):
            bucket = split_s3a(uri)[0]
            if bucket not in buckets:
                buckets.append(bucket)
    return buckets


def s3_client(settings: Settings):
    """A boto3 S3 client for S3_ENDPOINT: path-style, short timeouts, few retries."""
    import boto3
    from botocore.config import Config

    if not (settings.s3_access_key and settings.s3_secret_key):
        raise StackError("S3_ACCESS_KEY / S3_SECRET_KEY are not set: set both in .env (see .env.example).")
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key.get_secret_value(),
        aws_secret_access_key=settings.s3_secret_key.get_secret_value(),
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


def ensure_buckets(settings: Settings, buckets: list[str] | None = None) -> list[str]:
    """Create the lake's bucket(s) if missing (idempotent); return the bucket names."""
    from botocore.exceptions import BotoCoreError, ClientError

    buckets = required_buckets(settings) if buckets is None else buckets
    client = s3_client(settings)
    for bucket in buckets:
        try:
            client.create_bucket(Bucket=bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                continue
            raise StackError(
                f"Cannot create bucket {bucket!r} at {settings.s3_endpoint} ({code}): "
                "check S3_ACCESS_KEY / S3_SECRET_KEY and the bucket name in LAKE_URI."
            ) from None
        except BotoCoreError as exc:
            raise StackError(
                f"The object store at {settings.s3_endpoint} is unreachable ({exc}): start it with `make up` "
                "or fix S3_ENDPOINT."
            ) from None
    return buckets


def list_objects(settings: Settings, uri: str) -> list[dict]:
    """Every object under an s3a:// URI (key, size), through the S3 API."""
    bucket, prefix = split_s3a(uri)
    client = s3_client(settings)
    found: list[dict] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""):
        found.extend({"key": o["Key"], "size": o["Size"]} for o in page.get("Contents", []))
    return found


def health_url(settings: Settings) -> str:
    """The gateway's health endpoint (answers 200 without credentials)."""
    return (settings.s3_endpoint or "").rstrip("/") + HEALTH_PATH  # only called when S3_ENDPOINT is set


def server_answers(settings: Settings, timeout_s: float = 2.0) -> bool:
    """True when the object store's health endpoint answers 200."""
    try:
        with urllib.request.urlopen(health_url(settings), timeout=timeout_s) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


# --- the binary ---------------------------------------------------------------------


def find_go() -> str:
    """The `go` tool (PATH, then /usr/local/go/bin); raises with the fix when missing or too old."""
    go = shutil.which("go") or next((p for p in ("/usr/local/go/bin/go",) if Path(p).exists()), None)
    fix = (
        "install Go 1.21+ (https://go.dev/dl, e.g. into /usr/local/go; Debian 12's golang-go 1.19 is too old) "
        f"or put versitygw {VERSITYGW_VERSION} on PATH, then rerun `make setup`"
    )
    if not go:
        raise ToolchainError(f"Go is not installed, and the object store (versitygw) is built from source: {fix}.")
    out = subprocess.run([go, "version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"go(\d+)\.(\d+)", out)
    if not match or (int(match.group(1)), int(match.group(2))) < MIN_GO:
        raise ToolchainError(f"{go} is {out.strip() or 'unknown'}, too old to build versitygw: {fix}.")
    return go


def installed_binary(settings: Settings) -> Path | None:
    """The versitygw binary to run: ours under state_dir/bin (built at the pinned version), else PATH."""
    paths = ObjectStorePaths.of(settings)
    if paths.binary.exists() and paths.stamp.exists():
        return paths.binary
    on_path = shutil.which("versitygw")
    return Path(on_path) if on_path else None


def ensure_binary(settings: Settings, force: bool = False) -> Path:
    """Build versitygw at the pinned version into state_dir/bin with `go install` (idempotent, stamped)."""
    paths = ObjectStorePaths.of(settings)
    if not force:
        found = installed_binary(settings)
        if found:
            return found
    go = find_go()
    paths.binary.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOBIN": str(paths.binary.parent), "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
    cmd = [go, "install", f"-ldflags=-X=main.Version={VERSITYGW_VERSION}", f"{VERSITYGW_MODULE}@{VERSITYGW_VERSION}"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ToolchainError(
            f"Building versitygw took over {BUILD_TIMEOUT_S} s: rerun `make setup` on a less busy machine."
        ) from None
    if done.returncode != 0 or not paths.binary.exists():
        last = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise ToolchainError(
            f"`go install {VERSITYGW_MODULE}@{VERSITYGW_VERSION}` failed: check access to the Go module proxy "
            f"(GOPROXY) and rerun `make setup`.\n{last}"
        )
    for old in paths.binary.parent.glob(".versitygw-*"):
        old.unlink()
    paths.stamp.touch()
    return paths.binary


# --- the service --------------------------------------------------------------------


def check_credentials(settings: Settings) -> None:
    """Refuse to serve beyond loopback with .env.example's placeholder secret (or a short one)."""
    host, _ = endpoint_address(settings)
    if probes.is_loopback(host):
        return
    given = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else ""
    if given.startswith(PLACEHOLDER_PREFIX) or len(given) < 16:
        raise StackError(
            f"S3_ENDPOINT={settings.s3_endpoint} is reachable from other machines, and S3_SECRET_KEY is "
            f"{'the example placeholder' if given.startswith(PLACEHOLDER_PREFIX) else 'shorter than 16 characters'}: "
            "run `make setup` (it writes random S3 keys to .env), or set a long random one in .env yourself."
        )


def server_command(binary: Path, settings: Settings, paths: ObjectStorePaths) -> list[str]:
    """The gateway's command line (no secrets: those go through the environment)."""
    host, port = endpoint_address(settings)
    return [
        str(binary),
        "--port",
        f"{host}:{port}",
        "--region",
        settings.s3_region,
        "--health",
        HEALTH_PATH,
        "--quiet",  # no per-request line in the log
        "posix",
        str(paths.data),
    ]


class ObjectStore(Service):
    """The local S3-API object store, described for the supervisor (hybridflow.services.base)."""

    name = "s3"
    label = "The object store (versitygw)"

    def enabled(self, settings: Settings) -> bool:
        """Run locally only when S3_ENDPOINT is set and points at this machine."""
        if not settings.s3_endpoint or not settings.local_services:
            return False
        return probes.is_local_host(endpoint_address(settings)[0])

    def address(self, settings: Settings) -> str:
        """S3_ENDPOINT."""
        return settings.s3_endpoint or ""

    def daemons(self, settings: Settings) -> tuple[Daemon, ...]:
        """One gateway serving the data folder; the root credentials go through its environment."""
        paths = ObjectStorePaths.of(settings)

        def command() -> list[str]:
            binary = installed_binary(settings)
            if binary is None:
                raise ToolchainError(
                    f"The object store binary (versitygw {VERSITYGW_VERSION}) is not built: run `make setup` "
                    "with S3_ENDPOINT set (it builds it with Go)."
                )
            if not (settings.s3_access_key and settings.s3_secret_key):
                raise StackError("S3_ACCESS_KEY / S3_SECRET_KEY are not set: set both in .env (see .env.example).")
            check_credentials(settings)
            return server_command(binary, settings, paths)

        secret = {"ROOT_ACCESS_KEY": settings.s3_access_key, "ROOT_SECRET_KEY": settings.s3_secret_key}
        return (
            Daemon(
                name=self.name,
                command=command,
                ready=lambda: server_answers(settings),
                # The data folder is in the command line: a recycled pid of another program is not ours.
                pid_file=paths.pid,
                marker=str(paths.data),
                log=paths.log,
                cwd=paths.data,
                prepare=lambda: paths.data.mkdir(parents=True, exist_ok=True),
                ports=(Port(*endpoint_address(settings), "object store", "S3_ENDPOINT"),)
                if settings.s3_endpoint
                else (),
                env={k: v.get_secret_value() for k, v in secret.items() if v is not None},
                start_timeout_s=START_TIMEOUT_S,
                stop_timeout_s=STOP_TIMEOUT_S,
            ),
        )

    def after_start(self, settings: Settings) -> dict[str, str]:
        """Create the lake's bucket(s)."""
        return {"buckets": ", ".join(ensure_buckets(settings)) or "none"}

    def details(self, settings: Settings) -> dict[str, str]:
        """The lake's buckets and the data folder."""
        return {
            "buckets": ", ".join(required_buckets(settings)) or "none",
            "data": str(ObjectStorePaths.of(settings).data),
        }


def private_store_settings(settings: Settings, state_dir: Path, lake_uri: str, access_key: str) -> Settings:
    """Settings for a private object store on a free port (tests, the report), reusing the built binary and jars.

    The private state dir links the project's versitygw binary and JVM jars instead of
    rebuilding them; the secret key is random. Start it with ``ObjectStore().start(...)``.
    """
    import uuid

    from pydantic import SecretStr

    binary = ensure_binary(settings)  # built once with Go by `make setup`, reused here
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)  # for the Spark driver
    paths = ObjectStorePaths.of(settings.with_(state_dir=state_dir))
    paths.binary.parent.mkdir(parents=True)
    paths.binary.symlink_to(binary.resolve())
    paths.stamp.touch()
    return settings.with_(
        state_dir=state_dir,
        # The broker stays the caller's: keep trusting its CA, which lives in the caller's state dir.
        kafka_ca_file=settings.kafka_ca_path,
        s3_endpoint=f"http://127.0.0.1:{probes.free_port()}",
        s3_access_key=SecretStr(access_key),
        s3_secret_key=SecretStr(uuid.uuid4().hex),
        lake_uri=lake_uri,
        checkpoint_uri=None,
    )
