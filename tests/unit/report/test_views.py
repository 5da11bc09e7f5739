"""Report views on small in-memory frames."""

from __future__ import annotations

import pandas as pd

from hybridflow.report import figures, views
from hybridflow.tickets.model import example


def test_windows_vs_tickets_marks_open_windows():
    tickets = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-31T09:00:10Z", "2026-01-31T09:00:50Z", "2026-01-31T09:01:05Z"])})
    windows = pd.DataFrame({"window_start": [pd.Timestamp("2026-01-31T09:00:00")], "window_end": [pd.Timestamp("2026-01-31T09:01:00")], "tickets": [2]})
    frame = views.windows_vs_tickets(tickets, windows)
    assert frame["valid_tickets"].tolist() == [2, 1]
    assert frame["windowed_tickets"].tolist() == [2, 0]
    assert frame["état"].tolist() == ["émise (fermée)", "ouverte : pas encore émise"]


def test_partition_summary_and_key_spread():
    records = pd.DataFrame({"partition": [0, 0, 1], "offset": [0, 1, 0], "key": ["C1", "C1", "C2"], "bytes": [10, 10, 10]})
    assert views.partition_summary(records)["enregistrements"].tolist() == [2, 1]
    assert views.keys_in_several_partitions(records) == 0
    records.loc[2, "key"] = "C1"
    assert views.keys_in_several_partitions(records) == 1


def test_malformed_examples_cover_every_kind():
    frame = views.malformed_examples(example(), 10_000)
    assert len(frame) == 8 and frame["raison attendue"].is_unique


def test_sla_buckets_counts_time_left():
    now = pd.Timestamp("2026-01-31T10:00:00Z")
    tickets = pd.DataFrame({"tier": ["gold", "gold", "silver"],
                            "due": pd.to_datetime(["2026-01-31T11:00:00Z", "2026-02-03T10:00:00Z", "2026-01-31T20:00:00Z"])})
    buckets = figures.sla_buckets(tickets, "tier", "due", now)
    assert buckets.loc["gold", "< 4 h"] == 1 and buckets.loc["gold", "1 – 3 jours"] == 0 and buckets.loc["gold", "> 3 jours"] == 1
    assert buckets.loc["silver", "4 h – 24 h"] == 1


def test_figures_are_saved_where_the_build_says(tmp_path, monkeypatch):
    monkeypatch.setenv("HYBRIDFLOW_REPORT_DIR", str(tmp_path))
    reasons = pd.Series({"malformed_json": 3, "wrong_type": 1})
    figures.save(figures.dead_letter_reasons(reasons), "test_dlq")
    assert (tmp_path / "figures" / "test_dlq.png").stat().st_size > 0
