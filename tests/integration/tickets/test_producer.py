"""Producing to the real broker: every event lands, keyed by client, one client on one partition."""

from __future__ import annotations

import itertools
import json
import time
from collections import defaultdict
from datetime import datetime, timezone

import pytest
from hybridflow.cli import main
from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import mix
from hybridflow.tickets.model import Ticket
from hybridflow.tickets.producer import produce
from kafka import KafkaConsumer

pytestmark = pytest.mark.integration

START = datetime(2026, 1, 31, 9, 0, tzinfo=timezone.utc)


def consume_all(settings: Settings, expected: int, timeout_s: float = 60.0) -> list:
    """Every record of the tickets topic from the beginning (stops at `expected` or the timeout)."""
    consumer = KafkaConsumer(
        settings.topic_tickets,
        bootstrap_servers=settings.bootstrap_list,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=settings.kafka_request_timeout_ms + 5000,
        consumer_timeout_ms=2000,
    )
    records, deadline = [], time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
        # One more short poll: more than `expected` records would be a bug too.
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    finally:
        consumer.close()
    return records


def test_valid_and_malformed_events_land_keyed_by_client(isolated_settings: Settings):
    n_valid, n_malformed = 360, 40  # ratio 0.1 over 400 events: exactly 40 malformed
    tickets = TicketGenerator(21, START).tickets()
    stream = mix(tickets, 0.1, seed=21, max_payload_bytes=isolated_settings.max_payload_bytes)
    events = list(itertools.islice(stream, n_valid + n_malformed))
    assert sum(not e.is_valid for e in events) == n_malformed

    summary = produce(events, isolated_settings, progress=False)
    assert (summary.sent, summary.failed, summary.malformed) == (n_valid + n_malformed, 0, n_malformed)

    records = consume_all(isolated_settings, n_valid + n_malformed)
    assert len(records) == n_valid + n_malformed
    assert sorted(r.value for r in records) == sorted(e.value for e in events)

    partitions_of_client: dict[bytes, set[int]] = defaultdict(set)
    valid = []
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        try:
            ticket = Ticket.from_json(record.value)
        except ValueError:
            continue
        assert record.key == ticket.client_id.encode()
        partitions_of_client[record.key].add(record.partition)
        valid.append(ticket)
    assert len(valid) == n_valid
    assert all(len(p) == 1 for p in partitions_of_client.values())  # one client, one partition
    assert len({p for ps in partitions_of_client.values() for p in ps}) > 1  # and clients spread out

    # Per client, the broker keeps the order in which tickets were sent.
    sent_order = defaultdict(list)
    for e in events:
        if e.is_valid:
            sent_order[e.key].append(json.loads(e.value)["ticket_id"])
    landed_order = defaultdict(list)
    for t in valid:
        landed_order[t.client_id.encode()].append(t.ticket_id)
    assert landed_order == sent_order


def test_produce_command_sends_count_events(isolated_settings: Settings, monkeypatch, capsys):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", isolated_settings.kafka_bootstrap_servers)
    code = main(
        ["produce", "--count", "50", "--seed", "4", "--malformed-ratio", "0.1", "--rate", "500",
         "--start", "2026-01-31T09:00:00Z", "--topic", isolated_settings.topic_tickets, "--no-progress"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "50 sent (5 malformed on purpose), 0 failed" in out
    assert len(consume_all(isolated_settings, 50)) == 50


def test_missing_topic_is_a_clear_error(isolated_settings: Settings):
    missing = isolated_settings.model_copy(update={"topic_tickets": isolated_settings.topic_tickets + "_missing"})
    with pytest.raises(StackError, match="does not exist.*make up"):
        produce(iter(()), missing, progress=False)
