"""Fixtures of the fault tests: ports for private services that are killed and restarted, a private broker."""

from __future__ import annotations

import os
import random
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hybridflow.config import Settings
from hybridflow.probes import pid_alive, wait_until
from hybridflow.services.broker import BrokerPaths, KafkaBroker
from hybridflow.services.process import PidFile, port_in_use


def _port_outside_the_ephemeral_range() -> int:
    """A free port below the kernel's ephemeral range.

    A client that keeps reconnecting to a dead port inside that range can end up connected to
    itself (its own source port is the port it dials), and then holds the very port the killed
    service restarts on ("already in use by another process").
    """
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.Random().sample(range(20_000, min(low, 32_000)), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


@pytest.fixture
def stable_port() -> Callable[[], int]:
    """Call it for a free port a restarted service can always take back."""
    return _port_outside_the_ephemeral_range


@pytest.fixture(scope="module")
def module_stable_port() -> Callable[[], int]:
    """`stable_port` for module-scoped fixtures."""
    return _port_outside_the_ephemeral_range


@pytest.fixture(scope="module")
def private_broker(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory, module_stable_port: Callable[[], int]
) -> Iterator[Callable[[str], Settings]]:
    """Call it with a name for a private broker, started now and stopped at the module's end.

    Returns the settings that reach it: ports a restart can take back, a state dir of its own
    (named after `name`, sharing the resolved jars), so the shared broker never notices.
    """
    started: list[Settings] = []

    def start(name: str) -> Settings:
        state = tmp_path_factory.mktemp(name)
        (state / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
        private = settings.with_(kafka_bootstrap_servers=f"localhost:{module_stable_port()}", kafka_controller_port=module_stable_port(), state_dir=state)  # fmt: skip
        KafkaBroker().start(private)
        started.append(private)
        return private

    yield start
    for private in started:
        KafkaBroker().stop(private, timeout_s=10)


def _kill_broker(s: Settings) -> float:
    """SIGKILL the broker of `s` and wait until its port is free; returns when it was killed (time.monotonic)."""
    pid = PidFile(BrokerPaths.of(s).pid).read()
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    while pid_alive(pid):
        time.sleep(0.05)
    # A killed JVM's listening socket can outlive its pid for a moment (seen with the TLS listener).
    host, port = s.kafka_bootstrap_servers.rsplit(":", 1)
    wait_until(
        lambda: not port_in_use(host, int(port)), 30, what="the killed broker's port to close", fix="see ss -ltnp"
    )
    return killed_at


@pytest.fixture(scope="module")
def kill_broker() -> Callable[[Settings], float]:
    """Call it to SIGKILL a private broker (see `_kill_broker`)."""
    return _kill_broker
