"""The client dimension the live stream joins, and how a refreshed one reaches a running query.

A static DataFrame read from a Parquet folder lists its files once, when it is
defined; a streaming query joined with it re-uses that listing in every
micro-batch. After `hybridflow batch` rewrites ``reference/clients``, such a query
fails with ``FAILED_READ_FILE.FILE_NOT_EXIST`` (and files merely added would be
ignored). So the stream never joins the lake folder itself: `ClientDimension`
takes a driver-local snapshot of the dimension (a few MB: one row per client),
which no later batch run can pull from under the query, and re-takes it only when
a batch run has changed the dimension (the run ids in the lake's state file). The
streaming job polls it and restarts just its tickets query on a new version
(``hybridflow.streaming.job.Pipeline.refresh_dimension``); the checkpoint resumes it
where it stopped, and the rest of the stack keeps running.
"""

from __future__ import annotations

import logging
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


def empty_client_dimension(spark: SparkSession) -> DataFrame:
    """A dimension with no client (the stream's dimension before any batch run)."""
    schema = (
        "client_id string, client_name string, segment string, country string, contract_tier string, "
        "sla_first_response_hours int, contract_sla_hours int, account_team_id string, account_team_name string"
    )
    return spark.createDataFrame([], schema)


def dimension_version(spark: SparkSession, settings: Settings) -> str | None:
    """Identifies the dimension's content: the last batch run ids that changed its tables (None: never loaded)."""
    state = load_state(spark, settings)
    versions = [state.tables[s.name].version if s.name in state.tables else None for s in DIMENSION_TABLES]
    return None if all(v is None for v in versions) else "/".join(v or "-" for v in versions)


class ClientDimension:
    """The current client dimension for a running stream, as a driver-local snapshot.

    ``current()`` re-reads the lake only when a batch run changed the dimension, and keeps
    serving the previous snapshot if a re-read fails (a batch run swapping files right now).
    """

    def __init__(self, spark: SparkSession, settings: Settings) -> None:
        self.spark = spark
        self.settings = settings
        self.version: str | None = None
        self.refreshes = 0
        self._df: DataFrame | None = None

    def current(self) -> DataFrame:
        """The dimension snapshot; re-taken from the lake first if its version changed."""
        version = dimension_version(self.spark, self.settings)
        if self._df is not None and version == self.version:
            return self._df
        if version is None:  # no batch run yet: every client is unknown until one lands
            if self._df is None:
                log.warning("no client dimension in %s yet: tickets are flagged client_known=false", self.settings.lake_uri)
                self._df = empty_client_dimension(self.spark)
            return self._df
        try:
            lake_df = read_client_dimension(self.spark, self.settings)
            # Collected to the driver: the query's plan then holds the rows, not a file listing.
            fresh = self.spark.createDataFrame(lake_df.collect(), lake_df.schema)
        except Exception as exc:  # noqa: BLE001 - a batch run swapping the files right now
            if self._df is None:
                raise
            log.warning("client dimension not refreshed (%s); still using version %s", str(exc)[:200], self.version)
            return self._df
        self._df, self.version = fresh, version
        self.refreshes += 1
        log.info("client dimension loaded: version %s", version)
        return fresh
