"""hybridflow: InduTechData's hybrid (on-premise <-> cloud) data platform.

Subpackages, one concern each:

- ``config``        the one settings object (``get_settings()``)
- ``toolchain``     Java / Maven / jars / system packages that set-up installs
- ``stack``         local real services: Kafka broker (KRaft), topics
- ``tickets``       the ticket model, the seeded generator, the Kafka producer
- ``streaming``     Spark Structured Streaming: source, pure transforms, sinks, job
- ``architecture``  exercise 1: the hybrid architecture as data, and its renderings
"""

__version__ = "0.1.0"
