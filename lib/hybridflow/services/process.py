"""The small pieces the supervisor is built from: ports in use, pid files, detached processes, locks.

Processes are handled with psutil (signals, children, who holds a port) and the start lock
with filelock, behind a few project-shaped helpers (the checks clients share, such as
``port_answers``, ``pid_alive`` and ``wait_until``, are in :mod:`hybridflow.probes`):

- ``port_in_use`` / ``port_owner``: is a port taken, and by whom?
- ``PidFile``: remember a process between CLI calls; a stale file (process gone, pid recycled) is ignored.
- ``start_detached``: start a process in its own session, output appended to a log file.
- ``stop_process``: a stop signal, then SIGKILL for it and its children after a timeout.
- ``file_lock``: serialise `up`/`down` of one service across concurrent callers.
"""

from __future__ import annotations

import errno
import os
import pwd
import signal
import socket
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import filelock
import psutil

from hybridflow.errors import StackError
from hybridflow.probes import pid_alive, port_answers


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
