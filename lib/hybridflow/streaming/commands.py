"""`hybridflow stream` (the streaming job) and `hybridflow demo` (the README's main job)."""

from __future__ import annotations

import argparse

from hybridflow.config import get_settings
from hybridflow.spark import get_spark


def _stream(args: argparse.Namespace) -> int:
    from hybridflow.stack.topics import ensure_topics
    from hybridflow.streaming.inspect import pipeline_summary
    from hybridflow.streaming.job import run_pipeline

    from hybridflow.preflight import check_writable

    settings = get_settings()
    check_writable(settings)  # before the broker and Spark: an unwritable lake is one sentence, not a stack trace
    ensure_topics(settings)
    spark = get_spark(settings, app_name="hybridflow-stream")
    mode = "available-now" if args.available_now else f"every {settings.trigger_interval} until Ctrl-C"
    print(f"stream: {settings.topic_tickets} @ {settings.kafka_bootstrap_servers} -> {settings.lake_uri} ({mode}, master {settings.spark_master})")
    run_pipeline(spark, settings, available_now=args.available_now, timeout_s=args.timeout)
    s = pipeline_summary(spark, settings)
    print(f"stream: lake has {s['tickets']} tickets, {s['windows']} closed windows; {s['dead_letters']} dead letters in {s['dead_letter_topic']}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from hybridflow.demo import format_summary, run_demo

    settings = get_settings()
    spark = get_spark(settings, app_name="hybridflow-demo")
    print(format_summary(run_demo(spark, settings, count=args.count, malformed_ratio=args.malformed_ratio)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `stream` and `demo` commands."""
    p = sub.add_parser("stream", help="run the Spark Structured Streaming job on the tickets topic")
    p.add_argument("--available-now", action="store_true", help="process what is in the topic, then stop")
    p.add_argument("--timeout", type=float, default=None, help="stop after this many seconds")
    p.set_defaults(func=_stream)

    d = sub.add_parser("demo", help="produce a sample (some malformed), run the stream available-now, show the results")
    d.add_argument("--count", type=int, default=2000, help="tickets to produce (default 2000)")
    d.add_argument("--malformed-ratio", type=float, default=0.02, help="fraction of malformed events (default 0.02)")
    d.set_defaults(func=_demo)
