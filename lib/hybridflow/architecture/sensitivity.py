"""How robust the architecture decision is: criterion weights and unit prices moved around their values.

The primary cloud is the one with the best mean weighted score (`scoring.cloud_scores`); a lead of
a few hundredths out of 5 says nothing until one knows whether it survives other reasonable weights.
This module recomputes the decision, vectorised with numpy but equal to `scoring` on the model's
own weights (a unit test checks it), for:

* each criterion weight moved by ±`WEIGHT_STEP` (one at a time, the others unchanged);
* `N_DRAWS` weight vectors drawn uniformly on the simplex (Dirichlet(1, …, 1)): every weighting
  a jury could pick, not only the neighbours of ours;
* each criterion's share swept from 0 to 100 % (the others keeping their proportions): where the
  winner changes, and to whom — the criterion that flips the decision;
* unit prices moved by ±`PRICE_STEP` (one at a time, then all at once at random): the 3-year cost
  and whether the hybrid option stays cheaper than keeping everything on-premise. Prices are in
  the model for the chosen (Azure) option and the on-premise one only; the cloud comparison sees
  prices through the « Coût » score, so a ±20 % price change of one provider is also played as
  ±1 point on its « Coût » scores (the 1–5 scale's step; an explicit assumption).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hybridflow.architecture import costs
from hybridflow.architecture.errors import ModelError
from hybridflow.architecture.model import CLOUDS, Architecture, CostOption, Provider

WEIGHT_STEP = 0.25
PRICE_STEP = 0.20
N_DRAWS = 5_000
SEED = 2026
COST_CRITERION = "cost"


# --- scores, vectorised ----------------------------------------------------------------------------


def _score_tensor(arch: Architecture) -> tuple[list[list[np.ndarray]], tuple[Provider, ...]]:
    """Per cloud, per production need it covers: the (candidates × criteria) score matrix."""
    ids = [c.id for c in arch.criteria]
    per_cloud: list[list[np.ndarray]] = []
    clouds = []
    for cloud in CLOUDS:
        blocks = []
        for need in arch.needs:
            cands = [c for c in arch.candidates_for(need.id) if c.provider == cloud]
            if need.production and cands:
                blocks.append(np.array([[c.scores[i] for i in ids] for c in cands], dtype=float))
        if blocks:
            per_cloud.append(blocks)
            clouds.append(cloud)
    if not clouds:
        raise ModelError("No cloud candidate in the model: add AWS, Azure or GCP candidates in data.py.")
    return per_cloud, tuple(clouds)


def cloud_score_matrix(arch: Architecture, weights: np.ndarray) -> tuple[np.ndarray, tuple[Provider, ...]]:
    """Each cloud's mean best weighted score for each row of `weights` (draws × criteria, any positive scale).

    Returns:
        (scores of shape draws × clouds, the clouds in column order)
    """
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    if weights.shape[1] != len(arch.criteria):
        raise ModelError(f"{weights.shape[1]} weights for {len(arch.criteria)} criteria.")
    totals = weights.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise ModelError("A weight vector adds up to zero: give at least one criterion a positive weight.")
    normalised = weights / totals
    per_cloud, clouds = _score_tensor(arch)
    columns = [np.mean([(normalised @ block.T).max(axis=1) for block in blocks], axis=0) for blocks in per_cloud]
    return np.column_stack(columns), clouds


def base_weights(arch: Architecture) -> np.ndarray:
    """The model's criterion weights, in criterion order."""
    return np.array([c.weight for c in arch.criteria], dtype=float)


def winners(arch: Architecture, weights: np.ndarray) -> list[Provider]:
    """The primary cloud for each row of `weights`."""
    scores, clouds = cloud_score_matrix(arch, weights)
    return [clouds[i] for i in scores.argmax(axis=1)]


@dataclass(frozen=True)
class Ranking:
    """The decision under the model's weights: winner, runner-up and the lead between them."""

    winner: Provider
    winner_score: float
    runner_up: Provider
    runner_up_score: float

    @property
    def margin(self) -> float:
        """The winner's lead over the runner-up, in points out of 5."""
        return self.winner_score - self.runner_up_score


def ranking(arch: Architecture, weights: np.ndarray | None = None) -> Ranking:
    """Winner and runner-up for `weights` (default: the model's)."""
    scores, clouds = cloud_score_matrix(arch, base_weights(arch) if weights is None else weights)
    order = np.argsort(-scores[0])
    if len(order) < 2:
        raise ModelError("Only one cloud has candidates: there is no decision to test.")
    first, second = order[0], order[1]
    return Ranking(clouds[first], float(scores[0, first]), clouds[second], float(scores[0, second]))


# --- weights ---------------------------------------------------------------------------------------


def weight_tornado(arch: Architecture, step: float = WEIGHT_STEP) -> pd.DataFrame:
    """Each criterion's weight × (1 − step) and × (1 + step), the others unchanged: winner and its lead.

    Columns: criterion id and label, factor, winner, and ``marge`` = score of the model's winner
    minus the best other cloud (negative: the decision flips).
    """
    base = ranking(arch)
    weights = base_weights(arch)
    rows = []
    for i, criterion in enumerate(arch.criteria):
        for factor in (1 - step, 1 + step):
            varied = weights.copy()
            varied[i] *= factor
            scores, clouds = cloud_score_matrix(arch, varied)
            mine = scores[0, clouds.index(base.winner)]
            best_other = max(s for c, s in zip(clouds, scores[0], strict=False) if c != base.winner)
            rows.append(
                {
                    "criterion": criterion.id,
                    "critère": criterion.label,
                    "facteur": factor,
                    "gagnant": clouds[int(scores[0].argmax())].label,
                    "marge": mine - best_other,
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class MonteCarlo:
    """Winners over weight vectors drawn uniformly on the simplex."""

    draws: int
    wins: dict[str, float]  # cloud label -> share of draws won
    mean_weights_when_kept: dict[str, float]  # criterion id -> mean share where the model's winner wins
    mean_weights_when_lost: dict[str, float]  # … where it loses

    def share(self, cloud: Provider) -> float:
        """Share of the draws `cloud` wins."""
        return self.wins.get(cloud.label, 0.0)

    @property
    def driver(self) -> str | None:
        """The criterion whose weight differs most between draws kept and draws lost (None if never lost)."""
        if not self.mean_weights_when_lost:
            return None
        return max(
            self.mean_weights_when_lost,
            key=lambda c: abs(self.mean_weights_when_lost[c] - self.mean_weights_when_kept.get(c, 0.0)),
        )


def monte_carlo_weights(arch: Architecture, draws: int = N_DRAWS, seed: int = SEED) -> MonteCarlo:
    """Draw `draws` weight vectors uniformly on the simplex (Dirichlet(1…1)); who wins how often."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(len(arch.criteria)), size=draws)
    scores, clouds = cloud_score_matrix(arch, weights)
    best = scores.argmax(axis=1)
    base = ranking(arch).winner
    kept = best == clouds.index(base)
    ids = [c.id for c in arch.criteria]

    def means(mask: np.ndarray) -> dict[str, float]:
        return {i: float(v) for i, v in zip(ids, weights[mask].mean(axis=0), strict=False)} if mask.any() else {}

    wins = {cloud.label: float((best == k).mean()) for k, cloud in enumerate(clouds)}
    return MonteCarlo(draws, wins, means(kept), means(~kept))


def flip_points(arch: Architecture, resolution: int = 2_001) -> pd.DataFrame:
    """For each criterion: its share swept over [0, 1], the others keeping their proportions.

    Columns: criterion, its share today, the lowest and highest share at which the model's winner
    still wins, and who wins just outside that interval (empty when it wins up to 0 or 1).
    """
    base = ranking(arch).winner
    weights = base_weights(arch) / base_weights(arch).sum()
    grid = np.linspace(0.0, 1.0, resolution)
    rows = []
    for i, criterion in enumerate(arch.criteria):
        others = np.delete(weights, i)
        rest = others / others.sum() if others.sum() > 0 else np.full(len(others), 1 / len(others))
        sweep = np.column_stack([np.insert(rest * (1 - t), i, t) for t in grid]).T
        won = winners(arch, sweep)
        today = int(np.abs(grid - weights[i]).argmin())
        low = today
        while low > 0 and won[low - 1] == base:
            low -= 1
        high = today
        while high < resolution - 1 and won[high + 1] == base:
            high += 1
        rows.append(
            {
                "criterion": criterion.id,
                "critère": criterion.label,
                "part actuelle": float(weights[i]),
                "reste premier de": float(grid[low]),
                "à": float(grid[high]),
                "en dessous": won[low - 1].label if low > 0 else "",
                "au-dessus": won[high + 1].label if high < resolution - 1 else "",
            }
        )
    return pd.DataFrame(rows)


def closest_flip(flips: pd.DataFrame) -> dict | None:
    """The flip that needs the smallest change of one criterion's share (None: no flip on any sweep)."""
    best = None
    for row in flips.to_dict("records"):
        for side, bound, who in (("baisse", "reste premier de", "en dessous"), ("hausse", "à", "au-dessus")):
            if not row[who]:
                continue
            distance = abs(row[bound] - row["part actuelle"])
            if best is None or distance < best["écart"]:
                best = {
                    "critère": row["critère"],
                    "sens": side,
                    "seuil": row[bound],
                    "part actuelle": row["part actuelle"],
                    "nouveau gagnant": row[who],
                    "écart": distance,
                }
    return best


def cost_score_shifts(arch: Architecture, points: int = 1) -> pd.DataFrame:
    """Each cloud's « Coût » scores moved by ±`points` (clipped to 1–5): who wins then.

    Stands for a ±20 % price change of that provider: 20 % is one step of the 1–5 scale.
    """
    base = ranking(arch)
    rows = []
    for cloud in CLOUDS:
        for shift in (-points, points):
            candidates = tuple(
                dataclasses.replace(
                    c, scores={**c.scores, COST_CRITERION: int(np.clip(c.scores[COST_CRITERION] + shift, 1, 5))}
                )
                if c.provider == cloud
                else c
                for c in arch.candidates
            )
            varied = ranking(dataclasses.replace(arch, candidates=candidates))
            rows.append(
                {
                    "fournisseur": cloud.label,
                    "note Coût": f"{shift:+d}",
                    "prix équivalents": f"{'−' if shift > 0 else '+'}{_pct(PRICE_STEP)}",
                    "gagnant": varied.winner.label,
                    "marge": round(varied.margin, 3),
                    "bascule": varied.winner != base.winner,
                }
            )
    return pd.DataFrame(rows)


# --- prices ----------------------------------------------------------------------------------------


def with_prices(arch: Architecture, factors: dict[str, float]) -> Architecture:
    """A copy of `arch` whose unit prices are multiplied by `factors` (price id -> factor)."""
    unknown = set(factors) - {p.id for p in arch.prices}
    if unknown:
        raise ModelError(f"Unknown unit price(s) {sorted(unknown)}: see PRICES in data.py.")
    prices = tuple(dataclasses.replace(p, amount=p.amount * factors.get(p.id, 1.0)) for p in arch.prices)
    return dataclasses.replace(arch, prices=prices)


def three_year_costs(arch: Architecture, growth: float = 1.0) -> dict[CostOption, float]:
    """3-year cost of each option."""
    return {option: costs.totals(arch, option, growth).three_years for option in CostOption}


def price_tornado(arch: Architecture, step: float = PRICE_STEP, growth: float = 1.0) -> pd.DataFrame:
    """Each unit price × (1 ± step), the others unchanged: 3-year cost of both options and the gap between them.

    Sorted by the swing of the hybrid option's cost, largest first; prices no cost line uses are left out.
    """
    used = {line.price for line in arch.cost_lines}
    base = three_year_costs(arch, growth)
    rows = []
    for price in arch.prices:
        if price.id not in used:
            continue
        low = three_year_costs(with_prices(arch, {price.id: 1 - step}), growth)
        high = three_year_costs(with_prices(arch, {price.id: 1 + step}), growth)
        rows.append(
            {
                "price": price.id,
                "prix unitaire": price.label,
                "hybride −": low[CostOption.HYBRID] - base[CostOption.HYBRID],
                "hybride +": high[CostOption.HYBRID] - base[CostOption.HYBRID],
                "on-premise −": low[CostOption.ON_PREMISE] - base[CostOption.ON_PREMISE],
                "on-premise +": high[CostOption.ON_PREMISE] - base[CostOption.ON_PREMISE],
                "écart le plus défavorable": min(
                    case[CostOption.ON_PREMISE] - case[CostOption.HYBRID] for case in (low, high)
                ),
            }
        )
    frame = pd.DataFrame(rows)
    swing = (frame["hybride +"] - frame["hybride −"]).abs() + (frame["on-premise +"] - frame["on-premise −"]).abs()
    return (
        frame.assign(_swing=swing).sort_values("_swing", ascending=False).drop(columns="_swing").reset_index(drop=True)
    )


@dataclass(frozen=True)
class PriceDraws:
    """Both options' 3-year costs with every unit price drawn uniformly in [1 − step, 1 + step]."""

    draws: int
    growth: float
    hybrid: np.ndarray
    on_premise: np.ndarray

    @property
    def hybrid_cheaper(self) -> float:
        """Share of draws where the hybrid option costs less over 3 years."""
        return float((self.hybrid < self.on_premise).mean())

    def quantiles(self, option: CostOption) -> tuple[float, float, float]:
        """5th, 50th and 95th percentiles of one option's 3-year cost."""
        values = self.hybrid if option == CostOption.HYBRID else self.on_premise
        low, mid, high = np.percentile(values, [5, 50, 95])
        return float(low), float(mid), float(high)


def monte_carlo_prices(
    arch: Architecture, draws: int = 2_000, step: float = PRICE_STEP, growth: float = 1.0, seed: int = SEED
) -> PriceDraws:
    """Every unit price drawn independently and uniformly within ±`step`, `draws` times."""
    rng = np.random.default_rng(seed)
    lines = costs.evaluate(arch, growth)
    price_ids = [p.id for p in arch.prices]
    index = {pid: k for k, pid in enumerate(price_ids)}
    factors = rng.uniform(1 - step, 1 + step, size=(draws, len(price_ids)))
    totals = {option: np.zeros(draws) for option in CostOption}
    for line in lines:
        months = 1 if line.line.one_time else costs.HORIZON_MONTHS
        totals[line.line.option] += line.amount * months * factors[:, index[line.line.price]]
    return PriceDraws(draws, growth, totals[CostOption.HYBRID], totals[CostOption.ON_PREMISE])


# --- the sentence ----------------------------------------------------------------------------------


def _of(name: str) -> str:
    """French « de » with elision: « d'AWS », « de GCP »."""
    return f"d'{name}" if name[:1].lower() in "aeiouyh" else f"de {name}"


def _pct(value: float) -> str:
    """French percentage; one decimal where rounding would show 0 % or 100 % for a value that is neither."""
    digits = 1 if 0 < value < 0.005 or 0.995 < value < 1 else 0
    return f"{value * 100:.{digits}f}\u00a0%".replace(".", ",")


def conclusion(arch: Architecture, draws: int = N_DRAWS) -> str:
    """One French sentence, computed: how robust the choice of the primary cloud and the hybrid option are."""
    base = ranking(arch)
    tornado = weight_tornado(arch)
    kept = int((tornado["gagnant"] == base.winner.label).sum())
    mc = monte_carlo_weights(arch, draws)
    flip = closest_flip(flip_points(arch))
    prices = monte_carlo_prices(arch)
    prices_x10 = monte_carlo_prices(arch, growth=costs.GROWTH_FACTOR)
    shifts = cost_score_shifts(arch)
    text = (
        f"{base.winner.label} reste le fournisseur principal dans {kept} des {len(tornado)} variations de ±{_pct(WEIGHT_STEP)} "
        f"d'un poids et dans {_pct(mc.share(base.winner))} de {draws:,} pondérations tirées au hasard "
        f"({base.runner_up.label} : {_pct(mc.share(base.runner_up))})".replace(",", "\u202f")
    )
    if flip:
        verb = "descend sous" if flip["sens"] == "baisse" else "dépasse"
        text += (
            f" ; le choix bascule vers {flip['nouveau gagnant']} si le poids du critère « {flip['critère']} » {verb} "
            f"{_pct(flip['seuil'])} (aujourd'hui {_pct(flip['part actuelle'])})"
        )
    flipped = shifts[shifts["bascule"]]
    if len(flipped):
        cases = [
            f"les prix {_of(row['fournisseur'])} {'baissent' if row['note Coût'].startswith('+') else 'montent'} "
            f"de {_pct(PRICE_STEP)} ({row['gagnant']} passe devant)"
            for row in flipped.to_dict("records")
        ]
        text += f", ou, à ±1 point de note Coût pour ±{_pct(PRICE_STEP)} de prix, si {', si '.join(cases)}"
    else:
        text += f" ; ±{_pct(PRICE_STEP)} sur les prix d'un seul fournisseur (±1 point de note Coût) ne le change pas"
    text += (
        f". Avec tous les prix unitaires à ±{_pct(PRICE_STEP)}, l'hybride reste moins cher que le tout on-premise "
        f"dans {_pct(prices.hybrid_cheaper)} des tirages au volume actuel et {_pct(prices_x10.hybrid_cheaper)} à ×10."
    )
    return text


# --- tables as the report shows them -----------------------------------------------------------------


def flip_table(arch: Architecture) -> pd.DataFrame:
    """`flip_points` in French, shares as percentages: how far each criterion's weight can go."""
    base = ranking(arch).winner.label
    rows = []
    for row in flip_points(arch).to_dict("records"):
        low = f"{_pct(row['reste premier de'])} ({row['en dessous']} en dessous)" if row["en dessous"] else "0\u00a0%"
        high = f"{_pct(row['à'])} ({row['au-dessus']} au-dessus)" if row["au-dessus"] else "100\u00a0%"
        rows.append(
            {
                "critère": row["critère"],
                "poids aujourd'hui": _pct(row["part actuelle"]),
                f"{base} reste premier de": low,
                "à": high,
            }
        )
    return pd.DataFrame(rows)


def price_draws_table(arch: Architecture, draws: int = 2_000, step: float = PRICE_STEP) -> pd.DataFrame:
    """3-year cost of each option with every price drawn within ±`step`: 5th/50th/95th percentiles, per scenario."""
    rows = []
    for growth, scenario in ((1.0, "volume actuel"), (costs.GROWTH_FACTOR, f"×{costs.GROWTH_FACTOR:g}")):
        result = monte_carlo_prices(arch, draws, step, growth)
        for option in CostOption:
            low, mid, high = result.quantiles(option)
            rows.append(
                {
                    "scénario": scenario,
                    "option": option.label,
                    "P5 (k€)": round(low / 1000),
                    "médiane (k€)": round(mid / 1000),
                    "P95 (k€)": round(high / 1000),
                    "hybride moins cher": _pct(result.hybrid_cheaper),
                }
            )
    return pd.DataFrame(rows)
