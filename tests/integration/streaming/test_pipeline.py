"""The ticket pipeline end to end: real broker, real Spark, a temporary lake.

N valid + M malformed events are produced; one available-now run must put exactly
the N tickets in the lake (enriched), exactly the M events in the dead-letter topic
(with their reasons), and emit every window the watermark has closed with counts
that agree with the tickets; a second run must add nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from hybridflow.lake import TICKET_WINDOWS, TICKETS, WINDOWS_QUERY
from hybridflow.streaming.inspect import pipeline_summary, read_dead_letters, read_lake
from hybridflow.streaming.job import WINDOWS_STATE_PARTITIONS, run_pipeline
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import mix
from hybridflow.tickets.producer import produce
from hybridflow.tickets.reference import team_for

pytestmark = pytest.mark.integration

START = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
N_VALID = 600
MALFORMED_RATIO = 0.05


def _floor_minute(ts: datetime) -> datetime:
    return ts.replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
def events():
    """600 valid tickets over ~5 minutes of event time (some late on purpose), 5 % malformed."""
    generator = TicketGenerator(11, START, arrival_rate=2.0, late_ratio=0.1, max_lateness_s=20)
    return list(mix(generator.take(N_VALID), MALFORMED_RATIO, seed=11, max_payload_bytes=10_000))


@pytest.fixture(scope="module")
def ran(spark, module_isolated_settings, events):
    """Produce the events to a fresh topic, run the pipeline once available-now (once per module)."""
    summary = produce(events, module_isolated_settings, progress=False)
    assert summary.failed == 0 and summary.sent == len(events)
    run_pipeline(spark, module_isolated_settings, available_now=True, timeout_s=300, progress=False)
    return module_isolated_settings


def test_valid_tickets_land_once_enriched(spark, ran, events):
    valid = {e.value for e in events if e.is_valid}
    lake = read_lake(spark, ran, TICKETS.name).toPandas()
    assert len(lake) == len(valid) == N_VALID
    expected_ids = sorted(json.loads(v)["ticket_id"] for v in valid)
    assert sorted(lake["ticket_id"]) == expected_ids
    for request_type, team_id in lake[["request_type", "team_id"]].drop_duplicates().itertuples(index=False):
        assert team_id == team_for(request_type).team_id
    assert lake["first_response_due"].gt(lake["created_at"]).all()


def test_malformed_events_become_dead_letters_with_their_reason(spark, ran, events):
    expected = Counter(e.kind.value for e in events if not e.is_valid)
    letters = read_dead_letters(spark, ran).toPandas()
    assert Counter(letters["reason"]) == expected
    assert letters["source_topic"].eq(ran.topic_tickets).all()
    produced_bad = sorted(e.value.decode("utf-8", "replace") for e in events if not e.is_valid)
    assert sorted(letters["value"]) == produced_bad  # original bytes kept, none lost


def test_closed_windows_agree_with_the_tickets(spark, ran, events):
    tickets = [json.loads(e.value) for e in events if e.is_valid]
    truth = Counter(
        (_floor_minute(datetime.fromisoformat(t["created_at"])), t["request_type"], t["priority"]) for t in tickets
    )
    max_event = max(datetime.fromisoformat(t["created_at"]) for t in tickets)
    watermark = max_event - timedelta(seconds=30)
    windows = read_lake(spark, ran, TICKET_WINDOWS.name).toPandas()
    got = {
        (row.window_start.to_pydatetime().replace(tzinfo=UTC), row.request_type, row.priority): row.tickets
        for row in windows.itertuples()
    }
    closed = {key: n for key, n in truth.items() if key[0] + timedelta(minutes=1) <= watermark}
    assert len(closed) > 10  # the event times span several windows past the watermark
    assert got == closed  # every closed window emitted, with its exact count; open ones not yet


def test_the_summary_without_spark_counts_what_spark_reads(spark, ran, events):
    summary = pipeline_summary(ran)  # delta-rs and a read_committed consumer
    assert summary["tickets"] == read_lake(spark, ran, TICKETS.name).count() == N_VALID
    assert summary["windows"] == read_lake(spark, ran, TICKET_WINDOWS.name).count()
    assert summary["dead_letter_reasons"] == dict(Counter(e.kind.value for e in events if not e.is_valid))


def test_the_windows_state_has_one_partition(ran):
    """Its first batch recorded the partitions its state keeps for good (the tickets query has no state)."""
    first = ran.local_path(WINDOWS_QUERY.checkpoint(ran)) / "offsets" / "0"
    metadata = json.loads(first.read_text().splitlines()[1])
    assert metadata["conf"]["spark.sql.shuffle.partitions"] == str(WINDOWS_STATE_PARTITIONS) == "1"


def test_rerun_adds_nothing(spark, ran):
    before_tickets = read_lake(spark, ran, TICKETS.name).count()
    before_windows = read_lake(spark, ran, TICKET_WINDOWS.name).count()
    before_letters = read_dead_letters(spark, ran).count()
    run_pipeline(spark, ran, available_now=True, timeout_s=300, progress=False)
    assert read_lake(spark, ran, TICKETS.name).count() == before_tickets
    assert read_lake(spark, ran, TICKET_WINDOWS.name).count() == before_windows
    assert read_dead_letters(spark, ran).count() == before_letters
