"""Fixtures of the batch ETL integration tests: the real PostgreSQL, a database of this session, a tmp lake.

- ``crm_settings`` (session): starts the local PostgreSQL service (what `make up` does for it;
  idempotent, left running), creates a database of its own (``hf_test_<uid>``, dropped at the
  end), seeds it at a small scale, and points the lake and the landing folder at tmp folders.
- ``seed_report`` / ``landing_report``: what was seeded, so tests can assert exact counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from hybridflow.batch.crm import SeedReport, seed
from hybridflow.batch.landing import LandingReport, write_invoice_exports
from hybridflow.config import Settings
from hybridflow.services.postgres import SERVICE, drop_database, ensure_role_and_database

SCALE = 0.05  # 100 clients, ~1,500 rows: the machine is shared


@pytest.fixture(scope="session")
def crm_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at this session's own CRM database, lake and landing folder."""
    SERVICE.start(settings)
    database = f"hf_test_{uuid.uuid4().hex[:8]}"
    ensure_role_and_database(settings, database)
    root = tmp_path_factory.mktemp("batch")
    isolated = settings.with_(
        pg_database=database,
        lake_uri=(root / "lake").as_uri(),
        checkpoint_uri=(root / "checkpoints").as_uri(),
        landing_dir=root / "landing",
    )
    yield isolated
    drop_database(settings, database)


@pytest.fixture(scope="session")
def seed_report(crm_settings: Settings) -> SeedReport:
    """The CRM of this session, seeded."""
    return seed(crm_settings, scale=SCALE, seed=42, progress=False)


@pytest.fixture(scope="session")
def landing_report(crm_settings: Settings) -> LandingReport:
    """Three daily invoice exports in this session's landing folder."""
    return write_invoice_exports(crm_settings.landing_dir, n_files=3, rows_per_file=30, n_clients=100, seed=42)
