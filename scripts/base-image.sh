#!/usr/bin/env bash
# The Debian 12 base image of `make compose-test`, made without any image registry: debootstrap from the
# machine's own Debian mirror (as apt is configured), then `docker import`. The root file system is kept
# as a tarball beside the engine's data, so a wiped engine re-imports it in seconds.
#   DOCKER_HOST=… scripts/base-image.sh [image]      (default hybridflow-standin/debian:bookworm)
set -euo pipefail

IMAGE=${1:-hybridflow-standin/debian:bookworm}
SUITE=bookworm
DOCKER=${DOCKER:-docker}
CACHE=${DOCKER_STATE_DIR:-$HOME/.cache/hybridflow/docker}/debian-$SUITE-rootfs.tar

if "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base-image: $IMAGE present"
  exit 0
fi
begin=$(date +%s)
if [[ ! -s $CACHE ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "base-image: debootstrap needs root; run as root, or import a Debian 12 root file system as $IMAGE yourself" >&2
    exit 1
  fi
  command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  # The suites' URIs as this machine's apt knows them (its mirror, or its proxy), main component only.
  sources=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
            | awk -v s="$SUITE" '$3 == "main" && ($2 == s || $2 == s"-updates" || $2 == s"-security") {print $1, $2}' | sort -u)
  mirror=${DEBIAN_MIRROR:-$(awk -v s="$SUITE" '$2 == s {print $1; exit}' <<<"$sources")}
  if [[ -z $mirror ]]; then
    echo "base-image: apt has no Debian $SUITE source here; set DEBIAN_MIRROR to a Debian mirror URL" >&2
    exit 1
  fi
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  echo "base-image: debootstrap $SUITE (minbase) from $mirror"
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$mirror" >/dev/null
  # apt inside the image: the same suites, no recommends, no caches (as Docker's official slim images).
  awk '{print "deb", $1, $2, "main"}' <<<"${sources:-$mirror $SUITE}" > "$root/etc/apt/sources.list"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > "$root/etc/apt/apt.conf.d/90-no-recommends"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  mkdir -p "$(dirname "$CACHE")"
  tar -C "$root" --numeric-owner -cf "$CACHE.tmp" . && mv "$CACHE.tmp" "$CACHE"
fi
"$DOCKER" import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$CACHE" "$IMAGE" >/dev/null
# The machine's own CA certificates (e.g. a TLS-inspecting proxy's), as Debian keeps them: the builds'
# apt, pip, npm and Maven reach the registries through the same trust as the host's clients.
shopt -s nullglob
local_cas=(/usr/local/share/ca-certificates/*.crt)
if (( ${#local_cas[@]} )); then
  context=$(mktemp -d)
  cp "${local_cas[@]}" "$context/"
  printf '%s\n' "FROM $IMAGE" "COPY *.crt /usr/local/share/ca-certificates/" "RUN update-ca-certificates >/dev/null" \
    "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
    > "$context/Dockerfile"
  DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$IMAGE" "$context" >/dev/null
  rm -rf "$context"
  echo "base-image: added this machine's ${#local_cas[@]} local CA certificate(s) (/usr/local/share/ca-certificates)"
fi
echo "base-image: $IMAGE imported ($(du -h "$CACHE" | cut -f1) root file system) in $(( $(date +%s) - begin )) s"
