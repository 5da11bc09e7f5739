"""One settings object for the whole project, built from the environment (and `.env`).

Every host, port, topic, path and duration the code uses comes from `Settings`;
nothing host- or path-like is hard-coded elsewhere. Build it once with
`get_settings()` and pass it (and the SparkSession) explicitly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hybridflow.errors import ConfigError
from hybridflow.vocabulary import Priority

# lib/hybridflow/config.py -> project root is two levels above the package.
PROJ_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJ_ROOT / "data"
DIAGRAMS_DIR = PROJ_ROOT / "diagrams"
REPORT_DIR = PROJ_ROOT / "report"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
JVM_POM = PROJ_ROOT / "jvm" / "pom.xml"
MERMAID_TOOL_DIR = PROJ_ROOT / "tools" / "mermaid"  # pinned mermaid-cli (npm), installed by `make setup`
# The code's own default passwords (fine on loopback, refused beyond it) and .env.example's placeholders.
LOCAL_DEFAULT_PREFIX = "hybridflow-local-"
PLACEHOLDER_PREFIX = "change-me"

_DURATION = re.compile(r"^\s*\d+\s+(second|minute|hour|day)s?\s*$")
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")  # Kafka's rule for topic names
_KAFKA_USER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # safe in SCRAM names, ACL principals and JAAS options
_JVM_MEMORY = re.compile(r"^[1-9][0-9]*([kmgtp]b?|b)?$", re.IGNORECASE)  # Spark's byte strings: 512m, 2g, 2gb


_DURATION_MS = {"second": 1_000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}


def duration_ms(value: str) -> int:
    """Milliseconds of a duration setting such as '15 minutes' (the form the validators accept)."""
    amount, unit = value.split()
    return int(amount) * _DURATION_MS[unit.removesuffix("s")]


def _env_file() -> Path | None:
    """The `.env` to read: $HYBRIDFLOW_ENV_FILE, else the project's own, if present."""
    override = os.environ.get("HYBRIDFLOW_ENV_FILE")
    if override:
        return Path(override)
    default = PROJ_ROOT / ".env"
    return default if default.exists() else None


class Settings(BaseSettings):
    """Typed, frozen project settings; each field is read from the env var of the same name (upper case)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    local_services: bool = Field(
        True,
        description="`make up` starts the broker/database/object store on this machine; false when they run elsewhere (e.g. Compose)",
    )

    # --- Kafka-API broker (Apache Kafka locally, Redpanda in Docker Compose) ---
    kafka_bootstrap_servers: str = Field(
        "localhost:9092", description="Kafka-API bootstrap servers, host:port[,host:port]"
    )
    kafka_controller_port: int = Field(
        9093, ge=1, le=65535, description="KRaft controller port of the local broker (`make up`)"
    )
    topic_tickets: str = Field("client_tickets", description="Topic the tickets are produced to")
    topic_dlq: str = Field("client_tickets_dlq", description="Dead-letter topic for malformed events")
    topic_alerts: str = Field(
        "client_tickets_alerts", description="Topic the real-time alert path republishes critical tickets to"
    )
    topic_events: str = Field(
        "client_ticket_events",
        description="Topic of the tickets' lifecycle events (assigned, first response, resolved, reopened, closed)",
    )
    topic_breaches: str = Field(
        "client_tickets_sla_breaches",
        description="Topic the lifecycle query writes one record to per SLA breach (ticket, kind), exactly once",
    )
    topic_partitions: int = Field(3, ge=1, description="Partitions of the tickets topic (and of the events topic)")
    kafka_request_timeout_ms: int = Field(15000, ge=1000, description="Admin/producer request timeout (ms)")
    kafka_security: Literal["sasl_ssl", "sasl_plaintext", "plaintext"] = Field(
        "sasl_ssl",
        description="How every Kafka client reaches the broker: sasl_ssl (SCRAM-SHA-512 over TLS, ACLs per principal), "
        "sasl_plaintext (SCRAM without TLS: a private network such as Compose's) or plaintext (no login, no ACLs)",
    )
    kafka_ca_file: Path | None = Field(
        None,
        description="CA certificate (PEM) clients trust with sasl_ssl (default: <STATE_DIR>/tls/ca.pem, made by `make setup`)",
    )
    kafka_admin_user: str = Field(
        "hybridflow-admin", description="Kafka principal that creates topics and ACLs (super user)"
    )
    kafka_admin_password: SecretStr = Field(
        SecretStr(f"{LOCAL_DEFAULT_PREFIX}admin"),
        description="Password of KAFKA_ADMIN_USER (`make setup` writes a random one to .env)",
    )
    kafka_producer_user: str = Field(
        "hybridflow-producer", description="Kafka principal of `produce`: may write the tickets topic only"
    )
    kafka_producer_password: SecretStr = Field(
        SecretStr(f"{LOCAL_DEFAULT_PREFIX}producer"),
        description="Password of KAFKA_PRODUCER_USER (`make setup` writes a random one to .env)",
    )
    kafka_streaming_user: str = Field(
        "hybridflow-streaming",
        description="Kafka principal of the streaming job: reads tickets, writes dead letters and alerts",
    )
    kafka_streaming_password: SecretStr = Field(
        SecretStr(f"{LOCAL_DEFAULT_PREFIX}streaming"),
        description="Password of KAFKA_STREAMING_USER (`make setup` writes a random one to .env)",
    )
    kafka_console_user: str = Field(
        "hybridflow-console", description="Read-only Kafka principal of Redpanda Console (Compose)"
    )
    kafka_console_password: SecretStr | None = Field(
        None,
        description="Password of KAFKA_CONSOLE_USER; unset = no such user (`make setup` writes a random one to .env)",
    )
    kafka_client: Literal["kafka-python", "confluent"] = Field(
        "kafka-python",
        description="Client `produce` uses: kafka-python (default, pure Python) or confluent (librdkafka, ~3x faster)",
    )

    # --- Storage ---
    lake_uri: str = Field(
        default_factory=lambda: (DATA_DIR / "lake").as_uri(),
        description="Root of the data lake: file:///… (default data/lake) or s3a://bucket/prefix",
    )
    checkpoint_uri: str | None = Field(
        None, description="Root of the streaming checkpoints (default: <LAKE_URI>/_checkpoints)"
    )
    state_dir: Path = Field(
        PROJ_ROOT / ".state",
        description="Local runtime state: jars, broker/database data, logs, pid files",
    )
    s3_endpoint: str | None = Field(
        None, description="S3-API endpoint (e.g. http://localhost:9000); unset = no object store"
    )
    s3_access_key: SecretStr | None = Field(None, description="S3 access key")
    s3_secret_key: SecretStr | None = Field(None, description="S3 secret key")
    s3_region: str = Field("us-east-1", description="S3 region name")

    # --- Spark ---
    spark_master: str = Field(
        "local[6]",
        description="Spark master: local[N] or spark://host:7077. N task threads, not cores: the alert path's "
        "Real-time Mode keeps one task per tickets partition running, the micro-batch queries need the others",
    )
    spark_driver_memory: str = Field("2g", description="spark.driver.memory")
    spark_shuffle_partitions: int = Field(4, ge=1, description="spark.sql.shuffle.partitions (small: 2-core machine)")
    # The local standalone cluster (`make cluster-up`, Compose's spark-worker): Spark's own variable names.
    spark_master_webui_port: int = Field(8080, ge=1, le=65535, description="Web UI port of the local Spark master")
    spark_worker_webui_port: int = Field(8081, ge=1, le=65535, description="Web UI port of the local Spark worker")
    spark_worker_cores: int = Field(1, ge=1, description="Cores the local Spark worker offers to executors")
    spark_worker_memory: str = Field("1g", description="Memory the local Spark worker offers to executors (512m, 2g)")
    trigger_interval: str = Field(
        "1 second", description="Processing-time trigger of the tickets query (micro-batch): how soon a ticket lands"
    )
    windows_trigger_interval: str = Field(
        "1 minute",
        description="Processing-time trigger of the windows query: a window closes only when the watermark passes "
        "its end, so checking more often than the window only takes cores from the tickets query",
    )
    alerts_checkpoint_interval: str = Field(
        "1 minute",
        description="Real-time Mode batch length of the alert path: how often it checkpoints, not its latency",
    )
    alert_priorities: str = Field("critical", description="Comma-separated priorities the alert path republishes")
    window_duration: str = Field("1 minute", description="Event-time window of the aggregations")
    watermark_delay: str = Field("30 seconds", description="How late an event may arrive")
    max_offsets_per_trigger: int | None = Field(
        200_000,
        ge=1,
        description="Cap on records per micro-batch, so a backlog drains in bounded batches (unset = no cap)",
    )
    max_payload_bytes: int = Field(10_000, ge=256, description="Events larger than this go to the dead-letter topic")
    lifecycle: bool = Field(
        True,
        description="The streaming job also runs the lifecycle queries: events topic -> per-ticket state, SLA breaches, "
        "ticket_status (false: tickets, windows and alerts only)",
    )
    progress_file: Path | None = Field(
        None,
        description="The streaming job appends each micro-batch's progress (Spark's JSON, one line a batch, every "
        "query) to this file; unset: none",
    )
    lifecycle_watermark_delay: str = Field(
        "15 minutes",
        description="How late (event time) a lifecycle event may arrive and still count before an SLA deadline is judged",
    )
    lifecycle_trigger_interval: str = Field(
        "1 second", description="Processing-time trigger of the events and lifecycle queries (micro-batch)"
    )
    orphan_event_ttl: str = Field(
        "1 hour",
        description="Event time an event waits for its ticket before it goes to the dead-letter topic (orphan_event)",
    )
    closed_ticket_ttl: str = Field(
        "1 day", description="Event time a closed ticket stays in the lifecycle state (late duplicates, reopens)"
    )

    # --- On-premise database (batch ETL) ---
    # PostgreSQL stands in for the on-premise SQL Server. Port 5433, not 5432: the Debian
    # `postgresql` package starts its own cluster on 5432, and ours must not clash with it.
    pg_host: str = Field("localhost", description="Host of the on-premise PostgreSQL (CRM/ERP source)")
    pg_port: int = Field(5433, ge=1, le=65535, description="Port of the PostgreSQL server (`make up` starts one here)")
    pg_database: str = Field("indutech_crm", description="Database holding the CRM/ERP tables")
    pg_user: str = Field("hybridflow", description="Role the seeder and the Spark JDBC reads log in as")
    pg_password: SecretStr = Field(
        SecretStr("hybridflow-local"), description="Password of PG_USER (local default; set your own in .env)"
    )
    pg_bin_dir: Path | None = Field(
        None, description="Folder of initdb/pg_ctl (default: newest /usr/lib/postgresql/*/bin, else PATH)"
    )
    jdbc_num_partitions: int = Field(4, ge=1, description="Parallel JDBC reads per large table (numPartitions)")
    jdbc_fetch_size: int = Field(10_000, ge=1, description="Rows per JDBC round trip (fetchsize)")
    landing_dir: Path = Field(DATA_DIR / "landing", description="SAN-style landing folder of the flat CSV exports")

    # --- The report build: `make report` sets them for the notebooks' kernels ---
    report_dir: Path | None = Field(
        None, description="Where the report build writes (set by `make report` for its notebooks; unset: report/)"
    )
    report_run: str = Field(
        "",
        description="Isolated report run: the notebooks' topics, folders and database carry this id (notebook tests)",
    )

    @field_validator(
        "trigger_interval",
        "windows_trigger_interval",
        "window_duration",
        "watermark_delay",
        "alerts_checkpoint_interval",
        "lifecycle_watermark_delay",
        "lifecycle_trigger_interval",
        "orphan_event_ttl",
        "closed_ticket_ttl",
    )
    @classmethod
    def _is_duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError(f"{value!r} is not a duration like '30 seconds' or '1 minute'")
        return value.strip()

    @field_validator("window_duration")
    @classmethod
    def _is_positive(cls, value: str) -> str:
        if int(value.split()[0]) <= 0:
            raise ValueError(f"{value!r} must be longer than 0")
        return value

    @field_validator("topic_tickets", "topic_dlq", "topic_alerts", "topic_events", "topic_breaches")
    @classmethod
    def _is_topic(cls, value: str) -> str:
        if not _TOPIC.match(value) or value in (".", ".."):
            raise ValueError(f"{value!r} is not a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -)")
        return value

    @field_validator("spark_driver_memory", "spark_worker_memory")
    @classmethod
    def _is_memory(cls, value: str) -> str:
        if not _JVM_MEMORY.match(value.strip()):
            raise ValueError(f"{value!r} is not a JVM memory size such as 512m or 2g")
        return value.strip()

    @field_validator("s3_endpoint")
    @classmethod
    def _is_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/:\s]+(:\d{1,5})?/?$", value):
            raise ValueError(f"{value!r} is not an http(s)://host:port URL")
        return value

    @field_validator("alert_priorities")
    @classmethod
    def _are_priorities(cls, value: str) -> str:
        allowed = [p.value for p in Priority]
        unknown = [p.strip() for p in value.split(",") if p.strip() not in allowed]
        if unknown or not value.strip():
            raise ValueError(f"{value!r} must be a comma-separated list of {', '.join(allowed)}")
        return value

    @field_validator("kafka_admin_user", "kafka_producer_user", "kafka_streaming_user", "kafka_console_user")
    @classmethod
    def _is_user_name(cls, value: str) -> str:
        if not _KAFKA_USER.match(value):
            raise ValueError(f"{value!r} is not a user name of 1-64 of A-Z a-z 0-9 . _ -")
        return value

    @field_validator(
        "kafka_admin_password", "kafka_producer_password", "kafka_streaming_password", "kafka_console_password"
    )
    @classmethod
    def _is_kafka_password(cls, value: SecretStr | None) -> SecretStr | None:
        # The broker's JAAS configuration quotes it: a quote, backslash or line break would end it early.
        if value is None:
            return value
        secret = value.get_secret_value()
        if len(secret) < 8 or re.search(r'["\\\s]', secret):
            raise ValueError("must be at least 8 characters without quotes, backslashes or blanks")
        return value

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _is_host_port_list(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536 or re.search(r"[\s/]", host):
                raise ValueError(f"{server!r} is not host:port")
        return value

    @field_validator("spark_master")
    @classmethod
    def _is_master(cls, value: str) -> str:
        if not re.match(r"^(local(\[(\*|[1-9]\d*)\])?|spark://[^:/]+:\d+(,[^:/]+:\d+)*)$", value):
            raise ValueError(f"{value!r} is not local[*], local[N] or spark://host:port")
        return value

    @field_validator("lake_uri", "checkpoint_uri")
    @classmethod
    def _is_uri(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.match(r"^(file:///.|s3a://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/|$))", value):
            raise ValueError(f"{value!r} must be file:///absolute/path or s3a://bucket/prefix")
        return value.rstrip("/")

    @field_validator("report_run")
    @classmethod
    def _is_run_id(cls, value: str) -> str:
        if not re.match(r"^[a-z0-9_]*$", value.strip()):
            raise ValueError(f"{value!r} must be lower-case letters, digits and _ (it names topics and a database)")
        return value.strip()

    @model_validator(mode="after")
    def _s3_needs_endpoint(self) -> Settings:
        topics = [self.topic_tickets, self.topic_dlq, self.topic_alerts, self.topic_events, self.topic_breaches]
        if len(set(topics)) != len(topics):
            raise ValueError(
                "TOPIC_TICKETS, TOPIC_DLQ, TOPIC_ALERTS, TOPIC_EVENTS and TOPIC_BREACHES must be five different topics"
            )
        if self.lake_uri.startswith("s3a://") and not self.s3_endpoint:
            raise ValueError("LAKE_URI is s3a:// but S3_ENDPOINT is not set")
        if self.s3_endpoint and not (self.s3_access_key and self.s3_secret_key):
            raise ValueError("S3_ENDPOINT is set but S3_ACCESS_KEY / S3_SECRET_KEY are not")
        users = [self.kafka_admin_user, self.kafka_producer_user, self.kafka_streaming_user]
        users += [self.kafka_console_user] if self.kafka_console_password else []
        if len(set(users)) != len(users):
            raise ValueError(
                "KAFKA_ADMIN_USER, KAFKA_PRODUCER_USER, KAFKA_STREAMING_USER and KAFKA_CONSOLE_USER must be different users"
            )
        return self

    # --- Derived values (never set directly) ---
    @property
    def checkpoint_root(self) -> str:
        """Where streaming checkpoints live (beside the lake unless CHECKPOINT_URI says otherwise)."""
        return self.checkpoint_uri or f"{self.lake_uri}/_checkpoints"

    def lake_path(self, dataset: str) -> str:
        """URI of one dataset of the lake, e.g. `lake_path('tickets')`."""
        return f"{self.lake_uri}/{dataset}"

    def checkpoint_path(self, query: str) -> str:
        """URI of one streaming query's checkpoint."""
        return f"{self.checkpoint_root}/{query}"

    def to_env(self) -> dict[str, str]:
        """The environment variables that rebuild exactly these settings in a child process (secrets included)."""
        env: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            env[name.upper()] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        return env

    @property
    def alert_priority_list(self) -> tuple[str, ...]:
        """The priorities that raise an alert, as a tuple."""
        return tuple(p.strip() for p in self.alert_priorities.split(",") if p.strip())

    @property
    def bootstrap_list(self) -> list[str]:
        """Bootstrap servers as a list, for kafka-python."""
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",")]

    @property
    def kafka_ca_path(self) -> Path:
        """The CA certificate Kafka clients trust (KAFKA_CA_FILE, else the one `make setup` made in STATE_DIR/tls)."""
        return self.kafka_ca_file or self.state_dir / "tls" / "ca.pem"

    @property
    def jars_dir(self) -> Path:
        """Where `make setup` puts the JVM artifacts (one sub-folder per pom.xml profile)."""
        return self.state_dir / "jars"

    @property
    def lake_is_local(self) -> bool:
        """True when the lake is a local folder (file://)."""
        return self.lake_uri.startswith("file://")

    @property
    def report_out_dir(self) -> Path:
        """Where the report goes: REPORT_DIR while `make report` runs the notebooks, else the project's report/."""
        return self.report_dir or REPORT_DIR

    def with_(self, **changes: Any) -> Settings:
        """A copy with `changes`, validated as the environment's values are (`model_copy(update=…)` would not).

        Raises:
            ConfigError: a name that is no setting, or a value that is invalid (one sentence naming it).
        """
        unknown = sorted(set(changes) - set(type(self).model_fields))
        if unknown:
            raise ConfigError(f"No such setting: {', '.join(unknown)} (see `hybridflow settings`).")
        try:
            return type(self).model_validate(self.model_dump() | changes)
        except ValidationError as exc:
            raise _config_error(exc) from None

    def local_path(self, uri: str) -> Path:
        """The local filesystem path of a file:// URI."""
        if not uri.startswith("file://"):
            raise ConfigError(f"{uri} is not a local file:// URI; read it through Spark or the S3 API instead.")
        return Path(uri.removeprefix("file://"))


def _field_env(name: str) -> str:
    return name.upper()


def _config_error(exc: ValidationError) -> ConfigError:
    """The first validation error as one sentence naming the variable (or the settings that disagree)."""
    first = exc.errors()[0]
    loc = first.get("loc") or ()
    field = str(loc[0]) if loc else ""
    msg = first.get("msg", "invalid value").removeprefix("Value error, ").replace("\n", " ")
    if not field:  # a rule across settings: its message names them
        return ConfigError(f"Settings disagree ({msg}): fix them in .env or the environment (see .env.example).")
    return ConfigError(
        f"Setting {_field_env(field)} is invalid ({msg}): fix it in .env or the environment (see .env.example)."
    )


def get_settings(**overrides: Any) -> Settings:
    """Build the settings from the environment (and `.env`); keyword overrides win.

    Raises:
        ConfigError: one sentence naming the variable to fix.
    """
    try:
        return Settings(_env_file=_env_file(), **overrides)
    except ValidationError as exc:
        raise _config_error(exc) from None


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a child process that rebuilds exactly `settings`: this one's, every setting, no `.env`."""
    return {**os.environ, **settings.to_env(), "HYBRIDFLOW_ENV_FILE": os.devnull, **extra}


def settings_table() -> list[dict[str, str]]:
    """Every setting with its environment variable, default and description (for docs/configuration.md and the report)."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, Path):
            default = str(default.relative_to(PROJ_ROOT)) if default.is_relative_to(PROJ_ROOT) else str(default)
        if isinstance(default, str) and default.startswith("file://"):
            default = default.replace(PROJ_ROOT.as_uri(), "file://<project>")
        rows.append(
            {
                "variable": _field_env(name),
                "default": "" if default is None else str(default),
                "description": field.description or "",
            }
        )
    return rows


def settings_markdown() -> str:
    """The configuration table of docs/configuration.md (a unit test keeps the page in sync)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for row in settings_table():
        default = f"`{row['default']}`" if row["default"] else "*(unset)*"
        lines.append(f"| `{row['variable']}` | {default} | {row['description']} |")
    return "\n".join(lines)
