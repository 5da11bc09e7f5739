"""An unwritable lake or checkpoint location fails at start, in one sentence naming the setting (preflight + CLI)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridflow.config import get_settings
from hybridflow.errors import ConfigError
from hybridflow.preflight import check_writable


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can write in — root included (immutable attribute), else by its mode bits."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() == 0:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("root, and this filesystem has no immutable attribute: cannot make a folder unwritable")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=False)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


def test_a_writable_lake_and_checkpoints_pass_and_are_created(tmp_path: Path) -> None:
    check_writable(get_settings(lake_uri=(tmp_path / "lake").as_uri(), checkpoint_uri=(tmp_path / "cp").as_uri()))
    assert (tmp_path / "lake").is_dir() and (tmp_path / "cp").is_dir()
    assert not list((tmp_path / "lake").iterdir())  # the probe is gone


def test_an_unwritable_lake_names_the_location_and_lake_uri(read_only: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=rf"^The lake location {read_only}/lake is not writable \(.+\): fix its permissions or point LAKE_URI at a folder",
    ):
        check_writable(get_settings(lake_uri=(read_only / "lake").as_uri()))


def test_an_unwritable_checkpoint_location_names_checkpoint_uri(tmp_path: Path, read_only: Path) -> None:
    s = get_settings(lake_uri=(tmp_path / "lake").as_uri(), checkpoint_uri=read_only.as_uri())
    with pytest.raises(ConfigError, match=r"^The checkpoint location .* is not writable .* point CHECKPOINT_URI at"):
        check_writable(s)


def test_a_file_in_the_way_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a folder")
    with pytest.raises(ConfigError, match=r"is not writable \(Not a directory\)"):
        check_writable(get_settings(lake_uri=(tmp_path / "taken" / "lake").as_uri()))


def test_the_stream_command_fails_fast_in_one_line(read_only: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HYBRIDFLOW_ENV_FILE": os.devnull,
        "LAKE_URI": (read_only / "lake").as_uri(),
        "KAFKA_BOOTSTRAP_SERVERS": "localhost:1",
    }  # fmt: skip  (nothing listens: the check comes first)
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "hybridflow.cli", "stream", "--available-now"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    took = time.monotonic() - began
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip() == (
        f"hybridflow: The lake location {read_only}/lake is not writable ({done.stderr.split('(', 1)[1].split(')')[0]}): "
        "fix its permissions or point LAKE_URI at a folder this user can write."
    )
    assert took < 60, f"{took:.0f} s: the check must come before Spark starts"
