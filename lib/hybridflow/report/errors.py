"""The report's own exception type."""

from hybridflow.errors import HybridflowError


class ReportError(HybridflowError):
    """A notebook failed, an export failed, or a tool the report needs (xelatex, the kernel) is missing."""
