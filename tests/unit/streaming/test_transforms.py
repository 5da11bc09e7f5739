"""The streaming transforms on static DataFrames shaped like Kafka records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pyspark.sql import Row

from hybridflow.streaming import transforms
from hybridflow.tickets.model import FIELD_NAMES, Ticket, example
from hybridflow.tickets.reference import sla_for, team_for

KAFKA_SCHEMA = "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"
MAX_BYTES = 2_000


def kafka_rows(spark, values: list[bytes | None]):
    """A static DataFrame with the Kafka source's columns, one row per value."""
    t0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    rows = [
        Row(key=b"C00042", value=v, topic="client_tickets", partition=i % 3, offset=i, timestamp=t0)
        for i, v in enumerate(values)
    ]
    return spark.createDataFrame(rows, KAFKA_SCHEMA)


def good(**changes) -> dict:
    return json.loads(example().to_json()) | changes


def encode(doc: dict) -> bytes:
    return json.dumps(doc).encode()


def validated(spark, values):
    return transforms.validate(transforms.decode(kafka_rows(spark, values)), MAX_BYTES)


def test_valid_ticket_passes_with_typed_fields(spark):
    out = transforms.valid_tickets(validated(spark, [example().to_bytes()])).collect()
    assert len(out) == 1
    ticket = Ticket.model_validate(
        {name: out[0][name] for name in FIELD_NAMES} | {"created_at": out[0]["created_at"].replace(tzinfo=UTC)}
    )
    assert ticket == example()


def without(field: str) -> dict:
    doc = good()
    del doc[field]
    return doc


@pytest.mark.parametrize(
    ("value", "reason", "detail_part"),
    [
        (None, "malformed_json", "empty"),
        (b'{"ticket_id": "abc", ', "malformed_json", "JSON"),
        (b"[1, 2, 3]", "not_an_object", "ARRAY"),
        (encode(without("created_at")), "missing_field", "created_at"),
        (encode(good(priority=None)), "missing_field", "priority"),
        (encode(good(priority=3)), "wrong_type", "priority"),
        (encode(good(request={"text": "hello"})), "wrong_type", "request"),
        (encode(good(client_id="42")), "invalid_value", "client_id"),
        (encode(good(ticket_id="not-a-uuid")), "invalid_value", "ticket_id"),
        (encode(good(request="")), "invalid_value", "request"),
        (encode(good(request="   ")), "invalid_value", "request"),
        (encode(good(created_at="31/01/2026 09:15")), "bad_timestamp", "31/01/2026"),
        (encode(good(created_at="2026-13-45T09:15:00Z")), "bad_timestamp", "2026-13-45"),
        (encode(good(request_type="refund")), "unknown_enum", "request_type: refund"),
        (encode(good(priority="urgent")), "unknown_enum", "priority: urgent"),
        (encode(good(request="x" * (MAX_BYTES + 10))), "oversized_payload", "bytes"),
    ],
)
def test_each_malformed_kind_gets_its_reason(spark, value, reason, detail_part):
    rows = validated(spark, [value]).select("error.reason", "error.detail").collect()
    assert rows[0]["reason"] == reason
    assert detail_part in rows[0]["detail"]
    if value is not None and reason != "oversized_payload":
        with pytest.raises(ValueError):  # the pydantic model agrees it is invalid
            Ticket.from_json(value)


def test_every_record_lands_on_exactly_one_side(spark):
    values = [example().to_bytes(), b"nope", encode(good(priority="urgent")), example().to_bytes()]
    df = validated(spark, values)
    valid = transforms.valid_tickets(df).count()
    letters = transforms.dead_letters(df).collect()
    assert valid + len(letters) == len(values)
    assert valid == 2


def test_dead_letters_keep_original_bytes_and_source_coordinates(spark):
    bad = encode(good(priority="urgent"))
    letters = transforms.dead_letters(validated(spark, [example().to_bytes(), bad]))
    row = letters.collect()[0]
    headers = {h["key"]: bytes(h["value"]).decode() for h in row["headers"]}
    assert bytes(row["value"]) == bad
    assert bytes(row["key"]) == b"C00042"
    assert headers["dlq.reason"] == "unknown_enum"
    assert headers["dlq.source.topic"] == "client_tickets"
    assert (headers["dlq.source.partition"], headers["dlq.source.offset"]) == ("1", "1")
    assert set(headers) == set(transforms.DLQ_HEADERS)


def test_read_dead_letter_headers_round_trips(spark):
    letters = transforms.dead_letters(validated(spark, [b"{oops"])).withColumn(
        "timestamp", transforms.F.current_timestamp()
    )
    flat = transforms.read_dead_letter_headers(letters).collect()[0]
    assert (flat["reason"], flat["source_offset"], flat["value"]) == ("malformed_json", 0, "{oops")


@pytest.mark.parametrize("request_type", ["billing", "technical", "account", "general"])
@pytest.mark.parametrize("priority", ["low", "critical"])
def test_enrich_adds_team_and_sla_due_times(spark, request_type, priority):
    value = encode(good(request_type=request_type, priority=priority))
    valid = transforms.valid_tickets(validated(spark, [value]))
    row = transforms.enrich(valid).collect()[0]
    created = example().created_at.replace(tzinfo=None)
    assert (row["team_id"], row["team_name"]) == (team_for(request_type).team_id, team_for(request_type).team_name)
    assert row["sla_resolution_hours"] == sla_for(priority).resolution_hours
    assert row["first_response_due"] == created + timedelta(minutes=sla_for(priority).first_response_minutes)
    assert row["resolution_due"] == created + timedelta(hours=sla_for(priority).resolution_hours)
    assert str(row["created_date"]) == "2026-01-31"


def test_windowed_counts_group_by_window_type_and_priority(spark):
    base = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    minutes = [0, 0, 0, 1, 1, 5]
    values = [
        encode(
            good(
                created_at=(base + timedelta(minutes=m, seconds=7)).isoformat().replace("+00:00", "Z"),
                priority="high" if i == 1 else "medium",
            )
        )
        for i, m in enumerate(minutes)
    ]
    valid = transforms.valid_tickets(validated(spark, values))
    counts = transforms.windowed_counts(valid, "1 minute", "30 seconds").collect()
    got = {(r["window_start"].minute, r["priority"]): r["tickets"] for r in counts}
    assert got == {(0, "medium"): 2, (0, "high"): 1, (1, "medium"): 2, (5, "medium"): 1}
    assert all(r["window_end"] - r["window_start"] == timedelta(minutes=1) for r in counts)


def test_spark_and_the_model_agree_on_every_generated_event(spark):
    """Every malformed kind the generator makes gets that very reason in Spark; valid ones pass both."""
    from hybridflow.tickets.generator import TicketGenerator
    from hybridflow.tickets.malformed import MalformedKind, mix

    tickets = TicketGenerator(5, datetime(2026, 1, 31, 9, tzinfo=UTC)).take(200)
    limit = 10_000  # above the longest valid request (2,000 characters), as in the default settings
    events = list(mix(tickets, 0.4, seed=5, max_payload_bytes=limit))
    assert {e.kind for e in events if e.kind} == set(MalformedKind)  # every kind is exercised
    decoded = transforms.decode(kafka_rows(spark, [e.value for e in events]))
    rows = transforms.validate(decoded, limit).select("error.reason").collect()
    for event, row in zip(events, rows, strict=True):
        assert row["reason"] == (event.kind.value if event.kind else None), event.value[:200]


def test_extra_fields_are_ignored_like_the_model_does(spark):
    value = encode(good(channel="email"))
    assert Ticket.from_json(value) == example()
    assert transforms.valid_tickets(validated(spark, [value])).count() == 1


@pytest.mark.parametrize(
    ("slots", "partitions", "real_time"), [(6, 3, True), (5, 3, True), (4, 3, False), (2, 1, False)]
)
def test_real_time_mode_only_when_it_leaves_slots_for_the_micro_batch_queries(slots, partitions, real_time):
    from hybridflow.config import get_settings
    from hybridflow.streaming.sinks import real_time_possible

    assert real_time_possible(slots, get_settings(topic_partitions=partitions)) is real_time


def test_alerts_keep_only_valid_tickets_of_the_alerting_priorities(spark):
    rows = validated(spark, [example().to_bytes(), b"{oops"])
    enriched = transforms.enrich(transforms.valid_tickets(rows))
    assert transforms.alerts(enriched, ("critical",)).count() == 0  # the example ticket is medium
    alerts = transforms.alerts(enriched, ("medium",)).collect()
    assert len(alerts) == 1 and bytes(alerts[0]["key"]).decode() == example().ticket_id
    body = json.loads(bytes(alerts[0]["value"]))
    assert body["priority"] == "medium" and body["team_id"] and body["first_response_due"]
