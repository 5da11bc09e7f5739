"""Ticket text that attacks the report: shown as text in the HTML, built and shown literally in the PDF.

A customer writes the ``request``: it can hold HTML, LaTeX commands, unbalanced braces, Markdown
that would break a table, control and bidirectional characters. Such a ticket is valid (the model
accepts it, so it lands in the lake and the notebooks show it); here it goes through the very
path of `make report` — `views.tickets_frame` and `show()` in a notebook output, the report's
title page (`combine`), its HTML exporter, its LaTeX exporter and xelatex — and both outputs are
read back: no tag made of the text, no command run, every character shown as typed.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from hybridflow.report import views
from hybridflow.report.display import show
from hybridflow.report.publish.build import combine, compile_pdf, export_html, export_latex
from hybridflow.tickets.model import Ticket

MARKER = f"/tmp/hybridflow-pwned-{uuid.uuid4().hex[:8]}"
HOSTILE = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    r"\input{/etc/passwd}",
    rf"\write18{{touch {MARKER}}}",
    r"\immediate\write18{id} \def\x{",
    "}} unbalanced {{{ 50% #1 & R&D",
    "| a | b |\n|---|---|\n| **gras** | [lien](javascript:alert(1)) |",
    "$x^2$ ~ _souligné_ -- 'quote' `code` \"dbl\"",
    "[option] au début",
    "NUL\x00BEL\x07 RLO\u202eevil",
]
# What each cell shows: the text as typed (whitespace runs as one space), invisible characters as escapes.
SHOWN = [
    " ".join(t.split()).replace("\x00", r"\x00").replace("\x07", r"\x07").replace("\u202e", r"\u202e") for t in HOSTILE
]


def _tickets() -> list[Ticket]:
    """Valid tickets carrying the hostile requests, read from their wire form as the pipeline reads them."""
    tickets = []
    for i, text in enumerate(HOSTILE):
        wire = {
            "ticket_id": str(uuid.UUID(int=i + 1)),
            "client_id": f"C{i + 1:05d}",
            "created_at": "2026-01-31T09:00:00Z",
            "request": text,
            "request_type": "technical",
            "priority": "high",
        }
        tickets.append(Ticket.model_validate_json(json.dumps(wire)))
    return tickets


def _report(tmp_path: Path) -> nbformat.NotebookNode:
    """A one-chapter report whose only output is the table notebook 4 shows (show(tickets[...]))."""
    frame = views.tickets_frame(_tickets())[["client_id", "request"]]
    table = show(frame, caption="Tickets hostiles")
    output = nbformat.v4.new_output(
        "display_data",
        data={"text/html": table._repr_html_(), "text/latex": table._repr_latex_(), "text/plain": repr(table)},
    )
    chapter = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 4 — Tickets hostiles\n\nCe que le client a écrit, tel quel."),
            nbformat.v4.new_code_cell("show(tickets)", outputs=[output]),
        ]
    )
    return combine([("04_hostile", chapter)], "1 janvier 2026", "abc1234")


class _TableReader(HTMLParser):
    """The tags inside the report's tables, and the text of their cells."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.tags: set[str] = set()
        self.cells: list[str] = []
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "hf-table") in attrs:
            self.depth += 1
        if self.depth:
            self.tags.add(tag)
            if tag == "td":
                self._cell = ""

    def handle_endtag(self, tag):
        if self.depth and tag == "td":
            self.cells.append(self._cell)
            self._cell = None
        if tag == "table" and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def test_hostile_requests_are_valid_tickets_that_reach_the_lake():
    assert [t.request for t in _tickets()] == HOSTILE


def test_the_html_report_shows_the_text_and_makes_no_tag_of_it(tmp_path):
    page = export_html(_report(tmp_path), tmp_path / "rapport.html").read_text(encoding="utf-8")
    reader = _TableReader()
    reader.feed(page)
    assert reader.tags <= {"table", "caption", "thead", "tbody", "tr", "th", "td"}, reader.tags
    assert [c for c in reader.cells if not re.fullmatch(r"C\d{5}", c)] == SHOWN
    assert "<script>alert" not in page and "<img src=x" not in page


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex not installed: scripts/system-deps.sh report")
def test_the_pdf_builds_and_shows_the_text_literally(tmp_path):
    from pypdf import PdfReader

    tex = export_latex(_report(tmp_path), tmp_path / "latex")
    pdf = compile_pdf(tex, passes=1, progress=False)
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    flat = re.sub(r"\s+", "", text)
    for shown in SHOWN:
        assert re.sub(r"\s+", "", shown) in flat, shown
    assert not Path(MARKER).exists()  # \write18 ran nothing
    assert "root:x:0:0" not in text  # \input read nothing
