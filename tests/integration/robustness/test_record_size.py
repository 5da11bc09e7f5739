"""Record size limits, end to end, on a small isolated topic (max.message.bytes = 64 KiB).

- A record **over** the topic's limit is refused by the producer, before the broker, with an
  error that names the limit; it counts as failed (so `hybridflow produce` exits 1) — with
  either client — and the records around it are delivered.
- A record **just under** the limit (far over MAX_PAYLOAD_BYTES) reaches the topic; the real
  streaming job dead-letters it as ``oversized_payload`` with its original bytes, and the valid
  tickets of the same micro-batch land in the lake: the batch is not broken. The dead-letter
  topic has the room for it (created with headroom over the tickets topic).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer

from hybridflow import lake
from hybridflow.config import Settings
from hybridflow.kafka import ensure_topics
from hybridflow.kafka.access import ensure_acls
from hybridflow.kafka.admin import admin_client
from hybridflow.kafka.security import client_options
from hybridflow.kafka.topics import DLQ_HEADROOM_BYTES, delete_topics, max_message_bytes, wanted_topics
from hybridflow.services import StackUp
from hybridflow.streaming.job import run_pipeline
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import Event, MalformedKind, valid_event
from hybridflow.tickets.producer import produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LIMIT = 64 * 1024
N_VALID = 40


@pytest.fixture(scope="module")
def small(settings: Settings, stack: StackUp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Isolated topics whose tickets topic takes records of at most 64 KiB; lake and checkpoints in a temp dir."""
    uid = uuid.uuid4().hex[:10]
    base = tmp_path_factory.mktemp("record-size")
    small = settings.with_(topic_tickets=f"size_tickets_{uid}", topic_dlq=f"size_dlq_{uid}", topic_alerts=f"size_alerts_{uid}", topic_events=f"size_events_{uid}", topic_breaches=f"size_breaches_{uid}", lake_uri=(base / "lake").as_uri(), checkpoint_uri=(base / "checkpoints").as_uri())  # fmt: skip
    limited = {
        "num_partitions": small.topic_partitions,
        "replication_factor": 1,
        "configs": {"max.message.bytes": str(LIMIT)},
    }
    with admin_client(small) as admin:
        admin.create_topics({small.topic_tickets: limited, f"{small.topic_tickets}_probe": limited})
        # The producer may write only topics granted to it: the probe gets the tickets topic's grants.
        ensure_acls(admin, small.with_(topic_tickets=f"{small.topic_tickets}_probe"))
    ensure_topics(small)  # the dead-letter and alerts topics, as `make up` makes them
    yield small
    delete_topics(small, [*wanted_topics(small), f"{small.topic_tickets}_probe"])


def _ticket_of_size(size: int) -> bytes:
    """A well-formed ticket JSON of exactly `size` bytes (its request padded)."""
    base = TicketGenerator(3, datetime(2026, 1, 31, 9, tzinfo=UTC)).take(1)[0]
    head = base.model_copy(update={"request": ""}).to_bytes()
    return base.model_copy(update={"request": "x" * (size - len(head))}).to_bytes()


def test_the_dead_letter_topic_has_room_for_any_record_the_tickets_topic_takes(small: Settings) -> None:
    assert max_message_bytes(small, small.topic_tickets) == LIMIT
    assert max_message_bytes(small, small.topic_dlq) == LIMIT + DLQ_HEADROOM_BYTES


@pytest.mark.parametrize("client", ["kafka-python", "confluent"])
def test_a_record_over_the_limit_fails_naming_the_limit_and_the_rest_is_sent(small: Settings, client: str) -> None:
    probe = f"{small.topic_tickets}_probe"  # same limit, so the job's topic keeps exactly its input
    ok = valid_event(TicketGenerator(9, datetime(2026, 1, 31, 9, tzinfo=UTC)).take(1)[0])
    too_big = Event(key=b"C00001", value=_ticket_of_size(LIMIT + 1), kind=MalformedKind.OVERSIZED_PAYLOAD)
    summary = produce([ok, too_big, ok], small, topic=probe, progress=False, client=client)
    print(f"{client}: {summary.line()}")
    assert (summary.sent, summary.failed) == (2, 1)  # so `hybridflow produce` exits 1
    assert summary.first_error == (
        f"RecordTooLarge: a record of {LIMIT + 7:,} bytes is larger than max.message.bytes of topic {probe!r} "
        f"({LIMIT:,} bytes), so it was not sent: shorten it, or raise the topic's max.message.bytes"
    )  # 65,537 bytes of value + the 6-byte key


def _dead_letters(settings: Settings) -> list:
    consumer = KafkaConsumer(
        settings.topic_dlq, bootstrap_servers=settings.bootstrap_list, isolation_level="read_committed",
        **client_options(settings, "kafka-python", "admin"),
        auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=5000,
        fetch_max_bytes=4 * LIMIT, max_partition_fetch_bytes=4 * LIMIT,
    )  # fmt: skip
    try:
        return list(consumer)
    finally:
        consumer.close()


def test_a_record_just_under_the_limit_is_dead_lettered_without_breaking_its_batch(spark, small: Settings) -> None:
    tickets = TicketGenerator(21, datetime(2026, 1, 31, 9, tzinfo=UTC)).take(N_VALID)
    big = _ticket_of_size(LIMIT - 1024)  # under the broker's limit, 6x over MAX_PAYLOAD_BYTES
    events = [valid_event(t) for t in tickets[: N_VALID // 2]]
    events += [Event(b"C00002", big, MalformedKind.OVERSIZED_PAYLOAD)]
    events += [valid_event(t) for t in tickets[N_VALID // 2 :]]
    summary = produce(events, small, progress=False)
    assert (summary.sent, summary.failed) == (N_VALID + 1, 0)

    run_pipeline(spark, small, available_now=True, timeout_s=300, progress=False)

    lake_ids = sorted(lake.TICKETS.to_pandas(small, columns=["ticket_id"])["ticket_id"])  # read without Spark
    assert lake_ids == sorted(t.ticket_id for t in tickets)
    letters = _dead_letters(small)
    assert len(letters) == 1
    headers = dict(letters[0].headers)
    assert headers["dlq.reason"] == b"oversized_payload"
    assert headers["dlq.detail"].startswith(f"{len(big)} bytes > {small.max_payload_bytes}".encode())
    assert letters[0].value == big and letters[0].key == b"C00002"
