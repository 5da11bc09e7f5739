"""The self-assessment's lake claims rest on the crash test and its last outcome, not on files being there."""

from __future__ import annotations

import json

from hybridflow.config import get_settings
from hybridflow.report import checklist

CRASH_MODULE = "N_EVENTS = 1_000\nKILLS = 3\n\n" + "".join(f"def {name}():\n    pass\n\n" for name in checklist.CRASH_CLAIMS)


def _project(tmp_path, monkeypatch, module: str = CRASH_MODULE, lastfailed: dict | None = None, collected: bool = True):
    test = tmp_path / checklist.CRASH_TEST
    test.parent.mkdir(parents=True)
    test.write_text(module)
    cache = tmp_path / ".pytest_cache" / "v" / "cache"
    cache.mkdir(parents=True)
    ids = [f"{checklist.CRASH_TEST}::{name}" for name in checklist.CRASH_CLAIMS] if collected else []
    (cache / "nodeids").write_text(json.dumps(ids))
    (cache / "lastfailed").write_text(json.dumps(lastfailed or {}))
    monkeypatch.setattr(checklist, "PROJ_ROOT", tmp_path)


def test_crash_claim_is_done_only_when_every_test_exists_and_none_failed(tmp_path, monkeypatch):
    _project(tmp_path, monkeypatch)
    evidence = checklist._crash_test(get_settings())
    assert evidence.status == checklist.DONE
    assert evidence.proof.startswith("1 000 événements, 3 SIGKILL") and "read_committed" in evidence.proof
    assert len(evidence.proof) <= 160  # the report table cuts longer cells


def test_crash_claim_fails_with_the_test(tmp_path, monkeypatch):
    failed = {f"{checklist.CRASH_TEST}::test_every_closed_window_is_counted_once": True}
    _project(tmp_path, monkeypatch, lastfailed=failed)
    assert checklist._crash_test(get_settings()).status == checklist.MISSING


def test_crash_claim_is_partial_before_a_first_run_or_when_a_test_is_gone(tmp_path, monkeypatch):
    _project(tmp_path, monkeypatch, collected=False)
    assert checklist._crash_test(get_settings()).status == checklist.PARTIAL
    other = tmp_path / "other"
    other.mkdir()
    _project(other, monkeypatch, module=CRASH_MODULE.replace("def test_every_closed_window_is_counted_once", "def helper"))
    evidence = checklist._crash_test(get_settings())
    assert evidence.status == checklist.PARTIAL and "fenêtres" not in evidence.proof
