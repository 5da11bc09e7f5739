"""The batch ETL against the real PostgreSQL and real Spark (Delta tables), and the running stream picking up the new dimension.

One scenario runs once per module (Spark is slow on a shared 2-core machine), in the
order an operator would: full load; a no-op incremental; a stream enriching tickets
with the client dimension; K changes in the CRM; an incremental run; the same run
again; more tickets through the *same* running query. The tests assert on its results.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hybridflow.batch.crm import ChangeSet, apply_client_changes, source_counts
from hybridflow.batch.dimension import read_client_dimension
from hybridflow.batch.job import BatchReport, run_batch
from hybridflow.batch.load import read_reference, read_rejects
from hybridflow.crm_tables import CLIENTS_SPEC, DEFAULT_TIER, JDBC_TABLES, tier
from hybridflow.kafka import ensure_topics
from hybridflow.kafka.topics import delete_topics, wanted_topics
from hybridflow.lake import TICKETS, TICKETS_QUERY, reference_table
from hybridflow.streaming.inspect import read_lake
from hybridflow.streaming.job import start_pipeline
from hybridflow.tickets.malformed import valid_event
from hybridflow.tickets.model import Ticket, new_ticket_id
from hybridflow.tickets.producer import produce

pytestmark = pytest.mark.integration

N_UPDATES, N_INSERTS = 3, 2
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Scenario:
    source_before: dict[str, int]
    full: BatchReport
    noop: BatchReport
    tiers_before: dict[str, str]
    changes: ChangeSet
    incremental: BatchReport
    again: BatchReport
    files_before_again: dict[str, float]
    files_after_again: dict[str, float]
    enriched: list  # rows the job wrote: [before the refresh, after it]
    versions: list[str | None]  # the dimension version the job used for each wave of tickets
    refreshes: int


def _tickets(client_ids: list[str], rng: random.Random) -> list[Ticket]:
    return [
        Ticket(
            ticket_id=new_ticket_id(rng),
            client_id=cid,
            created_at=T0 + timedelta(minutes=k),
            request="La ligne 3 est arrêtée.",
            request_type="technical",
            priority="high",
        )
        for k, cid in enumerate(client_ids)
    ]


def _listing(uri: str) -> dict[str, float]:
    root = Path(uri.removeprefix("file://"))
    return {str(p.relative_to(root)): p.stat().st_mtime for p in root.rglob("*") if p.is_file()}  # data and log


@pytest.fixture(scope="module")
def scenario(spark, stack, crm_settings, seed_report, landing_report) -> Scenario:
    s = crm_settings
    source_before = source_counts(s)
    full = run_batch(spark, s, "full", progress=False)
    noop = run_batch(spark, s, "incremental", progress=False)
    tiers_before = {r.client_id: r.contract_tier for r in read_reference(spark, s, CLIENTS_SPEC).collect()}

    # The real streaming job, running on its own topics, enriching tickets with the dimension.
    uid = uuid.uuid4().hex[:8]
    s = s.with_(
        topic_tickets=f"batch_tickets_{uid}",
        topic_dlq=f"batch_dlq_{uid}",
        topic_alerts=f"batch_alerts_{uid}",
        topic_events=f"batch_events_{uid}",
        topic_breaches=f"batch_breaches_{uid}",
    )
    ensure_topics(s)
    pipeline = start_pipeline(spark, s, available_now=False)
    tickets_query = pipeline.queries[TICKETS_QUERY.name]
    versions: list[str | None] = []
    try:
        rng = random.Random(1)
        inserted_later = [f"C{n:05d}" for n in range(101, 101 + N_INSERTS)]
        first = _tickets(["C00001", "C00002", *inserted_later], rng)
        produce(map(valid_event, first), s, progress=False)
        tickets_query.processAllAvailable()
        versions.append(pipeline.dimension.version)

        changes = apply_client_changes(s, N_UPDATES, N_INSERTS, seed=7)
        assert list(changes.inserted) == inserted_later
        incremental = run_batch(spark, s, "incremental", progress=False)
        files_before_again = _listing(reference_table(CLIENTS_SPEC).uri(s))
        again = run_batch(spark, s, "incremental", progress=False)
        files_after_again = _listing(reference_table(CLIENTS_SPEC).uri(s))

        # No restart, no refresh call: the next micro-batch reads the dimension at its new Delta versions.
        second = _tickets([*changes.updated, *inserted_later], rng)
        produce(map(valid_event, second), s, progress=False)
        tickets_query.processAllAvailable()
        assert tickets_query.exception() is None
        versions.append(pipeline.dimension.version)
    finally:
        pipeline.stop()
        delete_topics(s, list(wanted_topics(s)))
    lake = {r.ticket_id: r for r in read_lake(spark, s, TICKETS.name).collect()}
    enriched = [
        [lake[t.ticket_id] for t in first],
        [lake[t.ticket_id] for t in second],
    ]
    return Scenario(
        source_before,
        full,
        noop,
        tiers_before,
        changes,
        incremental,
        again,
        files_before_again,
        files_after_again,
        enriched,
        versions,
        pipeline.dimension.refreshes,
    )


def test_full_load_accounts_for_every_source_row(scenario, seed_report, spark, crm_settings) -> None:
    for spec in JDBC_TABLES:
        t = scenario.full.table(spec.name)
        assert t.read == scenario.source_before[spec.name] == seed_report.rows[spec.name], spec.name
        assert t.rejected == seed_report.expected_rejects[spec.name], spec.name
        assert t.written == t.read - t.rejected - t.duplicates, spec.name
        assert t.table_rows == t.written, spec.name
        later = N_INSERTS if spec.name == "clients" else 0  # the scenario has inserted clients since
        assert read_reference(spark, crm_settings, spec).count() == t.written + later, spec.name
    assert scenario.full.table("ticket_history").rejected > 0  # the seeded defects were found


def test_landing_exports_are_cleaned_deduplicated_and_rejected(scenario, landing_report) -> None:
    t = scenario.full.table("invoices")
    assert t.read == landing_report.lines
    assert t.rejected == landing_report.broken
    assert t.duplicates == landing_report.exact_duplicates + landing_report.resent_changed
    assert t.written == landing_report.distinct_invoices


def test_incremental_without_changes_reads_and_writes_nothing(scenario) -> None:
    assert [(t.read, t.written) for t in scenario.noop.tables] == [(0, 0)] * len(scenario.noop.tables)


def test_incremental_writes_exactly_the_k_changes(scenario, spark, crm_settings) -> None:
    clients = scenario.incremental.table("clients")
    assert clients.read == clients.written == N_UPDATES + N_INSERTS
    assert all(t.written == 0 for t in scenario.incremental.tables if t.table != "clients")
    lake = {r.client_id: r for r in read_reference(spark, crm_settings, CLIENTS_SPEC).collect()}
    assert len(lake) == scenario.source_before["clients"] + N_INSERTS  # merged, not appended
    assert set(scenario.changes.keys) <= set(lake)
    for cid in scenario.changes.updated:
        assert lake[cid].contract_tier != scenario.tiers_before[cid]  # the new tier replaced the old one


def test_second_identical_run_changes_nothing(scenario) -> None:
    assert sum(t.read for t in scenario.again.tables) == 0
    assert sum(t.written for t in scenario.again.tables) == 0
    assert scenario.files_after_again == scenario.files_before_again  # not one file rewritten


def test_high_water_marks_are_stored_with_the_lake(scenario, crm_settings) -> None:
    state = json.loads(Path(crm_settings.lake_path("_state/batch.json").removeprefix("file://")).read_text())
    clients = state["tables"]["clients"]
    assert clients["high_water_mark"] > "2026-01-01" and clients["version"] == scenario.incremental.run_id
    assert state["tables"]["invoices"]["files"] == [
        "invoices_20260105.csv",
        "invoices_20260106.csv",
        "invoices_20260107.csv",
    ]


def test_rejected_rows_carry_reasons_and_the_original_record(scenario, spark, crm_settings) -> None:
    rejects = read_rejects(spark, crm_settings).collect()
    assert len(rejects) == sum(t.rejected for t in scenario.full.tables)
    assert all(r.reject_reason and r.record and r.run_id == scenario.full.run_id for r in rejects)
    reasons = {r.reject_reason for r in rejects if r.table == "invoices"}
    assert {"missing invoice_id", "invalid client_id: 'CLI-042'"} <= reasons
    assert any(x.startswith("unparseable issued_on") for x in reasons) and any(
        x.startswith("unparseable amount_eur") for x in reasons
    )
    assert {r.reject_reason for r in rejects if r.table == "ticket_history"} <= {
        "closed_at before created_at",
        "satisfaction outside 1-5",
    }


def test_client_dimension_has_segment_tier_sla_and_team(scenario, spark, crm_settings) -> None:
    dim = read_client_dimension(spark, crm_settings)
    rows = dim.collect()
    assert len(rows) == scenario.source_before["clients"] + N_INSERTS
    assert all(r.segment and r.contract_sla_hours and r.account_team_name for r in rows)


def test_stream_enrichment_flags_unknown_clients_then_picks_up_the_refresh(scenario) -> None:
    first, second = ({r.client_id: r for r in rows} for rows in scenario.enriched)
    known = first["C00001"]
    assert (
        known.client_known
        and known.segment
        and known.sla_deadline == (known.created_at + timedelta(hours=known.contract_sla_hours))
    )
    for cid in scenario.changes.inserted:  # not in the CRM yet: kept, flagged, default SLA
        assert first[cid].client_known is False and first[cid].segment is None
        assert first[cid].contract_sla_hours == tier(DEFAULT_TIER).resolution_hours
        assert second[cid].client_known is True  # the same running job now knows them
    assert scenario.versions[0] != scenario.versions[-1] and scenario.refreshes == 2
