"""The shared integration fixtures do what tests/integration/conftest.py promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridflow.config import Settings
from hybridflow.kafka import describe_topics
from hybridflow.kafka.topics import DLQ_PARTITIONS

pytestmark = pytest.mark.integration


def test_isolated_settings_are_isolated(settings: Settings, isolated_settings: Settings, tmp_path: Path) -> None:
    s = isolated_settings
    assert s.topic_tickets.startswith(f"{settings.topic_tickets}_") and s.topic_tickets != settings.topic_tickets
    assert s.topic_dlq.startswith(f"{settings.topic_dlq}_")
    assert s.local_path(s.lake_uri).is_relative_to(tmp_path)
    assert s.local_path(s.checkpoint_root).is_relative_to(tmp_path)
    assert s.kafka_bootstrap_servers == settings.kafka_bootstrap_servers  # same shared broker
    topics = describe_topics(s)
    assert topics[s.topic_tickets] == s.topic_partitions and topics[s.topic_dlq] == DLQ_PARTITIONS


def test_spark_session_works(spark) -> None:
    assert spark.range(5).count() == 5
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
