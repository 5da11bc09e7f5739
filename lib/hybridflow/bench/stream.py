"""How fast the streaming job drains the tickets topic (available-now), end to end.

    python -m hybridflow.bench.stream [--count 20000] [--runs 3] [--malformed-ratio 0.02]

Each run produces ``--count`` events to a fresh topic, then times one available-now run of
the real job (validation, dead letters, enrichment with the client dimension, windows) into
a temporary lake. Runs are side by side in one process and one SparkSession; the first run
also pays the JIT warm-up, which is why the median is shown next to every run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from hybridflow.bench.produce import events
from hybridflow.config import Settings, get_settings
from hybridflow.spark import get_spark
from hybridflow.stack.topics import delete_topics, ensure_topics
from hybridflow.streaming.job import run_pipeline
from hybridflow.tickets.producer import produce


def one_run(spark, settings: Settings, batch, workdir: Path) -> float:
    """Seconds for one available-now run over `batch` produced to a fresh topic and lake."""
    uid = uuid.uuid4().hex[:8]
    scratch = settings.model_copy(
        update={
            "topic_tickets": f"bench_stream_{uid}",
            "topic_dlq": f"bench_stream_dlq_{uid}",
            "lake_uri": (workdir / uid / "lake").as_uri(),
            "checkpoint_uri": (workdir / uid / "checkpoints").as_uri(),
        }
    )
    ensure_topics(scratch)
    try:
        produce(iter(batch), scratch, progress=False)
        start = time.perf_counter()
        run_pipeline(spark, scratch, available_now=True, progress=False)
        return time.perf_counter() - start
    finally:
        delete_topics(scratch, [scratch.topic_tickets, scratch.topic_dlq])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per run and the median."""
    parser = argparse.ArgumentParser(prog="python -m hybridflow.bench.stream", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="events per run (default 20000)")
    parser.add_argument("--runs", type=int, default=3, help="runs; the median is shown (default 3)")
    parser.add_argument("--malformed-ratio", type=float, default=0.02, help="fraction of malformed events")
    args = parser.parse_args(argv)

    settings = get_settings()
    batch = events(args.count, 7, settings, args.malformed_ratio)
    spark = get_spark(settings, app_name="hybridflow-bench-stream")
    workdir = Path(tempfile.mkdtemp(prefix="hybridflow-bench-"))
    try:
        seconds = [one_run(spark, settings, batch, workdir) for _ in range(args.runs)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for i, s in enumerate(seconds, 1):
        print(f"stream run {i}: {args.count:,} events in {s:.1f} s ({args.count / s:,.0f} events/s)")
    median = statistics.median(seconds)
    print(
        f"stream (available-now, master {settings.spark_master}): median {median:.1f} s for {args.count:,} events "
        f"= {args.count / median:,.0f} events/s over {args.runs} runs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
