"""PostgreSQL stopped in the middle of an incremental batch ETL run, on a private server.

A full run loads the CRM; clients change (3 updates, 2 inserts); the incremental run plans the
`clients` extract, then the server stops before Spark reads the rows (the tables before it had
nothing new). Then:

- the run fails with one sentence naming the table and the fix — not a Java stack trace;
- the `clients` Delta table is untouched: the same version, the old values (readers see the
  previous version), and its high-water mark did not move past the rows that were not loaded;
- with the server back, the next incremental run loads exactly the 5 changed rows.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridflow import lake
from hybridflow.batch import job
from hybridflow.batch.crm import apply_client_changes, seed
from hybridflow.batch.errors import BatchError
from hybridflow.batch.job import run_batch
from hybridflow.batch.state import load_state
from hybridflow.config import Settings
from hybridflow.crm_tables import table
from hybridflow.services.postgres import SERVICE as POSTGRES

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def crm(settings: Settings, module_stable_port) -> Iterator[Settings]:
    """A private PostgreSQL, seeded small, with a lake and landing folder of its own; removed at the end."""
    state = Path(tempfile.mkdtemp(prefix="hybridflow-pg-fault-"))
    state.chmod(0o755)  # when run as root, the server runs as `postgres`, which must reach its folder
    private = settings.with_(state_dir=state, pg_port=module_stable_port(), pg_host="localhost", lake_uri=(state / "lake").as_uri(), checkpoint_uri=(state / "checkpoints").as_uri(), landing_dir=state / "landing")  # fmt: skip
    try:
        POSTGRES.start(private)
        seed(private, scale=0.05, seed=42, progress=False)
        yield private
    finally:
        POSTGRES.stop(private)
        shutil.rmtree(state, ignore_errors=True)


def _clients(private: Settings):
    return lake.reference_table(table("clients"))


def test_a_database_lost_mid_run_leaves_the_lake_and_the_mark_as_they_were(spark, crm: Settings, monkeypatch) -> None:
    run_batch(spark, crm, "full", progress=False)
    clients = _clients(crm)
    version, rows = clients.version(crm), clients.count(crm)
    mark = load_state(spark, crm).table("clients").high_water_mark
    changes = apply_client_changes(crm, n_updates=3, n_inserts=2)

    original = job.read_table

    def lose_the_database_before_the_read(spark, settings, spec, plan, database=None):
        df = original(spark, settings, spec, plan, database)
        if spec.name == "clients":
            POSTGRES.stop(crm)  # planned (the rows counted), not read yet
        return df

    monkeypatch.setattr(job, "read_table", lose_the_database_before_the_read)
    with pytest.raises(BatchError) as failed:
        run_batch(spark, crm, "incremental", progress=False)
    message = str(failed.value)
    print(message)
    assert message.startswith(f"Reading {table('clients').pg_table} for table 'clients' failed during the run (")
    assert "the lake table and its high-water mark are unchanged" in message and "`make up`" in message
    assert f"(PSQLException: Connection to localhost:{crm.pg_port} refused" in message
    assert "\n" not in message and "at org." not in message

    # Nothing half-written: the same Delta version and rows (read without Spark), the old tiers, the same mark.
    assert (clients.version(crm), clients.count(crm)) == (version, rows)
    lake_rows = clients.to_pandas(crm, columns=["client_id"])
    assert not set(changes.inserted) & set(lake_rows["client_id"])
    assert load_state(spark, crm).table("clients").high_water_mark == mark

    monkeypatch.undo()
    POSTGRES.start(crm)
    again = run_batch(spark, crm, "incremental", progress=False)
    assert (again.table("clients").read, again.table("clients").written) == (5, 5)
    assert clients.version(crm) == version + 1 and clients.count(crm) == rows + 2
    assert set(changes.inserted) <= set(clients.to_pandas(crm, columns=["client_id"])["client_id"])
    assert load_state(spark, crm).table("clients").high_water_mark > mark
