"""The pure batch transforms on tiny static DataFrames: each behaviour and its failure case."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from pyspark.sql import Row

from hybridflow.batch.errors import BatchError
from hybridflow.batch.transforms import (
    affected_partitions,
    build_client_dimension,
    conform,
    dedup_latest,
    enrich_with_clients,
    newer_than,
)
from hybridflow.crm_tables import CLIENTS_SPEC, DEFAULT_TIER, INVOICES_SPEC, TICKET_HISTORY_SPEC, tier

T0 = datetime(2026, 1, 10, 8, 0, 0)


def _invoices(spark, rows):
    return spark.createDataFrame(rows, INVOICES_SPEC.raw_csv_schema())


def _clients(spark, rows):
    return spark.createDataFrame(rows, CLIENTS_SPEC.source_schema())


def _client(no, cid="C00001", segment="smb", country="FR", tier_="gold", updated=T0, name="Acme SAS"):
    return (no, cid, name, segment, country, tier_, "AM-FR-1", T0 - timedelta(days=900), updated)


# --- conform: cleaning, typing, rejects with reasons ----------------------------------------------------


def test_conform_types_a_french_csv_line(spark) -> None:
    df = _invoices(spark, [("inv-00000001", "  c00007 ", "05/01/2026", "1 234,56", "PAID", "2026-01-05 22:00:00")])
    valid, rejects = conform(df, INVOICES_SPEC, "invoices_20260105.csv")
    assert rejects.count() == 0
    row = valid.collect()[0]
    assert (row.invoice_id, row.client_id, row.status) == ("INV-00000001", "C00007", "paid")
    assert row.issued_on == date(2026, 1, 5) and row.amount_eur == Decimal("1234.56")
    assert row.updated_at == datetime(2026, 1, 5, 22, 0, 0) and row.issued_month == "2026-01"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            ("INV-00000002", "C00007", "31/02/2026", "10,00", "paid", "2026-01-05 22:00:00"),
            "unparseable issued_on: '31/02/2026'",
        ),
        (
            ("INV-00000003", "C00007", "05/01/2026", "12,5O", "paid", "2026-01-05 22:00:00"),
            "unparseable amount_eur: '12,5O'",
        ),
        (
            ("INV-00000004", "CLI-042", "05/01/2026", "10,00", "paid", "2026-01-05 22:00:00"),
            "invalid client_id: 'CLI-042'",
        ),
        (("", "C00007", "05/01/2026", "10,00", "paid", "2026-01-05 22:00:00"), "missing invoice_id"),
        (
            ("INV-00000005", "C00007", "05/01/2026", "10,00", "refunded", "2026-01-05 22:00:00"),
            "invalid status: 'refunded'",
        ),
        (("INV-00000006", "C00007", "05/01/2026", "-3,00", "paid", "2026-01-05 22:00:00"), "negative amount_eur"),
    ],
)
def test_conform_rejects_a_bad_line_with_its_reason(spark, line, reason) -> None:
    valid, rejects = conform(_invoices(spark, [line]), INVOICES_SPEC, "invoices_x.csv")
    assert valid.count() == 0
    got = rejects.collect()[0]
    assert (got.table, got.source, got.reject_reason) == ("invoices", "invoices_x.csv", reason)
    assert json.loads(got.record)["invoice_id"] == line[0]  # the original line is kept, untouched


def test_conform_cleans_fixable_jdbc_rows_and_checks_rules(spark) -> None:
    df = _clients(
        spark,
        [_client(1, segment="Enterprise", country="fr", name="  Acme SAS "), _client(2, "C00002", tier_="diamond")],
    )
    valid, rejects = conform(df, CLIENTS_SPEC, "crm.clients")
    (row,) = valid.collect()
    assert (row.name, row.segment, row.country) == ("Acme SAS", "enterprise", "FR")
    assert [r.reject_reason for r in rejects.collect()] == ["invalid contract_tier: 'diamond'"]


def test_conform_row_check_compares_typed_columns(spark) -> None:
    schema = TICKET_HISTORY_SPEC.source_schema()
    ok = (
        1,
        "3f1c9a52-8d4e-4b7a-9c2e-1a2b3c4d5e6f",
        "C00001",
        T0,
        T0 + timedelta(hours=1),
        "billing",
        "low",
        1,
        "closed",
        4,
        T0,
    )
    bad = (
        2,
        "3f1c9a52-8d4e-4b7a-9c2e-1a2b3c4d5e60",
        "C00001",
        T0,
        T0 - timedelta(hours=1),
        "billing",
        "low",
        1,
        "closed",
        4,
        T0,
    )
    still_open = (
        3,
        "3f1c9a52-8d4e-4b7a-9c2e-1a2b3c4d5e61",
        "C00001",
        T0,
        None,
        "billing",
        "low",
        None,
        "open",
        None,
        T0,
    )
    valid, rejects = conform(
        spark.createDataFrame([ok, bad, still_open], schema), TICKET_HISTORY_SPEC, "crm.ticket_history"
    )
    assert sorted(r.history_id for r in valid.collect()) == [1, 3]
    assert [r.reject_reason for r in rejects.collect()] == ["closed_at before created_at"]


def test_conform_refuses_a_source_missing_columns(spark) -> None:
    df = _invoices(spark, []).drop("status")
    with pytest.raises(BatchError, match="no column"):
        conform(df, INVOICES_SPEC, "x")


# --- dedup and the incremental merge ---------------------------------------------------------------------


def test_dedup_keeps_the_latest_version(spark) -> None:
    df = _clients(
        spark,
        [
            _client(1, tier_="bronze"),
            _client(1, tier_="gold", updated=T0 + timedelta(hours=1)),
            _client(1, tier_="bronze"),
            _client(2, "C00002"),
        ],
    )
    out = {r.client_id: r.contract_tier for r in dedup_latest(df, "client_id").collect()}
    assert out == {"C00001": "gold", "C00002": "gold"}


def test_newer_than_ignores_rows_already_loaded(spark) -> None:
    existing = _clients(spark, [_client(1), _client(2, "C00002")])
    changes = _clients(
        spark, [_client(1), _client(2, "C00002", tier_="platinum", updated=T0 + timedelta(1)), _client(3, "C00003")]
    )
    assert sorted(r.client_id for r in newer_than(changes, existing, "client_id").collect()) == ["C00002", "C00003"]
    # Re-running with the same changes after merging them: nothing is newer any more.
    merged = dedup_latest(existing.unionByName(newer_than(changes, existing, "client_id")), "client_id")
    assert newer_than(changes, merged, "client_id").count() == 0


def test_affected_partitions_include_the_old_partition_of_a_moved_row(spark) -> None:
    existing = _clients(spark, [_client(1, segment="smb"), _client(2, "C00002", segment="enterprise")])
    changes = _clients(spark, [_client(1, segment="mid_market", updated=T0 + timedelta(1))])
    got = {r.segment for r in affected_partitions(existing, changes, "client_id", ("segment",)).collect()}
    assert got == {"smb", "mid_market"}  # not 'enterprise': untouched partitions stay as they are


# --- the client dimension and the stream's enrichment --------------------------------------------------


def _dimension(spark):
    clients = _clients(
        spark, [_client(1, tier_="platinum"), _client(2, "C00002", tier_="silver", segment="enterprise")]
    )
    tiers = spark.createDataFrame(
        [("platinum", "P", 1, 8, T0), ("silver", "S", 4, 48, T0)],
        "tier string, label string, first_response_hours int, resolution_hours int, updated_at timestamp",
    )
    teams = spark.createDataFrame(
        [("AM-FR-1", "Comptes France Nord", "account", "france", T0)],
        "team_id string, team_name string, kind string, region string, updated_at timestamp",
    )
    return build_client_dimension(clients, tiers, teams)


def test_enrich_adds_segment_deadline_and_flags_unknown_clients(spark) -> None:
    tickets = spark.createDataFrame(
        [("t1", "C00001", T0), ("t2", "C00002", T0), ("t3", "C09999", T0)],
        "ticket_id string, client_id string, created_at timestamp",
    )
    out = {r.ticket_id: r for r in enrich_with_clients(tickets, _dimension(spark)).collect()}
    assert len(out) == 3  # nobody dropped
    assert (out["t1"].segment, out["t1"].contract_tier, out["t1"].client_known) == ("smb", "platinum", True)
    assert out["t1"].sla_deadline == T0 + timedelta(hours=8)
    assert out["t2"].sla_deadline == T0 + timedelta(hours=48) and out["t2"].account_team_name == "Comptes France Nord"
    assert out["t3"].client_known is False and out["t3"].segment is None
    assert out["t3"].sla_deadline == T0 + timedelta(hours=tier(DEFAULT_TIER).resolution_hours)


def test_enrich_refuses_clashing_or_missing_columns(spark) -> None:
    dim = _dimension(spark)
    clashing = spark.createDataFrame([Row(client_id="C00001", created_at=T0, segment="x")])
    with pytest.raises(BatchError, match="already have column"):
        enrich_with_clients(clashing, dim)
    with pytest.raises(BatchError, match="created_at"):
        enrich_with_clients(spark.createDataFrame([Row(client_id="C00001")]), dim)


def test_stream_dimension_before_any_batch_run_knows_nobody(spark, tmp_path) -> None:
    from hybridflow.batch.dimension import ClientDimension
    from hybridflow.batch.transforms import DIMENSION_COLUMNS
    from hybridflow.config import get_settings

    dim = ClientDimension(spark, get_settings(lake_uri=(tmp_path / "lake").as_uri()))
    empty = dim.current()
    assert tuple(empty.columns) == DIMENSION_COLUMNS and empty.count() == 0
    tickets = spark.createDataFrame([("t1", "C00001", T0)], "ticket_id string, client_id string, created_at timestamp")
    (row,) = enrich_with_clients(tickets, empty).collect()
    assert row.client_known is False and row.sla_deadline == T0 + timedelta(hours=tier(DEFAULT_TIER).resolution_hours)
