"""Spark Structured Streaming of the tickets: Kafka source, pure transforms, sinks, the job."""
