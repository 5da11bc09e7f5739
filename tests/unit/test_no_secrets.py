"""No secret in the repository: detect-secrets over every file git would commit, against a committed baseline.

The baseline (``.secrets.baseline``) holds the findings that were audited and accepted (each
``"is_secret": false``, listed and justified in docs/robustness.md); any other finding — in a committed
file or in a new file not yet added — fails this test. After auditing a new false positive:
``detect-secrets scan $(git ls-files) --baseline .secrets.baseline``, then mark it ``is_secret: false``.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from detect_secrets.core import baseline as ds_baseline
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings
from pydantic import SecretStr

from hybridflow.config import PROJ_ROOT, Settings

BASELINE = PROJ_ROOT / ".secrets.baseline"


def _files_git_would_commit() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJ_ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    return sorted(f for f in listed if f and f != BASELINE.name and (PROJ_ROOT / f).is_file())


def _scan(files: list[str]) -> tuple[SecretsCollection, SecretsCollection]:
    """(what the scan finds now, what the baseline accepts), with the baseline's plugins and filters."""
    saved = ds_baseline.load_from_file(str(BASELINE))
    with transient_settings({"plugins_used": saved["plugins_used"], "filters_used": saved["filters_used"]}):
        found = SecretsCollection()  # file names as given, relative to the current folder
        found.scan_files(*files, num_processors=1)
        accepted = ds_baseline.load(saved, filename=str(BASELINE))
    return found, accepted


def test_no_secret_beyond_the_audited_baseline(monkeypatch):
    monkeypatch.chdir(PROJ_ROOT)
    files = _files_git_would_commit()
    assert len(files) > 100  # the scan really covers the tree
    found, accepted = _scan(files)
    new = [f"{s.filename}:{s.line_number} ({s.type})" for _, s in (found - accepted)]
    assert not new, f"possible secrets not in .secrets.baseline: {new} — remove them, or audit and accept them"


def test_every_accepted_finding_was_audited_as_not_a_secret():
    saved = json.loads(BASELINE.read_text())
    entries = [item for items in saved["results"].values() for item in items]
    assert entries and all(item.get("is_secret") is False for item in entries)


def test_the_scanner_catches_a_real_looking_key(tmp_path, monkeypatch):
    leak = tmp_path / "settings.py"
    key, word = "AKIA" + "Z7QXVB3FJ5NWXR2M", "Tr0ub4dor&3" + "-horse-battery"  # split: this file must scan clean
    leak.write_text(f'AWS_ACCESS_KEY_ID = "{key}"\npassword = "{word}"\n')
    monkeypatch.chdir(tmp_path)
    found, _ = _scan([leak.name])
    assert {s.type for _, s in found} >= {"AWS Access Key", "Secret Keyword"}


def test_the_local_env_file_is_ignored_and_never_tracked():
    assert subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=PROJ_ROOT).returncode == 0
    tracked = subprocess.run(
        ["git", "ls-files", ".env", "*.pem", "*.key", "*.jks", "*.p12"],
        cwd=PROJ_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked == []


def _secret_lines() -> list[str]:
    """The .env.example lines (set or commented) of a password, secret key or token."""
    text = (PROJ_ROOT / ".env.example").read_text()
    return [line for line in text.splitlines() if re.match(r"^#?\s*[A-Z0-9_]*(PASSWORD|SECRET|TOKEN)[A-Z0-9_]*=", line)]


@pytest.mark.parametrize("line", _secret_lines())
def test_env_example_holds_placeholders_only(line):
    """A `change-me…` placeholder, or the code's own local-only default (PG_PASSWORD: a loopback-only server)."""
    name, value = (part.strip() for part in line.lstrip("# ").split("=", 1))
    field = Settings.model_fields.get(name.lower())
    default = field.get_default() if field else None
    default = default.get_secret_value() if isinstance(default, SecretStr) else default
    assert value.startswith("change-me") or value == default, f"not a placeholder: {line}"


def test_env_example_has_secret_lines_to_check():
    assert len(_secret_lines()) >= 3
