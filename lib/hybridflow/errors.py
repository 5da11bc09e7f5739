"""The package's exception types: each message is one sentence that names the fix."""


class HybridflowError(Exception):
    """Base class of every error the project raises on purpose."""


class ConfigError(HybridflowError):
    """A setting is missing or invalid."""


class ToolchainError(HybridflowError):
    """Java, Maven, a jar or a system package the project needs is missing."""


class StackError(HybridflowError):
    """A local service (broker, object store, database, Spark cluster) cannot be started or reached."""


class StreamingError(HybridflowError):
    """A streaming query stopped on an error (the broker lost, a sink failing)."""
