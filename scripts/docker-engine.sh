#!/usr/bin/env bash
# A private Docker engine for `make compose-test`: Debian's dockerd with its own socket, data root and
# exec root, so it never touches a system engine, and its image layers survive between runs.
#
#   scripts/docker-engine.sh start    install docker.io if missing (root), start dockerd, wait until it answers
#   scripts/docker-engine.sh stop     stop the dockerd this script started (its pid file), and its containers
#   scripts/docker-engine.sh status   running or not
#   scripts/docker-engine.sh env      the DOCKER_HOST / DOCKER_CONFIG lines to `eval`
#
# Everything lives under DOCKER_STATE_DIR (default ~/.cache/hybridflow/docker, outside the repository so a
# fresh clone reuses the layers): data/ (images, build cache, volumes), run/ (exec root), docker.sock,
# dockerd.pid, dockerd.log, config/cli-plugins/ (the Compose plugin). `rm -rf` it to start cold.
# No iptables rules (--iptables=false) and no default bridge: published ports go through docker-proxy on
# 127.0.0.1, builds use the host network, user-defined networks get an address pool of their own.
set -euo pipefail

STATE=${DOCKER_STATE_DIR:-$HOME/.cache/hybridflow/docker}
SOCK=$STATE/docker.sock
PIDFILE=$STATE/dockerd.pid
LOG=$STATE/dockerd.log
DOCKER=${DOCKER:-$( [[ -x /usr/bin/docker ]] && echo /usr/bin/docker || echo docker )}
ADDRESS_POOL=${DOCKER_ADDRESS_POOL:-172.29.0.0/16}
START_TIMEOUT_S=60

answers() { DOCKER_HOST=unix://$SOCK "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
our_pid() { [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"; }

install_engine() {
  command -v dockerd >/dev/null 2>&1 && [[ -x /usr/bin/docker ]] && return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "docker-engine: dockerd is missing; run: sudo apt-get install -y docker.io (or use an existing engine: make compose-test COMPOSE_TEST_ENGINE=existing)" >&2
    exit 1
  fi
  echo "docker-engine: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d-style start failures are fine: this script starts its own daemon.
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  DOCKER=/usr/bin/docker
}

start_with() {  # $1 = storage driver
  mkdir -p "$STATE/data" "$STATE/run" "$STATE/config"
  rm -f "$SOCK"
  setsid dockerd \
    --data-root="$STATE/data" --exec-root="$STATE/run" --pidfile="$PIDFILE" --host="unix://$SOCK" \
    --storage-driver="$1" --iptables=false --ip-masq=false --bridge=none \
    --default-address-pool="base=$ADDRESS_POOL,size=24" \
    >>"$LOG" 2>&1 </dev/null &
  local pid=$! waited=0
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if (( waited >= START_TIMEOUT_S )); then kill "$pid" 2>/dev/null || true; return 1; fi
    sleep 1; waited=$((waited + 1))
  done
}

start() {
  if [[ -n $(our_pid) ]] && answers; then
    echo "docker-engine: already running (pid $(cat "$PIDFILE"), unix://$SOCK)"
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "docker-engine: a private dockerd needs root; run as root, or use an existing engine: make compose-test COMPOSE_TEST_ENGINE=existing DOCKER_HOST=…" >&2
    exit 1
  fi
  install_engine
  mkdir -p "$STATE"
  # overlay2 where the kernel and the file system allow it; vfs (slower, full copies) otherwise.
  local driver=${DOCKER_STORAGE_DRIVER:-}
  if [[ -z $driver ]]; then
    driver=overlay2
    [[ -d $STATE/data/vfs && ! -d $STATE/data/overlay2 ]] && driver=vfs
  fi
  if ! start_with "$driver"; then
    if [[ $driver == overlay2 && -z ${DOCKER_STORAGE_DRIVER:-} ]]; then
      echo "docker-engine: overlay2 failed (see $LOG), retrying with vfs"
      start_with vfs || { echo "docker-engine: dockerd did not start; read $LOG" >&2; exit 1; }
      driver=vfs
    else
      echo "docker-engine: dockerd did not start; read $LOG" >&2; exit 1
    fi
  fi
  echo "docker-engine: dockerd $(DOCKER_HOST=unix://$SOCK "$DOCKER" version --format '{{.Server.Version}}') (pid $(cat "$PIDFILE"), $driver) on unix://$SOCK, data in $STATE/data"
}

stop() {
  local pid
  pid=$(our_pid) || true
  if [[ -z $pid ]]; then
    echo "docker-engine: not running"
    return 0
  fi
  # dockerd stops its containers and its containerd on SIGTERM.
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "docker-engine: dockerd (pid $pid) ignored SIGTERM for 60 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE" "$SOCK"
  echo "docker-engine: stopped (pid $pid)"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) if [[ -n $(our_pid) ]] && answers; then echo "running: unix://$SOCK (pid $(cat "$PIDFILE"))"; else echo "stopped"; exit 1; fi ;;
  env) echo "export DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$STATE/config DOCKER=$DOCKER" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
