"""The ticket lifecycle's outputs as the report reads them: Delta tables through delta-rs, breaches read_committed.

I/O only, no Spark: every computation is in `hybridflow.report.operations`. The tables are the
lake catalogue's (`hybridflow.lake.TICKET_STATUS`, `TICKET_EVENTS`, the batch ETL's
``ticket_history``); the SLA breach topic is ``settings.topic_breaches``, read from its beginning
to its end by a ``read_committed`` consumer, so a breach of an aborted transaction never shows.
"""

from __future__ import annotations

import pandas as pd

from hybridflow import lake
from hybridflow.config import Settings
from hybridflow.crm_tables import TICKET_HISTORY_SPEC
from hybridflow.kafka.consumer import read_committed
from hybridflow.report import operations

HISTORY_TABLE = lake.reference_table(TICKET_HISTORY_SPEC)


def read_status(settings: Settings) -> pd.DataFrame:
    """The ``ticket_status`` table (one row per ticket; empty when the lifecycle has not run)."""
    return lake.TICKET_STATUS.to_pandas(settings)


def read_events(settings: Settings) -> pd.DataFrame:
    """The ``ticket_events`` table (one row per distinct lifecycle event)."""
    return lake.TICKET_EVENTS.to_pandas(settings)


def read_history(settings: Settings) -> pd.DataFrame:
    """The on-premise ``ticket_history`` as the batch ETL loaded it into the lake (empty before its first run)."""
    return HISTORY_TABLE.to_pandas(settings, columns=["ticket_id", "created_at", "closed_at", "priority", "status"])


def breaches(settings: Settings, timeout_s: float = 20.0) -> pd.DataFrame:
    """Every committed record of the SLA breach topic, parsed (`operations.parse_breaches`), latest deadline first."""
    records = read_committed(settings, settings.topic_breaches, timeout_s)
    return operations.parse_breaches(str(r["value"]) for r in records)


def latest_breaches(settings: Settings, n: int = 10) -> pd.DataFrame:
    """The `n` breaches with the latest deadlines, from the breach topic (read_committed)."""
    return breaches(settings).head(n)


def support_summary(settings: Settings) -> operations.OperationsSummary | None:
    """The headline support figures from the lake (`operations.summarise`), or None when ticket_status is empty."""
    status = read_status(settings)
    if status.empty:
        return None
    return operations.summarise(status, read_events(settings))
