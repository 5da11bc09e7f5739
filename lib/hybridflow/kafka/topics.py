"""The pipeline's topics, as data and on the broker: idempotent creation (with their ACLs), listing, deletion.

Topics are created explicitly (the local broker runs with ``auto.create.topics.enable=false``,
as production clusters usually do), so a misspelt topic name fails loudly instead of
silently creating a new, empty topic.

Partitions:

- ``settings.topic_tickets``: ``settings.topic_partitions`` (default 3), keyed by ``client_id``
  so one client's tickets stay in order, and up to 3 Spark tasks read in parallel.
- ``settings.topic_dlq``: ``DLQ_PARTITIONS = 1``. Dead letters are rare (only malformed events),
  are read by people and tests rather than by a parallel consumer, and carry their own
  source topic/partition/offset, so one partition costs nothing in throughput and keeps
  them in one total order, which makes a dead-letter topic easy to inspect and replay.

Record size: a record larger than a topic's ``max.message.bytes`` is refused by the broker.
The dead-letter topic is created with ``DLQ_HEADROOM_BYTES`` more than the tickets topic,
because a dead letter is the original record plus its ``dlq.*`` headers: whatever the tickets
topic accepted, the dead-letter topic accepts too (`max_message_bytes` reads the limit).
"""

from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError, TopicAlreadyExistsError

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.kafka import access
from hybridflow.kafka.admin import admin_client, unreachable
from hybridflow.kafka.security import Role
from hybridflow.probes import wait_until

DLQ_PARTITIONS = 1
REPLICATION_FACTOR = 1  # single-node broker; Redpanda in Compose is single-node too
DLQ_HEADROOM_BYTES = 64 * 1024  # the dlq.* headers and the record framing on top of the original record

log = logging.getLogger(__name__)


def wanted_topics(settings: Settings) -> dict[str, int]:
    """Every topic the pipeline uses, with its partition count, from the settings."""
    return {
        settings.topic_tickets: settings.topic_partitions,
        settings.topic_dlq: DLQ_PARTITIONS,
        # Alerts keep the tickets' partitioning: keyed by ticket id, read by on-call tools in parallel.
        settings.topic_alerts: settings.topic_partitions,
        # Lifecycle events keyed by ticket id: one ticket's events keep their order, tickets spread over partitions.
        settings.topic_events: settings.topic_partitions,
        # SLA breaches keyed by ticket id, like the alerts.
        settings.topic_breaches: settings.topic_partitions,
    }


def _partition_counts(admin: KafkaAdminClient, names: list[str] | None = None) -> dict[str, int]:
    counts = {}
    for topic in admin.describe_topics(names):
        if topic.get("error_code", 0) == 0 and not topic.get("is_internal", False):
            counts[topic["name"]] = len(topic.get("partitions") or [])
    return counts


def _topic_limit(admin: KafkaAdminClient, topic: str) -> int:
    configs = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": None})], config_filter="all"
    )
    return int(configs["topic"][topic]["max.message.bytes"]["value"])


def max_message_bytes(settings: Settings, topic: str, role: Role = "admin") -> int:
    """The largest record (batch) the broker accepts on `topic`: its ``max.message.bytes``, in bytes.

    Raises:
        StackError: the broker is not reachable, or the topic does not exist.
    """
    try:
        with admin_client(settings, role=role) as admin:
            try:
                return _topic_limit(admin, topic)
            except KeyError:  # a topic created a moment ago may not show its configs yet: once more, shortly after
                time.sleep(0.5)
                return _topic_limit(admin, topic)
    except (KafkaError, KeyError) as exc:
        raise StackError(
            f"Cannot read max.message.bytes of topic {topic!r} on {settings.kafka_bootstrap_servers} "
            f"({type(exc).__name__}): run `make up` (it creates the topics) or check the TOPIC_* settings."
        ) from None


def _create(admin: KafkaAdminClient, settings: Settings, topics: dict[str, dict], timeout_ms: int) -> None:
    """Create topics ({name: create options}); one that already exists (a concurrent caller won) is fine."""
    if not topics:
        return
    response = admin.create_topics(topics, timeout_ms=timeout_ms, raise_errors=False)
    for topic in response["topics"]:
        code = topic.get("error_code", 0)
        if code not in (0, TopicAlreadyExistsError.errno):
            raise StackError(
                f"The broker refused to create topic {topic['name']!r} "
                f"({topic.get('error_message') or code}): check the broker log under {settings.state_dir / 'logs'}."
            )


def ensure_topics(settings: Settings, timeout_s: float | None = None) -> dict[str, int]:
    """Create the pipeline's topics if missing (idempotent); return name -> partition count.

    A topic that exists with fewer partitions than configured is grown (Kafka cannot
    shrink one); note that growing changes which partition a key maps to from then on.

    Raises:
        StackError: broker unreachable, or the broker refused to create a topic.
    """
    timeout_ms = int(timeout_s * 1000) if timeout_s else settings.kafka_request_timeout_ms
    wanted = wanted_topics(settings)
    try:
        with admin_client(settings, timeout_ms=timeout_ms) as admin:
            existing = set(admin.list_topics())
            options = {n: {"num_partitions": p, "replication_factor": REPLICATION_FACTOR} for n, p in wanted.items()}
            dlq = settings.topic_dlq
            _create(admin, settings, {n: o for n, o in options.items() if n not in existing and n != dlq}, timeout_ms)
            if dlq not in existing:
                # A topic created a moment ago may not show its configs yet: poll until it does.
                def limit() -> int | None:
                    try:
                        return _topic_limit(admin, settings.topic_tickets)
                    except KeyError:
                        return None

                room = wait_until(
                    limit,
                    timeout_s=timeout_ms / 1000,
                    what=f"The configs of topic {settings.topic_tickets!r}",
                    fix="check `hybridflow status` and the broker log, then rerun",
                    interval_s=0.1,
                )
                room += DLQ_HEADROOM_BYTES
                _create(
                    admin, settings, {dlq: options[dlq] | {"configs": {"max.message.bytes": str(room)}}}, timeout_ms
                )
            counts = _partition_counts(admin, list(wanted))
            grow = {n: p for n, p in wanted.items() if counts.get(n, p) < p}
            if grow:
                log.warning("growing partitions: %s", grow)
                admin.create_partitions(grow, timeout_ms=timeout_ms)
            admin.wait_for_topics(list(wanted), timeout_ms=timeout_ms)
            # Each principal's rights on these very topics (a test's or the report's topics included).
            access.ensure_acls(admin, settings)

            # Created/grown partitions reach the metadata cache a moment after the controller
            # acknowledges them: poll until every topic shows at least the wanted count.
            def complete() -> dict[str, int] | None:
                counts = _partition_counts(admin, list(wanted))
                return counts if all(counts.get(n, 0) >= p for n, p in wanted.items()) else None

            return wait_until(
                complete,
                timeout_s=timeout_ms / 1000,
                what=f"The partitions of topics {sorted(wanted)}",
                fix="check `hybridflow status` and the broker log, then rerun",
                interval_s=0.1,
            )
    except KafkaError as exc:
        raise StackError(
            f"Creating topics {sorted(wanted)} on {settings.kafka_bootstrap_servers} failed ({type(exc).__name__}: {exc}): "
            "check `hybridflow status` and the broker log, then rerun."
        ) from None


def describe_topics(settings: Settings, include_internal: bool = False, role: Role = "admin") -> dict[str, int]:
    """Every topic on the broker `role` may see, with its partition count (internal topics only if asked)."""
    try:
        with admin_client(settings, role=role) as admin:
            topics = admin.describe_topics()
    except KafkaError as exc:
        raise unreachable(settings, type(exc).__name__) from None
    return {
        t["name"]: len(t.get("partitions") or [])
        for t in sorted(topics, key=lambda t: t["name"])
        if t.get("error_code", 0) == 0 and (include_internal or not t.get("is_internal", False))
    }


def delete_topics(settings: Settings, names: list[str]) -> None:
    """Delete topics and their ACLs (tests clean up their isolated topics with this); missing ones are ignored."""
    with admin_client(settings) as admin:
        existing = set(admin.list_topics())
        present = [n for n in names if n in existing]
        if present:
            admin.delete_topics(present, timeout_ms=settings.kafka_request_timeout_ms, raise_errors=False)
        access.drop_topic_acls(admin, settings, names)
