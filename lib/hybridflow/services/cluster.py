"""A local Spark standalone cluster (one master, one worker) from the pinned pyspark's own classes.

pip's pyspark ships every jar of Spark (``pyspark/jars``) but not the ``sbin/start-*.sh``
scripts, so the daemons are started the way those scripts end up starting them:
``java -cp "<pyspark>/jars/*" org.apache.spark.deploy.master.Master …`` and
``…deploy.worker.Worker spark://host:port …``, with ``SPARK_HOME`` pointing at the
pyspark folder so the worker can launch executors from the same jars.

The master's address comes from ``SPARK_MASTER`` when it is ``spark://host:port``
(else 127.0.0.1:7077); the other knobs are settings named like Spark's own variables:
``SPARK_MASTER_WEBUI_PORT`` (8080), ``SPARK_WORKER_WEBUI_PORT`` (8081),
``SPARK_WORKER_CORES`` (1) and ``SPARK_WORKER_MEMORY`` (1g). Files::

    <state_dir>/spark/work/               the worker's work dir (one folder per app: executor logs)
    <state_dir>/run/spark-master.pid      <state_dir>/run/spark-worker.pid
    <state_dir>/logs/spark-master.log     <state_dir>/logs/spark-worker.log

Connector jars are not installed on the worker: the driver ships ``spark.jars`` to
every executor (see hybridflow.spark.spark_conf).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hybridflow import probes
from hybridflow.config import Settings
from hybridflow.errors import StackError, ToolchainError
from hybridflow.services.base import Daemon, Port, Service
from hybridflow.toolchain import check_java

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
DAEMON_HEAP = "512m"  # the daemons only schedule; executors get their own JVM and memory


def spark_home() -> Path:
    """The installed pyspark package folder, which holds Spark's jars (`SPARK_HOME` for the daemons)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        raise ToolchainError("pyspark is not installed in this Python: run `make setup`.")
    home = Path(next(iter(spec.submodule_search_locations)))
    if not (home / "jars").is_dir():
        raise ToolchainError(f"{home} has no jars/ folder: reinstall pyspark (`make setup`).")
    return home


@dataclass(frozen=True)
class ClusterSpec:
    """Where the local cluster listens and what the worker offers."""

    host: str
    port: int
    webui_port: int
    worker_webui_port: int
    worker_cores: int
    worker_memory: str

    @classmethod
    def of(cls, settings: Settings) -> ClusterSpec:
        """The spec for these settings (SPARK_MASTER, SPARK_MASTER_WEBUI_PORT, SPARK_WORKER_*)."""
        host, port = "127.0.0.1", 7077
        match = re.match(r"^spark://([^:/,]+):(\d+)$", settings.spark_master)
        if match:
            host, port = match.group(1), int(match.group(2))
        elif settings.spark_master.startswith("spark://"):
            raise StackError(f"SPARK_MASTER={settings.spark_master} lists several masters: the local cluster has one.")
        return cls(
            host=host,
            port=port,
            webui_port=settings.spark_master_webui_port,
            worker_webui_port=settings.spark_worker_webui_port,
            worker_cores=settings.spark_worker_cores,
            worker_memory=settings.spark_worker_memory,
        )

    @property
    def master_url(self) -> str:
        """spark://host:port, the value to give SPARK_MASTER."""
        return f"spark://{self.host}:{self.port}"

    @property
    def master_ui(self) -> str:
        """The master's web UI (its JSON is at <ui>/json/)."""
        return f"http://{self.host}:{self.webui_port}"

    @property
    def worker_ui(self) -> str:
        """The worker's web UI (its JSON is at <ui>/json/)."""
        return f"http://{self.host}:{self.worker_webui_port}"


@dataclass(frozen=True)
class ClusterPaths:
    """Every file of the local cluster, derived from `settings.state_dir`."""

    work: Path
    master_pid: Path
    worker_pid: Path
    master_log: Path
    worker_log: Path

    @classmethod
    def of(cls, settings: Settings) -> ClusterPaths:
        """The paths for these settings."""
        state = Path(settings.state_dir)
        return cls(
            work=state / "spark" / "work",
            master_pid=state / "run" / "spark-master.pid",
            worker_pid=state / "run" / "spark-worker.pid",
            master_log=state / "logs" / "spark-master.log",
            worker_log=state / "logs" / "spark-worker.log",
        )


def master_command(spec: ClusterSpec, bind_host: str | None = None) -> list[str]:
    """`java … Master` with the pinned pyspark's jars."""
    return [
        check_java(),
        f"-Xmx{DAEMON_HEAP}",
        "-cp",
        f"{spark_home()}/jars/*",
        MASTER_CLASS,
        "--host",
        bind_host or spec.host,
        "--port",
        str(spec.port),
        "--webui-port",
        str(spec.webui_port),
    ]


def worker_command(
    spec: ClusterSpec, work_dir: Path, bind_host: str | None = None, master_url: str | None = None
) -> list[str]:
    """`java … Worker spark://…` offering `worker_cores` cores and `worker_memory` to executors."""
    return [
        check_java(),
        f"-Xmx{DAEMON_HEAP}",
        "-cp",
        f"{spark_home()}/jars/*",
        WORKER_CLASS,
        master_url or spec.master_url,
        "--host",
        bind_host or spec.host,
        "--cores",
        str(spec.worker_cores),
        "--memory",
        spec.worker_memory,
        "--webui-port",
        str(spec.worker_webui_port),
        "--work-dir",
        str(work_dir),
    ]


def scala_version(home: Path | None = None) -> str:
    """Scala binary version of the installed Spark (from its spark-core_<scala> jar)."""
    home = home or spark_home()
    for jar in (home / "jars").glob("spark-core_*.jar"):
        match = re.match(r"spark-core_(\d+\.\d+)-", jar.name)
        if match:
            return match.group(1)
    raise ToolchainError(f"No spark-core jar in {home}/jars: reinstall pyspark (`make setup`).")


def spark_env() -> dict[str, str]:
    """What the daemons add to the environment: SPARK_HOME so the worker launches executors from the same jars.

    SPARK_SCALA_VERSION is what Spark's launch scripts would set: without it the worker's
    executor launcher looks for a source build tree and fails ("Cannot find any build directories").
    """
    home = spark_home()
    return {"SPARK_HOME": str(home), "SPARK_SCALA_VERSION": scala_version(home)}


def daemon_env() -> dict[str, str]:
    """The whole environment of a daemon run in the foreground (the container roles)."""
    return {**os.environ, **spark_env()}


def get_json(url: str, timeout_s: float = 3.0) -> dict:
    """GET a Spark UI JSON endpoint (master or worker `/json/`)."""
    with urllib.request.urlopen(url, timeout=timeout_s) as resp:
        return json.loads(resp.read().decode())


def master_json(spec: ClusterSpec) -> dict:
    """The master's state: workers, cores, active and completed applications."""
    return get_json(f"{spec.master_ui}/json/")


def worker_json(spec: ClusterSpec) -> dict:
    """The worker's state: its executors (running and finished) with their application ids."""
    return get_json(f"{spec.worker_ui}/json/")


def alive_workers(spec: ClusterSpec) -> int:
    """How many workers the master sees ALIVE (0 when the master does not answer)."""
    try:
        state = master_json(spec)
    except (urllib.error.URLError, OSError, ValueError):
        return 0
    return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")


class SparkCluster(Service):
    """The local standalone cluster (master, then worker); started by `make cluster-up`, not by `up`."""

    name = "spark"
    label = "The Spark cluster"
    fix = "read the log, fix the cause, then rerun `make cluster-up`"

    def enabled(self, settings: Settings) -> bool:
        """True when SPARK_MASTER points at a spark:// master on this machine."""
        if not settings.spark_master.startswith("spark://"):
            return False
        return probes.is_local_host(ClusterSpec.of(settings).host)

    def address(self, settings: Settings) -> str:
        """spark://host:port of the master."""
        return ClusterSpec.of(settings).master_url

    def daemons(self, settings: Settings) -> tuple[Daemon, ...]:
        """The master (ready when its UI says ALIVE), then the worker (ready when the master sees it)."""
        spec, paths = ClusterSpec.of(settings), ClusterPaths.of(settings)
        # Their web UIs listen on SPARK_LOCAL_IP, else on every interface: keep them on the master's host.
        env = spark_env() | {"SPARK_LOCAL_IP": spec.host}
        master = Daemon(
            name="master",
            command=lambda: master_command(spec),
            ready=lambda: _master_answers(spec),
            pid_file=paths.master_pid,
            marker=MASTER_CLASS,
            log=paths.master_log,
            env=env,
            ports=(
                Port(spec.host, spec.port, "Spark master", "SPARK_MASTER"),
                Port(spec.host, spec.webui_port, "Spark master UI", "SPARK_MASTER_WEBUI_PORT"),
            ),
        )
        worker = Daemon(
            name="worker",
            command=lambda: worker_command(spec, paths.work),
            ready=lambda: alive_workers(spec) >= 1,
            pid_file=paths.worker_pid,
            marker=WORKER_CLASS,
            log=paths.worker_log,
            env=env,
            ports=(Port(spec.host, spec.worker_webui_port, "Spark worker UI", "SPARK_WORKER_WEBUI_PORT"),),
            prepare=lambda: paths.work.mkdir(parents=True, exist_ok=True),
        )
        return master, worker

    def after_start(self, settings: Settings) -> dict[str, str]:
        """The master's UI."""
        return {"ui": ClusterSpec.of(settings).master_ui}

    def details(self, settings: Settings) -> dict[str, str]:
        """UI, live workers, cores used, applications."""
        spec = ClusterSpec.of(settings)
        try:
            state = master_json(spec)
        except (urllib.error.URLError, OSError, ValueError):
            return {"ui": spec.master_ui}
        alive = [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]
        return {
            "ui": spec.master_ui,
            "workers": str(len(alive)),
            "cores": f"{state.get('coresused', 0)}/{state.get('cores', 0)} used",
            "apps": f"{len(state.get('activeapps', []))} active, {len(state.get('completedapps', []))} completed",
        }


def _master_answers(spec: ClusterSpec) -> bool:
    try:
        return master_json(spec).get("status") == "ALIVE"
    except (urllib.error.URLError, OSError, ValueError):
        return False
