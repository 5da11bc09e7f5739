"""Composite availability: serial stages multiply, redundant nodes inside a stage combine in parallel."""

from __future__ import annotations

from collections.abc import Iterable

from hybridflow.architecture.errors import ModelError
from hybridflow.architecture.model import Architecture, CriticalPath, Sla
from hybridflow.architecture.scoring import chosen

HOURS_PER_YEAR = 8766  # 365.25 days


def serial(availabilities: Iterable[float]) -> float:
    """Availability of components that must all be up."""
    result = 1.0
    for a in availabilities:
        result *= a
    return result


def parallel(availabilities: Iterable[float]) -> float:
    """Availability of redundant components, any one of which is enough."""
    unavailable = 1.0
    for a in availabilities:
        unavailable *= 1.0 - a
    return 1.0 - unavailable


def node_sla(arch: Architecture, node_id: str) -> Sla:
    """The SLA of a node: the existing system's, or the chosen candidate's for a need."""
    if node_id in {s.id for s in arch.systems}:
        return arch.system(node_id).sla
    candidate = chosen(arch)[arch.need(node_id).id]
    if candidate.sla is None:
        raise ModelError(
            f"Chosen candidate {candidate.id!r} has no SLA: add one in data.py (it is on a critical path)."
        )
    return candidate.sla


def path_availability(arch: Architecture, path: CriticalPath) -> float:
    """Composite availability of one critical path."""
    return serial(parallel(node_sla(arch, n).availability for n in stage) for stage in path.stages)


def downtime_hours_per_year(availability: float) -> float:
    """Expected hours of unavailability per year."""
    return (1.0 - availability) * HOURS_PER_YEAR
