"""The local stack from the command line: `up | down | status`, `cluster …` and `objectstore …`.

`up/down/status` manage every service `make up` runs; `cluster up/down/status` the detached
local Spark master + worker (`make cluster-up/-down`); `cluster master` / `cluster worker` run
one daemon in the foreground, which is how the Docker image plays those roles. `objectstore
install` builds the server, `objectstore init` creates the lake's bucket(s) on whatever
S3_ENDPOINT points at (the Compose bucket-init step), `objectstore ls` lists what the lake holds
through the S3 API.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from hybridflow import lake
from hybridflow.config import get_settings
from hybridflow.errors import StackError
from hybridflow.probes import wait_until
from hybridflow.services import stack as services
from hybridflow.services.cluster import (
    ClusterPaths,
    ClusterSpec,
    SparkCluster,
    daemon_env,
    master_command,
    worker_command,
)
from hybridflow.services.objectstore import (
    VERSITYGW_VERSION,
    check_credentials,
    ensure_binary,
    ensure_buckets,
    installed_binary,
    server_answers,
)


def _up(args: argparse.Namespace) -> int:
    settings = get_settings()
    names = ", ".join(s.name for s in services.enabled_services(settings))
    # A cold start takes 5-15 s: say so before the wait (stderr, so stdout stays the one summary line).
    print(f"up: starting {names or 'nothing local'} if not running, then the topics …", file=sys.stderr, flush=True)
    print(services.up(settings).summary())
    return 0


def _down(args: argparse.Namespace) -> int:
    stopped = services.down(get_settings())
    print(f"down: stopped {', '.join(stopped)}" if stopped else "down: nothing was running")
    return 0


def _status(args: argparse.Namespace) -> int:
    rows = services.status(get_settings())
    for row in rows:
        print(row.line())
    if args.check:  # scripts: exit 1 when an enabled service is not running
        return 0 if all(r.running for r in rows) else 1
    return 0


def _cluster_up(args: argparse.Namespace) -> int:
    settings = get_settings()
    status = SparkCluster().start(settings)
    spec = ClusterSpec.of(settings)
    how = f"started in {status.started_in_s:.1f} s" if status.started_in_s else "already running"
    print(
        f"cluster-up: master {spec.master_url} (pid {status.pid}) + 1 worker ({spec.worker_cores} core, "
        f"{spec.worker_memory}), {how}; UI {spec.master_ui}"
    )
    if settings.spark_master != spec.master_url:
        print(f"cluster-up: to run the jobs on it, set SPARK_MASTER={spec.master_url} (now {settings.spark_master})")
    return 0


def _cluster_down(args: argparse.Namespace) -> int:
    stopped = SparkCluster().stop(get_settings())
    print("cluster-down: stopped the Spark master and worker" if stopped else "cluster-down: nothing was running")
    return 0


def _cluster_status(args: argparse.Namespace) -> int:
    status = SparkCluster().status(get_settings())
    print(status.line())
    return 0 if status.running else 1


def _exec(cmd: list[str], env: dict[str, str]) -> int:
    """Replace this process with the daemon (PID 1 in a container gets the signals directly)."""
    print("exec:", " ".join(cmd), flush=True)
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached


def _cluster_master(args: argparse.Namespace) -> int:
    spec = ClusterSpec.of(get_settings())
    return _exec(master_command(spec, bind_host=args.host), daemon_env())


def _cluster_worker(args: argparse.Namespace) -> int:
    settings = get_settings()
    spec = ClusterSpec.of(settings)
    work = ClusterPaths.of(settings).work
    work.mkdir(parents=True, exist_ok=True)
    return _exec(worker_command(spec, work, bind_host=args.host, master_url=args.master), daemon_env())


def _objectstore_install(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.if_needed and not settings.s3_endpoint:
        print("objectstore: S3_ENDPOINT is not set, the lake is local: nothing to build")
        return 0
    begin = time.monotonic()
    had = installed_binary(settings)
    path = ensure_binary(settings, force=args.force)
    how = "already built" if had and not args.force else f"built in {time.monotonic() - begin:.0f} s"
    print(f"objectstore: versitygw {VERSITYGW_VERSION} at {path} ({how})")
    return 0


def _objectstore_init(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.s3_endpoint:
        raise StackError("S3_ENDPOINT is not set: set it (and S3_ACCESS_KEY / S3_SECRET_KEY) to create the bucket.")
    # Compose's bucket-init: a store other containers reach must not run on .env.example's keys.
    check_credentials(settings)
    wait_until(
        lambda: server_answers(settings),
        timeout_s=args.wait,
        what=f"The object store at {settings.s3_endpoint}",
        fix="start it (`make up`, or the `s3` service in Compose) or fix S3_ENDPOINT",
    )
    buckets = ensure_buckets(settings)
    print(f"objectstore: bucket(s) {', '.join(buckets) or 'none (LAKE_URI is local)'} ready at {settings.s3_endpoint}")
    return 0


def _objectstore_ls(args: argparse.Namespace) -> int:
    settings = get_settings()
    for name in args.datasets:
        table = lake.table(name)
        delta = table.delta(settings)
        if delta is None:
            print(f"{table.uri(settings)}: no Delta table yet")
            continue
        files = table.files(settings)
        size = sum(n for _, n in files)
        print(
            f"{table.uri(settings)}: Delta version {delta.version()}, {len(files)} data files "
            f"({size / 1024:.0f} KiB), {table.count(settings):,} rows"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `up`, `down`, `status`, `cluster` and `objectstore` commands."""
    sub.add_parser("up", help="start the local stack (Kafka broker, KRaft) and create the topics").set_defaults(
        func=_up
    )
    sub.add_parser("down", help="stop the local stack").set_defaults(func=_down)
    p = sub.add_parser("status", help="show what the local stack runs (state, pid, address, topics)")
    p.add_argument("--check", action="store_true", help="exit 1 if an enabled service is not running")
    p.set_defaults(func=_status)

    cluster = sub.add_parser("cluster", help="a local Spark standalone cluster (master + worker) from pyspark's jars")
    csub = cluster.add_subparsers(dest="cluster_command", required=True, metavar="ACTION")
    csub.add_parser("up", help="start the master and one worker (detached; idempotent)").set_defaults(func=_cluster_up)
    csub.add_parser("down", help="stop the worker and the master").set_defaults(func=_cluster_down)
    csub.add_parser("status", help="is the cluster running; workers, cores, apps").set_defaults(func=_cluster_status)
    m = csub.add_parser("master", help="run a master in the foreground (container role)")
    m.add_argument("--host", default=None, help="address to bind (default: the host of SPARK_MASTER)")
    m.set_defaults(func=_cluster_master)
    w = csub.add_parser("worker", help="run a worker in the foreground (container role)")
    w.add_argument("--master", default=None, help="spark://host:port to join (default: SPARK_MASTER)")
    w.add_argument("--host", default=None, help="address to bind and advertise (default: the master's host)")
    w.set_defaults(func=_cluster_worker)

    store = sub.add_parser("objectstore", help="the S3-API object store (versitygw) and the lake's bucket")
    ssub = store.add_subparsers(dest="objectstore_command", required=True, metavar="ACTION")
    i = ssub.add_parser("install", help="build versitygw into .state/bin with Go (idempotent)")
    i.add_argument("--if-needed", action="store_true", help="only when S3_ENDPOINT is set")
    i.add_argument("--force", action="store_true", help="rebuild even if present")
    i.set_defaults(func=_objectstore_install)
    n = ssub.add_parser("init", help="wait for S3_ENDPOINT, then create the bucket(s) of LAKE_URI (idempotent)")
    n.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the endpoint (default 60)")
    n.set_defaults(func=_objectstore_init)
    ls = ssub.add_parser("ls", help="list what the lake holds, through the S3 API when LAKE_URI is s3a://")
    ls.add_argument("datasets", nargs="*", default=["tickets", "ticket_windows"], help="datasets (default: both)")
    ls.set_defaults(func=_objectstore_ls)
