"""Build the report once per session, in smoke mode, into a temporary folder (real stack, real Spark).

``built_report`` executes every notebook headless (``IN_TEST=1`` shrinks their workloads)
with ``keep_going=True``, so each notebook's test reports its own failure, then exports the
HTML and the PDF. The build runs in an isolated namespace (its own ``report_<run>_*`` topics,
``data/report/runs/<run>/`` folder and CRM database), so it never collides with `make report`
or another test session; all of it is removed at the end. The stack is started as `make up`
does (idempotent, left running).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from hybridflow.config import Settings


@pytest.fixture(scope="session")
def built_report(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The `BuildSummary` of a smoke build of every notebook (HTML + PDF) in a temporary folder."""
    from hybridflow.report.context import cleanup_run
    from hybridflow.report.publish.build import build_report
    from hybridflow.services import up

    up(settings)
    run = f"t{uuid.uuid4().hex[:8]}"
    try:
        yield build_report(
            out_dir=tmp_path_factory.mktemp("report"), smoke=True, progress=False, keep_going=True, run=run
        )
    finally:
        cleanup_run(run)
