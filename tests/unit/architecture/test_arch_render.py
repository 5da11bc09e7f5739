"""`render_all` and `hybridflow diagrams`: everything in one call, or one clear error before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hybridflow.architecture import mermaid, render, schematics
from hybridflow.architecture.errors import RendererMissingError
from hybridflow.architecture.tables import TABLES
from hybridflow.cli import build_parser, main


def test_cli_registers_diagrams(tmp_path: Path) -> None:
    args = build_parser().parse_args(["diagrams", "--out", str(tmp_path)])
    assert args.func.__module__ == "hybridflow.commands.architecture"
    assert args.out == tmp_path


def test_render_all_fails_early_without_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(schematics.shutil, "which", lambda _: None)
    with pytest.raises(RendererMissingError, match="make setup"):
        render.render_all(tmp_path, progress=False)
    assert not any(tmp_path.iterdir())


def test_render_all_fails_early_without_mmdc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(mermaid, "MMDC", tmp_path / "no-mmdc")
    out = tmp_path / "out"
    with pytest.raises(RendererMissingError, match="make setup"):
        render.render_all(out, progress=False)
    assert not out.exists()


def test_cli_turns_a_missing_tool_into_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(mermaid, "MMDC", tmp_path / "no-mmdc")
    assert main(["diagrams", "--out", str(tmp_path / "out")]) == 2
    assert "make setup" in capsys.readouterr().err


@pytest.mark.skipif(
    shutil.which("dot") is None or mermaid.mermaid_available() is not None,
    reason="needs Graphviz dot, mermaid-cli and Chromium (make setup)",
)
def test_cli_renders_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagrams", "--out", str(tmp_path)]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    expected = sorted([f"{s.stem}.png" for s in schematics.SCHEMATICS] + [f"{m}.png" for m in mermaid.MERMAID_SOURCES])
    assert pngs == expected
    assert all((tmp_path / p).stat().st_size > 10_000 for p in pngs)
    assert sorted(p.stem for p in (tmp_path / "tables").glob("*.csv")) == sorted(TABLES)
    assert f"{len(expected)} PNG" in summary and str(tmp_path) in summary
