"""Unit tests of hybridflow.stack.process: ports, pid files, detached processes, waiting, locks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hybridflow.errors import StackError
from hybridflow.stack import process


def test_parse_address() -> None:
    assert process.parse_address("localhost:9092") == ("localhost", 9092)
    assert process.parse_address("[::1]:19092") == ("::1", 19092)


@pytest.mark.parametrize("bad", ["localhost", ":9092", "host:port"])
def test_parse_address_rejects_garbage(bad: str) -> None:
    with pytest.raises(StackError, match="host:port"):
        process.parse_address(bad)


def test_port_in_use_sees_a_listener(listening_socket: int) -> None:
    assert process.port_answers("127.0.0.1", listening_socket)
    assert process.port_in_use("127.0.0.1", listening_socket)


def test_port_in_use_sees_a_bound_but_silent_socket() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, not listening: a connect probe alone would miss it
        port = s.getsockname()[1]
        assert not process.port_answers("127.0.0.1", port)
        assert process.port_in_use("127.0.0.1", port)


def test_free_port_is_not_in_use(free_port) -> None:
    assert not process.port_in_use("127.0.0.1", free_port())


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()  # reaped: the pid is free now
    return proc.pid


def test_pidfile_round_trip(tmp_path: Path) -> None:
    pidfile = process.PidFile(tmp_path / "run" / "x.pid")
    assert pidfile.read() is None and pidfile.running_pid() is None
    pidfile.write(os.getpid())
    assert pidfile.read() == os.getpid()
    assert pidfile.running_pid() == os.getpid()
    pidfile.remove()
    assert not pidfile.path.exists()


def test_stale_pidfile_is_removed(tmp_path: Path) -> None:
    pidfile = process.PidFile(tmp_path / "x.pid")
    pidfile.write(_dead_pid())
    assert pidfile.running_pid() is None
    assert not pidfile.path.exists()


def test_garbage_pidfile_is_removed(tmp_path: Path) -> None:
    pidfile = process.PidFile(tmp_path / "x.pid")
    pidfile.path.write_text("not a pid\n")
    assert pidfile.running_pid() is None
    assert not pidfile.path.exists()


def test_recycled_pid_of_another_program_is_stale(tmp_path: Path) -> None:
    # Our own pid is alive, but its command line lacks the marker: not "our" service.
    pidfile = process.PidFile(tmp_path / "x.pid", marker="/no/such/server.properties")
    pidfile.write(os.getpid())
    assert pidfile.running_pid() is None
    mine = process.PidFile(tmp_path / "y.pid", marker=Path(sys.executable).name[:6])
    mine.write(os.getpid())
    assert mine.running_pid() == os.getpid()


def test_start_detached_then_stop(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "sleep.out"
    pid = process.start_detached(["sh", "-c", "echo started; exec sleep 60"], log)
    try:
        assert process.pid_alive(pid)
        # Not our child (re-parented), and in its own session: Ctrl-C here does not reach it.
        assert os.getsid(pid) != os.getsid(0)
        ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert ppid != os.getpid()
        process.wait_until(lambda: "started" in log.read_text(), 5, "sleep", "n/a")
    finally:
        killed = process.stop_pid(pid, timeout_s=5)
    assert not killed  # SIGTERM was enough
    assert not process.pid_alive(pid)


def test_stop_pid_kills_after_timeout(tmp_path: Path) -> None:
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    log = tmp_path / "stubborn.out"
    pid = process.start_detached([sys.executable, "-c", stubborn], log)
    process.wait_until(lambda: "ready" in log.read_text(), 10, "stubborn", "n/a")
    assert process.stop_pid(pid, timeout_s=0.5) is True
    assert not process.pid_alive(pid)


def test_start_detached_missing_program_fails_clearly(tmp_path: Path) -> None:
    log = tmp_path / "x.out"
    pid = process.start_detached(["/no/such/program"], log)
    with pytest.raises(StackError, match="exited while starting"):
        process.wait_until(lambda: False, 5, "the program", "install it", pid=pid, log_file=log)


def test_wait_until_times_out_with_the_fix(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    log.write_text("line one\nthe real cause\n")
    start = time.monotonic()
    with pytest.raises(StackError, match=r"(?s)not ready after 0 s: do X.*the real cause"):
        process.wait_until(lambda: False, 0.3, "Service", "do X", log_file=log, interval_s=0.05)
    assert time.monotonic() - start < 2


def test_wait_until_returns_elapsed() -> None:
    calls = iter([False, False, True])
    assert process.wait_until(lambda: next(calls), 5, "x", "y", interval_s=0.01) >= 0


def test_file_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    lock = tmp_path / "svc.lock"
    errors: list[Exception] = []

    def contender() -> None:
        try:
            with process.file_lock(lock, timeout_s=0.3):
                pass
        except StackError as exc:
            errors.append(exc)

    with process.file_lock(lock):
        t = threading.Thread(target=contender)
        t.start()
        t.join()
    assert errors and "locked by another" in str(errors[0])
    with process.file_lock(lock, timeout_s=0.3):  # released: free again
        pass


def test_tail_reads_last_lines(tmp_path: Path) -> None:
    f = tmp_path / "a.log"
    f.write_text("".join(f"{i}\n" for i in range(100)))
    assert process.tail(f, 2) == "98\n99"
    assert process.tail(tmp_path / "missing.log") == ""
