"""Static checks of the Dockerfile and .dockerignore: pinned bases, jars from pom.xml, non-root, writable paths.

`make compose-test` builds this Dockerfile for real, on stand-in base images passed as build arguments.
"""

from __future__ import annotations

import re
import shlex
import subprocess

from hybridflow.config import JVM_POM
from hybridflow.deploy.compose import COMPOSE_FILE, DOCKERFILE, PROJ_ROOT, load_compose
from hybridflow.services.objectstore import VERSITYGW_IMAGE
from hybridflow.toolchain import JAR_PROFILES, pom_property

TEXT = DOCKERFILE.read_text()
ARGS = dict(re.findall(r"^ARG (\w+)=(\S+)$", TEXT, flags=re.M))
ENTRYPOINT_SCRIPT = (PROJ_ROOT / "docker" / "jupyter-entrypoint.sh").read_text()


def _base_images() -> list[str]:
    images = []
    for ref in re.findall(r"^FROM (\S+)", TEXT, flags=re.M):
        images.append(re.sub(r"\$\{(\w+)\}", lambda m: ARGS[m.group(1)], ref))
    return images


def test_base_images_are_pinned_build_arguments():
    stages = set(re.findall(r"^FROM \S+ AS (\w+)", TEXT, flags=re.M))
    external = [i for i in _base_images() if i not in stages]
    assert external == ["maven:3.9.9-eclipse-temurin-17", "python:3.11.14-slim-bookworm", VERSITYGW_IMAGE]
    for image in external:
        assert re.search(r":v?\d+\.\d+\.\d+", image) and "latest" not in image
    # Every base is an ARG (the compose test swaps in stand-ins); none is written in a FROM line.
    assert all(ref.startswith("${") for ref in re.findall(r"^FROM (\S+)", TEXT, flags=re.M) if ref not in stages)


def test_nothing_is_pulled_at_build_time_but_the_base_images():
    # A `# syntax=` line makes BuildKit pull a frontend image from a registry.
    assert not re.search(r"^#\s*syntax=", TEXT, flags=re.M | re.I)
    assert not re.search(r"COPY --from=[\w.-]+[/:]", TEXT)  # images by name in COPY --from are pulls too


def test_python_and_java_versions_match_the_project():
    python = re.search(r"python:(\d+\.\d+)", ARGS["PYTHON_IMAGE"]).group(1)
    assert f'requires-python = ">={python}"' in (PROJ_ROOT / "pyproject.toml").read_text()
    assert "openjdk-17-jre-headless" in TEXT  # Spark 4 needs Java 17+


def test_jars_are_every_profile_hybridflow_setup_resolves():
    """The jars stage reads the profile ids from the pom with awk: run that very program on the committed pom."""
    script = re.search(r"profiles=\$\(awk '([^']+)' jvm/pom.xml\)", TEXT)
    assert script, "the jars stage no longer lists the pom's profiles"
    found = subprocess.run(["awk", script.group(1), str(JVM_POM)], capture_output=True, text=True, check=True)
    assert found.stdout.split() and set(JAR_PROFILES) <= set(found.stdout.split())
    assert "dependency:copy-dependencies" in TEXT and 'DoutputDirectory="/jars/$profile"' in TEXT
    assert re.search(r"COPY --from=jars /jars /app/\.state/jars$", TEXT, flags=re.M)
    # Any jar version written in the Dockerfile must be the pom's (today there is none to drift).
    pom = {pom_property(p) for p in ("spark.version", "hadoop.version", "aws.sdk.version", "postgresql.version")}
    for version in re.findall(r"[\w-]+-(\d+\.\d+\.\d+)\.jar", TEXT):
        assert version in pom


def test_layers_go_from_the_least_to_the_most_often_changed():
    order = [TEXT.index(marker) for marker in ("COPY requirements.txt ./", "COPY --from=jars", "COPY lib/ lib/")]
    assert order == sorted(order)


def test_pinned_packages_come_from_requirements_txt():
    assert "pip install -r /tmp/requirements-deps.txt" in TEXT
    requirements = (PROJ_ROOT / "requirements.txt").read_text()
    assert f"pyspark=={pom_property('spark.version')}" in requirements
    # JupyterLab: one pin, in requirements.txt; the app stage leaves it out, the jupyter stage installs it.
    assert re.search(r"^jupyterlab==\d+\.\d+\.\d+$", requirements, flags=re.M)
    assert "-e '^jupyterlab=='" in TEXT and "grep '^jupyterlab==' requirements.txt" in TEXT


def test_both_targets_install_the_project_after_the_heavy_layers():
    runtime, app, jupyter = (TEXT.split(marker)[1] for marker in ("AS runtime", "AS app", "FROM runtime AS jupyter"))
    runtime = runtime.split("AS app")[0]
    assert "COPY lib/" not in runtime  # a code change must not invalidate the packages, jars or Chromium
    for stage in (app.split("AS versitygw")[0], jupyter):
        assert "COPY lib/ lib/" in stage and "pip install --no-deps -e ." in stage
    assert jupyter.index("npm ci") < jupyter.index("COPY lib/ lib/")


def test_runs_as_a_non_root_user_with_the_cli_as_entry_point():
    app_stage = TEXT.split("FROM runtime AS jupyter")[0]
    users = re.findall(r"^USER (\S+)", app_stage, flags=re.M)
    assert users and users[-1] == "hybridflow"
    assert 'ENTRYPOINT ["hybridflow"]' in app_stage
    # JupyterLab: the entry point starts as root only to adopt the notebooks' owner, then drops root.
    jupyter_stage = TEXT.split("FROM runtime AS jupyter")[1]
    assert 'ENTRYPOINT ["/usr/local/bin/jupyter-entrypoint.sh"]' in jupyter_stage
    execs = [line.strip() for line in ENTRYPOINT_SCRIPT.splitlines() if line.strip().startswith("exec ")]
    assert execs == ['exec "$@"', 'exec setpriv --reuid=hybridflow --regid=hybridflow --init-groups "$@"']
    assert 'if [ "$(id -u)" -ne 0 ]; then\n    exec "$@"' in ENTRYPOINT_SCRIPT  # only when not root already


def test_the_app_user_can_write_where_the_notebooks_and_the_report_write():
    from hybridflow.config import DATA_DIR, DIAGRAMS_DIR, NOTEBOOKS_DIR, REPORT_DIR

    chowned = re.search(r"chown -R hybridflow:hybridflow ([^\n\\]+(?:\\\n[^\n\\]+)*)", TEXT).group(1)
    chowned_paths = set(chowned.replace("\\", " ").split())
    for folder in (DATA_DIR, NOTEBOOKS_DIR, REPORT_DIR, DIAGRAMS_DIR):
        assert f"/app/{folder.relative_to(PROJ_ROOT)}" in chowned_paths, folder
    assert "chown hybridflow:hybridflow /app/.state" in TEXT  # new state folders, not the read-only jars
    writable = re.search(r'^WRITABLE="([^"]+)"', ENTRYPOINT_SCRIPT, flags=re.M).group(1).split()
    assert set(writable) == (chowned_paths - {"/app/notebooks"}) | {"/home/hybridflow"}


def test_the_jupyter_image_has_what_the_notebooks_read_and_run():
    jupyter_stage = TEXT.split("FROM runtime AS jupyter")[1]
    for package in ("graphviz", "chromium", "nodejs", "npm"):
        assert re.search(rf"apt-get install[^\n]*\b{package}\b", jupyter_stage), package
    assert "npm ci" in jupyter_stage and "PUPPETEER_SKIP_DOWNLOAD=1" in jupyter_stage  # Debian's chromium, no download
    assert "COPY --from=versitygw /app/versitygw /usr/local/bin/versitygw" in jupyter_stage  # notebook 9's store
    copied = re.search(r"^COPY (docker-compose\.yml Dockerfile) \./$", jupyter_stage, flags=re.M)
    assert copied and {COMPOSE_FILE.name, DOCKERFILE.name} == set(copied.group(1).split())
    assert COMPOSE_FILE.parent == DOCKERFILE.parent == PROJ_ROOT  # /app/… inside the image


def test_compose_builds_the_stages_that_exist():
    stages = set(re.findall(r"^FROM \S+ AS (\w+)", TEXT, flags=re.M))
    targets = {svc["build"]["target"] for svc in load_compose()["services"].values() if "build" in svc}
    assert targets <= stages and targets == {"app", "jupyter"}


def test_dockerignore_keeps_data_checkpoints_caches_and_secrets_out():
    ignored = {
        line.strip()
        for line in (PROJ_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for pattern in (
        ".env",
        ".venv/",
        ".state/",
        "data/",
        "checkpoints/",
        "spark-warehouse/",
        "metastore_db/",
        "**/__pycache__/",
        ".git",
    ):
        assert pattern in ignored, pattern
    copied = [source for line in re.findall(r"^COPY (?!--from)(.+)$", TEXT, flags=re.M) for source in line.split()[:-1]]
    for source in copied:  # nothing the image copies is ignored
        top = source.split("/")[0] + ("/" if "/" in source else "")
        assert top not in ignored and source not in ignored, source
        assert (PROJ_ROOT / source).exists(), source


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
