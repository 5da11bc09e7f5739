"""Every notebook runs headless against the live stack, and the report it builds is complete and self-contained."""

from __future__ import annotations

import re
from html import unescape

import nbformat
import pytest

from hybridflow.config import NOTEBOOKS_DIR
from hybridflow.report.publish.build import REPORT_NAME, error_outputs, kernel_python, list_notebooks

pytestmark = [pytest.mark.notebooks, pytest.mark.integration, pytest.mark.slow]

NOTEBOOKS = list_notebooks(NOTEBOOKS_DIR)


def _title(path) -> str:
    return nbformat.read(path, as_version=4).cells[0].source.splitlines()[0][2:].strip()


def test_kernel_is_this_virtualenv():
    import sys
    from pathlib import Path

    assert Path(kernel_python()).resolve() == Path(sys.executable).resolve()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_without_error(built_report, path):
    assert path.stem not in built_report.failures, built_report.failures.get(path.stem)
    executed = nbformat.read(built_report.out_dir / "executed" / path.name, as_version=4)
    assert not error_outputs(executed)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "some cells did not run"
    assert (built_report.out_dir / "notebooks" / f"{path.stem}.html").stat().st_size > 0


def test_the_kernel_that_ran_the_notebooks_was_the_venv(built_report):
    import sys

    executed = (built_report.out_dir / "executed" / "10_autoevaluation.ipynb").read_text()
    assert sys.executable in executed


def test_pdf_has_every_section_and_the_figures(built_report):
    from pypdf import PdfReader

    assert built_report.pdf and built_report.pdf.name == f"{REPORT_NAME}.pdf"
    reader = PdfReader(built_report.pdf)
    # pypdf does not always keep the spaces between words: compare without any whitespace.
    # pandoc also makes apostrophes typographic.
    text = re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages)).replace("’", "'")
    assert "Tabledesmatières" in text
    assert "commit" in text
    for path in NOTEBOOKS:
        title = re.sub(r"\s+", "", _title(path))
        assert title in text, f"section {_title(path)!r} missing from the PDF"
    figures = list((built_report.out_dir / "figures").glob("*.png"))
    assert len(figures) >= 10, "the notebooks saved fewer figures than expected"
    images = sum(len(page.images) for page in reader.pages)
    assert images >= len(figures), f"{images} images in the PDF for {len(figures)} figures"
    assert len(reader.pages) == built_report.pages > 10


def test_html_is_self_contained(built_report):
    html = built_report.html.read_text(encoding="utf-8")
    text = unescape(html)
    for path in NOTEBOOKS:
        assert _title(path) in text, f"section {_title(path)!r} missing from the HTML report"
    # Nothing the page needs to display is fetched from elsewhere: scripts, stylesheets, images, fonts.
    external = re.findall(
        r"""<(?:script|img|link|iframe|source)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I
    )
    assert not external, f"external resources referenced: {external[:3]}"
    assert not re.search(r"""@import\s+(?:url\()?["']?(?:https?:)?//""", html, re.I)
    assert not re.search(r"""url\(\s*["']?(?:https?:)?//""", html, re.I), "a stylesheet loads a remote font or image"
    assert html.count("data:image/png;base64,") >= len(list((built_report.out_dir / "figures").glob("*.png")))


def _pdf_pages(built_report) -> list[str]:
    from pypdf import PdfReader

    return [
        re.sub(r"\s+", "", page.extract_text() or "").replace("’", "'") for page in PdfReader(built_report.pdf).pages
    ]


def test_pdf_is_a4(built_report):
    from pypdf import PdfReader

    for number, page in enumerate(PdfReader(built_report.pdf).pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842), f"page {number} is {width:.0f}×{height:.0f} pt, not A4"


def test_pdf_opens_on_the_synthesis(built_report):
    pages = _pdf_pages(built_report)
    synthesis = next(i for i, text in enumerate(pages) if "fournisseurprincipalretenu" in text)
    # Body text of chapter 1 (not in the table of contents): it comes after the synthesis.
    chapter_one = next(i for i, text in enumerate(pages) if "estuneentrepriseindustrielle" in text)
    assert synthesis < chapter_one
    toc = max(i for i, text in enumerate(pages) if "Tabledesmatières" in text)
    assert synthesis == toc + 1, "the synthesis is not the first page after the table of contents"


def test_pdf_shows_no_setup_code(built_report):
    text = "".join(_pdf_pages(built_report))
    for marker in ("setup_notebook(", "IN_TEST=bool", "importos"):
        assert marker not in text, f"set-up code ({marker}) reached the PDF: tag its cell remove-cell or remove-input"
