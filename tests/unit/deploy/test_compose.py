"""Static checks of docker-compose.yml (no Docker engine here): schema, settings, addresses, pins, health."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from hybridflow.config import Settings
from hybridflow.deploy.compose import (
    ENV_EXAMPLE,
    MissingVariable,
    interpolate,
    load_compose,
    mermaid,
    read_env_file,
    service_table,
    topology,
    variables_used,
)
from hybridflow.stack.objectstore import VERSITYGW_IMAGE

SCHEMA = Path(__file__).with_name("compose-spec.json")
CONSOLE_CONFIG = Path(__file__).parents[3] / "docker" / "redpanda-console.yaml"
SETTINGS_VARS = {name.upper() for name in Settings.model_fields}
# What every container running the app must be told (the rest keeps its defaults).
REQUIRED_APP_VARS = {
    "KAFKA_BOOTSTRAP_SERVERS", "TOPIC_TICKETS", "TOPIC_DLQ", "LAKE_URI",
    "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_REGION", "SPARK_MASTER",
}
# Variables that are not settings but are read by Spark's daemons or Jupyter themselves.
OTHER_APP_VARS = {"SPARK_MASTER_WEBUI_PORT", "SPARK_WORKER_WEBUI_PORT", "SPARK_WORKER_CORES", "SPARK_WORKER_MEMORY",
                  "JUPYTER_TOKEN"}


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
        assert REQUIRED_APP_VARS <= env, f"{name} misses {REQUIRED_APP_VARS - env}"
        assert env <= SETTINGS_VARS | OTHER_APP_VARS, f"{name} sets unknown variables {env - SETTINGS_VARS - OTHER_APP_VARS}"


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
    host, port = _host_port(internal["external"])
    assert host == "localhost" and f"{port}:{_host_port(listen['external'])[1]}" in services["redpanda"].ports
    console = yaml.safe_load(CONSOLE_CONFIG.read_text())
    assert console["kafka"]["brokers"] == [internal["internal"]]


def test_s3_addresses_agree(services, resolved):
    s3_command = resolved["services"]["s3"]["command"]
    port = int(_flag(s3_command, "port").lstrip(":"))
    health = _flag(s3_command, "health")
    for name, service in services.items():
        if "S3_ENDPOINT" in service.environment:
            assert service.environment["S3_ENDPOINT"] == f"http://s3:{port}", name
    assert f"{port}:{port}" in services["s3"].ports
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
    awaited = {dep for s in services.values() for dep, c in s.depends_on.items() if c == "service_completed_successfully"}
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


def test_topic_init_creates_the_settings_topics_with_partitions(resolved):
    script = " ".join(resolved["services"]["topic-init"]["command"])
    env = read_env_file(ENV_EXAMPLE)
    assert "rpk topic create" in script and f"-p {env['TOPIC_PARTITIONS']}" in script
    for topic in (env["TOPIC_TICKETS"], env["TOPIC_DLQ"]):
        assert topic in script


def test_console_uses_the_v3_config_format():
    console = yaml.safe_load(CONSOLE_CONFIG.read_text())
    assert "schemaRegistry" not in console["kafka"]  # v2 placement, rejected by v3
    assert console["schemaRegistry"]["enabled"] is True
    assert console["schemaRegistry"]["urls"] == ["http://redpanda:8081"]
    assert console["redpanda"]["adminApi"]["urls"] == ["http://redpanda:9644"]


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
