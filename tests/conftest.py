"""Fixtures shared by every test (unit, integration, notebooks).

- ``settings``: the project's settings, built once per session from the environment
  and `.env` exactly as the CLI builds them. Tests that need other values derive a copy
  (``settings.with_(...)`` or ``get_settings(**overrides)``); they never
  change the session object (it is frozen anyway).
"""

from __future__ import annotations

import pytest

from hybridflow.config import Settings, get_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The session's settings (from the environment and `.env`, as `hybridflow` uses them)."""
    return get_settings()
