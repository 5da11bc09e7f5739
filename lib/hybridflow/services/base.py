"""What a local service is — a description of its processes — and the one supervisor that runs them all.

Each service (Kafka broker, PostgreSQL, object store, Spark master + worker) subclasses
`Service` and fills in ``daemons(settings)``: one `Daemon` per process with its command,
ports, readiness probe, pid file, log and environment. `Service` gives every one of them
the same behaviour:

- **start** (idempotent), under one file lock per service, daemon after daemon: a daemon
  whose pid file names a live process of ours is kept; otherwise its ports must be free
  (the error names the process holding one and the setting that moves it), it is
  prepared, launched detached and waited for until its probe answers;
- **stop**: its stop signal, SIGKILL (with its children) after a timeout; last daemon first;
- **status**: running when every daemon's process is alive and its probe answers.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hybridflow import probes
from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.services import process


@dataclass(frozen=True)
class ServiceStatus:
    """A snapshot of one service: is it running, as which pid, where, plus free-form details."""

    name: str
    running: bool
    address: str
    pid: int | None = None
    started_in_s: float | None = None  # set by start(): seconds it took (0.0 if it was already running)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """'running' or 'stopped'."""
        return "running" if self.running else "stopped"

    def line(self) -> str:
        """One line for `hybridflow status`."""
        pid = f"pid {self.pid}" if self.pid else "no pid"
        extra = "".join(f"; {k}: {v}" for k, v in self.details.items())
        return f"{self.name:<8} {self.state:<8} {self.address} ({pid}){extra}"


@dataclass(frozen=True)
class Port:
    """A port a daemon listens on, what it is for, and the setting that moves it."""

    host: str
    port: int
    what: str
    setting: str


@dataclass(frozen=True)
class Daemon:
    """One long-running process of a service, described.

    `command` and `prepare` are called only to start it (they may need jars or a binary,
    and raise the fix): describing a daemon never fails, so `down` always works.
    """

    name: str
    command: Callable[[], Sequence[str]]
    ready: Callable[[], bool]  # the readiness probe: cheap, short time-out
    pid_file: Path
    marker: str  # a string of its command line: a recycled pid of another program is not ours
    log: Path  # its stdout and stderr; `logs` are quoted too when it fails
    ports: tuple[Port, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)  # added to the caller's environment
    cwd: Path | None = None
    prepare: Callable[[], None] | None = None  # before each launch: config files, data dirs, one-time format
    check_running: Callable[[int], None] | None = None  # found running: raise if it runs with other settings
    user: str | None = None  # run as this account
    writes_pid_file: bool = False  # the daemon keeps `pid_file` itself (PostgreSQL's postmaster.pid)
    stop_signal: int = signal.SIGTERM
    start_timeout_s: float = 90.0  # a JVM needs 5-15 s on 2 busy cores; leave room for a loaded CI box
    stop_timeout_s: float = 20.0
    logs: tuple[Path, ...] = ()

    @property
    def pidfile(self) -> process.PidFile:
        """Its pid file, checked against `marker`."""
        return process.PidFile(self.pid_file, self.marker)

    def launch(self) -> int:
        """Check the ports are free, prepare, start detached, record the pid; return it."""
        for p in self.ports:
            if process.port_in_use(p.host, p.port):
                raise StackError(
                    f"Port {p.host}:{p.port} ({p.what}) is already in use by {process.port_owner(p.port)}: "
                    f"stop it (`ss -ltnp | grep :{p.port}`) or set {p.setting} to a free port."
                )
        if self.prepare is not None:
            self.prepare()
        pid = process.start_detached(self.command(), self.log, env=self.env, cwd=self.cwd, user=self.user)
        if not self.writes_pid_file:
            self.pidfile.write(pid)
        return pid

    def wait_ready(self, pid: int, what: str, fix: str, timeout_s: float | None = None) -> None:
        """Wait until the probe answers; a daemon that died is forgotten (its pid file removed)."""
        try:
            probes.wait_until(
                self.ready,
                timeout_s or self.start_timeout_s,
                what=f"{what} (pid {pid})",
                fix=fix,
                pid=pid,
                log_file=(self.log, *self.logs),
            )
        except StackError:
            if not probes.pid_alive(pid):
                self.pidfile.remove()
            raise


class Service:
    """A local service that `hybridflow up/down/status` manages: subclasses describe it, this class runs it.

    Services are stateless: every method gets the settings, and whatever must survive
    between CLI calls (pid, data, logs) lives under `settings.state_dir`.
    """

    name: str = ""
    label: str = ""  # "The Kafka broker", for messages
    fix: str = "read the log, fix the cause, then rerun `make up`"

    def enabled(self, settings: Settings) -> bool:
        """True when these settings want this service run locally by `up`."""
        raise NotImplementedError

    def address(self, settings: Settings) -> str:
        """Where clients reach it."""
        raise NotImplementedError

    def daemons(self, settings: Settings) -> tuple[Daemon, ...]:
        """Its processes, in start order."""
        raise NotImplementedError

    def after_start(self, settings: Settings) -> dict[str, str]:
        """Idempotent set-up once it answers (role and database, bucket); returns details to report."""
        return {}

    def details(self, settings: Settings) -> dict[str, str]:
        """What `status` adds while it runs (topics, buckets, workers)."""
        return {}

    def start(self, settings: Settings, timeout_s: float | None = None) -> ServiceStatus:
        """Start every daemon not running yet and wait until each answers (idempotent)."""
        begin, started, pids = time.monotonic(), False, []
        with process.file_lock(self._lock(settings)):
            for daemon in self.daemons(settings):
                pid = daemon.pidfile.running_pid()
                if pid is not None and daemon.check_running is not None:
                    daemon.check_running(pid)
                if pid is None:
                    pid, started = daemon.launch(), True
                daemon.wait_ready(pid, self.label, self.fix, timeout_s)
                pids.append((daemon.name, pid))
            details = self.after_start(settings) | {f"{name} pid": str(pid) for name, pid in pids[1:]}
        took = time.monotonic() - begin if started else 0.0
        return ServiceStatus(self.name, True, self.address(settings), pids[0][1], started_in_s=took, details=details)

    def stop(self, settings: Settings, timeout_s: float | None = None) -> bool:
        """Stop its daemons, last first (stop signal, SIGKILL after the timeout); True if one was running."""
        stopped = False
        with process.file_lock(self._lock(settings)):
            for daemon in reversed(self.daemons(settings)):
                pid = daemon.pidfile.running_pid()
                if pid is not None:
                    process.stop_process(pid, timeout_s or daemon.stop_timeout_s, daemon.stop_signal)
                    stopped = True
                if not daemon.writes_pid_file:
                    daemon.pidfile.remove()
        return stopped

    def status(self, settings: Settings) -> ServiceStatus:
        """Running when every daemon is alive and answers (cheap: no start, no waiting)."""
        daemons = self.daemons(settings)
        pids = [d.pidfile.running_pid() for d in daemons]
        running = all(pids) and all(d.ready() for d in daemons)
        details: dict[str, str] = self.details(settings) if running else {}
        if any(pids) and not running:
            details["note"] = "process alive but not answering yet"
        elif not running and (held := [p for d in daemons for p in d.ports if process.port_in_use(p.host, p.port)]):
            details["note"] = f"port {held[0].port} is held by {process.port_owner(held[0].port)}, not by this service"
        details["log"] = ", ".join(str(log) for log in (daemons[0].log, *daemons[0].logs))
        return ServiceStatus(self.name, bool(running), self.address(settings), pids[0], details=details)

    def _lock(self, settings: Settings) -> Path:
        return Path(settings.state_dir) / "run" / f"{self.name}.lock"
