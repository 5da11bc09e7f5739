"""The ticket lifecycle event: the one definition its JSON form and its Spark schema derive from.

After a ticket is opened (`hybridflow.tickets.model.Ticket`), the CRM reports what happens to it
as events on the ``client_ticket_events`` topic (``settings.topic_events``, key = ticket_id):
assigned to an agent, first response, resolved, possibly reopened (then resolved again), closed.

On the wire an event is a UTF-8 JSON object with the six fields of `LifecycleEvent`, in order::

    {"event_id":"…uuid…","ticket_id":"…uuid…","event_type":"assigned",
     "occurred_at":"2026-01-31T09:42:17.250Z","agent_id":17,"team_id":"T-TECH"}

* ``event_id``, ``ticket_id``: lower-case canonical UUIDs (the tickets' `UUID_PATTERN`); an
  event_id is unique per event, so a re-sent event (at-least-once upstream) repeats it.
* ``event_type``: one of `EventType`.
* ``occurred_at``: event time, ISO-8601 with an explicit offset, as the ticket's ``created_at``
  (same checks, same ``...sssZ`` wire form, UTC, milliseconds).
* ``agent_id``: the CRM agent (an integer >= 1, a JSON number, not a string) for assigned,
  first_response, resolved and closed; null for reopened (the ticket goes back to its team's queue).
* ``team_id``: the support team, one of `TEAM_IDS` (e.g. ``"T-TECH"``,
  `hybridflow.tickets.reference.team_for`), or null.

``agent_id`` and ``team_id`` are nullable: a missing one reads as null, as Spark's ``from_json``
reads it. Unknown extra fields are ignored (forward compatibility), as for tickets.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, ConfigDict, Field, field_serializer, field_validator
from pyspark.sql.types import StructType

from hybridflow.tickets.model import (
    UUID_PATTERN,
    WireModel,
    iso_with_offset,
    model_spark_schema,
    to_utc,
    wire_timestamp,
)
from hybridflow.tickets.reference import SUPPORT_TEAMS


class EventType(StrEnum):
    """What happened to a ticket."""

    ASSIGNED = "assigned"
    FIRST_RESPONSE = "first_response"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"


AGENT_ID_MIN = 1
AGENT_ID_MAX = 2**31 - 1  # Spark's int: a larger agent id would not fit the typed schema
TEAM_IDS: tuple[str, ...] = tuple(t.team_id for t in SUPPORT_TEAMS)


class LifecycleEvent(WireModel):
    """One lifecycle event of a ticket, as produced to the ``client_ticket_events`` topic."""

    # Unknown extra fields are ignored, as for `Ticket` (a forward-compatible producer change).
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: Annotated[str, Field(pattern=UUID_PATTERN, description="UUID4 of this event (lower-case, canonical)")]
    ticket_id: Annotated[str, Field(pattern=UUID_PATTERN, description="The ticket the event is about")]
    event_type: Annotated[EventType, Field(description="assigned / first_response / resolved / reopened / closed")]
    occurred_at: Annotated[AwareDatetime, Field(description="Event time: when it happened in the CRM (UTC)")]
    agent_id: Annotated[
        int | None,
        Field(ge=AGENT_ID_MIN, le=AGENT_ID_MAX, strict=True, description="CRM agent id; null for reopened"),
    ] = None
    team_id: Annotated[str | None, Field(description="Support team id (one of TEAM_IDS), e.g. T-TECH")] = None

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _iso_with_offset(cls, value: Any) -> Any:
        return iso_with_offset(value, "occurred_at")

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return to_utc(value, "occurred_at")

    @field_validator("team_id")
    @classmethod
    def _support_team(cls, value: str | None) -> str | None:
        if value is not None and value not in TEAM_IDS:
            raise ValueError(f"team_id must be a support team: one of {', '.join(TEAM_IDS)}")
        return value

    @field_serializer("occurred_at")
    def _serialize_occurred_at(self, value: datetime) -> str:
        return wire_timestamp(value)


EVENT_FIELD_NAMES: tuple[str, ...] = tuple(LifecycleEvent.model_fields)
# Never null in a valid event (agent_id and team_id may be).
EVENT_REQUIRED_FIELDS: tuple[str, ...] = ("event_id", "ticket_id", "event_type", "occurred_at")


def spark_schema() -> StructType:
    """The typed Spark schema of a valid event, derived from `LifecycleEvent` (agent_id an int; it and team_id nullable)."""
    return model_spark_schema(LifecycleEvent)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the wire form (for documentation and the report)."""
    return LifecycleEvent.model_json_schema()


def event_type_values() -> list[str]:
    """The allowed values of ``event_type``."""
    return [member.value for member in EventType]


def example() -> LifecycleEvent:
    """A fixed, valid event (documentation, smoke checks): the example ticket assigned to agent 16 (billing team)."""
    return LifecycleEvent(
        event_id="9b2e4c1d-7a3f-4e58-b6d0-2c4e6f8a0b1c",
        ticket_id="3f1c9a52-8d4e-4b7a-9c2e-1a2b3c4d5e6f",
        event_type=EventType.ASSIGNED,
        occurred_at=datetime(2026, 1, 31, 9, 42, 17, 250_000, tzinfo=UTC),
        agent_id=16,
        team_id="T-BILL",
    )


def dumps_pretty(event: LifecycleEvent) -> str:
    """Indented JSON of an event, for display."""
    return json.dumps(json.loads(event.to_json()), indent=2, ensure_ascii=False)
