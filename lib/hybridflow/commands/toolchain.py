"""`hybridflow setup`: check Java, resolve the JVM jars, make the local secrets and the broker's certificates."""

from __future__ import annotations

import argparse

from hybridflow.config import get_settings, settings_markdown
from hybridflow.local_secrets import ensure_local_secrets, env_file
from hybridflow.services.broker import KafkaBroker
from hybridflow.services.broker_security import ensure_tls
from hybridflow.toolchain import check_java, ensure_jars, java_major_version


def _setup(args: argparse.Namespace) -> int:
    written = ensure_local_secrets()  # before the settings are read: they take these values
    settings = get_settings()
    java = check_java()
    counts = ensure_jars(settings, force=args.force)
    summary = ", ".join(f"{n} {p} jars" for p, n in counts.items()) + f" in {settings.jars_dir}"
    if settings.kafka_security == "sasl_ssl" and KafkaBroker().enabled(settings):
        summary += f"; broker certificate and CA in {ensure_tls(settings).root}"
    if written:
        summary += f"; random {', '.join(written)} written to {env_file()}"
    print(f"setup: Java {java_major_version(java)} ({java}); {summary}")
    return 0


def _settings(args: argparse.Namespace) -> int:
    if args.markdown:
        print(settings_markdown())
        return 0
    for name, value in get_settings().model_dump().items():
        print(f"{name.upper():28} {value}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `setup` and `settings` commands."""
    s = sub.add_parser("settings", help="show the effective settings (secrets masked)")
    s.add_argument(
        "--markdown", action="store_true", help="print the configuration table of docs/configuration.md instead"
    )
    s.set_defaults(func=_settings)
    p = sub.add_parser(
        "setup",
        help="check Java, resolve the JVM jars with Maven, random local secrets in .env, the broker's TLS certificates (idempotent)",
    )
    p.add_argument("--force", action="store_true", help="re-resolve even if up to date")
    p.set_defaults(func=_setup)
