"""The local PostgreSQL server standing in for InduTechData's on-premise SQL Server.

Started from the Debian `postgresql` binaries (`scripts/system-deps.sh db`): `initdb`
once into ``<state_dir>/postgres/data``, then the ``postgres`` server itself, run by the
stack's supervisor on ``PG_PORT`` and found again through its own ``postmaster.pid``;
listening on localhost only, its Unix socket kept inside the state folder (so it
never collides with a system cluster in /var/run/postgresql). The CRM role and
database are created idempotently over that socket by the local superuser.

Authentication (initdb's pg_hba.conf): TCP connections need the role's password, checked
with ``scram-sha-256`` (and stored as a SCRAM verifier); the Unix socket trusts the local
superuser, so its folder is the server account's alone (mode 0700).

PostgreSQL refuses to run as root: when the project runs as root (CI does), the
server runs as the ``postgres`` system account the Debian package creates, and
its folder under the state dir is handed to that account.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.probes import is_local_host
from hybridflow.services.base import Daemon, Port, Service

SUPERUSER = "postgres"  # the bootstrap superuser initdb creates; reachable only through the private socket
_OS_ACCOUNT_WHEN_ROOT = "postgres"
_START_TIMEOUT_S = 60


def pg_home(settings: Settings) -> Path:
    """Folder of everything this server keeps: data, socket, log."""
    return settings.state_dir / "postgres"


def data_dir(settings: Settings) -> Path:
    """The cluster's data directory (created by `initdb` on first start)."""
    return pg_home(settings) / "data"


def socket_dir(settings: Settings) -> Path:
    """The private Unix-socket folder (the superuser connects through it, trust auth)."""
    return pg_home(settings) / "run"


def log_file(settings: Settings) -> Path:
    """The server log."""
    return pg_home(settings) / "postgres.log"


def bin_dir(settings: Settings) -> Path:
    """Folder holding initdb and pg_ctl: PG_BIN_DIR, else the newest Debian install, else PATH."""
    if settings.pg_bin_dir:
        candidates = [Path(settings.pg_bin_dir)]
    else:
        debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version_key(p.parent.name))
        candidates = list(reversed(debian))
        on_path = shutil.which("pg_ctl")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    raise StackError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: run `make sysdeps` "
        "(apt-get install postgresql) or set PG_BIN_DIR to their folder."
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit()) or (0,)


def _os_account() -> pwd.struct_passwd | None:
    """The account the server must run as: None = the current user; `postgres` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(_OS_ACCOUNT_WHEN_ROOT)
    except KeyError:
        raise StackError(
            "PostgreSQL cannot run as root and there is no `postgres` system account: "
            "install the Debian package (apt-get install postgresql) or run as a normal user."
        ) from None


def _run(cmd: list[str], settings: Settings, timeout_s: float = _START_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run a server binary, as the `postgres` account when we are root."""
    account = _os_account()
    if account is not None:
        cmd = ["runuser", "-u", account.pw_name, "--", *cmd]
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s, check=False, cwd=pg_home(settings)
        )
    except subprocess.TimeoutExpired:
        raise StackError(
            f"`{' '.join(cmd)}` did not finish within {timeout_s:.0f} s: see {log_file(settings)}."
        ) from None


def _prepare_home(settings: Settings) -> None:
    """Create the server's folders, owned by the account that runs it."""
    home = pg_home(settings)
    for folder in (home, socket_dir(settings)):
        folder.mkdir(parents=True, exist_ok=True)
    socket_dir(settings).chmod(0o700)  # the socket trusts whoever reaches it: only the server's account may
    account = _os_account()
    if account is None:
        return
    # Every parent must be traversable by the `postgres` account (a 0700 tmp dir is not).
    for parent in home.parents:
        if parent.exists() and not os.stat(parent).st_mode & 0o001:
            raise StackError(
                f"{parent} is not traversable by the `postgres` account that runs the server as root: "
                "set STATE_DIR to a folder under a world-traversable path (e.g. the project's .state)."
            )
    for path in (home, socket_dir(settings), *home.rglob("*")):
        if path.stat().st_uid != account.pw_uid:
            os.chown(path, account.pw_uid, account.pw_gid)


def _initdb(settings: Settings) -> None:
    """Create the cluster once (idempotent: skipped when PG_VERSION exists)."""
    if (data_dir(settings) / "PG_VERSION").exists():
        return
    done = _run(
        [
            str(bin_dir(settings) / "initdb"),
            "-D",
            str(data_dir(settings)),
            "-U",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        settings,
        timeout_s=180,
    )
    if done.returncode != 0:
        raise StackError(
            f"initdb failed in {data_dir(settings)}: remove that folder and retry.\n{done.stderr.strip()[-800:]}"
        )


def _superuser_connect(settings: Settings, dbname: str = "postgres", connect_timeout: int = 10):
    """A psycopg2 connection as the bootstrap superuser over the private socket."""
    import psycopg2

    return psycopg2.connect(
        host=str(socket_dir(settings)),
        port=settings.pg_port,
        user=SUPERUSER,
        dbname=dbname,
        connect_timeout=connect_timeout,
    )


def ensure_role_and_database(settings: Settings, database: str | None = None) -> None:
    """Create PG_USER (with PG_PASSWORD) and a database it owns, if missing; idempotent."""
    from psycopg2 import sql

    database = database or settings.pg_database
    conn = _superuser_connect(settings)
    conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (settings.pg_user,))
            verb = "ALTER" if cur.fetchone() else "CREATE"
            cur.execute(
                sql.SQL(verb + " ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(settings.pg_user)),
                (settings.pg_password.get_secret_value(),),
            )
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if not cur.fetchone():
                cur.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(database), sql.Identifier(settings.pg_user)
                    )
                )
    finally:
        conn.close()


def drop_database(settings: Settings, database: str) -> None:
    """Drop a database (used by tests for their per-session database); no error if absent."""
    from psycopg2 import sql

    conn = _superuser_connect(settings)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
    finally:
        conn.close()


class PostgresService(Service):
    """The local PostgreSQL server, described for the supervisor (hybridflow.services.base)."""

    name = "postgres"
    label = "PostgreSQL"

    def enabled(self, settings: Settings) -> bool:
        """Run it locally when PG_HOST names this machine (a remote server is someone else's)."""
        return settings.local_services and is_local_host(settings.pg_host)

    def address(self, settings: Settings) -> str:
        """PG_HOST:PG_PORT."""
        return f"{settings.pg_host}:{settings.pg_port}"

    def daemons(self, settings: Settings) -> tuple[Daemon, ...]:
        """The postmaster on PG_PORT, localhost only, its socket in the state folder."""
        data = data_dir(settings)

        def prepare() -> None:
            _prepare_home(settings)
            _initdb(settings)

        return (
            Daemon(
                name=self.name,
                command=lambda: [
                    str(bin_dir(settings) / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(settings.pg_port),
                    "-k",
                    str(socket_dir(settings)),
                    "-c",
                    "listen_addresses=localhost",
                    "-c",
                    "password_encryption=scram-sha-256",
                ],
                ready=lambda: _accepts_connections(settings),
                pid_file=data / "postmaster.pid",
                writes_pid_file=True,
                marker=str(data),
                log=log_file(settings),
                cwd=pg_home(settings),
                ports=(Port(settings.pg_host, settings.pg_port, "PostgreSQL", "PG_PORT"),),
                prepare=prepare,
                user=_OS_ACCOUNT_WHEN_ROOT if os.geteuid() == 0 else None,
                stop_signal=signal.SIGINT,  # "fast" shutdown: rolls back open transactions instead of waiting for clients
                start_timeout_s=_START_TIMEOUT_S,
                stop_timeout_s=_START_TIMEOUT_S,
            ),
        )

    def after_start(self, settings: Settings) -> dict[str, str]:
        """Create the CRM role and database."""
        ensure_role_and_database(settings)
        return self.details(settings)

    def details(self, settings: Settings) -> dict[str, str]:
        """The database and the data folder."""
        return {"database": settings.pg_database, "data": str(data_dir(settings))}


def _accepts_connections(settings: Settings) -> bool:
    """True when the superuser can connect over the private socket (the server finished starting)."""
    import psycopg2

    try:
        _superuser_connect(settings, connect_timeout=2).close()
        return True
    except psycopg2.OperationalError:
        return False


SERVICE = PostgresService()
