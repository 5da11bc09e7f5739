"""Build the report once per session, in smoke mode, into a temporary folder (real stack, real Spark).

``built_report`` executes every notebook headless (``IN_TEST=1`` shrinks their workloads)
with ``keep_going=True``, so each notebook's test reports its own failure, then exports the
HTML and the PDF. The stack is started as `make up` does (idempotent, left running).
"""

from __future__ import annotations

import pytest

from hybridflow.config import Settings


@pytest.fixture(scope="session")
def built_report(settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """The `BuildSummary` of a smoke build of every notebook (HTML + PDF) in a temporary folder."""
    from hybridflow.report.build import build_report
    from hybridflow.stack import up

    up(settings)
    return build_report(out_dir=tmp_path_factory.mktemp("report"), smoke=True, progress=False, keep_going=True)
