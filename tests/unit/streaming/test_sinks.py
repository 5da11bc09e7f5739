"""`append_once`: a micro-batch lands in its Delta table at most once, read back without Spark."""

import pytest

from hybridflow.config import get_settings
from hybridflow.lake import TICKETS
from hybridflow.streaming import sinks


@pytest.fixture()
def lake(tmp_path):
    return get_settings(lake_uri=(tmp_path / "lake").as_uri(), spark_master="local[2]")


def _rows(spark, first: int, n: int):
    return spark.createDataFrame([(i, "2026-11-27") for i in range(first, first + n)], "n int, created_date string")


def test_a_replayed_first_batch_is_skipped(spark, lake):
    assert sinks.append_once(_rows(spark, 0, 3), TICKETS, lake, "query-a", 0, may_be_replay=True)
    assert sinks.append_once(_rows(spark, 3, 2), TICKETS, lake, "query-a", 1, may_be_replay=False)
    # A restart replays batch 1 (its commit landed, Spark's checkpoint did not record it).
    assert not sinks.append_once(_rows(spark, 3, 2), TICKETS, lake, "query-a", 1, may_be_replay=True)
    assert sorted(TICKETS.to_pandas(lake)["n"]) == list(range(5))
    # The next batch after that restart is new: it lands.
    assert sinks.append_once(_rows(spark, 5, 1), TICKETS, lake, "query-a", 2, may_be_replay=True)
    assert TICKETS.count(lake) == 6


def test_markers_are_per_query_and_read_from_the_log(spark, lake):
    assert sinks.last_committed_batch(TICKETS, lake, "query-a") == -1  # no table yet
    sinks.append_once(_rows(spark, 0, 1), TICKETS, lake, "query-a", 7, may_be_replay=True)
    sinks.append_once(_rows(spark, 1, 1), TICKETS, lake, "query-b", 0, may_be_replay=True)
    assert sinks.last_committed_batch(TICKETS, lake, "query-a") == 7
    assert sinks.last_committed_batch(TICKETS, lake, "query-b") == 0
    # query-b's batch 0 does not make query-c's batch 0 look like a replay: markers carry the query id.
    assert sinks.append_once(_rows(spark, 2, 1), TICKETS, lake, "query-c", 0, may_be_replay=True)
    history = TICKETS.delta(lake).history()
    assert [sinks.batch_marker("query-c", 0), sinks.batch_marker("query-b", 0), sinks.batch_marker("query-a", 7)] == [
        h.get("userMetadata") for h in history
    ]
