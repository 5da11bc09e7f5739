"""Random local secrets, written to `.env` by `make setup` so nobody runs on the examples.

The secrets below get a random value in `.env` when `.env` does not set them, or still holds
``.env.example``'s ``change-me…`` placeholder — unless the environment sets them (it wins over
`.env` anyway). Nothing else in `.env` is touched; values it already holds are kept, so running
set-up again changes nothing. `.env` is git-ignored and written 0600.

- the Kafka principals' passwords (the local broker creates its SCRAM users from them at every
  `make up`; Compose's Redpanda at its first start) and Redpanda Console's own login;
- Compose's object-store keys and JupyterLab token.

PG_PASSWORD is left alone: the local PostgreSQL's role already has its password, and a running
job would lose its logins if set-up changed it under it.
"""

from __future__ import annotations

import os
import re
import secrets
import string
from collections.abc import Callable
from pathlib import Path

from hybridflow.config import PLACEHOLDER_PREFIX, PROJ_ROOT


def _access_key() -> str:
    # S3 access keys are upper-case letters and digits, 20 of them.
    return "HF" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(18))


GENERATED: dict[str, Callable[[], str]] = {
    "KAFKA_ADMIN_PASSWORD": lambda: secrets.token_urlsafe(24),
    "KAFKA_PRODUCER_PASSWORD": lambda: secrets.token_urlsafe(24),
    "KAFKA_STREAMING_PASSWORD": lambda: secrets.token_urlsafe(24),
    "KAFKA_CONSOLE_PASSWORD": lambda: secrets.token_urlsafe(24),
    "S3_ACCESS_KEY": _access_key,
    "S3_SECRET_KEY": lambda: secrets.token_urlsafe(30),
    "JUPYTER_TOKEN": lambda: secrets.token_hex(24),
}

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def env_file() -> Path:
    """The `.env` set-up writes: $HYBRIDFLOW_ENV_FILE, else the project's own."""
    override = os.environ.get("HYBRIDFLOW_ENV_FILE")
    return Path(override) if override else PROJ_ROOT / ".env"


def _is_missing(value: str | None) -> bool:
    return value is None or not value.strip("'\"") or value.strip("'\"").startswith(PLACEHOLDER_PREFIX)


def ensure_local_secrets(path: Path | None = None, environ: dict[str, str] | None = None) -> list[str]:
    """Write a random value to `.env` for each secret of `GENERATED` it lacks; return the names written."""
    path = path or env_file()
    environ = dict(os.environ) if environ is None else environ
    lines = path.read_text().splitlines() if path.exists() else []
    present: dict[str, int] = {}
    for i, line in enumerate(lines):
        if (m := _LINE.match(line)) and not line.lstrip().startswith("#"):
            present[m[1]] = i
    written = []
    appended = []
    for name, make in GENERATED.items():
        if name in environ:
            continue
        index = present.get(name)
        if index is not None and not _is_missing(_LINE.match(lines[index])[2]):  # type: ignore[index]
            continue
        if index is not None:
            lines[index] = f"{name}={make()}"
        else:
            appended.append(f"{name}={make()}")
        written.append(name)
    if not written:
        return []
    if appended:
        lines += [
            "# Random local secrets, written by `make setup` (hybridflow.local_secrets); keep them out of git.",
            *appended,
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("\n".join(lines) + "\n")
    return written
