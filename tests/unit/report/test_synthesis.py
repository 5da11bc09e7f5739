"""The synthesis reads the benchmarks' JSON (or says « non mesuré ») and computes the run's balance."""

from __future__ import annotations

import json

from hybridflow.architecture import build_architecture
from hybridflow.report import synthesis

STREAM = {
    "drain": {"count": 1_000_000, "job_eps": 12_345.6, "ratio": 0.41},
    "steady": {
        "rate": 1000,
        "visible": {"p50": 1.2, "p95": 2.5, "p99": 3.0, "n": 120_000},
        "alerts": {"p50": 0.1, "p95": 0.4, "p99": 0.6, "n": 3_600},
    },
}


def _values(rows):
    return {r["indicateur"]: r["valeur"] for r in rows}


def test_absent_benchmarks_are_not_measured(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORT_DIR", str(tmp_path / "report"))
    values = _values(synthesis.bench_rows(tmp_path))
    assert set(values.values()) == {synthesis.NOT_MEASURED}


def test_stream_benchmark_numbers_come_from_its_json(tmp_path):
    (tmp_path / synthesis.STREAM_BENCH).write_text(json.dumps(STREAM))
    values = _values(synthesis.bench_rows(tmp_path))
    throughput = values["débit du job de streaming (vidage d'un arriéré)"]
    assert "12\u202f346 événements/s" in throughput and "0,41×" in throughput
    assert (
        "p95 2,50 s" in values["latence created_at → visible dans le lac"]
        and "cible atteinte" in values["latence created_at → visible dans le lac"]
    )


def test_a_corrupt_benchmark_file_is_not_measured(tmp_path):
    (tmp_path / synthesis.STREAM_BENCH).write_text("{not json")
    assert (
        _values(synthesis.bench_rows(tmp_path))["débit du job de streaming (vidage d'un arriéré)"]
        == synthesis.NOT_MEASURED
    )


def test_the_report_producer_measure_is_used_when_the_full_bench_is_absent(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.setenv("REPORT_DIR", str(tmp_path / "report"))
    synthesis.record_producers(
        pd.DataFrame(
            [
                {"producer": "produce() via kafka-python", "events/s (median)": 5000},
                {"producer": "Kafka ProducerPerformance (Java)", "events/s (median)": 90000},
            ]
        )
    )
    assert "5\u202f000 tickets/s" in _values(synthesis.bench_rows(tmp_path))["débit de notre producteur (médiane)"]


def test_the_balance_holds_only_without_loss_or_duplicate():
    assert synthesis.RunOutcome(records=100, tickets=97, distinct=97, dead_letters=3).balanced
    assert not synthesis.RunOutcome(records=100, tickets=97, distinct=96, dead_letters=3).balanced
    assert not synthesis.RunOutcome(records=101, tickets=97, distinct=97, dead_letters=3).balanced
    assert not synthesis.RunOutcome(tickets=97, distinct=97, dead_letters=3).measured


def test_nothing_is_claimed_proven_without_evidence(tmp_path):
    arch = build_architecture()
    unread = synthesis.proof_markdown(synthesis.RunOutcome(problems=["lac absent"]), arch, tmp_path)
    assert "aucun perdu" not in unread and "Non vérifié" in unread
    good = synthesis.proof_markdown(
        synthesis.RunOutcome(records=10, tickets=9, distinct=9, dead_letters=1), arch, tmp_path
    )
    assert "aucun perdu, aucun doublon" in good


def test_the_synthesis_reads_where_the_benchmarks_write(tmp_path, monkeypatch):
    from hybridflow.bench import write_results
    from hybridflow.config import get_settings

    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("REPORT_DIR", str(tmp_path / "report"))
    written = write_results(get_settings(), "stream", STREAM)
    assert written.parent == synthesis.default_bench_dir() == tmp_path / "state" / "bench"
    value = _values(synthesis.bench_rows())["débit du job de streaming (vidage d'un arriéré)"]
    assert value != synthesis.NOT_MEASURED and "0,41×" in value


# --- the support figures: one computation for the synthesis and chapter 8 -------------------------


def _write_lifecycle(tmp_path):
    """A lake with ticket_status and ticket_events: three platinum tickets, one answered late, one still open."""
    import pandas as pd
    import pyarrow as pa
    from deltalake import write_deltalake

    from hybridflow import lake
    from hybridflow.config import get_settings

    t0 = pd.Timestamp("2026-01-31T08:00:00Z")

    def h(hours):
        return t0 + pd.Timedelta(hours=hours)

    status = pd.DataFrame(
        {
            "ticket_id": ["A", "B", "C"],
            "client_id": ["C1", "C2", "C3"],
            "created_at": [h(0), h(1), h(2)],
            "contract_tier": ["platinum"] * 3,
            "team_id": ["T-TECH", "T-BILL", "T-DESK"],
            "priority": ["high"] * 3,
            "status": ["closed", "resolved", "open"],
            "first_response_at": [h(0.5), h(3), pd.NaT],
            "resolved_at": [h(4), h(8), pd.NaT],
            "closed_at": [h(5), pd.NaT, pd.NaT],
            "first_response_deadline": [h(1), h(2), h(3)],
            "resolution_deadline": [h(8), h(9), h(10)],
            "first_response_breached": [False, True, True],
            "resolution_breached": [False, False, False],
        }
    )
    events = pd.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4", "e5"],
            "ticket_id": ["A", "A", "A", "B", "B"],
            "event_type": ["first_response", "resolved", "closed", "first_response", "resolved"],
            "occurred_at": [h(0.5), h(4), h(5), h(3), h(9.5)],
        }
    )
    settings = get_settings(lake_uri=tmp_path.as_uri())
    for table, frame in ((lake.TICKET_STATUS, status), (lake.TICKET_EVENTS, events)):
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        arrow = arrow.cast(
            pa.schema(
                [
                    pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f
                    for f in arrow.schema
                ]
            )
        )
        write_deltalake(str(settings.local_path(table.uri(settings))), arrow)
    return settings


def test_the_synthesis_states_chapter_8s_support_figures(tmp_path):
    from hybridflow.report import lifecycle_io, operations, views

    settings = _write_lifecycle(tmp_path)
    rows = synthesis.support_rows(synthesis.support_summary(settings))
    # chapter 8: the same tables read back, summarised and worded by its own cells' functions
    chapter = views.support_figures(
        operations.summarise(lifecycle_io.read_status(settings), lifecycle_io.read_events(settings))
    )
    assert [r["indicateur"] for r in rows] == list(views.SYNTHESIS_INDICATORS)
    assert all(r["valeur"] == chapter[r["indicateur"]] for r in rows)
    values = _values(rows)
    # now = 9.5 h (B's resolution event): all three first-response deadlines passed, B and C breached
    assert values[views.FIRST_RESPONSE_BREACHES].startswith("66,7 % (2 sur 3 ")
    # resolution deadlines 8 h and 9 h passed, none breached; C's (10 h) is still ahead
    assert values[views.RESOLUTION_BREACHES].startswith("0,0 % (0 sur 2 ")
    assert values[views.RESOLUTION_DELAY].startswith("5,5 h (p90 6,7 h) sur 2 ")  # 4 h and 7 h
    assert values[views.OPEN_AT_END] == "1" and values[views.AT_RISK] == "1"  # C: resolution due at 10 h
    proof = synthesis.proof_markdown(
        synthesis.RunOutcome(), build_architecture(), tmp_path, support=synthesis.support_summary(settings)
    )
    assert "cycle de vie des tickets est suivi" in proof and "66,7 %" in proof


def test_support_figures_are_not_measured_without_the_lifecycle_tables(tmp_path):
    from hybridflow.config import get_settings

    settings = get_settings(lake_uri=tmp_path.as_uri())
    assert synthesis.support_summary(settings) is None
    assert {r["valeur"] for r in synthesis.support_rows(None)} == {synthesis.NOT_MEASURED}
