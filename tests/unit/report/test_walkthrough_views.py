"""The views behind notebooks 6 and 7's stage-by-stage walk-throughs, on tiny static frames."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice

import pandas as pd
from pyspark.sql import Row

from hybridflow.report import views
from hybridflow.streaming import transforms
from hybridflow.tickets.generator import TicketGenerator

KAFKA_SCHEMA = "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"
T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def kafka_sample(spark, n: int = 30, malformed: float = 0.1):
    """`n` generated events (some malformed) shaped as the Kafka source's records."""
    events = list(islice(TicketGenerator(7, T0).events(malformed), n))
    rows = [
        Row(key=e.key, value=e.value, topic="client_tickets", partition=i % 3, offset=i // 3, timestamp=T0)
        for i, e in enumerate(events)
    ]
    return spark.createDataFrame(rows, KAFKA_SCHEMA)


def test_schema_table_lists_the_columns_and_then_only_the_new_ones(spark):
    valid = transforms.valid_tickets(transforms.validate(transforms.decode(kafka_sample(spark)), 10_000))
    enriched = transforms.enrich(valid)
    every = views.schema_table(valid)
    assert list(every["colonne"]) == valid.columns
    assert dict(zip(every["colonne"], every["type Spark"], strict=True))["created_at"] == "timestamp"
    added = views.schema_table(enriched, after=valid)
    assert set(added["colonne"]) == set(enriched.columns) - set(valid.columns)
    assert "first_response_due" in set(added["colonne"]) and "ticket_id" not in set(added["colonne"])


def test_windows_at_watermark_marks_the_windows_a_stream_would_have_emitted(spark):
    times = ["09:00:10", "09:00:50", "09:01:20", "09:02:40"]
    tickets = spark.createDataFrame(
        [
            (f"T{i}", "C00001", datetime.fromisoformat(f"2026-01-31T{t}+00:00"), "technical", "high")
            for i, t in enumerate(times)
        ],
        "ticket_id string, client_id string, created_at timestamp, request_type string, priority string",
    )
    counts = transforms.windowed_counts(tickets, "1 minute", "30 seconds")
    watermark, frame = views.windows_at_watermark(counts, tickets, "30 seconds")
    assert watermark == pd.Timestamp("2026-01-31 09:02:10")  # latest event time minus the delay
    assert list(frame["tickets"]) == [2, 1, 1]
    assert list(frame["émise par le flux"]) == [True, True, False]  # 09:02-09:03 ends after the watermark
    totals = views.window_totals(frame)
    assert list(totals["tickets"]) == [2, 1, 1] and list(totals["émise par le flux"]) == [True, True, False]


def test_same_rows_compares_only_the_expected_keys_and_sees_any_difference(spark):
    schema = "ticket_id string, tier string"
    expected = spark.createDataFrame([("a", "gold"), ("b", "silver")], schema)
    actual = spark.createDataFrame([("a", "gold"), ("b", "silver"), ("z", "bronze")], schema)
    same = dict(views.same_rows(expected, actual, "ticket_id").itertuples(index=False))
    assert same["identiques"] is True and same["lignes attendues"] == 2  # the job's other rows are not compared

    changed = spark.createDataFrame([("a", "gold"), ("b", "bronze")], schema)
    result = list(views.same_rows(expected, changed, "ticket_id")["résultat"])
    assert result == [2, 2, 1, 1, False]

    missing = spark.createDataFrame([("a", "gold")], schema)
    assert list(views.same_rows(expected, missing, ["ticket_id"])["résultat"]) == [2, 1, 1, 0, False]
