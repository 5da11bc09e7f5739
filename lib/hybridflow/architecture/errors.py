"""The architecture subpackage's exceptions: each message is one sentence naming the fix."""

from __future__ import annotations

from hybridflow.errors import HybridflowError, ToolchainError


class ArchitectureError(HybridflowError):
    """Base class of the architecture subpackage's errors."""


class ModelError(ArchitectureError):
    """The architecture data is inconsistent (unknown id, missing score, tie)."""


class RendererMissingError(ArchitectureError, ToolchainError):
    """A rendering tool (Graphviz `dot`, Mermaid's `mmdc`, Chromium) is not installed."""
