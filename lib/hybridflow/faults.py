"""What the platform survives, as data: each fault, what the platform does, and the test that proves it.

One list (`FAULTS`) renders the fault table of docs/robustness.md (`faults_markdown`, kept in sync by a unit
test) and the self-assessment notebook's (`frame`). A fault without a test says so: it is not
claimed. Every named test must exist (a unit test checks the files and test functions).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Fault:
    """One thing that goes wrong, what the platform does about it, and the test (file::function) that proves it."""

    fault: str
    behaviour: str
    test: str | None  # "path/to/test_file.py::test_name", or None when no test covers it yet
    measured: str = ""


FAULTS: tuple[Fault, ...] = (
    Fault(
        "Broker SIGKILLed and restarted during a 100,000-ticket `hybridflow produce` (private broker)",
        "Short outage: the idempotent producer retries, nothing fails, exit 0, the topic holds each ticket exactly once. "
        "Outage longer than the delivery timeout: the summary counts the failed tickets, exit 1, no ticket twice, "
        "every acknowledged one in the topic.",
        "tests/integration/robustness/test_broker_killed_while_producing.py::test_a_short_outage_loses_nothing_and_duplicates_nothing",
        "broker down 26 s: 100,000 sent, 0 failed; down 38 s with a 8 s delivery timeout: 10,232 sent, 89,768 failed, exit 1",
    ),
    Fault(
        "(same, long outage)",
        "Records still pending when the delivery timeout ends are counted failed: the command ends on its "
        "summary line and exit status 1, not a traceback.",
        "tests/integration/robustness/test_broker_killed_while_producing.py::test_a_long_outage_is_counted_and_said_by_the_exit_status",
    ),
    Fault(
        "Streaming job SIGKILLed three times while draining a backlog",
        "Restarted from its checkpoints: the tickets table read without Spark equals the valid input exactly, the "
        "dead-letter topic (read_committed) the malformed input exactly, each closed window once.",
        "tests/integration/streaming/test_crash.py::test_tickets_read_without_spark_are_the_valid_input_exactly_once",
    ),
    Fault(
        "Streaming job SIGKILLed three times while the lifecycle drains a backlog of tickets and events",
        "Restarted from its checkpoints and its state store: `ticket_status` read without Spark equals, ticket by "
        "ticket, what the topics call for; each breach and each orphan event is read once (read_committed).",
        "tests/integration/streaming/test_lifecycle_crash.py::test_ticket_status_read_without_spark_equals_the_oracle",
    ),
    Fault(
        "The lifecycle's last micro-batch replayed (its commit removed from the checkpoint, as after a crash)",
        "Recognised by the commit markers and the breach transaction's marker: no new Delta version, no breach "
        "published twice.",
        "tests/integration/streaming/test_lifecycle.py::test_a_replayed_lifecycle_batch_changes_nothing",
    ),
    Fault(
        "Lifecycle events late, duplicated, out of order, for an unknown ticket, or malformed",
        "Late (within LIFECYCLE_WATERMARK_DELAY) and out-of-order events give the same row as in order; a repeated "
        "event_id changes nothing; an event waits for its ticket, then goes to the dead letters as orphan_event "
        "after ORPHAN_EVENT_TTL; a malformed one goes there with its reason.",
        "tests/unit/streaming/test_lifecycle_state.py::test_any_order_duplication_and_batching_within_the_delay_gives_the_same_row",
    ),
    Fault(
        "PostgreSQL stopped in the middle of an incremental batch ETL run (private server)",
        "One sentence naming the table and the fix (`Reading crm.clients for table 'clients' failed during the run "
        "(PSQLException: Connection to localhost:… refused…): the lake table and its high-water mark are unchanged; …`); "
        "the Delta table keeps its version and rows (readers see the previous version); the mark did not move; the next "
        "run loads exactly the rows that were missed.",
        "tests/integration/robustness/test_postgres_stopped_mid_batch.py::test_a_database_lost_mid_run_leaves_the_lake_and_the_mark_as_they_were",
    ),
    Fault(
        "Unwritable lake or checkpoint location (permissions, read-only or immutable folder, a file in the way)",
        "`hybridflow stream` stops at start, before the broker or Spark, with one sentence naming the location and "
        "LAKE_URI / CHECKPOINT_URI; exit 2.",
        "tests/unit/test_preflight.py::test_the_stream_command_fails_fast_in_one_line",
    ),
    Fault(
        "A record larger than its topic's max.message.bytes",
        "Not sent: counted failed with `RecordTooLarge: … larger than max.message.bytes of topic 'T' (L bytes) …`, "
        "the rest delivered, exit 1 — with either client.",
        "tests/integration/robustness/test_record_size.py::test_a_record_over_the_limit_fails_naming_the_limit_and_the_rest_is_sent",
    ),
    Fault(
        "A record just under that limit (far over MAX_PAYLOAD_BYTES)",
        "Dead-lettered as oversized_payload with its original bytes, beside its micro-batch's valid tickets; the "
        "dead-letter topic has 64 KiB more room than the tickets topic.",
        "tests/integration/robustness/test_record_size.py::test_a_record_just_under_the_limit_is_dead_lettered_without_breaking_its_batch",
    ),
    Fault(
        "Broker SIGKILLed and restarted while `hybridflow stream --available-now` drains a backlog (private broker)",
        "The job rides the outage out: Spark's Kafka source reconnects, and the dead-letter publisher retries the "
        "batch's transaction until the broker is back. If it cannot (an outage longer than four request timeouts), "
        "it stops with one sentence naming the cause and the fix (`The streaming job stopped (…): … rerun "
        "`hybridflow stream`: it resumes from its checkpoints …`), exit 2, never a Python traceback. Either way the "
        "tickets table holds exactly the valid input and the dead-letter topic (read_committed) exactly the "
        "malformed input, once each.",
        "tests/integration/robustness/test_broker_restarted_while_streaming.py::test_the_job_rides_the_outage_out_or_stops_with_one_clear_line",
        "12,000 tickets + 371 malformed, batches of 2,000, broker down ~30 s: exit 0 in one run, nothing lost or "
        "doubled",
    ),
    Fault(
        "Broker SIGKILLed while the job publishes a batch's dead letters (private broker)",
        "The publish waits for the broker, following librdkafka's rules: a retriable commit is retried, an "
        "abortable transaction aborted and begun again, a producer left in a fatal state replaced by a new one "
        "(whose start completes or aborts the old one's transaction; so is one the restarted broker fenced with an "
        "\"old epoch\" after the outage), then the batch's marker is checked so nothing is sent twice. An outage longer than the publisher allows fails the batch with the broker's error; closing "
        "the publisher then raises nothing, so the job's one-line error is the real cause. A zombie publisher "
        "(fenced by a newer incarnation of the query, with no outage before) fails at once and never fences the "
        "new one back.",
        "tests/integration/robustness/test_broker_restarted_while_publishing_dead_letters.py::test_a_publish_rides_a_broker_restart_out_and_lands_once",
        "6,500 dead letters published while the broker was down, back 5 s later: each once in the topic "
        "(read_committed), none lost; the fenced zombie fails within one request timeout",
    ),
    Fault(
        "Object store (versitygw) stopped for 15 s while the job writes its lake and checkpoints to S3 (private store)",
        "The job rides it out (S3A retries) or stops with one `hybridflow:` line and exit 2, then resumes from its "
        "checkpoints in the bucket; read back without Spark, the tickets table holds exactly the valid input and the "
        "dead-letter topic exactly the malformed input, once each.",
        "tests/integration/robustness/test_object_store_stopped_while_streaming.py::test_the_job_rides_the_outage_out_or_stops_with_one_clear_line",
        "12,000 tickets + 371 malformed, batches of 2,000: store stopped at table version 1, the job kept running "
        "through the outage and finished at version 6, exit 0, nothing lost or doubled",
    ),
    Fault(
        "A Kafka client that does not log in — plaintext, TLS without SASL — or logs in with a wrong password or an "
        "unknown user (secured broker, the default)",
        "Refused: no listener takes an anonymous client; librdkafka reports `SASL authentication error: Authentication "
        "failed … SCRAM-SHA-512`, the broker logs `Failed authentication`, and the project's own clients stop with one "
        "sentence naming the password setting to check (`… did not let 'hybridflow-producer' in … check "
        "KAFKA_PRODUCER_PASSWORD …`).",
        "tests/integration/security/test_kafka_login_and_acls.py::test_a_wrong_password_or_an_unknown_user_is_refused",
    ),
    Fault(
        "A principal reaching beyond its ACLs: the producer reading tickets, writing dead letters or creating a topic; "
        "the streaming job writing tickets, reading dead letters or using another transactional id",
        "Refused by the broker (TopicAuthorizationFailed, TransactionalIdAuthorizationFailed; the topic is not "
        "created), while each one's own work — tickets produced with both clients and Kafka's Java tool, tickets read, "
        "dead letters in a transaction, alerts — goes through.",
        "tests/integration/security/test_kafka_login_and_acls.py::test_the_streaming_job_reads_tickets_writes_dead_letters_and_alerts_and_nothing_else",
    ),
    Fault(
        "Ticket text that attacks the report: `<script>`, `<img onerror=…>`, `\\input{/etc/passwd}`, `\\write18{…}`, "
        "unbalanced braces, `%` `#` `&`, a Markdown table, NUL and bidirectional characters in a valid ticket's request",
        "The HTML report shows it as text (no tag made of it); the PDF builds and shows every character as typed "
        "(control and bidirectional characters as their escape, a NUL included); `\\write18` runs nothing, "
        "`\\input` reads nothing.",
        "tests/unit/report/test_hostile_text.py::test_the_pdf_builds_and_shows_the_text_literally",
    ),
)


def frame() -> pd.DataFrame:
    """The fault table for a notebook (French column names; the texts are those of docs/robustness.md)."""
    return pd.DataFrame(
        [
            {
                "panne": f.fault,
                "ce que fait la plateforme": f.behaviour,
                "mesuré": f.measured,
                "test qui le prouve": f.test or "aucun (pas encore prouvé)",
            }
            for f in FAULTS
        ]
    )


def faults_markdown() -> str:
    """The fault table of docs/robustness.md (a unit test keeps the page in sync)."""
    lines = ["| fault | what the platform does | proved by |", "|---|---|---|"]
    for f in FAULTS:
        measured = f" Measured: {f.measured}." if f.measured else ""
        proof = f"`{f.test.replace('::', '` `')}`" if f.test else "*(no test yet)*"
        lines.append(f"| {f.fault} | {f.behaviour}{measured} | {proof} |")
    return "\n".join(lines)
