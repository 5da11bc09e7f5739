"""Addresses, ports and waiting: the cheap checks Kafka clients, Spark and the local services' supervisor share.

- ``parse_address`` / ``is_local_host`` / ``is_loopback``: what a ``host:port`` setting names;
- ``port_answers`` / ``free_port``: is something listening there, and a port nobody uses;
- ``pid_alive``: is a process still there (and still ours);
- ``wait_until``: poll a check until it holds, failing fast if a process died; the one polling helper.

Processes are seen with psutil, every wait runs on tenacity.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar, cast

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
