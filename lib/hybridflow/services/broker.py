"""A single-node Apache Kafka broker in KRaft mode (combined broker + controller), run from the Maven jars.

Everything it needs comes from the settings: the client listener is the host:port of
``KAFKA_BOOTSTRAP_SERVERS`` (advertised the same), the controller listens on
``KAFKA_CONTROLLER_PORT``, and all files live under ``STATE_DIR``::

    <state_dir>/kafka/server.properties   generated on every start (0600: it holds the broker's own secret)
    <state_dir>/kafka/broker.secret       the broker's own SASL PLAIN secret, made once (kafka.security.broker_secret)
    <state_dir>/tls/                      the local CA and the broker's certificate (broker_security.ensure_tls)
    <state_dir>/kafka/log4j2.properties   generated on every start (INFO to a rolling file)
    <state_dir>/kafka/cluster.id          the KRaft cluster id, made once
    <state_dir>/kafka/data/               the log dirs (formatted once with StorageTool)
    <state_dir>/run/kafka.pid             pid of the running broker
    <state_dir>/logs/kafka.out            the JVM's stdout/stderr
    <state_dir>/logs/kafka-server.log     the broker's own log

So a second broker with another state dir and other ports runs beside the first
(the integration tests do exactly that).

Security (``KAFKA_SECURITY``, default ``sasl_ssl``) is described in
:mod:`hybridflow.kafka.security` (the clients' side) and :mod:`hybridflow.services.broker_security`
(the broker's): one SASL listener (SCRAM-SHA-512 for clients, over TLS),
the controller on the same protocol, KRaft's ``StandardAuthorizer`` with ACLs per principal,
and the SCRAM users created from the settings once the broker answers (`KafkaBroker.after_start`).
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.kafka import access, security
from hybridflow.kafka.admin import broker_answers
from hybridflow.kafka.properties import read_properties, render_properties
from hybridflow.kafka.topics import describe_topics
from hybridflow.probes import is_local_host, parse_address
from hybridflow.services import broker_security
from hybridflow.services.base import Daemon, Port, Service
from hybridflow.toolchain import check_java, jar_dir, jars

NODE_ID = 1
HEAP = "512m"
STOP_TIMEOUT_S = 30.0
MAIN_CLASS = "kafka.Kafka"


@dataclass(frozen=True)
class BrokerPaths:
    """Every file of one broker instance, derived from `settings.state_dir`."""

    root: Path
    data: Path
    properties: Path
    log4j: Path
    cluster_id: Path
    pid: Path
    out_log: Path
    server_log: Path

    @classmethod
    def of(cls, settings: Settings) -> BrokerPaths:
        """The paths for these settings."""
        root = Path(settings.state_dir) / "kafka"
        logs = Path(settings.state_dir) / "logs"
        run = Path(settings.state_dir) / "run"
        return cls(
            root=root,
            data=root / "data",
            properties=root / "server.properties",
            log4j=root / "log4j2.properties",
            cluster_id=root / "cluster.id",
            pid=run / "kafka.pid",
            out_log=logs / "kafka.out",
            server_log=logs / "kafka-server.log",
        )


def listener(settings: Settings) -> tuple[str, int]:
    """(host, port) the broker listens on: the single local address of KAFKA_BOOTSTRAP_SERVERS."""
    servers = settings.bootstrap_list
    if len(servers) != 1:
        raise StackError(
            f"KAFKA_BOOTSTRAP_SERVERS={settings.kafka_bootstrap_servers} lists several brokers, "
            "but the local stack runs one: set it to a single host:port such as localhost:9092."
        )
    return parse_address(servers[0])


def server_properties(settings: Settings, paths: BrokerPaths | None = None) -> dict[str, str]:
    """The broker configuration (as data: the report and the tests read it too)."""
    paths = paths or BrokerPaths.of(settings)
    host, port = listener(settings)
    cport = settings.kafka_controller_port
    if cport == port:
        raise StackError(
            f"KAFKA_CONTROLLER_PORT ({cport}) equals the broker port: set it to another free port, e.g. {port + 1}."
        )
    return {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.voters": f"{NODE_ID}@{host}:{cport}",
        # listeners, SASL, TLS, authorizer and super users (KAFKA_SECURITY)
        **broker_security.server_properties(settings, host, port, cport),
        "log.dirs": str(paths.data),
        # Topics are created explicitly by ensure_topics(); a typo must not create a topic.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # One node: every internal topic has one replica; few partitions keep start-up and files small.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Consumers in tests join immediately instead of waiting 3 s for more members.
        "group.initial.rebalance.delay.ms": "0",
        # After a restart the controller waits one broker session for the old incarnation to
        # expire before it admits the new one (default 9 s); 5 s keeps a margin for a busy box.
        "broker.heartbeat.interval.ms": "1000",
        "broker.session.timeout.ms": "5000",
        # A 2-core machine shared with Spark: few threads, a small cleaner buffer (default 128 MB).
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "background.threads": "2",
        "log.cleaner.threads": "1",
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        # A dev stack: keep a day of data and at most 1 GiB per partition.
        "log.retention.hours": "24",
        "log.retention.bytes": str(1024**3),
        "log.segment.bytes": str(64 * 1024**2),
    }


def log4j2_properties(server_log: Path) -> str:
    """log4j2 configuration: INFO to a small rolling file, chatty loggers at WARN, nothing to stdout."""
    return f"""\
# Generated by hybridflow.services.broker - edits are overwritten on the next `hybridflow up`.
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = {server_log}
appender.file.filePattern = {server_log}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 10MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.network.name = kafka.network
logger.network.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
"""


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (as `kafka-storage random-uuid`)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):  # Kafka rejects ids that look like a command-line flag
            return cid


def java_command(settings: Settings, paths: BrokerPaths, main: str, *args: str) -> list[str]:
    """`java` with the broker's class path, heap and logging, running `main args...`."""
    jars(settings, "kafka")  # raises with "run `make setup`" when the jars are missing
    return [
        check_java(),
        "-Xms128m",
        f"-Xmx{HEAP}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={paths.log4j}",
        f"-Dkafka.logs.dir={paths.server_log.parent}",
        "-cp",
        f"{jar_dir(settings, 'kafka')}/*",
        main,
        *args,
    ]


def write_config(settings: Settings, paths: BrokerPaths) -> None:
    """Write server.properties and the log4j2 config (regenerated each start: settings may have changed)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.server_log.parent.mkdir(parents=True, exist_ok=True)
    paths.properties.touch(mode=0o600, exist_ok=True)
    paths.properties.chmod(0o600)
    paths.properties.write_text(
        "# Generated by hybridflow.services.broker from the settings - edits are overwritten.\n"
        + render_properties(server_properties(settings, paths))
    )
    paths.log4j.write_text(log4j2_properties(paths.server_log))


def format_storage(settings: Settings, paths: BrokerPaths) -> bool:
    """Format the KRaft log dir once (StorageTool); True if it formatted now, False if already done."""
    if (paths.data / "meta.properties").exists():
        return False
    if paths.cluster_id.exists():
        cluster_id = paths.cluster_id.read_text().strip()
    else:
        cluster_id = new_cluster_id()
        paths.cluster_id.write_text(cluster_id + "\n")
    cmd = java_command(
        settings,
        paths,
        "kafka.tools.StorageTool",
        "format",
        "--cluster-id",
        cluster_id,
        "--config",
        str(paths.properties),
        "--ignore-formatted",
    )
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        last = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise StackError(
            f"Formatting the Kafka storage in {paths.data} failed: remove {paths.root} (`make clean`) and rerun `make up`.\n{last}"
        )
    return True


class KafkaBroker(Service):
    """The local Kafka broker, described for the supervisor (hybridflow.services.base)."""

    name = "kafka"
    label = "The Kafka broker"

    def enabled(self, settings: Settings) -> bool:
        """Run locally only when KAFKA_BOOTSTRAP_SERVERS points at this machine."""
        host, _ = listener(settings)
        return settings.local_services and is_local_host(host)

    def address(self, settings: Settings) -> str:
        """KAFKA_BOOTSTRAP_SERVERS."""
        return settings.kafka_bootstrap_servers

    def daemons(self, settings: Settings) -> tuple[Daemon, ...]:
        """One JVM: broker and KRaft controller."""
        paths = BrokerPaths.of(settings)
        host, port = parse_address(settings.bootstrap_list[0])

        def prepare() -> None:
            broker_security.check_broker_secrets(settings, host)
            if settings.kafka_security == "sasl_ssl":
                broker_security.ensure_tls(settings)
            write_config(settings, paths)  # checks the settings too (one broker, distinct ports)
            format_storage(settings, paths)

        def check_same_listeners(pid: int) -> None:
            wanted = server_properties(settings, paths)["listeners"]
            running = read_properties(paths.properties).get("listeners")
            if running and running != wanted:
                raise StackError(
                    f"The Kafka broker of {settings.state_dir} already runs (pid {pid}) with listeners {running}, "
                    f"not {wanted} (KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY): run `hybridflow down` with its settings "
                    "first, or use another STATE_DIR."
                )

        return (
            Daemon(
                name=self.name,
                command=lambda: java_command(settings, paths, MAIN_CLASS, str(paths.properties)),
                # Its own login: the SCRAM users do not exist before after_start() creates them.
                ready=lambda: broker_answers(settings, timeout_ms=2000, role="broker"),
                pid_file=paths.pid,
                marker=str(paths.properties),
                log=paths.out_log,
                logs=(paths.server_log,),
                ports=(
                    Port(host, port, "Kafka broker", "KAFKA_BOOTSTRAP_SERVERS"),
                    Port(host, settings.kafka_controller_port, "Kafka controller", "KAFKA_CONTROLLER_PORT"),
                ),
                cwd=paths.root,
                prepare=prepare,
                check_running=check_same_listeners,
                stop_timeout_s=STOP_TIMEOUT_S,
            ),
        )

    def after_start(self, settings: Settings) -> dict[str, str]:
        """The SCRAM users of the three principals, from the settings (created or updated at every start)."""
        users = access.ensure_users(settings)
        return {"security": f"{security.protocol(settings)}" + (f", users {', '.join(users)}" if users else "")}

    def details(self, settings: Settings) -> dict[str, str]:
        """The topics and their partition counts."""
        try:
            topics = describe_topics(settings)
        except StackError:
            return {}
        return {"topics": ", ".join(f"{n}({p})" for n, p in topics.items()) or "none"}
