"""Producer pieces that need no broker: the rate limiter, the summary, the CLI, the clear error."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from hybridflow.cli import build_parser
from hybridflow.config import get_settings
from hybridflow.errors import StackError
from hybridflow.simulation.lifecycle import lifecycle_records, lifecycle_routes
from hybridflow.tickets.producer import ProduceSummary, RateLimiter, TopicTally, make_producer


class FakeClock:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self, oversleep: float = 0.0) -> None:
        self.now = 0.0
        self.oversleep = oversleep
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds * (1 + self.oversleep)


def test_unthrottled_never_sleeps():
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    for _ in range(10_000):
        limiter.acquire()
    assert clock.sleeps == []


def test_rate_is_honoured_with_few_sleeps():
    clock = FakeClock()
    limiter = RateLimiter(200.0, clock=clock, sleep=clock.sleep)
    for _ in range(2000):
        limiter.acquire()
    # 2000 events at 200/s: the first at once, then one every 5 ms: 9.995 s.
    assert clock.now == pytest.approx(10.0 - 1 / 200, abs=0.01)
    assert len(clock.sleeps) <= 10 / 0.01 + 1  # ~100 sleeps a second, not one per message


def test_oversleeping_is_credited_back():
    # A loaded machine sleeps longer than asked; the bucket must still deliver the rate.
    clock = FakeClock(oversleep=0.3)
    limiter = RateLimiter(200.0, clock=clock, sleep=clock.sleep)
    for _ in range(2000):
        limiter.acquire()
    assert clock.now == pytest.approx(10.0, rel=0.05)


def test_the_kth_event_leaves_at_k_over_rate():
    # No head-start burst: a run's average rate is the rate from its first event on.
    clock = FakeClock()
    limiter = RateLimiter(1000.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(5001):
        limiter.acquire()
        times.append(clock.now)
    assert times[0] == 0.0
    assert 5000 / (times[-1] - times[0]) == pytest.approx(1000.0, rel=0.002)


def test_a_stall_is_caught_up():
    clock = FakeClock()
    limiter = RateLimiter(200.0, clock=clock, sleep=clock.sleep)
    for i in range(2000):
        if i == 500:
            clock.now += 0.8  # the process was not scheduled for 0.8 s
        limiter.acquire()
    assert clock.now == pytest.approx(10.0, abs=0.02) and limiter.behind_s == 0


def test_a_stall_longer_than_the_catch_up_is_reported_not_hidden():
    clock = FakeClock()
    limiter = RateLimiter(200.0, catch_up_s=1.0, clock=clock, sleep=clock.sleep)
    for i in range(2000):
        if i == 500:
            clock.now += 3.0
        limiter.acquire()
    assert limiter.behind_s == pytest.approx(2.0, abs=0.01)  # 3 s stalled, 1 s made up
    assert clock.now == pytest.approx(12.0, abs=0.02)
    assert limiter.lag_s() == pytest.approx(2.0, abs=0.02)


def test_a_sender_slower_than_the_rate_ends_behind():
    # Each send takes 6 ms of (fake) CPU: 166/s at most, for a rate of 200/s.
    clock = FakeClock()
    limiter = RateLimiter(200.0, clock=clock, sleep=clock.sleep)
    for _ in range(400):
        limiter.acquire()
        clock.now += 0.006
    # 2.4 s for 2 s of rate: 0.4 s behind, within the 1 s catch-up (nothing lost yet), reported over a burst (0.1 s).
    assert limiter.behind_s == 0.0
    assert limiter.lag_s() == pytest.approx(0.4 - 0.1, abs=0.02)


def test_a_sender_that_keeps_up_is_not_behind():
    clock = FakeClock()
    limiter = RateLimiter(200.0, clock=clock, sleep=clock.sleep)
    for _ in range(400):
        limiter.acquire()
        clock.now += 0.001
    assert limiter.lag_s() == 0.0


def test_slow_rate_sleeps_between_events():
    clock = FakeClock()
    limiter = RateLimiter(2.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
    assert clock.now == pytest.approx(2.0)  # burst of 1, then one every 0.5 s


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_summary_line_says_what_happened():
    summary = ProduceSummary(topic="t", sent=950, failed=0, malformed=50, seconds=2.0)
    assert summary.tickets_per_s == 475
    line = summary.line()
    assert "950 sent" in line and "50 malformed" in line and "0 failed" in line and "475 tickets/s" in line
    assert "interrupted" in ProduceSummary("t", 1, 0, 0, 1.0, interrupted=True).line()
    assert "via confluent" in ProduceSummary("t", 1, 0, 0, 1.0, client="confluent").line()
    assert "2.5 s behind the rate" in ProduceSummary("t", 1, 0, 0, 1.0, behind_s=2.5).line()


def test_unreachable_broker_names_the_fix():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = get_settings(kafka_bootstrap_servers=f"127.0.0.1:{port}")
    with pytest.raises(StackError, match=r"not reachable.*make up.*KAFKA_BOOTSTRAP_SERVERS"):
        make_producer(settings)


def test_produce_command_parses_its_options():
    args = build_parser().parse_args(
        ["produce", "--count", "10", "--rate", "5", "--seed", "3", "--malformed-ratio", "0.2",
         "--start", "2026-01-31T09:00:00Z", "--late-ratio", "0.1"]
    )  # fmt: skip
    assert (args.count, args.rate, args.seed, args.malformed_ratio, args.late_ratio) == (10, 5.0, 3, 0.2, 0.1)
    assert args.start.isoformat() == "2026-01-31T09:00:00+00:00"
    assert args.client is None  # the KAFKA_CLIENT setting decides
    assert build_parser().parse_args(["produce", "--client", "confluent"]).client == "confluent"


@pytest.mark.parametrize(
    "bad",
    [["--malformed-ratio", "2"], ["--rate", "0"], ["--start", "hier"], ["--count", "-1"], ["--client", "kafka-go"]],
)
def test_produce_command_refuses_bad_options(bad):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["produce", *bad])


def test_a_multi_topic_summary_counts_each_topic():
    summary = ProduceSummary(
        topic="a + b", sent=120, failed=0, malformed=3, seconds=2.0,
        per_topic=(TopicTally("tickets", "a", 20, 1), TopicTally("events", "b", 100, 2)),
    )  # fmt: skip
    line = summary.line()
    assert "120 sent, 0 failed: 20 tickets (1 malformed) to a, 100 events (2 malformed) to b" in line
    assert "60 records/s" in line and summary.tally("events").records == 100
    with pytest.raises(KeyError, match="breaches"):
        summary.tally("breaches")


def test_produce_lifecycle_parses_its_options():
    args = build_parser().parse_args(
        ["produce", "--lifecycle", "--count", "100", "--arrival-rate", "0.05", "--duplicate-ratio", "0.1",
         "--event-max-lateness", "300", "--tail", "3600", "--crm-scale", "0.2"]
    )  # fmt: skip
    assert args.lifecycle and (args.count, args.arrival_rate, args.duplicate_ratio) == (100, 0.05, 0.1)
    assert (args.event_max_lateness, args.tail, args.crm_scale, args.malformed_ratio) == (300.0, 3600.0, 0.2, None)
    assert not build_parser().parse_args(["produce"]).lifecycle
    with pytest.raises(SystemExit):
        build_parser().parse_args(["produce", "--lifecycle", "--unknown-ticket-ratio", "1.5"])


def test_lifecycle_records_use_the_settings_and_options():
    settings = get_settings()
    start = datetime(2026, 1, 31, 9, tzinfo=UTC)
    records = list(lifecycle_records(settings, 300, 5, start, malformed_ratio=0.1, duplicate_ratio=0.0))
    tickets = [r for r in records if r.role == "tickets"]
    assert len(tickets) == 300 and sum(r.kind is not None for r in tickets) == 30  # the ratio holds on both topics
    events = [r for r in records if r.role == "events"]
    assert sum(r.kind is not None for r in events) == pytest.approx(0.1 * len(events), abs=1)
    assert records == list(lifecycle_records(settings, 300, 5, start, malformed_ratio=0.1, duplicate_ratio=0.0))
    assert lifecycle_routes(settings) == {"tickets": settings.topic_tickets, "events": settings.topic_events}
