"""Fixtures for the unit tests of the Kafka clients and the local services: free ports, settings on a scratch state dir."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from hybridflow.config import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def free_port():
    """A function returning a TCP port nobody listens on right now (the OS picks it)."""
    return _free_port


@pytest.fixture
def scratch_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Settings for a broker that does not exist: free ports, state under tmp_path."""
    # plaintext: these tests are the supervisor's and the topics' mechanics; the secured broker has its own
    # (kafka/test_security.py here, tests/integration/security/test_kafka_login_and_acls.py)
    return settings.with_(
        kafka_bootstrap_servers=f"localhost:{_free_port()}",
        kafka_controller_port=_free_port(),
        state_dir=tmp_path / "state",
        kafka_request_timeout_ms=2000,
        kafka_security="plaintext",
    )


@pytest.fixture
def listening_socket():
    """A real socket bound and listening on 127.0.0.1:<free port>; yields the port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]
