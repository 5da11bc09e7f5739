"""Malformed ticket events on purpose, tagged with the dead-letter reason they must get.

Each `MalformedKind` value is the reason code the streaming job writes to the dead-letter
topic; every malformed event carries exactly **one** defect of its kind (built from a valid
ticket with a fresh ticket_id), so the expected reason is unambiguous:

==================  =====================================================================
kind                what the value looks like
==================  =====================================================================
malformed_json      not parseable as JSON: truncated object, trailing comma, plain text
not_an_object       valid JSON but not an object: an array of the ticket, a string, a number
missing_field       one of the six fields removed
wrong_type          a JSON number/object/array/bool where a string is expected
unknown_enum        request_type or priority outside its enum (also wrong case: "Billing")
bad_timestamp       created_at a string but not ISO-8601 with an offset, or an impossible date
invalid_value       client_id / ticket_id not matching its pattern, request empty, blank or too long
oversized_payload   more than ``max_payload_bytes`` (a pasted log in ``request``); the size
                    check must come first: such a request is necessarily too long as well
==================  =====================================================================

Extra unknown fields are *not* a malformed kind (the stream ignores them). Everything is
seeded (`random.Random`), so the same seed gives the same bytes.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hybridflow.tickets.model import FIELD_NAMES, REQUEST_MAX_CHARS, Ticket, new_ticket_id


class MalformedKind(StrEnum):
    """Why an event is rejected: the reason code of the dead-letter topic."""

    MALFORMED_JSON = "malformed_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_ENUM = "unknown_enum"
    BAD_TIMESTAMP = "bad_timestamp"
    INVALID_VALUE = "invalid_value"
    OVERSIZED_PAYLOAD = "oversized_payload"


# The dead-letter topic's contract, derived from the kinds above: the reason codes a dead letter can
# carry, and the Kafka headers it carries them in (in the Kafka Connect DLQ spirit).
DEAD_LETTER_REASONS: tuple[str, ...] = tuple(kind.value for kind in MalformedKind)
DLQ_HEADERS: tuple[str, ...] = (
    "dlq.reason",
    "dlq.detail",
    "dlq.source.topic",
    "dlq.source.partition",
    "dlq.source.offset",
)
DLQ_REASON, DLQ_DETAIL, DLQ_SOURCE_TOPIC, DLQ_SOURCE_PARTITION, DLQ_SOURCE_OFFSET = DLQ_HEADERS


@dataclass(frozen=True, slots=True)
class Event:
    """One Kafka record to produce: `kind` is None for a valid ticket."""

    key: bytes | None
    value: bytes
    kind: MalformedKind | None = None

    @property
    def is_valid(self) -> bool:
        """True for a well-formed ticket."""
        return self.kind is None


def valid_event(ticket: Ticket) -> Event:
    """The record of a valid ticket: key = client_id, value = its JSON."""
    return Event(key=ticket.client_id.encode("utf-8"), value=ticket.to_bytes(), kind=None)


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as a sender would write it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def broken_json(rng: random.Random, doc: dict[str, Any], prose: str) -> bytes:
    """`doc` as JSON that does not parse: truncated, with a trailing comma, or said in `prose` (each a third)."""
    text = dumps(doc).decode("utf-8")
    variant = rng.randrange(3)
    if variant == 0:  # truncated mid-way: the closing brace is always lost
        return text[: rng.randrange(1, len(text) - 1)].encode("utf-8")
    if variant == 1:
        return (text[:-1] + ",}").encode("utf-8")
    return prose.encode()


def not_an_object(rng: random.Random, doc: dict[str, Any], text: object) -> Any:
    """Valid JSON that is not an object: `doc` in a list, one of its `text` values, a number, null."""
    return rng.choice(([doc], text, 42, None))


def without_field(rng: random.Random, doc: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """`doc` without one of `fields` (required ones: a missing nullable field would read as null)."""
    del doc[rng.choice(fields)]
    return doc


def _malformed_json(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    return broken_json(rng, doc, f"ticket {doc['client_id']}: {doc['request']}")


def _not_an_object(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    return not_an_object(rng, doc, doc["request"])


def _missing_field(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    return without_field(rng, doc, FIELD_NAMES)


def _wrong_type(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    field, value = rng.choice(
        (
            ("ticket_id", rng.randrange(1, 10**9)),
            ("client_id", int(doc["client_id"][1:])),
            ("request", {"texte": doc["request"]}),
            ("request", [doc["request"]]),
            ("request_type", [doc["request_type"]]),
            ("priority", rng.randrange(1, 5)),
            ("priority", True),
        )
    )
    doc[field] = value
    return doc


def _unknown_enum(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    if rng.random() < 0.5:
        doc["request_type"] = rng.choice(("sales", "hardware", "facturation", "Billing", "TECHNICAL", ""))
    else:
        doc["priority"] = rng.choice(("urgent", "blocker", "p1", "CRITICAL", "Medium", "normal"))
    return doc


def bad_timestamp(rng: random.Random, iso: str) -> str:
    """A string in place of the wire timestamp `iso` (e.g. 2026-01-31T09:15:00.123Z) that is not a valid one."""
    day, time = iso[:10], iso[11:19]
    return rng.choice(
        (
            f"{day[8:10]}/{day[5:7]}/{day[:4]} {time}",  # French local format
            f"{day} {time}",  # no T, no offset
            f"{day}T{time}",  # no offset
            f"{day[:4]}-02-30T{time}Z",  # impossible date
            f"{day}T25:61:00Z",  # impossible time
            "hier matin",
            "",
        )
    )


def _bad_timestamp(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    doc["created_at"] = bad_timestamp(rng, doc["created_at"])
    return doc


def _invalid_value(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    field, value = rng.choice(
        (
            ("client_id", doc["client_id"].lower()),  # c00042
            ("client_id", "C" + doc["client_id"][2:]),  # C0042: four digits
            ("client_id", "CL-" + doc["client_id"][1:]),
            ("ticket_id", doc["ticket_id"].upper()),  # the wire form is lower case
            ("ticket_id", "TCK-" + doc["ticket_id"][:8]),
            ("request", ""),
            ("request", "   "),
            # Too long but well under max_payload_bytes, so not 'oversized_payload'.
            ("request", "a" * (REQUEST_MAX_CHARS + 1)),
        )
    )
    doc[field] = value
    return doc


LOG_LINE = "2026-01-31 09:15:00,123 ERROR [edgebox.sync] E3150 upload failed: connection reset by peer\n"


def _oversized(rng: random.Random, doc: dict[str, Any], max_payload_bytes: int) -> Any:
    repeats = max_payload_bytes // len(LOG_LINE) + rng.randint(1, 20)
    doc["request"] = "Voici le journal complet de la passerelle :\n" + LOG_LINE * repeats
    return doc


_MUTATORS: dict[MalformedKind, Callable[[random.Random, dict[str, Any], int], Any]] = {
    MalformedKind.MALFORMED_JSON: _malformed_json,
    MalformedKind.NOT_AN_OBJECT: _not_an_object,
    MalformedKind.MISSING_FIELD: _missing_field,
    MalformedKind.WRONG_TYPE: _wrong_type,
    MalformedKind.UNKNOWN_ENUM: _unknown_enum,
    MalformedKind.BAD_TIMESTAMP: _bad_timestamp,
    MalformedKind.INVALID_VALUE: _invalid_value,
    MalformedKind.OVERSIZED_PAYLOAD: _oversized,
}


def malformed_event(kind: MalformedKind, base: Ticket, rng: random.Random, max_payload_bytes: int) -> Event:
    """One malformed event of `kind`, made from `base` (with a fresh ticket_id) and `rng`.

    The key is the client_id when the value still holds a string one (as a real client
    would send it), else None.
    """
    doc = json.loads(base.to_json())
    doc["ticket_id"] = new_ticket_id(rng)
    out = _MUTATORS[MalformedKind(kind)](rng, doc, max_payload_bytes)
    value = out if isinstance(out, bytes) else dumps(out)
    key = None
    if kind is not MalformedKind.MALFORMED_JSON and isinstance(out, dict) and isinstance(out.get("client_id"), str):
        key = out["client_id"].encode("utf-8")
    return Event(key=key, value=value, kind=MalformedKind(kind))


class MalformedInjector:
    """Seeded source of malformed events; kinds come round-robin in a per-round shuffled order.

    So any 8 consecutive malformed events hold each kind exactly once per round: a small
    sample (M = 8, 16 …) still covers every kind evenly.
    """

    def __init__(self, seed: int | str, max_payload_bytes: int, kinds: Iterable[MalformedKind] | None = None) -> None:
        self.rng = random.Random(f"malformed:{seed}")
        self.max_payload_bytes = max_payload_bytes
        self.kinds = tuple(MalformedKind(k) for k in (kinds if kinds is not None else MalformedKind))
        if not self.kinds:
            raise ValueError("kinds must not be empty")
        self._round: list[MalformedKind] = []

    def next_kind(self) -> MalformedKind:
        """The kind of the next malformed event."""
        if not self._round:
            self._round = list(self.kinds)
            self.rng.shuffle(self._round)
        return self._round.pop()

    def make(self, base: Ticket) -> Event:
        """The next malformed event, made from `base`."""
        return malformed_event(self.next_kind(), base, self.rng, self.max_payload_bytes)


def malformed_positions(seed: int | str, malformed_ratio: float) -> Iterator[int]:
    """The stream positions of the malformed events: one at a random place in each slot of ``1 / ratio`` events."""
    placement = random.Random(f"placement:{seed}")
    slot = 1.0 / malformed_ratio
    previous = -1
    for slot_index in itertools.count():
        # max(): slots shorter than 2 events could collide otherwise
        previous = max(int((slot_index + placement.random()) * slot), previous + 1)
        yield previous


def mix(
    tickets: Iterable[Ticket],
    malformed_ratio: float,
    *,
    seed: int,
    max_payload_bytes: int,
    kinds: Iterable[MalformedKind] | None = None,
) -> Iterator[Event]:
    """Valid ticket events with malformed ones interleaved: `malformed_ratio` of all events.

    Deterministic for a seed. The valid tickets are exactly `tickets`, in order, whatever the
    ratio (malformed events are inserted, made from the next valid ticket). Placement is
    stratified: the stream is cut into slots of ``1 / malformed_ratio`` events and each slot
    holds one malformed event at a random position, so after any n events the malformed
    count is ``n * malformed_ratio`` give or take one (50 events at 0.1: 5), yet their
    positions are not periodic. Ends when `tickets` ends (never, at ratio 1).
    """
    if not 0.0 <= malformed_ratio <= 1.0:
        raise ValueError(f"malformed_ratio must be between 0 and 1, got {malformed_ratio}")
    it = iter(tickets)
    if malformed_ratio == 0.0:
        yield from map(valid_event, it)
        return
    injector = MalformedInjector(seed, max_payload_bytes, kinds)
    positions = malformed_positions(seed, malformed_ratio)
    bad_at, position = next(positions), 0
    pending = next(it, None)
    while pending is not None:
        if position == bad_at:
            yield injector.make(pending)
            bad_at = next(positions)
        else:
            yield valid_event(pending)
            pending = next(it, None)
        position += 1
