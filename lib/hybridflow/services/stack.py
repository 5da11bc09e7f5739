"""The local stack: an ordered registry of services that `hybridflow up/down/status` manage.

`up` starts every *enabled* service in registry order, then creates the topics;
`down` stops them in reverse order; `status` asks each one.

Adding a service:

1. Write ``hybridflow/services/<name>.py`` with a :class:`hybridflow.services.base.Service` subclass:
   a ``name``, ``enabled(settings)`` (e.g. ``settings.s3_endpoint is not None``),
   ``address(settings)`` and ``daemons(settings)``, one :class:`~hybridflow.services.base.Daemon`
   per process (command, readiness probe, ports, pid file and log under ``settings.state_dir``).
   `Service` starts, stops and reports it like every other service.
2. Append one line to ``SERVICES`` below. Order matters: a service starts after the
   ones before it and stops before them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from hybridflow.config import Settings
from hybridflow.kafka import access, security
from hybridflow.kafka.topics import ensure_topics
from hybridflow.services.base import Service, ServiceStatus
from hybridflow.services.broker import KafkaBroker
from hybridflow.services.objectstore import ObjectStore
from hybridflow.services.postgres import PostgresService

SERVICES: tuple[Service, ...] = (
    KafkaBroker(),
    PostgresService(),  # the on-premise CRM/ERP database of the batch ETL
    ObjectStore(),  # the S3-API lake (versitygw), only when S3_ENDPOINT is set
)  # The Spark cluster (services.cluster) is supervised the same way, but started by `make cluster-up`, not `up`.


@dataclass(frozen=True)
class StackUp:
    """What `up` did: each service's status, the topics, and the total time."""

    services: tuple[ServiceStatus, ...]
    topics: dict[str, int]
    seconds: float

    def summary(self) -> str:
        """One line: every service with its address and pid, the topics, the time taken."""
        parts = []
        for s in self.services:
            how = f"started in {s.started_in_s:.1f} s" if s.started_in_s else "already running"
            parts.append(f"{s.name} at {s.address} (pid {s.pid}, {how})")
        topics = ", ".join(f"{n}({p})" for n, p in self.topics.items())
        return f"up: {'; '.join(parts)}; topics {topics}; {self.seconds:.1f} s"


def enabled_services(settings: Settings) -> tuple[Service, ...]:
    """The registered services these settings want run locally, in start order."""
    return tuple(s for s in SERVICES if s.enabled(settings))


def up(settings: Settings) -> StackUp:
    """Start every enabled service (idempotent), then create the topics (and their ACLs).

    The local broker creates its SCRAM users itself when it starts; a broker that is not run
    here (Compose's Redpanda) gets them from the admin, its bootstrap super user.
    """
    begin = time.monotonic()
    services = enabled_services(settings)
    statuses = tuple(service.start(settings) for service in services)
    if security.enabled(settings) and not KafkaBroker().enabled(settings):
        access.ensure_users(settings, as_role="admin")
    topics = ensure_topics(settings)
    return StackUp(statuses, topics, time.monotonic() - begin)


def down(settings: Settings) -> list[str]:
    """Stop every registered service, last first; return the names of those that were running."""
    return [s.name for s in reversed(SERVICES) if s.stop(settings)]


def status(settings: Settings) -> list[ServiceStatus]:
    """The status of every enabled service."""
    return [s.status(settings) for s in enabled_services(settings)]
