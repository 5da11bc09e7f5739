"""`render_all`: every artefact of exercise 1 (schematics, Mermaid sources and images, tables) in one call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from hybridflow.architecture import mermaid, schematics
from hybridflow.architecture.data import build_architecture
from hybridflow.architecture.model import Architecture
from hybridflow.architecture.tables import TABLES
from hybridflow.config import DIAGRAMS_DIR

MERMAID_SUBDIR = "mermaid"
TABLES_SUBDIR = "tables"


def write_tables(arch: Architecture, out_dir: Path) -> list[Path]:
    """Write every table as a UTF-8 CSV under `out_dir`; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, build in TABLES.items():
        path = out_dir / f"{name}.csv"
        build(arch).to_csv(path, index=False)
        paths.append(path)
    return paths


def render_all(
    out_dir: Path | str = DIAGRAMS_DIR, arch: Architecture | None = None, progress: bool = True
) -> list[Path]:
    """Render the 4 schematics (PNG), the Mermaid sources and images, and the tables (CSV) into `out_dir`.

    Raises:
        RendererMissingError: `dot`, `mmdc` or Chromium is missing (checked before anything is written).
    """
    out_dir = Path(out_dir)
    arch = arch or build_architecture()
    schematics.require_dot()
    mermaid.require_mermaid()

    def _schematic(s: schematics.Schematic) -> Callable[[], list[Path]]:
        return lambda: [schematics.render_schematic(arch, s, out_dir)]

    steps: list[tuple[str, Callable[[], list[Path]]]] = [(s.stem, _schematic(s)) for s in schematics.SCHEMATICS]
    sources = out_dir / MERMAID_SUBDIR

    def _mermaid_images() -> list[Path]:
        return [
            mermaid.render_mermaid(src, out_dir / f"{src.stem}.png")
            for src in sorted(sources.glob("*.mmd"))
            if src.stem in mermaid.MERMAID_SOURCES
        ]

    steps += [
        ("sources Mermaid", lambda: mermaid.write_sources(arch, sources)),
        ("images Mermaid", _mermaid_images),
        ("tableaux CSV", lambda: write_tables(arch, out_dir / TABLES_SUBDIR)),
    ]
    written: list[Path] = []
    with tqdm(steps, desc="diagrams", unit="étape", disable=not progress) as bar:
        for name, step in bar:
            bar.set_postfix_str(name)
            written += step()
    return written
