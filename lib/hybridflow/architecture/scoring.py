"""Weighted scores and the choices they imply: a primary cloud, then one component per need."""

from __future__ import annotations

from hybridflow.architecture.errors import ModelError
from hybridflow.architecture.model import CLOUDS, Architecture, Candidate, Provider


def weighted_score(arch: Architecture, candidate: Candidate) -> float:
    """Σ weight × score over the criteria, divided by Σ weights (stays on the 1–5 scale)."""
    total_weight = sum(c.weight for c in arch.criteria)
    if total_weight <= 0:
        raise ModelError("The criteria weights add up to zero: give at least one criterion a positive weight.")
    missing = [c.id for c in arch.criteria if c.id not in candidate.scores]
    if missing:
        raise ModelError(f"Candidate {candidate.id!r} has no score for {', '.join(missing)}: add it in data.py.")
    return sum(c.weight * candidate.scores[c.id] for c in arch.criteria) / total_weight


def cloud_scores(arch: Architecture) -> dict[Provider, float]:
    """Mean, over the production needs a cloud covers, of that cloud's best candidate score."""
    result: dict[Provider, float] = {}
    for cloud in CLOUDS:
        best = [
            max(weighted_score(arch, c) for c in cands)
            for need in arch.needs
            if need.production and (cands := [c for c in arch.candidates_for(need.id) if c.provider == cloud])
        ]
        if best:
            result[cloud] = sum(best) / len(best)
    return result


def primary_cloud(arch: Architecture) -> Provider:
    """The cloud with the best mean score: one main provider avoids egress fees and a second identity plane."""
    scores = cloud_scores(arch)
    if not scores:
        raise ModelError("No cloud candidate in the model: add AWS, Azure or GCP candidates in data.py.")
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if len(ranked) > 1 and abs(ranked[0][1] - ranked[1][1]) < 1e-9:
        raise ModelError(f"{ranked[0][0].label} and {ranked[1][0].label} tie: adjust a score or a weight in data.py.")
    return ranked[0][0]


def chosen(arch: Architecture) -> dict[str, Candidate]:
    """need id -> chosen candidate: the best score among the primary cloud's and the self-managed candidates."""
    cloud = primary_cloud(arch)
    result: dict[str, Candidate] = {}
    for need in arch.needs:
        eligible = [c for c in arch.candidates_for(need.id) if c.provider in (cloud, Provider.SELF_MANAGED)]
        if not eligible:
            raise ModelError(f"Need {need.id!r} has no {cloud.label} or self-managed candidate: add one in data.py.")
        ranked = sorted(eligible, key=lambda c: weighted_score(arch, c), reverse=True)
        if len(ranked) > 1 and abs(weighted_score(arch, ranked[0]) - weighted_score(arch, ranked[1])) < 1e-9:
            raise ModelError(f"{ranked[0].id!r} and {ranked[1].id!r} tie for {need.id!r}: adjust a score in data.py.")
        result[need.id] = ranked[0]
    return result


def node_label(arch: Architecture, node_id: str) -> str:
    """Display label of a flow endpoint: the existing system's label, or the chosen product for a need."""
    if node_id in {s.id for s in arch.systems}:
        return arch.system(node_id).label
    return chosen(arch)[arch.need(node_id).id].name
