"""`make setup` writes random local secrets to .env: only the missing ones and the placeholders, once."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from hybridflow.config import PROJ_ROOT, get_settings
from hybridflow.local_secrets import GENERATED, ensure_local_secrets


def _values(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return dict(pairs)


def test_a_missing_env_file_gets_every_secret_random_and_private(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    assert ensure_local_secrets(env, environ={}) == list(GENERATED)
    values = _values(env)
    assert set(values) == set(GENERATED)
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert all(len(v) >= 20 and not v.startswith("change-me") for v in values.values())
    assert re.fullmatch(r"[A-Z0-9]{20}", values["S3_ACCESS_KEY"])
    other = tmp_path / "other.env"
    ensure_local_secrets(other, environ={})
    assert not set(values.values()) & set(_values(other).values())  # random, not a fixed example


def test_existing_values_stay_placeholders_are_replaced_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    env, admin, mine = tmp_path / ".env", "KAFKA_ADMIN_PASSWORD", "my-own-admin-value"
    env.write_text(f"# mine\nKAFKA_SECURITY=plaintext\n{admin}={mine}\nS3_SECRET_KEY=change-me-please\n")
    written = ensure_local_secrets(env, environ={})
    assert admin not in written and "S3_SECRET_KEY" in written
    values = _values(env)
    assert values[admin] == mine and values["KAFKA_SECURITY"] == "plaintext"
    assert not values["S3_SECRET_KEY"].startswith("change-me")
    assert env.read_text().startswith("# mine\nKAFKA_SECURITY=plaintext\n")  # replaced in place, nothing reordered
    before = env.read_text()
    assert ensure_local_secrets(env, environ={}) == []
    assert env.read_text() == before


def test_a_secret_the_environment_sets_is_not_written(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    name = "KAFKA_PRODUCER_PASSWORD"
    ensure_local_secrets(env, environ={name: "set-by-the-ci"})
    assert name not in _values(env)


def test_the_settings_read_what_setup_wrote(tmp_path: Path, monkeypatch) -> None:
    env = tmp_path / ".env"
    for name in GENERATED:
        monkeypatch.delenv(name, raising=False)
    ensure_local_secrets(env, environ={})
    monkeypatch.setenv("HYBRIDFLOW_ENV_FILE", str(env))
    settings = get_settings()
    assert settings.kafka_producer_password.get_secret_value() == _values(env)["KAFKA_PRODUCER_PASSWORD"]
    assert settings.s3_secret_key and settings.s3_secret_key.get_secret_value() == _values(env)["S3_SECRET_KEY"]


def test_every_generated_secret_has_a_placeholder_in_env_example() -> None:
    example = _values(PROJ_ROOT / ".env.example")
    assert all(example.get(name, "").startswith("change-me") for name in GENERATED), example
