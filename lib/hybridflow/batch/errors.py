"""Exceptions of the batch ETL: each message names the fix."""

from hybridflow.errors import HybridflowError


class BatchError(HybridflowError):
    """The batch ETL cannot run: unreachable source, missing landing folder, unreadable state…"""
