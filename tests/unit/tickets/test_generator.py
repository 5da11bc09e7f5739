"""The ticket generator: deterministic, and its distributions match the documented targets."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import datetime, timedelta

import pytest

from hybridflow.config import get_settings
from hybridflow.tickets.generator import (
    EXAMPLE_START,
    PRIORITY_GIVEN_TYPE,
    REQUEST_TYPE_WEIGHTS,
    TicketGenerator,
    client_ids,
    client_weights,
    priority_marginals,
)
from hybridflow.tickets.model import CLIENT_ID_PATTERN, Priority, RequestType

N = 20_000
TOL = 0.015  # ~3 standard errors of a share near 0.4 over 20 000 draws


@pytest.fixture(scope="module")
def sample():
    return TicketGenerator(2026, EXAMPLE_START).take(N)


def _shares(values) -> dict:
    counts = Counter(values)
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes():
    a = [t.to_bytes() for t in TicketGenerator(5, EXAMPLE_START).take(500)]
    b = [t.to_bytes() for t in TicketGenerator(5, EXAMPLE_START).take(500)]
    assert a == b


def test_different_seed_gives_different_tickets():
    a = [t.to_bytes() for t in TicketGenerator(5, EXAMPLE_START).take(50)]
    b = [t.to_bytes() for t in TicketGenerator(6, EXAMPLE_START).take(50)]
    assert not set(a) & set(b)


def test_tickets_restarts_from_the_seed():
    gen = TicketGenerator(5, EXAMPLE_START)
    first = gen.take(20)
    next(gen.tickets())  # drawing from one iterator must not move the next one
    assert gen.take(20) == first == TicketGenerator(5, EXAMPLE_START).take(20)
    assert len({t.ticket_id for t in first}) == 20 and first != TicketGenerator(6, EXAMPLE_START).take(20)


def test_global_random_state_is_neither_used_nor_touched():
    random.seed(1)
    state = random.getstate()
    a = TicketGenerator(5, EXAMPLE_START).take(100)
    assert random.getstate() == state
    random.seed(2)
    assert TicketGenerator(5, EXAMPLE_START).take(100) == a


# --- client population ---------------------------------------------------------------------------


def test_client_population_is_fixed_and_valid():
    ids = client_ids(500)
    assert ids[0] == "C00001" and ids[-1] == "C00500" and len(set(ids)) == 500
    assert all(re.match(CLIENT_ID_PATTERN, c) for c in ids)
    assert client_ids(500) == ids


@pytest.mark.parametrize("n", [0, 100_000])
def test_client_population_size_is_checked(n):
    with pytest.raises(ValueError):
        client_ids(n)


def test_client_weights_are_zipf():
    w = client_weights(500)
    assert sum(w) == pytest.approx(1.0)
    assert w[0] / w[1] == pytest.approx(2.0) and w[0] / w[9] == pytest.approx(10.0)


def test_clients_come_from_the_population(sample):
    assert {t.client_id for t in sample} <= set(client_ids(500))


def test_a_few_repeat_customers_open_many_tickets(sample):
    counts = Counter(t.client_id for t in sample)
    ranked = [n for _, n in counts.most_common()]
    assert counts["C00001"] / N == pytest.approx(client_weights(500)[0], abs=TOL)  # ~14.7 %
    assert sum(ranked[:50]) / N > 0.60  # top 10 % of the clients
    assert sum(ranked[:100]) / N == pytest.approx(sum(client_weights(500)[:100]), abs=TOL)  # ~76 %
    assert min(ranked) < 20  # and a long tail of occasional clients


# --- request type and priority -------------------------------------------------------------------


def test_documented_tables_are_probabilities():
    assert sum(REQUEST_TYPE_WEIGHTS.values()) == pytest.approx(1.0)
    for row in PRIORITY_GIVEN_TYPE.values():
        assert sum(row.values()) == pytest.approx(1.0)
    assert sum(priority_marginals().values()) == pytest.approx(1.0)
    assert priority_marginals()[Priority.CRITICAL] == pytest.approx(0.029)


def test_request_types_follow_the_targets(sample):
    shares = _shares(t.request_type for t in sample)
    for request_type, target in REQUEST_TYPE_WEIGHTS.items():
        assert shares[request_type] == pytest.approx(target, abs=TOL), request_type


def test_priorities_follow_the_marginals(sample):
    shares = _shares(t.priority for t in sample)
    for priority, target in priority_marginals().items():
        assert shares[priority] == pytest.approx(target, abs=TOL), priority


def test_critical_is_rare_and_never_general(sample):
    critical = [t for t in sample if t.priority is Priority.CRITICAL]
    assert 0.02 < len(critical) / N < 0.04
    assert not any(t.request_type is RequestType.GENERAL for t in critical)
    technical = [t for t in sample if t.request_type is RequestType.TECHNICAL]
    share = sum(t.priority is Priority.CRITICAL for t in technical) / len(technical)
    assert share == pytest.approx(PRIORITY_GIVEN_TYPE[RequestType.TECHNICAL][Priority.CRITICAL], abs=0.01)


# --- request text --------------------------------------------------------------------------------


def test_requests_are_filled_french_text(sample):
    texts = [t.request for t in sample]
    assert not any("{" in x or "}" in x for x in texts)
    assert len(set(texts)) > N / 3  # slot filling: invoices, amounts, codes make many texts unique
    billing = [t.request for t in sample if t.request_type is RequestType.BILLING]
    assert sum(bool(re.search(r"factur|prélèvement", x)) for x in billing) / len(billing) > 0.9
    assert any(re.search(r"FA-2026-\d{6}", x) for x in billing)


def test_critical_technical_requests_are_outages(sample):
    outages = [t for t in sample if t.request_type is RequestType.TECHNICAL and t.priority is Priority.CRITICAL]
    assert outages and all(t.request.startswith("URGENT") for t in outages)


def test_payloads_stay_well_under_the_size_limit(sample):
    assert max(len(t.to_bytes()) for t in sample) < get_settings().max_payload_bytes / 10


# --- event time ----------------------------------------------------------------------------------


def test_event_times_follow_the_arrival_rate(sample):
    # 20 000 tickets at 10/s: ~2000 s of simulated time (Poisson: sd ~ 14 s).
    span = (max(t.created_at for t in sample) - EXAMPLE_START).total_seconds()
    assert span == pytest.approx(N / 10, rel=0.05)


def test_event_times_are_utc_milliseconds(sample):
    assert all(t.created_at.utcoffset() == timedelta(0) for t in sample[:1000])
    assert all(t.created_at.microsecond % 1000 == 0 for t in sample)


def _out_of_order(tickets) -> list[float]:
    """How far behind the latest event time seen so far each out-of-order ticket is (seconds)."""
    latest, behind = None, []
    for t in tickets:
        if latest is not None and t.created_at < latest:
            behind.append((latest - t.created_at).total_seconds())
        latest = t.created_at if latest is None else max(latest, t.created_at)
    return behind


def test_late_events_arrive_out_of_order(sample):
    behind = _out_of_order(sample)
    assert len(behind) / N == pytest.approx(0.05, abs=0.01)
    assert max(behind) <= 20.0 and max(behind) > 10.0


def test_no_late_events_means_ordered_times():
    tickets = TicketGenerator(3, EXAMPLE_START, late_ratio=0.0).take(2000)
    assert _out_of_order(tickets) == []


def test_lateness_is_configurable():
    tickets = TicketGenerator(3, EXAMPLE_START, late_ratio=0.2, max_lateness_s=90).take(5000)
    behind = _out_of_order(tickets)
    assert len(behind) / 5000 == pytest.approx(0.2, abs=0.03)
    assert 60 < max(behind) <= 90


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": datetime(2026, 1, 31)},  # naive
        {"late_ratio": 1.5},
        {"arrival_rate": 0},
        {"late_ratio": 0.1, "max_lateness_s": 0.5},
    ],
)
def test_bad_parameters_are_refused(kwargs):
    args = {"seed": 1, "start": EXAMPLE_START} | kwargs
    with pytest.raises(ValueError):
        TicketGenerator(**args)
