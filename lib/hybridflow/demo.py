"""The README's main job in one function: load the on-premise reference data, produce a sample,
run the stream, show what landed where."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from pyspark.sql import SparkSession

from hybridflow.batch.dimension import dimension_version
from hybridflow.batch.job import run_batch, seed_sources
from hybridflow.config import Settings
from hybridflow.stack.topics import ensure_topics
from hybridflow.streaming.inspect import pipeline_summary
from hybridflow.streaming.job import run_pipeline
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import mix
from hybridflow.tickets.producer import ProduceSummary, produce

log = logging.getLogger(__name__)


def produce_sample(
    settings: Settings, count: int = 2000, malformed_ratio: float = 0.02, seed: int = 42, span_s: float = 300.0
) -> ProduceSummary:
    """Produce `count` tickets whose event times span the last `span_s` seconds, some malformed."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=span_s)
    generator = TicketGenerator(seed, start, arrival_rate=count / span_s)
    events = mix(generator.tickets(), malformed_ratio, seed=seed, max_payload_bytes=settings.max_payload_bytes)
    return produce(events, settings, count=count)


def ensure_client_dimension(spark: SparkSession, settings: Settings, scale: float = 0.2) -> str | None:
    """Seed the on-premise sources and run a full batch ETL once, if the lake has no client dimension yet."""
    if dimension_version(spark, settings) is None:
        seeded, landing = seed_sources(settings, scale=scale)
        log.info(seeded.summary())
        log.info(landing.summary(settings.landing_dir))
        log.info(run_batch(spark, settings, "full").summary().splitlines()[-1])
    return dimension_version(spark, settings)


def run_demo(spark: SparkSession, settings: Settings, count: int = 2000, malformed_ratio: float = 0.02) -> dict:
    """Reference data (batch), topics, a produced sample, one available-now run of the stream; returns the summary."""
    t0 = time.monotonic()
    ensure_client_dimension(spark, settings)
    ensure_topics(settings)
    sent = produce_sample(settings, count=count, malformed_ratio=malformed_ratio)
    log.info(sent.line())
    run_pipeline(spark, settings, available_now=True)
    summary = pipeline_summary(spark, settings)
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
            f"demo done in {summary['seconds']} s",
        ]
    )
