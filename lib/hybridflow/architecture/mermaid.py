"""Mermaid sources generated from the model (data-flow flowchart, a ticket's life) and their offline rendering.

Rendering uses the project's pinned `@mermaid-js/mermaid-cli` (tools/mermaid/, installed by
`make setup` with PUPPETEER_SKIP_DOWNLOAD=1) driving Debian's `chromium`: no CDN, no web service.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from hybridflow.architecture.errors import ArchitectureError, RendererMissingError
from hybridflow.architecture.model import Architecture, FlowKind, Location
from hybridflow.architecture.scoring import chosen
from hybridflow.config import MERMAID_TOOL_DIR, PROJ_ROOT

MMDC = MERMAID_TOOL_DIR / "node_modules" / ".bin" / "mmdc"
PUPPETEER_CONFIG = MERMAID_TOOL_DIR / "puppeteer-config.json"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
RENDER_TIMEOUT_S = 180


def _text(label: str) -> str:
    """A label safe inside Mermaid double quotes."""
    return label.replace('"', "#quot;").replace("\n", "<br/>")


def _node_label(arch: Architecture, node_id: str) -> str:
    if node_id in {s.id for s in arch.systems}:
        return arch.system(node_id).label
    return chosen(arch)[node_id].name


def _zone_of(arch: Architecture, node_id: str) -> str:
    if node_id in {s.id for s in arch.systems}:
        return arch.system(node_id).zone
    return arch.need(node_id).zone


def flowchart_source(arch: Architecture) -> str:
    """Mermaid flowchart of every data flow (real time thick, batch plain), grouped by location and zone."""
    flows = [f for f in arch.flows if f.kind.carries_data]
    node_ids = list(dict.fromkeys(n for f in flows for n in (f.source, *f.via, f.target)))
    lines = ["%% Generated from hybridflow.architecture (make diagrams): do not edit by hand.", "flowchart LR"]
    for location in Location:
        zones = [z for z in arch.zones if z.location == location and any(_zone_of(arch, n) == z.id for n in node_ids)]
        if not zones:
            continue
        lines.append(f'  subgraph {location.value}["{_text(location.label)}"]')
        for zone in zones:
            lines.append(f'    subgraph {zone.id}["{_text(zone.label)}"]')
            lines += [f'      {n}["{_text(_node_label(arch, n))}"]' for n in node_ids if _zone_of(arch, n) == zone.id]
            lines.append("    end")
        lines.append("  end")
    seen: set[tuple[str, str]] = set()
    for flow in flows:
        hops = [flow.source, *flow.via, flow.target]
        arrow = "==>" if flow.kind is FlowKind.REALTIME else "-->"
        for i, (a, b) in enumerate(itertools.pairwise(hops)):
            last = i == len(hops) - 2
            if not last and (a, b) in seen:
                continue
            seen.add((a, b))
            lines.append(f'  {a} {arrow}|"{_text(flow.label)}"| {b}' if last else f"  {a} {arrow} {b}")
    lines.append("  classDef onprem fill:#F3F0E8,stroke:#8a7f63")
    lines.append("  classDef cloud fill:#EAF4FB,stroke:#4a7fa8")
    onprem = [n for n in node_ids if arch.zone(_zone_of(arch, n)).location is Location.ON_PREMISE]
    cloud = [n for n in node_ids if n not in onprem]
    lines.append(f"  class {','.join(onprem)} onprem")
    lines.append(f"  class {','.join(cloud)} cloud")
    return "\n".join(lines) + "\n"


def sequence_source(arch: Architecture) -> str:
    """Mermaid sequence diagram of a ticket's life, from the portal to the dashboard."""
    participants = list(dict.fromkeys(n for step in arch.ticket_lifecycle for n in step[:2]))
    lines = [
        "%% Generated from hybridflow.architecture (make diagrams): do not edit by hand.",
        "sequenceDiagram",
        "  autonumber",
    ]
    for n in participants:
        lines.append(f"  participant {n} as {_node_label(arch, n).replace(chr(10), ' ')}")
    for source, target, message in arch.ticket_lifecycle:
        lines.append(f"  {source}->>{target}: {message.replace(';', ',')}")
    return "\n".join(lines) + "\n"


MERMAID_SOURCES = {
    "05_flux_donnees": flowchart_source,
    "06_cycle_de_vie_ticket": sequence_source,
}


def write_sources(arch: Architecture, out_dir: Path) -> list[Path]:
    """Write every Mermaid source to `<out_dir>/<stem>.mmd`; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, build in MERMAID_SOURCES.items():
        path = out_dir / f"{stem}.mmd"
        path.write_text(build(arch), encoding="utf-8")
        paths.append(path)
    return paths


def find_chromium() -> str | None:
    """The browser the committed puppeteer config names if present, else the first Chromium on PATH."""
    configured = json.loads(PUPPETEER_CONFIG.read_text()).get("executablePath") if PUPPETEER_CONFIG.exists() else None
    if configured and Path(configured).exists():
        return configured
    return next((p for name in CHROMIUM_NAMES if (p := shutil.which(name))), None)


def mermaid_available() -> str | None:
    """None when Mermaid can be rendered offline, else why not (for skips and errors)."""
    if not MMDC.exists():
        return f"mermaid-cli is not installed in {MERMAID_TOOL_DIR.relative_to(PROJ_ROOT)}"
    if find_chromium() is None:
        return "Chromium is not installed"
    return None


def require_mermaid() -> tuple[Path, str]:
    """(mmdc, chromium) or a RendererMissingError naming the fix."""
    missing = mermaid_available()
    chromium = find_chromium()
    if missing or chromium is None:
        raise RendererMissingError(f"{missing}: run `make setup` (Debian chromium + npm ci in tools/mermaid).")
    return MMDC, chromium


def render_mermaid(source: Path, target: Path) -> Path:
    """Render one .mmd file to PNG offline with mmdc and the system Chromium."""
    mmdc, chromium = require_mermaid()
    config = json.loads(PUPPETEER_CONFIG.read_text())
    config["executablePath"] = chromium
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
        config_path = Path(handle.name)
    try:
        result = subprocess.run(
            [
                str(mmdc),
                "--puppeteerConfigFile",
                str(config_path),
                "-i",
                str(source),
                "-o",
                str(target),
                "-t",
                "neutral",
                "-b",
                "white",
                "-s",
                "2",
                "-q",
            ],
            capture_output=True,
            text=True,
            timeout=RENDER_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ArchitectureError(
            f"mmdc took more than {RENDER_TIMEOUT_S} s on {source.name}: is the machine overloaded?"
        ) from None
    finally:
        config_path.unlink(missing_ok=True)
    if result.returncode != 0 or not target.exists():
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise ArchitectureError(
            f"mmdc failed on {source.name}: {detail[-1] if detail else 'no output'} (check the source)."
        )
    return target
