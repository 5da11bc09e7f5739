"""The local services `make up` runs, described, and the one supervisor that runs them.

- ``base``        what a service is (its daemons: command, ports, readiness probe, files) and the supervisor
- ``process``     ports in use, pid files, detached processes, stop signals, start locks
- ``broker``      the Kafka broker (KRaft), with ``broker_security``: its listeners, TLS certificates, own login
- ``postgres``    the on-premise CRM database
- ``objectstore`` the S3-API lake (versitygw), when S3_ENDPOINT is set
- ``cluster``     a Spark standalone master + worker (`make cluster-up`)
- ``stack``       the ordered registry: ``up(settings)`` / ``down(settings)`` / ``status(settings)``

The Kafka clients (options, logins, topics) are :mod:`hybridflow.kafka`; this package uses them
(the broker's readiness probe, the topics `up` creates), never the other way round.
"""

from hybridflow.services.base import Service, ServiceStatus
from hybridflow.services.stack import SERVICES, StackUp, down, status, up

__all__ = ["SERVICES", "Service", "ServiceStatus", "StackUp", "down", "status", "up"]
