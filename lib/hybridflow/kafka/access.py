"""Who may log in, and what each principal may do: SCRAM users and ACLs, as data, created through the Kafka API.

The ACLs are data (`grants`), created with the topics they name (`ensure_acls`, called by
:func:`hybridflow.kafka.topics.ensure_topics`), so a test's or the report's own topics get the
same rules as the pipeline's. Anonymous clients get nothing: the authorizer denies what no ACL
allows, and the admin is a super user that needs none.

The SCRAM users come from the settings (`ensure_users`): the local broker's own principal creates
them at every start, so a password changed in ``.env`` takes effect at the next ``make up``; on a
broker that is not ours (Compose's Redpanda) the admin, its bootstrap super user, creates the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.kafka.admin import admin_client, broker_answers
from hybridflow.kafka.security import DLQ_PREFIX, Role, credentials, enabled, principal, principal_name, user_roles
from hybridflow.probes import wait_until


def ensure_users(settings: Settings, timeout_s: float = 30.0, as_role: Role = "broker") -> list[str]:
    """Create or update the SCRAM credentials of the principals from the settings; returns the user names.

    The local broker's own principal does it at every start (`as_role="broker"`), the admin's
    included, then waits until the admin can log in. On a broker that is not ours (Compose's
    Redpanda: its bootstrap super user is the admin) the admin does it (`as_role="admin"`) for
    the others, through the Kafka API (KIP-554, Redpanda 25.2+).
    """
    if not enabled(settings):
        return []
    roles = [r for r in user_roles(settings) if not (as_role == "admin" and r == "admin")]
    upserts = [
        UserScramCredentialUpsertion(user, ScramMechanism.SCRAM_SHA_512, password)
        for user, password in (credentials(settings, role) for role in roles)
    ]
    with admin_client(settings, role=as_role) as admin:
        errors = {u: e for u, e in admin.alter_user_scram_credentials(upserts).items() if e}
    if errors:
        raise StackError(
            f"The broker refused the SCRAM credentials of {sorted(errors)} ({errors}): "
            "check KAFKA_*_USER in .env and the broker log."
        )
    wait_until(
        lambda: broker_answers(settings, timeout_ms=3000, role="admin"),
        timeout_s,
        what=f"The login of {principal_name(settings, 'admin')}",
        fix="check the broker log under STATE_DIR/logs",
        interval_s=0.2,
    )
    return [u.user for u in upserts]


@dataclass(frozen=True)
class Grant:
    """Operations one principal may perform on one resource (a literal name or a prefix)."""

    role: Role
    resource: Literal["topic", "group", "transactional_id", "cluster"]
    name: str
    operations: tuple[str, ...]
    why: str
    prefixed: bool = False


def grants(settings: Settings) -> list[Grant]:
    """Every ACL of the pipeline for these settings' topics (the admin is a super user and needs none)."""
    t, d, a = settings.topic_tickets, settings.topic_dlq, settings.topic_alerts
    e, b = settings.topic_events, settings.topic_breaches
    return [
        Grant(
            "producer",
            "topic",
            t,
            ("WRITE", "DESCRIBE", "DESCRIBE_CONFIGS"),
            "produce tickets; read the topic's max.message.bytes before sending",
        ),
        Grant(
            "producer",
            "topic",
            e,
            ("WRITE", "DESCRIBE", "DESCRIBE_CONFIGS"),
            "produce the tickets' lifecycle events",
        ),
        Grant("streaming", "topic", t, ("READ", "DESCRIBE"), "Spark's Kafka source reads the tickets"),
        Grant("streaming", "topic", e, ("READ", "DESCRIBE"), "Spark's Kafka source reads the lifecycle events"),
        Grant("streaming", "topic", b, ("WRITE", "DESCRIBE"), "SLA breaches, one transaction per micro-batch"),
        Grant("streaming", "topic", d, ("WRITE", "DESCRIBE"), "dead letters, one transaction per micro-batch"),
        Grant("streaming", "topic", a, ("WRITE", "DESCRIBE"), "critical tickets republished as alerts"),
        Grant(
            "streaming",
            "transactional_id",
            DLQ_PREFIX,
            ("WRITE", "DESCRIBE"),
            "the dead-letter publisher's transactions",
            prefixed=True,
        ),
        Grant(
            "streaming",
            "group",
            DLQ_PREFIX,
            ("READ", "DESCRIBE"),
            "the batch offsets committed inside each dead-letter transaction",
            prefixed=True,
        ),
        *_console_grants(settings),
    ]


def _console_grants(settings: Settings) -> list[Grant]:
    """Redpanda Console's principal, when configured: reads and describes, writes nothing."""
    if not settings.kafka_console_password:
        return []
    return [
        Grant("console", "topic", "*", ("READ", "DESCRIBE", "DESCRIBE_CONFIGS"), "browse every topic's records"),
        Grant("console", "group", "*", ("DESCRIBE",), "show consumer groups and their lag"),
        Grant("console", "cluster", "kafka-cluster", ("DESCRIBE", "DESCRIBE_CONFIGS"), "show brokers and configs"),
    ]


def _acls(settings: Settings, selected: Iterable[Grant]) -> list:
    out = []
    for g in selected:
        pattern = ResourcePattern(
            ResourceType[g.resource.upper()],
            g.name,
            ACLResourcePatternType.PREFIXED if g.prefixed else ACLResourcePatternType.LITERAL,
        )
        out += [
            ACL(principal(settings, g.role), "*", ACLOperation[op], ACLPermissionType.ALLOW, pattern)
            for op in g.operations
        ]
    return out


def ensure_acls(admin: KafkaAdminClient, settings: Settings) -> int:
    """Create the ACLs of `grants` (idempotent: the broker ignores one that exists); returns how many."""
    if not enabled(settings):
        return 0
    acls = _acls(settings, grants(settings))
    result = admin.create_acls(acls)
    if result["failed"]:
        raise StackError(
            f"The broker refused {len(result['failed'])} ACLs ({result['failed'][0]}): "
            f"KAFKA_ADMIN_USER={principal_name(settings, 'admin')} must be a super user of the broker."
        )
    return len(acls)


def drop_topic_acls(admin: KafkaAdminClient, settings: Settings, topics: Iterable[str]) -> None:
    """Delete every ACL naming one of `topics` literally (the topics are being deleted)."""
    if not enabled(settings):
        return
    filters = [
        ACLFilter(
            None,
            None,
            ACLOperation.ANY,
            ACLPermissionType.ANY,
            ResourcePatternFilter(ResourceType.TOPIC, t, ACLResourcePatternType.LITERAL),
        )
        for t in topics
    ]
    if filters:
        admin.delete_acls(filters)
