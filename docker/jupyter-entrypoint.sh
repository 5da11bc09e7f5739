#!/bin/sh
# Entry point of the jupyter image: run as the owner of a bind-mounted notebooks/ folder, never as root.
#
# A host folder mounted on /app/notebooks keeps its host owner (uid 1000 on most Linux desktops), which
# the image's user (10001) cannot write to. Started as root (the image's default), this script gives the
# `hybridflow` user that uid/gid, hands it the image's writable folders, then drops root for good.
# Started with `user:` (or `docker run -u`), it changes nothing.
set -eu
NOTEBOOKS=/app/notebooks
WRITABLE="/home/hybridflow /app/data /app/report /app/diagrams /app/.state/logs /app/.state/run /app/.state/spark"

if [ "$(id -u)" -ne 0 ]; then
    exec "$@"
fi
uid=$(stat -c %u "$NOTEBOOKS")
gid=$(stat -c %g "$NOTEBOOKS")
if [ "$uid" -ne 0 ] && [ "$uid" -ne "$(id -u hybridflow)" ]; then
    groupmod --non-unique --gid "$gid" hybridflow
    usermod --non-unique --uid "$uid" --gid "$gid" hybridflow
    # shellcheck disable=SC2086  # a list of paths
    chown -R hybridflow:hybridflow $WRITABLE
    chown hybridflow:hybridflow /app/.state
    echo "jupyter-entrypoint: running as uid $uid gid $gid, the owner of $NOTEBOOKS" >&2
fi
if ! setpriv --reuid=hybridflow --regid=hybridflow --init-groups test -w "$NOTEBOOKS"; then
    echo "jupyter-entrypoint: $NOTEBOOKS (uid $uid) is not writable by uid $(id -u hybridflow): notebooks run," \
         "but saving them fails; give the folder to your user (chown) or set \`user:\` for this service." >&2
fi
export HOME=/home/hybridflow USER=hybridflow
exec setpriv --reuid=hybridflow --regid=hybridflow --init-groups "$@"
