"""The settings object: defaults, derived paths, fail-fast errors, and docs/configuration.md staying in sync."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from hybridflow.config import PROJ_ROOT, Settings, get_settings, settings_markdown
from hybridflow.errors import ConfigError
from hybridflow.toolchain import pom_property


@pytest.fixture(autouse=True)
def _no_env_file(tmp_path, monkeypatch):
    """Only the variables each test sets: not the developer's .env (`make setup` writes secrets there)."""
    empty = tmp_path / "empty.env"
    empty.write_text("")
    monkeypatch.setenv("HYBRIDFLOW_ENV_FILE", str(empty))


def test_checkpoints_default_beside_the_lake():
    s = get_settings(lake_uri="file:///tmp/lake-x")
    assert s.checkpoint_root == "file:///tmp/lake-x/_checkpoints"
    assert s.checkpoint_path("tickets") == "file:///tmp/lake-x/_checkpoints/tickets"
    assert get_settings(lake_uri="file:///a", checkpoint_uri="file:///b/").checkpoint_root == "file:///b"


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("TOPIC_TICKETS", "other_topic")
    monkeypatch.setenv("SPARK_MASTER", "spark://10.0.0.5:7077")
    s = get_settings()
    assert (s.topic_tickets, s.spark_master) == ("other_topic", "spark://10.0.0.5:7077")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SPARK_MASTER", "yarn"),
        ("KAFKA_BOOTSTRAP_SERVERS", "localhost"),
        ("WINDOW_DURATION", "5 parsecs"),
        ("LAKE_URI", "/no/scheme"),
        ("TOPIC_PARTITIONS", "0"),
    ],
)
def test_bad_setting_fails_fast_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=rf"^Setting {variable} is invalid .*fix it in \.env"):
        get_settings()


def test_s3_lake_needs_an_endpoint_and_keys():
    with pytest.raises(ConfigError, match="S3_ENDPOINT"):
        get_settings(lake_uri="s3a://lake/x")
    with pytest.raises(ConfigError, match="S3_ACCESS_KEY"):
        get_settings(lake_uri="s3a://lake/x", s3_endpoint="http://localhost:9000")


def test_settings_are_frozen():
    s = get_settings()
    with pytest.raises(ValidationError, match="frozen"):
        s.topic_tickets = "x"  # type: ignore[misc]  # the point of the test: frozen


def test_with_validates_like_the_environment():
    s = get_settings()
    changed = s.with_(topic_tickets="other", spark_worker_cores=3)
    assert (changed.topic_tickets, changed.spark_worker_cores) == ("other", 3)
    assert (s.topic_tickets, s.spark_worker_cores) != ("other", 3)  # the original is untouched
    with pytest.raises(ConfigError, match=r"^Setting TOPIC_DLQ is invalid"):
        s.with_(topic_dlq="no spaces allowed")
    with pytest.raises(ConfigError, match=r"^Settings disagree \(LAKE_URI is s3a://"):
        s.with_(lake_uri="s3a://lake/x")
    with pytest.raises(ConfigError, match="No such setting: topic_ticket"):
        s.with_(topic_ticket="typo")


def test_docs_configuration_table_is_current():
    page = (PROJ_ROOT / "docs" / "configuration.md").read_text()
    block = re.search(r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", page, re.S)
    assert block, "docs/configuration.md lost its <!-- settings:start/end --> markers"
    assert block.group(1).strip() == settings_markdown().strip(), "run: hybridflow settings --markdown"


def test_every_setting_is_documented():
    assert all(field.description for field in Settings.model_fields.values())


def test_pyspark_pin_matches_the_pom():
    reqs = (PROJ_ROOT / "requirements.txt").read_text()
    pinned = re.search(r"^pyspark==(\S+)$", reqs, re.M).group(1)
    assert pinned == pom_property("spark.version")
    import pyspark

    assert pyspark.__version__ == pinned
