"""Fixtures of the deployment tests: a real object store and a real Spark standalone cluster.

Both run on free ports with their own state dir under pytest's tmp folder, so they never
disturb a developer's `make up` / `make cluster-up`, and both are stopped at the end.

- ``object_store`` (session): versitygw (built into the project's .state/bin if needed)
  serving `s3_settings`' endpoint; returns its `ServiceStatus`.
- ``s3_settings`` (session): the session settings plus S3_ENDPOINT / keys of that store.
- ``pipeline_input`` (module): isolated topics holding N valid + M malformed events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from hybridflow.config import Settings
from hybridflow.kafka import ensure_topics
from hybridflow.kafka.topics import delete_topics, wanted_topics
from hybridflow.probes import free_port
from hybridflow.services.objectstore import ObjectStore, private_store_settings
from hybridflow.tickets.generator import EXAMPLE_START


@pytest.fixture(scope="session")
def free_tcp_port():
    """`free_tcp_port()`: a TCP port nobody listens on right now."""
    return free_port


@pytest.fixture(scope="session")
def s3_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at this session's own object store (its state dir shares the built binary)."""
    state = tmp_path_factory.mktemp("objectstore-state")
    return private_store_settings(settings, state, "s3a://lake-tests/hybridflow", "hybridflow-test")


@pytest.fixture(scope="session")
def object_store(s3_settings: Settings) -> Iterator:
    """The started object store (stopped at the end of the session)."""
    store = ObjectStore()
    status = store.start(s3_settings)
    yield status
    store.stop(s3_settings)


@pytest.fixture(scope="module")
def pipeline_input(settings: Settings, stack) -> Iterator[tuple[Settings, list]]:
    """Fresh topics with 300 valid tickets (~2.5 min of event time) and 5 % malformed events."""
    from hybridflow.tickets.generator import TicketGenerator
    from hybridflow.tickets.malformed import mix
    from hybridflow.tickets.producer import produce

    uid = uuid.uuid4().hex[:10]
    topics = settings.with_(
        **{
            name: f"{getattr(settings, name)}_{uid}"
            for name in ("topic_tickets", "topic_dlq", "topic_alerts", "topic_events", "topic_breaches")
        }
    )
    ensure_topics(topics)
    generator = TicketGenerator(7, EXAMPLE_START, arrival_rate=2.0, late_ratio=0.1, max_lateness_s=20)
    events = list(mix(generator.take(300), 0.05, seed=7, max_payload_bytes=topics.max_payload_bytes))
    summary = produce(events, topics, progress=False)
    assert summary.failed == 0 and summary.sent == len(events)
    yield topics, events
    delete_topics(topics, list(wanted_topics(topics)))


def _lake_under(base: Settings, topics: Settings, lake_uri: str) -> Settings:
    return base.with_(
        topic_tickets=topics.topic_tickets, topic_dlq=topics.topic_dlq, lake_uri=lake_uri, checkpoint_uri=None
    )


@pytest.fixture(scope="session")
def lake_under():
    """`lake_under(base, topics, lake_uri)`: `base` (endpoint, keys, state) reading `topics`' topics into `lake_uri`."""
    return _lake_under
