"""The lifecycle killed with SIGKILL mid-run, three times: each breach once, every ticket's row exact.

A backlog of tickets and their lifecycle events (late, duplicated, for unknown tickets,
malformed) sits in fresh topics. The real job (`hybridflow stream --available-now`, a child
process with its own JVM) runs with small micro-batches and is killed — process group,
SIGKILL — at a random moment after the lifecycle committed new work, three times; then it
runs to the end. The outputs are read as their consumers read them, without Spark:

- ``ticket_status`` through delta-rs equals the oracle computed from the topics, ticket by ticket;
- ``ticket_events`` holds each distinct event of a known ticket once;
- the breach topic, ``read_committed``, holds each (ticket, kind) the oracle finds breached, once;
- the dead-letter topic, ``read_committed``, holds each orphan event once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hybridflow import lake
from hybridflow.crm_tables import DEFAULT_TIER, tier
from hybridflow.kafka.consumer import read_committed
from hybridflow.pipeline import start_stream
from hybridflow.simulation.lifecycle import produce_lifecycle_sample

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2026, 4, 6, 8, 0, tzinfo=UTC)
N_TICKETS = 1_500
BATCH = 800  # MAX_OFFSETS_PER_TRIGGER: the events topic drains in about ten batches, the lifecycle follows
KILLS = 3
BRONZE = tier(DEFAULT_TIER)  # no client dimension in this lake: every client gets the lowest tier


def _start(settings, log: Path) -> subprocess.Popen:
    """The real job, available-now, on 2 task threads, in its own process group (the JVM dies with it); one log for every run."""
    return start_stream(settings.with_(spark_master="local[2]"), log, "INFO", "--available-now", append=True)


def _progress(settings) -> tuple:
    return tuple(t.version(settings) for t in (lake.TICKET_EVENT_LOG, lake.TICKET_STATUS))


def _kill_after_progress(proc: subprocess.Popen, settings, rng: random.Random, log: Path) -> tuple:
    """SIGKILL the job's process group a random moment after the event log or ticket_status moved."""
    before = _progress(settings)
    deadline = time.monotonic() + 300
    while _progress(settings) == before:
        assert proc.poll() is None, "the job ended before it could be killed:\n" + log.read_text()[-3000:]
        assert time.monotonic() < deadline, "no progress within 300 s:\n" + log.read_text()[-3000:]
        time.sleep(0.2)
    time.sleep(rng.uniform(0.0, 3.0))  # somewhere in the next batch: state committed or not, Delta, Kafka…
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return _progress(settings)


@pytest.fixture(scope="module")
def crashed_then_finished(module_isolated_settings, tmp_path_factory):
    # A watermark delay well above the events' lateness (10 minutes) and the partitions' skew within a batch.
    settings = module_isolated_settings.with_(max_offsets_per_trigger=BATCH, lifecycle_watermark_delay="2 hours")
    sent = produce_lifecycle_sample(
        settings, N_TICKETS, seed=19, start=START, arrival_rate=0.005, unknown_ticket_ratio=0.02
    )
    assert sent.failed == 0
    log = tmp_path_factory.mktemp("lifecycle-crash") / "stream.log"
    rng = random.Random(8)
    at_kill = [_kill_after_progress(_start(settings, log), settings, rng, log) for _ in range(KILLS)]
    final = _start(settings, log)
    assert final.wait(timeout=1200) == 0, log.read_text()[-4000:]
    return settings, at_kill


@pytest.fixture(scope="module")
def expected(crashed_then_finished, lifecycle_oracle):
    settings, _ = crashed_then_finished
    return lifecycle_oracle(settings, lambda _client: (BRONZE.first_response_hours, BRONZE.resolution_hours))


def test_the_job_was_killed_while_the_lifecycle_had_work_left(crashed_then_finished):
    settings, at_kill = crashed_then_finished
    assert len(at_kill) == KILLS
    assert at_kill[-1] != _progress(settings)  # the last run still had work to do


def test_ticket_status_read_without_spark_equals_the_oracle(crashed_then_finished, expected, status_matches_oracle):
    settings, _ = crashed_then_finished
    rows = lake.TICKET_STATUS.to_pandas(settings)
    status_matches_oracle(rows, expected)
    con = lake.duckdb_connection()
    rows_, distinct = con.sql(
        f"SELECT count(*), count(DISTINCT ticket_id) FROM {lake.duckdb_scan(settings, lake.TICKET_STATUS)}"
    ).fetchone()
    assert rows_ == distinct == len(expected.status)


def test_ticket_events_hold_each_distinct_event_once(crashed_then_finished, expected):
    settings, _ = crashed_then_finished
    events = lake.TICKET_EVENTS.to_pandas(settings, columns=["event_id"])
    assert Counter(events["event_id"]) == Counter(expected.events)


def test_each_breach_is_read_committed_exactly_once(crashed_then_finished, expected):
    settings, _ = crashed_then_finished
    records = read_committed(settings, settings.topic_breaches, timeout_s=120)
    got = Counter((json.loads(r["value"])["ticket_id"], json.loads(r["value"])["kind"]) for r in records)
    assert len(expected.breaches) > 50
    assert got == Counter(expected.breaches)


def test_each_orphan_event_is_dead_lettered_once(crashed_then_finished, expected):
    settings, _ = crashed_then_finished
    letters = read_committed(settings, settings.topic_dlq, timeout_s=120)
    orphans = Counter(r["value"] for r in letters if r["headers"]["dlq.reason"] == "orphan_event")
    assert len(expected.orphans) > 5
    assert orphans == Counter(expected.orphans.values())
