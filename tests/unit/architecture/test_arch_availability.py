"""Composite availability: serial stages multiply, redundant nodes combine; SLAs come from the chosen components."""

from __future__ import annotations

import dataclasses

import pytest

from hybridflow.architecture.availability import (
    HOURS_PER_YEAR,
    downtime_hours_per_year,
    node_sla,
    parallel,
    path_availability,
    serial,
)
from hybridflow.architecture.errors import ModelError
from hybridflow.architecture.model import Architecture, CriticalPath, Sla
from hybridflow.architecture.scoring import chosen


def test_serial_and_parallel() -> None:
    assert serial([0.9, 0.9]) == pytest.approx(0.81)
    assert parallel([0.9, 0.9]) == pytest.approx(0.99)
    assert serial([]) == 1.0
    assert parallel([0.5]) == pytest.approx(0.5)


def test_downtime() -> None:
    assert downtime_hours_per_year(0.999) == pytest.approx(0.001 * HOURS_PER_YEAR)


def test_path_availability_multiplies_stage_availabilities(arch: Architecture) -> None:
    for path in arch.critical_paths:
        expected = 1.0
        for stage in path.stages:
            down = 1.0
            for node in stage:
                down *= 1.0 - node_sla(arch, node).availability
            expected *= 1.0 - down
        assert path_availability(arch, path) == pytest.approx(expected)
        assert 0.9 < path_availability(arch, path) < 1.0


def test_redundant_link_beats_either_link_alone(arch: Architecture) -> None:
    path = next(p for p in arch.critical_paths if any(len(stage) > 1 for stage in p.stages))
    redundant = path_availability(arch, path)
    for keep in (0, 1):
        single = tuple(stage if len(stage) == 1 else (stage[keep],) for stage in path.stages)
        assert path_availability(arch, CriticalPath("x", "x", single, path.target)) < redundant


def test_a_lower_sla_lowers_the_path(arch: Architecture) -> None:
    path = arch.critical_paths[0]
    need_id = next(n for stage in path.stages for n in stage if len(stage) == 1 and n in {x.id for x in arch.needs})
    pick = chosen(arch)[need_id]
    old = pick.sla.availability
    worse = dataclasses.replace(pick, sla=Sla(old - 0.01, pick.sla.source, pick.sla.as_of))
    changed = dataclasses.replace(arch, candidates=tuple(worse if c is pick else c for c in arch.candidates))
    ratio = path_availability(changed, path) / path_availability(arch, path)
    assert ratio == pytest.approx((old - 0.01) / old)


def test_a_chosen_component_on_a_path_needs_an_sla(arch: Architecture) -> None:
    path = arch.critical_paths[0]
    need_id = next(n for stage in path.stages for n in stage if n in {x.id for x in arch.needs})
    pick = chosen(arch)[need_id]
    no_sla = dataclasses.replace(
        arch, candidates=tuple(dataclasses.replace(c, sla=None) if c is pick else c for c in arch.candidates)
    )
    with pytest.raises(ModelError, match="no SLA"):
        path_availability(no_sla, path)
