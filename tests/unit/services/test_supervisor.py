"""The supervisor (hybridflow.services.base.Service) on a toy TCP server: start, idempotence, ports, stop, stale files."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridflow import probes
from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.services import process
from hybridflow.services.base import Daemon, Port, Service

# A server that listens on argv[1]; its state dir (argv[2]) in the command line is the pid marker.
SERVER = """
import signal, socket, sys, time
if sys.argv[3] == "stubborn":
    signal.signal(signal.SIGTERM, lambda *_: print("TERM ignored", flush=True))
if sys.argv[3] == "crash":
    sys.exit("toy: cannot open the data folder")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("listening", flush=True)
while True:
    time.sleep(1)
"""


class Toy(Service):
    """A one-daemon service: the toy server on `port`."""

    name = "toy"
    label = "The toy server"

    def __init__(self, port: int, mode: str = "polite") -> None:
        self.port, self.mode = port, mode

    def enabled(self, settings: Settings) -> bool:
        return True

    def address(self, settings: Settings) -> str:
        return f"127.0.0.1:{self.port}"

    def daemons(self, settings: Settings) -> tuple[Daemon, ...]:
        state = Path(settings.state_dir)
        return (
            Daemon(
                name="toy",
                command=lambda: [sys.executable, "-c", SERVER, str(self.port), str(state), self.mode],
                ready=lambda: probes.port_answers("127.0.0.1", self.port),
                pid_file=state / "run" / "toy.pid",
                marker=str(state),
                log=state / "logs" / "toy.log",
                ports=(Port("127.0.0.1", self.port, "toy server", "TOY_PORT"),),
                start_timeout_s=60,
                stop_timeout_s=0.5,
            ),
        )


@pytest.fixture
def toy(scratch_settings: Settings, free_port) -> Iterator[Toy]:
    """A toy service on a free port; stopped (killed if need be) after the test."""
    service = Toy(free_port())
    yield service
    service.stop(scratch_settings)


def _pid_file(settings: Settings) -> Path:
    return Path(settings.state_dir) / "run" / "toy.pid"


def test_start_runs_it_until_it_answers(toy: Toy, scratch_settings: Settings) -> None:
    status = toy.start(scratch_settings)
    assert status.running and status.address == f"127.0.0.1:{toy.port}"
    assert status.started_in_s and status.started_in_s > 0
    assert probes.port_answers("127.0.0.1", toy.port)
    assert process.PidFile(_pid_file(scratch_settings)).read() == status.pid
    assert toy.status(scratch_settings).running and toy.status(scratch_settings).pid == status.pid


def test_second_start_finds_it_running(toy: Toy, scratch_settings: Settings) -> None:
    first = toy.start(scratch_settings)
    again = toy.start(scratch_settings)
    assert again.pid == first.pid and again.started_in_s == 0.0
    assert (Path(scratch_settings.state_dir) / "logs" / "toy.log").read_text().count("listening") == 1


def test_a_port_taken_by_a_foreign_process_is_refused_naming_it(
    scratch_settings: Settings, listening_socket: int
) -> None:
    with pytest.raises(StackError) as err:
        Toy(listening_socket).start(scratch_settings)
    message = str(err.value)
    assert f"Port 127.0.0.1:{listening_socket} (toy server) is already in use by " in message
    assert f"(pid {os.getpid()}: " in message  # the process holding it: this pytest
    assert "or set TOY_PORT to a free port" in message
    assert not _pid_file(scratch_settings).exists()  # nothing started, nothing recorded
    status = Toy(listening_socket).status(scratch_settings)
    assert not status.running and f"pid {os.getpid()}" in status.details["note"]


def test_stop_kills_a_process_that_ignores_sigterm(scratch_settings: Settings, free_port) -> None:
    stubborn = Toy(free_port(), mode="stubborn")
    status = stubborn.start(scratch_settings)
    assert stubborn.stop(scratch_settings) is True
    assert "TERM ignored" in (Path(scratch_settings.state_dir) / "logs" / "toy.log").read_text()
    assert not probes.pid_alive(status.pid)
    assert not _pid_file(scratch_settings).exists()
    assert not stubborn.status(scratch_settings).running
    assert stubborn.stop(scratch_settings) is False  # down twice is harmless


def test_a_stale_pid_file_neither_counts_nor_blocks(toy: Toy, scratch_settings: Settings) -> None:
    first = toy.start(scratch_settings)
    toy.stop(scratch_settings)
    process.PidFile(_pid_file(scratch_settings)).write(first.pid)  # as after kill -9 or a reboot
    status = toy.status(scratch_settings)
    assert not status.running and status.pid is None
    assert not _pid_file(scratch_settings).exists()
    process.PidFile(_pid_file(scratch_settings)).write(os.getpid())  # a live pid, but not our server
    again = toy.start(scratch_settings)
    assert again.pid not in (first.pid, os.getpid()) and again.started_in_s
    assert process.PidFile(_pid_file(scratch_settings)).read() == again.pid


def test_a_daemon_that_dies_while_starting_names_its_log(scratch_settings: Settings, free_port) -> None:
    with pytest.raises(
        StackError,
        match=r"(?s)The toy server \(pid \d+\) exited while starting: read the log.*"
        r"cannot open the data folder",
    ):
        Toy(free_port(), mode="crash").start(scratch_settings)
    assert not _pid_file(scratch_settings).exists()


def test_a_service_of_two_daemons_starts_and_stops_both(scratch_settings: Settings, free_port) -> None:
    first, second = Toy(free_port()), Toy(free_port())
    state = Path(scratch_settings.state_dir)

    class Pair(Service):
        name, label = "pair", "The pair"

        def address(self, settings: Settings) -> str:
            return "here"

        def daemons(self, settings: Settings) -> tuple[Daemon, ...]:
            one, two = first.daemons(settings)[0], second.daemons(settings)[0]
            return (
                one,
                Daemon(
                    **{
                        **two.__dict__,
                        "name": "two",
                        "pid_file": state / "run" / "two.pid",
                        "log": state / "logs" / "two.log",
                    }
                ),
            )

    pair = Pair()
    try:
        status = pair.start(scratch_settings)
        assert status.details["two pid"] == str(process.PidFile(state / "run" / "two.pid").read())
        assert pair.status(scratch_settings).running
        assert pair.stop(scratch_settings) is True
        assert not probes.port_answers("127.0.0.1", first.port) and not probes.port_answers("127.0.0.1", second.port)
    finally:
        pair.stop(scratch_settings)
