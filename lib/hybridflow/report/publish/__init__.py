"""Publishing the report: the notebooks executed and exported, the debrief deck, the recorded demo, the code listings.

- ``build``      execute the numbered notebooks (nbclient), export HTML + PDF (nbconvert, xelatex)
- ``exporters``  nbconvert's HTML, LaTeX and slides exporters, set up once (templates in ``templates/``)
- ``slides``     the debrief deck (reveal.js, offline) from ``notebooks/slides/``
- ``video``      `make demo` recorded in a real terminal (asciinema), replayed (pyte), drawn (Pillow)
- ``listings``   the pipeline's source code shown in the report, highlighted (Pygments)

What the notebooks call to compute and show their content is the rest of :mod:`hybridflow.report`.
"""
