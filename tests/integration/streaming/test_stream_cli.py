"""`hybridflow stream` as a user runs it: continuous mode, then Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from hybridflow.tickets.generator import TicketGenerator
from hybridflow.tickets.malformed import valid_event
from hybridflow.tickets.producer import produce

pytestmark = pytest.mark.integration


def _env(settings) -> dict[str, str]:
    return os.environ | {
        "TOPIC_TICKETS": settings.topic_tickets,
        "TOPIC_DLQ": settings.topic_dlq,
        "LAKE_URI": settings.lake_uri,
        "CHECKPOINT_URI": settings.checkpoint_root,
        "TRIGGER_INTERVAL": "2 seconds",
        "PYTHONUNBUFFERED": "1",
    }


def test_continuous_stream_processes_and_stops_on_ctrl_c(isolated_settings, tmp_path):
    tickets = TicketGenerator(3, datetime(2026, 1, 31, 9, tzinfo=UTC)).take(50)
    produce(map(valid_event, tickets), isolated_settings, progress=False)
    log = tmp_path / "stream.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hybridflow.cli", "stream"],
            env=_env(isolated_settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 240
            while "[tickets] batch 0: 50 rows in" not in log.read_text():
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, "no micro-batch within 240 s:\n" + log.read_text()[-3000:]
                time.sleep(1)
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert "stopping the streaming queries" in text
    assert "lake has 50 tickets" in text
    assert "Traceback" not in text
