"""Code listings taken from the package's source when the report is built, so the report cannot drift from the code.

`listing("hybridflow.streaming.transforms:validate")` reads the function's source with
`inspect.getsourcelines` at build time and renders it highlighted (pygments): HTML with inline
styles (self-contained) and a numbered LaTeX listing (``\\captionof{codelisting}``), each captioned
with the file and the line range it comes from. A name that no longer exists stops the build
with the listing to update, instead of showing stale code.
"""

from __future__ import annotations

import html
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path

from hybridflow.config import PROJ_ROOT
from hybridflow.report.display import latex_escape
from hybridflow.report.errors import ReportError

# The pipeline's core PySpark code, in reading order: what notebook 6 runs (exercise 2).
PIPELINE_LISTINGS: tuple[tuple[str, str], ...] = (
    ("hybridflow.streaming.transforms:decode", "Décodage d'un enregistrement Kafka"),
    ("hybridflow.streaming.transforms:_checks", "Les règles de validation, dans l'ordre où elles sont essayées"),
    (
        "hybridflow.streaming.transforms:validate",
        "Validation : chaque enregistrement devient un ticket ou une lettre morte",
    ),
    ("hybridflow.streaming.transforms:dead_letters", "Lettres mortes : le message d'origine et sa raison"),
    (
        "hybridflow.streaming.transforms:enrich",
        "Enrichissement : équipe et échéances SLA (référentiels en tables de correspondance dans le plan)",
    ),
    ("hybridflow.streaming.transforms:windowed_counts", "Fenêtres d'heure d'événement avec watermark"),
    (
        "hybridflow.streaming.writers:TicketBatchWriter.__call__",
        "La répartition en une passe : un micro-batch, trois sorties",
    ),
    ("hybridflow.streaming.job:start_pipeline", "Le démarrage des requêtes du job"),
    (
        "hybridflow.streaming.lifecycle_state:on_input",
        "Cycle de vie : un ticket et ses nouveaux événements appliqués à son état",
    ),
    (
        "hybridflow.streaming.lifecycle_state:on_timer",
        "Cycle de vie : le watermark passe une échéance (dépassement SLA, orphelin, éviction)",
    ),
    (
        "hybridflow.streaming.lifecycle:TicketLifecycleProcessor",
        "Le processeur à état de Spark (transformWithState) autour de la machine à états",
    ),
    (
        "hybridflow.streaming.lifecycle:LifecycleBatchWriter.__call__",
        "Les sorties d'un micro-batch du cycle de vie, chacune une seule fois",
    ),
)


@dataclass(frozen=True)
class Listing:
    """Source lines of one function or method, with where they come from."""

    target: str
    caption: str
    path: Path
    first_line: int
    source: str

    @property
    def last_line(self) -> int:
        """Line number of the listing's last line in its file."""
        return self.first_line + self.source.count("\n") - (1 if self.source.endswith("\n") else 0)

    @property
    def where(self) -> str:
        """'lib/hybridflow/…/file.py, lignes a–b'."""
        path = self.path.relative_to(PROJ_ROOT) if self.path.is_relative_to(PROJ_ROOT) else self.path
        return f"{path}, lignes {self.first_line}–{self.last_line}"

    @property
    def name(self) -> str:
        """The qualified name after the module (e.g. ``TicketBatchWriter.__call__``)."""
        return self.target.split(":", 1)[1]

    def _repr_html_(self) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        code = highlight(self.source, PythonLexer(), HtmlFormatter(noclasses=True, nowrap=False, style="default"))
        caption = f"<code>{html.escape(self.name)}</code> — {html.escape(self.caption)} <small>({html.escape(self.where)})</small>"
        return (
            f'<figure class="hf-listing" style="margin:0.8em 0"><figcaption>{caption}</figcaption>'
            f'<div style="font-size:0.85em;overflow-x:auto">{code}</div></figure>'
        )

    def _repr_latex_(self) -> str:
        from pygments import highlight
        from pygments.formatters import LatexFormatter
        from pygments.lexers import PythonLexer

        # commandprefix PY: the macros nbconvert's template already defines for code cells.
        code = highlight(
            self.source, PythonLexer(), LatexFormatter(commandprefix="PY", verboptions=r"fontsize=\footnotesize")
        )
        caption = rf"\texttt{{{latex_escape(self.name)}}} — {latex_escape(self.caption)} ({latex_escape(self.where)})"
        return f"\\par\\medskip\\begin{{center}}\\captionof{{codelisting}}{{{caption}}}\\end{{center}}\n{code}"

    def __repr__(self) -> str:
        return f"# {self.name} — {self.where}\n{self.source}"


def _resolve(target: str):
    module_name, _, qualname = target.partition(":")
    if not qualname:
        raise ReportError(f"Listing {target!r}: write it as 'package.module:function' (or 'module:Class.method').")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise ReportError(f"Listing {target!r}: cannot import {module_name} ({exc}).") from None
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise ReportError(
                f"Listing {target!r}: {module_name} has no {qualname!r} any more (renamed or moved?): "
                "update PIPELINE_LISTINGS in hybridflow/report/publish/listings.py."
            )
        obj = getattr(obj, part)
    return obj


def listing(target: str, caption: str = "") -> Listing:
    """The source of `target` ('module:function' or 'module:Class.method'), read now from its file.

    Raises:
        ReportError: the module or the name does not exist (any more).
    """
    obj = inspect.unwrap(_resolve(target))
    lines, first = inspect.getsourcelines(obj)
    return Listing(target, caption, Path(inspect.getsourcefile(obj) or "").resolve(), first, "".join(lines))


def pipeline_listings() -> list[Listing]:
    """Every listing of PIPELINE_LISTINGS, read from the source as it is now."""
    return [listing(target, caption) for target, caption in PIPELINE_LISTINGS]
