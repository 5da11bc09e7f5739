"""A checked Kafka admin client (kafka-python), and the errors every client raises when the broker says no.

`admin_client` probes the port first (failing at once when nothing listens), checks the CA a TLS
client must trust, logs in as one of the principals (:mod:`hybridflow.kafka.security`), and turns
a failed bootstrap into one sentence: `unreachable` (nothing answers) or `refused` (the broker
answers, the login or the TLS handshake fails).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from kafka import KafkaAdminClient
from kafka.errors import KafkaError, KafkaTimeoutError

from hybridflow.config import Settings
from hybridflow.errors import ConfigError, StackError
from hybridflow.kafka import security
from hybridflow.kafka.security import Role
from hybridflow.probes import parse_address, port_answers

log = logging.getLogger(__name__)


def unreachable(settings: Settings, reason: str = "") -> StackError:
    """The error every client raises when the broker does not answer."""
    why = f" ({reason})" if reason else ""
    return StackError(
        f"Kafka broker at {settings.kafka_bootstrap_servers} is not reachable{why}: "
        "run `make up` or set KAFKA_BOOTSTRAP_SERVERS."
    )


def refused(settings: Settings, role: Role, reason: str = "") -> StackError:
    """The error a client raises when the broker answers but its login (or TLS handshake) fails."""
    user = security.principal_name(settings, role)
    what = "the broker's own secret in STATE_DIR/kafka" if role == "broker" else f"KAFKA_{role.upper()}_PASSWORD"
    return StackError(
        f"Kafka broker at {settings.kafka_bootstrap_servers} answers but did not let {user!r} in with "
        f"KAFKA_SECURITY={settings.kafka_security} ({reason or 'login refused'}): check {what}, KAFKA_SECURITY and "
        "KAFKA_CA_FILE in .env; `make up` updates the local broker's users from .env."
    )


@contextmanager
def admin_client(settings: Settings, timeout_ms: int | None = None, role: Role = "admin") -> Iterator[KafkaAdminClient]:
    """A KafkaAdminClient for the settings' broker, logged in as `role`, closed on exit.

    Args:
        timeout_ms: bootstrap and request timeout (default: settings.kafka_request_timeout_ms).
        role: the principal (:mod:`hybridflow.kafka.security`): admin by default; the producer and the streaming job
            use their own for what their ACLs allow (topic metadata and limits, their consumer groups).

    Raises:
        StackError: the broker is not reachable, or refused the login (with the fix).
    """
    timeout_ms = timeout_ms or settings.kafka_request_timeout_ms
    # A TCP probe first: failing here is instant, and it avoids starting the client's
    # IO thread against a port nobody listens on.
    if not any(port_answers(*parse_address(s), timeout_s=min(2.0, timeout_ms / 1000)) for s in settings.bootstrap_list):
        raise unreachable(settings, "nothing listens there")
    security.check_ca(settings)
    # kafka-python 3.0.12 starts its IO thread before bootstrapping and leaves it running
    # when bootstrap fails; building the object in two steps lets us stop it (no thread
    # leak per failed readiness probe in a long-lived process such as pytest or Jupyter).
    admin = KafkaAdminClient.__new__(KafkaAdminClient)
    try:
        admin.__init__(
            bootstrap_servers=settings.bootstrap_list,
            client_id="hybridflow-admin",
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
            **security.client_options(settings, "kafka-python", role),
        )
    except KafkaError as exc:
        _discard(admin)
        # The port answered: with a login to make, a failed bootstrap is a refused login or TLS handshake
        # (kafka-python 3.0 retries those until its timeout and then reports only "Unable to bootstrap").
        if security.enabled(settings) and isinstance(exc, KafkaTimeoutError):
            raise refused(settings, role, type(exc).__name__) from None
        raise unreachable(settings, type(exc).__name__) from None
    try:
        yield admin
    finally:
        admin.close()


def _discard(admin: KafkaAdminClient) -> None:
    """Release what a half-constructed admin client holds (its IO thread, sockets)."""
    for attr, method in (("_client", "close"), ("_net", "stop")):
        part = getattr(admin, attr, None)
        if part is not None:
            try:
                getattr(part, method)()
            except Exception:
                log.debug("could not %s %s", method, attr, exc_info=True)


def broker_answers(settings: Settings, timeout_ms: int = 3000, role: Role = "admin") -> bool:
    """True when the broker answers a metadata request of `role` within `timeout_ms`."""
    try:
        with admin_client(settings, timeout_ms=timeout_ms, role=role) as admin:
            admin.list_topics()
        return True
    except (StackError, ConfigError, KafkaError, OSError):  # ConfigError: the CA to trust is missing
        return False
