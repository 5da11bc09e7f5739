"""Support tickets: the model, reference data, the seeded generator and the Kafka producer."""

from hybridflow.tickets.model import Priority, RequestType, Ticket, spark_schema

__all__ = ["Priority", "RequestType", "Ticket", "spark_schema"]
