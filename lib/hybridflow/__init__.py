"""hybridflow: InduTechData's hybrid (on-premise <-> cloud) data platform.

Subpackages, one concern each:

- ``config``        the one settings object (``get_settings()``) and every project path
- ``toolchain``     Java / Maven-resolved jars that set-up installs
- ``spark``         the SparkSession from the settings (local mode, standalone cluster, S3A)
- ``stack``         local real services: Kafka broker (KRaft), topics, PostgreSQL, S3 store, Spark cluster
- ``tickets``       the ticket model, reference data, the seeded generator, malformed events, the producer
- ``streaming``     Spark Structured Streaming: source, pure transforms, sinks, the job, read-back
- ``batch``         batch ETL of the on-premise data (JDBC + CSV landing -> lake), the client dimension
- ``architecture``  exercise 1: the hybrid architecture as data, and its renderings
- ``deploy``        Docker Compose topology, S3 lake read-back, local-vs-cluster runs
- ``report``        notebook helpers and the report build (nbclient, nbconvert, xelatex)
- ``bench``         benchmarks that print numbers (``make bench``)
"""

__version__ = "0.1.0"
