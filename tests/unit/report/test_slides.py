"""The debrief deck: a short numbered notebook, at most 15 slides, reveal.js served from a local copy only."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from hybridflow.report.publish import slides
from hybridflow.report.publish.build import list_notebooks

SECTIONS = ("Contexte", "Architecture", "Pipeline", "Résultats", "Limites", "Suites")


def _deck_notebook():
    (path,) = list_notebooks(slides.SLIDES_NOTEBOOKS)
    return path, nbformat.read(path, as_version=4)


def test_the_deck_notebook_is_short_and_covers_the_debrief():
    path, nb = _deck_notebook()
    assert path.name.startswith("01_")
    assert 6 <= slides.count_slides(nb) <= slides.MAX_SLIDES
    headings = " ".join(c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown")
    for section in SECTIONS:
        assert section in headings, f"no slide about {section}"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and nb.cells.index(params[0]) == 1


def test_external_references_are_found():
    page = (
        '<script src="https://cdn.example/x.js"></script><link href="//fonts.example/f.css">'
        '<style>@import url(https://fonts.example/a.css);</style><img src="reveal.js/dist/x.png">'
    )
    assert len(slides.external_references(page)) == 3
    assert slides.external_references('<script src="reveal.js/dist/reveal.js"></script>') == []


def test_exported_slides_load_nothing_from_the_network(tmp_path):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Titre", metadata={"slideshow": {"slide_type": "slide"}}),
            new_code_cell("x = 1", metadata={"tags": ["remove-cell"]}),
            new_markdown_cell("## Deux", metadata={"slideshow": {"slide_type": "slide"}}),
        ]
    )
    body, _ = slides.deck_exporter().from_notebook_node(nb)
    assert slides.external_references(body) == []
    assert 'src="reveal.js/dist/reveal.js"' in body and "reveal.js/dist/theme/white.css" in body
    assert body.count("<section") >= 2 and "x = 1" not in body


def test_reveal_is_copied_beside_the_deck(tmp_path):
    folder = slides.copy_reveal(tmp_path)
    assert (folder / "dist" / "reveal.js").is_file() and (folder / "plugin" / "notes" / "notes.js").is_file()
    theme = (folder / "dist" / "theme" / "white.css").read_text()
    assert slides.external_references(theme) == []  # its fonts are local files too


def test_the_built_deck_when_it_was_made():
    deck = slides.SLIDES_DIR / f"{slides.DECK_NAME}.slides.html"
    if not deck.exists():
        import pytest

        pytest.skip("make slides has not been run on this machine")
    html = deck.read_text(encoding="utf-8")
    assert slides.external_references(html) == []
    assert (slides.SLIDES_DIR / slides.REVEAL_FOLDER / "dist" / "reveal.js").is_file()
