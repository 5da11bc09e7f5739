"""The windows query: each closed window lands once in its Delta table, also when a restart replays a batch."""

import json
from datetime import datetime, timedelta

import pytest

from hybridflow.config import get_settings
from hybridflow.lake import TICKET_WINDOWS, TICKETS, WINDOWS_QUERY
from hybridflow.streaming import sinks
from hybridflow.streaming.job import start_windows


@pytest.fixture()
def lake(tmp_path):
    return get_settings(lake_uri=(tmp_path / "lake").as_uri(), spark_master="local[2]")


def _tickets(spark, start: datetime, minutes: int):
    """Three tickets a minute for `minutes` minutes: two `technical`/`high`, one `billing`/`low`."""
    rows = []
    for m in range(minutes):
        at = start + timedelta(minutes=m, seconds=10)
        rows += [
            (f"t-{m}-0", "C00001", at, "technical", "high", at.date().isoformat()),
            (f"t-{m}-1", "C00002", at, "technical", "high", at.date().isoformat()),
            (f"t-{m}-2", "C00003", at, "billing", "low", at.date().isoformat()),
        ]
    schema = "ticket_id string, client_id string, created_at timestamp, request_type string, priority string, created_date string"
    return spark.createDataFrame(rows, schema)


def _run_windows(spark, settings) -> None:
    query = start_windows(spark, settings, available_now=True)
    assert query.awaitTermination(120), "the windows query did not drain the table within 120 s"
    assert query.exception() is None


def _forget_last_batch(settings) -> int:
    """A crash after the batch's Delta commit, before Spark recorded it done: the restart replays it."""
    commits = settings.local_path(WINDOWS_QUERY.checkpoint(settings)) / "commits"
    last = max(int(p.name) for p in commits.iterdir() if p.name.isdigit())
    (commits / str(last)).unlink()
    (commits / f".{last}.crc").unlink(missing_ok=True)
    return last


def test_each_closed_window_lands_once_even_when_the_last_batch_is_replayed(spark, lake):
    sinks.append_once(_tickets(spark, datetime(2026, 11, 27, 9, 0), 10), TICKETS, lake, "tickets", 0, True)
    _run_windows(spark, lake)
    first = TICKET_WINDOWS.to_pandas(lake)
    # 1-minute windows, watermark 30 s behind the last ticket (09:09:10): 09:00 to 09:07 are closed.
    assert len(first) == 8 * 2
    assert (first.groupby(["window_start", "request_type", "priority"]).size() == 1).all()
    assert set(first.loc[first.request_type == "technical", "tickets"]) == {2}

    replayed = _forget_last_batch(lake)
    _run_windows(spark, lake)  # restarts from the checkpoint: re-runs batch `replayed` first
    again = TICKET_WINDOWS.to_pandas(lake)
    assert len(again) == len(first), f"batch {replayed} replayed into the windows table"
    markers = [json.loads(h["userMetadata"]) for h in TICKET_WINDOWS.delta(lake).history() if h.get("userMetadata")]
    assert [m["batch"] for m in markers].count(replayed) == 1
