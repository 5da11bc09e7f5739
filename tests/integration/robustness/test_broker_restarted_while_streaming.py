"""The broker SIGKILLed and restarted while the streaming job drains a backlog (private broker).

The real job (`hybridflow stream --available-now`, its own JVM) reads 12,000 events (3 %
malformed) in micro-batches of 2,000; once it has committed a first batch, the broker is killed
and restarted. The job either rides the outage out or stops with a clear error (one `hybridflow:`
line, exit 2 — it used to die with a Python traceback carrying the whole query plan); if it
stopped, it is run again. Then, read the way their
consumers read them (not through Spark): the tickets table holds exactly the valid input, once
each, and the dead-letter topic (read_committed) exactly the malformed input, once each.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from hybridflow import lake
from hybridflow.config import Settings
from hybridflow.kafka import ensure_topics
from hybridflow.kafka.security import client_options
from hybridflow.services.broker import KafkaBroker
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import mix
from hybridflow.tickets.producer import produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]

N_EVENTS = 12_000
BATCH = 2_000


@pytest.fixture(scope="module")
def events():
    generator = TicketGenerator(31, datetime(2026, 2, 3, 8, tzinfo=UTC), arrival_rate=40.0)
    return list(mix(generator.take(N_EVENTS), 0.03, seed=31, max_payload_bytes=10_000))


@pytest.fixture(scope="module")
def private(private_broker) -> Settings:
    """A private broker (restartable ports, own state dir), its topics, a lake of its own; stopped at the end."""
    broker = private_broker("stream-broker")
    s = broker.with_(lake_uri=(broker.state_dir / "lake").as_uri(), checkpoint_uri=(broker.state_dir / "checkpoints").as_uri(), max_offsets_per_trigger=BATCH)  # fmt: skip
    ensure_topics(s)
    return s


def _start(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hybridflow.cli", "stream", "--available-now"], env=env,
                            stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def _dead_letters(s: Settings) -> list[bytes]:
    consumer = KafkaConsumer(s.topic_dlq, bootstrap_servers=s.bootstrap_list, isolation_level="read_committed",
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=8000,
                             **client_options(s, "kafka-python", "admin"))  # fmt: skip
    try:
        return [record.value for record in consumer]
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def outage(private: Settings, kill_broker, events, tmp_path_factory: pytest.TempPathFactory) -> dict:
    sent = produce(iter(events), private, progress=False)
    assert sent.failed == 0 and sent.sent == len(events)
    env = (
        os.environ
        | private.to_env()
        | {"HYBRIDFLOW_ENV_FILE": os.devnull, "PYTHONUNBUFFERED": "1", "SPARK_MASTER": "local[2]"}
    )
    log = tmp_path_factory.mktemp("stream-outage") / "stream.log"
    job = _start(env, log)
    try:
        deadline = time.monotonic() + 600
        while not lake.TICKETS.version(private):  # version 0 is the first batch's commit: wait for a second one
            assert job.poll() is None, "the job ended before the outage:\n" + log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no progress within 600 s:\n" + log.read_text()[-3000:]
            time.sleep(0.2)
        kill_broker(private)
        time.sleep(5)
        KafkaBroker().start(private)
        first = job.wait(timeout=900)
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
    first_log = log.read_text()
    reran = None
    if first != 0:
        reran = _start(env, log).wait(timeout=900)
    return {"first": first, "first_log": first_log, "reran": reran, "log": log.read_text()}


def test_the_job_rides_the_outage_out_or_stops_with_one_clear_line(outage) -> None:
    print(f"first run exit {outage['first']}, rerun exit {outage['reran']}")
    if outage["first"] != 0:
        last = outage["first_log"].strip().splitlines()[-1]
        print(last)
        assert outage["first"] == 2, outage["first_log"][-3000:]
        assert last.startswith("hybridflow: The streaming job stopped (") and "rerun `hybridflow stream`" in last, last
        assert "Traceback (most recent call last)\n" not in last and 'File "' not in last
        assert 'hybridflow/cli.py", line' not in outage["first_log"]  # the command itself did not die on a traceback
        assert outage["reran"] == 0, outage["log"][-3000:]


def test_tickets_are_the_valid_input_exactly_once(outage, private: Settings, events) -> None:
    expected = Counter(json.loads(e.value)["ticket_id"] for e in events if e.is_valid)
    landed = lake.TICKETS.to_pandas(private, columns=["ticket_id"])
    assert Counter(landed["ticket_id"]) == expected


def test_dead_letters_are_the_malformed_input_exactly_once(outage, private: Settings, events) -> None:
    expected = Counter(e.value for e in events if not e.is_valid)
    assert Counter(_dead_letters(private)) == expected
