"""`make report`: execute the numbered notebooks in order, then export them as HTML and one combined HTML + PDF.

Steps (each shows progress; the build ends with one summary line):

1. **Execute** every ``notebooks/NN_*.ipynb`` on a fresh kernel of this virtualenv's Python
   (nbclient), cell by cell; the first failing cell stops the build with the notebook and the
   cell named. Executed copies go to ``report/executed/``; the committed notebooks stay clean.
2. **Export each notebook** to ``report/notebooks/NN_*.html``.
3. **Combine** them into one notebook (title page, table of contents, date and git commit) and
   export it as ``report/hybridflow-rapport.html`` (self-contained: images embedded, no script
   or stylesheet from a CDN) and ``report/hybridflow-rapport.pdf`` (nbconvert's LaTeX route,
   compiled here with xelatex, twice so the table of contents is filled in).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from hybridflow.config import NOTEBOOKS_DIR, PROJ_ROOT, REPORT_DIR, child_env, get_settings
from hybridflow.report.errors import ReportError
from hybridflow.report.publish import exporters
from hybridflow.report.publish.exporters import REMOVE_CELL_TAGS

REPORT_NAME = "hybridflow-rapport"
REPORT_TITLE = "InduTechData — plateforme de données hybride"
REPORT_SUBTITLE = "Mission 1 : architecture hybride et pipeline temps réel Redpanda + PySpark"
KERNEL_NAME = "python3"
CELL_TIMEOUT_S = 900
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")  # fmt: skip
_NUMBERED = re.compile(r"^(\d{2})_[a-z0-9_]+\.ipynb$")


@dataclass
class BuildSummary:
    """What a build did: notebooks, outputs, pages and figures of the PDF, time."""

    notebooks: list[str]
    out_dir: Path
    html: Path | None = None
    pdf: Path | None = None
    pages: int = 0
    pdf_images: int = 0
    figures: int = 0
    seconds: float = 0.0
    per_notebook_s: dict[str, float] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        """The one-line summary printed at the end of `make report`."""
        outputs = [
            str(p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p) for p in (self.html, self.pdf) if p
        ]
        pdf = f", PDF {self.pages} pages with {self.pdf_images} images" if self.pdf else ""
        failed = f" ({len(self.failures)} FAILED: {', '.join(self.failures)})" if self.failures else ""
        return (
            f"report: {len(self.notebooks)} notebooks executed{failed} and exported in {self.seconds:.0f} s{pdf}, "
            f"{self.figures} figures; {', '.join(outputs)} (+ one HTML per notebook in {self.out_dir.name}/notebooks/)"
        )


# --- notebooks -----------------------------------------------------------------------------------


def list_notebooks(folder: Path = NOTEBOOKS_DIR, only: list[str] | None = None) -> list[Path]:
    """The numbered notebooks in reading order (`only`: keep those whose number or name is listed)."""
    paths = sorted(p for p in Path(folder).glob("*.ipynb") if _NUMBERED.match(p.name))
    if only:
        paths = [p for p in paths if p.name[:2] in only or p.stem in only or p.name in only]
    if not paths:
        raise ReportError(
            f"No numbered notebook (NN_name.ipynb) in {folder}" + (f" matching {only}" if only else "") + "."
        )
    return paths


def runs_last(path: Path) -> bool:
    """True for a notebook that sums up the others (metadata ``hybridflow.run = "last"``): run after them."""
    return nbformat.read(path, as_version=4).metadata.get("hybridflow", {}).get("run") == "last"


def execution_order(paths: list[Path]) -> list[Path]:
    """`paths` in reading order, except the summing-up notebooks, which run once the others have."""
    last = [p for p in paths if runs_last(p)]
    return [p for p in paths if p not in last] + last


def kernel_python(kernel_name: str = KERNEL_NAME) -> str:
    """The interpreter the kernel will run; must be this virtualenv's, where hybridflow is installed.

    Raises:
        ReportError: the kernel would start another Python (e.g. the system one).
    """
    from jupyter_client.kernelspec import NoSuchKernel
    from jupyter_client.manager import KernelManager

    try:
        manager = KernelManager(kernel_name=kernel_name)
        command = manager.format_kernel_cmd()
    except NoSuchKernel:
        raise ReportError(
            f"No Jupyter kernel {kernel_name!r}: reinstall ipykernel in the virtualenv (`make setup`)."
        ) from None
    python = command[0]
    if Path(python).resolve() != Path(sys.executable).resolve():
        raise ReportError(
            f"The {kernel_name!r} kernel would run {python}, not this virtualenv's {sys.executable}: "
            f"remove the stray kernelspec (`jupyter kernelspec list`) or run `make report`."
        )
    return python


def clean(nb: NotebookNode) -> NotebookNode:
    """The notebook without outputs, execution counts or execution metadata (as it is committed), by nbstripout."""
    from nbstripout import strip_output

    # Cell ids stay: they are stable in the committed notebooks (`make lint` runs nbstripout --keep-id).
    return strip_output(nb, keep_output=False, keep_count=False, keep_id=True, extra_keys=["cell.metadata.execution"])


def _cell_label(nb_name: str, index: int, cell: NotebookNode) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"{nb_name}, cell {index + 1} ({first[:60]!r})"


def execute_notebook(
    path: Path, env: dict[str, str], timeout_s: int = CELL_TIMEOUT_S, progress: bool = True, save_to: Path | None = None
) -> NotebookNode:
    """Run one notebook top to bottom on a fresh kernel; return the executed copy (also written to `save_to`).

    Raises:
        ReportError: a cell failed (notebook, cell number, first line, error).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    from tqdm import tqdm

    nb = clean(nbformat.read(path, as_version=4))
    code_cells = sum(c.cell_type == "code" for c in nb.cells)
    bar = tqdm(total=code_cells, desc=path.stem, unit="cell", leave=False, disable=not progress)
    current: dict[str, Any] = {}

    def on_cell_start(cell: NotebookNode, cell_index: int, **_: object) -> None:
        current.update(cell=cell, index=cell_index)

    def on_cell_executed(cell: NotebookNode, **_: object) -> None:
        if cell.cell_type == "code":
            bar.update(1)

    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=timeout_s,
        allow_errors=False,
        record_timing=True,
        # Output the JVM writes straight to file descriptors (Spark's log lines) stays out of the notebook.
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
        resources={"metadata": {"path": str(path.parent)}},
    )
    log_path = (save_to.parent if save_to else path.parent) / f"{path.stem}.kernel.log"
    try:
        # The kernel's own stderr (Spark's JVM log lines, kernel warnings) goes to a log file, not the report.
        with log_path.open("w") as log:
            client.execute(cwd=str(path.parent), env=env, stderr=log, stdout=log)
    except (CellExecutionError, CellTimeoutError) as exc:
        where = _cell_label(path.name, int(current.get("index", -1)), current["cell"]) if current else path.name
        detail = f"{exc.ename}: {exc.evalue}" if isinstance(exc, CellExecutionError) else "timed out"
        raise ReportError(f"Notebook {where} failed: {detail}. Fix it, then rerun `make report`.") from exc
    finally:
        bar.close()
        if save_to is not None:  # also when a cell failed: the executed copy shows the traceback
            nbformat.write(nb, save_to)
    return nb


def error_outputs(nb: NotebookNode) -> list[str]:
    """Every error output of an executed notebook, as 'cell N: Name: value'."""
    return [
        f"cell {i + 1}: {o.get('ename')}: {o.get('evalue')}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


# --- combining and exporting ---------------------------------------------------------------------


def git_commit(root: Path = PROJ_ROOT) -> str:
    """Short commit of the working tree, marked '+ modifications locales' when it is dirty."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "inconnu (pas un dépôt git)"
    return commit + (" + modifications locales" if dirty else "")


def french_date(moment: datetime) -> str:
    """E.g. '25 novembre 2026, 18:30 UTC'."""
    moment = moment.astimezone(UTC)
    return f"{moment.day} {MONTHS_FR[moment.month - 1]} {moment.year}, {moment:%H:%M} UTC"


def _title(nb: NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _anchor(stem: str) -> str:
    return "nb-" + stem.replace("_", "-")


def figure_captions(notebooks) -> list[str]:
    """Captions of the numbered figures (outputs carrying ``hybridflow.caption``), in order; tagged-out cells skipped."""
    captions = []
    for nb in notebooks:
        for cell in nb.cells:
            if cell.cell_type != "code" or set(cell.metadata.get("tags", [])) & (REMOVE_CELL_TAGS | {"html-only"}):
                continue
            for output in cell.get("outputs", []):
                caption = output.get("metadata", {}).get("hybridflow", {}).get("caption")
                if caption and "image/png" in output.get("data", {}):
                    captions.append(caption)
    return captions


def combine(executed: list[tuple[str, NotebookNode]], date: str, commit: str) -> NotebookNode:
    """One notebook: an HTML title page and table of contents, then every notebook's cells in order.

    Cells tagged ``html-only`` are dropped from the PDF (LaTeX has its own title page and TOC).
    """
    titles = [(stem, _title(nb, stem)) for stem, nb in executed]
    toc = "\n".join(f"1. [{title}](#{_anchor(stem)})" for stem, title in titles)
    captions = figure_captions(nb for _, nb in executed)
    figures = "\n".join(f"{i}. {caption}" for i, caption in enumerate(captions, start=1))
    title_page = (
        f"# {REPORT_TITLE}\n\n**{REPORT_SUBTITLE}**\n\n"
        f"Rapport généré le {date} — commit `{commit}`.\n\n"
        "Chaque section ci-dessous est un notebook du dossier `notebooks/`, exécuté de bout en bout "
        "contre la pile locale (broker Kafka, Spark, PostgreSQL) par `make report`.\n\n"
        f"## Sommaire\n\n{toc}\n" + (f"\n## Table des figures\n\n{figures}\n" if figures else "")
    )
    cells = [nbformat.v4.new_markdown_cell(title_page, metadata={"tags": ["html-only"]})]
    for stem, nb in executed:
        cells.append(nbformat.v4.new_markdown_cell(f'<a id="{_anchor(stem)}"></a>', metadata={"tags": ["html-only"]}))
        cells.extend(nb.cells)
    combined = nbformat.v4.new_notebook(cells=cells)
    combined.metadata = dict(executed[0][1].metadata) if executed else {}
    combined.metadata.update(
        {
            "title": REPORT_TITLE,
            "authors": [{"name": "InduTechData — équipe data"}],
            "hybridflow": {"date": date, "commit": commit, "subtitle": REPORT_SUBTITLE},
        }
    )
    return combined


def export_html(nb: NotebookNode, target: Path, title: str | None = None) -> Path:
    """Write `nb` as one self-contained HTML file."""
    exporter = exporters.exporter("html")
    if title:
        nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title or target.stem}})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


def export_latex(nb: NotebookNode, folder: Path) -> Path:
    """Write `nb` as LaTeX (our template) plus its extracted images into `folder`; returns the .tex."""
    exporter = exporters.exporter("latex")
    body, resources = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": REPORT_NAME}, "output_files_dir": "images"}
    )
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, data in (resources.get("outputs") or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    tex = folder / f"{REPORT_NAME}.tex"
    tex.write_text(body, encoding="utf-8")
    return tex


def compile_pdf(tex: Path, passes: int = 2, progress: bool = True) -> Path:
    """xelatex `tex` (twice: the second pass fills in the table of contents); returns the PDF.

    Raises:
        ReportError: xelatex is missing, or a pass failed (the log's first error is quoted).
    """
    from tqdm import tqdm

    xelatex = shutil.which("xelatex")
    if not xelatex:
        raise ReportError(
            "xelatex is not installed: run `scripts/system-deps.sh report` (texlive-xetex, "
            "texlive-fonts-recommended, texlive-plain-generic, texlive-latex-extra, pandoc)."
        )
    for _ in tqdm(range(passes), desc="xelatex", unit="pass", leave=False, disable=not progress):
        result = subprocess.run(
            [xelatex, "-interaction=nonstopmode", "-halt-on-error", tex.name],
            cwd=tex.parent,
            capture_output=True,
            text=True,
            errors="replace",
        )
        if result.returncode != 0:
            log = tex.with_suffix(".log")
            text = log.read_text(errors="replace") if log.exists() else result.stdout
            first = next((line for line in text.splitlines() if line.startswith("!")), "see the log")
            raise ReportError(f"xelatex failed on {tex} ({first}): read {log} for the context.")
    return tex.with_suffix(".pdf")


def pdf_stats(pdf: Path) -> tuple[int, int]:
    """Pages and embedded images of a PDF."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    images = sum(len(page.images) for page in reader.pages)
    return len(reader.pages), images


# --- the whole build -----------------------------------------------------------------------------


def build_report(
    out_dir: Path = REPORT_DIR,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    only: list[str] | None = None,
    smoke: bool = False,
    pdf: bool = True,
    progress: bool = True,
    keep_going: bool = False,
    run: str | None = None,
) -> BuildSummary:
    """Execute the notebooks in order and export them (see the module docstring).

    Args:
        only: notebook numbers or names to build (default: all).
        smoke: small workloads (IN_TEST=1 in the kernels' environment).
        pdf: also build the PDF (xelatex).
        keep_going: record a failing notebook in `summary.failures` and go on (the tests use it);
            by default the first failing cell stops the build.
        run: isolate this build's topics, data folder and CRM database under this id
            (the REPORT_RUN setting; the tests use one per session, then `context.cleanup_run`).

    Raises:
        ReportError: a cell failed (unless `keep_going`), xelatex failed, or the kernel is not this venv's.
    """
    from tqdm import tqdm

    t0 = time.monotonic()
    out_dir = Path(out_dir)
    paths = execution_order(list_notebooks(notebooks_dir, only))
    kernel_python()
    for stale in ("executed", "notebooks", "figures", "latex"):
        shutil.rmtree(out_dir / stale, ignore_errors=True)
    for stale_file in (out_dir / f"{REPORT_NAME}.html", out_dir / f"{REPORT_NAME}.pdf"):
        stale_file.unlink(missing_ok=True)  # a failed build must not leave the previous report looking current
    (out_dir / "executed").mkdir(parents=True, exist_ok=True)
    kernel_settings = get_settings().with_(report_dir=out_dir.resolve(), report_run=run or "")
    env = child_env(kernel_settings, PYTHONUNBUFFERED="1")
    if smoke:
        env["IN_TEST"] = "1"
    else:
        env.pop("IN_TEST", None)

    summary = BuildSummary(notebooks=[p.stem for p in paths], out_dir=out_dir)
    executed: list[tuple[str, NotebookNode]] = []
    with tqdm(paths, desc="notebooks", unit="nb", disable=not progress) as bar:
        for path in bar:
            bar.set_postfix_str(path.stem)
            started = time.monotonic()
            try:
                nb = execute_notebook(path, env, progress=progress, save_to=out_dir / "executed" / path.name)
            except ReportError as exc:
                if not keep_going:
                    raise
                summary.failures[path.stem] = str(exc)
                continue
            summary.per_notebook_s[path.stem] = round(time.monotonic() - started, 1)
            export_html(nb, out_dir / "notebooks" / f"{path.stem}.html", title=_title(nb, path.stem))
            executed.append((path.stem, nb))
            if progress:
                bar.write(f"  {path.stem}: {summary.per_notebook_s[path.stem]} s")

    if not executed:
        raise ReportError(f"Every notebook failed: {summary.failures}")
    executed.sort(key=lambda item: item[0])  # reading order: the synthesis (00) first, though it ran last
    combined = combine(executed, french_date(datetime.now(UTC)), git_commit())
    summary.html = export_html(combined, out_dir / f"{REPORT_NAME}.html", title=REPORT_TITLE)
    if pdf:
        tex = export_latex(combined, out_dir / "latex")
        built = compile_pdf(tex, progress=progress)
        summary.pdf = out_dir / f"{REPORT_NAME}.pdf"
        shutil.copyfile(built, summary.pdf)
        summary.pages, summary.pdf_images = pdf_stats(summary.pdf)
    summary.figures = len(list((out_dir / "figures").glob("*.png"))) if (out_dir / "figures").exists() else 0
    summary.seconds = time.monotonic() - t0
    return summary
