"""The Spark side of the lifecycle: the processor under PySpark's own TwsTester, and what a batch's output becomes.

`TwsTester` (pyspark 4.2) drives a `StatefulProcessor` as ``transformWithState`` would,
with an in-memory state and timers: here the real `TicketLifecycleProcessor`, fed the input shape
the query builds. The batch-output functions run on a local SparkSession over static frames.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from pyspark.sql import Row
from pyspark.sql.streaming.tws_tester import TwsTester

from hybridflow.config import get_settings
from hybridflow.streaming import lifecycle
from hybridflow.streaming import lifecycle_state as machine

HOUR = machine.HOUR_MS
T0 = 1_780_000_000_000
TID = "3f1c9a52-8d4e-4b7a-9c2e-1a2b3c4d5e6f"


INPUT_ROW = Row(*lifecycle.INPUT_SCHEMA.fieldNames())


def _rows(*rows: dict) -> list[Row]:
    """Input rows in the processor's shape (every column present, nulls where a side has none)."""
    out = []
    for row in rows:
        values = {**row, "stream_time": datetime.fromtimestamp(row["stream_time"] / 1000, UTC)}
        out.append(INPUT_ROW(*(values.get(name) for name in lifecycle.INPUT_SCHEMA.fieldNames())))
    return out


def _frame(rows: list[Row]) -> pd.DataFrame:
    return pd.DataFrame([r.asDict() for r in rows], columns=lifecycle.OUTPUT_COLUMNS)


def ticket_row(hours: tuple[int, int] = (2, 24)) -> dict:
    return {
        "kind": "ticket",
        "ticket_id": TID,
        "stream_time": T0,
        "client_id": "C00042",
        "created_at": T0,
        "request_type": "technical",
        "priority": "high",
        "contract_tier": "gold",
        "client_known": True,
        "team_id": "T-TECH",
        "first_response_hours": hours[0],
        "resolution_hours": hours[1],
    }


def event_row(n: int, kind: str, at_ms: int, agent: int | None = 12) -> dict:
    return {
        "kind": "event",
        "ticket_id": TID,
        "stream_time": at_ms,
        "event_id": f"00000000-0000-4000-8000-{n:012d}",
        "event_type": kind,
        "occurred_at": at_ms,
        "agent_id": agent,
        "event_team_id": "T-TECH",
        "value": json.dumps({"n": n}),
        "partition": 1,
        "offset": 100 + n,
    }


@pytest.fixture
def tester() -> TwsTester:
    processor = lifecycle.TicketLifecycleProcessor(machine.Ttls(orphan_ms=HOUR, closed_ms=24 * HOUR))
    return TwsTester(
        processor,
        timeMode="EventTime",
        outputMode="Update",
        eventTimeExtractor=lambda row: int(row["stream_time"].timestamp() * 1000),
    )


def test_the_processor_emits_typed_rows_in_the_output_schema_and_keeps_one_json_state(tester):
    out = _frame(tester.test(TID, _rows(ticket_row(), event_row(1, "assigned", T0 + 60_000))))
    assert list(out.columns) == lifecycle.OUTPUT_COLUMNS
    assert sorted(out["kind"]) == ["event", "status"]
    status = out[out["kind"] == "status"].iloc[0]
    assert status["status"] == "in_progress" and status["assigned_at"] == T0 + 60_000
    assert status["first_response_deadline"] == T0 + 2 * HOUR and status["resolution_deadline"] == T0 + 24 * HOUR
    stored = machine.load(tester.peekValueState("ticket", TID)[0])
    assert stored["ticket"]["contract_tier"] == "gold" and len(stored["events"]) == 1


def test_the_watermark_past_the_first_response_deadline_emits_one_breach(tester):
    tester.test(TID, _rows(ticket_row(), event_row(1, "assigned", T0 + 60_000)))
    fired = _frame(tester.setWatermark(T0 + 2 * HOUR))
    breaches = fired[fired["kind"] == "breach"]
    assert list(breaches["breach_kind"]) == ["first_response"] and list(breaches["deadline"]) == [T0 + 2 * HOUR]
    again = _frame(tester.setWatermark(T0 + 3 * HOUR))  # no second record for the same (ticket, kind)
    assert again.empty or "breach" not in set(again["kind"])


def test_an_event_before_its_ticket_is_held_then_dead_lettered_as_an_orphan_with_its_source(tester):
    held = tester.test(TID, _rows(event_row(3, "assigned", T0)))
    assert held == []
    fired = _frame(tester.setWatermark(T0 + HOUR))
    assert list(fired["kind"]) == ["orphan"]
    assert fired.iloc[0]["event_offset"] == 103 and fired.iloc[0]["event_value"] == json.dumps({"n": 3})
    assert tester.peekValueState("ticket", TID) is None  # nothing left waiting: the state is gone


def test_a_batch_output_becomes_status_rows_events_and_records(spark):
    settings = get_settings()
    rows = [
        {"kind": "status", "ticket_id": TID, "revision": 1, "status": "open", "created_at": T0, "events": 0},
        {"kind": "status", "ticket_id": TID, "revision": 2, "status": "in_progress", "created_at": T0, "events": 1},
        {"kind": "event", "ticket_id": TID, "event_id": "e1", "event_type": "assigned", "occurred_at": T0 + 5},
    ]
    out = spark.createDataFrame(
        [lifecycle.OUTPUT_ROW(*(r.get(c) for c in lifecycle.OUTPUT_COLUMNS)) for r in rows], lifecycle.OUTPUT_SCHEMA
    )
    status = lifecycle.status_rows(out).collect()
    assert len(status) == 1 and status[0]["revision"] == 2 and status[0]["status"] == "in_progress"
    assert list(lifecycle.status_rows(out).columns) == list(lifecycle.STATUS_COLUMNS)
    events = lifecycle.applied_events(out).collect()
    assert [(e["event_id"], e["event_type"]) for e in events] == [("e1", "assigned")]
    breach = lifecycle.breach_record(
        {
            "ticket_id": TID,
            "breach_kind": "resolution",
            "deadline": T0,
            "watermark": T0 + 1000,
            "client_id": "C00042",
            "contract_tier": "gold",
            "team_id": "T-TECH",
            "priority": "high",
        },
        settings.topic_breaches,
    )
    assert breach["key"] == TID.encode() and breach["topic"] == settings.topic_breaches
    assert json.loads(breach["value"])["deadline"].endswith("Z") and json.loads(breach["value"])["team"] == "T-TECH"
