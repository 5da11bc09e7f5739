"""The report's pure helpers: tables for HTML/LaTeX, notebook listing and cleaning, combining."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from hybridflow.report.display import latex_escape, show
from hybridflow.report.errors import ReportError
from hybridflow.report.publish.build import clean, combine, list_notebooks


def test_latex_escape_covers_specials():
    assert (
        latex_escape("50% de R&D_x #1 {a} ~ ^ \\")
        == r"50\% de R\&D\_x \#1 \{a\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )


def test_table_renders_html_and_latex_and_truncates_long_cells():
    table = show(pd.DataFrame({"a": [1, 2], "texte": ["x" * 200, "<b>"]}), caption="Légende")
    html = table._repr_html_()
    assert "&lt;b&gt;" in html and "<caption>Légende</caption>" in html
    latex = table._repr_latex_()
    assert r"\begin{tabular}" in latex and r"\toprule" in latex and "…" in latex
    assert "x" * 200 not in latex


def test_show_refuses_what_it_cannot_display():
    with pytest.raises(ReportError):
        show(42)


def test_show_accepts_dicts_and_records():
    assert list(show({"k": "v"}).frame.columns) == ["clé", "valeur"]
    assert len(show([{"a": 1}, {"a": 2}]).frame) == 2


def test_list_notebooks_orders_and_filters(tmp_path):
    for name in ("02_b.ipynb", "01_a.ipynb", "notes.ipynb", "10_c.ipynb"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in list_notebooks(tmp_path)] == ["01_a.ipynb", "02_b.ipynb", "10_c.ipynb"]
    assert [p.name for p in list_notebooks(tmp_path, only=["10"])] == ["10_c.ipynb"]
    with pytest.raises(ReportError):
        list_notebooks(tmp_path, only=["99"])


def test_clean_removes_outputs_and_counts():
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=3, outputs=[nbformat.v4.new_output("stream", text="x")])
    nb = clean(nbformat.v4.new_notebook(cells=[cell]))
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None


def test_combine_adds_title_page_and_toc_in_order():
    a = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 1 — Premier\n\nrésumé")])
    b = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 2 — Second\n\nrésumé")])
    combined = combine([("01_premier", a), ("02_second", b)], "1 janvier 2026", "abc1234")
    title = combined.cells[0]
    assert "html-only" in title.metadata["tags"]
    assert title.source.index("1 — Premier") < title.source.index("2 — Second")
    assert "abc1234" in title.source and combined.metadata["hybridflow"]["commit"] == "abc1234"
    sources = [c.source for c in combined.cells]
    assert sources.index("# 1 — Premier\n\nrésumé") < sources.index("# 2 — Second\n\nrésumé")
