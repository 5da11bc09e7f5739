"""A local Spark standalone cluster (one master, one worker) from the pinned pyspark's own classes.

pip's pyspark ships every jar of Spark (``pyspark/jars``) but not the ``sbin/start-*.sh``
scripts, so the daemons are started the way those scripts end up starting them:
``java -cp "<pyspark>/jars/*" org.apache.spark.deploy.master.Master …`` and
``…deploy.worker.Worker spark://host:port …``, with ``SPARK_HOME`` pointing at the
pyspark folder so the worker can launch executors from the same jars.

The master's address comes from ``SPARK_MASTER`` when it is ``spark://host:port``
(else 127.0.0.1:7077); the other knobs use Spark's own environment variable names:
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
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hybridflow.config import Settings
from hybridflow.errors import StackError, ToolchainError
from hybridflow.stack import process
from hybridflow.stack.base import ServiceStatus
from hybridflow.toolchain import check_java

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
DAEMON_HEAP = "512m"  # the daemons only schedule; executors get their own JVM and memory
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0


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
    def of(cls, settings: Settings, env: Mapping[str, str] | None = None) -> "ClusterSpec":
        """The spec for these settings (SPARK_MASTER) and Spark's own SPARK_MASTER_*/SPARK_WORKER_* variables."""
        env = os.environ if env is None else env
        host, port = "127.0.0.1", 7077
        match = re.match(r"^spark://([^:/,]+):(\d+)$", settings.spark_master)
        if match:
            host, port = match.group(1), int(match.group(2))
        elif settings.spark_master.startswith("spark://"):
            raise StackError(f"SPARK_MASTER={settings.spark_master} lists several masters: the local cluster has one.")
        try:
            return cls(
                host=host, port=port,
                webui_port=int(env.get("SPARK_MASTER_WEBUI_PORT", "8080")),
                worker_webui_port=int(env.get("SPARK_WORKER_WEBUI_PORT", "8081")),
                worker_cores=int(env.get("SPARK_WORKER_CORES", "1")),
                worker_memory=env.get("SPARK_WORKER_MEMORY", "1g"),
            )
        except ValueError as exc:
            raise StackError(f"A SPARK_MASTER_*/SPARK_WORKER_* variable is not a number ({exc}): fix it.") from None

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
    lock: Path
    master_log: Path
    worker_log: Path

    @classmethod
    def of(cls, settings: Settings) -> "ClusterPaths":
        """The paths for these settings."""
        state = Path(settings.state_dir)
        return cls(
            work=state / "spark" / "work",
            master_pid=state / "run" / "spark-master.pid",
            worker_pid=state / "run" / "spark-worker.pid",
            lock=state / "run" / "spark-cluster.lock",
            master_log=state / "logs" / "spark-master.log",
            worker_log=state / "logs" / "spark-worker.log",
        )


def master_command(spec: ClusterSpec, bind_host: str | None = None) -> list[str]:
    """`java … Master` with the pinned pyspark's jars."""
    return [
        check_java(), f"-Xmx{DAEMON_HEAP}", "-cp", f"{spark_home()}/jars/*", MASTER_CLASS,
        "--host", bind_host or spec.host, "--port", str(spec.port), "--webui-port", str(spec.webui_port),
    ]


def worker_command(spec: ClusterSpec, work_dir: Path, bind_host: str | None = None, master_url: str | None = None) -> list[str]:
    """`java … Worker spark://…` offering `worker_cores` cores and `worker_memory` to executors."""
    return [
        check_java(), f"-Xmx{DAEMON_HEAP}", "-cp", f"{spark_home()}/jars/*", WORKER_CLASS,
        master_url or spec.master_url,
        "--host", bind_host or spec.host,
        "--cores", str(spec.worker_cores), "--memory", spec.worker_memory,
        "--webui-port", str(spec.worker_webui_port), "--work-dir", str(work_dir),
    ]


def scala_version(home: Path | None = None) -> str:
    """Scala binary version of the installed Spark (from its spark-core_<scala> jar)."""
    home = home or spark_home()
    for jar in (home / "jars").glob("spark-core_*.jar"):
        match = re.match(r"spark-core_(\d+\.\d+)-", jar.name)
        if match:
            return match.group(1)
    raise ToolchainError(f"No spark-core jar in {home}/jars: reinstall pyspark (`make setup`).")


def daemon_env() -> dict[str, str]:
    """Environment of the daemons: SPARK_HOME so the worker launches executors from the same jars.

    SPARK_SCALA_VERSION is what Spark's launch scripts would set: without it the worker's
    executor launcher looks for a source build tree and fails ("Cannot find any build directories").
    """
    home = spark_home()
    return {**os.environ, "SPARK_HOME": str(home), "SPARK_SCALA_VERSION": scala_version(home)}


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


class SparkCluster:
    """The local standalone cluster; `Service`-shaped, but started by `make cluster-up`, not by `up`."""

    name = "spark"

    def enabled(self, settings: Settings) -> bool:
        """True when SPARK_MASTER points at a spark:// master on this machine."""
        if not settings.spark_master.startswith("spark://"):
            return False
        return process.is_local_host(ClusterSpec.of(settings).host)

    def _pidfiles(self, paths: ClusterPaths) -> tuple[process.PidFile, process.PidFile]:
        return process.PidFile(paths.master_pid, marker=MASTER_CLASS), process.PidFile(paths.worker_pid, marker=WORKER_CLASS)

    def status(self, settings: Settings) -> ServiceStatus:
        """Running when the master answers and sees the worker ALIVE; details list cores and apps."""
        spec, paths = ClusterSpec.of(settings), ClusterPaths.of(settings)
        master, worker = (p.running_pid() for p in self._pidfiles(paths))
        details: dict[str, str] = {"ui": spec.master_ui}
        running = False
        if master:
            try:
                state = master_json(spec)
                alive = [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]
                running = bool(worker and alive)
                details |= {
                    "workers": str(len(alive)), "cores": f"{state.get('coresused', 0)}/{state.get('cores', 0)} used",
                    "apps": f"{len(state.get('activeapps', []))} active, {len(state.get('completedapps', []))} completed",
                }
            except (urllib.error.URLError, OSError, ValueError):
                details["note"] = "master process alive but its UI does not answer yet"
        return ServiceStatus(self.name, running, spec.master_url, master, details=details)

    def start(self, settings: Settings, timeout_s: float = START_TIMEOUT_S) -> ServiceStatus:
        """Start the master, then the worker, and wait until the master sees it ALIVE (idempotent)."""
        spec, paths = ClusterSpec.of(settings), ClusterPaths.of(settings)
        begin = time.monotonic()
        with process.file_lock(paths.lock):
            master_pf, worker_pf = self._pidfiles(paths)
            master = master_pf.running_pid()
            if master is None:
                self._check_free(spec, [(spec.port, "master", "SPARK_MASTER"),
                                        (spec.webui_port, "master UI", "SPARK_MASTER_WEBUI_PORT")])
                master = process.start_detached(master_command(spec), paths.master_log, env=daemon_env())
                master_pf.write(master)
            self._wait(lambda: self._master_answers(spec), timeout_s, f"The Spark master (pid {master})",
                       master, paths.master_log, master_pf)
            worker = worker_pf.running_pid()
            if worker is None:
                self._check_free(spec, [(spec.worker_webui_port, "worker UI", "SPARK_WORKER_WEBUI_PORT")])
                paths.work.mkdir(parents=True, exist_ok=True)
                worker = process.start_detached(worker_command(spec, paths.work), paths.worker_log, env=daemon_env())
                worker_pf.write(worker)
            self._wait(lambda: alive_workers(spec) >= 1, timeout_s, f"The Spark worker (pid {worker})",
                       worker, paths.worker_log, worker_pf)
        return ServiceStatus(self.name, True, spec.master_url, master, started_in_s=time.monotonic() - begin,
                             details={"ui": spec.master_ui, "worker pid": str(worker)})

    def stop(self, settings: Settings, timeout_s: float = STOP_TIMEOUT_S) -> bool:
        """Stop the worker (and its executors), then the master; True if anything was running."""
        paths = ClusterPaths.of(settings)
        stopped = False
        with process.file_lock(paths.lock):
            for pidfile in reversed(self._pidfiles(paths)):
                pid = pidfile.running_pid()
                if pid is not None:
                    process.stop_pid(pid, timeout_s=timeout_s)
                    stopped = True
                pidfile.remove()
        return stopped

    @staticmethod
    def _master_answers(spec: ClusterSpec) -> bool:
        try:
            return master_json(spec).get("status") == "ALIVE"
        except (urllib.error.URLError, OSError, ValueError):
            return False

    @staticmethod
    def _check_free(spec: ClusterSpec, ports: list[tuple[int, str, str]]) -> None:
        for port, what, env in ports:
            if process.port_in_use(spec.host, port):
                raise StackError(
                    f"Port {spec.host}:{port} (Spark {what}) is already in use by another process: "
                    f"stop it (`ss -ltnp | grep :{port}`) or set {env} to a free port."
                )

    @staticmethod
    def _wait(check, timeout_s: float, what: str, pid: int, log: Path, pidfile: process.PidFile) -> None:
        try:
            process.wait_until(check, timeout_s=timeout_s, what=what,
                               fix="read the log, fix the cause, then rerun `make cluster-up`",
                               pid=pid, log_file=log)
        except StackError:
            if not process.pid_alive(pid):
                pidfile.remove()
            raise
