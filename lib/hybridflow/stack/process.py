"""The small pieces the supervisor is built from: ports, pid files, detached processes, waiting, locks.

Processes are handled with psutil (liveness, signals, children, who holds a port), the
start lock with filelock and every wait with tenacity, behind a few project-shaped helpers:

- ``parse_address`` / ``port_answers`` / ``port_in_use`` / ``port_owner``: is something listening, and who?
- ``PidFile``: remember a process between CLI calls; a stale file (process gone, pid recycled) is ignored.
- ``start_detached``: start a process in its own session, output appended to a log file.
- ``stop_process``: a stop signal, then SIGKILL for it and its children after a timeout.
- ``wait_until``: poll a check until it holds, failing fast if the process died; the one polling helper.
- ``file_lock``: serialise `up`/`down` of one service across concurrent callers.
"""

from __future__ import annotations

import errno
import os
import pwd
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

import filelock
import psutil
import tenacity

from hybridflow.errors import StackError

T = TypeVar("T")

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


def is_loopback(host: str) -> bool:
    """True when every address `host` resolves to is a loopback one (127.0.0.0/8, ::1): not reachable from outside."""
    import ipaddress

    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


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
        raise StackError(
            f"Host {host!r} does not resolve ({exc}): fix the address in .env or the environment."
        ) from None
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


def port_owner(port: int) -> str:
    """Who holds TCP `port`: 'name (pid N: command line)', or 'another process' when that cannot be seen."""
    try:
        pids = {
            c.pid
            for c in psutil.net_connections(kind="tcp")
            if c.laddr and c.laddr.port == port and not c.raddr and c.pid
        }
        for pid in sorted(pids):
            proc = psutil.Process(pid)
            command = " ".join(proc.cmdline())  # a JVM's main class and arguments come last: keep both ends
            return (
                f"{proc.name()} (pid {pid}: {command if len(command) <= 160 else f'{command[:50]} … {command[-100:]}'})"
            )
    except (psutil.Error, OSError):
        pass  # not allowed to see other users' sockets: the generic wording still names the fix
    return "another process"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for private test and report instances)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def pid_alive(pid: int, marker: str | None = None) -> bool:
    """True when process `pid` exists, is not a zombie and (if given) has `marker` in its command line."""
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and (marker is None or marker in " ".join(proc.cmdline()))
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # exists, owned by someone else


@dataclass(frozen=True)
class PidFile:
    """A pid file (the pid on its first line) that knows when it is stale.

    `marker`, a string the process's command line must contain, guards against a
    recycled pid now belonging to an unrelated program; None skips that check.
    """

    path: Path
    marker: str | None = None

    def read(self) -> int | None:
        """The stored pid, or None when the file is missing or unreadable."""
        try:
            return int(Path(self.path).read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def write(self, pid: int) -> None:
        """Store `pid` (atomically, so a concurrent reader never sees half a number)."""
        tmp = Path(self.path).with_suffix(".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(f"{pid}\n")
        tmp.replace(self.path)

    def remove(self) -> None:
        """Delete the file if present."""
        Path(self.path).unlink(missing_ok=True)

    def running_pid(self) -> int | None:
        """The pid if our process is running; a stale file is removed and None returned."""
        pid = self.read()
        if pid is not None and pid_alive(pid, self.marker):
            return pid
        self.remove()
        return None


def start_detached(
    cmd: Sequence[str],
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    """Start `cmd` in its own session, stdout+stderr appended to `log_file`; return its pid.

    The process is launched through a throw-away `sh` that backgrounds it and exits,
    so it is re-parented to init: it outlives the caller, is never left as a zombie of
    a long-lived caller (pytest, a notebook kernel), and ignores the terminal's Ctrl-C.

    Args:
        env: variables added to this process's environment.
        user: run as this account (PostgreSQL refuses to run as root).
    """
    log_file = Path(log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    launcher = 'log="$1"; shift; exec "$@" >>"$log" 2>&1 </dev/null & echo $!'
    account = pwd.getpwnam(user) if user else None
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", launcher, "sh", str(log_file), *cmd],
            capture_output=True,
            text=True,
            env={**os.environ, **env} if env else None,
            cwd=cwd,
            start_new_session=True,
            check=False,
            timeout=30,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise StackError(f"Could not launch {cmd[0]} ({exc}): check that it is installed and executable.") from None
    out = done.stdout.strip()
    if done.returncode != 0 or not out.isdigit():
        raise StackError(f"Could not launch {cmd[0]} ({done.stderr.strip() or out}): check the command and {log_file}.")
    return int(out)


def stop_process(pid: int, timeout_s: float = 20.0, sig: int = signal.SIGTERM) -> bool:
    """Send `sig` to `pid`, wait up to `timeout_s`, then SIGKILL it and its children; True if it had to be killed."""
    try:
        proc = psutil.Process(pid)
        family = [proc, *proc.children(recursive=True)]  # a killed Spark worker would orphan its executors
        proc.send_signal(sig)
    except psutil.NoSuchProcess:
        return False
    _, alive = psutil.wait_procs([proc], timeout=timeout_s)
    if not alive:
        return False
    for member in family:
        with suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(family, timeout=5)  # SIGKILL is immediate, but the kernel needs a moment to release ports
    return True


def wait_until(
    check: Callable[[], T | None],
    timeout_s: float,
    what: str,
    fix: str,
    pid: int | None = None,
    log_file: Path | Sequence[Path] | None = None,
    interval_s: float = 0.5,
    retry_on: tuple[type[Exception], ...] = (),
) -> T:
    """Call `check()` every `interval_s` until it returns something truthy; return that.

    Fails fast (instead of waiting out the timeout) when `pid` is given and dies. An
    exception of a `retry_on` type counts as "not yet"; at the timeout the last one is raised.

    Raises:
        StackError: on timeout or early death, naming `what`, `fix` and the log's last lines.
    """

    def attempt() -> T | None:
        result = check()
        if not result and pid is not None and not pid_alive(pid):
            raise StackError(f"{what} exited while starting: {fix}{_log_hint(log_file)}")
        return result

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(timeout_s),
        wait=tenacity.wait_fixed(interval_s),
        retry=tenacity.retry_if_result(lambda result: not result) | tenacity.retry_if_exception_type(retry_on),
    )
    try:
        return cast(T, retrying(attempt))  # retried until truthy: never None here
    except tenacity.RetryError as exc:
        exc.last_attempt.result()  # re-raises the last `retry_on` exception, if the last attempt raised one
        raise StackError(f"{what} was not ready after {timeout_s:.0f} s: {fix}{_log_hint(log_file)}") from None


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
    shown = [f"{f}:\n{text}" for f in files if (text := tail(f, 8))]
    return f" (see {', '.join(str(f) for f in files)})" + "".join(f"\n{s}" for s in shown)


@contextmanager
def file_lock(path: Path, timeout_s: float = 120.0) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed) for the duration of the block.

    Two shells (or two pytest sessions) running `up` at once must not both start a
    service; the second waits here, then finds the first one's process running.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(path)
    try:
        lock.acquire(timeout=timeout_s)
    except filelock.Timeout:
        raise StackError(
            f"{path} is locked by another `hybridflow up/down` for {timeout_s:.0f} s: wait for it or stop it."
        ) from None
    try:
        yield
    finally:
        lock.release()
