"""The PostgreSQL service's decisions that need no server: when it runs locally, where it keeps things, errors."""

from pathlib import Path

import pytest

from hybridflow.batch.extract import jdbc_options, jdbc_url
from hybridflow.config import get_settings
from hybridflow.errors import StackError
from hybridflow.services.base import Service
from hybridflow.services.postgres import SERVICE, bin_dir, data_dir, socket_dir
from hybridflow.services.stack import SERVICES


def test_is_a_registered_service() -> None:
    assert isinstance(SERVICE, Service)
    assert "postgres" in [s.name for s in SERVICES]


def test_runs_locally_only_for_a_local_host(tmp_path: Path) -> None:
    assert SERVICE.enabled(get_settings(pg_host="localhost"))
    assert not SERVICE.enabled(get_settings(pg_host="crm.indutech.example"))


def test_keeps_data_and_socket_under_the_state_dir(tmp_path: Path) -> None:
    s = get_settings(state_dir=tmp_path)
    assert data_dir(s).is_relative_to(tmp_path) and socket_dir(s).is_relative_to(tmp_path)


def test_missing_binaries_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="PG_BIN_DIR"):
        bin_dir(get_settings(pg_bin_dir=tmp_path))


def test_jdbc_url_and_secret_come_from_the_settings() -> None:
    s = get_settings(pg_host="db", pg_port=6000, pg_database="crm", pg_password="s3cret")
    assert jdbc_url(s) == "jdbc:postgresql://db:6000/crm"
    assert jdbc_options(s)["password"] == "s3cret"
    assert "s3cret" not in repr(s)  # a SecretStr never shows up in logs
