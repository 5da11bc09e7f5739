"""The exported report reads like a report: set-up hidden by tags, listings from the source, numbered figures."""

from __future__ import annotations

import inspect
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hybridflow.report.display import CaptionedImage, default_caption
from hybridflow.report.errors import ReportError
from hybridflow.report.publish import build, exporters, listings

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"  # pragma: allowlist secret (a 1x1 PNG, not a secret)
)


@pytest.mark.parametrize(
    ("target", "caption"), listings.PIPELINE_LISTINGS, ids=[t for t, _ in listings.PIPELINE_LISTINGS]
)
def test_every_pipeline_listing_is_the_current_source(target, caption):
    item = listings.listing(target, caption)
    lines = item.path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert "".join(lines[item.first_line - 1 : item.last_line]) == item.source
    assert item.source.lstrip().startswith(("def ", "class ", "@"))


def test_a_renamed_function_stops_the_build_naming_the_list_to_update():
    with pytest.raises(ReportError, match="PIPELINE_LISTINGS"):
        listings.listing("hybridflow.streaming.transforms:no_such_function")
    with pytest.raises(ReportError, match="module:function"):
        listings.listing("hybridflow.streaming.transforms")


def test_listing_renders_a_numbered_latex_listing_and_self_contained_html():
    item = listings.listing("hybridflow.report.publish.listings:listing", "exemple")
    latex = item._repr_latex_()
    assert r"\captionof{codelisting}" in latex and r"\begin{Verbatim}" in latex
    assert "lib/hybridflow/report/publish/listings.py" in latex.replace(r"\_", "_")
    page = item._repr_html_()
    assert 'class="hf-listing"' in page and not re.search(r"(?:src|href)=[\"']?https?://", page)
    first = inspect.getsourcelines(listings.listing)[1]
    assert f"lignes {first}–" in item.where


def test_captioned_image_carries_its_caption_for_latex_and_html():
    data, metadata = CaptionedImage(PNG, "Coût sur 3 ans", width=400)._repr_mimebundle_()
    assert metadata["hybridflow"]["caption"] == "Coût sur 3 ans"
    assert (
        '<figure class="hf-figure">' in data["text/html"]
        and "<figcaption>Coût sur 3 ans</figcaption>" in data["text/html"]
    )
    assert data["image/png"] and metadata["image/png"] == {"width": 400}
    assert default_caption("01_architecture_hybride") == "Architecture hybride"


def _nb_with_tags():
    setup = new_code_cell("import os\nSETUPMARKER = 1", metadata={"tags": ["remove-cell"]})
    params = new_code_cell("IN_TEST = False\nPARAMMARKER = 2", metadata={"tags": ["parameters"]})
    plumbing = new_code_cell(
        "show(PLUMBINGMARKER)",
        metadata={"tags": ["remove-input"]},
        outputs=[new_output("execute_result", {"text/plain": "OUTPUTKEPT"}, execution_count=1)],
    )
    teaching = new_code_cell("run_pipeline(TEACHINGMARKER)")
    return new_notebook(cells=[new_markdown_cell("# 1 — Titre\n\n*Résumé.*"), params, setup, plumbing, teaching])


@pytest.mark.parametrize("exporter", ["html", "latex"])
def test_tagged_set_up_is_hidden_and_teaching_code_kept(tmp_path, exporter):
    nb = _nb_with_tags()
    if exporter == "html":
        text = exporters.exporter("html").from_notebook_node(nb)[0]
    else:
        text = (build.export_latex(nb, tmp_path / "latex")).read_text()
    assert "SETUPMARKER" not in text and "PARAMMARKER" not in text and "PLUMBINGMARKER" not in text
    assert "OUTPUTKEPT" in text and "TEACHINGMARKER" in text


def test_the_summing_up_notebook_runs_last(tmp_path):
    for name, meta in (("00_synthese", {"hybridflow": {"run": "last"}}), ("01_a", {}), ("02_b", {})):
        nb = new_notebook(cells=[new_markdown_cell("# t")], metadata=meta)
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    order = build.execution_order(build.list_notebooks(tmp_path))
    assert [p.stem for p in order] == ["01_a", "02_b", "00_synthese"]


def test_the_html_title_page_lists_the_figures_in_order():
    figure = new_output(
        "display_data", {"image/png": "AAAA", "text/plain": "x"}, metadata={"hybridflow": {"caption": "Première"}}
    )
    hidden = new_output("display_data", {"image/png": "AAAA"}, metadata={"hybridflow": {"caption": "Cachée"}})
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 1 — A"),
            new_code_cell("f()", outputs=[figure]),
            new_code_cell("g()", outputs=[hidden], metadata={"tags": ["remove-cell"]}),
        ]
    )
    combined = build.combine([("01_a", nb)], "1 janvier 2027", "abc")
    assert "## Table des figures\n\n1. Première" in combined.cells[0].source
    assert "Cachée" not in combined.cells[0].source
