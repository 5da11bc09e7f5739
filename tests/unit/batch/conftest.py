"""A local SparkSession for the batch transforms' unit tests (tiny static DataFrames, no database)."""

import pytest

from hybridflow.config import get_settings
from hybridflow.spark import get_spark


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession (2 threads: the machine is shared)."""
    session = get_spark(get_settings(spark_master="local[2]"), app_name="hybridflow-unit-batch")
    yield session
    session.stop()
