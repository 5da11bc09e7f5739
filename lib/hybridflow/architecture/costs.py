"""The cost model: one function turns unit prices × volumes into every figure shown."""

from __future__ import annotations

from dataclasses import dataclass

from hybridflow.architecture.model import Architecture, CostLine, CostOption

GROWTH_FACTOR = 10.0
MONTHS_PER_YEAR = 12
HORIZON_MONTHS = 36


@dataclass(frozen=True)
class LineCost:
    """One cost line evaluated for one growth factor."""

    line: CostLine
    growth: float
    quantity: float
    unit_price: float

    @property
    def amount(self) -> float:
        """quantity × unit price (per month, or once for one-time lines)."""
        return self.quantity * self.unit_price


def volume_values(arch: Architecture, growth: float = 1.0) -> dict[str, float]:
    """Each volume's value, growing volumes multiplied by `growth`."""
    return {v.id: v.value * (growth if v.grows else 1.0) for v in arch.volumes}


def quantity(arch: Architecture, line: CostLine, growth: float = 1.0) -> float:
    """fixed + Σ volume × factor for one line."""
    volumes = volume_values(arch, growth)
    return line.fixed + sum(volumes[volume_id] * factor for volume_id, factor in line.terms)


def evaluate(arch: Architecture, growth: float = 1.0) -> list[LineCost]:
    """Every cost line priced for one growth factor."""
    return [
        LineCost(line, growth, quantity(arch, line, growth), arch.price(line.price).amount) for line in arch.cost_lines
    ]


@dataclass(frozen=True)
class Totals:
    """Monthly run cost, one-time cost, and the yearly and 3-year figures derived from them."""

    monthly: float
    one_time: float

    @property
    def yearly(self) -> float:
        """First year: 12 months of run cost plus the one-time costs."""
        return self.monthly * MONTHS_PER_YEAR + self.one_time

    @property
    def three_years(self) -> float:
        """36 months of run cost plus the one-time costs."""
        return self.monthly * HORIZON_MONTHS + self.one_time


def totals(arch: Architecture, option: CostOption, growth: float = 1.0) -> Totals:
    """Totals of one option (hybrid or on-premise) for one growth factor."""
    lines = [c for c in evaluate(arch, growth) if c.line.option == option]
    return Totals(
        monthly=sum(c.amount for c in lines if not c.line.one_time),
        one_time=sum(c.amount for c in lines if c.line.one_time),
    )


def initial_transfer_days(data_tb: float, link_gbps: float, efficiency: float = 0.7) -> float:
    """Days needed to push `data_tb` through the link at `efficiency` of its rate (why the initial load goes by Data Box)."""
    bits = data_tb * 1e12 * 8
    return bits / (link_gbps * 1e9 * efficiency) / 86_400
