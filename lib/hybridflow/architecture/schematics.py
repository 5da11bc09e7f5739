"""The four schematics, drawn with `diagrams` (Graphviz) from the model's zones, nodes and flows.

A schematic is a selection of flow kinds: its nodes are those flows' endpoints (and the network
hops they cross), grouped in clusters by location then zone. Adding a flow or a system to the
model therefore adds it to every picture that shows its kind.
"""

from __future__ import annotations

import importlib
import itertools
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

from hybridflow.architecture.errors import ModelError, RendererMissingError
from hybridflow.architecture.model import Architecture, Flow, FlowKind, Location
from hybridflow.architecture.scoring import chosen

ICONS_DIR = Path(__file__).resolve().parent / "icons"

EDGE_STYLE: dict[FlowKind, dict[str, str]] = {
    FlowKind.REALTIME: {"color": "firebrick", "style": "bold"},
    FlowKind.BATCH: {"color": "darkgreen", "style": "solid"},
    FlowKind.CONTROL: {"color": "gray40", "style": "dashed"},
    FlowKind.SECURITY: {"color": "darkorange3", "style": "dashed"},
    FlowKind.NETWORK: {"color": "steelblue", "style": "bold"},
}
LOCATION_COLOR = {Location.ON_PREMISE: "#F3F0E8", Location.NETWORK: "#E8F0F8", Location.CLOUD: "#EAF4FB"}
FONT = "DejaVu Sans"


@dataclass(frozen=True)
class Schematic:
    """One picture: which flow kinds it shows, and whether edges carry their labels."""

    stem: str
    title: str
    kinds: tuple[FlowKind, ...]
    edge_labels: bool = True


SCHEMATICS: tuple[Schematic, ...] = (
    Schematic(
        "01_architecture_hybride",
        "Architecture hybride InduTechData : on-premise, liaison, cloud",
        tuple(FlowKind),
        edge_labels=False,
    ),
    Schematic(
        "02_flux_temps_reel",
        "Flux temps réel : tickets, cycle de vie et IoT → Redpanda → Spark → lac",
        (FlowKind.REALTIME,),
    ),
    Schematic(
        "03_flux_batch_cdc",
        "Flux batch et CDC : SQL Server et SAN → lac → entrepôt",
        (FlowKind.BATCH, FlowKind.CONTROL),
    ),
    Schematic(
        "04_identite_securite",
        "Identité et sécurité : fédération AD, clés, frontières réseau",
        (FlowKind.SECURITY, FlowKind.NETWORK),
    ),
)


def require_dot() -> str:
    """Path of Graphviz `dot`, or a RendererMissingError naming the fix."""
    dot = shutil.which("dot")
    if dot is None:
        raise RendererMissingError(
            "Graphviz `dot` is not installed: run `make setup` (installs the Debian package graphviz)."
        )
    return dot


def node_factory(icon: str):
    """A callable label -> diagrams Node for an icon spec ("module.Class" under diagrams, or "custom:<file>")."""
    if icon.startswith("custom:"):
        from diagrams.custom import Custom

        path = ICONS_DIR / icon.removeprefix("custom:")
        if not path.is_file():
            raise ModelError(f"Custom icon {path} is missing: add the PNG to hybridflow/architecture/icons/.")
        return lambda label, **attrs: Custom(label, str(path), **attrs)
    module, _, cls = icon.rpartition(".")
    try:
        return getattr(importlib.import_module(f"diagrams.{module}"), cls)
    except (ImportError, AttributeError):
        raise ModelError(
            f"Icon {icon!r} does not exist in the installed `diagrams`: pick another in data.py."
        ) from None


def flow_path(flow: Flow) -> list[str]:
    """The nodes a flow crosses, in order: source, network hops, target."""
    return [flow.source, *flow.via, flow.target]


def _wrap(label: str, width: int = 24) -> str:
    return "\n".join(textwrap.fill(line, width) for line in label.split("\n"))


def _node_info(arch: Architecture, node_id: str) -> tuple[str, str, str]:
    """(label, icon, zone id) of a flow endpoint."""
    if node_id in {s.id for s in arch.systems}:
        system = arch.system(node_id)
        return system.label, system.icon, system.zone
    need = arch.need(node_id)
    candidate = chosen(arch)[need.id]
    return _wrap(candidate.name), candidate.icon, need.zone


def schematic_flows(arch: Architecture, schematic: Schematic) -> list[Flow]:
    """The flows a schematic draws."""
    return [f for f in arch.flows if f.kind in schematic.kinds]


def schematic_nodes(arch: Architecture, schematic: Schematic) -> list[str]:
    """The node ids a schematic draws, in first-seen order."""
    return list(dict.fromkeys(n for f in schematic_flows(arch, schematic) for n in flow_path(f)))


def render_schematic(arch: Architecture, schematic: Schematic, out_dir: Path) -> Path:
    """Draw one schematic to `<out_dir>/<stem>.png` and return its path."""
    from diagrams import Cluster, Diagram, Edge

    require_dot()
    out_dir.mkdir(parents=True, exist_ok=True)
    flows = schematic_flows(arch, schematic)
    node_ids = schematic_nodes(arch, schematic)
    info = {n: _node_info(arch, n) for n in node_ids}

    graph_attr = {
        "fontname": FONT,
        "fontsize": "22",
        "labelloc": "t",
        "pad": "0.4",
        "nodesep": "0.7",
        "ranksep": "1.1",
        "dpi": "110",
    }
    with Diagram(
        schematic.title,
        filename=str(out_dir / schematic.stem),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=graph_attr,
        node_attr={"fontname": FONT, "fontsize": "12"},
        edge_attr={"fontname": FONT, "fontsize": "11"},
    ):
        nodes = {}
        for location in Location:
            zones = [z for z in arch.zones if z.location == location and any(info[n][2] == z.id for n in node_ids)]
            if not zones:
                continue
            with Cluster(
                location.label, graph_attr={"bgcolor": LOCATION_COLOR[location], "fontname": FONT, "fontsize": "16"}
            ):
                for zone in zones:
                    with Cluster(zone.label, graph_attr={"bgcolor": "white", "fontname": FONT, "fontsize": "13"}):
                        for n in node_ids:
                            label, icon, zone_id = info[n]
                            if zone_id == zone.id:
                                nodes[n] = node_factory(icon)(label)
        drawn: dict[tuple[str, str], list[str]] = {}
        kind_of: dict[tuple[str, str], FlowKind] = {}
        for flow in flows:
            hops = flow_path(flow)
            for i, (a, b) in enumerate(itertools.pairwise(hops)):
                key = (a, b)
                labels = drawn.setdefault(key, [])
                kind_of.setdefault(key, flow.kind)
                # label the segment entering the target: on a via path the first hops are shared
                if i == len(hops) - 2 and flow.label not in labels:
                    labels.append(flow.label)
        for (a, b), labels in drawn.items():
            label = "\n".join(_wrap(x, 30) for x in labels) if schematic.edge_labels else ""
            nodes[a] >> Edge(label=label, **EDGE_STYLE[kind_of[(a, b)]]) >> nodes[b]
    return out_dir / f"{schematic.stem}.png"


def render_schematics(arch: Architecture, out_dir: Path) -> list[Path]:
    """Draw every schematic; returns the PNG paths."""
    return [render_schematic(arch, s, out_dir) for s in SCHEMATICS]
