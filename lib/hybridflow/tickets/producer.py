"""Produce ticket events to Kafka: one loop, two clients (kafka-python by default, or librdkafka).

`produce` sends events through the client chosen by ``--client`` / ``KAFKA_CLIENT``
(`hybridflow.tickets.clients` says how each is configured and why: acks=all, idempotent,
linger 20 ms, 64 KiB batches, gzip, key = client_id with Java's partitioning, optional
headers). Both give the same records, the same progress bar and the same summary line.

Delivery is counted from the clients' callbacks (never a per-message ``.get()`` or flush);
the loop never sleeps unless a rate is set, and then only when its token bucket is empty.

With ``routes`` (``{role: topic}``) one run feeds several topics through the same loop, rate
limiter, progress bar and summary: each record names its role (`LifecycleRecord.role`), and
the summary counts records and malformed ones per topic. That is how
:func:`hybridflow.simulation.lifecycle.produce_lifecycle_sample` and ``hybridflow produce --lifecycle`` send tickets and their lifecycle events interleaved, in
simulated-time order; the rate then counts records of both topics.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from tqdm import tqdm

from hybridflow.config import Settings
from hybridflow.tickets.clients import (
    BATCH_SIZE,
    CLIENTS,
    COMPRESSION,
    KAFKA_PYTHON,
    LINGER_MS,
    Headers,
    check_topic,
    make_kafka_python_producer,
    open_client,
)
from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import Event, MalformedKind

__all__ = [
    "BATCH_SIZE", "CLIENTS", "COMPRESSION", "LINGER_MS", "ProduceSummary", "RateLimiter", "TopicTally",
    "make_producer", "produce",
]  # fmt: skip

log = logging.getLogger(__name__)

# Records between two progress-bar updates (a tqdm update per record would cost more than the send).
_CHUNK = 256

make_producer = make_kafka_python_producer  # a kafka-python producer to reuse across `produce` calls


class RoutedRecord(Protocol):
    """A record that names its topic by role (e.g. `LifecycleRecord`)."""

    @property
    def role(self) -> str: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes: ...
    @property
    def kind(self) -> MalformedKind | None: ...


@dataclass(frozen=True)
class TopicTally:
    """Records handed to the producer for one topic of a multi-topic run, and how many were malformed."""

    role: str
    topic: str
    records: int
    malformed: int


@dataclass(frozen=True)
class ProduceSummary:
    """What a `produce` run did (`per_topic`: the breakdown of a run with ``routes``)."""

    topic: str
    sent: int
    failed: int
    malformed: int
    seconds: float
    interrupted: bool = False
    first_error: str | None = None
    client: str = KAFKA_PYTHON
    behind_s: float = 0.0  # with a rate: how far behind it ended (a machine too busy for the rate); 0 when it kept up
    per_topic: tuple[TopicTally, ...] = ()

    @property
    def attempted(self) -> int:
        """Events handed to the producer (acknowledged or failed)."""
        return self.sent + self.failed

    @property
    def tickets_per_s(self) -> float:
        """Acknowledged events per second of wall time (flush included)."""
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    def tally(self, role: str) -> TopicTally:
        """The per-topic counts of `role` (a run with ``routes``)."""
        found = [t for t in self.per_topic if t.role == role]
        if not found:
            raise KeyError(f"no topic role {role!r} in this run: {', '.join(t.role for t in self.per_topic) or 'none'}")
        return found[0]

    def line(self) -> str:
        """The one-line summary printed at the end of a run."""
        how = "interrupted after" if self.interrupted else "in"
        error = f"; first error: {self.first_error}" if self.first_error else ""
        if self.behind_s > 0:
            error += f"; fell {self.behind_s:.1f} s behind the rate (machine too busy)"
        if self.per_topic:
            parts = ", ".join(f"{t.records} {t.role} ({t.malformed} malformed) to {t.topic}" for t in self.per_topic)
            return (
                f"produce: {self.sent} sent, {self.failed} failed: {parts}; via {self.client} {how} "
                f"{self.seconds:.1f} s ({self.tickets_per_s:,.0f} records/s){error}"
            )
        return (
            f"produce: {self.sent} sent ({self.malformed} malformed on purpose), {self.failed} failed "
            f"to {self.topic} via {self.client} {how} {self.seconds:.1f} s ({self.tickets_per_s:,.0f} tickets/s){error}"
        )


class RateLimiter:
    """Token bucket: `rate` events/s on average, in bursts of about `burst`; never sleeps when rate is None.

    It sleeps only when the bucket is empty, and then for at least `min_sleep_s` (or a full
    burst's worth, if shorter), so a fast rate is reached with ~100 sleeps a second rather
    than one per event; the time actually slept (sleep overshoots) is credited back.

    The bucket starts with one token, so event k leaves at k / rate from the first: a run's
    average is the rate from its first event on, not inflated by an initial burst. It holds
    up to `catch_up_s` seconds of tokens: after a stall (a busy machine, a GC pause) the
    sender catches up, so the rate holds over the run, not only between stalls.
    """

    def __init__(
        self,
        rate: float | None,
        burst: float | None = None,
        min_sleep_s: float = 0.01,
        catch_up_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be > 0 tickets/s (or None for as fast as possible), got {rate}")
        self.rate = rate
        # A tenth of a second's worth: bursts stay short whatever the rate.
        self.burst = burst if burst is not None else max(1.0, (rate or 0) / 10)
        self.capacity = max(self.burst, (rate or 0) * catch_up_s)
        self.min_sleep_s = min_sleep_s
        self._clock = clock
        self._sleep = sleep
        self._tokens = 1.0
        self._last = clock()
        self.behind_s = 0.0  # time the sender could not make up: the machine was too busy for the rate

    def _refill(self) -> None:
        rate = self.rate
        assert rate is not None  # only called with a rate
        now = self._clock()
        tokens = self._tokens + (now - self._last) * rate
        if tokens > self.capacity:  # further behind than it may catch up: that time is lost to the rate
            self.behind_s += (tokens - self.capacity) / rate
            tokens = self.capacity
        self._tokens = tokens
        self._last = now

    def lag_s(self) -> float:
        """How far behind the rate the sender is now, over a burst (lost time included): 0 when it kept up."""
        if self.rate is None:
            return 0.0
        self._refill()
        return self.behind_s + max(0.0, self._tokens - self.burst) / self.rate

    def acquire(self) -> None:
        """Take one token, sleeping only when the bucket is empty."""
        if self.rate is None:
            return
        self._refill()
        if self._tokens < 1.0:
            deficit = (1.0 - self._tokens) / self.rate
            self._sleep(max(deficit, min(self.min_sleep_s, self.burst / self.rate)))
            self._refill()
            self._tokens = max(self._tokens, 1.0)  # a sleep may return a hair early
        self._tokens -= 1.0


def produce(
    events: Iterable[Event] | Iterable[RoutedRecord],
    settings: Settings,
    *,
    topic: str | None = None,
    count: int | None = None,
    rate: float | None = None,
    progress: bool = True,
    producer: Any | None = None,
    client: str | None = None,
    headers: Headers | None = None,
    routes: Mapping[str, str] | None = None,
) -> ProduceSummary:
    """Send `events` (the first `count`, or until exhausted or Ctrl-C) and flush; return the summary.

    Args:
        topic: default ``settings.topic_tickets`` (ignored with `routes`).
        count: stop after this many events (None: until `events` ends or Ctrl-C).
        rate: events per second (token bucket); None: as fast as possible.
        progress: show a tqdm progress bar.
        producer: an existing kafka-python or confluent-kafka producer to reuse (not closed);
            default: a new one of `client`, closed at the end.
        client: ``"kafka-python"`` or ``"confluent"`` (default ``settings.kafka_client``).
        headers: Kafka headers, ``(name, bytes)`` pairs, put on every record.
        routes: ``{role: topic}``: each record is then a `RoutedRecord` sent to the topic of its
            ``role`` (e.g. `lifecycle_routes`); `count` and `rate` count records of every topic.

    Raises:
        StackError: broker unreachable or topic missing.
        ConfigError: unknown client, or confluent-kafka not installed.
        ValueError: with `routes`, a record whose role has no topic.
    """
    topic = topic or settings.topic_tickets
    label = " + ".join(routes.values()) if routes else topic
    kafka = open_client(settings, client, producer)
    malformed = handed = pending = 0
    sent_by_role: dict[str, int] = dict.fromkeys(routes or (), 0)
    malformed_by_role: dict[str, int] = dict.fromkeys(routes or (), 0)
    interrupted = False
    limiter = RateLimiter(None)
    stream = itertools.islice(events, count) if count is not None else events
    bar = tqdm(total=count, unit="ev", desc=f"produce → {label}", disable=not progress, mininterval=0.5)
    start = time.perf_counter()
    try:
        if routes is None:
            limit = check_topic(settings, topic)  # the topic's max.message.bytes: larger records fail, named
            send = kafka.sender(topic, headers, limit)
        else:
            senders = {role: kafka.sender(name, headers, check_topic(settings, name)) for role, name in routes.items()}
        serve = kafka.serve
        # Made last: the topic check's time must not fill the bucket with a head-start burst.
        limiter = RateLimiter(rate)
        acquire = limiter.acquire if rate is not None else None
        if routes is None:
            for event in cast(Iterable[Event], stream):
                if acquire is not None:
                    acquire()
                send(event.key, event.value)
                if event.kind is not None:
                    malformed += 1
                pending += 1
                if pending == _CHUNK:
                    handed += pending
                    pending = 0
                    bar.update(_CHUNK)
                    serve()
        else:
            for record in cast(Iterable[RoutedRecord], stream):
                if acquire is not None:
                    acquire()
                role = record.role
                send_to = senders.get(role)
                if send_to is None:
                    raise ValueError(f"a record for topic role {role!r}, but routes has only {', '.join(senders)}")
                send_to(record.key, record.value)
                sent_by_role[role] += 1
                if record.kind is not None:
                    malformed += 1
                    malformed_by_role[role] += 1
                pending += 1
                if pending == _CHUNK:
                    handed += pending
                    pending = 0
                    bar.update(_CHUNK)
                    serve()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        behind_s = limiter.lag_s()  # before the flush: only the sending is paced
        handed += pending
        bar.update(pending)
        timeout_s = settings.kafka_request_timeout_ms / 1000
        kafka.flush(2 * timeout_s)
        kafka.close(timeout_s)
        bar.close()
    seconds = time.perf_counter() - start
    return ProduceSummary(
        topic=label,
        sent=kafka.ok,
        failed=max(kafka.failed, handed - kafka.ok),
        malformed=malformed,
        seconds=seconds,
        interrupted=interrupted,
        first_error=kafka.first_error,
        client=kafka.name,
        behind_s=behind_s,
        per_topic=tuple(
            TopicTally(role, name, sent_by_role[role], malformed_by_role[role]) for role, name in (routes or {}).items()
        ),
    )


def sample_events(
    settings: Settings, malformed_ratio: float = 0.0, seed: int = 42, start: datetime | None = None, **generator: Any
) -> Iterator[Event]:
    """Generated tickets, a `malformed_ratio` of them malformed, as the producer sends them (unbounded).

    Args:
        start: the first event time (default: now, to the second).
        generator: further `TicketGenerator` options (arrival_rate, n_clients, late_ratio, max_lateness_s).
    """
    first = start or datetime.now(UTC).replace(microsecond=0)
    tickets = TicketGenerator(seed, first, **generator)
    return tickets.events(malformed_ratio, max_payload_bytes=settings.max_payload_bytes)


def produce_sample(
    settings: Settings,
    count: int,
    malformed_ratio: float,
    seed: int = 42,
    span_s: float = 600.0,
    progress: bool = False,
) -> ProduceSummary:
    """Produce `count` events, a `malformed_ratio` of them malformed, whose valid tickets' times span the last `span_s` s."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=span_s)
    n_valid = round(count * (1 - malformed_ratio))
    events = sample_events(settings, malformed_ratio, seed, start, arrival_rate=max(n_valid, 1) / span_s)
    return produce(events, settings, count=count, progress=progress)
