"""The ticket model: its JSON form and its Spark schema agree with the one definition."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from pyspark.sql.types import StringType, TimestampType

from hybridflow.tickets.generator import EXAMPLE_START, TicketGenerator
from hybridflow.tickets.model import (
    FIELD_NAMES,
    Priority,
    RequestType,
    Ticket,
    enum_values,
    example,
    json_schema,
    new_ticket_id,
    spark_schema,
)


def _doc(**changes: object) -> dict:
    doc = json.loads(example().to_json())
    doc.update(changes)
    return doc


def test_spark_schema_has_the_model_fields_in_order():
    assert [f.name for f in spark_schema().fields] == list(Ticket.model_fields) == list(FIELD_NAMES)


def test_spark_schema_types_follow_the_model():
    types = {f.name: f.dataType for f in spark_schema().fields}
    assert types["created_at"] == TimestampType()
    assert all(types[name] == StringType() for name in FIELD_NAMES if name != "created_at")
    assert not any(f.nullable for f in spark_schema().fields)


def test_json_schema_requires_every_field():
    schema = json_schema()
    assert list(schema["properties"]) == list(FIELD_NAMES)
    assert set(schema["required"]) == set(FIELD_NAMES)


def test_enum_values_are_the_enums():
    assert enum_values("request_type") == [t.value for t in RequestType]
    assert enum_values("priority") == [p.value for p in Priority]


def test_wire_form_has_the_fields_in_model_order_and_utc_millis():
    doc = json.loads(example().to_bytes())
    assert list(doc) == list(FIELD_NAMES)
    assert doc["created_at"] == "2026-01-31T09:15:00.000Z"


def test_generated_tickets_round_trip_through_json():
    for ticket in TicketGenerator(7, EXAMPLE_START).take(300):
        assert Ticket.from_json(ticket.to_bytes()) == ticket
        assert Ticket.from_json(ticket.to_json()).to_bytes() == ticket.to_bytes()


def test_offset_is_normalised_to_utc():
    ticket = Ticket.from_json(json.dumps(_doc(created_at="2026-01-31T10:15:00+01:00")))
    assert ticket.created_at == datetime(2026, 1, 31, 9, 15, tzinfo=UTC)
    assert ticket.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("created_at", [1769850900, 1769850900000, 1.5, True])
def test_numeric_created_at_is_rejected(created_at):
    # pydantic alone would read a number as Unix time; the wire form is a string only.
    with pytest.raises(ValidationError):
        Ticket.from_json(json.dumps(_doc(created_at=created_at)))


@pytest.mark.parametrize("request_text", ["", "   ", "\n\t"])
def test_blank_request_is_rejected(request_text):
    with pytest.raises(ValidationError):
        Ticket.from_json(json.dumps(_doc(request=request_text)))


def test_extra_field_is_ignored_by_the_model():
    ticket = Ticket.from_json(json.dumps(_doc(channel="email")))
    assert "channel" not in ticket.model_dump()
    assert Ticket.from_json(ticket.to_json()) == ticket


def test_new_ticket_id_is_deterministic_with_a_rng():
    import random

    a, b = new_ticket_id(random.Random(1)), new_ticket_id(random.Random(1))
    assert a == b
    assert a != new_ticket_id(random.Random(2))
    assert Ticket.model_validate(_doc(ticket_id=a)).ticket_id == a
