#!/usr/bin/env bash
# `make lab`: JupyterLab on notebooks/ with the project's virtualenv, bound to 127.0.0.1, token printed.
# The kernel "Python 3 (hybridflow)" is registered for this user (any Jupyter front-end then finds the
# venv); the notebooks' own "python3" kernel is the same interpreter when JupyterLab runs from the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PORT=${LAB_PORT:-8888}
TOKEN=${LAB_TOKEN:-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(24))')}

"$VENV/bin/python" -m ipykernel install --user --name hybridflow --display-name "Python 3 (hybridflow)" >/dev/null
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "lab: port $PORT is taken (Compose's JupyterLab, another lab?): make lab LAB_PORT=8899" >&2
  exit 1
fi
open=False
[[ -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]] && open=True
extra=()
[[ $(id -u) -eq 0 ]] && extra+=(--allow-root)  # the project's machines run as root; a desktop user does not
echo "lab: JupyterLab on notebooks/ (kernel: the project's .venv) — open"
echo "     http://127.0.0.1:$PORT/lab?token=$TOKEN"
echo "     Ctrl-C stops it; the stack (make up) keeps running, \`make down\` stops it."
exec "$VENV/bin/jupyter" lab --ip=127.0.0.1 --port="$PORT" --ServerApp.port_retries=0 \
  --ServerApp.root_dir=notebooks --IdentityProvider.token="$TOKEN" --ServerApp.open_browser="$open" "${extra[@]}"
