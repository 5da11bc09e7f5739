"""The two Kafka clients `produce` drives, behind one small interface (`ProducerClient`).

Both are configured alike, and as the Java producer Kafka's own perf tool runs:

* ``acks=all`` and idempotence: a ticket acknowledged is a ticket kept, and client retries
  never write it twice.
* linger 20 ms, batches of 64 KiB: records are grouped per partition for up to 20 ms, so an
  unthrottled run sends few, large, compressed requests.
* gzip: the one codec kafka-python supports without extra Python packages; JSON tickets
  compress ~5x, and every Kafka-API broker and Spark's Kafka client read it.
* key = ``client_id`` bytes, partition = Java's murmur2 of the key: all of one client's
  tickets go to one partition, in order, and to the *same* partition whichever client sent
  them (kafka-python's default partitioner is murmur2; librdkafka's is not, so it is asked
  for ``murmur2_random``). Records without a key (some malformed events) are spread.
* the same ``headers`` (if any) on every record.
* both log in as the producer principal (``KAFKA_PRODUCER_USER``; SCRAM-SHA-512 over TLS by
  default), with the options `hybridflow.kafka.security.client_options` gives each client.
* request, bootstrap, blocking and delivery timeouts from ``settings.kafka_request_timeout_ms``;
  topics are never auto-created (a typo must not create a new one).
* a record larger than the topic's ``max.message.bytes`` (read once per topic) is not sent:
  it counts as failed, and the first error names the limit (`RecordTooLarge`). The clients'
  own caps are raised above any topic's limit (`MAX_REQUEST_BYTES`), so that check is the one
  that speaks, for both clients alike.

`KafkaPythonClient` (the default, the client the course uses) is pure Python: every record
costs Python work in ``send`` and in its I/O thread, so its hot path does the least it can:

* the partition is computed once per key (murmur2 in pure Python is ~10 µs) and passed
  explicitly, which also skips the partitioner and its metadata look-ups on every send;
* delivery is counted by two bound-method callbacks per future, never a per-record ``.get()``;
* CRC-32C, which every record batch needs, comes from the ``crc32c`` C extension when it is
  installed (requirements.txt pins it); kafka-python falls back to a pure-Python CRC that
  costs more than everything else together (~25 µs per record).
* gzip at level 6 (`GZIP_LEVEL`), as Java's producer and librdkafka compress by default.
  kafka-python 3.0 hard-codes level 9 and has no setting for it, so `use_gzip_level` points
  its record-batch encoder at level 6 (process-wide, for every kafka-python producer): about
  half the compression time for batches ~4 % larger, and less time for `send` to wait on a
  partition that the I/O thread holds while it compresses.

`ConfluentClient` wraps confluent-kafka (librdkafka, C): batching, compression and
delivery run in librdkafka's threads, outside the GIL. Only failed deliveries are reported
back (``delivery.report.only.error``): the acknowledged count is what was handed over, less
the failures, less what was still queued when the final flush gave up.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import kafka.record.default_records as kafka_records
from kafka import KafkaProducer
from kafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from kafka.partitioner.default import murmur2

from hybridflow.config import Settings
from hybridflow.errors import ConfigError, StackError
from hybridflow.kafka import security
from hybridflow.kafka.admin import refused, unreachable
from hybridflow.kafka.security import Role
from hybridflow.kafka.topics import describe_topics, max_message_bytes
from hybridflow.probes import parse_address, port_answers

LINGER_MS = 20
BATCH_SIZE = 64 * 1024
COMPRESSION = "gzip"
GZIP_LEVEL = 6  # zlib's default: what Java's producer (compression.gzip.level=-1) and librdkafka use
CLIENT_ID = "hybridflow-producer"
ROLE: Role = "producer"  # the Kafka principal both clients log in as (kafka.security: may write the tickets topic)
KAFKA_PYTHON = "kafka-python"
CONFLUENT = "confluent"
CLIENTS = (KAFKA_PYTHON, CONFLUENT)
# kafka-python caps a record at 1 MiB and librdkafka at 1,000,000 bytes, below the broker's default
# max.message.bytes (1,048,588): raised, so the topic's own limit is the one checked (`RecordTooLarge`).
MAX_REQUEST_BYTES = 16 * 1024 * 1024

Headers = Sequence[tuple[str, bytes]]

log = logging.getLogger(__name__)


class ProducerClient(Protocol):
    """What `produce` needs from a Kafka client: send, serve callbacks, flush, close, and the delivery counts."""

    name: str
    ok: int
    failed: int
    first_error: str | None

    def partitions(self, topic: str) -> int:
        """Number of partitions of `topic` (raises StackError without metadata)."""
        ...

    def sender(
        self, topic: str, headers: Headers | None, limit: int | None = None
    ) -> Callable[[bytes | None, bytes], None]:
        """The per-record send function for `topic`: ``send(key, value)``, as cheap as the client allows.

        A record larger than `limit` bytes (the topic's max.message.bytes) is not sent but failed (`RecordTooLarge`).
        """
        ...

    def serve(self) -> None:
        """Let the client run pending delivery callbacks (called every few hundred records)."""
        ...

    def flush(self, timeout_s: float) -> None:
        """Wait up to `timeout_s` for every record handed over to be acknowledged or failed."""
        ...

    def close(self, timeout_s: float) -> None:
        """Release the client; records still undelivered count as failed."""
        ...


class RecordTooLarge(StackError):
    """A record the broker would refuse: larger than its topic's max.message.bytes (never sent)."""

    def __init__(self, topic: str, size: int, limit: int) -> None:
        super().__init__(
            f"a record of {size:,} bytes is larger than max.message.bytes of topic {topic!r} ({limit:,} bytes), "
            "so it was not sent: shorten it, or raise the topic's max.message.bytes"
        )


def record_size(key: bytes | None, value: bytes) -> int:
    """Bytes of a record's key and value (what max.message.bytes bounds, before compression and framing)."""
    return len(value) + (len(key) if key is not None else 0)


def check_broker(settings: Settings) -> None:
    """Fail at once, with the fix, when nothing listens at the bootstrap servers (or the CA to trust is missing)."""
    if not any(port_answers(*parse_address(s), timeout_s=2.0) for s in settings.bootstrap_list):
        raise unreachable(settings, "nothing listens there")
    security.check_ca(settings)


def check_topic(settings: Settings, topic: str) -> int:
    """A clear error at once when `topic` does not exist (a producer would wait max.block.ms for it).

    Returns:
        the topic's max.message.bytes: the largest record the broker accepts there.
    """
    if topic not in describe_topics(settings, role=ROLE):
        raise StackError(
            f"Topic {topic!r} does not exist on {settings.kafka_bootstrap_servers}, or KAFKA_PRODUCER_USER may not write it: "
            "run `make up` (it creates the pipeline's topics and their ACLs) or check TOPIC_TICKETS."
        )
    return max_message_bytes(settings, topic, role=ROLE)


def delivery_timeout_ms(settings: Settings) -> int:
    """How long a record may take to be acknowledged, retries included (>= request timeout + linger)."""
    return 2 * settings.kafka_request_timeout_ms + LINGER_MS


# --- kafka-python ----------------------------------------------------------------------------------


def gzip_encode(payload: bytes, level: int = GZIP_LEVEL) -> bytes:
    """One gzip member of `payload` at `level` (what any Kafka consumer decompresses)."""
    return zlib.compress(payload, level, wbits=31)  # wbits 31: gzip header and trailer


def use_gzip_level() -> None:
    """Make kafka-python compress record batches at GZIP_LEVEL instead of its hard-coded 9 (idempotent)."""
    if not hasattr(kafka_records, "gzip_encode"):
        log.warning("kafka-python no longer has default_records.gzip_encode: its own gzip level applies")
        return
    kafka_records.gzip_encode = gzip_encode


def make_kafka_python_producer(settings: Settings, **overrides: object) -> KafkaProducer:
    """A kafka-python KafkaProducer configured as the module docstring says (overrides win).

    Raises:
        StackError: the broker is not reachable (with the fix).
    """
    check_broker(settings)
    timeout_ms = settings.kafka_request_timeout_ms
    config: dict[str, object] = {
        "bootstrap_servers": settings.bootstrap_list,
        "client_id": CLIENT_ID,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": LINGER_MS,
        "batch_size": BATCH_SIZE,
        "compression_type": COMPRESSION,
        "request_timeout_ms": timeout_ms,
        "bootstrap_timeout_ms": timeout_ms,
        "max_block_ms": timeout_ms,
        "delivery_timeout_ms": delivery_timeout_ms(settings),
        "allow_auto_create_topics": False,
        "max_request_size": MAX_REQUEST_BYTES,
        **security.client_options(settings, "kafka-python", ROLE),
    }
    config.update(overrides)
    use_gzip_level()
    try:
        return KafkaProducer(**config)
    # kafka-python 3 reports a failed bootstrap as KafkaTimeoutError ("Unable to bootstrap"),
    # not as the NoBrokersAvailable of 2.x.
    except (KafkaTimeoutError, KafkaConnectionError) as exc:
        if security.enabled(settings) and isinstance(exc, KafkaTimeoutError):  # the port answered (check_broker)
            raise refused(settings, ROLE, type(exc).__name__) from None
        raise unreachable(settings, type(exc).__name__) from None


class KafkaPythonClient:
    """`ProducerClient` over kafka-python's KafkaProducer."""

    name = KAFKA_PYTHON

    def __init__(self, settings: Settings, producer: KafkaProducer | None = None, **overrides: object) -> None:
        self.settings = settings
        self.own = producer is None
        self.producer = producer if producer is not None else make_kafka_python_producer(settings, **overrides)
        self.ok = 0
        self.failed = 0
        self.first_error: str | None = None
        self._lock = threading.Lock()

    def _on_ok(self, _metadata: object) -> None:
        with self._lock:  # callbacks run on the producer's I/O thread
            self.ok += 1

    def _on_error(self, exc: BaseException) -> None:
        with self._lock:
            self.failed += 1
            if self.first_error is None:
                self.first_error = f"{type(exc).__name__}: {exc}"

    def partitions(self, topic: str) -> int:
        """Number of partitions of `topic`, from the producer's metadata."""
        try:
            return len(self.producer.partitions_for(topic) or ())
        except KafkaTimeoutError:
            raise unreachable(self.settings, f"no metadata for {topic!r}") from None

    def sender(
        self, topic: str, headers: Headers | None, limit: int | None = None
    ) -> Callable[[bytes | None, bytes], None]:
        """``send(key, value)``: murmur2 partition cached per key, two callbacks, nothing else."""
        n_partitions = self.partitions(topic)
        limit = limit or 1 << 62
        send, on_ok, on_error, settings = self.producer.send, self._on_ok, self._on_error, self.settings
        header_list = list(headers) if headers else None
        partition_of: dict[bytes, int] = {}

        def send_one(key: bytes | None, value: bytes) -> None:
            if len(value) > limit - 1024 and record_size(key, value) > limit:  # one compare on the hot path
                on_error(RecordTooLarge(topic, record_size(key, value), limit))
                return
            if key is None:
                partition = None  # spread by the client's own partitioner
            else:
                partition = partition_of.get(key)
                if partition is None:
                    # DefaultPartitioner's formula: the same partition Java's producer picks.
                    partition = partition_of[key] = (murmur2(key) & 0x7FFFFFFF) % n_partitions
            try:
                future = send(topic, value=value, key=key, partition=partition, headers=header_list)
            except KafkaTimeoutError:
                # Metadata or buffer space did not come within max_block_ms: the broker is gone.
                raise unreachable(settings, "KafkaTimeoutError while sending") from None
            except KafkaError as exc:
                on_error(exc)
            else:
                future.add_callback(on_ok)
                future.add_errback(on_error)

        return send_one

    def serve(self) -> None:
        """Nothing to do: kafka-python runs callbacks on its own I/O thread."""

    def flush(self, timeout_s: float) -> None:
        """Flush; a timeout leaves the rest to `close` (counted as failed)."""
        with contextlib.suppress(KafkaTimeoutError):
            self.producer.flush(timeout=timeout_s)

    def close(self, timeout_s: float) -> None:
        """Close the producer if this client made it (closing fails what is still pending)."""
        if self.own:
            try:
                self.producer.close(timeout=timeout_s)
            except KafkaTimeoutError:
                # kafka-python's close() raises when records are still pending after the timeout (the broker
                # was down longer than that): they count as failed (handed over, never acknowledged).
                sender = getattr(self.producer, "_sender", None)  # its I/O thread would retry them forever
                if sender is not None:
                    sender.force_close()


# --- confluent-kafka (librdkafka) ------------------------------------------------------------------


def _confluent() -> Any:
    try:
        import confluent_kafka
    except ImportError:
        raise ConfigError(
            "KAFKA_CLIENT=confluent needs the confluent-kafka package: "
            "run `make setup` (requirements.txt pins it) or `pip install confluent-kafka`."
        ) from None
    return confluent_kafka


def confluent_config(settings: Settings) -> dict[str, object]:
    """librdkafka properties equivalent to the kafka-python producer's (see the module docstring)."""
    timeout_ms = settings.kafka_request_timeout_ms
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "client.id": CLIENT_ID,
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": LINGER_MS,
        "batch.size": BATCH_SIZE,
        "compression.type": COMPRESSION,
        "partitioner": "murmur2_random",  # Java's (and kafka-python's) key -> partition mapping
        "request.timeout.ms": timeout_ms,
        "message.timeout.ms": delivery_timeout_ms(settings),
        "socket.connection.setup.timeout.ms": timeout_ms,
        "allow.auto.create.topics": False,
        "delivery.report.only.error": True,
        "message.max.bytes": MAX_REQUEST_BYTES,
        **security.client_options(settings, "confluent", ROLE),
    }


class ConfluentClient:
    """`ProducerClient` over confluent-kafka's Producer (librdkafka)."""

    name = CONFLUENT

    def __init__(self, settings: Settings, producer: Any | None = None, **overrides: object) -> None:
        self.settings = settings
        self.own = producer is None
        self.ok = 0
        self.failed = 0
        self.first_error: str | None = None
        self._handed = 0
        self._unflushed = 0
        self._refused = 0  # failed before being handed over (too large, refused by produce())
        if producer is None:
            check_broker(settings)
            config = confluent_config(settings) | {"on_delivery": self._on_delivery} | overrides
            producer = _confluent().Producer(config)
        self.producer = producer

    def _refuse(self, error: str) -> None:
        self.failed += 1
        self._refused += 1
        if self.first_error is None:
            self.first_error = error

    def _on_delivery(self, err: Any, _msg: Any) -> None:
        # Called from poll()/flush() on this thread; successes are not reported at all.
        if err is not None:
            self.failed += 1
            if self.first_error is None:
                self.first_error = f"KafkaError: {err.str()}"

    def partitions(self, topic: str) -> int:
        """Number of partitions of `topic`, from a metadata request."""
        kafka = _confluent()
        try:
            metadata = self.producer.list_topics(topic, timeout=self.settings.kafka_request_timeout_ms / 1000)
        except kafka.KafkaException:
            raise unreachable(self.settings, f"no metadata for {topic!r}") from None
        found = metadata.topics.get(topic)
        if found is None or found.error is not None:
            raise unreachable(self.settings, f"no metadata for {topic!r}")
        return len(found.partitions)

    def sender(
        self, topic: str, headers: Headers | None, limit: int | None = None
    ) -> Callable[[bytes | None, bytes], None]:
        """``send(key, value)``: one C call; when librdkafka's queue is full, serve it and retry."""
        produce, poll = self.producer.produce, self.producer.poll
        header_list = list(headers) if headers else None
        limit = limit or 1 << 62
        kafka_exception = _confluent().KafkaException
        # A producer we made reports failures through its configured callback; one passed in
        # may report nothing, so each record then carries the callback itself.
        callback = None if self.own else self._on_delivery
        client = self

        def send_one(key: bytes | None, value: bytes) -> None:
            if len(value) > limit - 1024 and record_size(key, value) > limit:
                error = RecordTooLarge(topic, record_size(key, value), limit)
                client._refuse(f"{type(error).__name__}: {error}")
                return
            while True:
                try:
                    produce(topic, value, key, on_delivery=callback, headers=header_list)
                except BufferError:
                    poll(0.05)  # the local queue is full: let deliveries drain it
                    continue
                except kafka_exception as exc:  # refused at once (e.g. MSG_SIZE_TOO_LARGE): one failure, not a crash
                    client._refuse(f"KafkaError: {exc.args[0].str() if exc.args else exc}")
                    return
                client._handed += 1
                return

        return send_one

    def serve(self) -> None:
        """Run pending delivery callbacks (failures only)."""
        self.producer.poll(0)

    def flush(self, timeout_s: float) -> None:
        """Flush; what is still queued after `timeout_s` will not be acknowledged."""
        self._unflushed = self.producer.flush(timeout_s)
        self._settle()

    def close(self, timeout_s: float) -> None:
        """Drop what is still queued (counted as failed); librdkafka frees the rest with the object."""
        if self._unflushed and self.own:
            self.producer.purge()  # purged records come back as failed deliveries
            self._unflushed = self.producer.flush(min(timeout_s, 1.0))
        self._settle()

    def _settle(self) -> None:
        # Purged or timed-out records are reported as failures; those never reported are unknown: not acknowledged.
        self.ok = max(0, self._handed - (self.failed - self._refused) - self._unflushed)


def open_client(
    settings: Settings, name: str | None = None, producer: Any | None = None, **overrides: object
) -> ProducerClient:
    """The client `name` (default ``settings.kafka_client``), or the one wrapping an existing `producer`.

    Raises:
        ConfigError: unknown client name, or confluent-kafka missing.
        StackError: the broker is not reachable.
    """
    if producer is not None:
        return (
            KafkaPythonClient(settings, producer)
            if isinstance(producer, KafkaProducer)
            else ConfluentClient(settings, producer)
        )
    name = name or settings.kafka_client
    if name == KAFKA_PYTHON:
        return KafkaPythonClient(settings, **overrides)
    if name == CONFLUENT:
        return ConfluentClient(settings, **overrides)
    raise ConfigError(f"Unknown Kafka client {name!r}: choose one of {', '.join(CLIENTS)} (KAFKA_CLIENT or --client).")
