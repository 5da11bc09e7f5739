"""Who a Kafka client logs in as, and how: the client side of the project's Kafka security.

``KAFKA_SECURITY`` picks the mode (default ``sasl_ssl``):

- ``sasl_ssl``: clients log in with SCRAM-SHA-512 over TLS; they trust ``KAFKA_CA_FILE`` (default
  the local CA that `make setup`, or the local broker's first start, makes in ``STATE_DIR/tls``);
- ``sasl_plaintext``: SCRAM-SHA-512 without TLS, for a private network (Compose's);
- ``plaintext``: no login and no ACLs, for whoever needs it.

Every Kafka client of the project takes its security options from `client_options`, in its
own dialect (kafka-python, confluent-kafka, Java properties for Kafka's tools, Spark's
``kafka.`` options), for one of three principals:

==============  =====================================================================================
``admin``       ``KAFKA_ADMIN_USER``: a super user; creates topics and ACLs, reads anything (reports, tests)
``producer``    ``KAFKA_PRODUCER_USER``: writes the tickets topic (and reads its ``max.message.bytes``)
``streaming``   ``KAFKA_STREAMING_USER``: reads tickets; writes dead letters and alerts; the dead-letter
                publisher's transactional ids and consumer groups (``hybridflow-dlq-*``)
==============  =====================================================================================

What each principal may do is data too (:mod:`hybridflow.kafka.access`). The local broker's own
principal, ``broker``, logs in with SASL PLAIN and a random secret kept in ``STATE_DIR/kafka``
(`broker_secret`, never in ``.env``); how the local broker serves all this (listeners, TLS
certificates, the authorizer) is :mod:`hybridflow.services.broker_security`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from hybridflow.config import Settings
from hybridflow.errors import ConfigError

Role = Literal["admin", "producer", "streaming", "console", "broker"]
Dialect = Literal["kafka-python", "confluent", "java", "spark"]
ROLES: tuple[Role, ...] = ("admin", "producer", "streaming")

MECHANISM = "SCRAM-SHA-512"
BROKER_USER = "broker"  # the local broker's own principal (SASL PLAIN, secret in STATE_DIR/kafka)
DLQ_PREFIX = "hybridflow-dlq-"  # DeadLetterPublisher's transactional id and consumer group: hybridflow-dlq-<query id>
SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule"


def enabled(settings: Settings) -> bool:
    """True when clients log in (KAFKA_SECURITY is not plaintext)."""
    return settings.kafka_security != "plaintext"


def protocol(settings: Settings) -> str:
    """Kafka's name of the security protocol: SASL_SSL, SASL_PLAINTEXT or PLAINTEXT."""
    return settings.kafka_security.upper()


def principal_name(settings: Settings, role: Role) -> str:
    """The user name `role` logs in as."""
    if role == "broker":
        return BROKER_USER
    return str(getattr(settings, f"kafka_{role}_user"))


def principal(settings: Settings, role: Role) -> str:
    """The ACL principal of `role`, e.g. ``User:hybridflow-producer``."""
    return f"User:{principal_name(settings, role)}"


def credentials(settings: Settings, role: Role) -> tuple[str, str]:
    """(user, password) of `role` (the broker's own comes from its state folder)."""
    if role == "broker":
        return BROKER_USER, broker_secret(settings)
    if role not in (*ROLES, "console"):
        raise ValueError(f"unknown Kafka role {role!r}: one of {', '.join(ROLES)}, console")
    password = getattr(settings, f"kafka_{role}_password")
    if password is None:
        raise ConfigError(f"KAFKA_{role.upper()}_USER / KAFKA_{role.upper()}_PASSWORD are not set: set both in .env.")
    return principal_name(settings, role), password.get_secret_value()


def user_roles(settings: Settings) -> tuple[Role, ...]:
    """The principals that get a SCRAM user: the three of the pipeline, and Console's when it is configured."""
    return (*ROLES, "console") if settings.kafka_console_password else ROLES


def check_ca(settings: Settings) -> None:
    """Fail with the fix, before connecting, when a TLS client would not find the CA it must trust."""
    ca = settings.kafka_ca_path
    if settings.kafka_security == "sasl_ssl" and not ca.is_file():
        raise ConfigError(
            f"KAFKA_SECURITY=sasl_ssl but the CA certificate {ca} does not exist: run `make setup` "
            "(it makes the local broker's CA), or set KAFKA_CA_FILE to your broker's CA."
        )


def _ca_file(settings: Settings) -> str:
    # Not checked here: options are built without connecting (unit tests, a query plan); clients call check_ca.
    return str(settings.kafka_ca_path)


def jaas_config(settings: Settings, role: Role) -> str:
    """Java's ``sasl.jaas.config`` for `role` (SCRAM; the broker's own login is PLAIN)."""
    user, password = credentials(settings, role)
    module = PLAIN_LOGIN if role == "broker" else SCRAM_LOGIN
    return f'{module} required username="{user}" password="{password}";'


def client_options(settings: Settings, dialect: Dialect, role: Role) -> dict[str, Any]:
    """The security options of a Kafka client logging in as `role`, in the client's own dialect.

    Merge them into the client's configuration: ``KafkaProducer(**opts)`` (kafka-python),
    ``Producer(config | opts)`` (confluent-kafka), ``-D``/properties (Java tools), and
    ``.option(k, v)`` (Spark, already prefixed ``kafka.``). Empty with KAFKA_SECURITY=plaintext.
    The password is in the result: never log it.
    """
    if not enabled(settings):
        return {}
    user, password = credentials(settings, role)
    mechanism = "PLAIN" if role == "broker" else MECHANISM
    tls = settings.kafka_security == "sasl_ssl"
    if dialect == "kafka-python":
        opts = {
            "security_protocol": protocol(settings),
            "sasl_mechanism": mechanism,
            "sasl_plain_username": user,
            "sasl_plain_password": password,
        }
        return opts | ({"ssl_cafile": _ca_file(settings), "ssl_check_hostname": True} if tls else {})
    if dialect == "confluent":
        opts = {
            "security.protocol": protocol(settings),
            "sasl.mechanism": mechanism,
            "sasl.username": user,
            "sasl.password": password,
        }
        return opts | (
            {"ssl.ca.location": _ca_file(settings), "ssl.endpoint.identification.algorithm": "https"} if tls else {}
        )
    if dialect in ("java", "spark"):
        opts = {
            "security.protocol": protocol(settings),
            "sasl.mechanism": mechanism,
            "sasl.jaas.config": jaas_config(settings, role),
        }
        if tls:
            opts |= {
                "ssl.truststore.type": "PEM",
                "ssl.truststore.location": _ca_file(settings),
                "ssl.endpoint.identification.algorithm": "https",
            }
        return {f"kafka.{k}": v for k, v in opts.items()} if dialect == "spark" else opts
    raise ValueError(f"unknown Kafka client dialect {dialect!r}")


def broker_secret_file(settings: Settings) -> Path:
    """Where the broker's own PLAIN secret lives (0600)."""
    return Path(settings.state_dir) / "kafka" / "broker.secret"


def broker_secret(settings: Settings) -> str:
    """The local broker's own secret, made once (random)."""
    path = broker_secret_file(settings)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o077)
        try:
            path.write_text(secrets.token_urlsafe(32) + "\n")
        finally:
            os.umask(old)
    return path.read_text().strip()
