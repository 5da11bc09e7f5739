"""Static checks of docker-compose.yml: schema, settings, addresses, pins, health, ports, the test override.

`make compose-test` runs the file for real, but with stand-ins for Redpanda and its Console: what only
those images would reveal (Redpanda's own flags, Console's configuration) is checked here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from hybridflow.config import Settings
from hybridflow.deploy.compose import (
    DOCKERFILE,
    ENV_EXAMPLE,
    TEST_OVERRIDE,
    MissingVariable,
    interpolate,
    load_compose,
    mermaid,
    published_port,
    read_env_file,
    service_table,
    topology,
    variables_used,
)
from hybridflow.deploy.standins import parse_redpanda_start
from hybridflow.kafka.topics import wanted_topics
from hybridflow.services.objectstore import VERSITYGW_IMAGE

SCHEMA = Path(__file__).with_name("compose-spec.json")
CONSOLE_CONFIG = Path(__file__).parents[3] / "docker" / "redpanda-console.yaml"
SETTINGS_VARS = {name.upper() for name in Settings.model_fields}
# What every container running the app must be told (the rest keeps its defaults).
REQUIRED_APP_VARS = {
    "KAFKA_BOOTSTRAP_SERVERS",
    "TOPIC_TICKETS",
    "TOPIC_DLQ",
    "LAKE_URI",
    "S3_ENDPOINT",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "S3_REGION",
    "SPARK_MASTER",
}
# Variables that are not settings but are read by Jupyter itself.
OTHER_APP_VARS = {"JUPYTER_TOKEN"}


@pytest.fixture(scope="module")
def doc() -> dict:
    return load_compose()


@pytest.fixture(scope="module")
def resolved(doc) -> dict:
    """The Compose file with its variables resolved from .env.example, as `docker compose config` would."""
    return interpolate(doc, read_env_file(ENV_EXAMPLE))


@pytest.fixture(scope="module")
def services(resolved) -> dict:
    return {s.name: s for s in topology(resolved)}


@pytest.fixture(scope="module")
def app_services(services) -> dict:
    return {name: s for name, s in services.items() if s.built}


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def _flag(command: list[str], name: str) -> str:
    """The value of `--name=value` (or `--name value`) in a command list."""
    for i, part in enumerate(command):
        if part.startswith(f"--{name}="):
            return part.split("=", 1)[1]
        if part == f"--{name}":
            return command[i + 1]
    raise AssertionError(f"--{name} not in {command}")


def test_compose_file_validates_against_the_compose_specification(doc, resolved):
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    for variant in (doc, resolved):
        errors = sorted(validator.iter_errors(variant), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_the_schema_rejects_a_broken_file(doc):
    schema = json.loads(SCHEMA.read_text())
    broken = yaml.safe_load(yaml.safe_dump(doc))
    broken["services"]["redpanda"]["depends_on"] = {"s3": {"condition": "when_ready"}}
    assert not jsonschema.Draft7Validator(schema).is_valid(broken)


def test_every_variable_has_a_value_in_env_example_or_a_default(doc):
    env = read_env_file(ENV_EXAMPLE)
    interpolate(doc, env)  # raises MissingVariable for a ${VAR:?…} that .env.example does not set
    with pytest.raises(MissingVariable, match="S3_SECRET_KEY"):
        interpolate(doc, {k: v for k, v in env.items() if k != "S3_SECRET_KEY"})
    assert {"S3_ACCESS_KEY", "S3_SECRET_KEY", "JUPYTER_TOKEN"} <= variables_used(doc)


def test_app_containers_get_every_setting_they_need_under_the_settings_names(app_services):
    for name, service in app_services.items():
        env = set(service.environment)
        assert env >= REQUIRED_APP_VARS, f"{name} misses {REQUIRED_APP_VARS - env}"
        assert env <= SETTINGS_VARS | OTHER_APP_VARS, (
            f"{name} sets unknown variables {env - SETTINGS_VARS - OTHER_APP_VARS}"
        )


def test_app_container_settings_are_valid_settings(app_services):
    for name, service in app_services.items():
        values = {k.lower(): v for k, v in service.environment.items() if k in SETTINGS_VARS}
        settings = Settings(_env_file=None, **values)  # the validators a container would run at start
        assert settings.lake_uri.startswith("s3a://"), name
        assert settings.s3_access_key and settings.s3_secret_key


def test_credentials_come_from_env_not_from_the_file(doc):
    for name, svc in doc["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if re.search(r"(SECRET|PASSWORD|TOKEN|ACCESS_KEY)", key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]*)?\}", str(value)), f"{name}.{key} is not taken from .env"


def test_kafka_addresses_agree(services, resolved):
    command = resolved["services"]["redpanda"]["command"]
    internal = dict(a.split("://") for a in _flag(command, "advertise-kafka-addr").split(","))
    listen = dict(a.split("://") for a in _flag(command, "kafka-addr").split(","))
    for name, service in services.items():
        if "KAFKA_BOOTSTRAP_SERVERS" in service.environment:
            assert service.environment["KAFKA_BOOTSTRAP_SERVERS"] == internal["internal"] == "redpanda:9092", name
    # The external listener advertises the published host port, whatever HOST_PORT_KAFKA says.
    host, port = _host_port(internal["external"])
    published = {(p.host_port, p.container_port) for p in map(published_port, services["redpanda"].ports)}
    assert host == "localhost" and (str(port), str(_host_port(listen["external"])[1])) in published
    moved = interpolate(load_compose(), {**read_env_file(ENV_EXAMPLE), "HOST_PORT_KAFKA": "29092"})
    command = moved["services"]["redpanda"]["command"]
    assert "external://localhost:29092" in _flag(command, "advertise-kafka-addr")
    assert "127.0.0.1:29092:19092" in moved["services"]["redpanda"]["ports"]
    console = yaml.safe_load(CONSOLE_CONFIG.read_text())
    assert console["kafka"]["brokers"] == [internal["internal"]]


def test_s3_addresses_agree(services, resolved):
    s3_command = resolved["services"]["s3"]["command"]
    port = int(_flag(s3_command, "port").lstrip(":"))
    health = _flag(s3_command, "health")
    for name, service in services.items():
        if "S3_ENDPOINT" in service.environment:
            assert service.environment["S3_ENDPOINT"] == f"http://s3:{port}", name
    published = {p.container_port: p.host_port for p in map(published_port, services["s3"].ports)}
    assert str(port) in published
    # The storage console calls the gateway from the browser: through the host port, not the container's.
    assert _flag(s3_command, "webui-gateways") == f"http://localhost:{published[str(port)]}"
    assert any(health in part for part in resolved["services"]["s3"]["healthcheck"]["test"])
    assert resolved["services"]["s3"]["image"] == VERSITYGW_IMAGE  # the version `make up` builds locally


def test_spark_addresses_agree(services, resolved):
    master = services["spark-master"]
    host, port = _host_port(master.environment["SPARK_MASTER"].removeprefix("spark://"))
    assert host == "spark-master" == resolved["services"]["spark-master"]["hostname"] and port == 7077
    for name in ("spark-worker", "stream", "producer", "bucket-init"):
        assert services[name].environment["SPARK_MASTER"] == f"spark://{host}:{port}", name
    assert services["stream"].depends_on["spark-worker"] == "service_healthy"
    ui = master.environment["SPARK_MASTER_WEBUI_PORT"]
    assert any(p.endswith(f":{ui}") for p in master.ports)


def test_every_image_is_pinned(resolved):
    for name, svc in resolved["services"].items():
        image = svc["image"]
        assert "@sha256:" in image or re.search(r":[\w][\w.-]*$", image.split("/")[-1]), f"{name}: {image} has no tag"
        assert not image.endswith(":latest"), f"{name}: {image}"
        if "build" not in svc:
            assert re.search(r":v?\d+\.\d+", image), f"{name}: {image} is not a version tag"


def test_every_long_running_service_has_a_healthcheck_and_one_shots_are_awaited(services):
    awaited = {
        dep for s in services.values() for dep, c in s.depends_on.items() if c == "service_completed_successfully"
    }
    for name, service in services.items():
        if service.one_shot:
            assert name in awaited, f"one-shot {name} is not awaited with service_completed_successfully"
        else:
            assert service.healthcheck, f"{name} runs for long but has no healthcheck"


def test_dependencies_use_conditions_and_exist(services):
    for name, service in services.items():
        for dep, condition in service.depends_on.items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert condition in ("service_healthy", "service_completed_successfully"), f"{name} -> {dep}: {condition}"
            if condition == "service_healthy":
                assert services[dep].healthcheck, f"{name} waits for {dep} to be healthy, but it has no healthcheck"


def test_named_network_and_volumes(doc):
    assert doc["networks"]["hybridflow"]["name"] == "hybridflow"
    for name, svc in doc["services"].items():
        assert svc.get("networks") == ["hybridflow"], name
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith("./") or source in doc["volumes"], f"{name}: {source} is not a named volume"
    assert {"redpanda-data", "s3-data"} <= set(doc["volumes"])


def test_topic_init_creates_the_local_topics_with_the_local_code(resolved, services):
    """`hybridflow up` with LOCAL_SERVICES=false: ensure_topics only, as `make up` (DLQ: 1 partition + headroom)."""
    topic_init = services["topic-init"]
    assert topic_init.built and topic_init.command == ["up"] and topic_init.one_shot
    assert topic_init.environment["LOCAL_SERVICES"] == "false"
    assert topic_init.environment["KAFKA_BOOTSTRAP_SERVERS"] == "redpanda:9092"
    env = {k.lower(): v for k, v in topic_init.environment.items() if k in SETTINGS_VARS}
    assert wanted_topics(Settings(_env_file=None, **env))[env["topic_dlq"]] == 1
    for name in ("producer", "stream"):
        assert services[name].depends_on["topic-init"] == "service_completed_successfully", name


def test_redpanda_auto_creation_is_off_and_its_memory_bounded(resolved):
    """rpk applies --mode first, then each `--set`: auto-creation ends up off (the compose test's stand-in
    reads the flags the same way, see hybridflow.deploy.standins)."""
    command = resolved["services"]["redpanda"]["command"]
    mode, setting = command.index("--mode=dev-container"), command.index("--set")
    assert command[setting + 1] == "redpanda.auto_create_topics_enabled=false" and mode < setting
    assert re.fullmatch(r"\d+[MG]", _flag(command, "memory"))
    flags = parse_redpanda_start(command)
    assert flags.auto_create_topics is False and flags.memory == _flag(command, "memory")
    at = command.index("redpanda.auto_create_topics_enabled=false")
    assert parse_redpanda_start(command[: at - 1] + command[at + 1 :]).auto_create_topics is True  # dev-container alone


def test_redpanda_asks_every_client_to_log_in_and_has_one_super_user(resolved):
    """SASL on every Kafka listener, the admin the only super user (bootstrapped by Redpanda), the admin API locked."""
    redpanda = resolved["services"]["redpanda"]
    flags = parse_redpanda_start(redpanda["command"])
    env = redpanda["environment"]
    admin = env["KAFKA_ADMIN_USER"]
    assert flags.sasl is True and flags.superusers == [admin]
    assert "redpanda.admin_api_require_auth=true" in redpanda["command"]
    user, password, mechanism = env["RP_BOOTSTRAP_USER"].split(":")
    assert (user, password, mechanism) == (admin, env["KAFKA_ADMIN_PASSWORD"], "SCRAM-SHA-512")
    assert "sasl.mechanism=SCRAM-SHA-512" in " ".join(redpanda["healthcheck"]["test"])


def test_every_app_container_logs_in_and_console_as_its_own_read_only_user(resolved):
    for name, svc in resolved["services"].items():
        env = svc.get("environment") or {}
        if env.get("KAFKA_BOOTSTRAP_SERVERS"):
            assert env["KAFKA_SECURITY"] == "sasl_plaintext", name
    console = resolved["services"]["console"]
    app = resolved["services"]["topic-init"]["environment"]
    assert console["environment"]["KAFKA_SASL_USERNAME"] == app["KAFKA_CONSOLE_USER"] != app["KAFKA_ADMIN_USER"]
    assert console["environment"]["KAFKA_SASL_PASSWORD"] == app["KAFKA_CONSOLE_PASSWORD"]
    assert console["depends_on"]["topic-init"]["condition"] == "service_completed_successfully"  # its user exists
    sasl = yaml.safe_load(CONSOLE_CONFIG.read_text())["kafka"]["sasl"]
    assert sasl == {"enabled": True, "mechanism": "SCRAM-SHA-512"}  # no password in the file


def test_a_missing_kafka_password_stops_compose_before_anything_starts(doc):
    env = read_env_file(ENV_EXAMPLE)
    del env["KAFKA_PRODUCER_PASSWORD"]
    with pytest.raises(Exception, match="KAFKA_PRODUCER_PASSWORD"):
        interpolate(doc, env)


def test_every_port_is_published_on_localhost_and_can_be_moved(doc, resolved):
    host_ports = []
    for name, svc in resolved["services"].items():
        for spec in svc.get("ports", []):
            port = published_port(spec)
            assert port.host_ip == "127.0.0.1", f"{name}: {spec} is published on every interface"
            host_ports.append(port.host_port)
    assert len(host_ports) == len(set(host_ports))
    for name, svc in doc["services"].items():
        for spec in svc.get("ports", []):
            assert re.fullmatch(r"127\.0\.0\.1:\$\{HOST_PORT_[A-Z0-9_]+:-\d+\}:\d+", spec), f"{name}: {spec}"
    # Not the local stack's ports: Compose and `make up` can run side by side.
    assert read_env_file(ENV_EXAMPLE)["PG_PORT"] not in host_ports


def test_the_test_override_replaces_only_what_cannot_be_pulled(doc):
    """docker/compose.test.yml: pulled images -> stand-ins, Console disabled, app builds on stand-in bases."""
    override = yaml.safe_load(TEST_OVERRIDE.read_text())
    pulled = {name for name, svc in doc["services"].items() if "build" not in svc}
    assert set(override["services"]) == set(doc["services"])
    for name, svc in override["services"].items():
        if name == "console":
            assert set(svc) == {"profiles"}  # Redpanda Console has no stand-in: not started
        elif name in pulled:
            assert set(svc) == {"image"} and svc["image"].startswith("hybridflow-standin/"), name
            major = [
                image.split(":")[-1].split(".")[0].split("-")[0]
                for image in (svc["image"], doc["services"][name]["image"])
            ]
            assert major[0] == major[1], (name, major)  # same major version as the image it stands for
        else:
            assert set(svc) <= {"build", "volumes"} and set(svc["build"]) == {"network", "args"}, name
            args = svc["build"]["args"]
            assert set(args) == set(re.findall(r"^ARG (\w+_IMAGE)=", DOCKERFILE.read_text(), flags=re.M)), name
    assert override["services"]["jupyter"]["volumes"][0].endswith(":/app/notebooks")
    # The stand-ins play the real command: every Redpanda flag is understood.
    parse_redpanda_start(interpolate(doc, read_env_file(ENV_EXAMPLE))["services"]["redpanda"]["command"])


def test_the_stream_has_time_to_print_its_summary(doc):
    assert doc["services"]["stream"]["stop_grace_period"] in ("2m", "120s")


def test_console_uses_the_v3_config_format():
    console = yaml.safe_load(CONSOLE_CONFIG.read_text())
    assert "schemaRegistry" not in console["kafka"]  # v2 placement, rejected by v3
    assert console["schemaRegistry"]["enabled"] is True
    assert console["schemaRegistry"]["urls"] == ["http://redpanda:8081"]
    assert console["redpanda"]["adminApi"]["urls"] == ["http://redpanda:9644"]
    assert console["redpanda"]["adminApi"]["enabled"] is False  # it asks for the super user: Console does without


def test_the_report_views_cover_every_service(doc):
    rows = service_table(interpolate(doc, read_env_file(ENV_EXAMPLE)))
    assert [r["service"] for r in rows] == list(doc["services"])
    chart = mermaid(interpolate(doc, read_env_file(ENV_EXAMPLE)))
    assert chart.startswith("flowchart") and "spark_worker -->|healthy| stream" in chart


def test_interpolation_follows_compose_rules():
    env = {"A": "1", "EMPTY": ""}
    assert interpolate("${A}-${B:-x}-${EMPTY:-y}-${EMPTY-z}-$${A}", env) == "1-x-y--${A}"
    with pytest.raises(MissingVariable):
        interpolate("${B:?needed}", env)
