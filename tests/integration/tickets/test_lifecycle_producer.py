"""Producing a lifecycle sample to the real broker: tickets and events land on their topics, keyed, exactly once each."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer

from hybridflow.cli import main
from hybridflow.config import Settings
from hybridflow.kafka.security import client_options
from hybridflow.simulation.lifecycle import (
    EVENTS,
    TICKETS,
    expected_outcome,
    lifecycle_records,
    produce_lifecycle_sample,
)
from hybridflow.tickets.lifecycle import LifecycleEvent
from hybridflow.tickets.producer import CLIENTS

pytestmark = pytest.mark.integration

START = datetime(2026, 1, 31, 9, tzinfo=UTC)


def consume(settings: Settings, topic: str, expected: int, timeout_s: float = 60.0) -> list:
    """Every record of `topic` from the beginning (stops at `expected`, then one more short poll, or the timeout)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_list,
        **client_options(settings, "kafka-python", "admin"),
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
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    finally:
        consumer.close()
    return records


@pytest.mark.parametrize("client", CLIENTS)
def test_a_lifecycle_sample_lands_on_both_topics(isolated_settings: Settings, client: str):
    settings = isolated_settings
    expected = list(lifecycle_records(settings, 150, 11, START, malformed_ratio=0.05))
    summary = produce_lifecycle_sample(settings, 150, 11, start=START, malformed_ratio=0.05, client=client)
    tickets = [r for r in expected if r.role == TICKETS]
    events = [r for r in expected if r.role == EVENTS]
    assert (summary.sent, summary.failed) == (len(expected), 0), summary.line()
    assert (summary.tally(TICKETS).records, summary.tally(EVENTS).records) == (150, len(events))
    assert summary.tally(EVENTS).malformed == sum(r.kind is not None for r in events) > 0

    landed_tickets = consume(settings, settings.topic_tickets, len(tickets))
    landed_events = consume(settings, settings.topic_events, len(events))
    assert sorted(r.value for r in landed_tickets) == sorted(r.value for r in tickets)
    assert sorted((r.key or b"", r.value) for r in landed_events) == sorted((r.key or b"", r.value) for r in events)

    # One ticket's events share a key, hence a partition, where they keep the order they were sent in.
    sent_order: dict[bytes, list[bytes]] = defaultdict(list)
    for record in events:
        if record.key is not None:
            sent_order[record.key].append(record.value)
    landed_order: dict[bytes, list[bytes]] = defaultdict(list)
    partitions: dict[bytes, set[int]] = defaultdict(set)
    for record in sorted(landed_events, key=lambda r: (r.partition, r.offset)):
        if record.key is not None:
            landed_order[record.key].append(record.value)
            partitions[record.key].add(record.partition)
    assert landed_order == sent_order and all(len(p) == 1 for p in partitions.values())

    # What landed tells the same story as the simulation's oracle.
    outcome = expected_outcome(expected)
    distinct = {LifecycleEvent.from_json(r.value).event_id for r in landed_events if _valid_event(r.value)}
    assert len(distinct) == sum(len(e) for e in outcome.events.values()) + len(outcome.unknown_ticket_events)


def _valid_event(value: bytes) -> bool:
    try:
        LifecycleEvent.from_json(value)
    except ValueError:
        return False
    return True


def test_produce_lifecycle_command(isolated_settings: Settings, monkeypatch, capsys):
    settings = isolated_settings
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", settings.kafka_bootstrap_servers)
    monkeypatch.setenv("TOPIC_EVENTS", settings.topic_events)
    code = main(
        ["produce", "--lifecycle", "--count", "60", "--seed", "4", "--rate", "500", "--arrival-rate", "0.05",
         "--start", "2026-01-31T09:00:00Z", "--topic", settings.topic_tickets, "--no-progress"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    expected = list(lifecycle_records(settings, 60, 4, START, arrival_rate=0.05))
    n_events = sum(r.role == EVENTS for r in expected)
    bad_tickets = sum(r.role == TICKETS and r.kind is not None for r in expected)
    assert f"60 tickets ({bad_tickets} malformed) to {settings.topic_tickets}" in out
    assert f"{n_events} events" in out and f"to {settings.topic_events}" in out
    assert len(consume(settings, settings.topic_events, n_events)) == n_events
