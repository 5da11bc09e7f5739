"""The object store (versitygw) stopped and restarted while the streaming job writes its lake to S3.

A private object store (own state dir, restartable port) holds the lake *and* the checkpoints
(``s3a://``); the real job (`hybridflow stream --available-now`) drains 12,000 tickets (3 %
malformed) in micro-batches of 2,000 from isolated topics. Once it has committed a first batch
to the bucket, the store is stopped for 15 s, then started again. The job either rides it out
(S3A retries) or stops with one `hybridflow:` line and exit 2; then it is run again, resuming
from its checkpoints in the bucket. Read back without Spark: the tickets table holds exactly
the valid input, once each; the dead-letter topic (read_committed) exactly the malformed input.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from hybridflow import lake
from hybridflow.config import Settings
from hybridflow.errors import ToolchainError
from hybridflow.kafka.security import client_options
from hybridflow.services.objectstore import ObjectStore, private_store_settings
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import mix
from hybridflow.tickets.producer import produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]

N_EVENTS = 12_000
BATCH = 2_000
OUTAGE_S = 15


@pytest.fixture(scope="module")
def events():
    generator = TicketGenerator(37, datetime(2026, 2, 4, 8, tzinfo=UTC), arrival_rate=40.0)
    return list(mix(generator.take(N_EVENTS), 0.03, seed=37, max_payload_bytes=10_000))


@pytest.fixture(scope="module")
def on_s3(
    module_isolated_settings: Settings, tmp_path_factory: pytest.TempPathFactory, module_stable_port
) -> Iterator[Settings]:
    """Isolated topics, and a lake with its checkpoints in a private object store (started; stopped at the end)."""
    try:
        s3 = private_store_settings(module_isolated_settings, tmp_path_factory.mktemp("s3-fault"), "s3a://lake-fault/x",
                                    "fault-test")  # fmt: skip
    except ToolchainError as exc:
        pytest.skip(f"versitygw is not built here: {exc}")
    s3 = s3.with_(s3_endpoint=f"http://127.0.0.1:{module_stable_port()}", max_offsets_per_trigger=BATCH)
    ObjectStore().start(s3)
    yield s3
    ObjectStore().stop(s3)


def _start(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hybridflow.cli", "stream", "--available-now"], env=env,
                            stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


@pytest.fixture(scope="module")
def outage(on_s3: Settings, events, tmp_path_factory: pytest.TempPathFactory) -> dict:
    sent = produce(iter(events), on_s3, progress=False)
    assert sent.failed == 0 and sent.sent == len(events)
    env = (
        os.environ
        | on_s3.to_env()
        | {"HYBRIDFLOW_ENV_FILE": os.devnull, "PYTHONUNBUFFERED": "1", "SPARK_MASTER": "local[2]"}
    )
    log = tmp_path_factory.mktemp("s3-outage") / "stream.log"
    job = _start(env, log)
    try:
        deadline = time.monotonic() + 600
        while not lake.TICKETS.version(on_s3):  # wait for the second committed batch
            assert job.poll() is None, "the job ended before the outage:\n" + log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no progress within 600 s:\n" + log.read_text()[-3000:]
            time.sleep(0.5)
        at_stop = lake.TICKETS.version(on_s3)
        ObjectStore().stop(on_s3)
        time.sleep(OUTAGE_S)
        alive_through = job.poll() is None  # still running after the whole outage
        ObjectStore().start(on_s3)
        first = job.wait(timeout=900)
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
    first_log = log.read_text()
    reran = _start(env, log).wait(timeout=900) if first != 0 else None
    return {
        "first": first,
        "first_log": first_log,
        "reran": reran,
        "log": log.read_text(),
        "at_stop": at_stop,
        "alive_through": alive_through,
        "final": lake.TICKETS.version(on_s3),
    }


def test_the_job_rides_the_outage_out_or_stops_with_one_clear_line(outage) -> None:
    print(
        f"first run exit {outage['first']}, rerun exit {outage['reran']}; tickets table version {outage['at_stop']} "
        f"when the store stopped, {outage['final']} at the end; job alive through the outage: {outage['alive_through']}"
    )
    assert outage["final"] > outage["at_stop"]  # batches were committed after the outage
    if outage["first"] == 0:
        assert outage["alive_through"]  # it rode the outage out: still running when the store came back
    else:
        last = outage["first_log"].strip().splitlines()[-1]
        print(last)
        assert outage["first"] == 2 and last.startswith("hybridflow: "), outage["first_log"][-3000:]
        assert 'hybridflow/cli.py", line' not in outage["first_log"]
        assert outage["reran"] == 0, outage["log"][-3000:]


def test_tickets_are_the_valid_input_exactly_once(outage, on_s3: Settings, events) -> None:
    expected = Counter(json.loads(e.value)["ticket_id"] for e in events if e.is_valid)
    assert Counter(lake.TICKETS.to_pandas(on_s3, columns=["ticket_id"])["ticket_id"]) == expected


def test_dead_letters_are_the_malformed_input_exactly_once(outage, on_s3: Settings, events) -> None:
    consumer = KafkaConsumer(on_s3.topic_dlq, bootstrap_servers=on_s3.bootstrap_list, isolation_level="read_committed",
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=8000,
                             **client_options(on_s3, "kafka-python", "admin"))  # fmt: skip
    try:
        letters = Counter(record.value for record in consumer)
    finally:
        consumer.close()
    assert letters == Counter(e.value for e in events if not e.is_valid)
