"""nbconvert's exporters, set up once: our templates, the reader-first removal tags, no prompts.

Cells tagged ``remove-cell`` or ``parameters`` (set-up, imports, smoke-mode parameters) are left
out of every export, and ``remove-input`` cells show their output without their code. Each format
also drops the other's own cells: ``latex-only`` from HTML and slides, ``html-only`` from the PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATES = {"html": "hybridflow_html", "latex": "hybridflow_latex", "slides": "hybridflow_slides"}
REMOVE_CELL_TAGS = frozenset({"remove-cell", "parameters"})  # set-up, imports, smoke-mode parameters
REMOVE_INPUT_TAGS = frozenset({"remove-input"})  # plumbing whose output matters, not its code
OTHER_FORMAT_TAG = {"html": "latex-only", "latex": "html-only", "slides": "latex-only"}

Kind = Literal["html", "latex", "slides"]


def exporter(kind: Kind, **options: Any) -> Any:
    """nbconvert's exporter of `kind` with our template and tag rules; `options` go to its constructor.

    HTML embeds its images and loads nothing from a CDN; the slides take reveal.js's options
    (``reveal_url_prefix`` …) from `options`.
    """
    # nbconvert and traitlets: the report extra (pyproject.toml), imported only when something is exported.
    from nbconvert import HTMLExporter, LatexExporter, SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS | {OTHER_FORMAT_TAG[kind]})
    config.TagRemovePreprocessor.remove_input_tags = set(REMOVE_INPUT_TAGS)
    config.TagRemovePreprocessor.enabled = True
    cls = {"html": HTMLExporter, "latex": LatexExporter, "slides": SlidesExporter}[kind]
    return cls(
        config=config,
        template_name=TEMPLATES[kind],
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        **({"embed_images": True, "language_code": "fr"} if kind == "html" else {}),
        **options,
    )
