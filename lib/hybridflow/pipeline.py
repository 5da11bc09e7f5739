"""The produce → stream → summarise sequence, assembled once: the demo, `hybridflow stream`, the report and the benchmarks call it.

Each caller brings its settings (the report's own topics and lake, a benchmark's scratch ones),
then runs the same steps:

1. `ensure_client_dimension`: the batch ETL's client dimension in the lake (the stream joins it), loaded once;
2. `produce_sample`: tickets, a share of them malformed, or, with the lifecycle (``LIFECYCLE``),
   tickets and their lifecycle events over the CRM's clients and agents;
3. `run_pipeline`: the streaming job, until the topics are drained (available-now) or until stopped;
   `stream_command` is the same job as a child process (``hybridflow stream``), as the benchmarks time it;
4. `pipeline_summary`: what landed where, read as any reader does (delta-rs, a read_committed consumer).

`ensure_topics` creates the settings' topics (and their ACLs) if missing; `run_sample` chains it
with steps 2 to 4; `spark_session` lends a SparkSession, or starts one for the run and stops it after.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pyspark.sql import SparkSession

from hybridflow.batch.crm import SeedReport
from hybridflow.batch.dimension import dimension_version
from hybridflow.batch.errors import BatchError
from hybridflow.batch.job import run_batch
from hybridflow.batch.landing import LandingReport
from hybridflow.config import Settings, child_env
from hybridflow.kafka.topics import ensure_topics
from hybridflow.simulation.lifecycle import DEFAULT_CRM_SCALE, produce_lifecycle_sample
from hybridflow.spark import get_spark
from hybridflow.streaming.inspect import pipeline_summary
from hybridflow.streaming.job import run_pipeline
from hybridflow.tickets.producer import ProduceSummary
from hybridflow.tickets.producer import produce_sample as produce_tickets

__all__ = [
    "ensure_client_dimension", "ensure_topics", "pipeline_summary", "produce_sample", "run_pipeline", "run_sample",
    "spark_session", "start_stream", "stream_command", "stream_env",
]  # fmt: skip

log = logging.getLogger(__name__)

SAMPLE_SPAN_S = 600.0  # a ticket-only sample's event times span the last ten minutes


def ensure_client_dimension(
    spark: SparkSession,
    settings: Settings,
    prepare: Callable[[], tuple[SeedReport, LandingReport]],
    progress: bool = True,
) -> tuple[str, list[str]]:
    """The lake's client dimension, loaded once: when the lake has none, `prepare()` fills the sources, a full batch loads it.

    Args:
        prepare: fills the on-premise sources (e.g. `lambda: seed_sources(settings, scale=0.2)`).

    Returns:
        The dimension's version, and one summary line per step run (none when it was there already).
    """
    version = dimension_version(spark, settings)
    if version is not None:
        return version, []
    seeded, landing = prepare()
    loaded = run_batch(spark, settings, "full", progress=progress)
    done = [seeded.summary(), landing.summary(settings.landing_dir), loaded.summary().splitlines()[-1]]
    version = dimension_version(spark, settings)
    if version is None:
        raise BatchError("The full batch ran but the lake has no client dimension: read the batch summary above.")
    return version, done


@contextmanager
def spark_session(spark: SparkSession | None, settings: Settings, app_name: str) -> Iterator[SparkSession]:
    """`spark` itself, or (when None) a SparkSession started for the block and stopped after it."""
    if spark is not None:
        yield spark
        return
    own = get_spark(settings, app_name=app_name)
    try:
        yield own
    finally:
        own.stop()


def produce_sample(
    settings: Settings,
    count: int,
    malformed_ratio: float,
    seed: int = 42,
    *,
    span_s: float = SAMPLE_SPAN_S,
    lifecycle: bool | None = None,
    arrival_rate: float | None = None,
    crm_scale: float = DEFAULT_CRM_SCALE,
    progress: bool = False,
) -> ProduceSummary:
    """Produce a sample to the settings' topics: `count` tickets, a `malformed_ratio` of the records malformed.

    Without the lifecycle, the valid tickets' times span the last `span_s` seconds. With it
    (`lifecycle`, default ``settings.lifecycle``), each ticket's lifecycle events go to the events
    topic too; tickets arrive at `arrival_rate` per simulated second (default ``count / span_s``),
    for the clients, tiers and agents of the CRM seeded at `crm_scale`.
    """
    if settings.lifecycle if lifecycle is None else lifecycle:
        return produce_lifecycle_sample(
            settings,
            count,
            seed,
            arrival_rate=arrival_rate or count / span_s,
            malformed_ratio=malformed_ratio,
            crm_scale=crm_scale,  # the CRM the dimension was loaded from: the same clients, tiers and agents
            progress=progress,
        )
    return produce_tickets(
        settings, count=count, malformed_ratio=malformed_ratio, seed=seed, span_s=span_s, progress=progress
    )


def run_sample(
    spark: SparkSession,
    settings: Settings,
    count: int,
    malformed_ratio: float,
    *,
    span_s: float = SAMPLE_SPAN_S,
    crm_scale: float = DEFAULT_CRM_SCALE,
    progress: bool = True,
) -> dict[str, object]:
    """The topics (created if missing), a produced sample (`produce_sample`), one available-now run; the summary."""
    ensure_topics(settings)
    sent = produce_sample(settings, count, malformed_ratio, span_s=span_s, crm_scale=crm_scale, progress=progress)
    log.info(sent.line())
    run_pipeline(spark, settings, available_now=True, progress=progress)
    return pipeline_summary(settings)


def stream_command(log_level: str, *args: str) -> list[str]:
    """`hybridflow stream` as a child process (DEBUG adds each micro-batch's phase timings to its log)."""
    return [sys.executable, "-m", "hybridflow.cli", "--log-level", log_level, "stream", *args]


def start_stream(
    settings: Settings, log: Path, log_level: str = "INFO", *args: str, append: bool = False
) -> subprocess.Popen:
    """`hybridflow stream` started as a child process of its own session, with these settings; output to `log`.

    Args:
        append: add to `log` (one log across restarts of the same job) rather than start it afresh.
    """
    with log.open("a" if append else "w") as out:
        return subprocess.Popen(
            stream_command(log_level, *args),
            env=stream_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stream_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process these settings, its output unbuffered."""
    return child_env(settings) | {"PYTHONUNBUFFERED": "1"}
