"""The cost model recomputes from unit prices × volumes: a changed price or volume moves exactly the lines it feeds."""

from __future__ import annotations

import dataclasses

import pytest

from hybridflow.architecture import costs
from hybridflow.architecture.model import Architecture, CostLine, CostOption, UnitPrice, Volume


def _with_price(arch: Architecture, price_id: str, amount: float) -> Architecture:
    prices = tuple(dataclasses.replace(p, amount=amount) if p.id == price_id else p for p in arch.prices)
    return dataclasses.replace(arch, prices=prices)


HYBRID, ON_PREM = CostOption.HYBRID, CostOption.ON_PREMISE


def _toy(arch: Architecture) -> Architecture:
    """Three prices, two volumes, four lines: small enough to price by hand in the tests below."""
    return dataclasses.replace(
        arch,
        prices=(
            UnitPrice("gb", "stockage", 0.02, "€/Go/mois", "test", "2026-01-01"),
            UnitPrice("vm", "VM", 100.0, "€/mois", "test", "2026-01-01"),
            UnitPrice("setup", "mise en place", 500.0, "€", "test", "2026-01-01"),
        ),
        volumes=(
            Volume("data_gb", "données", 1000, "Go", True, "test"),
            Volume("sites", "sites", 3, "sites", False, "test"),
        ),
        cost_lines=(
            CostLine("store", HYBRID, "stockage", "gb", terms=(("data_gb", 1.5),)),  # 1500 Go
            CostLine("nodes", HYBRID, "VMs", "vm", fixed=2, terms=(("sites", 1.0),)),  # 2 + 3 = 5 VMs
            CostLine("install", HYBRID, "installation", "setup", fixed=1, one_time=True),
            CostLine("servers", ON_PREM, "serveurs", "vm", fixed=4),
        ),
    )


def test_totals_price_each_line_as_fixed_plus_volume_terms(arch: Architecture) -> None:
    toy = _toy(arch)
    hybrid = costs.totals(toy, HYBRID)
    assert hybrid.monthly == pytest.approx(1500 * 0.02 + 5 * 100.0)  # 530 €/month
    assert hybrid.one_time == pytest.approx(500.0)
    assert hybrid.yearly == pytest.approx(12 * 530 + 500)
    assert hybrid.three_years == pytest.approx(36 * 530 + 500)
    assert costs.totals(toy, ON_PREM).monthly == pytest.approx(400.0)


def test_growth_multiplies_only_growing_volumes(arch: Architecture) -> None:
    grown = costs.totals(_toy(arch), HYBRID, growth=10)
    assert grown.monthly == pytest.approx(15_000 * 0.02 + 5 * 100.0)  # data ×10, sites unchanged
    assert grown.one_time == pytest.approx(500.0)


@pytest.mark.parametrize("option", list(CostOption))
def test_a_changed_unit_price_moves_the_total_of_its_option(arch: Architecture, option: CostOption) -> None:
    line = next(cl for cl in arch.cost_lines if cl.option is option and not cl.one_time)
    price = arch.price(line.price)
    before = costs.totals(arch, option)
    after = costs.totals(_with_price(arch, price.id, price.amount * 2), option)
    assert after.monthly > before.monthly
    assert after.three_years - before.three_years == pytest.approx(36 * (after.monthly - before.monthly))


def test_one_time_costs_stay_out_of_the_monthly_figure(arch: Architecture) -> None:
    line = next(cl for cl in arch.cost_lines if cl.one_time)
    price = arch.price(line.price)
    before = costs.totals(arch, line.option)
    after = costs.totals(_with_price(arch, price.id, price.amount + 100), line.option)
    assert after.monthly == pytest.approx(before.monthly)
    assert after.one_time > before.one_time
    assert after.yearly - before.yearly == pytest.approx(after.one_time - before.one_time)


def test_growth_scales_only_lines_fed_by_growing_volumes(arch: Architecture) -> None:
    growing = {v.id for v in arch.volumes if v.grows}
    now = {c.line.id: c.amount for c in costs.evaluate(arch, 1.0)}
    later = {c.line.id: c.amount for c in costs.evaluate(arch, costs.GROWTH_FACTOR)}
    for line in arch.cost_lines:
        if any(vid in growing and factor for vid, factor in line.terms):
            assert later[line.id] > now[line.id], line.id
        else:
            assert later[line.id] == pytest.approx(now[line.id]), line.id


def test_growth_makes_every_option_dearer(arch: Architecture) -> None:
    for option in CostOption:
        assert costs.totals(arch, option, costs.GROWTH_FACTOR).monthly > costs.totals(arch, option).monthly


def test_a_volume_change_moves_its_lines(arch: Architecture) -> None:
    volumes = tuple(dataclasses.replace(v, value=v.value * 2) if v.id == "sqlserver_tb" else v for v in arch.volumes)
    doubled = dataclasses.replace(arch, volumes=volumes)
    old = {c.line.id: c.amount for c in costs.evaluate(arch)}
    new = {c.line.id: c.amount for c in costs.evaluate(doubled)}
    for line in arch.cost_lines:
        uses = any(vid == "sqlserver_tb" for vid, _ in line.terms)
        assert (new[line.id] != pytest.approx(old[line.id])) == uses, line.id


def test_initial_transfer_days() -> None:
    # 1 TB = 8e12 bits; at 1 Gbit/s fully used that is 8 000 s
    assert costs.initial_transfer_days(1, 1, efficiency=1.0) == pytest.approx(8000 / 86_400)
    assert costs.initial_transfer_days(2, 1, efficiency=0.5) == pytest.approx(4 * 8000 / 86_400)
