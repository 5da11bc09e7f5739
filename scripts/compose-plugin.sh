#!/usr/bin/env bash
# Docker Compose v2 for the engine of `make compose-test`: the one already installed if `docker compose`
# works, else Compose built from its Go module (github.com/docker/compose/v5, pinned below) as a CLI plugin
# in $DOCKER_CONFIG/cli-plugins/ (Debian 12 packages only Compose v1). Needs Go >= 1.21: an older go.mod
# requirement is met by Go's own toolchain download through the module proxy.
#   DOCKER_CONFIG=… scripts/compose-plugin.sh
set -euo pipefail

VERSION=v5.6.0  # v5.7.x needs a newer Go than this project's machines have
MODULE=github.com/docker/compose/v5
DOCKER=${DOCKER:-docker}
PLUGIN_DIR=${DOCKER_CONFIG:?set DOCKER_CONFIG (scripts/docker-engine.sh env)}/cli-plugins
PLUGIN=$PLUGIN_DIR/docker-compose

if "$DOCKER" compose version >/dev/null 2>&1; then
  echo "compose-plugin: $("$DOCKER" compose version)"
  exit 0
fi
go=$(command -v go || echo /usr/local/go/bin/go)
if [[ ! -x $go ]]; then
  echo "compose-plugin: Docker Compose v2 is missing and Go is not installed to build it: install Go 1.21+ (e.g. into /usr/local/go), or Compose v2 as a Docker CLI plugin" >&2
  exit 1
fi
begin=$(date +%s)
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
# `go install …@version` refuses a module with exclude directives: build it as its own main module.
dir=$(cd "$work" && GOFLAGS=-mod=mod "$go" mod download -json "$MODULE@$VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
[[ -d $dir ]] || { echo "compose-plugin: could not download $MODULE@$VERSION from the Go module proxy" >&2; exit 1; }
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
mkdir -p "$PLUGIN_DIR"
(cd "$work/src" && CGO_ENABLED=0 "$go" build -trimpath \
   -ldflags "-s -w -X $MODULE/internal.Version=$VERSION" -o "$PLUGIN" ./cmd)
echo "compose-plugin: built Docker Compose $VERSION into $PLUGIN in $(( $(date +%s) - begin )) s"
"$DOCKER" compose version
