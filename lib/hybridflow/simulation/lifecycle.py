"""A seeded, deterministic simulation of what happens to tickets after they are opened, and its records sent.

`LifecycleSimulator` takes the tickets of a `TicketGenerator` and gives one merged stream of
`LifecycleRecord` s, in emission order: the tickets exactly as ``hybridflow produce`` sends
them (role ``"tickets"``, key = client_id, the same bytes, in the same order) and, interleaved,
each ticket's lifecycle events (role ``"events"``, key = ticket_id, `LifecycleEvent` wire bytes),
plus the mess a real upstream makes. Same generator, same options: the same records, byte for byte.

**Time.** Everything runs on simulated (event) time. The tickets come from the generator's
Poisson clock (``arrival_rate`` tickets per simulated second from ``start``); a ticket is emitted
when its clock reaches it (its ``created_at``, or a little after for the tickets it stamps late).
Each ticket's events are scheduled from its ``created_at``; an event is emitted at its
``occurred_at`` unless it is delivered late (below). A run of ``count`` tickets ends with its
last ticket (+ ``tail_s``): events due later are not emitted, so those tickets stay open.

**Time compression.** A producer sending ``rate`` records per wall second walks simulated time
at about ``rate / (arrival_rate * records_per_ticket)`` simulated seconds per wall second
(`compression_factor`); with the defaults a ticket brings ~5 records (itself, its events,
the mess). For lifecycle runs use a low arrival rate (default `DEFAULT_LIFECYCLE_ARRIVAL_RATE`,
0.03 ticket per simulated second, ~2,600 tickets a day): ``--rate 100`` then compresses time
~700x, so a 10-minute run covers about 5 days of support activity.

**Life of a ticket** (durations lognormal, drawn from ``random.Random(f"lifecycle:{seed}")``):

* *first response* after ``F ~ lognormal(median = FIRST_RESPONSE_SHARE * tier first-response SLA
  * priority factor * team factor, sigma = FIRST_RESPONSE_SIGMA)``, at least 2 minutes;
* *assigned* before it, at ``max(1 minute, F * U(0.1, 0.6))`` after creation, to an agent of the
  ticket's support team (`team_for` its request type) drawn uniformly among the CRM's active
  agents of that team (agent n is in team ``SUPPORT_TEAMS[n % 4]``: `support_agents`);
* *resolved* after ``D ~ lognormal(median = RESOLUTION_SHARE * tier resolution SLA * priority
  factor * team factor, sigma = RESOLUTION_SIGMA)`` from creation, at least 5 minutes after the
  first response;
* *closed* ``C ~ lognormal(median 8 h, sigma 0.6)`` after the resolution (at least 1 minute),
  except for a ``reopen_ratio`` (default 5 %) of tickets: *reopened* at ``U(0.1, 0.9) * C`` after
  the resolution (no agent: back to the team's queue), *resolved* again after
  ``lognormal(median = REOPEN_RESOLUTION_SHARE * the resolution median, sigma = RESOLUTION_SIGMA)``
  (at least 5 minutes), then *closed* after a fresh ``C``.

The contract tier is the client's tier in the CRM (`client_tiers` of the CRM seeded at
``crm_scale``/``crm_seed``, the lake's own), bronze for a client it does not know; its SLA hours
are `CONTRACT_TIERS` (platinum 1 h / 8 h, gold 2 / 24, silver 4 / 48, bronze 8 / 120 for first
response / resolution). The factors (`PRIORITY_FACTOR`, `TEAM_FACTOR`)::

    priority  critical 0.35  high 0.6  medium 1.0  low 1.4
    team      T-TECH   1.2   T-BILL 1.0  T-ACCT 0.9  T-DESK 0.75

With these, on the default ticket mix, ~10 % of tickets miss their first-response SLA and ~15 %
their resolution SLA (first resolution), whatever the tier (the medians scale with its SLA).

**Mess on purpose** (each a parameter; drawn from ``random.Random(f"lifecycle-mess:{seed}")``):

* *late*: ``late_ratio`` (default 3 %) of the events are delivered ``U(1 s, max_lateness_s)``
  after they occurred (default up to 600 s, below the 15-minute ``lifecycle_watermark_delay``),
  so after events that occurred later. No record is emitted more than ``max_lateness_s`` after
  its ``occurred_at``, and an event never leaves before its ticket.
* *duplicates*: ``duplicate_ratio`` (default 2 %) of the events are sent again, the same bytes,
  ``U(1 s, 300 s)`` after the first copy (capped at ``max_lateness_s`` after ``occurred_at``):
  an at-least-once upstream.
* *unknown tickets*: for ``unknown_ticket_ratio`` (default 0.5 %) of the events, an extra valid
  event about a ticket that was never produced (a fresh random ticket_id).
* *malformed*: ``event_malformed_ratio`` (default 2 %) of the event records are malformed, placed
  and cycled through the kinds as `hybridflow.tickets.malformed` does for tickets (one defect
  each, tagged with its dead-letter reason, `DEAD_LETTER_REASONS`); see `malformed_lifecycle_event`.
  The tickets' own malformed ratio is ``ticket_malformed_ratio``, passed to `TicketGenerator.events`.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

from hybridflow.batch.crm import client_tiers, support_agents
from hybridflow.config import Settings, duration_ms
from hybridflow.crm_tables import CONTRACT_TIERS, DEFAULT_TIER
from hybridflow.tickets import prerender
from hybridflow.tickets.generator import DEFAULT_MAX_PAYLOAD_BYTES, TicketGenerator
from hybridflow.tickets.lifecycle import EVENT_REQUIRED_FIELDS, EventType, LifecycleEvent
from hybridflow.tickets.malformed import (
    LOG_LINE,
    MalformedInjector,
    MalformedKind,
    bad_timestamp,
    broken_json,
    dumps,
    malformed_positions,
    not_an_object,
    without_field,
)
from hybridflow.tickets.model import Priority, Ticket, new_ticket_id
from hybridflow.tickets.producer import ProduceSummary, produce
from hybridflow.tickets.reference import team_for

log = logging.getLogger(__name__)

TopicRole = Literal["tickets", "events"]
TICKETS: TopicRole = "tickets"
EVENTS: TopicRole = "events"

DEFAULT_LIFECYCLE_ARRIVAL_RATE = 0.03  # tickets per simulated second: ~108 an hour
DEFAULT_REOPEN_RATIO = 0.05
DEFAULT_EVENT_LATE_RATIO = 0.03
DEFAULT_EVENT_MAX_LATENESS_S = 600.0  # strictly below the default lifecycle_watermark_delay (15 minutes)
DEFAULT_DUPLICATE_RATIO = 0.02
DEFAULT_DUPLICATE_MAX_DELAY_S = 300.0
DEFAULT_UNKNOWN_TICKET_RATIO = 0.005
DEFAULT_EVENT_MALFORMED_RATIO = 0.02
DEFAULT_CRM_SCALE = 1.0  # `hybridflow seed-crm` / `batch` defaults: 2,000 clients, 80 agents
DEFAULT_CRM_SEED = 42
RECORDS_PER_TICKET = 5.0  # a closed ticket: itself and 4 events, give or take the mess

FIRST_RESPONSE_SHARE = 0.30
FIRST_RESPONSE_SIGMA = 0.9
RESOLUTION_SHARE = 0.42
RESOLUTION_SIGMA = 0.8
REOPEN_RESOLUTION_SHARE = 0.25
CLOSE_MEDIAN_S = 8 * 3600.0
CLOSE_SIGMA = 0.6
ASSIGN_SHARE = (0.1, 0.6)
MIN_ASSIGN_S = 60.0
MIN_FIRST_RESPONSE_S = 120.0
MIN_WORK_S = 300.0
MIN_CLOSE_S = 60.0

PRIORITY_FACTOR: Mapping[Priority, float] = {
    Priority.CRITICAL: 0.35,
    Priority.HIGH: 0.6,
    Priority.MEDIUM: 1.0,
    Priority.LOW: 1.4,
}
TEAM_FACTOR: Mapping[str, float] = {"T-TECH": 1.2, "T-BILL": 1.0, "T-ACCT": 0.9, "T-DESK": 0.75}
TIER_SLA_S: Mapping[str, tuple[float, float]] = {
    t.tier: (t.first_response_hours * 3600.0, t.resolution_hours * 3600.0) for t in CONTRACT_TIERS
}

_UNKNOWN_TICKET_TYPES = (EventType.ASSIGNED, EventType.FIRST_RESPONSE, EventType.RESOLVED, EventType.CLOSED)


def compression_factor(rate: float, arrival_rate: float, records_per_ticket: float = RECORDS_PER_TICKET) -> float:
    """Simulated seconds per wall second when `rate` records/s are sent of a run at `arrival_rate` tickets/s."""
    return rate / (arrival_rate * records_per_ticket)


def median_first_response_s(tier: str, priority: Priority | str, team_id: str) -> float:
    """The median of a ticket's first-response delay, in seconds (see the module docstring)."""
    sla_s = TIER_SLA_S.get(tier, TIER_SLA_S[DEFAULT_TIER])[0]
    return FIRST_RESPONSE_SHARE * sla_s * PRIORITY_FACTOR[Priority(priority)] * TEAM_FACTOR[team_id]


def median_resolution_s(tier: str, priority: Priority | str, team_id: str) -> float:
    """The median of a ticket's (first) resolution delay from creation, in seconds."""
    sla_s = TIER_SLA_S.get(tier, TIER_SLA_S[DEFAULT_TIER])[1]
    return RESOLUTION_SHARE * sla_s * PRIORITY_FACTOR[Priority(priority)] * TEAM_FACTOR[team_id]


class LifecycleRecord(NamedTuple):
    """One record of the merged stream: ``(role, key, value, emit_at_ms, kind)``.

    `role` names the topic ("tickets" or "events"), `emit_at_ms` is the simulated emission
    time (Unix ms), `kind` the dead-letter reason of a malformed record (None when valid).
    """

    role: TopicRole
    key: bytes | None
    value: bytes
    emit_at_ms: int
    kind: MalformedKind | None = None

    @property
    def emit_at(self) -> datetime:
        """The simulated emission time, as an aware UTC datetime."""
        return prerender.EPOCH + timedelta(milliseconds=self.emit_at_ms)

    @property
    def is_valid(self) -> bool:
        """True for a well-formed ticket or event."""
        return self.kind is None


# --- malformed events ------------------------------------------------------------------------------


def _malformed_json(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    return broken_json(rng, doc, f"ticket {doc['ticket_id']} {doc['event_type']} by agent {doc['agent_id']}")


def _not_an_object(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    return not_an_object(rng, doc, doc["event_type"])


def _missing_field(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    return without_field(rng, doc, EVENT_REQUIRED_FIELDS)  # a missing nullable field would read as null: not a defect


def _wrong_type(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    choices: list[tuple[str, Any]] = [
        ("event_id", rng.randrange(1, 10**9)),
        ("ticket_id", rng.randrange(1, 10**9)),
        ("event_type", [doc["event_type"]]),
        ("agent_id", str(doc["agent_id"] or 7)),  # "7": a string, not a number
        ("agent_id", True),
        ("team_id", 4),
        ("team_id", {"id": doc["team_id"]}),
    ]
    name, value = rng.choice(choices)
    doc[name] = value
    return doc


def _unknown_enum(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    doc["event_type"] = rng.choice(("escalated", "in_progress", "first-response", "Assigned", "RESOLVED", ""))
    return doc


def _bad_timestamp(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    doc["occurred_at"] = bad_timestamp(rng, doc["occurred_at"])
    return doc


def _invalid_value(rng: random.Random, doc: dict[str, Any], _: int) -> Any:
    name, value = rng.choice(
        (
            ("event_id", doc["event_id"].upper()),  # the wire form is lower case
            ("event_id", "EVT-" + doc["event_id"][:8]),
            ("ticket_id", doc["ticket_id"].upper()),
            ("ticket_id", "TCK-" + doc["ticket_id"][:8]),
            ("ticket_id", doc["ticket_id"].replace("-", "")),
        )
    )
    doc[name] = value
    return doc


def _oversized(rng: random.Random, doc: dict[str, Any], max_payload_bytes: int) -> Any:
    # An upstream bug pastes a log where the ticket reference goes; the size check comes first.
    repeats = max_payload_bytes // len(LOG_LINE) + rng.randint(1, 20)
    doc["ticket_id"] = "Journal de synchronisation CRM :\n" + LOG_LINE * repeats
    return doc


_MUTATORS = {
    MalformedKind.MALFORMED_JSON: _malformed_json,
    MalformedKind.NOT_AN_OBJECT: _not_an_object,
    MalformedKind.MISSING_FIELD: _missing_field,
    MalformedKind.WRONG_TYPE: _wrong_type,
    MalformedKind.UNKNOWN_ENUM: _unknown_enum,
    MalformedKind.BAD_TIMESTAMP: _bad_timestamp,
    MalformedKind.INVALID_VALUE: _invalid_value,
    MalformedKind.OVERSIZED_PAYLOAD: _oversized,
}


def malformed_lifecycle_event(
    kind: MalformedKind, base: bytes, rng: random.Random, max_payload_bytes: int
) -> tuple[bytes | None, bytes]:
    """``(key, value)`` of one malformed event of `kind`, made from the valid event bytes `base` (fresh event_id).

    Each has exactly one defect: ``malformed_json`` (truncated, trailing comma, plain text),
    ``not_an_object`` (an array, a string, a number, null), ``missing_field`` (one of
    event_id / ticket_id / event_type / occurred_at), ``wrong_type`` (a number for event_id,
    ticket_id or team_id, an array for event_type, an object for team_id, a string or a
    boolean for agent_id), ``unknown_enum`` (event_type), ``bad_timestamp`` (occurred_at),
    ``invalid_value`` (event_id / ticket_id not a lower-case canonical UUID),
    ``oversized_payload`` (more than `max_payload_bytes`: a log pasted in ticket_id). The key
    is the base event's ticket_id (the upstream keys by the ticket), None when the value is not
    a JSON object.
    """
    doc = json.loads(base)
    key = doc["ticket_id"].encode("ascii")
    doc["event_id"] = new_ticket_id(rng)
    out = _MUTATORS[MalformedKind(kind)](rng, doc, max_payload_bytes)
    value = out if isinstance(out, bytes) else dumps(out)
    return (key if isinstance(out, dict) else None), value


# --- the simulation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    """One valid event of a ticket's life: its time and the bytes to send."""

    occurred_ms: int
    value: bytes


class LifecycleSimulator:
    """Tickets and their lifecycle events, merged and messed up as documented in the module docstring.

    Args:
        generator: the tickets (their seed also seeds the lifecycle, the mess and the malformed events).
        count: ticket records to produce (valid and malformed, as ``produce --count`` counts them);
            None: an endless stream (no run end, so no cut).
        ticket_malformed_ratio: passed to `TicketGenerator.events`.
        event_malformed_ratio: share of the event records that are malformed.
        tail_s: simulated seconds after the last ticket during which events are still emitted
            (``math.inf``: every scheduled event, so every ticket is closed).
        tiers: ``{client_id: contract tier}`` (default: the CRM's, `client_tiers(crm_scale, crm_seed)`).
        agents: ``{support team_id: [agent_id, …]}`` (default: the CRM's, `support_agents(crm_scale, crm_seed)`).
    """

    def __init__(
        self,
        generator: TicketGenerator,
        count: int | None,
        *,
        ticket_malformed_ratio: float = 0.0,
        event_malformed_ratio: float = DEFAULT_EVENT_MALFORMED_RATIO,
        reopen_ratio: float = DEFAULT_REOPEN_RATIO,
        late_ratio: float = DEFAULT_EVENT_LATE_RATIO,
        max_lateness_s: float = DEFAULT_EVENT_MAX_LATENESS_S,
        duplicate_ratio: float = DEFAULT_DUPLICATE_RATIO,
        unknown_ticket_ratio: float = DEFAULT_UNKNOWN_TICKET_RATIO,
        tail_s: float = 0.0,
        tiers: Mapping[str, str] | None = None,
        agents: Mapping[str, Sequence[int]] | None = None,
        crm_scale: float = DEFAULT_CRM_SCALE,
        crm_seed: int = DEFAULT_CRM_SEED,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    ) -> None:
        ratios = {
            "ticket_malformed_ratio": ticket_malformed_ratio,
            "event_malformed_ratio": event_malformed_ratio,
            "reopen_ratio": reopen_ratio,
            "late_ratio": late_ratio,
            "duplicate_ratio": duplicate_ratio,
            "unknown_ticket_ratio": unknown_ticket_ratio,
        }
        for name, ratio in ratios.items():
            if not 0.0 <= ratio <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {ratio}")
        if event_malformed_ratio == 1.0:
            raise ValueError("event_malformed_ratio must be below 1: malformed events are made from valid ones")
        if count is not None and count < 0:
            raise ValueError(f"count must be >= 0 tickets, got {count}")
        if late_ratio > 0 and max_lateness_s < 1:
            raise ValueError(f"max_lateness_s must be >= 1 second, got {max_lateness_s}")
        if tail_s < 0:
            raise ValueError(f"tail_s must be >= 0 simulated seconds, got {tail_s}")
        self.generator = generator
        self.seed = generator.seed
        self.count = count
        self.ticket_malformed_ratio = ticket_malformed_ratio
        self.event_malformed_ratio = event_malformed_ratio
        self.reopen_ratio = reopen_ratio
        self.late_ratio = late_ratio
        self.max_lateness_s = max_lateness_s
        self.duplicate_ratio = duplicate_ratio
        self.unknown_ticket_ratio = unknown_ticket_ratio
        self.tail_s = tail_s
        self.max_payload_bytes = max_payload_bytes
        self.tiers: Mapping[str, str] = tiers if tiers is not None else client_tiers(crm_scale, crm_seed)
        self.agents: Mapping[str, Sequence[int]] = agents if agents is not None else support_agents(crm_scale, crm_seed)
        empty = [team for team in TEAM_FACTOR if not self.agents.get(team)]
        if empty:
            raise ValueError(f"no agent for support team(s) {', '.join(empty)}: give every team at least one agent")

    def __repr__(self) -> str:
        return (
            f"LifecycleSimulator({self.generator!r}, count={self.count}, reopen_ratio={self.reopen_ratio}, "
            f"late_ratio={self.late_ratio}, max_lateness_s={self.max_lateness_s}, "
            f"duplicate_ratio={self.duplicate_ratio}, unknown_ticket_ratio={self.unknown_ticket_ratio}, "
            f"event_malformed_ratio={self.event_malformed_ratio}, tail_s={self.tail_s})"
        )

    def tier_of(self, client_id: str) -> str:
        """The client's contract tier (bronze when the CRM does not know it)."""
        return self.tiers.get(client_id, DEFAULT_TIER)

    def _life(self, rng: random.Random, ticket: Ticket) -> list[_Planned]:
        """The valid events of one ticket, in causal and time order (durations per the module docstring)."""
        team = team_for(ticket.request_type).team_id
        tier = self.tier_of(ticket.client_id)
        lognorm = rng.lognormvariate
        first_s = max(
            MIN_FIRST_RESPONSE_S,
            lognorm(math.log(median_first_response_s(tier, ticket.priority, team)), FIRST_RESPONSE_SIGMA),
        )
        assign_s = max(MIN_ASSIGN_S, first_s * rng.uniform(*ASSIGN_SHARE))
        resolution_median_s = median_resolution_s(tier, ticket.priority, team)
        resolve_s = max(first_s + MIN_WORK_S, lognorm(math.log(resolution_median_s), RESOLUTION_SIGMA))
        close_after_s = max(MIN_CLOSE_S, lognorm(math.log(CLOSE_MEDIAN_S), CLOSE_SIGMA))
        agent = rng.choice(self.agents[team])
        steps: list[tuple[float, EventType, int | None]] = [
            (assign_s, EventType.ASSIGNED, agent),
            (first_s, EventType.FIRST_RESPONSE, agent),
            (resolve_s, EventType.RESOLVED, agent),
        ]
        if rng.random() < self.reopen_ratio:
            reopen_s = resolve_s + close_after_s * rng.uniform(0.1, 0.9)
            again_s = reopen_s + max(
                MIN_WORK_S, lognorm(math.log(REOPEN_RESOLUTION_SHARE * resolution_median_s), RESOLUTION_SIGMA)
            )
            close_after_s = max(MIN_CLOSE_S, lognorm(math.log(CLOSE_MEDIAN_S), CLOSE_SIGMA))
            steps += [(reopen_s, EventType.REOPENED, None), (again_s, EventType.RESOLVED, agent)]
            resolve_s = again_s
        steps.append((resolve_s + close_after_s, EventType.CLOSED, agent))
        created_ms = _ms(ticket.created_at)
        planned = []
        for offset_s, event_type, agent_id in steps:
            occurred_ms = created_ms + int(offset_s * 1000)
            event = LifecycleEvent(
                event_id=new_ticket_id(rng),
                ticket_id=ticket.ticket_id,
                event_type=event_type,
                occurred_at=prerender.EPOCH + timedelta(milliseconds=occurred_ms),
                agent_id=agent_id,
                team_id=team,
            )
            planned.append(_Planned(occurred_ms, event.to_bytes()))
        return planned

    def _unknown_ticket_event(self, rng: random.Random, occurred_ms: int) -> bytes:
        """A valid event about a ticket that was never produced."""
        team = rng.choice(list(TEAM_FACTOR))
        return LifecycleEvent(
            event_id=new_ticket_id(rng),
            ticket_id=new_ticket_id(rng),
            event_type=rng.choice(_UNKNOWN_TICKET_TYPES),
            occurred_at=prerender.EPOCH + timedelta(milliseconds=occurred_ms),
            agent_id=rng.choice(self.agents[team]),
            team_id=team,
        ).to_bytes()

    def records(self) -> Iterator[LifecycleRecord]:
        """The merged stream, in emission order (ties: the ticket first, then in scheduling order)."""
        life_rng = random.Random(f"lifecycle:{self.seed}")
        mess = random.Random(f"lifecycle-mess:{self.seed}")
        tickets = self.generator.events(self.ticket_malformed_ratio, max_payload_bytes=self.max_payload_bytes)
        if self.count is not None:
            tickets = itertools.islice(tickets, self.count)
        # (emit_at_ms, order, key, value): `order` keeps ties in scheduling order, so the stream is deterministic.
        heap: list[tuple[int, int, bytes, bytes]] = []
        order = itertools.count()
        mixer = _EventMixer(self.seed, self.event_malformed_ratio, self.max_payload_bytes)
        max_late_ms = int(self.max_lateness_s * 1000)
        last_emit_ms = prerender.start_ms(self.generator.start)
        for ticket_event in tickets:
            ticket = Ticket.model_validate_json(ticket_event.value) if ticket_event.kind is None else None
            if ticket is not None:
                last_emit_ms = max(last_emit_ms, _ms(ticket.created_at))
            while heap and heap[0][0] < last_emit_ms:
                emit_ms, _, key, value = heapq.heappop(heap)
                yield from mixer.records(key, value, emit_ms)
            yield LifecycleRecord(TICKETS, ticket_event.key, ticket_event.value, last_emit_ms, ticket_event.kind)
            if ticket is None:
                continue
            key = ticket.ticket_id.encode("ascii")
            for planned in self._life(life_rng, ticket):
                late, duplicated, unknown = mess.random(), mess.random(), mess.random()
                emit_ms = planned.occurred_ms
                if late < self.late_ratio:
                    emit_ms += int(mess.uniform(1.0, self.max_lateness_s) * 1000)
                emit_ms = max(emit_ms, last_emit_ms)  # never before its ticket
                heapq.heappush(heap, (emit_ms, next(order), key, planned.value))
                if duplicated < self.duplicate_ratio:
                    again_ms = min(
                        emit_ms + int(mess.uniform(1.0, DEFAULT_DUPLICATE_MAX_DELAY_S) * 1000),
                        max(emit_ms, planned.occurred_ms + max_late_ms),
                    )
                    heapq.heappush(heap, (again_ms, next(order), key, planned.value))
                if unknown < self.unknown_ticket_ratio:
                    value = self._unknown_ticket_event(mess, planned.occurred_ms)
                    orphan_key = json.loads(value)["ticket_id"].encode("ascii")
                    heapq.heappush(heap, (max(planned.occurred_ms, last_emit_ms), next(order), orphan_key, value))
        cutoff_ms = last_emit_ms + self.tail_s * 1000
        while heap and heap[0][0] <= cutoff_ms:
            emit_ms, _, key, value = heapq.heappop(heap)
            yield from mixer.records(key, value, emit_ms)


class _EventMixer:
    """Puts malformed events among the event records as `hybridflow.tickets.malformed.mix` does among tickets.

    One at a random position in each slot of ``1 / ratio`` event records, made from the next
    valid record (with a fresh event_id), the kinds round-robin in a shuffled order per round.
    """

    def __init__(self, seed: int, ratio: float, max_payload_bytes: int) -> None:
        self.injector = MalformedInjector(f"lifecycle:{seed}", max_payload_bytes)
        self.positions = malformed_positions(f"lifecycle:{seed}", ratio) if ratio > 0 else None
        self.bad_at = next(self.positions) if self.positions is not None else -1
        self.position = 0
        self.max_payload_bytes = max_payload_bytes

    def records(self, key: bytes, value: bytes, emit_ms: int) -> list[LifecycleRecord]:
        """The records to emit for one valid event record: itself, preceded by a malformed one when its turn comes."""
        out = []
        if self.position == self.bad_at and self.positions is not None:
            kind = self.injector.next_kind()
            bad_key, bad_value = malformed_lifecycle_event(kind, value, self.injector.rng, self.max_payload_bytes)
            out.append(LifecycleRecord(EVENTS, bad_key, bad_value, emit_ms, kind))
            self.bad_at = next(self.positions)
            self.position += 1
        out.append(LifecycleRecord(EVENTS, key, value, emit_ms, None))
        self.position += 1
        return out


def _ms(moment: datetime) -> int:
    """Unix milliseconds of an aware datetime (exact: no float rounding)."""
    return (moment - prerender.EPOCH) // timedelta(milliseconds=1)


# --- an oracle for tests -------------------------------------------------------------------------


@dataclass(frozen=True)
class LifecycleOutcome:
    """What a run produced, read from its records (not from Kafka): the expected state of the pipeline."""

    tickets: dict[str, Ticket]  # the valid tickets, by ticket_id, in production order
    events: dict[str, tuple[LifecycleEvent, ...]]  # per valid ticket: its distinct valid events, by occurred_at
    unknown_ticket_events: tuple[LifecycleEvent, ...]  # valid events about a ticket never produced
    duplicates: int  # valid event records that repeat an event_id already sent
    malformed: dict[str, Counter[str]] = field(default_factory=dict)  # role -> dead-letter reason -> records

    def status(self, ticket_id: str) -> str:
        """The ticket's last event type, or ``"open"`` when nothing happened to it yet."""
        events = self.events[ticket_id]
        return events[-1].event_type.value if events else "open"

    def open_tickets(self) -> list[str]:
        """The tickets not closed when the run ended."""
        return [t for t, events in self.events.items() if not events or events[-1].event_type != EventType.CLOSED]


def expected_outcome(records: Iterable[LifecycleRecord]) -> LifecycleOutcome:
    """The tickets, their distinct valid events, the unknown-ticket events, duplicates and malformed counts of a run."""
    tickets: dict[str, Ticket] = {}
    seen: dict[str, LifecycleEvent] = {}
    duplicates = 0
    malformed: dict[str, Counter[str]] = {TICKETS: Counter(), EVENTS: Counter()}
    for record in records:
        if record.kind is not None:
            malformed[record.role][record.kind.value] += 1
        elif record.role == TICKETS:
            ticket = Ticket.from_json(record.value)
            tickets[ticket.ticket_id] = ticket
        else:
            event = LifecycleEvent.from_json(record.value)
            if event.event_id in seen:
                duplicates += 1
            else:
                seen[event.event_id] = event
    per_ticket: dict[str, list[LifecycleEvent]] = {t: [] for t in tickets}
    unknown = []
    for event in seen.values():
        if event.ticket_id in per_ticket:
            per_ticket[event.ticket_id].append(event)
        else:
            unknown.append(event)
    return LifecycleOutcome(
        tickets=tickets,
        events={t: tuple(sorted(events, key=lambda e: e.occurred_at)) for t, events in per_ticket.items()},
        unknown_ticket_events=tuple(unknown),
        duplicates=duplicates,
        malformed=malformed,
    )


# --- as `produce --lifecycle` sends them ----------------------------------------------------------


def lifecycle_routes(settings: Settings, tickets_topic: str | None = None) -> dict[str, str]:
    """``{role: topic}`` of a lifecycle run: tickets to ``settings.topic_tickets``, events to ``settings.topic_events``."""
    return {TICKETS: tickets_topic or settings.topic_tickets, EVENTS: settings.topic_events}


def lifecycle_records(
    settings: Settings,
    count: int | None,
    seed: int = 42,
    start: datetime | None = None,
    *,
    arrival_rate: float = DEFAULT_LIFECYCLE_ARRIVAL_RATE,
    malformed_ratio: float = DEFAULT_EVENT_MALFORMED_RATIO,
    ticket_options: dict[str, Any] | None = None,
    **simulation: Any,
) -> Iterator[LifecycleRecord]:
    """Tickets and their lifecycle events, merged in simulated-time order, as ``produce --lifecycle`` sends them.

    Args:
        count: tickets (valid and malformed ticket records); None: endless.
        start: the first ticket's event time (default: now, to the second).
        arrival_rate: simulated tickets per second (the Poisson clock of `TicketGenerator`).
        malformed_ratio: share of malformed records, on each topic.
        ticket_options: further `TicketGenerator` options (n_clients, zipf_s, late_ratio, max_lateness_s).
        simulation: further `LifecycleSimulator` options (reopen_ratio, late_ratio, max_lateness_s,
            duplicate_ratio, unknown_ticket_ratio, tail_s, crm_scale, …).
    """
    first = start or datetime.now(UTC).replace(microsecond=0)
    tickets = TicketGenerator(seed, first, arrival_rate=arrival_rate, **(ticket_options or {}))
    lateness_s = simulation.get("max_lateness_s")
    watermark_s = duration_ms(settings.lifecycle_watermark_delay) / 1000
    if lateness_s is not None and lateness_s >= watermark_s:
        log.warning(
            "late events up to %.0f s late, for a watermark delay of %s: the latest ones will be dropped by the stream",
            lateness_s,
            settings.lifecycle_watermark_delay,
        )
    simulator = LifecycleSimulator(
        tickets,
        count,
        ticket_malformed_ratio=malformed_ratio,
        event_malformed_ratio=malformed_ratio,
        max_payload_bytes=settings.max_payload_bytes,
        **simulation,
    )
    return simulator.records()


def produce_lifecycle_sample(
    settings: Settings,
    count: int,
    seed: int = 42,
    *,
    arrival_rate: float = DEFAULT_LIFECYCLE_ARRIVAL_RATE,
    malformed_ratio: float = DEFAULT_EVENT_MALFORMED_RATIO,
    start: datetime | None = None,
    rate: float | None = None,
    progress: bool = False,
    client: str | None = None,
    **simulation: Any,
) -> ProduceSummary:
    """Produce `count` tickets and their lifecycle events (tickets and events topics); return the summary.

    By default the tickets' simulated times end now: they start ``count / arrival_rate`` seconds ago.
    `simulation`: `LifecycleSimulator` options (see `lifecycle_records`).
    """
    first = start or datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=count / arrival_rate)
    records = lifecycle_records(
        settings, count, seed, first, arrival_rate=arrival_rate, malformed_ratio=malformed_ratio, **simulation
    )
    return produce(records, settings, rate=rate, progress=progress, client=client, routes=lifecycle_routes(settings))
