"""The quick look (`make demo`) in one function: load the on-premise reference data, produce a sample,
run the stream, show what landed where."""

from __future__ import annotations

import logging
import time

from pyspark.sql import SparkSession

from hybridflow import pipeline
from hybridflow.batch.job import seed_sources
from hybridflow.config import Settings

log = logging.getLogger(__name__)

DEMO_SPAN_S = 300.0  # the ticket-only sample's event times span the last five minutes
# With the lifecycle, the sample's tickets span the last eight hours of event time: the first-response
# deadlines (1 to 8 hours after a ticket opens) fall due, so the run shows breaches, and the one-minute
# windows still hold a few tickets each.
DEMO_LIFECYCLE_SPAN_S = 8 * 3600.0
CRM_SCALE = 0.2


def run_demo(spark: SparkSession, settings: Settings, count: int = 2000, malformed_ratio: float = 0.02) -> dict:
    """Reference data (batch), topics, a produced sample, one available-now run of the stream; returns the summary."""
    t0 = time.monotonic()
    _, loaded = pipeline.ensure_client_dimension(spark, settings, lambda: seed_sources(settings, scale=CRM_SCALE))
    for line in loaded:
        log.info(line)
    span_s = DEMO_LIFECYCLE_SPAN_S if settings.lifecycle else DEMO_SPAN_S
    summary = pipeline.run_sample(spark, settings, count, malformed_ratio, span_s=span_s, crm_scale=CRM_SCALE)
    summary["seconds"] = round(time.monotonic() - t0, 1)
    return summary


def format_summary(summary: dict) -> str:
    """The demo's closing lines: what landed where, with counts."""
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(summary["dead_letter_reasons"].items())) or "none"
    return "\n".join(
        [
            f"lake tickets      : {summary['tickets']:>7}  -> {summary['tickets_path']}",
            f"  known client    : {summary['known_clients']:>7}  (joined with the client dimension of the batch ETL)",
            f"closed windows    : {summary['windows']:>7}  ({summary['windowed_tickets']} tickets) -> {summary['windows_path']}",
            f"dead letters      : {summary['dead_letters']:>7}  -> topic {summary['dead_letter_topic']} ({reasons})",
            *lifecycle_lines(summary),
            f"demo done in {summary['seconds']} s",
        ]
    )


def lifecycle_lines(summary: dict) -> list[str]:
    """The lifecycle's lines of the summary (none when the job ran without it)."""
    if "ticket_status" not in summary:
        return []
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary["statuses"].items())) or "none"
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary["breach_kinds"].items())) or "none"
    return [
        f"ticket status     : {summary['ticket_status']:>7}  -> {summary['status_path']} ({statuses})",
        f"  lifecycle events: {summary['lifecycle_events']:>7}  (distinct, applied to a known ticket)",
        f"SLA breaches      : {summary['breaches']:>7}  -> topic {summary['breach_topic']} ({kinds})",
    ]
