"""`hybridflow produce`: generated tickets (optionally with malformed events) to the tickets topic.

With ``--lifecycle``, the tickets and their lifecycle events (assigned, first response,
resolved, reopened, closed) go to the tickets and events topics, interleaved in simulated time
(`hybridflow.simulation.lifecycle`).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from hybridflow.config import get_settings
from hybridflow.simulation.lifecycle import (
    DEFAULT_CRM_SCALE,
    DEFAULT_DUPLICATE_RATIO,
    DEFAULT_EVENT_LATE_RATIO,
    DEFAULT_EVENT_MALFORMED_RATIO,
    DEFAULT_EVENT_MAX_LATENESS_S,
    DEFAULT_LIFECYCLE_ARRIVAL_RATE,
    DEFAULT_REOPEN_RATIO,
    DEFAULT_UNKNOWN_TICKET_RATIO,
    lifecycle_records,
    lifecycle_routes,
)
from hybridflow.tickets.generator import (
    DEFAULT_ARRIVAL_RATE,
    DEFAULT_LATE_RATIO,
    DEFAULT_MAX_LATENESS_S,
    DEFAULT_N_CLIENTS,
)
from hybridflow.tickets.producer import CLIENTS, produce, sample_events


def _iso(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not ISO-8601, e.g. 2026-01-31T09:00:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ratio(value: str) -> float:
    ratio = float(value)
    if not 0.0 <= ratio <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return ratio


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be > 0")
    return number


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} must be >= 0")
    return number


def _non_negative(value: str) -> float:
    number = float(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} must be >= 0")
    return number


def _produce_lifecycle(args: argparse.Namespace) -> int:
    settings = get_settings()
    records = lifecycle_records(
        settings,
        args.count,
        args.seed,
        args.start,
        arrival_rate=args.arrival_rate or DEFAULT_LIFECYCLE_ARRIVAL_RATE,
        malformed_ratio=DEFAULT_EVENT_MALFORMED_RATIO if args.malformed_ratio is None else args.malformed_ratio,
        ticket_options={"n_clients": args.clients, "late_ratio": args.late_ratio, "max_lateness_s": args.max_lateness},
        reopen_ratio=args.reopen_ratio,
        late_ratio=args.event_late_ratio,
        max_lateness_s=args.event_max_lateness,
        duplicate_ratio=args.duplicate_ratio,
        unknown_ticket_ratio=args.unknown_ticket_ratio,
        tail_s=args.tail,
        crm_scale=args.crm_scale,
    )
    summary = produce(
        records,
        settings,
        rate=args.rate,
        progress=not args.no_progress,
        client=args.client,
        routes=lifecycle_routes(settings, args.topic),
    )
    print(summary.line())
    if summary.interrupted:
        return 130
    return 1 if summary.failed else 0


def _produce(args: argparse.Namespace) -> int:
    if args.lifecycle:
        return _produce_lifecycle(args)
    settings = get_settings()
    events = sample_events(
        settings,
        args.malformed_ratio or 0.0,
        args.seed,
        args.start,
        n_clients=args.clients,
        # Event time runs at the send rate, so a throttled run's timestamps track the wall clock.
        arrival_rate=args.arrival_rate or args.rate or DEFAULT_ARRIVAL_RATE,
        late_ratio=args.late_ratio,
        max_lateness_s=args.max_lateness,
    )
    summary = produce(
        events,
        settings,
        topic=args.topic,
        count=args.count,
        rate=args.rate,
        progress=not args.no_progress,
        client=args.client,
    )
    print(summary.line())
    if summary.interrupted:
        return 130
    return 1 if summary.failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `produce` command."""
    p = sub.add_parser(
        "produce",
        help="produce generated tickets (and optionally malformed events) to the tickets topic",
        description="Seeded ticket generator -> Kafka (acks=all, idempotent, gzip, key=client_id). Ctrl-C stops cleanly.",
    )
    p.add_argument(
        "--count", type=_count, default=None,
        help="events to send; with --lifecycle, tickets (default: unbounded, until Ctrl-C)",
    )  # fmt: skip
    p.add_argument(
        "--rate", type=_positive, default=None,
        help="events per second; with --lifecycle, records of both topics (default: as fast as possible)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=42, help="generator seed: same seed, same events (default 42)")
    p.add_argument(
        "--malformed-ratio", type=_ratio, default=None,
        help="fraction of events that are malformed, on each topic "
        f"(0..1, default 0; with --lifecycle {DEFAULT_EVENT_MALFORMED_RATIO:g})",
    )  # fmt: skip
    p.add_argument(
        "--start", type=_iso, default=None, help="event time of the first ticket, ISO-8601 (default: now, UTC)"
    )
    p.add_argument(
        "--late-ratio", type=_ratio, default=DEFAULT_LATE_RATIO,
        help=f"fraction of tickets stamped late / out of order (default {DEFAULT_LATE_RATIO})",
    )  # fmt: skip
    p.add_argument(
        "--max-lateness", type=_positive, default=DEFAULT_MAX_LATENESS_S,
        help=f"how late a late ticket may be, in seconds (default {DEFAULT_MAX_LATENESS_S:g})",
    )  # fmt: skip
    p.add_argument(
        "--arrival-rate", type=_positive, default=None,
        help=f"simulated tickets per second of event time (default: --rate, else {DEFAULT_ARRIVAL_RATE:g}; "
        f"with --lifecycle {DEFAULT_LIFECYCLE_ARRIVAL_RATE:g})",
    )  # fmt: skip
    p.add_argument(
        "--clients", type=int, default=DEFAULT_N_CLIENTS, help=f"client population (default {DEFAULT_N_CLIENTS})"
    )
    p.add_argument("--topic", default=None, help="topic (default: settings TOPIC_TICKETS)")
    p.add_argument(
        "--client", choices=CLIENTS, default=None,
        help="Kafka client: kafka-python or confluent (librdkafka) (default: settings KAFKA_CLIENT)",
    )  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
    life = p.add_argument_group(
        "lifecycle",
        "--lifecycle also simulates each ticket's life (assigned, first response, resolved, reopened, closed) and "
        "sends it to TOPIC_EVENTS, interleaved with the tickets in simulated time. Simulated seconds per wall "
        "second ~ rate / (arrival rate x ~5 records per ticket): --rate 100 at 0.03 tickets/s is ~700x.",
    )
    life.add_argument("--lifecycle", action="store_true", help="produce tickets and their lifecycle events")
    life.add_argument(
        "--reopen-ratio", type=_ratio, default=DEFAULT_REOPEN_RATIO,
        help=f"fraction of resolved tickets reopened (default {DEFAULT_REOPEN_RATIO:g})",
    )  # fmt: skip
    life.add_argument(
        "--event-late-ratio", type=_ratio, default=DEFAULT_EVENT_LATE_RATIO,
        help=f"fraction of events delivered late, out of order (default {DEFAULT_EVENT_LATE_RATIO:g})",
    )  # fmt: skip
    life.add_argument(
        "--event-max-lateness", type=_positive, default=DEFAULT_EVENT_MAX_LATENESS_S,
        help=f"how late a late event may be, in simulated seconds (default {DEFAULT_EVENT_MAX_LATENESS_S:g})",
    )  # fmt: skip
    life.add_argument(
        "--duplicate-ratio", type=_ratio, default=DEFAULT_DUPLICATE_RATIO,
        help=f"fraction of events sent twice, same bytes (default {DEFAULT_DUPLICATE_RATIO:g})",
    )  # fmt: skip
    life.add_argument(
        "--unknown-ticket-ratio", type=_ratio, default=DEFAULT_UNKNOWN_TICKET_RATIO,
        help=f"extra events about tickets never produced, per event (default {DEFAULT_UNKNOWN_TICKET_RATIO:g})",
    )  # fmt: skip
    life.add_argument(
        "--tail", type=_non_negative, default=0.0,
        help="simulated seconds after the last ticket during which events are still sent (default 0)",
    )  # fmt: skip
    life.add_argument(
        "--crm-scale", type=_positive, default=DEFAULT_CRM_SCALE,
        help=f"the CRM seed-crm scale whose client tiers and agents to use (default {DEFAULT_CRM_SCALE:g})",
    )  # fmt: skip
    p.set_defaults(func=_produce)
