"""Unit tests of hybridflow.probes and hybridflow.services.process: ports, pid files, detached processes, waiting, locks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hybridflow import probes
from hybridflow.errors import StackError
from hybridflow.services import process


def test_parse_address() -> None:
    assert probes.parse_address("localhost:9092") == ("localhost", 9092)
    assert probes.parse_address("[::1]:19092") == ("::1", 19092)


@pytest.mark.parametrize("bad", ["localhost", ":9092", "host:port"])
def test_parse_address_rejects_garbage(bad: str) -> None:
    with pytest.raises(StackError, match="host:port"):
        probes.parse_address(bad)


def test_port_in_use_sees_a_listener(listening_socket: int) -> None:
    assert probes.port_answers("127.0.0.1", listening_socket)
    assert process.port_in_use("127.0.0.1", listening_socket)


def test_port_in_use_sees_a_bound_but_silent_socket() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, not listening: a connect probe alone would miss it
        port = s.getsockname()[1]
        assert not probes.port_answers("127.0.0.1", port)
        assert process.port_in_use("127.0.0.1", port)


def test_free_port_is_not_in_use(free_port) -> None:
    assert not process.port_in_use("127.0.0.1", free_port())


def test_port_owner_names_the_listening_process(listening_socket: int, free_port) -> None:
    assert f"(pid {os.getpid()}: " in process.port_owner(listening_socket)  # this very pytest process
    assert process.port_owner(free_port()) == "another process"


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


def test_pidfile_reads_the_first_line_only(tmp_path: Path) -> None:
    # PostgreSQL's postmaster.pid: the pid, then the data dir, start time, port, …
    pidfile = process.PidFile(tmp_path / "postmaster.pid")
    pidfile.path.write_text(f"{os.getpid()}\n/data\n1700000000\n5433\n")
    assert pidfile.running_pid() == os.getpid()


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
    pid = process.start_detached(
        ["sh", "-c", 'echo "started with $GREETING"; exec sleep 60'], log, env={"GREETING": "hi"}
    )
    try:
        assert probes.pid_alive(pid)
        # Not our child (re-parented), and in its own session: Ctrl-C here does not reach it.
        assert os.getsid(pid) != os.getsid(0)
        ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert ppid != os.getpid()
        probes.wait_until(lambda: "started with hi" in log.read_text(), 10, "sleep", "n/a", interval_s=0.05)
    finally:
        killed = process.stop_process(pid, timeout_s=10)
    assert not killed  # SIGTERM was enough
    assert not probes.pid_alive(pid)


def test_stop_process_kills_what_ignores_sigterm_and_its_children(tmp_path: Path) -> None:
    stubborn = (
        "import signal, subprocess, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: print('TERM ignored', flush=True))\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "print('ready', child.pid, flush=True)\n"
        "while True: time.sleep(1)\n"
    )
    log = tmp_path / "stubborn.out"
    pid = process.start_detached([sys.executable, "-c", stubborn], log)
    line = probes.wait_until(
        lambda: next((ln for ln in log.read_text().splitlines() if ln.startswith("ready")), None),
        10,
        "stubborn",
        "n/a",
        interval_s=0.05,
    )
    child = int(line.split()[1])
    assert process.stop_process(pid, timeout_s=0.5) is True
    assert "TERM ignored" in log.read_text()  # it was asked first …
    assert not probes.pid_alive(pid) and not probes.pid_alive(child)  # … then killed, with its child


def test_stop_process_of_a_gone_pid_is_a_no_op() -> None:
    assert process.stop_process(_dead_pid(), timeout_s=1) is False


def test_start_detached_missing_program_fails_clearly(tmp_path: Path) -> None:
    log = tmp_path / "x.out"
    pid = process.start_detached(["/no/such/program"], log)
    # "exited while starting", not "was not ready after": it fails on the death, not the timeout
    with pytest.raises(StackError, match=r"the program exited while starting: install it \(see .*x\.out\)"):
        probes.wait_until(lambda: False, 60, "the program", "install it", pid=pid, log_file=log, interval_s=0.05)


def test_wait_until_times_out_with_the_fix_and_the_log(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    log.write_text("line one\nthe real cause\n")
    with pytest.raises(
        StackError, match=r"(?s)Service was not ready after 0 s: do X \(see .*svc\.log\).*the real cause"
    ):
        probes.wait_until(lambda: False, 0.3, "Service", "do X", log_file=log, interval_s=0.05)


def test_wait_until_returns_the_first_truthy_result() -> None:
    answers = iter([None, 0, "ready"])
    calls: list[int] = []

    def check() -> str | int | None:
        calls.append(1)
        return next(answers)

    assert probes.wait_until(check, 10, "x", "y", interval_s=0.01) == "ready"
    assert len(calls) == 3


def _next_outcome(outcomes):
    value = next(outcomes)
    if isinstance(value, Exception):
        raise value
    return value


def test_wait_until_retries_the_named_exceptions_then_raises_the_last() -> None:
    failing = iter([StackError("not yet"), StackError("still not")] + [StackError("never")] * 1000)
    with pytest.raises(StackError, match=r"^never$"):
        probes.wait_until(lambda: _next_outcome(failing), 0.3, "x", "y", interval_s=0.05, retry_on=(StackError,))
    recovering = iter([StackError("not yet"), 7])
    assert (
        probes.wait_until(lambda: _next_outcome(recovering), 10, "x", "y", interval_s=0.01, retry_on=(StackError,)) == 7
    )


def test_wait_until_does_not_retry_other_exceptions() -> None:
    calls: list[int] = []

    def broken() -> bool:
        calls.append(1)
        raise ValueError("a bug, not a wait")

    with pytest.raises(ValueError, match="a bug"):
        probes.wait_until(broken, 10, "x", "y", interval_s=0.01, retry_on=(StackError,))
    assert len(calls) == 1


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
    assert probes.tail(f, 2) == "98\n99"
    assert probes.tail(tmp_path / "missing.log") == ""
