"""The closed vocabularies of a support ticket: its request types and priorities.

The ticket model (:mod:`hybridflow.tickets.model`) is built on them, and the settings validate
``ALERT_PRIORITIES`` against them: they sit below both, so the settings need not import the model.
"""

from enum import StrEnum


class RequestType(StrEnum):
    """What the customer asks about; decides the support team."""

    BILLING = "billing"
    TECHNICAL = "technical"
    ACCOUNT = "account"
    GENERAL = "general"


class Priority(StrEnum):
    """Urgency stated at creation; decides the SLA target."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
