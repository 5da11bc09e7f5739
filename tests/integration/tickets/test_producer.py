"""Producing to the real broker, with each client: every event lands, keyed by client, one client on one partition."""

from __future__ import annotations

import itertools
import json
import time
from collections import defaultdict

import pytest
from kafka import KafkaConsumer

from hybridflow.bench.produce import rate_check
from hybridflow.cli import main
from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.kafka.security import client_options
from hybridflow.tickets.generator import EXAMPLE_START, TicketGenerator
from hybridflow.tickets.model import Ticket
from hybridflow.tickets.producer import CLIENTS, make_producer, produce

pytestmark = pytest.mark.integration


def consume_all(settings: Settings, expected: int, timeout_s: float = 60.0) -> list:
    """Every record of the tickets topic from the beginning (stops at `expected` or the timeout)."""
    consumer = KafkaConsumer(
        settings.topic_tickets,
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
        # One more short poll: more than `expected` records would be a bug too.
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    finally:
        consumer.close()
    return records


@pytest.mark.parametrize("client", CLIENTS)
def test_valid_and_malformed_events_land_keyed_by_client(isolated_settings: Settings, client: str):
    n_valid, n_malformed = 360, 40  # ratio 0.1 over 400 events: exactly 40 malformed
    events = list(itertools.islice(TicketGenerator(21, EXAMPLE_START).events(0.1, max_payload_bytes=10_000), 400))
    assert sum(not e.is_valid for e in events) == n_malformed

    summary = produce(events, isolated_settings, progress=False, client=client)
    assert (summary.sent, summary.failed, summary.malformed) == (n_valid + n_malformed, 0, n_malformed)
    assert summary.client == client and f"via {client}" in summary.line()

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


def test_both_clients_put_a_client_on_the_same_partition(isolated_settings: Settings):
    # Java's murmur2 mapping in both: a consumer sees one client's tickets in one partition whoever produced them.
    events = list(itertools.islice(TicketGenerator(5, EXAMPLE_START).events(), 300))
    for client in CLIENTS:
        assert produce(events, isolated_settings, progress=False, client=client).failed == 0
    partitions: dict[bytes, set[int]] = defaultdict(set)
    for record in consume_all(isolated_settings, 2 * len(events)):
        partitions[record.key].add(record.partition)
    assert len(partitions) > 10 and all(len(p) == 1 for p in partitions.values())


@pytest.mark.parametrize("client", CLIENTS)
def test_headers_are_on_every_record(isolated_settings: Settings, client: str):
    headers = [("content-type", b"application/json"), ("source", b"hybridflow-test")]
    events = list(itertools.islice(TicketGenerator(6, EXAMPLE_START).events(), 50))
    assert produce(events, isolated_settings, progress=False, client=client, headers=headers).sent == 50
    records = consume_all(isolated_settings, 50)
    assert len(records) == 50 and all(list(r.headers) == headers for r in records)


def test_an_existing_producer_is_reused_and_left_open(isolated_settings: Settings):
    producer = make_producer(isolated_settings)
    try:
        events = list(itertools.islice(TicketGenerator(7, EXAMPLE_START).events(), 20))
        assert produce(events, isolated_settings, progress=False, producer=producer).sent == 20
        assert produce(events, isolated_settings, progress=False, producer=producer).sent == 20
    finally:
        producer.close()
    assert len(consume_all(isolated_settings, 40)) == 40


@pytest.mark.parametrize("client", CLIENTS)
def test_rate_limited_mode_holds_its_rate(settings: Settings, stack, client: str):
    # 5,000 tickets/s for 10 s, the rate read back from the records' own timestamps (first and last
    # record of each partition), so neither a slow consumer nor a wall clock around the call can blur it.
    # The limiter catches up after a stall of up to 1 s, which keeps this within 2 % on a busy machine.
    check = rate_check(settings, client, rate=5_000, seconds=10)
    assert check.records == 50_000
    assert check.deviation <= 0.02, check.line()  # never faster than asked, however busy the machine
    if check.deviation < -0.02 and check.behind_s > 0:
        # Not the limiter's doing: the producer could not get the CPU for 5,000/s (others' jobs on 2 cores).
        pytest.skip(f"machine too busy to produce 5,000/s with {client} just now: {check.line().strip()}")
    assert check.deviation >= -0.02, check.line()


@pytest.mark.parametrize("client", CLIENTS)
def test_produce_command_sends_count_events(isolated_settings: Settings, monkeypatch, capsys, client: str):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", isolated_settings.kafka_bootstrap_servers)
    code = main(
        ["produce", "--count", "50", "--seed", "4", "--malformed-ratio", "0.1", "--rate", "500",
         "--start", "2026-01-31T09:00:00Z", "--topic", isolated_settings.topic_tickets, "--no-progress",
         "--client", client]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "50 sent (5 malformed on purpose), 0 failed" in out and f"via {client}" in out
    assert len(consume_all(isolated_settings, 50)) == 50


@pytest.mark.parametrize("client", CLIENTS)
def test_missing_topic_is_a_clear_error(isolated_settings: Settings, client: str):
    missing = isolated_settings.with_(topic_tickets=isolated_settings.topic_tickets + "_missing")
    with pytest.raises(StackError, match=r"does not exist.*make up"):
        produce(iter(()), missing, progress=False, client=client)
