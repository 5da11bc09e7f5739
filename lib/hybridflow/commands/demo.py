"""`hybridflow demo`: the quick look (`make demo`)."""

from __future__ import annotations

import argparse

from hybridflow.config import get_settings
from hybridflow.demo import format_summary, run_demo
from hybridflow.spark import get_spark


def _demo(args: argparse.Namespace) -> int:
    settings = get_settings()
    spark = get_spark(settings, app_name="hybridflow-demo")
    print(format_summary(run_demo(spark, settings, count=args.count, malformed_ratio=args.malformed_ratio)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` command."""
    d = sub.add_parser("demo", help="produce a sample (some malformed), run the stream available-now, show the results")
    d.add_argument("--count", type=int, default=2000, help="tickets to produce (default 2000)")
    d.add_argument("--malformed-ratio", type=float, default=0.02, help="fraction of malformed events (default 0.02)")
    d.set_defaults(func=_demo)
