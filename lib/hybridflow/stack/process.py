"""Reusable helpers for local services: port probes, waiting, pid files, detached processes, locks.

Every service of the local stack (Kafka broker, object store, PostgreSQL …) is a
long-running process that the project starts, finds again later and stops. The
pieces they all need live here so each service module stays short:

- ``parse_address`` / ``port_answers`` / ``port_in_use``: is something listening?
- ``wait_until``: poll a readiness check with a deadline, failing fast if the process died.
- ``PidFile``: remember the process between CLI calls; a stale file (process gone) is ignored.
- ``start_detached``: start a process in its own session, output appended to a log file,
  not a child of the caller (so `hybridflow up` can exit and pytest leaves no zombie).
- ``stop_pid``: SIGTERM, wait, SIGKILL after a timeout.
- ``file_lock``: serialise `up`/`down` of one service across concurrent callers.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from hybridflow.errors import StackError

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", "ip6-localhost"}


def parse_address(address: str) -> tuple[str, int]:
    """Split 'host:port' (or '[v6]:port') into (host, port)."""
    host, sep, port = address.strip().rpartition(":")
    if not sep or not host or not port.isdigit():
        raise StackError(f"{address!r} is not host:port: fix the address in .env or the environment.")
    return host.strip("[]"), int(port)


def is_local_host(host: str) -> bool:
    """True when `host` names this machine (so a local service can listen on it)."""
    return host in _LOCAL_HOSTS or host in {socket.gethostname(), socket.getfqdn()}


def port_answers(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """True when a TCP connection to host:port is accepted."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on host:port or holds it bound.

    A connection probe alone misses a socket that is bound but not yet listening,
    and a bind probe alone misses a listener on another address of `host`;
    checking both catches every case a server start would trip over.
    """
    if port_answers(host, port, timeout_s=0.3):
        return True
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise StackError(f"Host {host!r} does not resolve ({exc}): fix the address in .env or the environment.") from None
    for family, socktype, proto, _, sockaddr in infos:
        with socket.socket(family, socktype, proto) as probe:
            # SO_REUSEADDR: a port in TIME_WAIT is free for a server, so do not call it taken.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(sockaddr)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return True
                # EADDRNOTAVAIL etc. (e.g. ::1 without IPv6): this address cannot be the conflict.
    return False


def pid_alive(pid: int) -> bool:
    """True when process `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    try:
        # /proc/<pid>/stat: "pid (comm) S ..." - the state follows the last ')'.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def pid_cmdline(pid: int) -> list[str]:
    """The command line of `pid` ([] when unknown)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


class PidFile:
    """A pid file that knows when it is stale.

    Args:
        path: where the pid is stored.
        marker: a string the process's command line must contain (guards against a
            recycled pid now belonging to an unrelated process); None skips the check.
    """

    def __init__(self, path: Path, marker: str | None = None) -> None:
        self.path = Path(path)
        self.marker = marker

    def read(self) -> int | None:
        """The stored pid, or None when the file is missing or unreadable."""
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None

    def write(self, pid: int) -> None:
        """Store `pid` (atomically, so a concurrent reader never sees half a number)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{pid}\n")
        tmp.replace(self.path)

    def remove(self) -> None:
        """Delete the file if present."""
        self.path.unlink(missing_ok=True)

    def owns(self, pid: int) -> bool:
        """True when `pid` is alive and (if a marker is set) is our process."""
        if not pid_alive(pid):
            return False
        if self.marker is None:
            return True
        cmdline = pid_cmdline(pid)
        return not cmdline or any(self.marker in part for part in cmdline)

    def running_pid(self) -> int | None:
        """The pid if our process is running; a stale file is removed and None returned."""
        pid = self.read()
        if pid is None:
            if self.path.exists():
                self.remove()
            return None
        if self.owns(pid):
            return pid
        self.remove()
        return None


def start_detached(
    cmd: Sequence[str],
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start `cmd` in its own session, stdout+stderr appended to `log_file`; return its pid.

    The process is launched through a throw-away `sh` that backgrounds it and exits,
    so it is re-parented to init: it outlives the caller, is never left as a zombie of
    a long-lived caller (pytest, a notebook kernel), and ignores the terminal's Ctrl-C.
    """
    log_file = Path(log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    launcher = 'log="$1"; shift; exec "$@" >>"$log" 2>&1 </dev/null & echo $!'
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", launcher, "sh", str(log_file), *cmd],
            capture_output=True, text=True, env=dict(env) if env is not None else None,
            cwd=cwd, start_new_session=True, check=False, timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StackError(f"Could not launch {cmd[0]} ({exc}): check that it is installed and executable.") from None
    out = done.stdout.strip()
    if done.returncode != 0 or not out.isdigit():
        raise StackError(f"Could not launch {cmd[0]} ({done.stderr.strip() or out}): check the command and {log_file}.")
    return int(out)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for private test and report instances)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def stop_pidfile_process(pidfile: "PidFile", lock: Path, timeout_s: float = 20.0) -> bool:
    """Stop the process a pid file names (SIGTERM, SIGKILL after `timeout_s`) and remove the file.

    Returns True if it was running. Serialised with `lock`, like the service's start.
    """
    with file_lock(lock):
        pid = pidfile.running_pid()
        if pid is None:
            return False
        stop_pid(pid, timeout_s=timeout_s)
        pidfile.remove()
        return True


def stop_pid(pid: int, timeout_s: float = 20.0, sig: int = signal.SIGTERM) -> bool:
    """Stop `pid`: send `sig`, wait up to `timeout_s`, then SIGKILL. True if it had to be killed."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return False
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    for _ in range(50):  # SIGKILL is immediate, but the kernel needs a moment to release ports
        if not pid_alive(pid):
            break
        time.sleep(0.1)
    return True


def wait_until(
    check: Callable[[], bool],
    timeout_s: float,
    what: str,
    fix: str,
    pid: int | None = None,
    log_file: Path | Sequence[Path] | None = None,
    interval_s: float = 0.5,
) -> float:
    """Poll `check()` until it returns True; return the seconds waited.

    Fails fast (instead of waiting out the timeout) when `pid` is given and dies.

    Raises:
        StackError: on timeout or early death, naming `what`, `fix` and the log's last lines.
    """
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if pid is not None and not pid_alive(pid):
            raise StackError(f"{what} exited while starting: {fix}{_log_hint(log_file)}")
        if time.monotonic() - start > timeout_s:
            raise StackError(f"{what} was not ready after {timeout_s:.0f} s: {fix}{_log_hint(log_file)}")
        time.sleep(interval_s)


def tail(path: Path, lines: int = 10) -> str:
    """The last `lines` lines of a text file ('' if it does not exist)."""
    try:
        with Path(path).open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 16_384))
            text = fh.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _log_hint(log_file: Path | Sequence[Path] | None) -> str:
    """' (see <log>)' plus the last lines of every given log that has any."""
    if log_file is None:
        return ""
    files = [Path(log_file)] if isinstance(log_file, (str, Path)) else [Path(f) for f in log_file]
    lasts = [(f, tail(f, 8)) for f in files]
    shown = [f"{f}:\n{text}" for f, text in lasts if text]
    return f" (see {', '.join(str(f) for f in files)})" + ("".join(f"\n{s}" for s in shown))


@contextmanager
def file_lock(path: Path, timeout_s: float = 120.0) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed) for the duration of the block.

    Two shells (or two pytest sessions) running `up` at once must not both start a
    broker; the second waits here, then finds the first one's process running.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StackError(
                        f"{path} is locked by another `hybridflow up/down` for {timeout_s:.0f} s: wait for it or stop it."
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
