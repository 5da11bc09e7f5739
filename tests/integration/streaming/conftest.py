"""A module-scoped isolated copy of the settings: one produce + pipeline run shared by a module's tests."""

from __future__ import annotations

import uuid

import pytest

from hybridflow.stack import ensure_topics
from hybridflow.stack.topics import delete_topics


@pytest.fixture(scope="module")
def module_isolated_settings(settings, stack, tmp_path_factory):
    """Like `isolated_settings`, but shared by the tests of one module."""
    uid = uuid.uuid4().hex[:10]
    base = tmp_path_factory.mktemp("pipeline")
    isolated = settings.model_copy(
        update={
            "topic_tickets": f"{settings.topic_tickets}_{uid}",
            "topic_dlq": f"{settings.topic_dlq}_{uid}",
            "lake_uri": (base / "lake").as_uri(),
            "checkpoint_uri": (base / "checkpoints").as_uri(),
        }
    )
    ensure_topics(isolated)
    yield isolated
    delete_topics(isolated, [isolated.topic_tickets, isolated.topic_dlq])
