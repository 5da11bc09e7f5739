"""The `hybridflow` command line: thin wrappers over the package's functions.

Each concern registers its own sub-commands (``register(subparsers)`` in its module of
:mod:`hybridflow.commands`); this file only wires them and turns the package's own
errors into one clear line and exit code 2.
"""

from __future__ import annotations

import argparse
import sys

from hybridflow import logs
from hybridflow.commands import architecture, batch, demo, report, stack, streaming, tickets, toolchain
from hybridflow.errors import HybridflowError

# One module per concern, each defines register(subparsers); `hybridflow --help` lists them in this order.
COMMAND_MODULES = (toolchain, architecture, stack, tickets, streaming, demo, batch, report)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(prog="hybridflow", description="InduTechData hybrid data platform")
    parser.add_argument(
        "--log-level", choices=logs.LEVELS, default="INFO", help="the package's log lines on stderr (default INFO)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hybridflow` script."""
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level)
    try:
        return int(args.func(args) or 0)
    except HybridflowError as exc:
        print(f"hybridflow: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hybridflow: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
