"""The decision's sensitivity is recomputed from the model: same winner as `scoring`, flips where the data says."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hybridflow.architecture import costs, sensitivity
from hybridflow.architecture.errors import ModelError
from hybridflow.architecture.model import Architecture, CostOption, Provider
from hybridflow.architecture.scoring import cloud_scores, primary_cloud


def _dominated_by(arch: Architecture, cloud: Provider) -> Architecture:
    """A copy where `cloud`'s candidates score 5 everywhere and every other cloud's 1."""
    candidates = tuple(
        dataclasses.replace(c, scores=dict.fromkeys(c.scores, 5 if c.provider == cloud else 1))
        if c.provider != Provider.SELF_MANAGED
        else c
        for c in arch.candidates
    )
    return dataclasses.replace(arch, candidates=candidates)


def test_vectorised_scores_equal_the_scoring_module(arch: Architecture) -> None:
    scores, clouds = sensitivity.cloud_score_matrix(arch, sensitivity.base_weights(arch))
    expected = cloud_scores(arch)
    assert [expected[c] for c in clouds] == pytest.approx(list(scores[0]))


def test_weights_are_normalised_so_their_scale_does_not_matter(arch: Architecture) -> None:
    base = sensitivity.base_weights(arch)
    one, _ = sensitivity.cloud_score_matrix(arch, base)
    hundred, _ = sensitivity.cloud_score_matrix(arch, base * 100)
    assert one == pytest.approx(hundred)


def test_zero_weights_and_wrong_width_are_model_errors(arch: Architecture) -> None:
    with pytest.raises(ModelError, match="adds up to zero"):
        sensitivity.cloud_score_matrix(arch, np.zeros(len(arch.criteria)))
    with pytest.raises(ModelError, match="weights for"):
        sensitivity.cloud_score_matrix(arch, np.ones(len(arch.criteria) + 1))


def test_ranking_names_the_primary_cloud_and_its_lead(arch: Architecture) -> None:
    ranked = sensitivity.ranking(arch)
    scores = cloud_scores(arch)
    assert ranked.winner == primary_cloud(arch)
    assert ranked.margin == pytest.approx(scores[ranked.winner] - scores[ranked.runner_up])
    assert ranked.margin > 0


def test_weight_tornado_moves_each_weight_both_ways(arch: Architecture) -> None:
    tornado = sensitivity.weight_tornado(arch)
    assert len(tornado) == 2 * len(arch.criteria)
    assert sorted(set(tornado["facteur"])) == pytest.approx([0.75, 1.25])
    base = sensitivity.ranking(arch)
    # A positive lead means the model's winner still wins, a negative one that it lost.
    assert ((tornado["marge"] > 0) == (tornado["gagnant"] == base.winner.label)).all()


def test_a_cloud_that_scores_best_everywhere_wins_every_draw(arch: Architecture) -> None:
    mc = sensitivity.monte_carlo_weights(_dominated_by(arch, Provider.GCP), draws=300)
    assert mc.share(Provider.GCP) == 1.0
    assert mc.driver is None


def test_monte_carlo_shares_add_up_and_repeat_with_the_seed(arch: Architecture) -> None:
    first = sensitivity.monte_carlo_weights(arch, draws=500, seed=7)
    again = sensitivity.monte_carlo_weights(arch, draws=500, seed=7)
    assert sum(first.wins.values()) == pytest.approx(1.0)
    assert first == again
    assert first.driver in {c.id for c in arch.criteria}


def test_flip_point_is_where_the_winner_really_changes(arch: Architecture) -> None:
    flips = sensitivity.flip_points(arch)
    flip = sensitivity.closest_flip(flips)
    assert flip is not None
    row = flips[flips["critère"] == flip["critère"]].iloc[0]
    i = list(flips["critère"]).index(flip["critère"])
    today = sensitivity.base_weights(arch) / sensitivity.base_weights(arch).sum()

    def weights_at(share: float) -> np.ndarray:
        rest = np.delete(today, i)
        return np.insert(rest / rest.sum() * (1 - share), i, share)

    base = sensitivity.ranking(arch).winner
    inside = row["à"] if flip["sens"] == "hausse" else row["reste premier de"]
    outside = inside + 0.01 if flip["sens"] == "hausse" else inside - 0.01
    assert sensitivity.winners(arch, weights_at(inside))[0] == base
    assert sensitivity.winners(arch, weights_at(outside))[0].label == flip["nouveau gagnant"]


def test_cost_score_shifts_stay_on_the_scale_and_flag_flips(arch: Architecture) -> None:
    shifts = sensitivity.cost_score_shifts(arch)
    assert len(shifts) == 6
    base = sensitivity.ranking(arch).winner.label
    assert (shifts["bascule"] == (shifts["gagnant"] != base)).all()
    # The winner made dearer by a full point can only lose ground.
    dearer = shifts[(shifts["fournisseur"] == base) & (shifts["note Coût"] == "-1")].iloc[0]
    assert dearer["gagnant"] != base or dearer["marge"] < sensitivity.ranking(arch).margin


def test_with_prices_scales_one_price_and_refuses_unknown_ones(arch: Architecture) -> None:
    scaled = sensitivity.with_prices(arch, {"engineer_month": 1.2})
    assert scaled.price("engineer_month").amount == pytest.approx(arch.price("engineer_month").amount * 1.2)
    assert scaled.price("vm_d4s_hour").amount == arch.price("vm_d4s_hour").amount
    with pytest.raises(ModelError, match="Unknown unit price"):
        sensitivity.with_prices(arch, {"no_such_price": 1.1})


def test_price_tornado_is_linear_in_each_price(arch: Architecture) -> None:
    tornado = sensitivity.price_tornado(arch).set_index("price")
    staff = tornado.loc["engineer_month"]
    # 1 engineer in the hybrid option, 2 on-premise, over 36 months, ±20 %.
    assert staff["hybride +"] == pytest.approx(0.2 * 7_000 * 36)
    assert staff["on-premise +"] == pytest.approx(0.2 * 2 * 7_000 * 36)
    assert staff["hybride −"] == pytest.approx(-staff["hybride +"])
    assert tornado.index[0] == "engineer_month"  # the largest swing first


def test_price_draws_without_spread_are_the_model_costs(arch: Architecture) -> None:
    draws = sensitivity.monte_carlo_prices(arch, draws=10, step=0.0)
    base = sensitivity.three_year_costs(arch)
    assert draws.hybrid == pytest.approx(np.full(10, base[CostOption.HYBRID]))
    assert draws.on_premise == pytest.approx(np.full(10, base[CostOption.ON_PREMISE]))
    assert draws.hybrid_cheaper == (1.0 if base[CostOption.HYBRID] < base[CostOption.ON_PREMISE] else 0.0)


def test_price_draws_spread_around_the_model_cost(arch: Architecture) -> None:
    draws = sensitivity.monte_carlo_prices(arch, draws=500, growth=costs.GROWTH_FACTOR)
    low, mid, high = draws.quantiles(CostOption.HYBRID)
    base = costs.totals(arch, CostOption.HYBRID, costs.GROWTH_FACTOR).three_years
    assert low < base < high
    assert mid == pytest.approx(base, rel=0.05)


def test_conclusion_is_computed_from_the_model(arch: Architecture) -> None:
    text = sensitivity.conclusion(arch, draws=400)
    assert text.startswith(sensitivity.ranking(arch).winner.label)
    dominated = sensitivity.conclusion(_dominated_by(arch, Provider.GCP), draws=400)
    assert dominated.startswith("GCP") and "100\u00a0%" in dominated
