"""PostgreSQL under the supervisor, on a private port and state dir: start, again, port taken, stale pid, stop.

It never touches the shared server on PG_PORT.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridflow.config import Settings
from hybridflow.errors import StackError
from hybridflow.probes import free_port, pid_alive, port_answers
from hybridflow.services.postgres import SERVICE, data_dir
from hybridflow.services.process import PidFile

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def private_pg(settings: Settings) -> Iterator[Settings]:
    """Settings of a PostgreSQL of its own (free port, state dir the `postgres` account can traverse); stopped at the end."""
    state = Path(tempfile.mkdtemp(prefix="hybridflow-pg-"))
    state.chmod(0o755)  # when run as root, the server runs as `postgres`, which must reach its folder
    private = settings.with_(state_dir=state, pg_port=free_port(), pg_host="localhost")
    yield private
    SERVICE.stop(private)
    shutil.rmtree(state, ignore_errors=True)


def test_start_stop_cycle(private_pg: Settings, tmp_path: Path) -> None:
    first = SERVICE.start(private_pg)
    assert first.running and first.started_in_s and port_answers("localhost", private_pg.pg_port)
    assert PidFile(data_dir(private_pg) / "postmaster.pid").read() == first.pid  # the server's own pid file
    again = SERVICE.start(private_pg)
    assert again.pid == first.pid and again.started_in_s == 0.0

    other = private_pg.with_(state_dir=tmp_path / "other")
    with pytest.raises(StackError, match=rf"\(PostgreSQL\) is already in use by postgres \(pid {first.pid}: .*PG_PORT"):
        SERVICE.start(other)

    assert SERVICE.stop(private_pg) is True
    assert not pid_alive(first.pid) and not port_answers("localhost", private_pg.pg_port)
    assert not SERVICE.status(private_pg).running and SERVICE.stop(private_pg) is False

    # A postmaster.pid left by a killed server (its pid gone) neither counts nor blocks the next start.
    (data_dir(private_pg) / "postmaster.pid").write_text(f"{first.pid}\n{data_dir(private_pg)}\n")
    restarted = SERVICE.start(private_pg)
    assert restarted.running and restarted.pid != first.pid
