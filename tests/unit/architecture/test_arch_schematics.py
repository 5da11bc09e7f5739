"""Schematics are drawn from the model; PNGs render when Graphviz `dot` is installed."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from hybridflow.architecture import schematics
from hybridflow.architecture.errors import RendererMissingError
from hybridflow.architecture.model import Architecture, ExistingSystem, Flow, FlowKind, Sla

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (make setup)")


def _with_mes(arch: Architecture) -> Architecture:
    mes = ExistingSystem(
        "mes",
        "MES des usines",
        "onprem_dc",
        "onprem.compute.Server",
        "Pilotage atelier.",
        Sla(0.999, "Hypothèse", "2026-11-25"),
    )
    flow = Flow(
        "mes_in",
        "mes",
        "streaming_broker",
        "Ordres de fabrication",
        FlowKind.REALTIME,
        ("network_link",),
        rpo_minutes=0,
        rto_minutes=15,
    )
    return dataclasses.replace(arch, systems=(*arch.systems, mes), flows=(*arch.flows, flow))


def test_each_schematic_has_its_own_file_name() -> None:
    stems = [s.stem for s in schematics.SCHEMATICS]
    assert stems and len(set(stems)) == len(stems)


def test_overall_schematic_shows_every_flow_node(arch: Architecture) -> None:
    overall = schematics.SCHEMATICS[0]
    expected = {n for f in arch.flows for n in (f.source, *f.via, f.target)}
    assert set(schematics.schematic_nodes(arch, overall)) == expected


def test_each_flow_appears_in_a_detailed_schematic(arch: Architecture) -> None:
    detailed = [k for s in schematics.SCHEMATICS[1:] for k in s.kinds]
    assert {f.kind for f in arch.flows} <= set(detailed)


def test_a_new_system_and_flow_enter_the_pictures(arch: Architecture) -> None:
    bigger = _with_mes(arch)
    realtime = next(s for s in schematics.SCHEMATICS if s.kinds == (FlowKind.REALTIME,))
    assert "mes" not in schematics.schematic_nodes(arch, realtime)
    assert "mes" in schematics.schematic_nodes(bigger, realtime)
    assert "mes" in schematics.schematic_nodes(bigger, schematics.SCHEMATICS[0])


def test_missing_dot_names_the_fix(monkeypatch: pytest.MonkeyPatch, arch: Architecture, tmp_path: Path) -> None:
    monkeypatch.setattr(schematics.shutil, "which", lambda _: None)
    with pytest.raises(RendererMissingError, match="make setup"):
        schematics.render_schematic(arch, schematics.SCHEMATICS[1], tmp_path)
    assert not any(tmp_path.iterdir())


@needs_dot
@pytest.mark.parametrize("schematic", schematics.SCHEMATICS, ids=lambda s: s.stem)
def test_schematic_renders_a_non_empty_png(arch: Architecture, schematic: schematics.Schematic, tmp_path: Path) -> None:
    path = schematics.render_schematic(arch, schematic, tmp_path)
    assert path == tmp_path / f"{schematic.stem}.png"
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 20_000  # icons and labels, not an empty canvas


@needs_dot
def test_a_bigger_model_draws_a_bigger_picture(arch: Architecture, tmp_path: Path) -> None:
    realtime = next(s for s in schematics.SCHEMATICS if s.kinds == (FlowKind.REALTIME,))
    small = schematics.render_schematic(arch, realtime, tmp_path / "small").read_bytes()
    big = schematics.render_schematic(_with_mes(arch), realtime, tmp_path / "big").read_bytes()
    assert big != small
