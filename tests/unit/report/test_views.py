"""Report views on small in-memory frames."""

from __future__ import annotations

import pandas as pd

from hybridflow.report import figures, views
from hybridflow.tickets.malformed import MalformedKind
from hybridflow.tickets.model import example


def test_windows_vs_tickets_marks_open_windows():
    tickets = pd.DataFrame(
        {"created_at": pd.to_datetime(["2026-01-31T09:00:10Z", "2026-01-31T09:00:50Z", "2026-01-31T09:01:05Z"])}
    )
    windows = pd.DataFrame(
        {
            "window_start": [pd.Timestamp("2026-01-31T09:00:00")],
            "window_end": [pd.Timestamp("2026-01-31T09:01:00")],
            "tickets": [2],
        }
    )
    frame = views.windows_vs_tickets(tickets, windows)
    assert frame["valid_tickets"].tolist() == [2, 1]
    assert frame["windowed_tickets"].tolist() == [2, 0]
    assert frame["état"].tolist() == ["émise (fermée)", "ouverte : pas encore émise"]


def test_partition_summary_and_key_spread():
    records = pd.DataFrame(
        {"partition": [0, 0, 1], "offset": [0, 1, 0], "key": ["C1", "C1", "C2"], "bytes": [10, 10, 10]}
    )
    assert views.partition_summary(records)["enregistrements"].tolist() == [2, 1]
    assert views.keys_in_several_partitions(records) == 0
    records.loc[2, "key"] = "C1"
    assert views.keys_in_several_partitions(records) == 1


def test_malformed_examples_cover_every_kind():
    frame = views.malformed_examples(example(), 10_000)
    assert len(frame) == len(MalformedKind) and frame["raison attendue"].is_unique


def test_figures_are_saved_where_the_build_says(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORT_DIR", str(tmp_path))
    reasons = pd.Series({"malformed_json": 3, "wrong_type": 1})
    figures.save(figures.dead_letter_reasons(reasons), "test_dlq")
    assert (tmp_path / "figures" / "test_dlq.png").stat().st_size > 0


# --- the Delta lake as the report reads it (delta-rs, no Spark) -----------------------------------


def _lake_with_a_stray_file(tmp_path):
    """A two-version tickets table, plus the data file a writer killed before its commit leaves behind."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from deltalake import write_deltalake

    from hybridflow.config import get_settings

    settings = get_settings(lake_uri=tmp_path.as_uri())
    folder = tmp_path / "tickets"
    write_deltalake(str(folder), pa.table({"ticket_id": ["a", "b"]}))
    write_deltalake(str(folder), pa.table({"ticket_id": ["c"]}), mode="append")
    pq.write_table(pa.table({"ticket_id": ["c"]}), folder / "part-00000-crashed.parquet")
    return settings


def test_naive_parquet_reader_counts_the_stray_file_and_delta_does_not(tmp_path):
    from hybridflow import lake

    settings = _lake_with_a_stray_file(tmp_path)
    row = views.naive_vs_delta(settings, [lake.TICKETS, lake.TICKET_WINDOWS]).set_index("table").loc["tickets"]
    assert row["fichiers Parquet du dossier"] == 3 and row["fichiers de la version"] == 2
    assert row["lignes, lecteur Parquet naïf"] == 4 and row["lignes, lecteur Delta"] == 3


def test_delta_history_lists_every_commit_oldest_first(tmp_path):
    from hybridflow import lake

    history = views.delta_history(lake.TICKETS, _lake_with_a_stray_file(tmp_path))
    assert list(history["version"]) == [0, 1]
    assert set(history["opération"]) <= {"CREATE TABLE", "WRITE"}
    assert views.delta_history(lake.TICKET_WINDOWS, _lake_with_a_stray_file(tmp_path / "other")).empty


def test_compare_versions_reads_an_older_version(tmp_path):
    import pyarrow as pa
    from deltalake import write_deltalake

    from hybridflow import lake
    from hybridflow.config import get_settings

    settings = get_settings(lake_uri=tmp_path.as_uri())
    table = lake.LakeTable("clients", "clients", key=("client_id",))
    write_deltalake(str(tmp_path / "clients"), pa.table({"client_id": ["C1"], "tier": ["silver"]}))
    write_deltalake(
        str(tmp_path / "clients"), pa.table({"client_id": ["C1", "C2"], "tier": ["gold", "bronze"]}), mode="overwrite"
    )
    frame = views.compare_versions(table, settings, 0, ["C1", "C2"], "tier")
    assert frame.to_dict("list") == {
        "client_id": ["C1", "C2"],
        "tier, version 0": ["silver", None],
        "tier, version 1": ["gold", "bronze"],
    }


def test_job_queries_name_the_three_queries_and_their_guarantees():
    from hybridflow import lake
    from hybridflow.config import get_settings

    frame = views.job_queries(get_settings(trigger_interval="2 seconds", windows_trigger_interval="3 minutes"))
    assert list(frame["requête"]) == [lake.TICKETS_QUERY.name, lake.WINDOWS_QUERY.name, lake.ALERTS_QUERY.name]
    assert "2 seconds" in frame["déclencheur"][0] and "3 minutes" in frame["déclencheur"][1]
    assert "read_committed" in frame["garantie"][0] and "au moins une fois" in frame["garantie"][2]


def test_bench_tables_and_latency_figure(tmp_path, monkeypatch):
    from hybridflow.bench.stream import DrainResult, Peak, SteadyResult

    drained = DrainResult(1000, baseline_s=[2.0], job_s=[4.0])
    assert views.drain_table(drained)["événements/s"].tolist() == [500, 250]
    assert "0.50×" in views.drain_table(drained)["job / référence"][1]
    fast = {"p50": 0.05, "p95": 0.08, "p99": 0.2, "n": 40}
    slow = {"p50": 2.0, "p95": 6.0, "p99": 7.0, "n": 900}
    held = SteadyResult(rate=300, seconds=10, warmup_s=0, sent=3000, visible=slow, alerts=fast, peak=Peak())
    table = views.latency_table(held)
    assert table["atteinte"].tolist() == ["non", "oui"]  # visible p95 6 s > 5 s; alerts 0.08 s <= 1 s
    monkeypatch.setenv("REPORT_DIR", str(tmp_path))
    paths = views.latency_paths(held)
    paths["visible dans la table tickets"]["samples"] = [0.5, 1.0, 2.0, 6.5]
    figures.save(figures.latency_distributions(paths, "test"), "test_latences")
    assert (tmp_path / "figures" / "test_latences.png").stat().st_size > 0


# --- support operations (notebook 8) --------------------------------------------------------------


def _lifecycle_status():
    """Two platinum tickets (one answered late and resolved late), one gold still waiting for its first response."""
    t0 = pd.Timestamp("2026-01-31T08:00:00Z")
    hours = pd.Timedelta(hours=1)
    return pd.DataFrame(
        {
            "ticket_id": ["a" * 8 + "-1", "b" * 8 + "-2", "c" * 8 + "-3"],
            "client_id": ["C1", "C2", "C3"],
            "created_at": [t0, t0, t0 + 9 * hours],
            "contract_tier": ["platinum", "platinum", "gold"],
            "team_id": ["T-TECH", "T-BILL", "T-ACCT"],
            "priority": ["critical", "high", "medium"],
            "status": ["closed", "resolved", "open"],
            "first_response_at": [t0 + 0.5 * hours, t0 + 2 * hours, pd.NaT],
            "resolved_at": [t0 + 4 * hours, t0 + 9 * hours, pd.NaT],
            "closed_at": [t0 + 6 * hours, pd.NaT, pd.NaT],
            "first_response_deadline": [t0 + hours, t0 + hours, t0 + 11 * hours],
            "resolution_deadline": [t0 + 8 * hours, t0 + 8 * hours, t0 + 33 * hours],
            "first_response_breached": [False, True, False],
            "resolution_breached": [False, True, False],
        }
    )


def test_support_tables_speak_french():
    from hybridflow.report import operations as ops

    status = _lifecycle_status()
    now = pd.Timestamp("2026-01-31T18:30:00Z")
    times = views.response_times_table(ops.response_times(status), "contract_tier")
    assert times["niveau de contrat"].tolist() == ["platine", "or", "ensemble"]
    assert times["1re réponse : SLA (h)"].tolist()[:2] == [1, 2]
    assert times["résolution p50 (h)"].iloc[0] == 6.5  # 4 h and 9 h
    rates = views.breach_table(ops.breach_rates(status, now)).set_index("niveau de contrat")
    assert (
        rates.loc["platine", "1re réponse : taux %"] == 50.0 and rates.loc["or", "1re réponse : échéances passées"] == 0
    )
    risk = views.at_risk_table(ops.at_risk(status, now))
    assert risk[["statut", "échéance", "minutes restantes"]].values.tolist() == [["ouvert", "première réponse", 30]]
    teams = views.response_times_table(ops.response_times(status, "team_id"), "team_id")
    assert teams["équipe"].iloc[0] == "Facturation & recouvrement"


def test_support_figures_render(tmp_path, monkeypatch):
    from hybridflow.report import operations as ops

    monkeypatch.setenv("REPORT_DIR", str(tmp_path))
    status = _lifecycle_status()
    history = pd.DataFrame(
        {"created_at": status["created_at"], "closed_at": status["resolved_at"], "priority": status["priority"]}
    )
    empty = pd.DataFrame()
    drawn = {
        "delais": figures.response_times(ops.response_times(status), "contract_tier"),
        "delais_vides": figures.response_times(ops.response_times(empty, "team_id"), "team_id"),
        "depassements": figures.breach_rates(ops.breach_rates(status, pd.Timestamp("2026-01-31T18:00:00Z"))),
        "backlog": figures.open_backlog(ops.open_backlog(status)),
        "backlog_vide": figures.open_backlog(ops.open_backlog(empty)),
        "historique": figures.history_comparison(ops.resolution_vs_history(status, history)),
    }
    for name, fig in drawn.items():
        figures.save(fig, name)
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 0, name
