"""The Compose stack for real: `docker compose up --wait`, the pipeline's evidence, `down -v` (`make compose-test`).

Run by scripts/compose-test.sh, which starts the engine, builds the images (never pulled) and passes the
env file it wrote (COMPOSE_TEST_ENV_FILE: fresh secrets, ports shifted to run beside `make up`). Skipped
anywhere else. Everything is checked from outside the containers, as a user would: Kafka through the
external listener Redpanda advertises, the bucket through the S3 API, Spark through the master's JSON,
JupyterLab through its REST API with the token, and the job's own summary line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import numpy as np
import pytest

from hybridflow.config import PROJ_ROOT, Settings, get_settings
from hybridflow.deploy.compose import read_env_file
from hybridflow.kafka.security import client_options

ENV_FILE = os.environ.get("COMPOSE_TEST_ENV_FILE")
if not ENV_FILE:
    pytest.skip(
        "the Compose stack is tested by `make compose-test` (it needs a Docker engine)", allow_module_level=True
    )

pytestmark = pytest.mark.slow
DOCKER = os.environ.get("DOCKER", "docker")
# The snapshot of the working tree the images were built from (scripts/compose-test.sh), else the tree.
PROJECT = Path(os.environ.get("COMPOSE_TEST_PROJECT_DIR") or PROJ_ROOT)
FILES = ["-f", str(PROJECT / "docker-compose.yml"), "-f", str(PROJECT / "docker" / "compose.test.yml")]
UP_TIMEOUT_S = 1200
EVIDENCE_TIMEOUT_S = 600


def compose(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    """`docker compose` on the real file + the test override, with the test's env file."""
    done = subprocess.run(
        [DOCKER, "compose", "--env-file", ENV_FILE, *FILES, *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"docker compose {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def wait_for(what: str, probe, timeout_s: float = EVIDENCE_TIMEOUT_S, every_s: float = 5.0):
    """Poll `probe()` until it returns something truthy; fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"{what}: not seen within {timeout_s:.0f} s (last: {last!r})")


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return read_env_file(Path(ENV_FILE))


@pytest.fixture(scope="module")
def host(env) -> Settings:
    """Settings to reach the Compose stack from the host through its published ports."""
    return get_settings(
        kafka_bootstrap_servers=f"localhost:{env['HOST_PORT_KAFKA']}",
        s3_endpoint=f"http://127.0.0.1:{env['HOST_PORT_S3']}",
        s3_access_key=env["S3_ACCESS_KEY"],
        s3_secret_key=env["S3_SECRET_KEY"],
        s3_region=env["S3_REGION"],
        lake_uri="s3a://lake/hybridflow",
        local_services=False,
        # Redpanda asks every client to log in (SASL SCRAM on the private network and on 127.0.0.1)
        kafka_security="sasl_plaintext",
        kafka_admin_password=env["KAFKA_ADMIN_PASSWORD"],
        kafka_producer_password=env["KAFKA_PRODUCER_PASSWORD"],
        kafka_streaming_password=env["KAFKA_STREAMING_PASSWORD"],
    )


@pytest.fixture(scope="module")
def stack(env):
    """The whole stack up and healthy (one-shots done); always taken down, volumes included."""
    begin = time.monotonic()
    try:
        compose(
            "up",
            "--detach",
            "--wait",
            "--wait-timeout",
            str(UP_TIMEOUT_S),
            "--pull",
            "never",
            "--no-build",
            timeout=UP_TIMEOUT_S + 120,
        )
    except AssertionError:
        print(compose("ps", "--all", check=False).stdout)
        print(compose("logs", "--no-color", "--tail", "40", check=False).stdout[-12000:])
        compose("down", "--volumes", "--remove-orphans", "--timeout", "30", check=False)
        raise
    print(f"compose up --wait: {time.monotonic() - begin:.0f} s")
    yield
    compose("down", "--volumes", "--remove-orphans", "--timeout", "30", check=False)


def _consumer(settings: Settings):
    from kafka import KafkaConsumer

    return KafkaConsumer(
        bootstrap_servers=settings.bootstrap_list,
        request_timeout_ms=15000,
        client_id="compose-test",
        **client_options(settings, "kafka-python", "admin"),
    )


def end_offsets(settings: Settings, topic: str) -> int:
    """Records ever written to a topic (sum of its partitions' end offsets), read through the external listener."""
    from kafka import TopicPartition

    consumer = _consumer(settings)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        return sum(consumer.end_offsets([TopicPartition(topic, p) for p in partitions]).values())
    finally:
        consumer.close()


def master_json(env) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{env['HOST_PORT_SPARK_MASTER_UI']}/json/", timeout=5) as resp:
        return json.load(resp)


def test_every_service_but_console_runs_and_one_shots_succeeded(stack):
    rows = [json.loads(line) for line in compose("ps", "--all", "--format", "json").stdout.splitlines() if line.strip()]
    state = {r["Service"]: (r["State"], r.get("Health", ""), r.get("ExitCode")) for r in rows}
    for one_shot in ("topic-init", "bucket-init", "crm-init"):
        assert state[one_shot][0] == "exited" and state[one_shot][2] == 0, state[one_shot]
    for service in ("redpanda", "s3", "postgres", "spark-master", "spark-worker", "producer", "stream", "jupyter"):
        assert state[service][:2] == ("running", "healthy"), (service, state[service])
    assert "console" not in state  # no stand-in: Redpanda Console needs Redpanda's admin API


def test_topics_are_the_local_ones_and_auto_creation_is_off(stack, host):
    from hybridflow.kafka.topics import DLQ_HEADROOM_BYTES, describe_topics, max_message_bytes, wanted_topics

    topics = describe_topics(host)
    assert {name: topics.get(name) for name in wanted_topics(host)} == wanted_topics(host)  # DLQ: 1 partition
    assert max_message_bytes(host, host.topic_dlq) == max_message_bytes(host, host.topic_tickets) + DLQ_HEADROOM_BYTES
    from kafka import KafkaProducer
    from kafka.errors import KafkaTimeoutError

    stray = f"compose_test_typo_{uuid.uuid4().hex[:6]}"
    producer = KafkaProducer(
        bootstrap_servers=host.bootstrap_list, max_block_ms=4000, **client_options(host, "kafka-python", "admin")
    )
    try:
        with pytest.raises(KafkaTimeoutError):
            producer.send(stray, b"{}").get(timeout=10)
    finally:
        producer.close()
    assert stray not in describe_topics(host)


def test_the_broker_refuses_anonymous_clients_and_holds_each_principal_to_its_acls(stack, host):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.errors import TopicAuthorizationFailedError

    from hybridflow.kafka.admin import broker_answers

    assert not broker_answers(host.with_(kafka_security="plaintext"), timeout_ms=5000)
    assert broker_answers(host, role="producer") and broker_answers(host, role="streaming")
    reader = KafkaConsumer(
        bootstrap_servers=host.bootstrap_list,
        group_id=None,
        consumer_timeout_ms=10000,
        **client_options(host, "kafka-python", "producer"),
    )
    try:
        reader.assign([TopicPartition(host.topic_tickets, 0)])
        reader.seek_to_beginning()
        with pytest.raises(TopicAuthorizationFailedError):
            reader.poll(timeout_ms=10000)
    finally:
        reader.close()
    writer = KafkaProducer(
        bootstrap_servers=host.bootstrap_list,
        max_block_ms=10000,
        **client_options(host, "kafka-python", "streaming"),
    )
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            writer.send(host.topic_tickets, b"{}").get(timeout=15)
    finally:
        writer.close()


def test_the_producer_sends_tickets(stack, host):
    first = end_offsets(host, host.topic_tickets)
    later = wait_for(
        "new records in the tickets topic",
        lambda: (n := end_offsets(host, host.topic_tickets)) > first and n,
        timeout_s=60,
        every_s=3,
    )
    print(f"{host.topic_tickets}: {first} then {later} records")


def test_dead_letters_reach_their_topic(stack, host):
    letters = wait_for("dead letters from the streaming job", lambda: end_offsets(host, host.topic_dlq))
    print(f"{host.topic_dlq}: {letters} dead letters")


def test_the_stream_runs_on_the_compose_cluster_and_writes_the_lake_to_s3(stack, host, env):
    from hybridflow import lake

    def stream_app():
        apps = [a for a in master_json(env).get("activeapps", []) if a.get("name") == "hybridflow-stream"]
        return apps and apps[0]

    app = wait_for("the streaming application on the Spark master", stream_app, timeout_s=120)
    assert app["cores"] > 0 and app["state"] == "RUNNING", app
    assert master_json(env)["aliveworkers"] == 1
    # The lake's own Spark-free reader (delta-rs), through the S3 port published on the host.
    tickets = wait_for(f"tickets in {lake.TICKETS.uri(host)}", lambda: lake.TICKETS.count(host))
    print(f"{lake.TICKETS.uri(host)}: {tickets} tickets (Delta, read through the S3 API)")


def test_the_job_summary_counts_what_landed(stack):
    """SIGTERM as `docker compose stop` sends it: the job stops its queries and prints its summary line."""
    compose("stop", "--timeout", "150", "stream", timeout=300)
    logs = compose("logs", "--no-color", "stream").stdout
    match = re.search(r"lake has (\d+) tickets.*?(\d+) dead letters", logs)
    assert match, f"no summary line in the stream's log:\n{logs[-3000:]}"
    tickets, letters = int(match.group(1)), int(match.group(2))
    assert tickets > 0 and letters > 0, match.group(0)
    print(match.group(0))


def test_jupyter_executes_notebooks_headless_with_the_host_figures(stack, tmp_path):
    """Notebooks 2 (Graphviz, Mermaid + Chromium) and 4 (figures under report/) run in the container as
    `make report --no-pdf` runs them; notebook 4's figures are the host's, pixel for pixel."""
    out = "/app/report/compose-test"
    compose(
        "exec",
        "-T",
        "-u",
        "hybridflow",
        "jupyter",
        "hybridflow",
        "report",
        "--only",
        "02,04",
        "--smoke",
        "--no-pdf",
        "--out",
        out,
        timeout=900,
    )
    compose("cp", f"jupyter:{out}/figures", str(tmp_path / "container"))
    subprocess.run(
        [
            str(PROJ_ROOT / ".venv" / "bin" / "hybridflow"),
            "report",
            "--only",
            "04",
            "--smoke",
            "--no-pdf",
            "--out",
            str(tmp_path / "host"),
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )
    import matplotlib.image as mpimg

    host_figures = sorted(p.name for p in (tmp_path / "host" / "figures").glob("04_*.png"))
    container_figures = sorted(p.name for p in (tmp_path / "container").glob("04_*.png"))
    assert host_figures and container_figures == host_figures
    for name in host_figures:
        a, b = mpimg.imread(tmp_path / "host" / "figures" / name), mpimg.imread(tmp_path / "container" / name)
        assert a.shape == b.shape and np.array_equal(a, b), f"{name} differs between the host and the container"
    diagrams = compose("exec", "-T", "jupyter", "sh", "-c", "ls /app/diagrams").stdout.split()
    assert "01_architecture_hybride.png" in diagrams and "06_cycle_de_vie_ticket.png" in diagrams, diagrams


def test_jupyterlab_saves_into_the_bind_mounted_notebooks_as_their_owner(stack, env):
    name = f"compose-test-{uuid.uuid4().hex[:6]}.ipynb"
    body = json.dumps(
        {"type": "notebook", "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}}
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{env['HOST_PORT_JUPYTER']}/api/contents/{name}",
        data=body.encode(),
        method="PUT",
        headers={"Authorization": f"token {env['JUPYTER_TOKEN']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.status in (200, 201)
    saved = Path(env["COMPOSE_TEST_NOTEBOOKS"]) / name
    folder = saved.parent.stat()
    assert saved.exists() and (saved.stat().st_uid, saved.stat().st_gid) == (folder.st_uid, folder.st_gid)
    refused = urllib.request.Request(f"http://127.0.0.1:{env['HOST_PORT_JUPYTER']}/api/contents", method="GET")
    with pytest.raises(urllib.error.HTTPError):  # no token, no access
        urllib.request.urlopen(refused, timeout=10)


def test_down_leaves_nothing_behind(stack):
    compose("down", "--volumes", "--remove-orphans", "--timeout", "30", timeout=300)
    project = ["--filter", "label=com.docker.compose.project=hybridflow"]
    containers = subprocess.run(
        [DOCKER, "ps", "--all", "--quiet", *project], capture_output=True, text=True, check=True
    ).stdout
    volumes = subprocess.run(
        [DOCKER, "volume", "ls", "--quiet", *project], capture_output=True, text=True, check=True
    ).stdout
    networks = subprocess.run(
        [DOCKER, "network", "ls", "--quiet", "--filter", "name=^hybridflow$"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not containers.split() and not volumes.split() and not networks.split(), (containers, volumes, networks)
