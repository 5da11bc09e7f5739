"""No service open by accident: what listens where, and who may log in.

- The shared broker and PostgreSQL, and this session's Spark driver (RPC, block manager, web
  UI), listen on loopback addresses only (read from the kernel's socket table, not the config).
- A private PostgreSQL (own port and state dir): TCP logins need the role's password, checked
  with scram-sha-256 and stored as a SCRAM verifier; the superuser cannot log in over TCP; the
  trusted Unix socket sits in a folder only the server's account can enter.
- A private object store (versitygw) on loopback: a wrong secret key is refused.
"""

from __future__ import annotations

import ipaddress
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg2
import pytest

from hybridflow.config import Settings
from hybridflow.probes import free_port
from hybridflow.services import StackUp
from hybridflow.services.broker import KafkaBroker
from hybridflow.services.postgres import SERVICE as POSTGRES
from hybridflow.services.postgres import _superuser_connect, data_dir, socket_dir

pytestmark = [pytest.mark.integration]


def _listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket process `pid` listens on."""
    return [
        (c.laddr.ip, c.laddr.port)
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN
    ]


def _loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_loopback or (ip.version == 6 and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback)


def test_the_spark_driver_listens_on_loopback_only(spark) -> None:
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    sockets = _listening(pid)
    ui_port = int(spark.sparkContext.uiWebUrl.rsplit(":", 1)[1]) if spark.sparkContext.uiWebUrl else None
    print(f"Spark driver (pid {pid}) listens on {sockets}")
    assert len(sockets) >= 2  # driver RPC and block manager at least
    assert ui_port is None or ui_port in {port for _, port in sockets}
    assert all(_loopback(address) for address, _ in sockets), sockets


def test_the_shared_broker_and_database_listen_on_loopback_only(settings: Settings, stack: StackUp) -> None:
    for service in (KafkaBroker(), POSTGRES):
        status = service.status(settings)
        if not status.running:
            pytest.skip(f"{service.name} is not run locally here")
        sockets = _listening(status.pid)
        print(f"{service.name} (pid {status.pid}) listens on {sockets}")
        assert sockets and all(_loopback(address) for address, _ in sockets), (service.name, sockets)


# --- PostgreSQL authentication, on a private server ----------------------------------------------


@pytest.fixture(scope="module")
def private_pg(settings: Settings) -> Iterator[Settings]:
    """A PostgreSQL of its own (free port, state dir the `postgres` account can traverse), started; removed at the end."""
    state = Path(tempfile.mkdtemp(prefix="hybridflow-pg-auth-"))
    state.chmod(0o755)
    private = settings.with_(state_dir=state, pg_port=free_port(), pg_host="localhost")
    try:
        POSTGRES.start(private)
        yield private
    finally:
        POSTGRES.stop(private)
        shutil.rmtree(state, ignore_errors=True)


def _tcp_login(s: Settings, user: str, password: str | None) -> None:
    psycopg2.connect(
        host="127.0.0.1", port=s.pg_port, user=user, password=password, dbname=s.pg_database, connect_timeout=10
    ).close()


def test_tcp_logins_need_the_password_checked_with_scram(private_pg: Settings) -> None:
    hba = [
        line.split()
        for line in (data_dir(private_pg) / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert {fields[-1] for fields in hba if fields[0] == "host"} == {"scram-sha-256"}
    _tcp_login(private_pg, private_pg.pg_user, private_pg.pg_password.get_secret_value())
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        _tcp_login(private_pg, private_pg.pg_user, "not-the-password")
    with pytest.raises(psycopg2.OperationalError, match=r"password authentication failed|no password supplied"):
        _tcp_login(private_pg, "postgres", None)  # the superuser has no password: no TCP login at all


def test_the_password_is_stored_as_a_scram_verifier(private_pg: Settings) -> None:
    conn = _superuser_connect(private_pg)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (private_pg.pg_user,))
            stored = cur.fetchone()[0]
            cur.execute("SHOW password_encryption")
            encryption = cur.fetchone()[0]
    finally:
        conn.close()
    assert stored.startswith("SCRAM-SHA-256$") and encryption == "scram-sha-256"


def test_the_trusted_socket_folder_is_the_servers_alone(private_pg: Settings) -> None:
    mode = stat.S_IMODE(socket_dir(private_pg).stat().st_mode)
    assert mode == 0o700, oct(mode)
    assert not list(Path(private_pg.state_dir, "postgres").glob("*.s.PGSQL.*"))  # the socket is inside, not beside


# --- the object store: credentials ---------------------------------------------------------------


@pytest.fixture(scope="module")
def private_s3(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A private versitygw on a free loopback port with a random secret; stopped at the end."""
    from hybridflow.errors import ToolchainError
    from hybridflow.services.objectstore import ObjectStore, private_store_settings

    try:
        private = private_store_settings(settings, tmp_path_factory.mktemp("s3-auth"), "s3a://lake-auth/x", "auth-test")
    except ToolchainError as exc:
        pytest.skip(f"versitygw is not built here: {exc}")
    status = ObjectStore().start(private)
    try:
        yield private
    finally:
        ObjectStore().stop(private)
    assert status.running


def test_the_object_store_listens_on_loopback_and_refuses_a_wrong_secret(private_s3: Settings) -> None:
    from botocore.exceptions import ClientError
    from pydantic import SecretStr

    from hybridflow.services.objectstore import ObjectStore, s3_client

    pid = ObjectStore().status(private_s3).pid
    sockets = _listening(pid)
    assert sockets and all(_loopback(address) for address, _ in sockets), sockets
    assert "lake-auth" in {b["Name"] for b in s3_client(private_s3).list_buckets()["Buckets"]}
    wrong = private_s3.with_(s3_secret_key=SecretStr("change-me-please"))
    with pytest.raises(ClientError, match=r"SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId"):
        s3_client(wrong).list_buckets()
