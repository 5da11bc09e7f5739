"""How the local broker serves Kafka security: its listeners' SASL and TLS, its certificates, its own login.

The clients' side (who logs in as whom, in which dialect) is :mod:`hybridflow.kafka.security`;
what each principal may do is :mod:`hybridflow.kafka.access`. Here, for the broker `make up` runs:

- one SASL listener for clients (SCRAM-SHA-512, over TLS with ``sasl_ssl``), the controller on
  the same protocol, KRaft's ``StandardAuthorizer`` with the admin and the broker as super users
  (`server_properties`);
- the local CA and the broker's certificate, made with ``openssl`` in ``STATE_DIR/tls`` (`ensure_tls`);
- the broker's own login: SASL PLAIN with a random secret kept in ``STATE_DIR/kafka`` (never in
  ``.env``): it needs no SCRAM credential to start, so it can create the SCRAM users from the
  settings at every start (:func:`hybridflow.kafka.access.ensure_users`);
- no serving beyond loopback without login or with a default password (`check_broker_secrets`).
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

from hybridflow.config import LOCAL_DEFAULT_PREFIX, PLACEHOLDER_PREFIX, Settings
from hybridflow.errors import StackError
from hybridflow.kafka.security import (
    BROKER_USER,
    MECHANISM,
    PLAIN_LOGIN,
    ROLES,
    SCRAM_LOGIN,
    broker_secret,
    credentials,
    enabled,
    principal,
    protocol,
)
from hybridflow.probes import is_loopback, parse_address

log = logging.getLogger(__name__)

AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
CERT_DAYS = 825


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
        host, _ = parse_address(server)
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


def check_broker_secrets(settings: Settings, host: str) -> None:
    """Refuse to serve beyond loopback without login, or with a default or placeholder password."""
    if is_loopback(host):
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
