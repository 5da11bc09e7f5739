#!/usr/bin/env bash
# `make compose-test`: the real docker-compose.yml, built and run on a Docker engine, checked for real.
#
#  1. a private engine (scripts/docker-engine.sh; COMPOSE_TEST_ENGINE=existing uses $DOCKER_HOST instead)
#     and Docker Compose v2 (scripts/compose-plugin.sh);
#  2. images, never pulled: a debootstrap'ed Debian 12 (scripts/base-image.sh), stand-ins for the Python,
#     Maven, PostgreSQL, versitygw and Redpanda images (docker/standins/), and the real Dockerfile's app
#     and jupyter targets built by `docker compose build` on those stand-ins (docker/compose.test.yml);
#  3. tests/integration/deploy/test_compose_stack.py: `up --wait`, the checks, `down -v`;
#  all of it on a snapshot of the working tree taken at the start (others may edit it meanwhile).
#
# Published ports are the defaults + COMPOSE_TEST_PORT_OFFSET (10000), all on 127.0.0.1, so it runs beside
# `make up`. The engine is stopped at the end whatever happens; its layers stay in DOCKER_STATE_DIR.
# With --build-only it stops after step 2 (the images, cached in DOCKER_STATE_DIR): CI builds them while the
# tests run, so the later full run only checks the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_ONLY=false
[[ ${1:-} == --build-only ]] && BUILD_ONLY=true

PY=${PY:-.venv/bin/python}
ENGINE=${COMPOSE_TEST_ENGINE:-private}
OFFSET=${COMPOSE_TEST_PORT_OFFSET:-10000}
export DOCKER_STATE_DIR=${DOCKER_STATE_DIR:-$HOME/.cache/hybridflow/docker}
STANDIN=hybridflow-standin
APP_IMAGE=hybridflow-app:0.1.0
begin=$(date +%s)
log() { printf 'compose-test [%4d s] %s\n' $(( $(date +%s) - begin )) "$*"; }

work=$(mktemp -d)
cleanup() {
  local status=$?
  [[ $ENGINE == private ]] && scripts/docker-engine.sh stop || true
  rm -rf "$work"
  log "$([[ $status -eq 0 ]] && echo passed || echo FAILED) (exit $status) in $(( $(date +%s) - begin )) s"
  exit $status
}
trap cleanup EXIT

# --- 1. engine and Compose -----------------------------------------------------------------------------
case $ENGINE in
  private)
    scripts/docker-engine.sh start
    eval "$(scripts/docker-engine.sh env)"
    ;;
  existing)
    DOCKER=${DOCKER:-docker}
    "$DOCKER" version --format 'compose-test: existing engine {{.Server.Version}}' \
      || { echo "compose-test: no engine answers at ${DOCKER_HOST:-the default socket}: set DOCKER_HOST, or drop COMPOSE_TEST_ENGINE=existing" >&2; exit 1; }
    "$DOCKER" compose version >/dev/null 2>&1 || export DOCKER_CONFIG=$DOCKER_STATE_DIR/config
    ;;
  *) echo "compose-test: COMPOSE_TEST_ENGINE is 'private' (default) or 'existing', not '$ENGINE'" >&2; exit 2 ;;
esac
export DOCKER DOCKER_HOST
[[ -n ${DOCKER_CONFIG:-} ]] && export DOCKER_CONFIG
scripts/compose-plugin.sh

# --- 2. a snapshot of the working tree (what git would commit, edits included): the build and the stack
#        see one consistent version even if the tree changes during the run --------------------------------
src=$work/src
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -C "$src" -xf -
else
  src=$PWD
fi

# --- 3. the test's settings: fresh secrets, shifted ports, a notebooks folder owned by a desktop-like uid --
env_file=$work/compose-test.env
secret() { "$PY" -c 'import secrets; print(secrets.token_hex(12))'; }
declare -A PORTS=(
  [KAFKA]=19092 [SCHEMA_REGISTRY]=18081 [PANDAPROXY]=18082 [REDPANDA_ADMIN]=19644 [CONSOLE]=8080
  [S3]=9000 [S3_WEBUI]=9001 [POSTGRES]=15432 [SPARK_MASTER_UI]=8090 [SPARK_WORKER_UI]=8091
  [SPARK_APP_UI]=4040 [JUPYTER]=8888
)
cp -r "$src/notebooks" "$work/notebooks"
find "$work/notebooks" -name '.ipynb_checkpoints' -prune -exec rm -rf {} +
[[ $(id -u) -eq 0 ]] && chown -R 1000:1000 "$work/notebooks"
{
  echo "S3_ACCESS_KEY=compose-test"
  echo "S3_SECRET_KEY=$(secret)"
  echo "S3_REGION=us-east-1"
  echo "PG_PASSWORD=$(secret)"
  for role in ADMIN PRODUCER STREAMING CONSOLE; do echo "KAFKA_${role}_PASSWORD=$(secret)"; done
  echo "JUPYTER_TOKEN=$(secret)"
  echo "PRODUCER_RATE=20"
  echo "CRM_SCALE=0.05"
  echo "SPARK_WORKER_CORES=2"
  echo "SPARK_WORKER_MEMORY=1g"
  echo "TRIGGER_INTERVAL=5 seconds"
  echo "COMPOSE_TEST_NOTEBOOKS=$work/notebooks"
  for name in "${!PORTS[@]}"; do
    port=$(( PORTS[$name] + OFFSET ))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "compose-test: port $port (HOST_PORT_$name) is taken on 127.0.0.1: free it or set COMPOSE_TEST_PORT_OFFSET" >&2
      exit 1
    fi
    echo "HOST_PORT_$name=$port"
  done
} > "$env_file"
compose() { "$DOCKER" compose --env-file "$env_file" -f "$src/docker-compose.yml" -f "$src/docker/compose.test.yml" "$@"; }

# --- 4. images, never pulled -----------------------------------------------------------------------------
build_log=$DOCKER_STATE_DIR/compose-test-build.log
: > "$build_log"
build() {  # image, then `docker build` arguments; the classic builder, as Compose uses without buildx
  local image=$1 t0; shift
  t0=$(date +%s)
  if ! DOCKER_BUILDKIT=0 "$DOCKER" build --network host -t "$image" "$@" >>"$build_log" 2>&1; then
    tail -n 30 "$build_log" >&2
    echo "compose-test: building $image failed; the whole log is $build_log" >&2
    exit 1
  fi
  log "image $image ($(( $(date +%s) - t0 )) s)"
}
scripts/base-image.sh "$STANDIN/debian:bookworm"
build "$STANDIN/python:3.11-bookworm" -f "$src/docker/standins/python.Dockerfile" "$src/docker/standins"
build "$STANDIN/maven:bookworm" -f "$src/docker/standins/maven.Dockerfile" "$src/docker/standins"
"${HF:-.venv/bin/hybridflow}" objectstore install >/dev/null  # versitygw from source, as `make setup` builds it
mkdir -p "$work/versitygw"
cp "$("$PY" -c 'from hybridflow.config import get_settings; from hybridflow.services.objectstore import installed_binary; print(installed_binary(get_settings()))')" "$work/versitygw/versitygw"
build "$STANDIN/versitygw:v1.8.0" -f "$src/docker/standins/versitygw.Dockerfile" "$work/versitygw"
build "$STANDIN/postgres:15-bookworm" -f "$src/docker/standins/postgres.Dockerfile" "$src"
# One service per image, one after the other: every app service shares the app image, and the jupyter
# target reuses its layers (Compose would otherwise build them side by side, each from scratch).
for service in bucket-init jupyter; do
  t0=$(date +%s)
  if ! compose build "$service" >>"$build_log" 2>&1; then
    tail -n 30 "$build_log" >&2
    echo "compose-test: docker compose build $service failed; the whole log is $build_log" >&2
    exit 1
  fi
  log "image of $service from the real Dockerfile ($(( $(date +%s) - t0 )) s)"
done
build "$STANDIN/redpanda:v25.2.4" --build-arg "APP_IMAGE=$APP_IMAGE" -f "$src/docker/standins/redpanda.Dockerfile" "$src"
# Replaced images leave their layers behind: prune them once a day, which keeps the cache bounded
# without paying the (slow) prune on every run.
if [[ -z $(find "$DOCKER_STATE_DIR/.last-prune" -mmin -1440 2>/dev/null) ]]; then
  "$DOCKER" image prune -f >/dev/null && touch "$DOCKER_STATE_DIR/.last-prune"
fi

# --- 5. up, check, down ----------------------------------------------------------------------------------
if $BUILD_ONLY; then
  log "images ready (--build-only: no stack checks)"
  exit 0
fi
log "images ready; running the stack checks"
COMPOSE_TEST_ENV_FILE=$env_file COMPOSE_TEST_PROJECT_DIR=$src "$PY" -m pytest tests/integration/deploy/test_compose_stack.py \
  -p no:cacheprovider -v -x
