"""Mermaid sources come from the model, the committed copies match it, and they render offline when mmdc is installed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hybridflow.architecture import mermaid
from hybridflow.architecture.errors import RendererMissingError
from hybridflow.architecture.model import Architecture, ExistingSystem, Flow, FlowKind, Sla
from hybridflow.architecture.scoring import chosen
from hybridflow.config import DIAGRAMS_DIR

COMMITTED = DIAGRAMS_DIR / "mermaid"
needs_mermaid = pytest.mark.skipif(
    mermaid.mermaid_available() is not None, reason=f"{mermaid.mermaid_available()} (make setup)"
)


def test_flowchart_shows_every_data_flow_and_node(arch: Architecture) -> None:
    source = mermaid.flowchart_source(arch)
    assert source.splitlines()[1] == "flowchart LR"
    for flow in arch.flows:
        if flow.kind.carries_data:
            assert flow.label in source, flow.id
            assert f"{flow.via[-1] if flow.via else flow.source} " in source
    for pick in chosen(arch).values():
        if any(pick.need in (f.source, f.target) for f in arch.flows if f.kind.carries_data):
            assert pick.name in source
    assert "Azure Event Hubs" not in source  # a candidate that was not chosen stays out


def test_flowchart_follows_the_model(arch: Architecture) -> None:
    mes = ExistingSystem(
        "mes", "MES des usines", "onprem_dc", "onprem.compute.Server", "", Sla(0.999, "Hypothèse", "2026-11-25")
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
    bigger = dataclasses.replace(arch, systems=(*arch.systems, mes), flows=(*arch.flows, flow))
    assert "Ordres de fabrication" not in mermaid.flowchart_source(arch)
    source = mermaid.flowchart_source(bigger)
    assert 'mes["MES des usines"]' in source
    assert '==>|"Ordres de fabrication"| streaming_broker' in source


def test_sequence_has_every_lifecycle_step(arch: Architecture) -> None:
    source = mermaid.sequence_source(arch)
    assert "sequenceDiagram" in source
    arrows = [line for line in source.splitlines() if "->>" in line]
    assert len(arrows) == len(arch.ticket_lifecycle)
    for (src, dst, _), line in zip(arch.ticket_lifecycle, arrows, strict=True):
        assert line.strip().startswith(f"{src}->>{dst}:")


def test_committed_sources_match_the_model(arch: Architecture) -> None:
    """diagrams/mermaid/*.mmd are kept in the repo; `make diagrams` rewrites them: they must not drift."""
    for stem, build in mermaid.MERMAID_SOURCES.items():
        committed = COMMITTED / f"{stem}.mmd"
        assert committed.exists(), f"{committed} is missing: run `make diagrams` and commit it"
        assert committed.read_text(encoding="utf-8") == build(arch), f"{committed} is stale: run `make diagrams`"


def test_write_sources(arch: Architecture, tmp_path: Path) -> None:
    paths = mermaid.write_sources(arch, tmp_path)
    assert [p.name for p in paths] == [f"{stem}.mmd" for stem in mermaid.MERMAID_SOURCES]


def test_missing_mmdc_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(mermaid, "MMDC", tmp_path / "no-mmdc")
    assert mermaid.mermaid_available() is not None
    with pytest.raises(RendererMissingError, match="make setup"):
        mermaid.require_mermaid()


def test_missing_chromium_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(mermaid, "MMDC", Path(__file__))  # present
    monkeypatch.setattr(mermaid, "find_chromium", lambda: None)
    with pytest.raises(RendererMissingError, match=r"Chromium.*make setup"):
        mermaid.require_mermaid()


@needs_mermaid
def test_sequence_renders_offline_to_png(arch: Architecture, tmp_path: Path) -> None:
    source = tmp_path / "seq.mmd"
    source.write_text(mermaid.sequence_source(arch), encoding="utf-8")
    png = mermaid.render_mermaid(source, tmp_path / "seq.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
