"""What the lifecycle outputs must hold, computed from the topics alone (an oracle written apart from the job).

The oracle reads back what a consumer reads — both topics, `read_committed` — keeps the valid
records (the models decide), and derives each ticket's expected `ticket_status` row, the SLA
breaches and the orphan events with plain loops, not with the job's state machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from hybridflow.config import Settings, duration_ms
from hybridflow.kafka.consumer import read_committed
from hybridflow.tickets.lifecycle import LifecycleEvent
from hybridflow.tickets.model import Ticket

STATUS_OF = {
    "assigned": "in_progress",
    "first_response": "in_progress",
    "reopened": "in_progress",
    "resolved": "resolved",
    "closed": "closed",
}
HOUR_MS = 3_600_000


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


@dataclass
class Expected:
    """The lifecycle outputs the topics call for."""

    status: dict[str, dict] = field(default_factory=dict)  # ticket_id -> the row's facts (times in ms)
    events: set[str] = field(default_factory=set)  # event ids applied to a known ticket
    breaches: set[tuple[str, str]] = field(default_factory=set)  # (ticket_id, kind)
    orphans: dict[str, str] = field(default_factory=dict)  # event_id -> its original JSON, dead-lettered
    pending_orphans: int = 0  # events of unknown tickets still waiting for them at the end
    watermark_ms: int = 0


def _row(ticket: Ticket, events: list[LifecycleEvent], hours: tuple[int, int], watermark_ms: int) -> dict:
    ordered = sorted(events, key=lambda e: (_ms(e.occurred_at), e.event_id))
    created = _ms(ticket.created_at)
    fr_deadline, res_deadline = created + hours[0] * HOUR_MS, created + hours[1] * HOUR_MS

    def status_at(limit: int | None) -> str:
        status = "open"
        for e in ordered:
            if limit is None or _ms(e.occurred_at) <= limit:
                status = STATUS_OF[e.event_type]
        return status

    resolved_at = None
    for e in ordered:
        if e.event_type == "resolved":
            resolved_at = _ms(e.occurred_at)
        elif e.event_type == "reopened":
            resolved_at = None
    first_responses = [_ms(e.occurred_at) for e in ordered if e.event_type == "first_response"]
    return {
        "status": status_at(None),
        "last_event_type": ordered[-1].event_type if ordered else None,
        "first_response_at": min(first_responses) if first_responses else None,
        "resolved_at": resolved_at,
        "reopen_count": sum(e.event_type == "reopened" for e in ordered),
        "events": len(ordered),
        "first_response_deadline": fr_deadline,
        "resolution_deadline": res_deadline,
        "first_response_breached": fr_deadline <= watermark_ms and not any(t <= fr_deadline for t in first_responses),
        "resolution_breached": res_deadline <= watermark_ms and status_at(res_deadline) not in ("resolved", "closed"),
    }


def expected_lifecycle(settings: Settings, hours_of: Callable[[str], tuple[int, int]]) -> Expected:
    """The outputs the topics call for, once the job has drained them (`hours_of(client_id)`: the contract's hours)."""
    tickets: dict[str, Ticket] = {}
    for record in read_committed(settings, settings.topic_tickets, timeout_s=120):
        try:
            ticket = Ticket.from_json(record["value"])  # type: ignore[arg-type]
        except ValueError:
            continue
        tickets[ticket.ticket_id] = ticket
    events: dict[str, tuple[LifecycleEvent, str]] = {}
    for record in read_committed(settings, settings.topic_events, timeout_s=120):
        try:
            event = LifecycleEvent.from_json(record["value"])  # type: ignore[arg-type]
        except ValueError:
            continue
        events.setdefault(event.event_id, (event, str(record["value"])))
    # The job's watermark at the end: the lower of the two inputs' highest event time, minus the delay.
    highest = min(max(_ms(t.created_at) for t in tickets.values()), max(_ms(e.occurred_at) for e, _ in events.values()))
    expected = Expected(watermark_ms=highest - duration_ms(settings.lifecycle_watermark_delay))
    by_ticket: dict[str, list[LifecycleEvent]] = {tid: [] for tid in tickets}
    orphan_ttl = duration_ms(settings.orphan_event_ttl)
    for event_id, (event, text) in events.items():
        if event.ticket_id in tickets:
            by_ticket[event.ticket_id].append(event)
            expected.events.add(event_id)
        elif _ms(event.occurred_at) + orphan_ttl <= expected.watermark_ms:
            expected.orphans[event_id] = text
        else:
            expected.pending_orphans += 1
    for tid, ticket in tickets.items():
        row = _row(ticket, by_ticket[tid], hours_of(ticket.client_id), expected.watermark_ms)
        expected.status[tid] = row
        expected.breaches |= {(tid, k) for k in ("first_response", "resolution") if row[f"{k}_breached"]}
    return expected


@pytest.fixture(scope="session")
def lifecycle_oracle() -> Callable[..., Expected]:
    """`expected_lifecycle(settings, hours_of)`: what the lifecycle outputs must hold, from the topics."""
    return expected_lifecycle


def status_facts(row: dict) -> dict:
    """The oracle's facts of one `ticket_status` row read by delta-rs (pandas timestamps as ms)."""
    import pandas as pd

    def ms(value) -> int | None:
        return None if value is None or pd.isna(value) else round(pd.Timestamp(value).timestamp() * 1000)

    return {
        "status": row["status"],
        "last_event_type": row["last_event_type"],
        "first_response_at": ms(row["first_response_at"]),
        "resolved_at": ms(row["resolved_at"]),
        "reopen_count": int(row["reopen_count"]),
        "events": int(row["events"]),
        "first_response_deadline": ms(row["first_response_deadline"]),
        "resolution_deadline": ms(row["resolution_deadline"]),
        "first_response_breached": bool(row["first_response_breached"]),
        "resolution_breached": bool(row["resolution_breached"]),
    }


def assert_status_matches(rows, expected: Expected) -> None:
    """`ticket_status` as read without Spark (a pandas frame) holds exactly the oracle's row for each valid ticket."""
    assert not rows["ticket_id"].duplicated().any()
    got = {r["ticket_id"]: status_facts(r) for r in rows.to_dict("records")}
    assert got.keys() == expected.status.keys()
    mismatched = [tid for tid in got if got[tid] != expected.status[tid]]
    assert not mismatched, (
        f"{len(mismatched)} rows differ, e.g. {got[mismatched[0]]} != {expected.status[mismatched[0]]}"
    )


@pytest.fixture(scope="session")
def status_matches_oracle() -> Callable[..., None]:
    """`assert_status_matches(rows, expected)`: every `ticket_status` row is the one the topics call for."""
    return assert_status_matches
