"""Producer throughput next to Kafka's own perf tool, the generator alone, and the accuracy of ``--rate``.

    python -m hybridflow.bench produce [--count 200000] [--runs 2] [--clients kafka-python,confluent]
                                       [--rate 5000 --rate-seconds 30] [--no-broker]

Measured side by side in one run, each on a fresh topic (created, then deleted), runs
interleaved so that a busy moment of the machine hits every producer alike:

* **Kafka's ProducerPerformance** (Java, ``kafka-tools`` from ``jvm/pom.xml``), driven with a
  ``--payload-file`` of the same generated tickets, acks=all, idempotence, gzip, linger 20 ms,
  64 KiB batches: the yardstick. (It sends no key, so its batches fill one partition at a
  time; ours are keyed by client_id.)
* **our `produce()`** with each client on the same tickets, generated beforehand so only the
  producer is timed (flush included);
* **the generator alone**: `TicketGenerator.events()`, wire bytes, no I/O, in events per
  CPU-second (its speed, whatever share of the cores a busy machine lends it).

The producers' rates are wall-clock: on a shared machine they depend on its load, which is
printed at the start and the end; the ratios, measured side by side, are what compare.

Prints every run, the median and its ratio to Kafka's tool. Then, unless ``--rate-seconds 0``,
checks the rate-limited mode: each client produces at ``--rate`` for ``--rate-seconds`` and
the achieved rate is read back from the records' own timestamps (first and last record of
each partition), not from a wall clock around the call.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from hybridflow.bench import write_results
from hybridflow.config import Settings, get_settings
from hybridflow.errors import ToolchainError
from hybridflow.kafka.properties import write_client_properties
from hybridflow.kafka.security import client_options
from hybridflow.kafka.topics import delete_topics, ensure_topics
from hybridflow.tickets.clients import BATCH_SIZE, CLIENTS, COMPRESSION, LINGER_MS
from hybridflow.tickets.generator import EXAMPLE_START, TicketGenerator
from hybridflow.tickets.malformed import Event
from hybridflow.tickets.producer import produce, sample_events
from hybridflow.toolchain import check_java, ensure_jars, jar_dir

JAVA_TOOL = "Kafka ProducerPerformance (Java)"
GENERATOR = "generator alone (per CPU-second)"
PERF_CLASS = "org.apache.kafka.tools.ProducerPerformance"
RATE_TOLERANCE = 0.02


def events(count: int, seed: int, settings: Settings, malformed_ratio: float = 0.0) -> list[Event]:
    """`count` ready-to-send events (generated up front, so producer runs time the producer only)."""
    return list(itertools.islice(sample_events(settings, malformed_ratio, seed, EXAMPLE_START), count))


def generator_rate(count: int, seed: int) -> float:
    """Events per CPU-second of `TicketGenerator.events()` alone (ticket draws to wire bytes).

    CPU time, not wall time: the generator is pure computation on one thread, so this is its
    speed whatever share of the cores a shared machine lends the process at that moment.
    """
    stream = TicketGenerator(seed, EXAMPLE_START).events()
    start = time.process_time()
    for _ in itertools.islice(stream, count):
        pass
    return count / (time.process_time() - start)


@contextmanager
def scratch_topic(settings: Settings, prefix: str = "bench_tickets") -> Iterator[Settings]:
    """Settings whose tickets topic is a fresh one (same partitions), deleted afterwards."""
    uid = uuid.uuid4().hex[:8]
    names = {
        "topic_tickets": f"{prefix}_{uid}",
        "topic_dlq": f"{prefix}_dlq_{uid}",
        "topic_alerts": f"{prefix}_alerts_{uid}",
    }
    scratch = settings.with_(**names)
    ensure_topics(scratch)
    try:
        yield scratch
    finally:
        delete_topics(scratch, list(names.values()))


def client_rate(batch: list[Event], settings: Settings, client: str) -> float:
    """Acknowledged events per second of one unthrottled `produce()` run with `client` (flush included)."""
    with scratch_topic(settings) as scratch:
        summary = produce(batch, scratch, progress=False, client=client)
    if summary.failed:
        raise RuntimeError(f"{summary.failed} events failed with {client}: {summary.first_error}")
    return summary.tickets_per_s


def write_payload_file(batch: Sequence[Event], path: Path) -> Path:
    """The events' values, one per line: ProducerPerformance's ``--payload-file``."""
    values = [e.value for e in batch if e.is_valid]
    if any(b"\n" in v for v in values):
        raise ValueError("a payload contains a newline: it would be split in two records")
    path.write_bytes(b"\n".join(values) + b"\n")
    return path


def perf_tool_command(settings: Settings, topic: str, count: int, payload_file: Path) -> list[str]:
    """The java command line of Kafka's ProducerPerformance, configured as our producers are."""
    ensure_jars(settings, ("kafka-tools",))  # resolved by `make setup`; resolves now if not
    props = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "acks": "all",
        "enable.idempotence": "true",
        "compression.type": COMPRESSION,
        "linger.ms": LINGER_MS,
        "batch.size": BATCH_SIZE,
    }
    # The producer principal's login goes in a 0600 file, not on the command line (`ps` shows that to everyone).
    security = write_client_properties(settings, "producer", payload_file.with_name("perf-producer.properties"))
    return [
        check_java(), "-Xms256m", "-Xmx1g", "-Dlog4j2.level=WARN", "-cp", f"{jar_dir(settings, 'kafka-tools')}/*",
        PERF_CLASS, "--topic", topic, "--num-records", str(count), "--throughput", "-1",
        "--payload-file", str(payload_file), "--producer.config", str(security),
        "--producer-props", *(f"{k}={v}" for k, v in props.items()),
    ]  # fmt: skip


_TOTAL = re.compile(r"^(\d+) records sent, ([\d.]+) records/sec", re.M)


def perf_tool_rate(settings: Settings, count: int, payload_file: Path) -> float:
    """Records per second Kafka's ProducerPerformance reports for `count` records (its final line)."""
    with scratch_topic(settings, "bench_java") as scratch:
        cmd = perf_tool_command(scratch, scratch.topic_tickets, count, payload_file)
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    totals = _TOTAL.findall(done.stdout)
    if done.returncode != 0 or not totals:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise ToolchainError(
            f"Kafka's ProducerPerformance failed (exit {done.returncode}); rerun `make setup`.\n{tail}"
        )
    sent, per_s = totals[-1]
    if int(sent) != count:
        raise ToolchainError(f"ProducerPerformance sent {sent} of {count} records: check the broker log.")
    return float(per_s)


# --- the table ----------------------------------------------------------------------------------


@dataclass
class Measurement:
    """The runs of one producer (events/s), in the order measured."""

    label: str
    runs: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median events/s over the runs."""
        return statistics.median(self.runs)


def _client_step(batch: list[Event], settings: Settings, client: str) -> Callable[[], float]:
    return lambda: client_rate(batch, settings, client)


def measure(
    settings: Settings,
    count: int = 200_000,
    runs: int = 2,
    clients: Sequence[str] = CLIENTS,
    java: bool = True,
    broker: bool = True,
    seed: int = 1,
    log: Callable[[str], None] | None = None,
) -> list[Measurement]:
    """Run every producer `runs` times, interleaved (Java tool, then each client, then again …), plus the generator."""
    rows: dict[str, Measurement] = {}
    steps: list[tuple[str, Callable[[], float]]] = []
    if broker:
        batch = events(count, seed, settings)
        workdir = Path(tempfile.mkdtemp(prefix="hf-bench-produce-"))
        if java:
            payload = write_payload_file(batch, workdir / "tickets.jsonl")
            steps.append((JAVA_TOOL, lambda: perf_tool_rate(settings, count, payload)))
        for client in clients:
            steps.append((f"produce() via {client}", _client_step(batch, settings, client)))
    steps.append((GENERATOR, lambda: generator_rate(count, seed)))
    for run in range(1, runs + 1):
        for label, step in steps:
            value = step()
            rows.setdefault(label, Measurement(label)).runs.append(value)
            if log:
                log(f"  run {run}/{runs} {label:<34} {value:>10,.0f} events/s")
    if broker:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()
    return list(rows.values())


def table(measurements: Sequence[Measurement]) -> pd.DataFrame:
    """One row per producer: median events/s, the runs, and the ratio to Kafka's tool (when it ran)."""
    java = next((m.median for m in measurements if m.label == JAVA_TOOL), None)
    return pd.DataFrame(
        [
            {
                "producer": m.label,
                "events/s (median)": round(m.median),
                "runs": ", ".join(f"{v:,.0f}" for v in m.runs),
                "vs Kafka's tool": round(m.median / java, 2) if java else None,
            }
            for m in measurements
        ]
    )


def chart(frame: pd.DataFrame) -> Figure:
    """Horizontal bars of the median events/s, the ratio to Kafka's tool written at the end of each bar."""
    fig = Figure(figsize=(9, 0.6 * len(frame) + 1.2), layout="constrained", dpi=100)
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    colors = ["#7f7f7f" if p == JAVA_TOOL else "#2ca02c" if p == GENERATOR else "#1f77b4" for p in frame["producer"]]
    ax.barh(frame["producer"], frame["events/s (median)"], color=colors)
    for y, (value, ratio) in enumerate(zip(frame["events/s (median)"], frame["vs Kafka's tool"], strict=True)):
        label = f" {value:,.0f}".replace(",", "\u202f") + (f"  ({ratio:.2f}×)" if pd.notna(ratio) else "")
        ax.text(value, y, label, va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("événements par seconde (médiane)")
    ax.set_title("Débit des producteurs, mêmes tickets, même broker (× : ratio à l'outil de Kafka)", loc="left")
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlim(0, max(frame["events/s (median)"]) * 1.3)
    return fig


# --- the rate-limited mode ----------------------------------------------------------------------


@dataclass(frozen=True)
class RateCheck:
    """How closely a throttled run held its rate, from the records' timestamps."""

    client: str
    target: float
    records: int
    span_s: float
    behind_s: float = 0.0  # time the producer could not make up (the machine was too busy for the rate)

    @property
    def achieved(self) -> float:
        """Records per second between the first and the last record's timestamp."""
        return (self.records - 1) / self.span_s if self.span_s > 0 else 0.0

    @property
    def deviation(self) -> float:
        """Relative error of the achieved rate (+0.01 = 1 % too fast)."""
        return self.achieved / self.target - 1

    @property
    def holds(self) -> bool:
        """True when the achieved rate is within RATE_TOLERANCE of the target."""
        return abs(self.deviation) <= RATE_TOLERANCE

    def line(self) -> str:
        """One line for the benchmark's output."""
        verdict = "holds" if self.holds else "MISSES"
        busy = f"; fell {self.behind_s:.1f} s behind: machine too busy" if self.behind_s else ""
        return (
            f"  --rate {self.target:,.0f} via {self.client:<12}: {self.records:,} records over {self.span_s:.2f} s "
            f"of record timestamps = {self.achieved:,.1f}/s ({self.deviation:+.2%}; {verdict} ±{RATE_TOLERANCE:.0%}{busy})"
        )


def timestamp_span(settings: Settings, topic: str) -> tuple[int, float]:
    """(records, seconds between the first and last record's timestamps) of `topic`, reading 2 records per partition."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_list,
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=settings.kafka_request_timeout_ms + 5000,
        max_poll_records=1,
        **client_options(settings, "kafka-python", "admin"),  # reads any topic: the operator's principal
    )
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(parts)
        begin, end = consumer.beginning_offsets(parts), consumer.end_offsets(parts)
        stamps: list[int] = []
        for tp in parts:
            for offset in sorted({begin[tp], end[tp] - 1}) if end[tp] > begin[tp] else ():
                consumer.seek(tp, offset)
                stamps.append(_one_timestamp(consumer, tp, settings.kafka_request_timeout_ms / 1000))
        records = sum(end[tp] - begin[tp] for tp in parts)
    finally:
        consumer.close()
    return records, (max(stamps) - min(stamps)) / 1000 if stamps else 0.0


def _one_timestamp(consumer, tp, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for record in consumer.poll(timeout_ms=500, max_records=1).get(tp, []):
            return record.timestamp
    raise TimeoutError(f"no record read from {tp} within {timeout_s:.0f} s")


def rate_check(settings: Settings, client: str, rate: float, seconds: float, seed: int = 2) -> RateCheck:
    """Produce at `rate` for `seconds` with `client` to a fresh topic; measure the rate from the record timestamps."""
    count = round(rate * seconds)
    events = sample_events(settings, 0.0, seed, EXAMPLE_START, arrival_rate=rate)
    with scratch_topic(settings, "bench_rate") as scratch:
        summary = produce(events, scratch, count=count, rate=rate, progress=False, client=client)
        if summary.failed:
            raise RuntimeError(f"{summary.failed} events failed with {client}: {summary.first_error}")
        records, span = timestamp_span(scratch, scratch.topic_tickets)
    return RateCheck(client=client, target=rate, records=records, span_s=span, behind_s=summary.behind_s)


# --- command line -------------------------------------------------------------------------------


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min: {five:.1f}) on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the producer table, then the rate checks."""
    parser = argparse.ArgumentParser(prog="python -m hybridflow.bench produce", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200_000, help="events per run (default 200000)")
    parser.add_argument("--runs", type=int, default=2, help="runs per producer; the median is shown (default 2)")
    parser.add_argument(
        "--clients", default=",".join(CLIENTS), help=f"our clients to measure (default {','.join(CLIENTS)})"
    )
    parser.add_argument("--no-java", action="store_true", help="skip Kafka's ProducerPerformance")
    parser.add_argument("--no-broker", action="store_true", help="generator only (no Kafka needed)")
    parser.add_argument(
        "--rate", type=float, default=5_000, help="rate of the throttled check, events/s (default 5000)"
    )
    parser.add_argument(
        "--rate-seconds", type=float, default=30, help="length of each throttled check (0: skip; default 30)"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="where the results go as JSON (default STATE_DIR/bench/produce.json)"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = set(clients) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown client(s) {sorted(unknown)}: choose among {', '.join(CLIENTS)}")

    started = time.perf_counter()
    print(f"bench produce: {args.count:,} events per run, {args.runs} run(s) each, interleaved; {_load()}")
    measurements = measure(settings, args.count, args.runs, clients, java=not args.no_java,
                           broker=not args.no_broker, log=print)  # fmt: skip
    frame = table(measurements)
    print()
    print(frame.to_string(index=False, na_rep="-"))
    checks = []
    if not args.no_broker and args.rate_seconds > 0:
        print(f"\nrate-limited mode, {args.rate_seconds:g} s per client, rate read from the records' timestamps:")
        for client in clients:
            checks.append(rate_check(settings, client, args.rate, args.rate_seconds))
            print(checks[-1].line())
    held = sum(c.holds for c in checks)
    results = {
        "count": args.count,
        "runs": args.runs,
        "producers": frame.astype(object).where(frame.notna(), None).to_dict("records"),
        "rate_checks": [
            {
                "client": c.client,
                "target": c.target,
                "achieved": c.achieved,
                "deviation": c.deviation,
                "holds": c.holds,
                "behind_s": c.behind_s,
            }
            for c in checks
        ],
        "load": _load(),
    }
    out = write_results(settings, "produce", results, args.json)
    print(f"results written to {out}")
    print(f"bench produce: {len(frame)} producers measured, {held}/{len(checks)} rate checks held, "
          f"in {time.perf_counter() - started:.0f} s; {_load()}")  # fmt: skip
    return 0 if held == len(checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
