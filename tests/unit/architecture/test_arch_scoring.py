"""Weighted scores and choices recompute from the data: change a score or a weight and the choice follows."""

from __future__ import annotations

import dataclasses

import pytest

from hybridflow.architecture.errors import ModelError
from hybridflow.architecture.model import Architecture, Candidate, Provider
from hybridflow.architecture.scoring import chosen, cloud_scores, primary_cloud, weighted_score


def _with_scores(cand: Candidate, **scores: int) -> Candidate:
    return dataclasses.replace(cand, scores={**cand.scores, **scores})


def test_weighted_score_is_the_weighted_mean(arch: Architecture) -> None:
    cand = arch.candidates[0]
    expected = sum(c.weight * cand.scores[c.id] for c in arch.criteria) / sum(c.weight for c in arch.criteria)
    assert weighted_score(arch, cand) == pytest.approx(expected)


def test_weighted_score_of_flat_scores_is_that_score(arch: Architecture) -> None:
    flat = dataclasses.replace(arch.candidates[0], scores={c.id: 3 for c in arch.criteria})
    assert weighted_score(arch, flat) == pytest.approx(3.0)


def test_raising_one_criterion_adds_its_weight(arch: Architecture) -> None:
    base = dataclasses.replace(arch.candidates[0], scores={c.id: 1 for c in arch.criteria})
    crit = arch.criteria[1]
    bumped = _with_scores(base, **{crit.id: 5})
    assert weighted_score(arch, bumped) - weighted_score(arch, base) == pytest.approx(4 * crit.weight)


def test_missing_score_is_a_model_error(arch: Architecture) -> None:
    cand = arch.candidates[0]
    broken = dataclasses.replace(cand, scores={k: v for k, v in cand.scores.items() if k != "cost"})
    with pytest.raises(ModelError, match="no score for cost"):
        weighted_score(arch, broken)


def test_zero_weights_are_a_model_error(arch: Architecture) -> None:
    zero = dataclasses.replace(arch, criteria=tuple(dataclasses.replace(c, weight=0.0) for c in arch.criteria))
    with pytest.raises(ModelError, match="weights"):
        weighted_score(zero, arch.candidates[0])


def test_choice_is_the_best_eligible_candidate(arch: Architecture) -> None:
    primary = primary_cloud(arch)
    for need_id, pick in chosen(arch).items():
        eligible = [c for c in arch.candidates_for(need_id) if c.provider in (primary, Provider.SELF_MANAGED)]
        assert pick.provider in (primary, Provider.SELF_MANAGED)
        assert weighted_score(arch, pick) == max(weighted_score(arch, c) for c in eligible)


def test_primary_cloud_has_the_best_mean(arch: Architecture) -> None:
    means = cloud_scores(arch)
    assert means[primary_cloud(arch)] == max(means.values())


def _manual_score(arch: Architecture, cand: Candidate) -> float:
    return sum(c.weight * cand.scores[c.id] for c in arch.criteria) / sum(c.weight for c in arch.criteria)


def test_a_score_change_changes_the_choice(arch: Architecture) -> None:
    """Mark the chosen broker as poor everywhere: the runner-up (by the weighted mean) must take its place."""
    pick = chosen(arch)["streaming_broker"]
    poor = _with_scores(pick, **dict.fromkeys(pick.scores, 1))
    changed = dataclasses.replace(arch, candidates=tuple(poor if c is pick else c for c in arch.candidates))
    primary = primary_cloud(changed)
    eligible = [c for c in changed.candidates_for("streaming_broker") if c.provider in (primary, Provider.SELF_MANAGED)]
    runner_up = max(eligible, key=lambda c: _manual_score(changed, c))
    assert chosen(changed)["streaming_broker"] == runner_up != poor


def test_a_weight_change_changes_the_choice(arch: Architecture) -> None:
    """Weigh the operating burden heavily: the choice must follow the recomputed weighted mean."""
    heavy_ops = tuple(
        dataclasses.replace(c, weight=c.weight * (10 if c.id == "operations" else 1)) for c in arch.criteria
    )
    ops_arch = dataclasses.replace(arch, criteria=heavy_ops)
    primary = primary_cloud(ops_arch)
    changed_needs = 0
    for need in arch.needs:
        eligible = [c for c in arch.candidates_for(need.id) if c.provider in (primary, Provider.SELF_MANAGED)]
        expected = max(eligible, key=lambda c: _manual_score(ops_arch, c))
        assert chosen(ops_arch)[need.id] == expected, need.id
        changed_needs += expected != chosen(arch)[need.id]
    assert changed_needs > 0


def test_better_scores_move_the_primary_cloud(arch: Architecture) -> None:
    current = primary_cloud(arch)
    other = next(c for c in (Provider.AWS, Provider.GCP, Provider.AZURE) if c != current)
    boosted = tuple(
        _with_scores(c, **dict.fromkeys(c.scores, 5)) if c.provider == other else c for c in arch.candidates
    )
    assert primary_cloud(dataclasses.replace(arch, candidates=boosted)) == other


def test_a_tie_is_refused(arch: Architecture) -> None:
    pick = chosen(arch)["streaming_broker"]
    twin = dataclasses.replace(pick, id="twin_broker", name="Jumeau")
    tied = dataclasses.replace(arch, candidates=(*arch.candidates, twin))
    with pytest.raises(ModelError, match="tie"):
        chosen(tied)


def test_a_need_without_eligible_candidate_is_refused(arch: Architecture) -> None:
    primary = primary_cloud(arch)
    kept = tuple(
        c
        for c in arch.candidates
        if not (c.need == "network_backup" and c.provider in (primary, Provider.SELF_MANAGED))
    )
    with pytest.raises(ModelError, match="network_backup"):
        chosen(dataclasses.replace(arch, candidates=kept))
