"""Hostile input through the real Spark validation: arbitrary bytes and JSON, never a failed query or a lost record.

A hypothesis property test builds batches of records shaped like a Kafka read — arbitrary
bytes, arbitrary JSON (deep nesting, huge numbers, unicode edge cases, NUL and control
characters, duplicate keys, trailing content, invalid UTF-8) and valid tickets with one or more
fields mutated into the wrong type or value — runs `decode` + `validate` on them in one Spark
query, and checks that every record comes out exactly once, either:

- as a **valid ticket** that Python reads back (every reader of the lake but Spark is Python)
  and that the pydantic model accepts with the same field values, or
- as a **dead letter** with a known reason, a detail and its original bytes;

and that whatever the model accepts (within the size limit) Spark accepts too.

The counterexamples it found are kept below as plain tests (`test_found_counterexample`).
It runs a fixed, reproducible set of examples (``derandomize``); ``HOSTILE_EXAMPLES=500``
explores more.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import Row

from hybridflow.streaming import transforms
from hybridflow.tickets.model import FIELD_NAMES, Ticket, enum_values, example

KAFKA_SCHEMA = "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"
sys.setrecursionlimit(max(sys.getrecursionlimit(), 5_000))  # json.loads of the 1,000 levels Spark accepts
LIMIT = 2_000  # bytes: as in test_transforms (same plan, compiled once per session); oversized records stay cheap
EXAMPLES = int(
    os.environ.get("HOSTILE_EXAMPLES", "4")
)  # batches of 30-120 records: one Spark query each, 2-8 s on 2 busy cores

# --- strategies --------------------------------------------------------------------------------

_odd_chars = st.sampled_from(
    ["\x00", "\x01", "\x1b", "\x7f", "\u0085", "\u00a0", "\u2028", "\u2029", "\u200b", "\ufeff", "\ufffd",
     "\u2003", "\u3000", "\u0660", "\U0001f600", "e\u0301", "\ud800", "\udfff", "\n", "\r", "\t", " ", '"', "\\"]
)  # fmt: skip
hostile_text = st.lists(st.one_of(st.characters(codec=None, categories=None), _odd_chars), max_size=12).map("".join)

_huge_numbers = st.one_of(
    st.integers(min_value=-(10**60), max_value=10**60),
    st.sampled_from([10**400, -(10**400), 2**63, -(2**63) - 1]),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    st.none() | st.booleans() | _huge_numbers | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)


def _valid_fields() -> st.SearchStrategy[dict]:
    digits = st.text(alphabet="0123456789", min_size=5, max_size=5)
    when = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))
    return st.fixed_dictionaries({
        "ticket_id": st.uuids().map(str),
        "client_id": digits.map(lambda d: "C" + d),
        "created_at": when.map(lambda t: t.isoformat().replace("+00:00", "Z")),
        "request": st.one_of(st.just(example().request), hostile_text),
        "request_type": st.sampled_from(enum_values("request_type")),
        "priority": st.sampled_from(enum_values("priority")),
    })  # fmt: skip


def _mutate(draw: st.DrawFn, doc: dict) -> dict:
    """Zero or more of: a field replaced by any JSON value, a field removed, an extra (deep) field."""
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(FIELD_NAMES))
        action = draw(st.sampled_from(["replace", "delete", "extra", "deep", "edge"]))
        if action == "replace":
            doc[name] = draw(json_values)
        elif action == "delete":
            doc.pop(name, None)
        elif action == "extra":
            doc[draw(hostile_text)] = draw(json_values)
        elif action == "deep":
            depth = draw(st.integers(1, 400))
            doc["nested"] = json.loads("[" * depth + "]" * depth)
        else:  # a near-miss value of this field
            doc[name] = draw(st.sampled_from([
                f"{doc.get(name, '')}\n", f" {doc.get(name, '')}", "", " ", "\u00a0", "C\u0660\u0660\u0660\u0660\u0660",
                "0000-01-31T09:15:00Z", "2026-02-30T09:15:00Z", "9999-12-31T23:59:59-23:59", "2026-01-31T09:15:00+99:00",
                "2026-01-31T23:59:60Z", "3F1C9A52-8D4E-4B7A-9C2E-1A2B3C4D5E6F", "x" * 2001, "CRITICAL",
            ]))  # fmt: skip
    return doc


def _serialise(draw: st.DrawFn, doc: dict) -> bytes:
    """The document as bytes, possibly damaged: duplicate key, trailing content, BOM, bad UTF-8, truncation."""
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    damage = draw(st.sampled_from(["none"] * 6 + ["duplicate", "trailing", "bom", "bad_utf8", "truncate", "spaces"]))
    if damage == "duplicate" and doc:
        key = draw(st.sampled_from(sorted(doc)))
        text = "{" + json.dumps(key) + ": " + json.dumps(draw(json_values)) + ", " + text[1:]
    elif damage == "trailing":
        text += draw(st.sampled_from(["}", "]", "]}", " x", ", null", " {}", "\x00", "\n", "//", "]" + text]))
    elif damage == "spaces":
        text = " \t\r\n" + text + "\n "
    data = text.encode("utf-8", "surrogatepass")
    if damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "bad_utf8":
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80"]))
            + data[at:]
        )
    elif damage == "truncate":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    return data


@st.composite
def records(draw: st.DrawFn) -> bytes | None:
    """One Kafka record value: None, arbitrary bytes, arbitrary JSON, deep nesting, or a (damaged) ticket."""
    kind = draw(st.sampled_from(["ticket"] * 5 + ["bytes", "json", "deep", "null", "sized"]))
    if kind == "null":
        return None
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "json":
        return json.dumps(draw(json_values)).encode("utf-8", "surrogatepass")
    if kind == "deep":
        depth = draw(st.integers(1, 1_500))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return (opener * depth + "1" + closer * depth).encode()
    doc = draw(_valid_fields())
    if kind == "sized":  # around the size limit: one byte under, at, one over
        base = len(json.dumps(doc | {"request": ""}).encode())
        doc["request"] = "r" * (LIMIT - base + draw(st.integers(-1, 1)))
        return json.dumps(doc).encode()
    return _serialise(draw, _mutate(draw, doc))


# --- the property --------------------------------------------------------------------------------


def validate_batch(spark, values: list[bytes | None]) -> list[Row]:
    """One Spark query: the Kafka-shaped batch through `decode` + `validate`, in offset order."""
    t0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    rows = [Row(key=None, value=v, topic="hostile", partition=0, offset=i, timestamp=t0) for i, v in enumerate(values)]
    df = spark.createDataFrame(rows, KAFKA_SCHEMA)
    out = transforms.validate(transforms.decode(df), LIMIT).collect()  # a year Python cannot hold fails here
    return sorted(out, key=lambda r: r["source_offset"])


def model_accepts(value: bytes | None) -> bool:
    """The pydantic model's verdict on the bytes (size aside)."""
    if value is None:
        return False
    try:
        Ticket.from_json(value)
    except ValueError:
        return False
    return True


def model_of_fields(value: bytes) -> Ticket:
    """The model built from the six ticket fields of the record (extra fields are ignored by both sides:
    pydantic's parser stops at 255 levels of nesting or a number of ~4,300 digits, Spark's at 1,000 levels)."""
    doc = json.loads(value, parse_int=len, parse_float=len)  # numbers are never ticket fields
    return Ticket.model_validate_json(json.dumps({name: doc[name] for name in FIELD_NAMES}))


def check_batch(spark, values: list[bytes | None]) -> None:
    """Every record exactly once: a valid ticket the model agrees with, or a dead letter with a reason."""
    out = validate_batch(spark, values)
    assert [r["source_offset"] for r in out] == list(range(len(values))), "a record was lost or duplicated"
    for value, row in zip(values, out, strict=True):
        shown = repr(value[:120]) if value is not None else "None"
        if row["error"] is not None:
            # A dead letter keeps the record's original bytes (a valid ticket keeps its typed fields instead).
            assert (bytes(row["value"]) if row["value"] is not None else None) == value, f"bytes changed: {shown}"
            assert row["error"]["reason"] in transforms.REASONS, shown
            assert row["error"]["detail"], f"dead letter without a detail: {shown}"
            assert not (model_accepts(value) and len(value) <= LIMIT), (
                f"the model accepts what Spark refuses ({row['error']}): {shown}"
            )
            continue
        assert all(row[name] is not None for name in FIELD_NAMES) and row["value"] is None, shown
        ticket = model_of_fields(value)  # the model must accept what reaches the lake
        assert {name: row[name] for name in FIELD_NAMES if name != "created_at"} == {
            name: str(getattr(ticket, name)) for name in FIELD_NAMES if name != "created_at"
        }, shown
        assert row["created_at"].replace(tzinfo=UTC) == ticket.created_at, shown


@settings(
    max_examples=EXAMPLES,
    deadline=None,  # one Spark query per example: seconds on a loaded machine
    derandomize=True,  # the same examples on every run (CI); raise HOSTILE_EXAMPLES to explore
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(batch=st.lists(records(), min_size=30, max_size=120))
def test_every_hostile_record_is_a_valid_ticket_or_a_dead_letter_with_a_reason(spark, batch):
    check_batch(spark, batch)


# --- what it found, kept as plain tests ----------------------------------------------------------

_T = json.dumps(json.loads(example().to_json()))


def _with(**fields) -> bytes:
    return json.dumps(json.loads(_T) | fields).encode()


FOUND = {
    # Spark kept these as valid tickets, the model did not (or Python could not read them back):
    "client_id with a trailing newline (Java's $)": _with(client_id="C00042\n"),
    "ticket_id with a trailing newline": _with(ticket_id=example().ticket_id + "\n"),
    "created_at with a trailing newline": _with(created_at="2026-01-31T09:15:00Z\n"),
    "year 0000 (Spark's calendar has it, Python's does not)": _with(created_at="0000-01-31T09:15:00Z"),
    "request of a no-break space only (blank in Unicode, not in Java's \\S)": _with(request="\u00a0"),
    "request of ideographic spaces only": _with(request="\u2003\u3000"),
    "invalid UTF-8 inside a string": _T.replace("Ma facture", "Ma \udcff facture").encode("utf-8", "surrogateescape"),
    "a UTF-16 surrogate encoded as UTF-8": json.dumps(json.loads(_T) | {"request": "\ud800"}, ensure_ascii=False).encode("utf-8", "surrogatepass"),
    "content after the ticket": (_T + " trailing").encode(),
    "a second object after the ticket": (_T + " {}").encode(),
    "a closing bracket after the ticket": (_T + "]").encode(),
    "a closing bracket and brace after the ticket": (_T + "]}").encode(),
    "a second value after a comma": (_T + ", null").encode(),
    # The model accepted these, Spark did not:
    "client_id in Arabic-Indic digits (\\d in Rust and Python)": _with(client_id="C\u0660\u0660\u0660\u0660\u0660"),
    "a duplicate key (which value counts depends on the parser)": _T.replace('"priority": "medium"', '"priority": "low", "priority": "medium"').encode(),
    "NaN in an extra field (not JSON)": _T.replace("{", '{"n": NaN, ', 1).encode(),
    # The model raised OverflowError instead of a validation error:
    "created_at past year 9999 in UTC": _with(created_at="9999-12-31T23:59:59-23:59"),
}  # fmt: skip


def test_found_counterexamples_are_dead_letters_beside_valid_neighbours(spark):
    """Every counterexample, between valid tickets in one batch: each a dead letter the model refuses too."""
    values = [example().to_bytes(), *FOUND.values(), _with(request="[URGENT] ]} still valid"), example().to_bytes()]
    check_batch(spark, values)
    rows = validate_batch(spark, values)
    for name, row in zip(FOUND, rows[1:-2], strict=True):
        assert row["error"] is not None, f"{name}: must be a dead letter"
        assert not model_accepts(FOUND[name]), f"{name}: the model must refuse it too"
    assert [r["error"] for r in (rows[0], *rows[-2:])] == [None, None, None]
