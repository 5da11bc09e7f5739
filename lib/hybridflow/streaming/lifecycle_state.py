"""A ticket's life as a pure state machine: what the lifecycle query keeps per ticket, and what it emits.

No Spark and no I/O here: `hybridflow.streaming.lifecycle` wraps these functions in Spark's
``transformWithState`` (one state per ``ticket_id``), and the unit tests drive them
directly with any order, duplication or lateness of the same events.

The state of one ticket is one JSON document (one ValueState: each state call is a round trip
between Python and the JVM, so the processor makes one read and one write per ticket and batch):

- ``ticket``: the creation fields and the contract's deadlines, once the ticket has arrived;
- ``events``: the distinct events received (by ``event_id``; a repeated id changes nothing);
- ``breaches``: the SLA kinds already reported for this ticket (each at most once);
- ``revision``: how many times the ticket's status row changed (the newest row wins a MERGE).

The status is a **fold over the events sorted by** ``(occurred_at, event_id)``, never over their
arrival order: the same set of events gives the same row whatever order they came in.

Time is event time. The query's watermark (the highest event time seen minus
LIFECYCLE_WATERMARK_DELAY) fires timers registered at:

- the first-response and resolution **deadlines** (``created_at`` + the contract tier's hours):
  when the watermark passes one and no event meets it, one breach record is emitted. An event
  that arrives later than the watermark delay can no longer undo a breach already reported;
- ``occurred_at`` + ORPHAN_EVENT_TTL for an event whose ticket has not arrived: if the ticket
  is still unknown then, the event goes to the dead letters (``orphan_event``);
- ``closed_at`` + CLOSED_TICKET_TTL for a closed ticket: it leaves the state (its row stays in
  ``ticket_status``; a later event for it is then an orphan).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
BREACH_KINDS = (FIRST_RESPONSE, RESOLUTION)
ORPHAN_REASON = "orphan_event"

# Output kinds of the processor (the `kind` column of its rows).
STATUS = "status"
EVENT = "event"
BREACH = "breach"
ORPHAN = "orphan"

# The statuses of the on-premise helpdesk (`ticket_history`), reached by each event type.
OPEN, IN_PROGRESS, RESOLVED, CLOSED = "open", "in_progress", "resolved", "closed"
STATUS_AFTER = {
    "assigned": IN_PROGRESS,
    "first_response": IN_PROGRESS,
    "reopened": IN_PROGRESS,
    "resolved": RESOLVED,
    "closed": CLOSED,
}
HOUR_MS = 3_600_000

# The creation fields the state keeps (times in ms since the epoch, UTC).
TICKET_FIELDS = (
    "ticket_id",
    "client_id",
    "created_at",
    "request_type",
    "priority",
    "contract_tier",
    "client_known",
    "team_id",
    "first_response_hours",
    "resolution_hours",
)
EVENT_FIELDS = ("event_id", "event_type", "occurred_at", "agent_id", "team_id", "value", "partition", "offset")


@dataclass(frozen=True)
class Ttls:
    """How long, in event time (ms), an orphan event waits for its ticket and a closed ticket stays in the state."""

    orphan_ms: int
    closed_ms: int


@dataclass
class Step:
    """What one call of the state machine did: the new state (None: cleared), rows to emit, timers to register."""

    state: dict[str, Any] | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    timers: set[int] = field(default_factory=set)


def load(doc: str | None) -> dict[str, Any]:
    """The state from its stored JSON (an empty state when there is none)."""
    if not doc:
        return {"ticket": None, "events": [], "breaches": [], "revision": 0}
    return json.loads(doc)


def dump(state: dict[str, Any]) -> str:
    """The state as stored (compact JSON)."""
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


def _ordered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: (e["occurred_at"], e["event_id"]))


def fold(events: list[dict[str, Any]], until_ms: int | None = None) -> dict[str, Any]:
    """The ticket's lifecycle facts from its events (those at or before `until_ms` when given), in event-time order."""
    facts: dict[str, Any] = {
        "status": OPEN,
        "last_event_type": None,
        "last_event_at": None,
        "assigned_at": None,
        "first_response_at": None,
        "resolved_at": None,
        "closed_at": None,
        "reopen_count": 0,
        "agent_id": None,
    }
    for event in _ordered(events):
        at, kind = event["occurred_at"], event["event_type"]
        if until_ms is not None and at > until_ms:
            break
        facts["status"] = STATUS_AFTER[kind]
        facts["last_event_type"], facts["last_event_at"] = kind, at
        if kind == "assigned":
            facts["assigned_at"] = facts["assigned_at"] or at
        if kind == "first_response" and facts["first_response_at"] is None:
            facts["first_response_at"] = at
        if kind == "resolved":
            facts["resolved_at"] = at
        if kind == "closed":
            facts["closed_at"] = at
        if kind == "reopened":
            facts["reopen_count"] += 1
            facts["resolved_at"] = facts["closed_at"] = None  # resolved again later, or not at all
        if event.get("agent_id") is not None:
            facts["agent_id"] = event["agent_id"]
    return facts


def deadlines(ticket: dict[str, Any]) -> dict[str, int]:
    """The ticket's SLA deadlines (ms): created_at + the contract tier's first-response and resolution hours."""
    return {
        FIRST_RESPONSE: ticket["created_at"] + ticket["first_response_hours"] * HOUR_MS,
        RESOLUTION: ticket["created_at"] + ticket["resolution_hours"] * HOUR_MS,
    }


def met(kind: str, events: list[dict[str, Any]], deadline_ms: int) -> bool:
    """Whether the events meet the SLA of `kind` by `deadline_ms`."""
    facts = fold(events, until_ms=deadline_ms)
    if kind == FIRST_RESPONSE:
        return facts["first_response_at"] is not None
    return facts["status"] in (RESOLVED, CLOSED)


def status_row(state: dict[str, Any]) -> dict[str, Any]:
    """The ticket's `ticket_status` row (times in ms), from its state."""
    ticket = state["ticket"]
    due = deadlines(ticket)
    return {
        "kind": STATUS,
        **{name: ticket[name] for name in TICKET_FIELDS if not name.endswith("_hours")},
        **fold(state["events"]),
        "events": len(state["events"]),
        "first_response_deadline": due[FIRST_RESPONSE],
        "resolution_deadline": due[RESOLUTION],
        "first_response_breached": FIRST_RESPONSE in state["breaches"],
        "resolution_breached": RESOLUTION in state["breaches"],
        "revision": state["revision"],
    }


def _event_row(ticket_id: str, event: dict[str, Any], kind: str) -> dict[str, Any]:
    """An event as an output row: its own fields, the others prefixed ``event_`` (the status row has an agent and team too)."""
    own = ("event_id", "event_type", "occurred_at")
    return {"kind": kind, "ticket_id": ticket_id, **{k if k in own else f"event_{k}": v for k, v in event.items()}}


def _eviction_timer(state: dict[str, Any], ttls: Ttls) -> set[int]:
    closed_at = fold(state["events"])["closed_at"]
    return set() if closed_at is None else {closed_at + ttls.closed_ms}


def on_input(
    state: dict[str, Any], ticket_id: str, tickets: list[dict[str, Any]], events: list[dict[str, Any]], ttls: Ttls
) -> Step:
    """Apply one batch's rows of one ticket: its creation (if it came) and its new events.

    A repeated ticket or event id changes nothing. Events of an unknown ticket wait in the state.
    """
    step = Step(state)
    known = {e["event_id"] for e in state["events"]}
    fresh = []
    for event in events:
        if event["event_id"] not in known:
            known.add(event["event_id"])
            fresh.append(event)
    arrived = state["ticket"] is None and bool(tickets)
    if arrived:
        state["ticket"] = {name: tickets[0][name] for name in TICKET_FIELDS}
        step.timers |= set(deadlines(state["ticket"]).values())
    state["events"] += fresh
    if state["ticket"] is None:  # events wait for their ticket (ordered: the processor's output is deterministic)
        step.timers |= {e["occurred_at"] + ttls.orphan_ms for e in fresh}
        return step
    applied = state["events"] if arrived else fresh
    step.rows += [_event_row(ticket_id, e, EVENT) for e in _ordered(applied)]
    if arrived or fresh:
        state["revision"] += 1
        step.rows.append(status_row(state))
        step.timers |= _eviction_timer(state, ttls)
    return step


def on_timer(state: dict[str, Any], ticket_id: str, expiry_ms: int, watermark_ms: int, ttls: Ttls) -> Step:
    """The watermark passed `expiry_ms`: report breached deadlines, dead-letter orphans, evict a closed ticket."""
    step = Step(state)
    ticket = state["ticket"]
    if ticket is None:
        due = [e for e in state["events"] if e["occurred_at"] + ttls.orphan_ms <= expiry_ms]
        step.rows += [_event_row(ticket_id, e, ORPHAN) for e in _ordered(due)]
        state["events"] = [e for e in state["events"] if e["occurred_at"] + ttls.orphan_ms > expiry_ms]
        if not state["events"]:
            step.state = None
        return step
    breached = [
        (kind, deadline)
        for kind, deadline in deadlines(ticket).items()
        if deadline <= expiry_ms and kind not in state["breaches"] and not met(kind, state["events"], deadline)
    ]
    for kind, deadline in breached:
        state["breaches"].append(kind)
        step.rows.append(
            {
                "kind": BREACH,
                "ticket_id": ticket_id,
                "breach_kind": kind,
                "deadline": deadline,
                "watermark": watermark_ms,
                **{name: ticket[name] for name in ("client_id", "contract_tier", "team_id", "priority")},
            }
        )
    if breached:
        state["revision"] += 1
        step.rows.append(status_row(state))
    evict = _eviction_timer(state, ttls)
    if evict and min(evict) <= expiry_ms and fold(state["events"])["status"] == CLOSED:
        step.state = None  # the closed ticket leaves the state; its last row stays in the table
    return step
