"""The cost model recomputes from unit prices × volumes: a changed price or volume moves exactly the lines it feeds."""

from __future__ import annotations

import dataclasses

import pytest

from hybridflow.architecture import costs
from hybridflow.architecture.model import Architecture, CostOption


def _with_price(arch: Architecture, price_id: str, amount: float) -> Architecture:
    prices = tuple(dataclasses.replace(p, amount=amount) if p.id == price_id else p for p in arch.prices)
    return dataclasses.replace(arch, prices=prices)


def _raw_quantity(arch: Architecture, line, growth: float = 1.0) -> float:
    """Quantity recomputed here from the raw data, independently of costs.quantity."""
    values = {v.id: v.value * (growth if v.grows else 1) for v in arch.volumes}
    return line.fixed + sum(values[vid] * factor for vid, factor in line.terms)


@pytest.mark.parametrize("option", list(CostOption))
def test_a_changed_unit_price_changes_the_total_by_quantity_times_delta(arch: Architecture, option: CostOption) -> None:
    line = next(cl for cl in arch.cost_lines if cl.option is option and not cl.one_time)
    price = arch.price(line.price)
    delta = 1.5
    before = costs.totals(arch, option)
    after = costs.totals(_with_price(arch, price.id, price.amount + delta), option)
    users = [cl for cl in arch.cost_lines if cl.price == price.id and cl.option is option and not cl.one_time]
    expected = delta * sum(_raw_quantity(arch, cl) for cl in users)
    assert after.monthly - before.monthly == pytest.approx(expected)
    assert after.three_years - before.three_years == pytest.approx(36 * expected)
    assert after.monthly != before.monthly


def test_one_time_costs_stay_out_of_the_monthly_figure(arch: Architecture) -> None:
    line = next(cl for cl in arch.cost_lines if cl.one_time)
    price = arch.price(line.price)
    before = costs.totals(arch, line.option)
    after = costs.totals(_with_price(arch, price.id, price.amount + 100), line.option)
    assert after.monthly == pytest.approx(before.monthly)
    assert after.yearly - before.yearly == pytest.approx(100 * _raw_quantity(arch, line))
    assert after.three_years - before.three_years == pytest.approx(100 * _raw_quantity(arch, line))


def test_yearly_and_three_year_derive_from_monthly(arch: Architecture) -> None:
    for option in CostOption:
        t = costs.totals(arch, option)
        assert t.yearly == pytest.approx(12 * t.monthly + t.one_time)
        assert t.three_years == pytest.approx(36 * t.monthly + t.one_time)


def test_totals_are_the_sum_of_priced_lines(arch: Architecture) -> None:
    for option in CostOption:
        expected = sum(
            _raw_quantity(arch, cl) * arch.price(cl.price).amount
            for cl in arch.cost_lines
            if cl.option is option and not cl.one_time
        )
        assert costs.totals(arch, option).monthly == pytest.approx(expected)


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
