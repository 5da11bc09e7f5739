"""`hybridflow up | down | status`: the local stack from the command line."""

from __future__ import annotations

import argparse
import sys

from hybridflow.config import get_settings
from hybridflow.stack import services


def _up(args: argparse.Namespace) -> int:
    settings = get_settings()
    names = ", ".join(s.name for s in services.enabled_services(settings))
    # A cold start takes 5-15 s: say so before the wait (stderr, so stdout stays the one summary line).
    print(f"up: starting {names or 'nothing local'} if not running, then the topics …", file=sys.stderr, flush=True)
    print(services.up(settings).summary())
    return 0


def _down(args: argparse.Namespace) -> int:
    stopped = services.down(get_settings())
    print(f"down: stopped {', '.join(stopped)}" if stopped else "down: nothing was running")
    return 0


def _status(args: argparse.Namespace) -> int:
    rows = services.status(get_settings())
    for row in rows:
        print(row.line())
    if args.check:  # scripts: exit 1 when an enabled service is not running
        return 0 if all(r.running for r in rows) else 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `up`, `down` and `status` commands."""
    sub.add_parser("up", help="start the local stack (Kafka broker, KRaft) and create the topics").set_defaults(func=_up)
    sub.add_parser("down", help="stop the local stack").set_defaults(func=_down)
    p = sub.add_parser("status", help="show what the local stack runs (state, pid, address, topics)")
    p.add_argument("--check", action="store_true", help="exit 1 if an enabled service is not running")
    p.set_defaults(func=_status)
