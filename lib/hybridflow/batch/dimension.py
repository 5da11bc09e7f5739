"""The client dimension the live stream joins, read at a Delta table version.

The dimension is built from three reference tables of the lake (clients, contract tiers,
teams), all Delta tables written by the batch ETL. A Delta read pins the table version
it starts from, and a batch run's overwrite or MERGE only adds a new version — the files
of the old one stay until a VACUUM — so a batch run can no longer pull files from under
the running stream. `ClientDimension` keeps one snapshot per *set of versions*: at each
micro-batch the streaming job asks for `current()`, which looks up the three tables'
latest versions in their logs (delta-rs, no Spark job) and re-reads the dimension only
when one of them moved. No query restart, no polling thread.
"""

from __future__ import annotations

import logging

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from hybridflow.batch.errors import BatchError
from hybridflow.batch.transforms import build_client_dimension, enrich_with_clients
from hybridflow.config import Settings
from hybridflow.crm_tables import CLIENTS_SPEC, CONTRACT_TIERS_SPEC, TEAMS_SPEC
from hybridflow.lake import reference_table

log = logging.getLogger(__name__)
DIMENSION_TABLES = (CLIENTS_SPEC, CONTRACT_TIERS_SPEC, TEAMS_SPEC)

__all__ = ["ClientDimension", "dimension_version", "enrich_with_clients", "read_client_dimension"]


def table_versions(settings: Settings) -> tuple[int | None, ...]:
    """The latest Delta version of each dimension table (None: not loaded yet)."""
    return tuple(reference_table(spec).version(settings) for spec in DIMENSION_TABLES)


def read_client_dimension(spark: SparkSession, settings: Settings) -> DataFrame:
    """The client dimension from the lake's reference layer, at the tables' latest versions: one row per client.

    Columns: client_id, client_name, segment, country, contract_tier, sla_first_response_hours,
    contract_sla_hours, account_team_id, account_team_name.
    """
    versions = table_versions(settings)
    missing = [spec.name for spec, version in zip(DIMENSION_TABLES, versions, strict=True) if version is None]
    if missing:
        raise BatchError(
            f"The lake has no {', '.join(missing)} table under {settings.lake_path('reference')}: "
            "run `hybridflow seed-crm` then `hybridflow batch --full` first."
        )
    clients, tiers, teams = (
        reference_table(spec).read(spark, settings, version)
        for spec, version in zip(DIMENSION_TABLES, versions, strict=True)
    )
    return build_client_dimension(clients, tiers, teams)


def empty_client_dimension(spark: SparkSession) -> DataFrame:
    """A dimension with no client (the stream's dimension before any batch run)."""
    schema = (
        "client_id string, client_name string, segment string, country string, contract_tier string, "
        "sla_first_response_hours int, contract_sla_hours int, account_team_id string, account_team_name string"
    )
    return spark.createDataFrame([], schema)


def dimension_version(spark: SparkSession | None, settings: Settings) -> str | None:
    """Identifies the dimension's content: its tables' Delta versions, e.g. ``clients@3/contract_tiers@0/teams@0``.

    None when the batch ETL never loaded any of them.
    """
    versions = table_versions(settings)
    if all(v is None for v in versions):
        return None
    return "/".join(
        f"{spec.name}@{'-' if v is None else v}" for spec, v in zip(DIMENSION_TABLES, versions, strict=True)
    )


class ClientDimension:
    """The current client dimension for a running stream: one cached snapshot per set of table versions."""

    def __init__(self, spark: SparkSession, settings: Settings) -> None:
        self.spark = spark
        self.settings = settings
        self.version: str | None = None
        self.refreshes = 0
        self._df: DataFrame | None = None

    def current(self) -> DataFrame:
        """The dimension at the reference tables' latest versions (re-read only when one of them moved)."""
        version = dimension_version(self.spark, self.settings)
        if self._df is not None and version == self.version:
            return self._df
        if version is None:  # no batch run yet: every client is unknown until one lands
            log.warning("no client dimension in %s yet: tickets are flagged client_known=false", self.settings.lake_uri)
            fresh = empty_client_dimension(self.spark)
        else:
            fresh = read_client_dimension(self.spark, self.settings).persist(StorageLevel.MEMORY_AND_DISK)
            fresh.count()  # materialise now: every micro-batch reuses it
        if self._df is not None:
            self._df.unpersist()
        self._df, self.version = fresh, version
        self.refreshes += 1
        log.info("client dimension loaded: version %s", version)
        return fresh
