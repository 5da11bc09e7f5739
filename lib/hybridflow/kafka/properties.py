"""Java ``.properties`` files, as Kafka's command-line tools and the broker read them.

`write_client_properties` gives a Java tool (``kafka-producer-perf-test`` …) the login of one
principal (:func:`hybridflow.kafka.security.client_options`, Java dialect), in a file only its owner reads.
"""

from __future__ import annotations

from pathlib import Path

from hybridflow.config import Settings
from hybridflow.kafka.security import Role, client_options


def render_properties(props: dict[str, str]) -> str:
    """A Java .properties text (keys in order, values escaped where Java needs it)."""

    def esc(value: str) -> str:
        return value.replace("\\", "\\\\").replace("\n", "\\n")

    return "".join(f"{k}={esc(v)}\n" for k, v in props.items())


def read_properties(path: Path) -> dict[str, str]:
    """Parse a simple key=value .properties file ({} if missing); comments and blank lines skipped."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.lstrip().startswith(("#", "!")))
    return {k.strip(): v.strip().replace("\\\\", "\\") for k, v in pairs}


def write_client_properties(settings: Settings, role: Role, path: Path, extra: dict[str, object] | None = None) -> Path:
    """A Java client properties file (0600: it holds a password) for Kafka's command-line tools."""
    props = {k: str(v) for k, v in (extra or {}).items()} | client_options(settings, "java", role)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(render_properties(props))
    return path
