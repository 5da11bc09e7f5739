"""The lake catalogue: one home per table, and a Spark-free reader that follows the Delta log."""

from __future__ import annotations

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from hybridflow import lake
from hybridflow.config import get_settings
from hybridflow.crm_tables import TABLES


def test_every_table_has_one_name_and_one_path():
    tables = lake.catalogue()
    assert len({t.name for t in tables}) == len(tables)
    assert len({t.path for t in tables}) == len(tables)
    assert {t.name for t in tables} >= {spec.name for spec in TABLES} | {"tickets", "ticket_windows"}


def test_reference_tables_follow_their_batch_spec():
    for spec in TABLES:
        table = lake.table(spec.name)
        assert table.path == f"reference/{spec.name}"
        assert table.partition_by == tuple(spec.lake_partition_by) and table.key == (spec.key,)


def test_unknown_table_names_the_known_ones():
    with pytest.raises(KeyError, match="tickets"):
        lake.table("tikets")


def test_s3a_uris_become_s3_with_the_endpoint_and_keys_of_the_settings():
    settings = get_settings(
        s3_endpoint="http://127.0.0.1:7070", s3_access_key="ak", s3_secret_key="sk", lake_uri="s3a://bucket/prefix"
    )
    location, options = lake.delta_rs_location(settings, lake.TICKETS.uri(settings))
    assert location == "s3://bucket/prefix/tickets"
    assert options["AWS_ENDPOINT_URL"] == "http://127.0.0.1:7070" and options["AWS_ALLOW_HTTP"] == "true"
    assert (options["AWS_ACCESS_KEY_ID"], options["AWS_SECRET_ACCESS_KEY"]) == ("ak", "sk")


def test_local_uris_become_paths(tmp_path):
    settings = get_settings(lake_uri=tmp_path.as_uri())
    assert lake.delta_rs_location(settings, lake.TICKETS.uri(settings)) == (str(tmp_path / "tickets"), {})


def test_reader_sees_only_committed_files_not_strays(tmp_path):
    settings = get_settings(lake_uri=tmp_path.as_uri())
    assert not lake.TICKETS.exists(settings) and lake.TICKETS.count(settings) == 0
    assert lake.TICKETS.to_pandas(settings, columns=["ticket_id"]).empty
    folder = tmp_path / "tickets"
    write_deltalake(str(folder), pa.table({"ticket_id": ["a", "b"]}))
    # What a writer killed before its commit leaves behind: a data file the log never names.
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"ticket_id": ["a", "b"]}), folder / "part-00000-stray.parquet")
    assert sorted(lake.TICKETS.to_pandas(settings)["ticket_id"]) == ["a", "b"]
    assert lake.TICKETS.count(settings) == 2 and lake.TICKETS.version(settings) == 0
    assert [path for path, _ in lake.TICKETS.files(settings)] != [] and all(
        "stray" not in path for path, _ in lake.TICKETS.files(settings)
    )
    con = lake.duckdb_connection()
    assert con.sql(f"SELECT count(*) FROM {lake.duckdb_scan(settings, lake.TICKETS)}").fetchone()[0] == 2
    assert pq.read_table(folder).num_rows == 4  # a naive Parquet reader would double-count: why the log matters
