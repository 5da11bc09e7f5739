"""`make lab` (scripts/lab.sh): JupyterLab on notebooks/, project kernel registered, 127.0.0.1 only, token required."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hybridflow.config import PROJ_ROOT
from hybridflow.probes import free_port


@pytest.fixture
def lab(tmp_path: Path):
    """scripts/lab.sh on a free port, its Jupyter data (kernelspecs, runtime) under tmp_path; stopped after."""
    port, token = free_port(), "compose-lab-test"
    env = {**os.environ, "LAB_PORT": str(port), "LAB_TOKEN": token, "JUPYTER_DATA_DIR": str(tmp_path / "jupyter")}
    env.pop("DISPLAY", None)
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [str(PROJ_ROOT / "scripts" / "lab.sh")], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"JupyterLab did not answer: {(tmp_path / 'lab.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(1)
        yield base, token, tmp_path / "lab.log"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_lab_serves_the_notebooks_with_the_project_kernel(lab):
    base, token, log = lab

    def get(path: str) -> dict:
        with urllib.request.urlopen(f"{base}{path}?token={token}", timeout=10) as resp:
            return json.load(resp)

    specs = get("/api/kernelspecs")["kernelspecs"]
    assert Path(specs["hybridflow"]["spec"]["argv"][0]) == PROJ_ROOT / ".venv" / "bin" / "python"
    names = {item["name"] for item in get("/api/contents")["content"]}
    assert {p.name for p in (PROJ_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")} <= names
    assert f"{base}/lab?token={token}" in log.read_text()  # the address, token included, is printed
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/api/contents", timeout=10)
    assert refused.value.code == 403


def test_lab_listens_on_localhost_only(lab):
    base, _, _ = lab
    port = base.rsplit(":", 1)[1]
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    addresses = {line.split()[3].rsplit(":", 1)[0] for line in listening.splitlines()}
    assert addresses == {"127.0.0.1"}
