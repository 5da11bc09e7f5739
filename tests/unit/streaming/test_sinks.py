"""`append_once`: a micro-batch lands in its Delta table at most once, read back without Spark."""

from dataclasses import replace
from datetime import datetime

import pytest

from hybridflow.config import get_settings
from hybridflow.lake import TICKETS as TICKETS_TABLE
from hybridflow.streaming import sinks

# The markers' tests write a two-column stand-in: the tickets table without its creation properties,
# which name the real tickets' columns (tested on their own below).
TICKETS = replace(TICKETS_TABLE, properties=())


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


def test_the_tickets_table_is_created_with_its_properties(spark, lake):
    row = ("t-1", "C00001", datetime(2026, 11, 27, 9, 30), "Machine stopped", "technical", "high", True, "2026-11-27")
    schema = (
        "ticket_id string, client_id string, created_at timestamp, request string, request_type string, "
        "priority string, client_known boolean, created_date string"
    )
    assert sinks.append_once(spark.createDataFrame([row], schema), TICKETS_TABLE, lake, "query-a", 0, True)
    delta = TICKETS_TABLE.delta(lake)
    assert set(TICKETS_TABLE.properties) <= set(delta.metadata().configuration.items())
    assert delta.metadata().partition_columns == ["created_date"]
    # Statistics only on the columns the property names: a reader skips files on created_at, not on request.
    stats = set(delta.get_add_actions(flatten=True).schema.names)
    assert {"min.created_at", "max.client_id", "null_count.priority"} <= stats
    assert not {c for c in stats if c.endswith(".request")}
    assert TICKETS_TABLE.to_pandas(lake)["ticket_id"].tolist() == ["t-1"]
    assert sinks.last_committed_batch(TICKETS_TABLE, lake, "query-a") == 0
