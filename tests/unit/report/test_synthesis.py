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
