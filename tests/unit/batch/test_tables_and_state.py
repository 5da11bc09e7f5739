"""The table specs agree with themselves; the state round-trips; extract filters are right (no Spark)."""

import pytest

from hybridflow.batch.extract import changed_since
from hybridflow.batch.state import BatchState, TableState
from hybridflow.crm_tables import CONTRACT_TIERS, DEFAULT_TIER, JDBC_TABLES, TABLES, spark_type, table, tier


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_spec_is_consistent(spec) -> None:
    names = spec.column_names
    assert spec.key in names and spec.updated_at in names
    assert set(spec.lake_partition_by) <= set(spec.lake_schema().fieldNames())
    if spec.jdbc_partition_column:
        assert spec.source_schema()[spec.jdbc_partition_column].dataType.typeName() in ("integer", "long")
    if spec.source == "jdbc":
        assert all(c.pg_type for c in spec.columns)
        assert f"PRIMARY KEY ({spec.key})" in spec.ddl()
    else:
        assert spec.csv_glob and all(f.dataType.typeName() == "string" for f in spec.raw_csv_schema().fields)


def test_unknown_names_fail_clearly() -> None:
    with pytest.raises(KeyError, match="unknown table"):
        table("nope")
    with pytest.raises(ValueError, match="unsupported type"):
        spark_type("varchar(3)")


def test_tiers_are_ordered_and_default_exists() -> None:
    hours = [t.resolution_hours for t in CONTRACT_TIERS]
    assert hours == sorted(hours)
    assert tier(DEFAULT_TIER).resolution_hours == max(hours)


def test_state_round_trips_through_json() -> None:
    state = BatchState({"clients": TableState("2026-01-01T00:00:00.000001+00:00", [], "run-1", 10)})
    state.table("invoices").files.append("invoices_20260105.csv")
    again = BatchState.from_json(state.to_json())
    assert again == state
    assert again.table("clients").high_water_mark.endswith(".000001+00:00")


def test_incremental_filter_uses_the_mark() -> None:
    spec = JDBC_TABLES[0]
    assert changed_since(spec, None) == "TRUE"
    assert changed_since(spec, "2026-01-01T00:00:00.000000+00:00") == (
        "updated_at > TIMESTAMPTZ '2026-01-01T00:00:00.000000+00:00'"
    )
