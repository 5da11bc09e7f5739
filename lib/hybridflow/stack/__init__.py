"""The local stack: real services (Kafka broker in KRaft mode, topics) started by the project.

``up(settings)`` / ``down(settings)`` / ``status(settings)`` are what `make up/down/status`,
the test fixtures and the notebooks call; ``ensure_topics`` / ``describe_topics`` manage
topics on whatever broker KAFKA_BOOTSTRAP_SERVERS points at (local, Redpanda, ...).
"""

from hybridflow.stack.base import Service, ServiceStatus
from hybridflow.stack.services import SERVICES, StackUp, down, status, up
from hybridflow.stack.topics import admin_client, describe_topics, ensure_topics, unreachable

__all__ = [
    "SERVICES",
    "Service",
    "ServiceStatus",
    "StackUp",
    "admin_client",
    "describe_topics",
    "down",
    "ensure_topics",
    "status",
    "unreachable",
    "up",
]
