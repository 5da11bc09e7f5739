"""The lifecycle end to end: tickets and their events produced, the job drained once, the outputs read without Spark.

A seeded CRM (its own database) gives the clients their contract tiers; a backlog of tickets
and lifecycle events — late, duplicated, for unknown tickets, malformed — is produced; one
available-now run of the job must leave:

- ``ticket_status`` (read with delta-rs) equal, ticket by ticket, to an oracle computed from the topics;
- ``ticket_events``: each distinct valid event of a known ticket, once;
- the breach topic (``read_committed``): each (ticket, kind) the oracle finds breached, once;
- the dead-letter topic: every malformed event with its reason, and every orphan event once.

Then the last lifecycle batch is replayed from its checkpoint (un-committed, as after a crash
between the writes and the checkpoint): nothing changes.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hybridflow import lake
from hybridflow.batch.crm import seed
from hybridflow.batch.job import run_batch
from hybridflow.config import Settings
from hybridflow.crm_tables import CONTRACT_TIERS
from hybridflow.kafka.consumer import read_committed
from hybridflow.services.postgres import SERVICE, drop_database, ensure_role_and_database
from hybridflow.simulation.lifecycle import produce_lifecycle_sample
from hybridflow.streaming.job import run_pipeline

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
N_TICKETS = 500
CRM_SCALE = 0.05  # 100 clients
HOURS = {t.tier: (t.first_response_hours, t.resolution_hours) for t in CONTRACT_TIERS}


@pytest.fixture(scope="module")
def crm(module_isolated_settings: Settings) -> Settings:
    SERVICE.start(module_isolated_settings)
    database = f"hf_test_{uuid.uuid4().hex[:8]}"
    ensure_role_and_database(module_isolated_settings, database)
    settings = module_isolated_settings.with_(pg_database=database)
    yield settings
    drop_database(module_isolated_settings, database)


@pytest.fixture(scope="module")
def ran(spark, crm: Settings) -> Settings:
    seed(crm, scale=CRM_SCALE, seed=42, progress=False)
    run_batch(spark, crm, "full", progress=False)
    sent = produce_lifecycle_sample(
        crm, N_TICKETS, seed=31, start=START, arrival_rate=0.004, crm_scale=CRM_SCALE, unknown_ticket_ratio=0.02
    )
    assert sent.failed == 0
    run_pipeline(spark, crm, available_now=True, timeout_s=900, progress=False)
    return crm


@pytest.fixture(scope="module")
def expected(ran: Settings, lifecycle_oracle):
    clients = lake.table("clients").to_pandas(ran, columns=["client_id", "contract_tier"])
    tiers = dict(zip(clients["client_id"], clients["contract_tier"], strict=True))
    return lifecycle_oracle(ran, lambda client_id: HOURS[tiers.get(client_id, "bronze")])


def test_every_valid_ticket_has_exactly_the_row_the_topics_call_for(ran, expected, status_matches_oracle):
    rows = lake.TICKET_STATUS.to_pandas(ran)
    status_matches_oracle(rows, expected)
    # The outcome is not trivial: tickets in every state, breaches of both kinds, several contract tiers.
    assert set(rows["status"]) >= {"open", "in_progress", "closed"}
    assert rows["first_response_breached"].sum() > 0 and rows["resolution_breached"].sum() > 0
    assert rows["contract_tier"].nunique() >= 3


def test_ticket_events_hold_each_distinct_event_of_a_known_ticket_once(ran, expected):
    events = lake.TICKET_EVENTS.to_pandas(ran, columns=["event_id"])
    assert Counter(events["event_id"]) == Counter(expected.events)


def test_each_breach_is_published_once_and_read_committed(ran, expected):
    records = read_committed(ran, ran.topic_breaches, timeout_s=60)
    got = Counter((json.loads(r["value"])["ticket_id"], json.loads(r["value"])["kind"]) for r in records)
    assert got == Counter(expected.breaches)
    sample = json.loads(records[0]["value"])
    assert set(sample) == {
        "ticket_id",
        "kind",
        "deadline",
        "client_id",
        "contract_tier",
        "team",
        "priority",
        "watermark",
    }
    assert all(r["key"] == json.loads(r["value"])["ticket_id"] for r in records)


def test_orphans_and_malformed_events_reach_the_dead_letters_with_their_reason(ran, expected):
    letters = read_committed(ran, ran.topic_dlq, timeout_s=60)
    orphans = [r for r in letters if r["headers"]["dlq.reason"] == "orphan_event"]
    assert Counter(r["value"] for r in orphans) == Counter(expected.orphans.values())
    assert len(orphans) > 0
    from_events = [r for r in letters if r["headers"]["dlq.source.topic"] == ran.topic_events]
    malformed = [r for r in from_events if r["headers"]["dlq.reason"] != "orphan_event"]
    assert len(malformed) > 0 and {r["headers"]["dlq.reason"] for r in malformed} <= {
        "malformed_json", "not_an_object", "missing_field", "wrong_type", "invalid_value", "bad_timestamp",
        "unknown_enum", "oversized_payload",
    }  # fmt: skip


def _forget_last_commit(checkpoint: Path) -> int:
    commits = sorted((checkpoint / "commits").iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else -1)
    last = commits[-1]
    last.unlink()
    (checkpoint / "commits" / f".{last.name}.crc").unlink(missing_ok=True)
    return int(last.name)


def test_a_replayed_lifecycle_batch_changes_nothing(spark, ran, expected, tmp_path):
    before = {t.name: t.version(ran) for t in lake.LIFECYCLE_TABLES}
    breaches = len(read_committed(ran, ran.topic_breaches, timeout_s=60))
    checkpoint = ran.local_path(lake.LIFECYCLE_QUERY.checkpoint(ran))
    shutil.copytree(checkpoint, tmp_path / "before")
    _forget_last_commit(checkpoint)
    run_pipeline(spark, ran, available_now=True, timeout_s=600, progress=False)
    after = {t.name: t.version(ran) for t in lake.LIFECYCLE_TABLES}
    assert after == before  # no new commit to any table: the replay was recognised and skipped
    assert len(read_committed(ran, ran.topic_breaches, timeout_s=60)) == breaches
    assert len(lake.TICKET_STATUS.to_pandas(ran)) == len(expected.status)
