"""Static checks of the Dockerfile and .dockerignore: pinned bases, jars from pom.xml, non-root, entry point."""

from __future__ import annotations

import re
import shlex

from hybridflow.deploy.compose import DOCKERFILE, PROJ_ROOT, load_compose
from hybridflow.toolchain import pom_property

TEXT = DOCKERFILE.read_text()
ARGS = dict(re.findall(r"^ARG (\w+)=(\S+)$", TEXT, flags=re.M))


def _base_images() -> list[str]:
    images = []
    for ref in re.findall(r"^FROM (\S+)", TEXT, flags=re.M):
        images.append(re.sub(r"\$\{(\w+)\}", lambda m: ARGS[m.group(1)], ref))
    return images


def test_base_images_are_pinned():
    stages = set(re.findall(r"^FROM \S+ AS (\w+)", TEXT, flags=re.M))
    external = [i for i in _base_images() if i not in stages]
    assert external == ["maven:3.9.9-eclipse-temurin-17", "python:3.11.14-slim-bookworm"]
    for image in external:
        assert re.search(r":\d+\.\d+\.\d+", image) and "latest" not in image


def test_python_and_java_versions_match_the_project():
    python = re.search(r"python:(\d+\.\d+)", ARGS["PYTHON_IMAGE"]).group(1)
    assert f'requires-python = ">={python}"' in (PROJ_ROOT / "pyproject.toml").read_text()
    assert "openjdk-17-jre-headless" in TEXT  # Spark 4 needs Java 17+


def test_jars_come_from_the_committed_pom():
    assert "COPY jvm/pom.xml" in TEXT and "-P spark dependency:copy-dependencies" in TEXT
    assert re.search(r"COPY --from=jars /jars/spark /app/\.state/jars/spark", TEXT)
    # Any jar version written in the Dockerfile must be the pom's (today there is none to drift).
    pom = {pom_property(p) for p in ("spark.version", "hadoop.version", "aws.sdk.version", "postgresql.version")}
    for version in re.findall(r"[\w-]+-(\d+\.\d+\.\d+)\.jar", TEXT):
        assert version in pom


def test_pinned_pyspark_is_installed_from_requirements():
    assert "pip install -r /tmp/requirements-deps.txt" in TEXT
    requirements = (PROJ_ROOT / "requirements.txt").read_text()
    assert f"pyspark=={pom_property('spark.version')}" in requirements
    jupyter = (PROJ_ROOT / "docker" / "requirements-jupyter.txt").read_text()
    assert re.search(r"^jupyterlab==\d+\.\d+\.\d+$", jupyter, flags=re.M)


def test_runs_as_a_non_root_user_with_the_cli_as_entry_point():
    app_stage = TEXT.split("FROM app AS jupyter")[0]
    users = re.findall(r"^USER (\S+)", app_stage, flags=re.M)
    assert users and users[-1] == "hybridflow"
    assert 'ENTRYPOINT ["hybridflow"]' in app_stage
    assert re.findall(r"^USER (\S+)", TEXT, flags=re.M)[-1] == "hybridflow"


def test_compose_builds_the_stages_that_exist():
    stages = set(re.findall(r"^FROM \S+ AS (\w+)", TEXT, flags=re.M))
    targets = {svc["build"]["target"] for svc in load_compose()["services"].values() if "build" in svc}
    assert targets <= stages and targets == {"app", "jupyter"}


def test_dockerignore_keeps_data_checkpoints_caches_and_secrets_out():
    ignored = {line.strip() for line in (PROJ_ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for pattern in (".env", ".venv/", ".state/", "data/", "checkpoints/", "spark-warehouse/", "metastore_db/",
                    "**/__pycache__/", ".git"):
        assert pattern in ignored, pattern
    copied = re.findall(r"^COPY (?!--from)(\S+)", TEXT, flags=re.M)
    for source in copied:  # nothing the image copies is ignored
        top = source.split("/")[0] + ("/" if "/" in source else "")
        assert top not in ignored and source not in ignored, source
        assert (PROJ_ROOT / source).exists() or source.startswith("docker/"), source


def test_every_cli_role_in_compose_exists():
    from hybridflow.cli import build_parser

    parser = build_parser()
    checked = 0
    for name, svc in load_compose()["services"].items():
        if "build" not in svc or not svc.get("command"):
            continue
        if svc.get("entrypoint", [])[:2] == ["/bin/sh", "-c"]:  # a shell line chaining `hybridflow …` commands
            line = re.sub(r"\$\{[^}]*\}", "1", svc["command"][0])
            commands = [shlex.split(part) for part in line.split("&&")]
            assert all(c[0] == "hybridflow" for c in commands), f"{name}: {line}"
            commands = [c[1:] for c in commands]
        else:
            commands = [[c if "${" not in c else "20" for c in svc["command"]]]
        for command in commands:
            parser.parse_args(command)  # exits (SystemExit) on an unknown command or option
            checked += 1
    assert checked >= 6
