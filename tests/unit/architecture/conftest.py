"""Fixtures of the architecture tests: the real model, and a way to derive a modified copy."""

from __future__ import annotations

import pytest

from hybridflow.architecture.data import build_architecture
from hybridflow.architecture.model import Architecture


@pytest.fixture
def arch() -> Architecture:
    """InduTechData's architecture model (immutable; tests derive copies with dataclasses.replace)."""
    return build_architecture()
