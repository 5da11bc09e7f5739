"""The support ticket: the one definition its JSON form and its Spark schemas derive from.

A ticket event on the wire is a UTF-8 JSON object with exactly the six fields of
`Ticket`; `created_at` is ISO-8601 with an explicit UTC offset (``...Z``).
The constraints below (patterns, lengths, enum values) are shared by the pydantic
model and by the Spark validation in ``hybridflow.streaming.transforms``.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from types import UnionType
from typing import Annotated, Any, Self, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer, field_validator
from pyspark.sql.types import DataType, IntegerType, StringType, StructField, StructType, TimestampType

from hybridflow.vocabulary import Priority, RequestType

# [0-9], not \d: pydantic's (Rust) and Python's \d also match other scripts' digits, Java's does not.
CLIENT_ID_PATTERN = r"^C[0-9]{5}$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
REQUEST_MAX_CHARS = 2000
# A request must say something: at least one non-blank character (search semantics, not anchored).
REQUEST_PATTERN = r"\S"


class WireModel(BaseModel):
    """A model with a wire form: compact JSON, fields in model order (null ones included), parsed strictly."""

    def to_json(self) -> str:
        """The wire form: compact JSON with the fields in model order."""
        return self.model_dump_json()

    def to_bytes(self) -> bytes:
        """The wire form as UTF-8 bytes (the Kafka record value)."""
        return self.to_json().encode("utf-8")

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        """Parse and validate one wire event (raises ValueError: pydantic.ValidationError or a JSON error).

        Stricter than pydantic's JSON parser where the pipeline's Spark validation is: a duplicate
        key (which value counts differs between parsers) and NaN/Infinity (not JSON) are refused.
        """
        parsed = cls.model_validate_json(data)
        check_strict_json(data)
        return parsed


class Ticket(WireModel):
    """One customer support ticket, as produced to the ``client_tickets`` topic."""

    # Unknown extra fields are ignored, as the Spark validation ignores them: a producer that
    # adds a field (forward-compatible change) must not send every event to the dead letters.
    model_config = ConfigDict(frozen=True, extra="ignore")

    ticket_id: Annotated[str, Field(pattern=UUID_PATTERN, description="UUID (lower-case, canonical form)")]
    client_id: Annotated[str, Field(pattern=CLIENT_ID_PATTERN, description="Client identifier, e.g. C00042")]
    created_at: Annotated[AwareDatetime, Field(description="Event time: when the ticket was opened (UTC)")]
    request: Annotated[
        str,
        Field(min_length=1, max_length=REQUEST_MAX_CHARS, pattern=REQUEST_PATTERN, description="Free text, not blank"),
    ]
    request_type: Annotated[RequestType, Field(description="billing / technical / account / general")]
    priority: Annotated[Priority, Field(description="low / medium / high / critical")]

    @field_validator("created_at", mode="before")
    @classmethod
    def _iso_with_offset(cls, value: Any) -> Any:
        return iso_with_offset(value, "created_at")

    @field_validator("created_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return to_utc(value, "created_at")

    @field_serializer("created_at")
    def _serialize_created_at(self, value: datetime) -> str:
        return wire_timestamp(value)


# --- shared by the wire models (`Ticket`, `hybridflow.tickets.lifecycle.LifecycleEvent`) ---------


def iso_with_offset(value: Any, field: str) -> Any:
    """A timestamp field's wire input check: an ISO-8601 string with an explicit offset (or a datetime)."""
    # pydantic would otherwise read a JSON number as Unix time; the wire form is a string only.
    if not isinstance(value, (str, datetime)):
        raise ValueError(f"{field} must be an ISO-8601 string, e.g. 2026-01-31T09:15:00Z")
    if isinstance(value, str) and not re.match(TIMESTAMP_PATTERN, value):
        raise ValueError(f"{field} must be ISO-8601 with an explicit offset, e.g. 2026-01-31T09:15:00Z")
    return value


def to_utc(value: datetime, field: str) -> datetime:
    """An aware timestamp converted to UTC (a ValueError when that leaves the datetime range)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59: past year 9999 in UTC
        raise ValueError(f"{field} is out of range once converted to UTC") from None


def wire_timestamp(value: datetime) -> str:
    """The wire form of a timestamp: UTC, milliseconds, ``Z`` (e.g. 2026-01-31T09:15:00.000Z)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_strict_json(data: str | bytes) -> None:
    """Refuse what the Spark validation refuses beyond pydantic: a duplicate key, NaN/Infinity (ValueError)."""
    # Numbers are not converted (parse_int=len): Python's int() refuses over 4,300 digits, JSON does not.
    json.loads(data, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant, parse_int=len, parse_float=len)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate key in JSON object: {sorted(k for k in set(keys) if keys.count(k) > 1)[0]!r}")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def new_ticket_id(rng: Any | None = None) -> str:
    """A UUID4 string; deterministic when given a `random.Random`."""
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


FIELD_NAMES: tuple[str, ...] = tuple(Ticket.model_fields)


def _spark_field(name: str, annotation: Any) -> StructField:
    """Spark field of a model field: timestamps and integers keep their type, everything else is a string.

    ``X | None`` gives a nullable field of X's type; every other field is not nullable.
    """
    base = get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation
    members = get_args(base) if get_origin(base) in (Union, UnionType) else (base,)
    nullable = type(None) in members
    (base,) = [m for m in members if m is not type(None)]
    spark_type: DataType = StringType()
    if base is datetime or base is AwareDatetime or (isinstance(base, type) and issubclass(base, datetime)):
        spark_type = TimestampType()
    elif base is int:
        spark_type = IntegerType()
    return StructField(name, spark_type, nullable=nullable)


def model_spark_schema(model: type[BaseModel]) -> StructType:
    """The typed Spark schema of a wire model, derived field by field, in field order."""
    return StructType([_spark_field(name, field.annotation) for name, field in model.model_fields.items()])


def spark_schema() -> StructType:
    """The typed Spark schema of a valid ticket, derived field by field from `Ticket`."""
    return model_spark_schema(Ticket)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the wire form (for documentation and the report)."""
    return Ticket.model_json_schema()


def enum_values(field: str) -> list[str]:
    """Allowed values of an enum field ('request_type' or 'priority')."""
    enum_cls = {"request_type": RequestType, "priority": Priority}[field]
    return [member.value for member in enum_cls]


def example() -> Ticket:
    """A fixed, valid ticket (documentation, smoke checks)."""
    return Ticket(
        ticket_id="3f1c9a52-8d4e-4b7a-9c2e-1a2b3c4d5e6f",
        client_id="C00042",
        created_at=datetime(2026, 1, 31, 9, 15, tzinfo=UTC),
        request="Ma facture de janvier est facturée deux fois.",
        request_type=RequestType.BILLING,
        priority=Priority.MEDIUM,
    )


def dumps_pretty(ticket: Ticket) -> str:
    """Indented JSON of a ticket, for display."""
    return json.dumps(json.loads(ticket.to_json()), indent=2, ensure_ascii=False)
