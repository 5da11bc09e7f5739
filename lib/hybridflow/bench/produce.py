"""How fast tickets are generated, and produced end to end to the real broker.

    python -m hybridflow.bench.produce [--count 20000] [--runs 3] [--no-broker]

Prints, side by side, the median over ``--runs`` runs of:

* generator only: `TicketGenerator` + `mix` + JSON bytes, no I/O (the producer's input);
* producer, gzip: `produce()` unthrottled to a throw-away topic, acks=all, flush included;
* producer, no compression: the same without compression, to show what gzip costs.

Each producer run uses its own topic (created, then deleted), so nothing else is disturbed.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from hybridflow.config import Settings, get_settings
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import Event, mix
from hybridflow.tickets.producer import COMPRESSION, make_producer, produce

START = datetime(2026, 1, 31, 9, 0, tzinfo=timezone.utc)


def events(count: int, seed: int, settings: Settings, malformed_ratio: float = 0.0) -> list[Event]:
    """`count` ready-to-send events (generated up front, so producer runs time the producer only)."""
    tickets = TicketGenerator(seed, START).tickets()
    stream = mix(tickets, malformed_ratio, seed=seed, max_payload_bytes=settings.max_payload_bytes)
    return list(itertools.islice(stream, count))


def generator_rate(count: int, seed: int, settings: Settings) -> float:
    """Events per second of generation alone."""
    start = time.perf_counter()
    events(count, seed, settings)
    return count / (time.perf_counter() - start)


def producer_rate(batch: list[Event], settings: Settings, compression: str | None) -> float:
    """Acknowledged events per second of one unthrottled run to a fresh topic."""
    from hybridflow.stack.topics import delete_topics, ensure_topics

    uid = uuid.uuid4().hex[:8]
    scratch = settings.model_copy(update={"topic_tickets": f"bench_tickets_{uid}", "topic_dlq": f"bench_dlq_{uid}"})
    ensure_topics(scratch)
    producer = make_producer(scratch, compression_type=compression)
    try:
        summary = produce(iter(batch), scratch, progress=False, producer=producer)
    finally:
        producer.close()
        delete_topics(scratch, [scratch.topic_tickets, scratch.topic_dlq])
    if summary.failed:
        raise RuntimeError(f"{summary.failed} events failed: {summary.first_error}")
    return summary.tickets_per_s


def _median(runs: int, measure: Callable[[], float]) -> tuple[float, list[float]]:
    values = [measure() for _ in range(runs)]
    return statistics.median(values), values


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(prog="python -m hybridflow.bench.produce", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="events per run (default 20000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is shown (default 3)")
    parser.add_argument("--no-broker", action="store_true", help="generator only (no Kafka needed)")
    args = parser.parse_args(argv)
    settings = get_settings()

    rows = [("generator only (no I/O)", *_median(args.runs, lambda: generator_rate(args.count, 1, settings)))]
    if not args.no_broker:
        batch = events(args.count, 1, settings)
        for label, codec in ((f"producer, {COMPRESSION}, acks=all", COMPRESSION), ("producer, no compression", None)):
            rows.append((label, *_median(args.runs, lambda codec=codec: producer_rate(batch, settings, codec))))

    print(f"bench produce: {args.count:,} events per run, median of {args.runs} runs")
    for label, median, values in rows:
        spread = ", ".join(f"{v:,.0f}" for v in values)
        print(f"  {label:<32} {median:>10,.0f} tickets/s   (runs: {spread})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
