"""Fixtures shared by every test (unit, integration, notebooks).

- ``settings``: the project's settings, built once per session from the environment
  and `.env` exactly as the CLI builds them. Tests that need other values derive a copy
  (``settings.with_(...)`` or ``get_settings(**overrides)``); they never
  change the session object (it is frozen anyway).
- ``spark`` (session): the one SparkSession of the test run, ``hybridflow.spark.get_spark(settings)``,
  stopped at the end. Unit tests use it on tiny static DataFrames; integration tests that read
  Kafka request ``stack`` too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from hybridflow.config import Settings, get_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The session's settings (from the environment and `.env`, as `hybridflow` uses them)."""
    return get_settings()


@pytest.fixture(scope="session")
def spark(settings: Settings) -> Iterator[SparkSession]:
    """One SparkSession for the whole run, configured from the settings; stopped when the run ends."""
    from hybridflow.spark import get_spark  # imported here: runs that need no Spark never load pyspark

    session = get_spark(settings, app_name="hybridflow-tests")
    yield session
    session.stop()
