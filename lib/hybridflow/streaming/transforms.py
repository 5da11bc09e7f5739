"""Pure DataFrame -> DataFrame steps of the ticket stream (no I/O; unit-tested on static frames).

Pipeline: Kafka records -> `decode` -> `validate` -> split into `valid_tickets`
(typed, then `enrich`ed and `windowed_counts`) and `dead_letters` (original bytes
plus the reason, as Kafka headers). Every record ends up on exactly one side.

Validation parses with Spark 4's VARIANT type (`try_parse_json`), which keeps the
JSON type of each field: a number where a string is expected is caught as
`wrong_type` instead of being silently cast to text.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from hybridflow.tickets.lifecycle import EventType
from hybridflow.tickets.malformed import (
    DEAD_LETTER_REASONS,
    DLQ_DETAIL,
    DLQ_REASON,
    DLQ_SOURCE_OFFSET,
    DLQ_SOURCE_PARTITION,
    DLQ_SOURCE_TOPIC,
)
from hybridflow.tickets.malformed import (
    DLQ_HEADERS as DLQ_HEADERS,  # re-exported: the stream's readers name the headers from here
)
from hybridflow.tickets.model import (
    CLIENT_ID_PATTERN,
    FIELD_NAMES,
    REQUEST_MAX_CHARS,
    REQUEST_PATTERN,
    TIMESTAMP_PATTERN,
    UUID_PATTERN,
    enum_values,
)
from hybridflow.tickets.reference import SLA_TARGETS, SUPPORT_TEAMS

# The reason codes a dead letter can carry and its Kafka header names: one definition, in
# `tickets.malformed` (the generator's MalformedKind values), re-exported for the stream's readers.
REASONS = DEAD_LETTER_REASONS


def decode(kafka_df: DataFrame) -> DataFrame:
    """Keep the Kafka record's coordinates and add its value as text and its size in bytes."""
    return kafka_df.select(
        F.col("key"),
        F.col("value"),
        F.col("topic").alias("source_topic"),
        F.col("partition").alias("source_partition"),
        F.col("offset").alias("source_offset"),
        F.col("timestamp").alias("kafka_timestamp"),
        F.col("value").cast("string").alias("raw"),
        F.octet_length("value").alias("payload_bytes"),
    )


def _whole(pattern: str) -> str:
    """The model's pattern for Java's regex: `$` there also matches before a final newline, `\\z` does not."""
    return pattern.removesuffix("$") + r"\z"


def _check(condition: Column, reason: str, detail: Column | str) -> Column:
    detail_col = F.lit(detail) if isinstance(detail, str) else detail
    return F.when(condition, F.struct(F.lit(reason).alias("reason"), detail_col.alias("detail")))


# Per-field columns computed once per record (see `_parse`): the field as a VARIANT, its JSON
# type, and its value as text. The checks and the typed output all read these columns.
def _value(name: str) -> Column:
    return F.col(f"_v_{name}")


def _type(name: str) -> Column:
    return F.col(f"_t_{name}")


def _dead_letter_source(invalid: Column) -> list[Column | str]:
    """The record's key and value (kept for a dead letter only) and its Kafka coordinates."""
    return [
        F.when(invalid, F.col("key")).alias("key"),
        F.when(invalid, F.col("value")).alias("value"),
        "source_topic",
        "source_partition",
        "source_offset",
        "kafka_timestamp",
    ]


def _text(name: str) -> Column:
    return F.col(f"_s_{name}")


def _parse(
    decoded: DataFrame, max_payload_bytes: int, fields: tuple[str, ...] = FIELD_NAMES, time_field: str = "created_at"
) -> DataFrame:
    """Parse each record once and extract every field once, as columns the checks share.

    Spark does not share a sub-expression between the branches of a `coalesce`, so a
    `variant_get` written inside each rule would run once per rule (measured: twice as slow
    over 200,000 records). Separate projections compute each value once.
    """
    parseable = (F.col("payload_bytes") <= max_payload_bytes) & F.col("_utf8")
    parsed = (
        decoded.withColumn("_utf8", F.expr("is_valid_utf8(value)"))
        # Spark's parser stops after the first JSON value: `wrapped` (the record inside [ ])
        # turns what follows it into a syntax error or a second element (see the rule below).
        .withColumn("wrapped", F.when(parseable, F.expr("try_parse_json(concat('[', raw, ']'))")))
        .withColumn("doc", F.expr("variant_get(wrapped, '$[0]')"))
    )
    parsed = parsed.select(
        "*",
        F.expr("schema_of_variant(doc)").alias("_doc_type"),
        *(F.expr(f"variant_get(doc, '$.{name}')").alias(f"_v_{name}") for name in fields),
    )
    parsed = parsed.select(
        "*",
        *(F.expr(f"schema_of_variant(_v_{name})").alias(f"_t_{name}") for name in fields),
        *(F.expr(f"variant_get(_v_{name}, '$', 'string')").alias(f"_s_{name}") for name in fields),
    )
    return parsed.withColumn(f"{time_field}_ts", F.expr(f"try_cast(_s_{time_field} AS TIMESTAMP)"))


def _envelope_checks(max_payload_bytes: int) -> list[Column]:
    """The record as a whole: present, small enough, UTF-8, one JSON object (tickets and lifecycle events alike)."""
    return [
        _check(F.col("value").isNull(), "malformed_json", "empty record value"),
        _check(
            F.col("payload_bytes") > max_payload_bytes,
            "oversized_payload",
            F.format_string(f"%d bytes > {max_payload_bytes}", F.col("payload_bytes")),
        ),
        _check(~F.col("_utf8"), "malformed_json", "not valid UTF-8"),
        # Content after the first JSON value makes `wrapped` unparseable or gives it a second
        # element, except content that starts with `]`, which the record inside {"v": } catches
        # (parsed only when a `]` is there at all).
        _check(
            F.col("wrapped").isNotNull()
            & (
                F.expr("variant_get(wrapped, '$[1]')").isNotNull()
                | (F.col("raw").contains("]") & F.expr("""try_parse_json(concat('{"v":', raw, '}'))""").isNull())
            ),
            "malformed_json",
            "content after the JSON value",
        ),
        _check(F.col("doc").isNull(), "malformed_json", "not parseable as JSON"),
        _check(~F.col("_doc_type").startswith("OBJECT"), "not_an_object", F.concat(F.lit("JSON "), F.col("_doc_type"))),
    ]


def _timestamp_check(name: str) -> Column:
    # Spark's timestamps reach year 0, Python's (every reader but Spark) start at year 1.
    return _check(
        ~_text(name).rlike(_whole(TIMESTAMP_PATTERN))
        | F.col(f"{name}_ts").isNull()
        | ~F.year(f"{name}_ts").between(1, 9999),
        "bad_timestamp",
        F.concat(F.lit(f"{name}: "), F.substring(_text(name), 1, 40)),
    )


def _required_string_checks(names: tuple[str, ...]) -> list[Column]:
    checks = []
    for name in names:
        checks.append(_check(_value(name).isNull() | (_type(name) == "VOID"), "missing_field", name))
        checks.append(_check(_type(name) != "STRING", "wrong_type", F.concat(F.lit(f"{name}: "), _type(name))))
    return checks


def _enum_check(name: str, allowed: list[str]) -> Column:
    return _check(
        ~_text(name).isin(allowed), "unknown_enum", F.concat(F.lit(f"{name}: "), F.substring(_text(name), 1, 40))
    )


def _checks(max_payload_bytes: int) -> list[Column]:
    """Every rule of a ticket, in the order they are tried; the first that fails gives the reason."""
    checks = _envelope_checks(max_payload_bytes) + _required_string_checks(FIELD_NAMES)
    checks += [
        _check(~_text("ticket_id").rlike(_whole(UUID_PATTERN)), "invalid_value", "ticket_id is not a UUID"),
        _check(
            ~_text("client_id").rlike(_whole(CLIENT_ID_PATTERN)), "invalid_value", "client_id does not match C#####"
        ),
        _timestamp_check("created_at"),
        _check(
            # (?U): blank as in the model (Unicode White_Space), not ASCII only as Java's default.
            ~_text("request").rlike("(?U)" + REQUEST_PATTERN) | (F.length(_text("request")) > REQUEST_MAX_CHARS),
            "invalid_value",
            f"request must have 1..{REQUEST_MAX_CHARS} characters, not all blank",
        ),
    ]
    checks += [_enum_check(name, enum_values(name)) for name in ("request_type", "priority")]
    return checks


def validate(decoded: DataFrame, max_payload_bytes: int) -> DataFrame:
    """Add `error` (struct reason/detail, null when valid) and the typed ticket fields.

    The record's original `key` and `value` bytes are kept for the dead letters only (null on a
    valid ticket, whose fields are typed): the job caches each batch, and they were most of its bytes.
    """
    checked = _parse(decoded, max_payload_bytes).withColumn("error", F.coalesce(*_checks(max_payload_bytes)))
    invalid = F.col("error").isNotNull()
    # created_at only when valid: an out-of-range year (a dead letter) would break a Python reader of the batch.
    created_at = F.when(~invalid, F.col("created_at_ts"))
    typed = [(created_at if name == "created_at" else _text(name)).alias(name) for name in FIELD_NAMES]
    return checked.select(
        *typed,
        "error",
        *_dead_letter_source(invalid),
    )


# --- Lifecycle events ---------------------------------------------------------------------------
_INTEGRAL = ("TINYINT", "SMALLINT", "INT", "BIGINT")
_EVENT_REQUIRED = ("event_id", "ticket_id", "event_type", "occurred_at")


def _event_checks(max_payload_bytes: int) -> list[Column]:
    """Every rule of a lifecycle event, in the order they are tried (the first that fails gives the reason)."""
    agent, team = "agent_id", "team_id"
    present = lambda name: _value(name).isNotNull() & (_type(name) != "VOID")  # noqa: E731 (absent or null: allowed)
    return [
        *_envelope_checks(max_payload_bytes),
        *_required_string_checks(_EVENT_REQUIRED),
        _check(
            present(agent) & ~_type(agent).isin(*_INTEGRAL), "wrong_type", F.concat(F.lit("agent_id: "), _type(agent))
        ),
        _check(present(team) & (_type(team) != "STRING"), "wrong_type", F.concat(F.lit("team_id: "), _type(team))),
        _check(~_text("event_id").rlike(_whole(UUID_PATTERN)), "invalid_value", "event_id is not a UUID"),
        _check(~_text("ticket_id").rlike(_whole(UUID_PATTERN)), "invalid_value", "ticket_id is not a UUID"),
        _timestamp_check("occurred_at"),
        _check(
            present(agent) & ~(F.expr("try_cast(_s_agent_id AS INT)") >= 1),
            "invalid_value",
            "agent_id must be a whole number from 1 to 2147483647",
        ),
        _check(
            present(team) & ~_text(team).isin(*(t.team_id for t in SUPPORT_TEAMS)),
            "invalid_value",
            F.concat(F.lit("team_id is not a support team: "), F.substring(_text(team), 1, 40)),
        ),
        _enum_check("event_type", [e.value for e in EventType]),
    ]


def validate_events(decoded: DataFrame, max_payload_bytes: int) -> DataFrame:
    """Add `error` (null when valid) and the typed lifecycle event fields; `raw` (the JSON text) stays on valid events.

    The same VARIANT parse and envelope rules as `validate`: a JSON type is checked, never coerced.
    """
    fields = (*_EVENT_REQUIRED, "agent_id", "team_id")
    checked = _parse(decoded, max_payload_bytes, fields, "occurred_at").withColumn(
        "error", F.coalesce(*_event_checks(max_payload_bytes))
    )
    invalid = F.col("error").isNotNull()
    return checked.select(
        *(_text(name).alias(name) for name in ("event_id", "ticket_id", "event_type")),
        F.when(~invalid, F.col("occurred_at_ts")).alias("occurred_at"),
        F.when(~invalid, F.expr("try_cast(_s_agent_id AS INT)")).alias("agent_id"),
        _text("team_id").alias("team_id"),
        "error",
        F.when(~invalid, F.col("raw")).alias("raw"),
        *_dead_letter_source(invalid),
    )


def valid_events(validated: DataFrame) -> DataFrame:
    """The valid side of `validate_events`: typed events, their JSON text, their Kafka coordinates, `occurred_date`."""
    return validated.where(F.col("error").isNull()).select(
        "event_id",
        "ticket_id",
        "event_type",
        "occurred_at",
        F.to_date("occurred_at").alias("occurred_date"),
        "agent_id",
        "team_id",
        F.col("raw").alias("value"),
        "source_partition",
        "source_offset",
        "kafka_timestamp",
    )


def valid_tickets(validated: DataFrame) -> DataFrame:
    """The valid side: typed ticket fields plus their Kafka coordinates (for lineage)."""
    return validated.where(F.col("error").isNull()).select(
        *FIELD_NAMES,
        F.col("source_partition").alias("kafka_partition"),
        F.col("source_offset").alias("kafka_offset"),
        F.col("kafka_timestamp"),
    )


def dead_letters(validated: DataFrame) -> DataFrame:
    """The invalid side, shaped for the dead-letter topic: original key and bytes, reason in headers.

    The source coordinates are also kept as columns: the publisher commits them as its marker.
    """
    header = lambda name, col: F.struct(F.lit(name).alias("key"), col.cast("binary").alias("value"))  # noqa: E731
    return validated.where(F.col("error").isNotNull()).select(
        F.col("key"),
        F.col("value"),
        F.array(
            header(DLQ_REASON, F.col("error.reason")),
            header(DLQ_DETAIL, F.col("error.detail")),
            header(DLQ_SOURCE_TOPIC, F.col("source_topic")),
            header(DLQ_SOURCE_PARTITION, F.col("source_partition").cast("string")),
            header(DLQ_SOURCE_OFFSET, F.col("source_offset").cast("string")),
        ).alias("headers"),
        "source_topic",
        "source_partition",
        "source_offset",
    )


def alerts(enriched: DataFrame, priorities: tuple[str, ...]) -> DataFrame:
    """Valid tickets of the alerting priorities, shaped for the alerts topic (key: ticket id, value: JSON).

    Stateless (a filter and a projection), so it runs in Spark's Real-time Mode.
    """
    fields = [*FIELD_NAMES, "team_id", "team_name", "first_response_due"]
    return enriched.where(F.col("priority").isin(*priorities)).select(
        F.col("ticket_id").cast("binary").alias("key"),
        F.to_json(F.struct(*fields)).cast("binary").alias("value"),
    )


def read_dead_letter_headers(dlq_kafka_df: DataFrame) -> DataFrame:
    """Flatten a DLQ topic read (with includeHeaders) into reason/detail/source columns."""

    def header(name: str) -> Column:
        return F.expr(f"filter(headers, h -> h.key = '{name}')[0].value").cast("string")

    return dlq_kafka_df.select(
        header(DLQ_REASON).alias("reason"),
        header(DLQ_DETAIL).alias("detail"),
        header(DLQ_SOURCE_TOPIC).alias("source_topic"),
        header(DLQ_SOURCE_PARTITION).cast("int").alias("source_partition"),
        header(DLQ_SOURCE_OFFSET).cast("long").alias("source_offset"),
        F.col("key").cast("string").alias("key"),
        F.col("value").cast("string").alias("value"),
        F.col("timestamp").alias("dead_lettered_at"),
    )


def _lookup(table: dict[str, str | int], key: str) -> Column:
    """`table[key]` for each row, as a literal map in the plan (null for a key it does not hold)."""
    return F.create_map(*(F.lit(item) for pair in table.items() for item in pair))[F.col(key)]


def enrich(tickets: DataFrame) -> DataFrame:
    """Add the owning support team and the SLA due times; partition column `created_date`.

    The reference tables (four rows each, `tickets.reference`) are literal maps in the plan,
    not joined DataFrames: a join would broadcast them again on every micro-batch (a Spark
    job each), where a map lookup costs nothing. An unknown key gives nulls, as a left join would.
    """
    first_response = _lookup({s.priority.value: s.first_response_minutes for s in SLA_TARGETS}, "priority")
    resolution = _lookup({s.priority.value: s.resolution_hours for s in SLA_TARGETS}, "priority")
    return tickets.select(
        *FIELD_NAMES,
        _lookup({t.request_type.value: t.team_id for t in SUPPORT_TEAMS}, "request_type").alias("team_id"),
        _lookup({t.request_type.value: t.team_name for t in SUPPORT_TEAMS}, "request_type").alias("team_name"),
        first_response.alias("sla_first_response_minutes"),
        resolution.alias("sla_resolution_hours"),
        (F.col("created_at") + F.make_dt_interval(mins=first_response)).alias("first_response_due"),
        (F.col("created_at") + F.make_dt_interval(hours=resolution)).alias("resolution_due"),
        F.to_date("created_at").alias("created_date"),
        "kafka_partition",
        "kafka_offset",
        "kafka_timestamp",
    )


def windowed_counts(tickets: DataFrame, window_duration: str, watermark_delay: str) -> DataFrame:
    """Tickets per event-time window, request type and priority, with a watermark on `created_at`.

    In append mode a window is emitted once, when the watermark (max event time
    seen minus `watermark_delay`) passes its end; later events for it are dropped.
    """
    return (
        tickets.withWatermark("created_at", watermark_delay)
        .groupBy(F.window("created_at", window_duration).alias("window"), "request_type", "priority")
        .agg(F.count("*").alias("tickets"), F.approx_count_distinct("client_id").alias("clients"))
        .select(
            F.col("window.start").alias("window_start"),
            F.col("window.end").alias("window_end"),
            "request_type",
            "priority",
            "tickets",
            "clients",
        )
    )
