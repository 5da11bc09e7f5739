"""Stand-ins for the Compose images this machine cannot pull: `redpanda` and `rpk`, played by Apache Kafka.

`make compose-test` runs the real `docker-compose.yml` with no image registry at hand. The
Redpanda image is replaced by the app image plus two commands, so the Compose file's own
lines run unchanged:

- ``redpanda start <flags>`` (the broker service's command) reads Redpanda's flags and starts a
  single-node Kafka broker (KRaft) from the Maven jars with the same listeners, advertised
  addresses, memory bound and topic auto-creation rule;
- ``rpk cluster info`` / ``rpk topic create|describe`` (the health check and `topic-init`)
  do the same through kafka-python, logged in with ``-X user=… -X pass=… -X sasl.mechanism=…``.

SASL as Redpanda does it: ``--set redpanda.enable_sasl=true`` makes every Kafka listener ask
for a SCRAM login (SASL_PLAINTEXT, SCRAM-SHA-512), ``--set redpanda.superusers=[…]`` names the
super users (Kafka's StandardAuthorizer, ACLs for everyone else), and ``RP_BOOTSTRAP_USER``
(``user:password[:mechanism]``) is created on the first start (``kafka-storage format
--add-scram``). The broker logs in to itself and its controller with PLAIN and a random
secret of its own, as the local broker does (hybridflow.kafka.security).

What Kafka has no equivalent for (the HTTP proxy, the schema registry, the admin API, hence
Redpanda Console) is reported on start and left out; the static tests check those flags.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from hybridflow.kafka.security import BROKER_USER, MECHANISM, PLAIN_LOGIN, SCRAM_LOGIN
from hybridflow.services.broker_security import AUTHORIZER

DATA_DIR = Path("/var/lib/redpanda/data")
KAFKA_JARS = Path("/app/.state/jars/kafka")
DEFAULT_MEMORY = "1G"
# Flags the stand-in understands, and those it accepts but cannot honour (no Kafka equivalent).
WITHOUT_EQUIVALENT = (
    "pandaproxy-addr",
    "advertise-pandaproxy-addr",
    "schema-registry-addr",
    "advertise-rpc-addr",
    "default-log-level",
    "unsafe-bypass-fsync",
    "overprovisioned",
    "reserve-memory",
    "check",
)
UNDERSTOOD = ("kafka-addr", "advertise-kafka-addr", "rpc-addr", "memory", "smp", "mode", "set", *WITHOUT_EQUIVALENT)
# `--set` keys it plays; admin_api_require_auth is accepted with nothing to do (Kafka has no admin API).
SETTINGS_PLAYED = (
    "redpanda.auto_create_topics_enabled",
    "redpanda.enable_sasl",
    "redpanda.superusers",
    "redpanda.admin_api_require_auth",
)
SELF_LOGIN_FILE = "broker.secret"  # the broker's own PLAIN login (0600)


class StandinError(ValueError):
    """A Redpanda flag or rpk call the stand-in cannot play: the Compose file uses something new."""


@dataclass(frozen=True)
class RedpandaFlags:
    """The part of `redpanda start`'s command line that shapes a broker."""

    listeners: dict[str, str]  # listener name -> host:port it binds
    advertised: dict[str, str]  # listener name -> host:port it advertises
    rpc: str
    memory: str
    smp: int
    auto_create_topics: bool
    ignored: list[str] = field(default_factory=list)
    sasl: bool = False
    superusers: list[str] = field(default_factory=list)


def _split_flags(argv: list[str]) -> list[tuple[str, str]]:
    """(name, value) pairs of `--name=value`, `--name value` and bare `--name` (value '')."""
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            raise StandinError(f"unexpected argument {arg!r} in `redpanda start`")
        name, sep, value = arg[2:].partition("=")
        if not sep and i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            value, i = argv[i + 1], i + 1
        pairs.append((name, value))
        i += 1
    return pairs


def _named_addresses(value: str) -> dict[str, str]:
    """'internal://0.0.0.0:9092,external://0.0.0.0:19092' -> {'INTERNAL': '0.0.0.0:9092', ...}."""
    found = {}
    for part in value.split(","):
        name, sep, address = part.partition("://")
        if not sep or not re.fullmatch(r"[^:]+:\d+", address):
            raise StandinError(f"{part!r} is not name://host:port")
        found[name.upper()] = address
    return found


def parse_redpanda_start(argv: list[str]) -> RedpandaFlags:
    """Read `redpanda start`'s flags as rpk does: `--mode dev-container` first, then every `--set` over it."""
    if argv[:2] != ["redpanda", "start"]:
        raise StandinError(f"the stand-in plays `redpanda start …`, not {' '.join(argv[:2])!r}")
    values: dict[str, str] = {}
    settings: dict[str, str] = {}
    for name, value in _split_flags(argv[2:]):
        if name not in UNDERSTOOD:
            raise StandinError(f"--{name} is not a flag the stand-in knows: teach hybridflow.deploy.standins")
        if name == "set":
            key, _, setting = value.partition("=")
            settings[key] = setting
        else:
            values[name] = value
    if values.get("mode", "dev-container") != "dev-container":
        raise StandinError(f"--mode={values['mode']} is not played by the stand-in")
    auto_create = "mode" in values  # dev-container turns auto-creation on, as in rpk
    if "redpanda.auto_create_topics_enabled" in settings:
        auto_create = settings.pop("redpanda.auto_create_topics_enabled").lower() == "true"
    sasl = settings.pop("redpanda.enable_sasl", "false").lower() == "true"
    superusers = _yaml_list(settings.pop("redpanda.superusers", "[]"))
    settings.pop("redpanda.admin_api_require_auth", None)
    if settings:
        raise StandinError(f"--set {', '.join(settings)} is not played by the stand-in")
    if sasl and not superusers:
        raise StandinError(
            "redpanda.enable_sasl=true without redpanda.superusers: nobody could create a user or an ACL"
        )
    listeners = _named_addresses(values["kafka-addr"])
    advertised = _named_addresses(values.get("advertise-kafka-addr", values["kafka-addr"]))
    if set(advertised) != set(listeners):
        raise StandinError(f"advertised listeners {sorted(advertised)} differ from the bound ones {sorted(listeners)}")
    return RedpandaFlags(
        listeners=listeners,
        advertised=advertised,
        rpc=values.get("rpc-addr", "0.0.0.0:33145"),
        memory=values.get("memory", DEFAULT_MEMORY),
        smp=int(values.get("smp", "1")),
        auto_create_topics=auto_create,
        ignored=[f"--{n}" for n in values if n in WITHOUT_EQUIVALENT and n not in ("mode",)],
        sasl=sasl,
        superusers=superusers,
    )


def _yaml_list(value: str) -> list[str]:
    """rpk reads a `--set` value as YAML: '["a", "b"]' or "['a']" -> ['a', 'b']."""
    import yaml

    parsed = yaml.safe_load(value)
    if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
        raise StandinError(f"{value!r} is not a YAML list of user names")
    return parsed


def bootstrap_user(environ: dict[str, str]) -> tuple[str, str, str] | None:
    """RP_BOOTSTRAP_USER ``user:password[:mechanism]`` (Redpanda's default mechanism: SCRAM-SHA-256)."""
    value = environ.get("RP_BOOTSTRAP_USER")
    if not value:
        return None
    user, sep, rest = value.partition(":")
    password, _, mechanism = (
        rest.rpartition(":") if rest.endswith(("SCRAM-SHA-256", "SCRAM-SHA-512")) else (rest, "", "")
    )
    if not sep or not user or not password:
        raise StandinError("RP_BOOTSTRAP_USER must be user:password[:mechanism]")
    return user, password, mechanism or "SCRAM-SHA-256"


def heap_size(memory: str) -> str:
    """Redpanda's --memory (e.g. 1G, 512M) as a JVM -Xmx value: the broker's whole memory bound."""
    match = re.fullmatch(r"(\d+)([KMGkmg])i?[Bb]?", memory)
    if not match:
        raise StandinError(f"--memory={memory} is not a size such as 1G or 512M")
    return f"{match.group(1)}{match.group(2).lower()}"


def kafka_properties(flags: RedpandaFlags, data_dir: Path = DATA_DIR, secret: str = "") -> dict[str, str]:
    """server.properties of a one-node KRaft broker with Redpanda's listeners (its RPC port is the controller's)."""
    rpc_host, _, rpc_port = flags.rpc.rpartition(":")
    listeners = {**flags.listeners, "CONTROLLER": f"0.0.0.0:{rpc_port}"}
    first = next(iter(flags.listeners))
    protocol = "SASL_PLAINTEXT" if flags.sasl else "PLAINTEXT"
    security: dict[str, str] = {}
    if flags.sasl:
        if not secret:
            raise StandinError("a SASL broker needs its own secret")
        plain = f'{PLAIN_LOGIN} required username="{BROKER_USER}" password="{secret}" user_{BROKER_USER}="{secret}";'
        for name in listeners:
            mechanisms = "PLAIN" if name == "CONTROLLER" else f"{MECHANISM},SCRAM-SHA-256,PLAIN"
            security[f"listener.name.{name.lower()}.sasl.enabled.mechanisms"] = mechanisms
            security[f"listener.name.{name.lower()}.plain.sasl.jaas.config"] = plain
            if name != "CONTROLLER":
                for scram in (MECHANISM, "SCRAM-SHA-256"):
                    security[f"listener.name.{name.lower()}.{scram.lower()}.sasl.jaas.config"] = (
                        f"{SCRAM_LOGIN} required;"
                    )
        security |= {
            "sasl.mechanism.inter.broker.protocol": "PLAIN",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "authorizer.class.name": AUTHORIZER,
            "super.users": ";".join(f"User:{u}" for u in (BROKER_USER, *flags.superusers)),
            "allow.everyone.if.no.acl.found": "false",
        }
    return security | {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{rpc_host}:{rpc_port}",
        "listeners": ",".join(f"{n}://{a}" for n, a in listeners.items()),
        "advertised.listeners": ",".join(f"{n}://{a}" for n, a in flags.advertised.items()),
        "listener.security.protocol.map": ",".join(f"{n}:{protocol}" for n in listeners),
        "inter.broker.listener.name": first,
        "controller.listener.names": "CONTROLLER",
        "log.dirs": str(data_dir),
        "auto.create.topics.enable": str(flags.auto_create_topics).lower(),
        "num.partitions": "1",
        "default.replication.factor": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": str(max(1, flags.smp)),
        "num.io.threads": str(max(1, flags.smp)),
    }


def _java(flags: RedpandaFlags, main: str, *args: str) -> list[str]:
    return [
        "java",
        f"-Xmx{heap_size(flags.memory)}",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        "-cp",
        f"{KAFKA_JARS}/*",
        main,
        *args,
    ]


def start_broker(argv: list[str], data_dir: Path = DATA_DIR, environ: dict[str, str] | None = None) -> int:
    """Format the KRaft log dir once (with the bootstrap user), then exec the broker in the foreground."""
    import secrets

    flags = parse_redpanda_start(argv)
    for flag in flags.ignored:
        print(f"redpanda stand-in: {flag} has no Kafka equivalent here, ignored", file=sys.stderr)
    config = data_dir / "server.properties"
    data_dir.mkdir(parents=True, exist_ok=True)
    secret_file = data_dir / SELF_LOGIN_FILE
    if flags.sasl and not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
        secret_file.chmod(0o600)
    secret = secret_file.read_text().strip() if flags.sasl else ""
    config.touch(mode=0o600)
    config.write_text("".join(f"{k}={v}\n" for k, v in kafka_properties(flags, data_dir / "log", secret).items()))
    if not (data_dir / "log" / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=").replace("-", "_")
        scram: list[str] = []
        user = bootstrap_user(dict(os.environ) if environ is None else environ)
        if flags.sasl and user:
            name, password, mechanism = user
            scram = ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
        subprocess.run(
            _java(
                flags,
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                cluster_id,
                "--config",
                str(config),
                "--ignore-formatted",
                *scram,
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(
        f"redpanda stand-in: Kafka broker, listeners {flags.listeners}, advertised {flags.advertised}, "
        f"heap {heap_size(flags.memory)}, auto-create {flags.auto_create_topics}, SASL {flags.sasl}",
        file=sys.stderr,
        flush=True,
    )
    os.execvp("java", _java(flags, "kafka.Kafka", str(config)))
    return 1  # not reached


# --- rpk -----------------------------------------------------------------------------------------


def _rpk_options(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Positional words and options of an rpk call (-X brokers=…, -p N, -r N, --partitions …)."""
    words: list[str] = []
    options: dict[str, str] = {}
    aliases = {
        "-p": "partitions",
        "--partitions": "partitions",
        "-r": "replicas",
        "--replicas": "replicas",
        "--brokers": "brokers",
    }
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "-X":
            key, _, value = argv[i + 1].partition("=")
            options[key] = value
            i += 2
        elif arg.split("=")[0] in aliases:
            name, sep, value = arg.partition("=")
            if not sep:
                value, i = argv[i + 1], i + 1
            options[aliases[name]] = value
            i += 1
        elif arg.startswith("-"):
            raise StandinError(f"rpk option {arg} is not played by the stand-in")
        else:
            words.append(arg)
            i += 1
    return words, options


def rpk(argv: list[str]) -> int:
    """`rpk cluster info`, `rpk topic create NAME -p N -r N`, `rpk topic describe NAME` against -X brokers=…."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    words, options = _rpk_options(argv)
    brokers = options.get("brokers", "localhost:9092").split(",")
    login = {}
    if "user" in options:  # rpk's -X user=… -X pass=… -X sasl.mechanism=… (SASL over plaintext, as Compose's listeners)
        login = {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": options.get("sasl.mechanism", "SCRAM-SHA-256"),
            "sasl_plain_username": options["user"],
            "sasl_plain_password": options.get("pass", ""),
        }
    try:
        admin = KafkaAdminClient(bootstrap_servers=brokers, request_timeout_ms=5000, client_id="rpk-standin", **login)
    except KafkaError as exc:
        print(f"unable to reach {','.join(brokers)}: {exc}", file=sys.stderr)
        return 1
    try:
        if words[:2] == ["cluster", "info"]:
            print(f"CLUSTER\n=======\n{admin.describe_cluster()}")
            return 0
        if words[:2] == ["topic", "create"]:
            status = 0
            for name in words[2:]:
                topic = NewTopic(name, int(options.get("partitions", "1")), int(options.get("replicas", "1")))
                try:
                    admin.create_topics([topic])
                    print(f"TOPIC  STATUS\n{name}  OK")
                except TopicAlreadyExistsError:
                    print(f"TOPIC  STATUS\n{name}  TOPIC_ALREADY_EXISTS: The topic has already been created.")
                    status = 1
            return status
        if words[:2] == ["topic", "describe"]:
            try:
                described = admin.describe_topics(words[2:])
            except KafkaError as exc:
                print(f"unable to describe {' '.join(words[2:])}: {exc}", file=sys.stderr)
                return 1
            missing = [t["topic"] for t in described if t.get("error_code")]
            for topic in described:
                print(f"NAME        {topic['topic']}\nPARTITIONS  {len(topic.get('partitions', []))}")
            return 1 if missing else 0
        raise StandinError(f"`rpk {' '.join(words)}` is not played by the stand-in")
    finally:
        admin.close()


def main(argv: list[str] | None = None) -> int:
    """`python -m hybridflow.deploy.standins redpanda|rpk …` (the stand-in image's /entrypoint.sh and rpk)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: standins redpanda start … | standins rpk …", file=sys.stderr)
        return 2
    try:
        if argv[0] == "redpanda":
            return start_broker(argv)
        if argv[0] == "rpk":
            return rpk(argv[1:])
        os.execvp(argv[0], argv)  # the image's entry point runs any other command as is
    except StandinError as exc:
        print(f"stand-in: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
