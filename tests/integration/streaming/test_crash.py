"""The streaming job killed with SIGKILL mid-run, again and again: nothing lost, nothing written twice.

A backlog of tickets (some malformed) sits in a fresh topic. The real job
(`hybridflow stream --available-now`, a child process with its own JVM) is started with
small micro-batches and killed — whole process group, SIGKILL, no chance to clean up —
at a random moment after it has committed some work, three times; then it runs to the
end. The outputs are then read the way their consumers read them, not through Spark:

- the ``tickets`` Delta table through delta-rs and DuckDB: exactly the valid input, once each;
- the dead-letter topic with a ``read_committed`` consumer: exactly the malformed input, once each;
- the ``ticket_windows`` Delta table: every closed window once, with its exact count.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from hybridflow import lake
from hybridflow.kafka.security import client_options
from hybridflow.pipeline import start_stream
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import mix
from hybridflow.tickets.producer import produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)
N_EVENTS = 20_000
BATCH = 3_000  # MAX_OFFSETS_PER_TRIGGER: seven micro-batches, so kills land between and inside them
KILLS = 3


@pytest.fixture(scope="module")
def events():
    generator = TicketGenerator(23, START, arrival_rate=40.0, late_ratio=0.05, max_lateness_s=20)
    return list(mix(generator.take(N_EVENTS), 0.03, seed=23, max_payload_bytes=10_000))


def _start(settings, log: Path) -> subprocess.Popen:
    """The real job, available-now, on 2 task threads, in its own process group (the JVM dies with it); one log for every run."""
    return start_stream(settings.with_(spark_master="local[2]"), log, "INFO", "--available-now", append=True)


def _kill_after_progress(proc: subprocess.Popen, settings, rng: random.Random, log: Path) -> int | None:
    """SIGKILL the job's process group a random moment after it committed a new tickets version."""
    before = lake.TICKETS.version(settings)
    deadline = time.monotonic() + 300
    while lake.TICKETS.version(settings) == before:
        assert proc.poll() is None, "the job ended before it could be killed:\n" + log.read_text()[-3000:]
        assert time.monotonic() < deadline, "no progress within 300 s:\n" + log.read_text()[-3000:]
        time.sleep(0.2)
    time.sleep(rng.uniform(0.0, 2.5))  # somewhere in the next batch: Delta written, DLQ not yet, or neither…
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return lake.TICKETS.version(settings)


def _dead_letters_read_committed(settings) -> list[bytes]:
    """Every record of the dead-letter topic a `read_committed` reader sees, read to the topic's end.

    To the end offsets, not until a quiet period: on a loaded machine a consumer can take longer
    than any idle timeout to fetch its first record.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_list,
        isolation_level="read_committed",
        enable_auto_commit=False,
        **client_options(settings, "kafka-python", "admin"),
    )
    try:
        partitions = [
            TopicPartition(settings.topic_dlq, p) for p in sorted(consumer.partitions_for_topic(settings.topic_dlq))
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)  # read_committed: the last stable offsets
        values: list[bytes] = []
        deadline = time.monotonic() + 120
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"dead-letter topic not read to its end offsets {end} in 120 s"
            for tp, records in consumer.poll(timeout_ms=1000).items():
                values += [r.value for r in records if r.offset < end[tp]]
        return values
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def crashed_then_finished(module_isolated_settings, events, tmp_path_factory):
    settings = module_isolated_settings.with_(max_offsets_per_trigger=BATCH)
    sent = produce(iter(events), settings, progress=False)
    assert sent.failed == 0 and sent.sent == len(events)
    log = tmp_path_factory.mktemp("crash") / "stream.log"
    rng = random.Random(5)
    versions_at_kill = []
    for _ in range(KILLS):
        versions_at_kill.append(_kill_after_progress(_start(settings, log), settings, rng, log))
    final = _start(settings, log)
    assert final.wait(timeout=900) == 0, log.read_text()[-4000:]
    return settings, versions_at_kill, log.read_text()


def test_the_job_was_killed_mid_run_and_resumed(crashed_then_finished):
    settings, versions, _ = crashed_then_finished
    assert len(versions) == KILLS and versions == sorted(versions)  # each kill came after new committed work
    assert versions[-1] < lake.TICKETS.version(settings)  # …and the last run still had work left


def test_tickets_read_without_spark_are_the_valid_input_exactly_once(crashed_then_finished, events):
    settings, _, _ = crashed_then_finished
    expected = Counter(json.loads(e.value)["ticket_id"] for e in events if e.is_valid)
    landed = lake.TICKETS.to_pandas(settings, columns=["ticket_id", "kafka_partition", "kafka_offset"])
    assert Counter(landed["ticket_id"]) == expected  # none lost, none twice
    assert not landed.duplicated(["kafka_partition", "kafka_offset"]).any()
    con = lake.duckdb_connection()
    rows, distinct = con.sql(
        f"SELECT count(*), count(DISTINCT ticket_id) FROM {lake.duckdb_scan(settings, lake.TICKETS)}"
    ).fetchone()
    assert rows == distinct == sum(expected.values())


def test_dead_letter_topic_read_committed_holds_each_malformed_event_once(crashed_then_finished, events):
    settings, _, _ = crashed_then_finished
    expected = Counter(e.value for e in events if not e.is_valid)
    assert sum(expected.values()) > 100
    assert Counter(_dead_letters_read_committed(settings)) == expected


def test_every_closed_window_is_counted_once(crashed_then_finished, events):
    settings, _, _ = crashed_then_finished
    tickets = [json.loads(e.value) for e in events if e.is_valid]
    stamps = [datetime.fromisoformat(t["created_at"]) for t in tickets]
    truth = Counter(
        (ts.replace(second=0, microsecond=0), t["request_type"], t["priority"])
        for ts, t in zip(stamps, tickets, strict=True)
    )
    watermark = max(stamps) - timedelta(seconds=30)
    closed = {key: n for key, n in truth.items() if key[0] + timedelta(minutes=1) <= watermark}
    windows = lake.TICKET_WINDOWS.to_pandas(settings)
    keys = list(zip(windows["window_start"], windows["request_type"], windows["priority"], strict=True))
    assert len(keys) == len(set(keys))  # no window twice
    got = {
        (start.to_pydatetime().replace(tzinfo=UTC), rtype, prio): n
        for (start, rtype, prio), n in zip(keys, windows["tickets"], strict=True)
    }
    assert len(closed) > 50
    assert got == closed
