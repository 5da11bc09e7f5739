"""`make slides`: the debrief deck (reveal.js, offline) from a short numbered notebook, with the report's figures.

The notebook (``notebooks/slides/01_bilan_mentor.ipynb``) is executed on a fresh kernel, like the
report's, then exported by nbconvert ``--to slides`` with the ``hybridflow_slides`` template. reveal.js
is the pinned npm copy in ``tools/reveal`` (``make setup``), copied next to the deck: the slides open
from disk, without network. The figures are the PNG files the report build saved (``report/figures``)
and the schematics of ``diagrams/``: the same pictures as the report, not redrawn.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from hybridflow.config import DIAGRAMS_DIR, NOTEBOOKS_DIR, PROJ_ROOT, REPORT_DIR, child_env, get_settings
from hybridflow.report.display import image
from hybridflow.report.errors import ReportError
from hybridflow.report.publish import exporters
from hybridflow.report.publish.build import execute_notebook, kernel_python, list_notebooks
from hybridflow.report.publish.exporters import REMOVE_CELL_TAGS

SLIDES_NOTEBOOKS = NOTEBOOKS_DIR / "slides"
SLIDES_DIR = REPORT_DIR / "slides"
REVEAL_PACKAGE = PROJ_ROOT / "tools" / "reveal" / "node_modules" / "reveal.js"
REVEAL_FOLDER = "reveal.js"  # next to the deck
MAX_SLIDES = 15
DECK_NAME = "hybridflow-bilan"


@dataclass(frozen=True)
class SlidesSummary:
    """What `make slides` wrote."""

    deck: Path
    slides: int
    seconds: float

    def line(self) -> str:
        """The one-line summary printed at the end of `make slides`."""
        where = self.deck.relative_to(Path.cwd()) if self.deck.is_relative_to(Path.cwd()) else self.deck
        return f"slides: {self.slides} slides in {self.seconds:.0f} s; {where} (reveal.js copied beside it, no CDN)"


def figure(name: str, caption: str, width: int = 820):
    """A figure of the report (report/figures/<name>.png) or a schematic (diagrams/<name>.png), as on the report's pages."""
    from IPython.display import Markdown  # IPython: the notebooks' kernel, not needed to build a deck

    # matplotlib: the report extra; the figures module is imported only when a slide shows a figure.
    from hybridflow.report.figures import figures_dir

    for folder in (figures_dir(), DIAGRAMS_DIR):
        if (folder / f"{name}.png").is_file():
            return image(folder / f"{name}.png", width=width, caption=caption)
    return Markdown(f"*Figure {name} absente : `make report` la produit.*")


def count_slides(nb) -> int:
    """Horizontal and vertical slides of a notebook once the report's removal tags are applied."""
    count = 0
    for cell in nb.cells:
        if set(cell.metadata.get("tags", [])) & REMOVE_CELL_TAGS:
            continue
        if cell.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide"):
            count += 1
    return count


def deck_exporter():
    """nbconvert's slides exporter (the report's template and tag rules), reveal.js from the copy beside the deck."""
    return exporters.exporter(
        "slides", reveal_url_prefix=REVEAL_FOLDER, reveal_theme="white", reveal_transition="none", language_code="fr"
    )


def copy_reveal(target: Path, package: Path = REVEAL_PACKAGE) -> Path:
    """Copy reveal.js's dist/ and plugin/ next to the deck.

    Raises:
        ReportError: the pinned copy is not installed.
    """
    if not (package / "dist" / "reveal.js").is_file():
        raise ReportError(f"reveal.js is not installed in {package.parent}: run `make setup` (npm ci in tools/reveal).")
    folder = target / REVEAL_FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    for part in ("dist", "plugin"):
        shutil.copytree(package / part, folder / part)
    shutil.copy(package / "LICENSE", folder / "LICENSE")
    return folder


def external_references(html: str) -> list[str]:
    """Every src/href (and CSS url/@import) of `html` that points to another host."""
    refs = re.findall(r"""\b(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""", html, re.I)
    refs += re.findall(r"""(?:@import\s+(?:url\()?|url\()\s*["']?((?:https?:)?//[^"')\s]+)""", html, re.I)
    return refs


def build_slides(
    out_dir: Path = SLIDES_DIR, notebooks_dir: Path = SLIDES_NOTEBOOKS, progress: bool = True
) -> SlidesSummary:
    """Execute the debrief notebook, export it as a reveal.js deck into `out_dir`, copy reveal.js beside it.

    Raises:
        ReportError: a cell failed, the deck has more than MAX_SLIDES slides, reveal.js is missing,
            or the deck references a remote asset.
    """
    started = time.monotonic()
    (path,) = list_notebooks(notebooks_dir)[:1]
    kernel_python()
    out_dir.mkdir(parents=True, exist_ok=True)
    env = child_env(get_settings().with_(report_dir=REPORT_DIR), PYTHONUNBUFFERED="1")
    nb = execute_notebook(path, env, progress=progress, save_to=out_dir / f"{path.stem}.executed.ipynb")
    slides = count_slides(nb)
    if slides > MAX_SLIDES:
        raise ReportError(
            f"{path.name} makes {slides} slides, more than {MAX_SLIDES}: merge some (slide_type 'slide')."
        )
    body, _ = deck_exporter().from_notebook_node(nb, resources={"metadata": {"name": DECK_NAME}})
    remote = external_references(body)
    if remote:
        raise ReportError(f"The deck would load {remote[:3]} from the network: serve it locally instead.")
    deck = out_dir / f"{DECK_NAME}.slides.html"
    deck.write_text(body, encoding="utf-8")
    copy_reveal(out_dir)
    return SlidesSummary(deck, slides, time.monotonic() - started)
