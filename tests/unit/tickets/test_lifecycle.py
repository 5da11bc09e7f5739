"""Lifecycle events: the model, the seeded simulation (order, durations, mess) and its oracle."""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from pyspark.sql.types import IntegerType, StringType, TimestampType

from hybridflow.batch.crm import CrmGenerator, client_tiers, support_agents
from hybridflow.config import Settings, duration_ms
from hybridflow.crm_tables import CONTRACT_TIERS
from hybridflow.simulation.lifecycle import (
    DEFAULT_EVENT_MAX_LATENESS_S,
    EVENTS,
    FIRST_RESPONSE_SIGMA,
    RECORDS_PER_TICKET,
    TICKETS,
    LifecycleRecord,
    LifecycleSimulator,
    compression_factor,
    expected_outcome,
    malformed_lifecycle_event,
    median_first_response_s,
)
from hybridflow.tickets.generator import EXAMPLE_START, TicketGenerator
from hybridflow.tickets.lifecycle import (
    EVENT_FIELD_NAMES,
    EVENT_REQUIRED_FIELDS,
    TEAM_IDS,
    EventType,
    LifecycleEvent,
    event_type_values,
    example,
    json_schema,
    spark_schema,
)
from hybridflow.tickets.malformed import DEAD_LETTER_REASONS, MalformedKind
from hybridflow.tickets.model import TIMESTAMP_PATTERN, UUID_PATTERN, Ticket
from hybridflow.tickets.reference import SUPPORT_TEAMS, team_for

MAX_BYTES = 10_000
RATE = 0.03  # simulated tickets per second


def _simulator(count: int = 3000, seed: int = 42, **options: object) -> LifecycleSimulator:
    return LifecycleSimulator(TicketGenerator(seed, EXAMPLE_START, arrival_rate=RATE), count, **options)


@pytest.fixture(scope="module")
def messy() -> list[LifecycleRecord]:
    """A default run of 3,000 tickets (every mess at its default, the run cut at the last ticket)."""
    return list(_simulator(ticket_malformed_ratio=0.02).records())


@pytest.fixture(scope="module")
def complete() -> LifecycleSimulator:
    """A clean run whose every ticket lives to its end (no mess, no cut): for the durations."""
    return _simulator(event_malformed_ratio=0, late_ratio=0, duplicate_ratio=0, unknown_ticket_ratio=0, tail_s=math.inf)


def _doc(**changes: object) -> dict:
    doc = json.loads(example().to_json())
    doc.update(changes)
    return doc


def _occurred_ms(value: bytes) -> int:
    event = LifecycleEvent.from_json(value)
    return (event.occurred_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


# --- the model -------------------------------------------------------------------------------------


def test_wire_form_is_the_documented_one():
    assert example().to_bytes() == (
        b'{"event_id":"9b2e4c1d-7a3f-4e58-b6d0-2c4e6f8a0b1c","ticket_id":"3f1c9a52-8d4e-4b7a-9c2e-1a2b3c4d5e6f",'
        b'"event_type":"assigned","occurred_at":"2026-01-31T09:42:17.250Z","agent_id":16,"team_id":"T-BILL"}'
    )
    assert list(json.loads(example().to_json())) == list(EVENT_FIELD_NAMES) == list(LifecycleEvent.model_fields)


def test_spark_schema_follows_the_model():
    schema = spark_schema()
    assert [f.name for f in schema.fields] == list(EVENT_FIELD_NAMES)
    types = {f.name: (f.dataType, f.nullable) for f in schema.fields}
    assert types == {
        "event_id": (StringType(), False),
        "ticket_id": (StringType(), False),
        "event_type": (StringType(), False),
        "occurred_at": (TimestampType(), False),
        "agent_id": (IntegerType(), True),
        "team_id": (StringType(), True),
    }
    assert [f.name for f in schema.fields if not f.nullable] == list(EVENT_REQUIRED_FIELDS)


def test_json_schema_requires_the_non_nullable_fields():
    assert set(json_schema()["required"]) == set(EVENT_REQUIRED_FIELDS)
    assert event_type_values() == ["assigned", "first_response", "resolved", "reopened", "closed"]


def test_round_trip_and_utc_normalisation():
    event = LifecycleEvent.from_json(json.dumps(_doc(occurred_at="2026-01-31T10:42:17.25+01:00")))
    assert event == example()
    assert LifecycleEvent.from_json(example().to_bytes()) == example()
    reopened = LifecycleEvent.from_json(json.dumps(_doc(event_type="reopened", agent_id=None)))
    assert reopened.agent_id is None and b'"agent_id":null' in reopened.to_bytes()


def test_missing_nullable_fields_read_as_null_and_extra_fields_are_ignored():
    doc = _doc(note="forward-compatible")
    del doc["agent_id"], doc["team_id"]
    event = LifecycleEvent.from_json(json.dumps(doc))
    assert (event.agent_id, event.team_id) == (None, None)


@pytest.mark.parametrize(
    "changes",
    [
        {"agent_id": 0},
        {"agent_id": "16"},
        {"agent_id": 16.0},
        {"agent_id": True},
        {"agent_id": 2**31},
        {"team_id": 4},
        {"team_id": "T-SALES"},
        {"team_id": "t-tech"},
        {"event_type": "Assigned"},
        {"event_type": "escalated"},
        {"occurred_at": 1769852537250},
        {"occurred_at": "2026-01-31T09:42:17"},
        {"event_id": "9B2E4C1D-7A3F-4E58-B6D0-2C4E6F8A0B1C"},
        {"ticket_id": "TCK-3f1c9a52"},
    ],
)
def test_model_rejects_bad_values(changes):
    with pytest.raises(ValidationError):
        LifecycleEvent.from_json(json.dumps(_doc(**changes)))


@pytest.mark.parametrize("name", EVENT_REQUIRED_FIELDS)
def test_model_rejects_a_missing_required_field(name):
    doc = _doc()
    del doc[name]
    with pytest.raises(ValidationError):
        LifecycleEvent.from_json(json.dumps(doc))


def test_from_json_is_as_strict_as_the_tickets():
    text = example().to_json()
    with pytest.raises(ValueError, match="duplicate key"):
        LifecycleEvent.from_json(text[:-1] + ',"team_id":"T-TECH"}')
    with pytest.raises(ValueError):
        LifecycleEvent.from_json(text.replace('"agent_id":16', '"agent_id":NaN'))


# --- malformed events ------------------------------------------------------------------------------


def _bases(n: int = 80) -> list[bytes]:
    records = _simulator(200, event_malformed_ratio=0, duplicate_ratio=0, unknown_ticket_ratio=0).records()
    return [r.value for r in records if r.role == EVENTS][:n]


BASES = _bases()


def _malformed(kind: MalformedKind) -> list[tuple[bytes | None, bytes]]:
    rng = random.Random(kind.value)
    return [malformed_lifecycle_event(kind, base, rng, MAX_BYTES) for base in BASES]


def _defects(doc: dict) -> list[str]:
    """Which fields of a JSON object break which rule (the checks a stream would make)."""
    found = [f"missing:{name}" for name in EVENT_REQUIRED_FIELDS if name not in doc]
    for name in ("event_id", "ticket_id", "event_type", "occurred_at", "team_id"):
        if name in doc and not isinstance(doc[name], str) and not (name == "team_id" and doc[name] is None):
            found.append(f"type:{name}")
    agent = doc.get("agent_id")
    if agent is not None and (not isinstance(agent, int) or isinstance(agent, bool)):
        found.append("type:agent_id")
    for name in ("event_id", "ticket_id"):
        if isinstance(doc.get(name), str) and not re.match(UUID_PATTERN, doc[name]):
            found.append(f"value:{name}")
    if isinstance(doc.get("team_id"), str) and doc["team_id"] not in TEAM_IDS:
        found.append("value:team_id")
    if isinstance(agent, int) and not isinstance(agent, bool) and not 1 <= agent <= 2**31 - 1:
        found.append("value:agent_id")
    if isinstance(doc.get("event_type"), str) and doc["event_type"] not in event_type_values():
        found.append("enum:event_type")
    if isinstance(doc.get("occurred_at"), str):
        try:
            datetime.fromisoformat(doc["occurred_at"].replace("Z", "+00:00"))
            ok = bool(re.match(TIMESTAMP_PATTERN, doc["occurred_at"]))
        except ValueError:
            ok = False
        if not ok:
            found.append("timestamp")
    return found


@pytest.mark.parametrize("kind", list(MalformedKind))
def test_every_malformed_kind_is_rejected_by_the_model(kind):
    for _key, value in _malformed(kind):
        with pytest.raises(ValueError):  # pydantic's ValidationError or a JSON error
            LifecycleEvent.from_json(value)


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        (MalformedKind.MISSING_FIELD, "missing:"),
        (MalformedKind.WRONG_TYPE, "type:"),
        (MalformedKind.UNKNOWN_ENUM, "enum:event_type"),
        (MalformedKind.BAD_TIMESTAMP, "timestamp"),
        (MalformedKind.INVALID_VALUE, "value:"),
    ],
)
def test_each_object_kind_has_exactly_its_one_defect(kind, prefix):
    seen = set()
    for key, value in _malformed(kind):
        doc = json.loads(value)
        defects = _defects(doc)
        assert len(defects) == 1 and defects[0].startswith(prefix), (value[:200], defects)
        assert len(value) <= MAX_BYTES and key is not None
        seen.add(defects[0])
    assert len(seen) > 1 or kind in (MalformedKind.BAD_TIMESTAMP, MalformedKind.UNKNOWN_ENUM)


def test_json_kinds_and_oversized_payloads():
    for key, value in _malformed(MalformedKind.MALFORMED_JSON):
        with pytest.raises(ValueError):
            json.loads(value)
        assert key is None
    for key, value in _malformed(MalformedKind.NOT_AN_OBJECT):
        assert not isinstance(json.loads(value), dict) and key is None
    for key, value in _malformed(MalformedKind.OVERSIZED_PAYLOAD):
        assert len(value) > MAX_BYTES and _defects(json.loads(value)) == ["value:ticket_id"]
        assert key is not None and re.match(UUID_PATTERN, key.decode())


def test_malformed_events_are_tagged_with_the_dead_letter_reasons(messy):
    kinds = Counter(r.kind for r in messy if r.role == EVENTS and r.kind is not None)
    assert {k.value for k in kinds} == set(DEAD_LETTER_REASONS)
    assert max(kinds.values()) - min(kinds.values()) <= 1  # round robin over the kinds
    for record in messy:
        if record.kind is not None:
            with pytest.raises(ValueError):
                (Ticket if record.role == TICKETS else LifecycleEvent).from_json(record.value)


# --- the merged stream -----------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes(messy):
    assert list(_simulator(ticket_malformed_ratio=0.02).records()) == messy
    other = list(itertools.islice(_simulator(seed=43, ticket_malformed_ratio=0.02).records(), 500))
    assert other != messy[:500]


def test_the_tickets_are_exactly_what_produce_sends(messy):
    tickets = [(r.key, r.value, r.kind) for r in messy if r.role == TICKETS]
    generator = TicketGenerator(42, EXAMPLE_START, arrival_rate=RATE)
    expected = itertools.islice(generator.events(0.02, max_payload_bytes=MAX_BYTES), 3000)
    assert tickets == [(e.key, e.value, e.kind) for e in expected]


def test_records_come_in_emission_order_and_events_after_their_ticket(messy):
    assert [r.emit_at_ms for r in messy] == sorted(r.emit_at_ms for r in messy)
    emitted_ticket: dict[bytes, int] = {}
    for record in messy:
        if record.role == TICKETS and record.kind is None:
            emitted_ticket[json.loads(record.value)["ticket_id"].encode()] = record.emit_at_ms
        elif record.role == EVENTS and record.kind is None and record.key in emitted_ticket:
            assert record.emit_at_ms >= emitted_ticket[record.key]


def test_events_are_keyed_by_ticket_and_never_precede_the_ticket(messy):
    outcome = expected_outcome(messy)
    for record in messy:
        if record.role == EVENTS and record.kind is None:
            assert record.key == LifecycleEvent.from_json(record.value).ticket_id.encode()
    for ticket_id, events in outcome.events.items():
        created = outcome.tickets[ticket_id].created_at
        assert all(e.occurred_at > created for e in events)


LIVES = ("AFRC", "AFRORC")  # assigned first_response resolved [reopened resolved] closed
LETTERS = {"assigned": "A", "first_response": "F", "resolved": "R", "reopened": "O", "closed": "C"}


@pytest.mark.parametrize("run", ["messy", "complete"])
def test_per_ticket_order_is_causal(run, request):
    records = request.getfixturevalue(run)
    outcome = expected_outcome(records if run == "messy" else records.records())
    lives = Counter()
    for events in outcome.events.values():
        life = "".join(LETTERS[e.event_type] for e in events)
        assert any(full.startswith(life) for full in LIVES), life
        times = [e.occurred_at for e in events]
        assert times == sorted(times) and len(set(times)) == len(times)
        lives[life] += 1
    if run == "complete":  # no cut: every ticket lives to its end
        assert set(lives) == set(LIVES)
    else:  # cut at the last ticket: every stage of a life is seen
        assert {"", "A", "AF", "AFR", "AFRC"} <= set(lives)


def test_agents_and_teams_follow_the_crm(complete):
    outcome = expected_outcome(complete.records())
    active = support_agents()
    teams = [t.team_id for t in SUPPORT_TEAMS]
    for ticket_id, events in outcome.events.items():
        team = team_for(outcome.tickets[ticket_id].request_type).team_id
        assert {e.team_id for e in events} == {team}
        agents = {e.agent_id for e in events if e.event_type != EventType.REOPENED}
        assert len(agents) == 1 and all(teams[a % 4] == team and a in active[team] for a in agents)
        assert all(e.agent_id is None for e in events if e.event_type == EventType.REOPENED)


def test_late_events_are_late_by_at_most_the_bound(messy):
    default_watermark = Settings.model_fields["lifecycle_watermark_delay"].default
    assert duration_ms(default_watermark) > DEFAULT_EVENT_MAX_LATENESS_S * 1000
    first_copies = {}
    delays = []
    for record in messy:
        if record.role == EVENTS and record.kind is None:
            delay = record.emit_at_ms - _occurred_ms(record.value)
            assert 0 <= delay <= DEFAULT_EVENT_MAX_LATENESS_S * 1000
            first_copies.setdefault(record.value, delay)
            delays.append(delay)
    late = sum(d > 0 for d in first_copies.values()) / len(first_copies)
    assert late == pytest.approx(0.03, abs=0.008)
    # Late means out of order: delivered after events that occurred later.
    occurred = [_occurred_ms(r.value) for r in messy if r.role == EVENTS and r.kind is None]
    overtaken = sum(o < m for o, m in zip(occurred[1:], itertools.accumulate(occurred, max), strict=False))
    assert overtaken > 0.01 * len(occurred)


def test_duplicates_are_byte_identical_and_a_bit_later(messy):
    seen: dict[str, LifecycleRecord] = {}
    duplicates = 0
    for record in messy:
        if record.role == EVENTS and record.kind is None:
            event_id = json.loads(record.value)["event_id"]
            if event_id in seen:
                duplicates += 1
                first = seen[event_id]
                assert (record.key, record.value) == (first.key, first.value)
                assert record.emit_at_ms >= first.emit_at_ms
            else:
                seen[event_id] = record
    assert duplicates == expected_outcome(messy).duplicates
    assert duplicates / len(seen) == pytest.approx(0.02, abs=0.006)


def test_unknown_ticket_events_reference_no_produced_ticket(messy):
    outcome = expected_outcome(messy)
    produced = b"".join(r.value for r in messy if r.role == TICKETS)  # malformed tickets' ids included
    unknown = outcome.unknown_ticket_events
    assert unknown and all(e.ticket_id.encode() not in produced for e in unknown)
    valid_events = sum(len(v) for v in outcome.events.values()) + len(unknown)
    assert len(unknown) / valid_events == pytest.approx(0.005, abs=0.002)


def test_malformed_ratio_is_exact_on_the_events_topic(messy):
    events = [r for r in messy if r.role == EVENTS]
    assert sum(r.kind is not None for r in events) == pytest.approx(0.02 * len(events), abs=1)
    assert expected_outcome(messy).malformed[TICKETS].total() == 60  # 2 % of 3,000 ticket records


def test_the_run_ends_with_its_last_ticket_leaving_some_open(messy):
    outcome = expected_outcome(messy)
    last_ticket = max(r.emit_at_ms for r in messy if r.role == TICKETS)
    assert max(r.emit_at_ms for r in messy) <= last_ticket
    still_open = outcome.open_tickets()
    assert 0.05 * len(outcome.tickets) < len(still_open) < len(outcome.tickets)
    assert outcome.status(list(outcome.tickets)[-1]) == "open"  # nothing happened to the last ticket yet
    tail = list(_simulator(3000, ticket_malformed_ratio=0.02, tail_s=86_400).records())
    assert len(expected_outcome(tail).open_tickets()) < len(still_open)


def test_mess_leaves_the_lives_unchanged(complete):
    messy_complete = _simulator(tail_s=math.inf)
    clean, messy = expected_outcome(complete.records()), expected_outcome(messy_complete.records())
    assert clean.events == messy.events


# --- durations -------------------------------------------------------------------------------------


def _delays(simulator: LifecycleSimulator) -> list[tuple[Ticket, str, float, float, bool]]:
    """Per ticket: the ticket, its tier, first-response and first-resolution delays (s), whether it was reopened."""
    outcome = expected_outcome(simulator.records())
    rows = []
    for ticket_id, events in outcome.events.items():
        ticket = outcome.tickets[ticket_id]
        first = next(e for e in events if e.event_type == EventType.FIRST_RESPONSE)
        resolved = next(e for e in events if e.event_type == EventType.RESOLVED)
        rows.append(
            (
                ticket,
                simulator.tier_of(ticket.client_id),
                (first.occurred_at - ticket.created_at).total_seconds(),
                (resolved.occurred_at - ticket.created_at).total_seconds(),
                any(e.event_type == EventType.REOPENED for e in events),
            )
        )
    return rows


def test_sla_breach_rates_are_calibrated(complete):
    sla = {t.tier: (t.first_response_hours * 3600, t.resolution_hours * 3600) for t in CONTRACT_TIERS}
    rows = _delays(complete)
    first_breach = sum(fr > sla[tier][0] for _, tier, fr, _, _ in rows) / len(rows)
    resolution_breach = sum(res > sla[tier][1] for _, tier, _, res, _ in rows) / len(rows)
    assert 0.05 <= first_breach <= 0.15 and 0.10 <= resolution_breach <= 0.20
    assert sum(reopened for *_, reopened in rows) / len(rows) == pytest.approx(0.05, abs=0.012)


def test_first_response_is_lognormal_around_its_documented_median(complete):
    z = [
        math.log(fr / median_first_response_s(tier, t.priority, team_for(t.request_type).team_id))
        for t, tier, fr, _, _ in _delays(complete)
    ]
    assert statistics.median(z) == pytest.approx(0.0, abs=0.06)
    q1, _, q3 = statistics.quantiles(z, n=4)
    assert (q3 - q1) / 1.349 == pytest.approx(FIRST_RESPONSE_SIGMA, rel=0.1)  # sigma from the interquartile range


def test_priority_and_tier_shape_the_delays(complete):
    rows = _delays(complete)

    def median_fr(predicate) -> float:
        return statistics.median(fr for t, tier, fr, _, _ in rows if predicate(t, tier))

    assert median_fr(lambda t, _: t.priority == "critical") < median_fr(lambda t, _: t.priority == "low")
    assert median_fr(lambda _, tier: tier == "platinum") < median_fr(lambda _, tier: tier == "bronze") / 4


def test_tiers_are_the_crm_ones():
    tiers = client_tiers()
    assert tiers == {row[1]: row[5] for row in CrmGenerator(1.0, 42).clients()}
    small = client_tiers(0.2)
    assert small == {c: tiers[c] for c in small}  # a smaller CRM holds a prefix, same tiers
    sim = _simulator(10, tiers=small)
    assert sim.tier_of("C00001") == tiers["C00001"] and sim.tier_of("C00499") == "bronze"  # unknown to that CRM


def test_compression_factor_matches_a_long_run(complete):
    records = list(complete.records())
    per_ticket = len(records) / sum(r.role == TICKETS for r in records)
    assert per_ticket == pytest.approx(RECORDS_PER_TICKET, rel=0.25)
    assert compression_factor(100, 0.03) == pytest.approx(100 / (0.03 * RECORDS_PER_TICKET))


@pytest.mark.parametrize(
    "options",
    [{"duplicate_ratio": 1.5}, {"event_malformed_ratio": 1.0}, {"tail_s": -1}, {"agents": {"T-TECH": [1]}}],
)
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError):
        _simulator(10, **options)
