"""`hybridflow diagrams`: render every schematic, Mermaid diagram and table of exercise 1."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hybridflow.architecture.render import render_all
from hybridflow.config import DIAGRAMS_DIR, PROJ_ROOT


def _diagrams(args: argparse.Namespace) -> int:
    start = time.monotonic()
    paths = render_all(args.out)
    out = Path(args.out).resolve()
    shown = out.relative_to(PROJ_ROOT) if out.is_relative_to(PROJ_ROOT) else out
    pngs = sum(p.suffix == ".png" for p in paths)
    mmds = sum(p.suffix == ".mmd" for p in paths)
    csvs = sum(p.suffix == ".csv" for p in paths)
    print(
        f"diagrams: {pngs} PNG, {mmds} Mermaid sources, {csvs} CSV tables written to {shown}/ "
        f"in {time.monotonic() - start:.1f} s"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `diagrams` command."""
    p = sub.add_parser("diagrams", help="render the architecture schematics, Mermaid diagrams and tables (exercise 1)")
    p.add_argument("--out", type=Path, default=DIAGRAMS_DIR, help="output folder (default: diagrams/)")
    p.set_defaults(func=_diagrams)
