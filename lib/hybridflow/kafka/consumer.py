"""Read a topic back: every committed record from the beginning to its end (kafka-python, no consumer group).

`read_committed`, as the dead letters' readers must: records of a transaction a crash aborted
are never returned (plain produced records are all committed). The notebooks, the report's
checks and the tests read the tickets and dead-letter topics this way.
"""

from __future__ import annotations

import logging

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.kafka.security import client_options
from hybridflow.probes import wait_until

log = logging.getLogger(__name__)


def read_committed(settings: Settings, topic: str, timeout_s: float = 20.0) -> list[dict[str, object]]:
    """The committed records of `topic` up to its end offsets when called, as dicts.

    Each record: partition, offset, key (text or None), timestamp_ms, bytes, value (text), headers (name -> text).
    What arrived within `timeout_s` is returned (with a warning) when the end is not reached in time.
    """
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_list,
        client_id="hybridflow-reader",
        enable_auto_commit=False,
        group_id=None,
        isolation_level="read_committed",
        request_timeout_ms=settings.kafka_request_timeout_ms + 1000,
        # the report reads every topic: the operator's principal
        **client_options(settings, "kafka-python", "admin"),
    )
    rows: list[dict[str, object]] = []
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)

        def read_to_end() -> bool:
            if all(consumer.position(tp) >= end[tp] for tp in partitions):
                return True
            for tp, records in consumer.poll(timeout_ms=500).items():
                rows.extend(
                    {
                        "partition": r.partition,
                        "offset": r.offset,
                        "key": r.key.decode("utf-8") if r.key else None,
                        "timestamp_ms": r.timestamp,
                        "bytes": len(r.value or b""),
                        "value": (r.value or b"").decode("utf-8", errors="replace"),
                        "headers": {k: v.decode("utf-8", "replace") for k, v in (r.headers or [])},
                    }
                    for r in records
                    if r.offset < end[tp]
                )
            return False

        try:
            wait_until(read_to_end, timeout_s, what=f"Reading {topic} to its end", fix="check the broker", interval_s=0)
        except StackError:  # return what arrived within timeout_s
            log.warning("%s was not read to its end within %.0f s", topic, timeout_s)
    finally:
        consumer.close()
    return rows
