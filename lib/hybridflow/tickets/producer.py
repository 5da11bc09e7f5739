"""Produce ticket events to Kafka with kafka-python: batched, compressed, keyed by client_id.

Producer settings and why:

* ``acks='all'`` and ``enable_idempotence=True``: a ticket acknowledged is a ticket kept,
  and client retries never write it twice.
* ``linger_ms=20``, ``batch_size=64 KiB``: records are grouped per partition for up to
  20 ms, so an unthrottled run sends few, large, compressed requests.
* ``compression_type='gzip'``: the one codec kafka-python supports without extra Python
  packages (lz4/zstd/snappy need ``lz4``/``zstandard``/``python-snappy``); JSON tickets
  compress ~4-5x, and every Kafka-API broker and Spark's Kafka client read it.
* key = ``client_id`` bytes: the default (murmur2) partitioner puts all of one client's
  tickets on one partition, in order. Malformed events may have no key (spread at random).
* request, bootstrap and blocking timeouts come from ``settings.kafka_request_timeout_ms``.

Delivery is counted through the send futures' callbacks (never a per-message ``.get()``);
the loop never sleeps unless a rate is set, and then only when its token bucket is empty.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kafka import KafkaProducer
from kafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from tqdm import tqdm

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.stack.process import parse_address, port_answers
from hybridflow.stack.topics import describe_topics, unreachable
from hybridflow.tickets.malformed import Event

LINGER_MS = 20
BATCH_SIZE = 64 * 1024
COMPRESSION = "gzip"


@dataclass(frozen=True)
class ProduceSummary:
    """What a `produce` run did."""

    topic: str
    sent: int
    failed: int
    malformed: int
    seconds: float
    interrupted: bool = False
    first_error: str | None = None

    @property
    def attempted(self) -> int:
        """Events handed to the producer (acknowledged or failed)."""
        return self.sent + self.failed

    @property
    def tickets_per_s(self) -> float:
        """Acknowledged events per second of wall time (flush included)."""
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """The one-line summary printed at the end of a run."""
        how = "interrupted after" if self.interrupted else "in"
        error = f"; first error: {self.first_error}" if self.first_error else ""
        return (
            f"produce: {self.sent} sent ({self.malformed} malformed on purpose), {self.failed} failed "
            f"to {self.topic} {how} {self.seconds:.1f} s ({self.tickets_per_s:,.0f} tickets/s){error}"
        )


class RateLimiter:
    """Token bucket: `rate` events/s on average, bursts of up to `burst`; never sleeps when rate is None.

    It sleeps only when the bucket is empty, and then for at least `min_sleep_s` (or a full
    bucket's worth, if shorter), so a fast rate is reached with ~100 sleeps a second rather
    than one per event; the time actually slept (sleep overshoots) is credited back.
    """

    def __init__(
        self,
        rate: float | None,
        burst: float | None = None,
        min_sleep_s: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be > 0 tickets/s (or None for as fast as possible), got {rate}")
        self.rate = rate
        # A tenth of a second's worth: bursts stay short whatever the rate.
        self.burst = burst if burst is not None else max(1.0, (rate or 0) / 10)
        self.min_sleep_s = min_sleep_s
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._last = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

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


def make_producer(settings: Settings, **overrides: object) -> KafkaProducer:
    """A KafkaProducer configured as the module docstring says (overrides win).

    Raises:
        StackError: the broker is not reachable (with the fix).
    """
    if not any(port_answers(*parse_address(s), timeout_s=2.0) for s in settings.bootstrap_list):
        raise unreachable(settings, "nothing listens there")
    timeout_ms = settings.kafka_request_timeout_ms
    config: dict[str, object] = {
        "bootstrap_servers": settings.bootstrap_list,
        "client_id": "hybridflow-producer",
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": LINGER_MS,
        "batch_size": BATCH_SIZE,
        "compression_type": COMPRESSION,
        "request_timeout_ms": timeout_ms,
        "bootstrap_timeout_ms": timeout_ms,
        "max_block_ms": timeout_ms,
        # Must be >= request_timeout_ms + linger_ms (kafka-python checks it).
        "delivery_timeout_ms": 2 * timeout_ms + LINGER_MS,
        # Topics are created explicitly (`make up`); a typo must not create a new one.
        "allow_auto_create_topics": False,
    }
    config.update(overrides)
    try:
        return KafkaProducer(**config)
    # kafka-python 3 reports a failed bootstrap as KafkaTimeoutError ("Unable to bootstrap"),
    # not as the NoBrokersAvailable of 2.x.
    except (KafkaTimeoutError, KafkaConnectionError) as exc:
        raise unreachable(settings, type(exc).__name__) from None


def _check_topic(producer: KafkaProducer, topic: str, settings: Settings) -> int:
    """Number of partitions of `topic`; a clear error at once when it does not exist."""
    # Ask the admin API first: the producer itself would wait max_block_ms for a missing topic.
    if topic not in describe_topics(settings):
        raise StackError(
            f"Topic {topic!r} does not exist on {settings.kafka_bootstrap_servers}: "
            "run `make up` (it creates the pipeline's topics) or check TOPIC_TICKETS."
        )
    try:
        return len(producer.partitions_for(topic) or ())
    except KafkaTimeoutError:
        raise unreachable(settings, f"no metadata for {topic!r}") from None


class _Delivery:
    """Counts acknowledgements and failures from the producer's I/O thread."""

    def __init__(self) -> None:
        self.ok = 0
        self.failed = 0
        self.first_error: str | None = None
        self._lock = threading.Lock()

    def on_ok(self, _metadata: object) -> None:
        with self._lock:
            self.ok += 1

    def on_error(self, exc: BaseException) -> None:
        with self._lock:
            self.failed += 1
            if self.first_error is None:
                self.first_error = f"{type(exc).__name__}: {exc}"


def produce(
    events: Iterable[Event],
    settings: Settings,
    *,
    topic: str | None = None,
    count: int | None = None,
    rate: float | None = None,
    progress: bool = True,
    producer: KafkaProducer | None = None,
) -> ProduceSummary:
    """Send `events` (the first `count`, or until exhausted or Ctrl-C) and flush; return the summary.

    Args:
        topic: default ``settings.topic_tickets``.
        count: stop after this many events (None: until `events` ends or Ctrl-C).
        rate: events per second (token bucket); None: as fast as possible.
        progress: show a tqdm progress bar.
        producer: an existing producer to reuse (not closed); default: a new one, closed at the end.

    Raises:
        StackError: broker unreachable or topic missing.
    """
    topic = topic or settings.topic_tickets
    own = producer is None
    producer = producer or make_producer(settings)
    delivery = _Delivery()
    malformed = handed = 0
    interrupted = False
    limiter = RateLimiter(rate)
    stream = itertools.islice(events, count) if count is not None else events
    bar = tqdm(total=count, unit="ev", desc=f"produce → {topic}", disable=not progress, mininterval=0.5)
    start = time.perf_counter()
    try:
        _check_topic(producer, topic, settings)
        pending_bar = 0
        for event in stream:
            limiter.acquire()
            try:
                future = producer.send(topic, key=event.key, value=event.value)
            except KafkaTimeoutError as exc:
                # Metadata or buffer space did not come within max_block_ms: the broker is gone.
                raise unreachable(settings, f"{type(exc).__name__} while sending") from None
            except KafkaError as exc:
                delivery.on_error(exc)
            else:
                future.add_callback(delivery.on_ok)
                future.add_errback(delivery.on_error)
            handed += 1
            malformed += event.kind is not None
            pending_bar += 1
            if pending_bar >= 256:  # tqdm.update per event would cost more than the send
                bar.update(pending_bar)
                pending_bar = 0
        bar.update(pending_bar)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        try:
            producer.flush(timeout=settings.kafka_request_timeout_ms / 1000 * 2)
        except KafkaTimeoutError:
            pass  # undelivered records are counted below as failed
        if own:
            producer.close(timeout=settings.kafka_request_timeout_ms / 1000)
        bar.close()
    seconds = time.perf_counter() - start
    failed = max(delivery.failed, handed - delivery.ok)
    return ProduceSummary(
        topic=topic,
        sent=delivery.ok,
        failed=failed,
        malformed=malformed,
        seconds=seconds,
        interrupted=interrupted,
        first_error=delivery.first_error,
    )
