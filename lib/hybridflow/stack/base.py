"""What a local service is: the `Service` protocol and the `ServiceStatus` it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from hybridflow.config import Settings


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


@runtime_checkable
class Service(Protocol):
    """A local service that `hybridflow up/down/status` manages.

    Implementations are stateless: every method gets the settings, and whatever must
    survive between CLI calls (pid, data) lives under `settings.state_dir`.
    """

    name: str

    def enabled(self, settings: Settings) -> bool:
        """True when these settings want this service run locally by `up`."""
        ...

    def start(self, settings: Settings) -> ServiceStatus:
        """Start (or find already running), wait until it serves requests; idempotent."""
        ...

    def stop(self, settings: Settings) -> bool:
        """Stop it if running; True if something was stopped."""
        ...

    def status(self, settings: Settings) -> ServiceStatus:
        """Whether it runs, its pid and address (cheap: no start, no waiting)."""
        ...
