"""The Docker Compose deployment as data: load `docker-compose.yml`, resolve its variables, describe it.

No Docker engine is needed: the report's notebook renders the topology from
`topology()` / `service_table()` / `mermaid()`, and the static tests check the file
(schema, pinned images, health checks, settings, published ports) through the same
functions. `make compose-test` then runs it for real (tests/integration/deploy/test_compose_stack.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hybridflow.config import PROJ_ROOT

COMPOSE_FILE = PROJ_ROOT / "docker-compose.yml"
DOCKERFILE = PROJ_ROOT / "Dockerfile"
TEST_OVERRIDE = PROJ_ROOT / "docker" / "compose.test.yml"  # `make compose-test`: local stand-ins for pulled images
ENV_EXAMPLE = PROJ_ROOT / ".env.example"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; $$ is a literal $.
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}")


class MissingVariable(KeyError):
    """A `${VAR:?message}` whose variable is unset: Compose refuses to start with `message`."""


def load_compose(path: Path = COMPOSE_FILE) -> dict:
    """The Compose file as parsed YAML (anchors and merge keys resolved, variables not)."""
    return yaml.safe_load(path.read_text())


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """KEY=VALUE lines of an env file (comments and blanks skipped), as Compose reads `.env`."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def interpolate(value: object, env: Mapping[str, str]) -> object:
    """Resolve Compose's `${…}` variables in a value (recursively in lists and dicts)."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3)
        current = env.get(name)
        unset_or_empty = current is None or (current == "" and op is not None and op.startswith(":"))
        if op in (":-", "-"):
            return str(interpolate(arg, env)) if unset_or_empty or current is None else current
        if op in (":?", "?"):
            if unset_or_empty or current is None:
                raise MissingVariable(f"{name}: {arg}")
            return current
        return current or ""

    return _VAR.sub(sub, value)


def variables_used(doc: object) -> set[str]:
    """Every variable name a Compose document interpolates."""
    found: set[str] = set()
    if isinstance(doc, dict):
        for v in doc.values():
            found |= variables_used(v)
    elif isinstance(doc, list):
        for v in doc:
            found |= variables_used(v)
    elif isinstance(doc, str):
        found |= {m.group(1) for m in _VAR.finditer(doc) if m.group(1)}
    return found


@dataclass(frozen=True)
class PublishedPort:
    """One `ports:` entry: the host address and port it is published on, and the container's port."""

    host_ip: str
    host_port: str
    container_port: str


def published_port(spec: str) -> PublishedPort:
    """Parse a short-syntax port ('127.0.0.1:9000:9000', '9000:9000', '9000'); no IP means every interface."""
    parts = str(spec).split("/")[0].rsplit(":", 2)
    if len(parts) == 3:
        return PublishedPort(*parts)
    if len(parts) == 2:
        return PublishedPort("0.0.0.0", parts[0], parts[1])
    return PublishedPort("0.0.0.0", "", parts[0])


def environment_of(service: dict) -> dict[str, str]:
    """A service's `environment` as a dict (Compose allows a dict or a KEY=VALUE list)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


@dataclass(frozen=True)
class ComposeService:
    """One service of the Compose file, reduced to what the report and the checks need."""

    name: str
    image: str | None
    built: bool
    command: list[str] | str | None
    ports: list[str]
    depends_on: dict[str, str]  # service -> condition
    healthcheck: bool
    one_shot: bool  # runs to completion (restart "no"), waited for with service_completed_successfully
    environment: dict[str, str] = field(default_factory=dict)
    build_target: str | None = None

    @property
    def role(self) -> str:
        """A short label: the image's name, 'hybridflow <command>' for the app image, or 'JupyterLab'."""
        if self.built:
            if self.build_target == "jupyter":
                return "JupyterLab"
            cmd = self.command if isinstance(self.command, list) else str(self.command or "").split()
            return " ".join(["hybridflow", *(c for c in cmd[:2] if c and not c.startswith("-"))])
        return (self.image or "").split("/")[-1]


def topology(doc: dict | None = None) -> list[ComposeService]:
    """The services of the Compose file, in file order."""
    doc = load_compose() if doc is None else doc
    services = []
    for name, svc in doc.get("services", {}).items():
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            deps = dict.fromkeys(deps, "service_started")
        services.append(
            ComposeService(
                name=name,
                image=svc.get("image"),
                built="build" in svc,
                command=svc.get("command"),
                ports=[str(p) for p in svc.get("ports", [])],
                depends_on={d: (c or {}).get("condition", "service_started") for d, c in deps.items()},
                healthcheck=bool(svc.get("healthcheck")) and not svc["healthcheck"].get("disable", False),
                one_shot=str(svc.get("restart", "no")) == "no",
                environment=environment_of(svc),
                build_target=svc["build"].get("target") if isinstance(svc.get("build"), dict) else None,
            )
        )
    return services


def service_table(doc: dict | None = None) -> list[dict[str, str]]:
    """One row per service (name, image/role, host ports, waits for, health check): for the report."""
    return [
        {
            "service": s.name,
            "runs": s.role,
            "image": s.image or "",
            "host ports": ", ".join(published_port(p).host_port for p in s.ports),
            "waits for": ", ".join(f"{d} ({c.removeprefix('service_')})" for d, c in s.depends_on.items()),
            "health check": "one-shot" if s.one_shot else ("yes" if s.healthcheck else "no"),
        }
        for s in topology(doc)
    ]


def mermaid(doc: dict | None = None) -> str:
    """A Mermaid flowchart of the services and their start-up dependencies."""

    def node(name: str) -> str:
        return name.replace("-", "_")  # Mermaid ids: no hyphens

    lines = ["flowchart LR"]
    for s in topology(doc):
        label = f'"{s.name}<br/>{s.role}"'
        lines.append(f"  {node(s.name)}([{label}])" if s.one_shot else f"  {node(s.name)}[{label}]")
    for s in topology(doc):
        for dep, condition in s.depends_on.items():
            lines.append(f"  {node(dep)} -->|{condition.removeprefix('service_')}| {node(s.name)}")
    return "\n".join(lines)
