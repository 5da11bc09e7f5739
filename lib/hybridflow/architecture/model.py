"""The architecture's vocabulary: frozen dataclasses that hold facts, never computations.

`data.py` fills them in for InduTechData; `scoring`, `availability` and `costs`
compute from them; `tables`, `schematics` and `mermaid` render them. Identifiers are
English, every label is French (it appears as-is in the report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from hybridflow.architecture.errors import ModelError


class Provider(str, Enum):
    """Who runs a candidate component."""

    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"
    SELF_MANAGED = "self_managed"

    @property
    def label(self) -> str:
        """French display name."""
        return {"aws": "AWS", "azure": "Azure", "gcp": "GCP", "self_managed": "Auto-géré"}[self.value]


CLOUDS: tuple[Provider, ...] = (Provider.AWS, Provider.AZURE, Provider.GCP)


class Location(str, Enum):
    """Where a zone sits in the hybrid picture."""

    ON_PREMISE = "on_premise"
    NETWORK = "network"
    CLOUD = "cloud"

    @property
    def label(self) -> str:
        """French display name."""
        return {"on_premise": "On-premise (InduTechData)", "network": "Liaison réseau", "cloud": "Cloud"}[self.value]


class FlowKind(str, Enum):
    """What a flow carries; each schematic shows some kinds."""

    REALTIME = "realtime"
    BATCH = "batch"
    CONTROL = "control"
    SECURITY = "security"
    NETWORK = "network"

    @property
    def label(self) -> str:
        """French display name."""
        return {
            "realtime": "Temps réel",
            "batch": "Batch / CDC",
            "control": "Pilotage",
            "security": "Identité et sécurité",
            "network": "Réseau",
        }[self.value]

    @property
    def carries_data(self) -> bool:
        """True for flows that move business data (and so need an RPO/RTO)."""
        return self in (FlowKind.REALTIME, FlowKind.BATCH)


class Verdict(str, Enum):
    """Compatibility verdict of a chosen component against an existing system."""

    NATIVE = "native"
    ADAPTER = "adapter"
    BLOCKER = "blocker"

    @property
    def label(self) -> str:
        """French display name."""
        return {"native": "Natif", "adapter": "Adaptateur nécessaire", "blocker": "Bloquant"}[self.value]


@dataclass(frozen=True)
class Criterion:
    """A selection criterion; scores run 1 (poor) to 5 (best), so 5 = low cost, low burden, low lock-in."""

    id: str
    label: str
    weight: float
    rationale: str


@dataclass(frozen=True)
class Sla:
    """A published (or assumed) availability with where it comes from."""

    availability: float  # fraction, e.g. 0.9995
    source: str
    as_of: str  # ISO date the figure was recorded


@dataclass(frozen=True)
class Zone:
    """A network zone; zones are the clusters of the schematics and the boundaries of the security view."""

    id: str
    label: str
    location: Location


@dataclass(frozen=True)
class ExistingSystem:
    """A system of InduTechData's current estate that the platform touches."""

    id: str
    label: str
    zone: str
    icon: str  # "module.Class" under `diagrams`, or "custom:<file>" in icons/
    description: str
    sla: Sla


@dataclass(frozen=True)
class Candidate:
    """One way to meet a need, with its criterion scores (criterion id -> 1..5)."""

    id: str
    need: str
    provider: Provider
    name: str
    scores: dict[str, int]
    note: str  # one-line French justification / caveat
    icon: str
    sla: Sla | None = None


@dataclass(frozen=True)
class Need:
    """A capability the hybrid platform must provide; its chosen candidate is computed by `scoring`."""

    id: str
    label: str
    zone: str
    production: bool = True  # False: local/dev stand-in, not part of the cloud comparison


@dataclass(frozen=True)
class Flow:
    """A directed data, control or security flow between two nodes (existing system ids or need ids)."""

    id: str
    source: str
    target: str
    label: str
    kind: FlowKind
    via: tuple[str, ...] = ()  # network needs the flow crosses, in order
    rpo_minutes: float | None = None
    rto_minutes: float | None = None
    recovery_note: str = ""


@dataclass(frozen=True)
class Compatibility:
    """How the chosen component for a need talks to one existing system, and what could go wrong."""

    need: str
    system: str
    assessed_candidate: str  # the candidate this row was written for (drift guard)
    protocol: str
    port: str
    authentication: str
    encryption: str
    direction: str
    frequency: str
    verdict: Verdict
    risk: str
    mitigation: str


@dataclass(frozen=True)
class SecurityControl:
    """One security control and where it is enforced."""

    domain: str
    control: str
    implementation: str
    applies_to: tuple[str, ...]  # need or existing-system ids
    reference: str


@dataclass(frozen=True)
class CriticalPath:
    """A chain of stages a business outcome depends on; nodes within a stage are redundant (parallel)."""

    id: str
    label: str
    stages: tuple[tuple[str, ...], ...]
    target: float  # availability the path should reach (fraction)


@dataclass(frozen=True)
class Volume:
    """A sizing figure; `grows` volumes are multiplied in the growth scenario."""

    id: str
    label: str
    value: float
    unit: str
    grows: bool
    rationale: str


@dataclass(frozen=True)
class Requirement:
    """A non-numeric context fact: latency, security constraint or SLA target, with its rationale."""

    category: str
    label: str
    target: str
    rationale: str


@dataclass(frozen=True)
class UnitPrice:
    """A list price with its source and the date it was recorded."""

    id: str
    label: str
    amount: float
    unit: str
    source: str
    as_of: str


class CostOption(str, Enum):
    """The two options the cost model compares."""

    HYBRID = "hybrid"
    ON_PREMISE = "on_premise"

    @property
    def label(self) -> str:
        """French display name."""
        return {"hybrid": "Hybride (cloud)", "on_premise": "Tout on-premise"}[self.value]


@dataclass(frozen=True)
class CostLine:
    """quantity = fixed + sum(volume × factor); cost = quantity × unit price, monthly unless one-time."""

    id: str
    option: CostOption
    label: str
    price: str
    fixed: float = 0.0
    terms: tuple[tuple[str, float], ...] = ()
    one_time: bool = False
    candidate: str | None = None  # hybrid lines: the chosen candidate they price (drift guard)


@dataclass(frozen=True)
class Architecture:
    """Everything the exercise needs, as one value."""

    criteria: tuple[Criterion, ...]
    zones: tuple[Zone, ...]
    systems: tuple[ExistingSystem, ...]
    needs: tuple[Need, ...]
    candidates: tuple[Candidate, ...]
    flows: tuple[Flow, ...]
    compatibility: tuple[Compatibility, ...]
    security_controls: tuple[SecurityControl, ...]
    critical_paths: tuple[CriticalPath, ...]
    volumes: tuple[Volume, ...]
    requirements: tuple[Requirement, ...]
    prices: tuple[UnitPrice, ...]
    cost_lines: tuple[CostLine, ...]
    ticket_lifecycle: tuple[tuple[str, str, str], ...]  # (from node, to node, French message)
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    # --- look-ups (no computation beyond indexing) ---
    def need(self, need_id: str) -> Need:
        """The need with this id."""
        return _one(self.needs, need_id, "need")

    def system(self, system_id: str) -> ExistingSystem:
        """The existing system with this id."""
        return _one(self.systems, system_id, "existing system")

    def candidate(self, candidate_id: str) -> Candidate:
        """The candidate with this id."""
        return _one(self.candidates, candidate_id, "candidate")

    def candidates_for(self, need_id: str) -> tuple[Candidate, ...]:
        """Every candidate of one need."""
        return tuple(c for c in self.candidates if c.need == need_id)

    def zone(self, zone_id: str) -> Zone:
        """The zone with this id."""
        return _one(self.zones, zone_id, "zone")

    def price(self, price_id: str) -> UnitPrice:
        """The unit price with this id."""
        return _one(self.prices, price_id, "unit price")

    def volume(self, volume_id: str) -> Volume:
        """The volume with this id."""
        return _one(self.volumes, volume_id, "volume")

    @property
    def node_ids(self) -> set[str]:
        """Every id a flow may use as an endpoint: existing systems and needs."""
        return {s.id for s in self.systems} | {n.id for n in self.needs}


def _one(items, item_id: str, what: str):
    for item in items:
        if item.id == item_id:
            return item
    raise ModelError(f"Unknown {what} {item_id!r}: add it in hybridflow/architecture/data.py or fix the reference.")
