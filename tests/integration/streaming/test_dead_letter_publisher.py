"""`DeadLetterPublisher` on the real broker, read the way its consumers read it (`read_committed`).

Once per batch across a restart of the job; a zombie (an earlier incarnation, fenced by the
new one's start) fails its next batch at once instead of fencing back; and closing a failed
publisher never raises, so it cannot hide the error that stopped the job.
"""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import KafkaException

from hybridflow.config import Settings
from hybridflow.kafka.consumer import read_committed
from hybridflow.streaming.sinks import DeadLetterPublisher

pytestmark = pytest.mark.integration


def letters(s: Settings, offsets: range, partition: int = 0) -> list[dict]:
    """Dead-letter rows as the job collects them (`transforms.dead_letters`, through Arrow)."""
    return [
        {
            "key": f"k{partition}-{o}".encode(),
            "value": f"not json {partition}-{o}".encode(),
            "headers": [{"key": "dlq.reason", "value": b"malformed_json"}],
            "source_topic": s.topic_tickets,
            "source_partition": partition,
            "source_offset": o,
        }
        for o in offsets
    ]


def landed(s: Settings) -> list[str]:
    """The dead-letter topic's values, as a `read_committed` consumer sees them."""
    return sorted(record["value"] for record in read_committed(s, s.topic_dlq))


def values(rows: list[dict]) -> list[str]:
    return sorted(row["value"].decode() for row in rows)


def test_a_batch_replayed_after_a_restart_is_published_once(isolated_settings: Settings) -> None:
    s, app = isolated_settings, uuid.uuid4().hex
    first, second = letters(s, range(0, 40, 2)), letters(s, range(3), partition=1) + letters(s, range(41, 50))
    before = DeadLetterPublisher(s, app)
    assert before.publish(first) == len(first)
    before.close()
    after = DeadLetterPublisher(s, app)  # the restarted job: Spark replays the last batch, then goes on
    try:
        assert after.publish(first) == 0
        assert after.publish(second) == len(second)
    finally:
        after.close()
    assert landed(s) == values(first + second)


def test_a_fenced_zombie_fails_its_next_batch_at_once_and_closes_quietly(isolated_settings: Settings) -> None:
    s, app = isolated_settings, uuid.uuid4().hex
    first, second = letters(s, range(10)), letters(s, range(10, 20))
    zombie = DeadLetterPublisher(s, app)
    assert zombie.publish(first) == len(first)
    live = DeadLetterPublisher(s, app)  # same transactional id: fences the zombie
    started = time.monotonic()
    with pytest.raises(KafkaException) as raised:
        zombie.publish(second)
    assert raised.value.args[0].name() in DeadLetterPublisher.FENCED
    assert time.monotonic() - started < s.kafka_request_timeout_ms / 1000, "a fenced publisher must not retry"
    zombie.close()  # raises nothing, although its producer is in a fatal state
    try:
        assert live.publish(second) == len(second)  # the zombie did not fence the live one back
    finally:
        live.close()
    assert landed(s) == values(first + second)
