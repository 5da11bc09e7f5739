"""Exercise 1, the hybrid architecture as data: model, choices, costs, availability, and their renderings.

from hybridflow.architecture import build_architecture, render_all, tables
arch = build_architecture()
tables.cost_summary(arch)          # a DataFrame, French headers
render_all("diagrams")             # PNG schematics, Mermaid sources + images, CSV tables
"""

from hybridflow.architecture import tables
from hybridflow.architecture.data import build_architecture
from hybridflow.architecture.errors import ArchitectureError, ModelError, RendererMissingError
from hybridflow.architecture.render import render_all

__all__ = ["ArchitectureError", "ModelError", "RendererMissingError", "build_architecture", "render_all", "tables"]
