"""Fixtures of the fault tests: ports for private services that are killed and restarted."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable
from pathlib import Path

import pytest


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
