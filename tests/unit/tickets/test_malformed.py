"""Malformed events: each kind has exactly its one defect and is rejected by the model."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter
from datetime import datetime

import pytest
from pydantic import ValidationError

from hybridflow.tickets.generator import EXAMPLE_START, TicketGenerator
from hybridflow.tickets.malformed import (
    DEAD_LETTER_REASONS,
    Event,
    MalformedInjector,
    MalformedKind,
    malformed_event,
    mix,
    valid_event,
)
from hybridflow.tickets.model import (
    CLIENT_ID_PATTERN,
    FIELD_NAMES,
    REQUEST_MAX_CHARS,
    TIMESTAMP_PATTERN,
    UUID_PATTERN,
    Ticket,
    enum_values,
)

MAX_BYTES = 10_000
BASES = TicketGenerator(11, EXAMPLE_START).take(60)


def _events(kind: MalformedKind) -> list[Event]:
    rng = random.Random(kind.value)
    return [malformed_event(kind, base, rng, MAX_BYTES) for base in BASES]


def _object(event: Event) -> dict:
    doc = json.loads(event.value)
    assert isinstance(doc, dict)
    return doc


def _defects(doc: dict) -> list[str]:
    """Which fields of a JSON object break which rule (the checks the stream does, in Python)."""
    found = []
    for name in FIELD_NAMES:
        if name not in doc:
            found.append(f"missing:{name}")
        elif not isinstance(doc[name], str):
            found.append(f"type:{name}")
    text = {k: v for k, v in doc.items() if isinstance(v, str)}
    if "ticket_id" in text and not re.match(UUID_PATTERN, text["ticket_id"]):
        found.append("value:ticket_id")
    if "client_id" in text and not re.match(CLIENT_ID_PATTERN, text["client_id"]):
        found.append("value:client_id")
    if "request" in text and (not text["request"].strip() or len(text["request"]) > REQUEST_MAX_CHARS):
        found.append("value:request")
    if "created_at" in text:
        try:
            datetime.fromisoformat(text["created_at"].replace("Z", "+00:00"))
            ok = bool(re.match(TIMESTAMP_PATTERN, text["created_at"]))
        except ValueError:
            ok = False
        if not ok:
            found.append("timestamp")
    for name in ("request_type", "priority"):
        if name in text and text[name] not in enum_values(name):
            found.append(f"enum:{name}")
    return found


@pytest.mark.parametrize("kind", list(MalformedKind))
def test_every_malformed_kind_is_rejected_by_the_model(kind):
    for event in _events(kind):
        assert event.kind is kind
        with pytest.raises(ValidationError):
            Ticket.from_json(event.value)


def test_kinds_are_the_stream_reason_codes():
    from hybridflow.streaming import transforms

    assert set(transforms.REASONS) == set(DEAD_LETTER_REASONS) == {k.value for k in MalformedKind}


def test_malformed_json_does_not_parse():
    for event in _events(MalformedKind.MALFORMED_JSON):
        with pytest.raises(ValueError):
            json.loads(event.value)
        assert event.key is None


def test_not_an_object_is_json_but_not_an_object():
    for event in _events(MalformedKind.NOT_AN_OBJECT):
        assert not isinstance(json.loads(event.value), dict)


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        (MalformedKind.MISSING_FIELD, "missing:"),
        (MalformedKind.WRONG_TYPE, "type:"),
        (MalformedKind.UNKNOWN_ENUM, "enum:"),
        (MalformedKind.BAD_TIMESTAMP, "timestamp"),
        (MalformedKind.INVALID_VALUE, "value:"),
    ],
)
def test_each_object_kind_has_exactly_its_one_defect(kind, prefix):
    seen = set()
    for event in _events(kind):
        defects = _defects(_object(event))
        assert len(defects) == 1 and defects[0].startswith(prefix), (event.value[:200], defects)
        assert len(event.value) <= MAX_BYTES
        seen.add(defects[0])
    assert len(seen) > 1 or kind is MalformedKind.BAD_TIMESTAMP  # several variants are exercised


def test_oversized_payload_is_only_too_big():
    for event in _events(MalformedKind.OVERSIZED_PAYLOAD):
        assert len(event.value) > MAX_BYTES
        # Its request is necessarily too long as well; nothing else is wrong.
        assert _defects(_object(event)) == ["value:request"]
        assert event.key is not None


def test_malformed_events_have_fresh_ticket_ids():
    ids = [_object(e).get("ticket_id") for e in _events(MalformedKind.UNKNOWN_ENUM)]
    assert not set(ids) & {t.ticket_id for t in BASES}


def test_valid_events_are_accepted_and_keyed_by_client():
    for ticket in BASES:
        event = valid_event(ticket)
        assert event.is_valid and event.key == ticket.client_id.encode()
        assert Ticket.from_json(event.value) == ticket


def _mixed(ratio: float, n: int, seed: int = 3) -> list[Event]:
    tickets = TicketGenerator(seed, EXAMPLE_START).tickets()
    return list(itertools.islice(mix(tickets, ratio, seed=seed, max_payload_bytes=MAX_BYTES), n))


@pytest.mark.parametrize(("ratio", "expected"), [(0.1, 1000), (0.05, 500), (0.01, 100), (0.5, 5000)])
def test_ratio_is_honoured_exactly_over_whole_slots(ratio, expected):
    events = _mixed(ratio, 10_000)
    assert sum(not e.is_valid for e in events) == expected


def test_fractional_ratio_is_honoured_within_rounding():
    events = _mixed(0.123, 10_000)
    assert abs(sum(not e.is_valid for e in events) - 1230) <= 1


def test_mixed_stream_is_valid_or_rejected_as_tagged():
    for event in _mixed(0.2, 2000):
        if event.is_valid:
            assert Ticket.from_json(event.value).client_id.encode() == event.key
        else:
            with pytest.raises(ValidationError):
                Ticket.from_json(event.value)


def test_kinds_are_spread_evenly():
    counts = Counter(e.kind for e in _mixed(0.1, 8000) if not e.is_valid)
    assert set(counts) == set(MalformedKind)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_eight_malformed_events_cover_every_kind():
    injector = MalformedInjector(1, MAX_BYTES)
    assert {injector.make(BASES[0]).kind for _ in range(8)} == set(MalformedKind)


def test_valid_tickets_do_not_depend_on_the_ratio():
    expected = [t.to_bytes() for t in TicketGenerator(3, EXAMPLE_START).take(1500)]
    valid = [e.value for e in _mixed(0.3, 2000) if e.is_valid]
    assert valid == expected[: len(valid)]


def test_mix_is_deterministic():
    assert _mixed(0.2, 500, seed=9) == _mixed(0.2, 500, seed=9)
    assert _mixed(0.2, 500, seed=9) != _mixed(0.2, 500, seed=10)


def test_zero_ratio_is_all_valid_and_finite_input_ends():
    events = list(mix(TicketGenerator(3, EXAMPLE_START).take(250), 0.0, seed=1, max_payload_bytes=MAX_BYTES))
    assert len(events) == 250 and all(e.is_valid for e in events)
    events = list(mix(TicketGenerator(3, EXAMPLE_START).take(250), 0.2, seed=1, max_payload_bytes=MAX_BYTES))
    assert sum(e.is_valid for e in events) == 250


@pytest.mark.parametrize("ratio", [-0.1, 1.1])
def test_ratio_out_of_range_is_refused(ratio):
    with pytest.raises(ValueError):
        list(mix(iter(BASES), ratio, seed=1, max_payload_bytes=MAX_BYTES))


@pytest.mark.parametrize("ratio", [0.1, 0.03, 0.123, 0.5, 0.7, 0.95])
def test_every_prefix_holds_the_ratio_within_one(ratio):
    events = _mixed(ratio, 3000)
    bad = list(itertools.accumulate(not e.is_valid for e in events))
    assert all(abs(bad[n - 1] - n * ratio) <= 1.0 + 1e-9 for n in range(1, len(events) + 1))


def test_positions_are_not_periodic():
    gaps = Counter()
    positions = [i for i, e in enumerate(_mixed(0.1, 5000)) if not e.is_valid]
    gaps.update(b - a for a, b in itertools.pairwise(positions))
    assert len(gaps) > 5
