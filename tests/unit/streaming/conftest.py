"""A local SparkSession for transform tests (static DataFrames, no broker)."""

import pytest

from hybridflow.config import get_settings
from hybridflow.spark import get_spark


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the unit tests of the streaming transforms."""
    session = get_spark(get_settings(spark_master="local[2]"), app_name="hybridflow-unit")
    yield session
    session.stop()
