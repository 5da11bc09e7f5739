"""The client dimension the live stream joins, and how a refreshed one reaches a running query.

A static DataFrame read from a Parquet folder lists its files once, when it is
defined; a streaming query joined with it re-uses that listing in every
micro-batch. After `hybridflow batch` rewrites ``reference/clients``, such a query
fails with ``FAILED_READ_FILE.FILE_NOT_EXIST`` (and files merely added would be
ignored). So the stream must not hold the dimension in its plan: inside
``foreachBatch`` it asks `ClientDimension.current()`, which re-reads the lake only
when a batch run has changed the dimension (the run id in the lake's state file),
caches it, and keeps serving the previous copy if a re-read fails mid-rewrite.
"""

from __future__ import annotations

import logging

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from hybridflow.batch.errors import BatchError
from hybridflow.batch.load import read_reference, table_uri
from hybridflow.batch.state import exists, load_state
from hybridflow.batch.tables import CLIENTS_SPEC, CONTRACT_TIERS_SPEC, TEAMS_SPEC
from hybridflow.batch.transforms import build_client_dimension, enrich_with_clients
from hybridflow.config import Settings

log = logging.getLogger(__name__)
DIMENSION_TABLES = (CLIENTS_SPEC, CONTRACT_TIERS_SPEC, TEAMS_SPEC)

__all__ = ["ClientDimension", "dimension_version", "enrich_with_clients", "read_client_dimension"]


def read_client_dimension(spark: SparkSession, settings: Settings) -> DataFrame:
    """The client dimension from the lake's reference layer: one row per client.

    Columns: client_id, client_name, segment, country, contract_tier, sla_first_response_hours,
    contract_sla_hours, account_team_id, account_team_name.
    """
    for spec in DIMENSION_TABLES:
        if not exists(spark, table_uri(settings, spec)):
            raise BatchError(
                f"The lake has no {spec.name} table at {table_uri(settings, spec)}: "
                "run `hybridflow seed-crm` then `hybridflow batch --full` first."
            )
    clients, tiers, teams = (read_reference(spark, settings, spec) for spec in DIMENSION_TABLES)
    return build_client_dimension(clients, tiers, teams)


def dimension_version(spark: SparkSession, settings: Settings) -> str | None:
    """Identifies the dimension's content: the last batch run ids that changed its tables (None: never loaded)."""
    state = load_state(spark, settings)
    versions = [state.tables[s.name].version if s.name in state.tables else None for s in DIMENSION_TABLES]
    return None if all(v is None for v in versions) else "/".join(v or "-" for v in versions)


class ClientDimension:
    """The current client dimension for a running stream: re-read only when a batch run changed it.

    Use inside ``foreachBatch`` (one instance per query, created on the driver)::

        dim = ClientDimension(spark, settings)
        def write_batch(batch_df, batch_id):
            enriched = enrich_with_clients(batch_df, dim.current())
            ...
    """

    def __init__(self, spark: SparkSession, settings: Settings) -> None:
        self.spark = spark
        self.settings = settings
        self.version: str | None = None
        self.refreshes = 0
        self._df: DataFrame | None = None

    def current(self) -> DataFrame:
        """The cached dimension; re-read from the lake first if its version changed."""
        version = dimension_version(self.spark, self.settings)
        if self._df is not None and version == self.version:
            return self._df
        try:
            fresh = read_client_dimension(self.spark, self.settings).persist(StorageLevel.MEMORY_AND_DISK)
            fresh.count()  # materialise now: later micro-batches must not depend on files a batch run may rewrite
        except Exception as exc:  # a batch run swapping the files right now: keep serving the previous copy
            if self._df is None:
                raise
            log.warning("client dimension not refreshed (%s); still using version %s", str(exc)[:200], self.version)
            return self._df
        old, self._df, self.version = self._df, fresh, version
        self.refreshes += 1
        if old is not None:
            old.unpersist()
        log.info("client dimension loaded: version %s", version)
        return fresh

    def close(self) -> None:
        """Drop the cached copy."""
        if self._df is not None:
            self._df.unpersist()
            self._df = None
