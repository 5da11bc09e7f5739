"""`hybridflow stream`: the streaming job."""

from __future__ import annotations

import argparse
import re

from pyspark.errors import StreamingQueryException

from hybridflow import pipeline
from hybridflow.config import get_settings
from hybridflow.errors import StreamingError
from hybridflow.kafka.topics import ensure_topics
from hybridflow.preflight import check_writable
from hybridflow.spark import get_spark


def _stream(args: argparse.Namespace) -> int:
    settings = get_settings()
    check_writable(settings)  # before the broker and Spark: an unwritable lake is one sentence, not a stack trace
    ensure_topics(settings)
    spark = get_spark(settings, app_name="hybridflow-stream")
    mode = "available-now" if args.available_now else f"every {settings.trigger_interval} until Ctrl-C"
    print(
        f"stream: {settings.topic_tickets} @ {settings.kafka_bootstrap_servers} -> {settings.lake_uri} ({mode}, master {settings.spark_master})"
    )
    try:
        pipeline.run_pipeline(spark, settings, available_now=args.available_now, timeout_s=args.timeout)
    except StreamingQueryException as exc:  # its message carries the whole query plan: one sentence instead
        raise StreamingError(
            f"The streaming job stopped ({_cause(exc)}): fix that (`hybridflow status` shows the broker), then rerun "
            f"`hybridflow stream`: it resumes from its checkpoints in {settings.checkpoint_root}, writing nothing twice."
        ) from None
    s = pipeline.pipeline_summary(settings)
    print(
        f"stream: lake has {s['tickets']} tickets, {s['windows']} closed windows; {s['dead_letters']} dead letters in {s['dead_letter_topic']}"
    )
    return 0


def _cause(exc: Exception) -> str:
    """What stopped the query, in one line of at most 300 characters.

    A Python error in the batch writer (the dead-letter producer, say) comes wrapped: Spark's
    first line only says "Traceback (most recent call last):", the error is the traceback's last line.
    """
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    if "Traceback (most recent call last)" in lines[0]:
        raised = next((line.strip() for line in lines[1:] if re.match(r"^[\w.]+(Error|Exception)\b", line)), None)
        if raised:
            return raised[:300]
    return re.sub(r"^\[STREAM_FAILED\] Query \[[^\]]*\] terminated with exception: ", "", lines[0])[:300]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `stream` command."""
    p = sub.add_parser("stream", help="run the Spark Structured Streaming job on the tickets topic")
    p.add_argument("--available-now", action="store_true", help="process what is in the topic, then stop")
    p.add_argument("--timeout", type=float, default=None, help="stop after this many seconds")
    p.set_defaults(func=_stream)
