"""The two producer clients and the `produce` loop, on fake producers (no broker): partitions, counts, errors."""

from __future__ import annotations

import itertools
import socket
from collections import Counter
from types import SimpleNamespace

import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from kafka.partitioner.default import DefaultPartitioner

from hybridflow.cli import main
from hybridflow.config import get_settings
from hybridflow.errors import ConfigError, StackError
from hybridflow.simulation.lifecycle import LifecycleSimulator
from hybridflow.tickets import producer as producer_module
from hybridflow.tickets.clients import CLIENTS, ConfluentClient, KafkaPythonClient, confluent_config, open_client
from hybridflow.tickets.generator import EXAMPLE_START, TicketGenerator, client_ids
from hybridflow.tickets.malformed import Event, MalformedKind
from hybridflow.tickets.producer import produce

SETTINGS = get_settings()


class FakeFuture:
    def __init__(self) -> None:
        self.callbacks: list = []
        self.errbacks: list = []

    def add_callback(self, fn):
        self.callbacks.append(fn)

    def add_errback(self, fn):
        self.errbacks.append(fn)


class FakeKafkaPython(KafkaProducer):
    """Enough of kafka-python's KafkaProducer (a subclass, as `produce` tells clients apart by type)."""

    def __init__(self, partitions: int = 3, fail_with: Exception | None = None) -> None:  # no super(): no I/O
        self.n_partitions = partitions
        self.fail_with = fail_with
        self.sent: list[dict] = []
        self.futures: list[FakeFuture] = []

    def partitions_for(self, topic):
        return set(range(self.n_partitions))

    def send(self, topic, value=None, key=None, partition=None, headers=None):
        if self.fail_with:
            raise self.fail_with
        self.sent.append({"topic": topic, "key": key, "value": value, "partition": partition, "headers": headers})
        self.futures.append(FakeFuture())
        return self.futures[-1]

    def flush(self, timeout=None):
        for future in self.futures:
            for fn in future.callbacks:
                fn(object())
        self.futures = []

    def close(self, timeout=None, null_logger=False):
        pass

    def __del__(self):
        pass


class FakeConfluent:
    """Enough of confluent-kafka's Producer: per-record callbacks, a queue that fills, failures on flush."""

    def __init__(self, fail_keys: set[bytes] = frozenset(), full_times: int = 0, left_after_flush: int = 0) -> None:
        self.fail_keys = fail_keys
        self.full_times = full_times
        self.left_after_flush = left_after_flush
        self.queue: list[tuple] = []
        self.polls = 0

    def produce(self, topic, value, key, on_delivery=None, headers=None):
        if self.full_times:
            self.full_times -= 1
            raise BufferError("Local: Queue full")
        self.queue.append((key, value, on_delivery, headers))

    def poll(self, timeout=0):
        self.polls += 1
        return 0

    def flush(self, timeout=None):
        for key, _value, callback, _headers in self.queue:
            error = SimpleNamespace(str=lambda: "Broker: Message too large") if key in self.fail_keys else None
            if callback:
                callback(error, None)
        self.queue = []
        return self.left_after_flush

    def purge(self):
        self.left_after_flush = 0

    def list_topics(self, topic, timeout=None):
        return SimpleNamespace(topics={topic: SimpleNamespace(error=None, partitions={0: 0, 1: 1, 2: 2})})


@pytest.fixture
def no_topic_check(monkeypatch):
    monkeypatch.setattr(producer_module, "check_topic", lambda settings, topic: None)


def _events(n: int) -> list[Event]:
    return list(itertools.islice(TicketGenerator(3, EXAMPLE_START).events(), n))


# --- kafka-python ----------------------------------------------------------------------------------


def test_kafka_python_partitions_keys_as_the_default_partitioner_does():
    fake = FakeKafkaPython(partitions=3)
    send = KafkaPythonClient(SETTINGS, producer=fake).sender("t", None)
    keys = [c.encode() for c in client_ids(500)]
    for key in keys:
        send(key, b"{}")
    cluster = SimpleNamespace(
        topics=lambda: {"t"},
        partitions_for_topic=lambda t: {0, 1, 2},
        available_partitions_for_topic=lambda t: {0, 1, 2},
    )
    expected = [DefaultPartitioner().partition("t", None, k, None, None, cluster) for k in keys]
    assert [s["partition"] for s in fake.sent] == expected
    assert len(set(expected)) == 3


def test_kafka_python_leaves_keyless_records_to_its_partitioner():
    fake = FakeKafkaPython()
    KafkaPythonClient(SETTINGS, producer=fake).sender("t", [("h", b"v")])(None, b"x")
    assert fake.sent == [{"topic": "t", "key": None, "value": b"x", "partition": None, "headers": [("h", b"v")]}]


def test_kafka_python_counts_refusals_and_names_a_lost_broker():
    client = KafkaPythonClient(SETTINGS, producer=FakeKafkaPython(fail_with=MessageSizeTooLargeError("too big")))
    client.sender("t", None)(b"C00001", b"x")
    assert (client.ok, client.failed) == (0, 1) and "MessageSizeTooLargeError" in client.first_error
    lost = KafkaPythonClient(SETTINGS, producer=FakeKafkaPython(fail_with=KafkaTimeoutError()))
    with pytest.raises(StackError, match=r"not reachable.*make up"):
        lost.sender("t", None)(b"C00001", b"x")


def test_kafka_python_batches_are_gzip_at_the_java_default_level(monkeypatch):
    import gzip

    import kafka.codec
    import kafka.record.default_records as records

    from hybridflow.tickets.clients import gzip_encode, use_gzip_level

    monkeypatch.setattr(records, "gzip_encode", kafka.codec.gzip_encode)
    use_gzip_level()
    assert records.gzip_encode is gzip_encode
    payload = b"".join(e.value for e in _events(200))
    packed = records.gzip_encode(payload)
    assert gzip.decompress(packed) == payload and kafka.codec.gzip_decode(packed) == payload
    assert len(packed) < len(payload) / 4  # JSON tickets compress well at level 6 too


# --- confluent -------------------------------------------------------------------------------------


def test_confluent_is_configured_like_the_java_producer():
    config = confluent_config(SETTINGS)
    assert config["acks"] == "all" and config["enable.idempotence"] is True
    assert (config["linger.ms"], config["batch.size"], config["compression.type"]) == (20, 65536, "gzip")
    assert config["partitioner"] == "murmur2_random"  # Java's key -> partition mapping, not librdkafka's default
    assert config["message.timeout.ms"] > config["request.timeout.ms"]


def test_confluent_counts_failures_and_retries_a_full_queue():
    fake = FakeConfluent(fail_keys={b"C00002"}, full_times=2)
    client = ConfluentClient(SETTINGS, producer=fake)
    send = client.sender("t", None)
    for key in (b"C00001", b"C00002", b"C00003"):
        send(key, b"{}")
    client.flush(1.0)
    client.close(1.0)
    assert (client.ok, client.failed) == (2, 1) and "too large" in client.first_error
    assert fake.polls == 2 and len(fake.queue) == 0


def test_confluent_counts_what_a_timed_out_flush_left_as_not_acknowledged():
    client = ConfluentClient(SETTINGS, producer=FakeConfluent(left_after_flush=2))
    send = client.sender("t", None)
    for _ in range(5):
        send(b"C00001", b"{}")
    client.flush(0.1)
    assert client.ok == 3


def test_confluent_partitions_come_from_metadata():
    assert ConfluentClient(SETTINGS, producer=FakeConfluent()).partitions("t") == 3


# --- choosing a client -----------------------------------------------------------------------------


def test_an_unknown_client_names_the_choices():
    with pytest.raises(ConfigError, match="kafka-python, confluent"):
        open_client(SETTINGS, "kafka-go")


def test_a_given_producer_decides_the_client():
    assert isinstance(open_client(SETTINGS, producer=FakeConfluent()), ConfluentClient)
    assert isinstance(open_client(SETTINGS, producer=FakeKafkaPython()), KafkaPythonClient)


@pytest.mark.parametrize("client", CLIENTS)
def test_unreachable_broker_names_the_fix_with_either_client(client):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = get_settings(kafka_bootstrap_servers=f"127.0.0.1:{port}", kafka_client=client)
    with pytest.raises(StackError, match=r"not reachable.*make up.*KAFKA_BOOTSTRAP_SERVERS"):
        open_client(settings)


# --- the produce loop ------------------------------------------------------------------------------


@pytest.mark.parametrize("fake", [FakeKafkaPython, FakeConfluent], ids=CLIENTS)
def test_produce_sends_count_events_and_sums_them_up(no_topic_check, fake):
    producer = fake()
    events = _events(600)
    events[10] = Event(key=None, value=b"{not json", kind=MalformedKind.MALFORMED_JSON)
    summary = produce(iter(events), SETTINGS, topic="t", count=550, progress=False, producer=producer)
    assert (summary.sent, summary.failed, summary.malformed) == (550, 0, 1)
    assert summary.client in CLIENTS and "550 sent (1 malformed on purpose), 0 failed to t via" in summary.line()


@pytest.mark.parametrize("fake", [FakeKafkaPython, FakeConfluent], ids=CLIENTS)
def test_produce_reports_failures_with_the_first_error(no_topic_check, fake):
    producer = FakeKafkaPython(fail_with=MessageSizeTooLargeError("too big")) if fake is FakeKafkaPython else (
        FakeConfluent(fail_keys={e.key for e in _events(300)})
    )  # fmt: skip
    summary = produce(_events(300), SETTINGS, topic="t", progress=False, producer=producer)
    assert (summary.sent, summary.failed) == (0, 300) and summary.first_error


@pytest.mark.parametrize("fake", [FakeKafkaPython, FakeConfluent], ids=CLIENTS)
def test_routed_records_go_to_the_topic_of_their_role(no_topic_check, fake):
    producer = fake()
    simulator = LifecycleSimulator(TicketGenerator(3, EXAMPLE_START, arrival_rate=0.03), 200)
    records = list(simulator.records())
    summary = produce(
        iter(records), SETTINGS, progress=False, producer=producer, routes={"tickets": "t", "events": "e"}
    )
    sent = producer.sent if fake is FakeKafkaPython else [{"topic": None} for _ in range(summary.sent)]
    assert summary.sent == len(records) == len(sent) and summary.failed == 0
    n_events = sum(r.role == "events" for r in records)
    bad_events = sum(r.role == "events" and r.kind is not None for r in records)
    assert (summary.tally("tickets").records, summary.tally("events").records) == (200, n_events)
    assert (summary.tally("events").malformed, summary.malformed) == (bad_events, bad_events) and bad_events > 0
    assert f"200 tickets (0 malformed) to t, {n_events} events ({bad_events} malformed) to e" in summary.line()
    if fake is FakeKafkaPython:  # the fake keeps what went where
        assert [(s["topic"], s["key"], s["value"]) for s in producer.sent] == [
            ({"tickets": "t", "events": "e"}[r.role], r.key, r.value) for r in records
        ]


def test_a_record_without_a_route_is_refused(no_topic_check):
    record = SimpleNamespace(role="breaches", key=b"k", value=b"{}", kind=None)
    with pytest.raises(ValueError, match=r"'breaches'.*tickets, events"):
        produce([record], SETTINGS, progress=False, producer=FakeKafkaPython(), routes={"tickets": "t", "events": "e"})


def test_produce_lifecycle_command_wires_both_topics(no_topic_check, monkeypatch, capsys):
    fake = FakeKafkaPython()
    monkeypatch.setattr(
        producer_module, "open_client", lambda settings, name, producer: KafkaPythonClient(settings, fake)
    )
    code = main(
        ["produce", "--lifecycle", "--count", "50", "--seed", "4", "--start", "2026-01-31T09:00:00Z",
         "--topic", "tickets_t", "--no-progress"]
    )  # fmt: skip
    out = capsys.readouterr().out
    topics = Counter(s["topic"] for s in fake.sent)
    assert code == 0 and set(topics) == {"tickets_t", SETTINGS.topic_events}
    assert topics["tickets_t"] == 50 and "50 tickets (1 malformed) to tickets_t" in out
    assert f"{topics[SETTINGS.topic_events]} events (" in out and f"to {SETTINGS.topic_events}" in out
