"""What set-up installs beyond Python: a Java 17+ runtime, Maven, and the JVM jars.

The jars are resolved by Maven from the committed ``jvm/pom.xml`` (one profile per
folder under ``.state/jars/``) because Maven honours the machine's own settings
(mirrors, proxies), which Spark's Ivy resolver (``spark.jars.packages``) does not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from hybridflow.config import JVM_POM, Settings
from hybridflow.errors import ToolchainError

JAR_PROFILES = ("spark", "kafka", "kafka-tools")  # kafka-tools: the producer benchmark's ProducerPerformance
MIN_JAVA = 17
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def java_executable() -> str:
    """Path of the `java` to use: $JAVA_HOME/bin/java, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise ToolchainError(
            "Java is not installed: install a Java 17+ runtime (apt-get install openjdk-17-jre-headless) or set JAVA_HOME."
        )
    return found


def java_major_version(java: str | None = None) -> int:
    """Major version of the Java runtime (17, 21, ...)."""
    java = java or java_executable()
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        raise ToolchainError(f"Cannot read the Java version from `{java} -version`: set JAVA_HOME to a Java 17+ JDK.")
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 else major


def check_java() -> str:
    """Return the java executable, or raise if it is older than Java 17."""
    java = java_executable()
    major = java_major_version(java)
    if major < MIN_JAVA:
        raise ToolchainError(
            f"Java {major} found at {java}, but Spark 4 needs Java {MIN_JAVA}+: "
            "install openjdk-17-jre-headless or point JAVA_HOME at a newer JDK."
        )
    return java


def pom_property(name: str, pom: Path = JVM_POM) -> str:
    """A <properties> value of the committed pom.xml (e.g. 'spark.version')."""
    root = ET.parse(pom).getroot()
    node = root.find(f"m:properties/m:{name}", _POM_NS)
    if node is None or not (node.text or "").strip():
        raise ToolchainError(f"{pom} has no <{name}> property: restore jvm/pom.xml from git.")
    return (node.text or "").strip()


def jar_dir(settings: Settings, profile: str) -> Path:
    """Folder holding the jars of one pom.xml profile."""
    return settings.jars_dir / profile


def jars(settings: Settings, profile: str) -> list[Path]:
    """The resolved jars of a profile; raises with the fix when set-up has not run."""
    folder = jar_dir(settings, profile)
    found = sorted(folder.glob("*.jar")) if folder.is_dir() else []
    if not found:
        raise ToolchainError(f"No {profile} jars in {folder}: run `make setup` (it resolves them with Maven).")
    return found


def ensure_jars(settings: Settings, profiles: tuple[str, ...] = JAR_PROFILES, force: bool = False) -> dict[str, int]:
    """Resolve each profile's jars with Maven into ``.state/jars/<profile>`` (idempotent).

    A profile is re-resolved when forced or when the pom.xml is newer than its stamp.
    Returns the number of jars per profile.
    """
    counts: dict[str, int] = {}
    for profile in profiles:
        folder = jar_dir(settings, profile)
        stamp = folder / ".resolved"
        fresh = stamp.exists() and stamp.stat().st_mtime >= JVM_POM.stat().st_mtime
        if force or not fresh:
            mvn = shutil.which("mvn")
            if not mvn:
                raise ToolchainError(
                    "Maven is not installed: apt-get install maven (or put `mvn` on PATH), then rerun `make setup`."
                )
            if folder.exists():
                shutil.rmtree(folder)
            cmd = [
                mvn,
                "-q",
                "-B",
                "-f",
                str(JVM_POM),
                "-P",
                profile,
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={folder}",
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
                raise ToolchainError(
                    f"Maven could not resolve the '{profile}' jars of jvm/pom.xml; check network access to Maven Central "
                    f"or your ~/.m2/settings.xml mirror, then rerun `make setup`.\n{tail}"
                )
            stamp.touch()
        counts[profile] = len(jars(settings, profile))
    return counts
