"""The SparkSession's connectors: on the class path in local mode, shipped through spark.jars to a cluster."""

from __future__ import annotations

import os
from pathlib import Path

from hybridflow.config import get_settings
from hybridflow.spark import spark_conf
from hybridflow.toolchain import jars


def test_local_mode_copies_no_connector_jar_to_its_temporary_directory(spark, tmp_path):
    from pyspark import SparkFiles

    spark.range(3).write.format("delta").save(str(tmp_path / "t"))  # the Delta connector is loaded and used
    assert spark.read.format("delta").load(str(tmp_path / "t")).count() == 3
    # Through spark.jars, the local executor copies every connector (~680 MB) into this directory at
    # each start, and a killed job leaves it behind in /tmp.
    copied = [p.name for p in Path(SparkFiles.getRootDirectory()).glob("*.jar")]
    assert copied == []


def test_a_cluster_gets_the_connectors_through_spark_jars():
    settings = get_settings(spark_master="spark://spark-master:7077")
    conf = spark_conf(settings)
    assert conf["spark.jars"].split(",") == [str(p) for p in jars(settings, "spark")]
    assert "spark.driver.extraClassPath" not in conf
    local = spark_conf(get_settings(spark_master="local[2]"))
    assert "spark.jars" not in local
    assert local["spark.driver.extraClassPath"].split(os.pathsep) == [str(p) for p in jars(settings, "spark")]
