"""The broker SIGKILLed and restarted while `hybridflow produce` sends 100,000 tickets (idempotent producer).

On a private broker (own state dir, free ports), so the shared one never notices:

- **short outage** (the broker is back within the delivery timeout): nothing fails, the command
  exits 0, and the topic holds each of the 100,000 tickets exactly once — the retries of
  batches whose acknowledgement the kill swallowed are de-duplicated by the idempotent producer;
- **long outage** (longer than the delivery timeout): the summary counts the failed tickets, the
  command exits 1, and the topic still holds no ticket twice and at least every acknowledged one.

The run is rate-limited (so the kill lands mid-run on any machine) and the tickets are the
seeded generator's, so the test knows every ticket id that was sent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from hybridflow.config import Settings
from hybridflow.kafka import ensure_topics
from hybridflow.kafka.security import client_options
from hybridflow.services.broker import KafkaBroker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COUNT = 100_000
RATE = 4_000  # tickets/s: 25 s of sending, so the kill lands mid-run even on a busy machine
SUMMARY = re.compile(r"produce: (?P<sent>\d+) sent \(\d+ malformed on purpose\), (?P<failed>\d+) failed")


@pytest.fixture(scope="module")
def broker(private_broker) -> Settings:
    """A private broker on free ports with its own state dir; stopped at the end."""
    return private_broker("killed-broker")


def _end_offsets(s: Settings) -> int:
    consumer = KafkaConsumer(
        bootstrap_servers=s.bootstrap_list, request_timeout_ms=5000, **client_options(s, "kafka-python", "admin")
    )
    try:
        parts = [TopicPartition(s.topic_tickets, p) for p in range(s.topic_partitions)]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def _ticket_ids(s: Settings) -> list[str]:
    """The ticket id of every record in the topic (all partitions, up to their end)."""
    consumer = KafkaConsumer(bootstrap_servers=s.bootstrap_list, enable_auto_commit=False, consumer_timeout_ms=10000,
                             isolation_level="read_committed", **client_options(s, "kafka-python", "admin"))  # fmt: skip
    try:
        parts = [TopicPartition(s.topic_tickets, p) for p in range(s.topic_partitions)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        end = sum(consumer.end_offsets(parts).values())
        ids: list[str] = []
        for record in consumer:
            ids.append(json.loads(record.value)["ticket_id"])
            if len(ids) >= end:
                break
        return ids
    finally:
        consumer.close()


def _expected_ids(s: Settings) -> list[str]:
    """The ticket ids `hybridflow produce --seed 7 --start …` sends, in order (the generator is seeded)."""
    from datetime import datetime

    from hybridflow.tickets import generator as g

    generator = g.TicketGenerator(
        7,
        datetime(2026, 1, 31, 9, tzinfo=UTC),
        n_clients=g.DEFAULT_N_CLIENTS,
        arrival_rate=RATE,
        late_ratio=g.DEFAULT_LATE_RATIO,
        max_lateness_s=g.DEFAULT_MAX_LATENESS_S,
    )
    events = generator.events(0.0, max_payload_bytes=s.max_payload_bytes)
    return [json.loads(next(events).value)["ticket_id"] for _ in range(COUNT)]


def _produce_and_kill(
    s: Settings, kill_broker: Callable[[Settings], float], outage_s: float, log: Path
) -> tuple[int, dict[str, int], float, float]:
    """Run `hybridflow produce` in a child process; SIGKILL the broker once 10 % is in, restart it after `outage_s`.

    Returns (exit status, the summary's counts, seconds the broker was down, seconds the restart took).
    """
    env = {**os.environ, **s.to_env(), "HYBRIDFLOW_ENV_FILE": os.devnull}
    cmd = [sys.executable, "-m", "hybridflow.cli", "produce", "--count", str(COUNT), "--rate", str(RATE), "--seed", "7",
           "--start", "2026-01-31T09:00:00Z", "--arrival-rate", str(RATE), "--no-progress"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while _end_offsets(s) < COUNT // 10:
            assert proc.poll() is None, f"produce ended before the kill: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "produce never reached 10 % of its tickets"
            time.sleep(0.2)
        killed_at = kill_broker(s)
        assert proc.poll() is None, "produce ended before the kill landed"
        time.sleep(outage_s)
        began = time.monotonic()
        KafkaBroker().start(s)
        down_s, restart_s = time.monotonic() - killed_at, time.monotonic() - began
        status = proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = log.read_text()
    print(output.strip().splitlines()[-1] if output.strip() else "(no output)")
    match = SUMMARY.search(output)
    assert match, f"no summary line in the output: {output[-2000:]}"
    return status, {k: int(v) for k, v in match.groupdict().items()}, down_s, restart_s


def _isolated(broker: Settings, name: str, **changes) -> Settings:
    s = broker.with_(topic_tickets=f"{name}_tickets", topic_dlq=f"{name}_dlq", topic_alerts=f"{name}_alerts", topic_events=f"{name}_events", topic_breaches=f"{name}_breaches", **changes)  # fmt: skip
    ensure_topics(s)
    return s


def test_a_short_outage_loses_nothing_and_duplicates_nothing(broker: Settings, kill_broker, tmp_path: Path) -> None:
    # A minute of delivery timeout: the restarted broker is back long before it expires.
    s = _isolated(broker, "short", kafka_request_timeout_ms=30_000)
    status, counts, down_s, restart_s = _produce_and_kill(s, kill_broker, outage_s=0.0, log=tmp_path / "produce.log")
    print(f"short outage: broker down {down_s:.1f} s (restart {restart_s:.1f} s); {counts}")
    assert (status, counts) == (0, {"sent": COUNT, "failed": 0})
    ids = _ticket_ids(s)
    assert len(ids) == COUNT and Counter(ids).most_common(1)[0][1] == 1
    assert set(ids) == set(_expected_ids(s))


def test_a_long_outage_is_counted_and_said_by_the_exit_status(broker: Settings, kill_broker, tmp_path: Path) -> None:
    # 4 s request timeout = 8 s of delivery timeout; the broker stays down 15 s more than that.
    s = _isolated(broker, "long", kafka_request_timeout_ms=4_000)
    status, counts, down_s, restart_s = _produce_and_kill(s, kill_broker, outage_s=15.0, log=tmp_path / "produce.log")
    print(f"long outage: broker down {down_s:.1f} s (restart {restart_s:.1f} s); {counts}")
    assert status == 1 and counts["failed"] > 0 and counts["sent"] + counts["failed"] == COUNT
    ids = _ticket_ids(s)
    assert Counter(ids).most_common(1)[0][1] == 1  # no ticket twice
    assert counts["sent"] <= len(ids) <= COUNT  # every acknowledged one is there (some failed ones may be too)
    assert set(ids) <= set(_expected_ids(s))
