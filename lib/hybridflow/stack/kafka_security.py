"""Kafka security in one place: who logs in as whom, how, and what each principal may do.

``KAFKA_SECURITY`` picks the mode (default ``sasl_ssl``):

- ``sasl_ssl``: clients log in with SCRAM-SHA-512 over TLS; the broker's certificate is signed
  by a local CA that `make setup` (or the broker's first start) makes in ``STATE_DIR/tls`` with
  ``openssl``; clients trust ``KAFKA_CA_FILE`` (default that CA);
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

Anonymous clients get nothing: the local broker has no plaintext listener, and the
authorizer (KRaft's ``StandardAuthorizer``) denies what no ACL allows. The ACLs are data
(`grants`), created with the topics they name (`ensure_acls`, called by ``ensure_topics``),
so a test's or the report's own topics get the same rules as the pipeline's.

The local broker itself logs in to its controller and to its own listener (transaction
markers) as ``broker`` with SASL PLAIN, over TLS, with a random secret kept in
``STATE_DIR/kafka`` (never in ``.env``): it needs no SCRAM credential to start, so it can
create the SCRAM users from the settings at every start (`ensure_users`) — a password
changed in ``.env`` takes effect at the next ``make up``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hybridflow.config import Settings
from hybridflow.errors import ConfigError, StackError
from hybridflow.stack import process

if TYPE_CHECKING:
    from kafka import KafkaAdminClient

log = logging.getLogger(__name__)

Role = Literal["admin", "producer", "streaming", "console", "broker"]
Dialect = Literal["kafka-python", "confluent", "java", "spark"]
ROLES: tuple[Role, ...] = ("admin", "producer", "streaming")

MECHANISM = "SCRAM-SHA-512"
BROKER_USER = "broker"  # the local broker's own principal (SASL PLAIN, secret in STATE_DIR/kafka)
DLQ_PREFIX = "hybridflow-dlq-"  # DeadLetterPublisher's transactional id and consumer group: hybridflow-dlq-<query id>
SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
LOCAL_DEFAULT_PREFIX = "hybridflow-local-"  # the code's own default passwords (loopback only)
PLACEHOLDER_PREFIX = "change-me"  # .env.example's placeholders
CERT_DAYS = 825


# --- client side ---------------------------------------------------------------------------------


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


def write_client_properties(settings: Settings, role: Role, path: Path, extra: dict[str, object] | None = None) -> Path:
    """A Java client properties file (0600: it holds a password) for Kafka's command-line tools."""
    from hybridflow.stack.broker import render_properties

    props = {k: str(v) for k, v in (extra or {}).items()} | client_options(settings, "java", role)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(render_properties(props))
    return path


# --- the local broker's certificates -------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    """The local CA and the broker's certificate, in ``STATE_DIR/tls`` (0700, never committed)."""

    root: Path
    ca_key: Path
    ca_cert: Path
    broker_key: Path
    broker_cert: Path
    keystore: Path  # key + certificate chain in one PEM: Kafka's ``ssl.keystore.type=PEM``
    names: Path  # the names the broker certificate was made for

    @classmethod
    def of(cls, settings: Settings) -> TlsFiles:
        """The files for these settings."""
        root = Path(settings.state_dir) / "tls"
        return cls(
            root,
            root / "ca.key",
            root / "ca.pem",
            root / "broker.key",
            root / "broker.pem",
            root / "broker-keystore.pem",
            root / "broker.names",
        )


def certificate_names(settings: Settings) -> list[str]:
    """What the broker certificate must name: loopback names and the host of KAFKA_BOOTSTRAP_SERVERS."""
    names = ["localhost", "127.0.0.1", "::1"]
    for server in settings.bootstrap_list:
        host, _ = process.parse_address(server)
        if host not in names:
            names.append(host)
    return names


def _subject_alt_names(names: Iterable[str]) -> str:
    def one(name: str) -> str:
        try:
            ipaddress.ip_address(name)
            return f"IP:{name}"
        except ValueError:
            return f"DNS:{name}"

    return ",".join(one(n) for n in names)


def _openssl(*args: str, cwd: Path) -> None:
    try:
        done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise StackError("openssl is not installed: run `make setup` (or `apt-get install openssl`).") from None
    if done.returncode != 0:
        raise StackError(
            f"openssl {args[0]} failed making the broker's certificates in {cwd}: "
            f"remove that folder and rerun `make setup`.\n{done.stderr.strip()[-600:]}"
        )


def ensure_tls(settings: Settings) -> TlsFiles:
    """Make the local CA and a broker certificate for `certificate_names` if missing (idempotent).

    The CA is made once; the broker certificate again when the names it needs change.
    """
    files = TlsFiles.of(settings)
    names = certificate_names(settings)
    if (
        files.ca_cert.is_file()
        and files.keystore.is_file()
        and files.names.is_file()
        and files.names.read_text().split() == names
    ):
        return files
    files.root.mkdir(parents=True, exist_ok=True)
    files.root.chmod(0o700)
    old = os.umask(0o077)
    try:
        with tempfile.TemporaryDirectory(dir=files.root) as tmp:
            work = Path(tmp)
            if not (files.ca_cert.is_file() and files.ca_key.is_file()):
                (work / "ca.cnf").write_text(
                    "[req]\ndistinguished_name = dn\nprompt = no\n"
                    f"[dn]\nCN = hybridflow local CA {secrets.token_hex(4)}\n"
                    "[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
                    "subjectKeyIdentifier = hash\n"
                )
                _openssl(
                    "req",
                    "-x509",
                    "-new",
                    "-newkey",
                    "rsa:2048",
                    "-noenc",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    str(CERT_DAYS * 2),
                    "-config",
                    "ca.cnf",
                    "-extensions",
                    "v3_ca",
                    cwd=work,
                )
                (work / "ca.key").replace(files.ca_key)
                (work / "ca.pem").replace(files.ca_cert)
            (work / "req.cnf").write_text("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = localhost\n")
            (work / "ext.cnf").write_text(
                "basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage = serverAuth,clientAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
                f"subjectAltName = {_subject_alt_names(names)}\n"
            )
            _openssl(
                "req",
                "-new",
                "-newkey",
                "rsa:2048",
                "-noenc",
                "-keyout",
                "broker.key",
                "-out",
                "broker.csr",
                "-config",
                "req.cnf",
                cwd=work,
            )
            _openssl(
                "x509",
                "-req",
                "-in",
                "broker.csr",
                "-CA",
                str(files.ca_cert),
                "-CAkey",
                str(files.ca_key),
                "-set_serial",
                f"0x{secrets.token_hex(16)}",
                "-days",
                str(CERT_DAYS),
                "-extfile",
                "ext.cnf",
                "-out",
                "broker.pem",
                cwd=work,
            )
            key, cert = (work / "broker.key").read_text(), (work / "broker.pem").read_text()
            (work / "keystore.pem").write_text(key + cert + files.ca_cert.read_text())
            for name, target in (
                ("broker.key", files.broker_key),
                ("broker.pem", files.broker_cert),
                ("keystore.pem", files.keystore),
            ):
                (work / name).replace(target)
        files.names.write_text(" ".join(names) + "\n")
    finally:
        os.umask(old)
    files.ca_cert.chmod(0o644)  # the CA certificate is public: any local client may read it
    log.info("made the broker's certificate for %s (CA %s)", ", ".join(names), files.ca_cert)
    return files


# --- the local broker's side ---------------------------------------------------------------------


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


def check_broker_secrets(settings: Settings, host: str) -> None:
    """Refuse to serve beyond loopback without login, or with a default or placeholder password."""
    if process.is_loopback(host):
        return
    if not enabled(settings):
        raise StackError(
            f"KAFKA_BOOTSTRAP_SERVERS={settings.kafka_bootstrap_servers} is reachable from other machines and "
            "KAFKA_SECURITY=plaintext lets anyone there read and write every topic: use sasl_ssl, or a loopback address."
        )
    for role in ROLES:
        secret = credentials(settings, role)[1]
        if secret.startswith((LOCAL_DEFAULT_PREFIX, PLACEHOLDER_PREFIX)) or len(secret) < 16:
            raise StackError(
                f"KAFKA_BOOTSTRAP_SERVERS={settings.kafka_bootstrap_servers} is reachable from other machines, and "
                f"KAFKA_{role.upper()}_PASSWORD is the default, a placeholder or shorter than 16 characters: "
                "run `make setup` (it writes random ones to .env) or set a long random one."
            )


def server_properties(settings: Settings, host: str, port: int, cport: int) -> dict[str, str]:
    """The listener and security part of the local broker's server.properties."""
    proto = protocol(settings)
    props = {
        "listeners": f"{proto}://{host}:{port},CONTROLLER://{host}:{cport}",
        "advertised.listeners": f"{proto}://{host}:{port}",
        "inter.broker.listener.name": proto,
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": f"{proto}:{proto},CONTROLLER:{proto}",
    }
    if not enabled(settings):
        return props
    name = proto.lower()
    secret = broker_secret(settings)
    plain = f'{PLAIN_LOGIN} required username="{BROKER_USER}" password="{secret}" user_{BROKER_USER}="{secret}";'
    props |= {
        # Clients log in with SCRAM; the broker itself with PLAIN (its secret, not a SCRAM credential:
        # it must log in before any SCRAM user exists, and SCRAM cannot serve a KRaft controller).
        f"listener.name.{name}.sasl.enabled.mechanisms": f"{MECHANISM},PLAIN",
        f"listener.name.{name}.{MECHANISM.lower()}.sasl.jaas.config": f"{SCRAM_LOGIN} required;",
        f"listener.name.{name}.plain.sasl.jaas.config": plain,
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": plain,
        "sasl.mechanism.controller.protocol": "PLAIN",
        "authorizer.class.name": AUTHORIZER,
        "super.users": f"{principal(settings, 'broker')};{principal(settings, 'admin')}",
        "allow.everyone.if.no.acl.found": "false",
        # Failed logins wait a moment before the answer: password guessing gets slow.
        "connection.failed.authentication.delay.ms": "500",
    }
    if settings.kafka_security == "sasl_ssl":
        tls = TlsFiles.of(settings)
        props |= {
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(tls.keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(tls.ca_cert),
            "ssl.client.auth": "none",
            "ssl.endpoint.identification.algorithm": "https",
        }
    return props


def ensure_users(settings: Settings, timeout_s: float = 30.0, as_role: Role = "broker") -> list[str]:
    """Create or update the SCRAM credentials of the principals from the settings; returns the user names.

    The local broker's own principal does it at every start (`as_role="broker"`), the admin's
    included, then waits until the admin can log in. On a broker that is not ours (Compose's
    Redpanda: its bootstrap super user is the admin) the admin does it (`as_role="admin"`) for
    the others, through the Kafka API (KIP-554, Redpanda 25.2+).
    """
    from kafka.admin import ScramMechanism, UserScramCredentialUpsertion

    from hybridflow.stack.topics import admin_client, broker_answers

    if not enabled(settings):
        return []
    roles = [r for r in user_roles(settings) if not (as_role == "admin" and r == "admin")]
    upserts = [
        UserScramCredentialUpsertion(user, ScramMechanism.SCRAM_SHA_512, password)
        for user, password in (credentials(settings, role) for role in roles)
    ]
    with admin_client(settings, role=as_role) as admin:
        errors = {u: e for u, e in admin.alter_user_scram_credentials(upserts).items() if e}
    if errors:
        raise StackError(
            f"The broker refused the SCRAM credentials of {sorted(errors)} ({errors}): "
            "check KAFKA_*_USER in .env and the broker log."
        )
    process.wait_until(
        lambda: broker_answers(settings, timeout_ms=3000, role="admin"),
        timeout_s,
        what=f"The login of {principal_name(settings, 'admin')}",
        fix="check the broker log under STATE_DIR/logs",
        interval_s=0.2,
    )
    return [u.user for u in upserts]


# --- ACLs, as data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """Operations one principal may perform on one resource (a literal name or a prefix)."""

    role: Role
    resource: Literal["topic", "group", "transactional_id", "cluster"]
    name: str
    operations: tuple[str, ...]
    why: str
    prefixed: bool = False


def grants(settings: Settings) -> list[Grant]:
    """Every ACL of the pipeline for these settings' topics (the admin is a super user and needs none)."""
    t, d, a = settings.topic_tickets, settings.topic_dlq, settings.topic_alerts
    e, b = settings.topic_events, settings.topic_breaches
    return [
        Grant(
            "producer",
            "topic",
            t,
            ("WRITE", "DESCRIBE", "DESCRIBE_CONFIGS"),
            "produce tickets; read the topic's max.message.bytes before sending",
        ),
        Grant(
            "producer",
            "topic",
            e,
            ("WRITE", "DESCRIBE", "DESCRIBE_CONFIGS"),
            "produce the tickets' lifecycle events",
        ),
        Grant("streaming", "topic", t, ("READ", "DESCRIBE"), "Spark's Kafka source reads the tickets"),
        Grant("streaming", "topic", e, ("READ", "DESCRIBE"), "Spark's Kafka source reads the lifecycle events"),
        Grant("streaming", "topic", b, ("WRITE", "DESCRIBE"), "SLA breaches, one transaction per micro-batch"),
        Grant("streaming", "topic", d, ("WRITE", "DESCRIBE"), "dead letters, one transaction per micro-batch"),
        Grant("streaming", "topic", a, ("WRITE", "DESCRIBE"), "critical tickets republished as alerts"),
        Grant(
            "streaming",
            "transactional_id",
            DLQ_PREFIX,
            ("WRITE", "DESCRIBE"),
            "the dead-letter publisher's transactions",
            prefixed=True,
        ),
        Grant(
            "streaming",
            "group",
            DLQ_PREFIX,
            ("READ", "DESCRIBE"),
            "the batch offsets committed inside each dead-letter transaction",
            prefixed=True,
        ),
        *_console_grants(settings),
    ]


def _console_grants(settings: Settings) -> list[Grant]:
    """Redpanda Console's principal, when configured: reads and describes, writes nothing."""
    if not settings.kafka_console_password:
        return []
    return [
        Grant("console", "topic", "*", ("READ", "DESCRIBE", "DESCRIBE_CONFIGS"), "browse every topic's records"),
        Grant("console", "group", "*", ("DESCRIBE",), "show consumer groups and their lag"),
        Grant("console", "cluster", "kafka-cluster", ("DESCRIBE", "DESCRIBE_CONFIGS"), "show brokers and configs"),
    ]


def _acls(settings: Settings, selected: Iterable[Grant]) -> list:
    from kafka.admin import ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern, ResourceType

    out = []
    for g in selected:
        pattern = ResourcePattern(
            ResourceType[g.resource.upper()],
            g.name,
            ACLResourcePatternType.PREFIXED if g.prefixed else ACLResourcePatternType.LITERAL,
        )
        out += [
            ACL(principal(settings, g.role), "*", ACLOperation[op], ACLPermissionType.ALLOW, pattern)
            for op in g.operations
        ]
    return out


def ensure_acls(admin: KafkaAdminClient, settings: Settings) -> int:
    """Create the ACLs of `grants` (idempotent: the broker ignores one that exists); returns how many."""
    if not enabled(settings):
        return 0
    acls = _acls(settings, grants(settings))
    result = admin.create_acls(acls)
    if result["failed"]:
        raise StackError(
            f"The broker refused {len(result['failed'])} ACLs ({result['failed'][0]}): "
            f"KAFKA_ADMIN_USER={principal_name(settings, 'admin')} must be a super user of the broker."
        )
    return len(acls)


def drop_topic_acls(admin: KafkaAdminClient, settings: Settings, topics: Iterable[str]) -> None:
    """Delete every ACL naming one of `topics` literally (the topics are being deleted)."""
    from kafka.admin import (
        ACLFilter,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePatternFilter,
        ResourceType,
    )

    if not enabled(settings):
        return
    filters = [
        ACLFilter(
            None,
            None,
            ACLOperation.ANY,
            ACLPermissionType.ANY,
            ResourcePatternFilter(ResourceType.TOPIC, t, ACLResourcePatternType.LITERAL),
        )
        for t in topics
    ]
    if filters:
        admin.delete_acls(filters)
