"""Fixtures for integration tests: the real local stack, a real SparkSession, isolated topics.

Every test module here sets ``pytestmark = pytest.mark.integration``; the hook below
also marks anything collected under ``tests/integration/`` so none slips through
`-m "not integration"` by accident.

- ``stack`` (session): runs ``hybridflow.services.up(settings)``, i.e. what `make up` does, so
  `pytest tests/integration` works without a prior `make up`. It is idempotent and safe to
  run from several sessions at once (a file lock serialises the start). It does **not** stop
  the stack at the end: other people and notebooks share the broker on KAFKA_BOOTSTRAP_SERVERS.
  Returns the ``StackUp`` (statuses, topics, time).
- ``spark``: the run's one SparkSession (``tests/conftest.py``); request ``stack`` too if the test reads Kafka.
- ``isolated_settings`` (function) and ``module_isolated_settings`` (module): a copy of ``settings`` with topics of its own
  (``client_tickets_<uid>`` / ``client_tickets_dlq_<uid>``, created on the shared broker
  through ``ensure_topics`` and deleted afterwards), and the lake and checkpoints under the
  test's ``tmp_path``. Use it for anything that produces, consumes or writes, so tests never
  see each other's records and can assert exact counts.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridflow.config import Settings
from hybridflow.kafka import ensure_topics
from hybridflow.kafka.topics import delete_topics, wanted_topics
from hybridflow.services import StackUp, up

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration as `integration` (belt and braces for pytestmark)."""
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack(settings: Settings) -> StackUp:
    """The running local stack (started if needed, left running at the end)."""
    return up(settings)


def isolated_copy(settings: Settings, base: Path) -> Settings:
    """A copy of `settings` with topics of its own (created now) and the lake and checkpoints under `base`."""
    uid = uuid.uuid4().hex[:10]
    isolated = settings.with_(
        topic_tickets=f"{settings.topic_tickets}_{uid}",
        topic_dlq=f"{settings.topic_dlq}_{uid}",
        topic_alerts=f"{settings.topic_alerts}_{uid}",
        topic_events=f"{settings.topic_events}_{uid}",
        topic_breaches=f"{settings.topic_breaches}_{uid}",
        lake_uri=(base / "lake").as_uri(),
        checkpoint_uri=(base / "checkpoints").as_uri(),
    )
    ensure_topics(isolated)
    return isolated


def drop_topics(isolated: Settings) -> None:
    """Delete the topics of an `isolated_copy` (cleanup never masks the test's own result)."""
    with contextlib.suppress(Exception):  # cleanup never masks the test's own result
        delete_topics(isolated, list(wanted_topics(isolated)))


@pytest.fixture
def isolated_settings(settings: Settings, stack: StackUp, tmp_path: Path) -> Iterator[Settings]:
    """Settings with this test's own topics (created now, deleted afterwards), lake and checkpoints."""
    isolated = isolated_copy(settings, tmp_path)
    yield isolated
    drop_topics(isolated)


@pytest.fixture(scope="module")
def module_isolated_settings(
    settings: Settings, stack: StackUp, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """Like `isolated_settings`, shared by the tests of one module (one produce + run, several assertions)."""
    isolated = isolated_copy(settings, tmp_path_factory.mktemp("isolated"))
    yield isolated
    drop_topics(isolated)
