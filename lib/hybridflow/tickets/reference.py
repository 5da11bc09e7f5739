"""Reference data the stream enriches tickets with: support team per request type, SLA per priority.

Kept as data (not code paths) so the report, the Spark job and the tests read the same table.
Labels are French: they appear as-is in the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from hybridflow.tickets.model import Priority, RequestType


@dataclass(frozen=True)
class SupportTeam:
    """A support team and the request type it owns."""

    request_type: RequestType
    team_id: str
    team_name: str
    queue_email: str


@dataclass(frozen=True)
class SlaTarget:
    """First-response and resolution targets for a priority."""

    priority: Priority
    first_response_minutes: int
    resolution_hours: int


SUPPORT_TEAMS: tuple[SupportTeam, ...] = (
    SupportTeam(RequestType.BILLING, "T-BILL", "Facturation & recouvrement", "facturation@indutechdata.example"),
    SupportTeam(RequestType.TECHNICAL, "T-TECH", "Support technique N2", "support-n2@indutechdata.example"),
    SupportTeam(RequestType.ACCOUNT, "T-ACCT", "Gestion des comptes clients", "comptes@indutechdata.example"),
    SupportTeam(RequestType.GENERAL, "T-DESK", "Accueil support N1", "support@indutechdata.example"),
)

SLA_TARGETS: tuple[SlaTarget, ...] = (
    SlaTarget(Priority.CRITICAL, first_response_minutes=15, resolution_hours=4),
    SlaTarget(Priority.HIGH, first_response_minutes=60, resolution_hours=24),
    SlaTarget(Priority.MEDIUM, first_response_minutes=240, resolution_hours=72),
    SlaTarget(Priority.LOW, first_response_minutes=1440, resolution_hours=168),
)


def team_for(request_type: RequestType | str) -> SupportTeam:
    """The team that owns a request type."""
    return next(t for t in SUPPORT_TEAMS if t.request_type == RequestType(request_type))


def sla_for(priority: Priority | str) -> SlaTarget:
    """The SLA target of a priority."""
    return next(s for s in SLA_TARGETS if s.priority == Priority(priority))
