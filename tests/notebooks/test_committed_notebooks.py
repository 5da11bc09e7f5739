"""The committed notebooks are clean and follow the house layout (no stack needed)."""

from __future__ import annotations

import re

import nbformat
import pytest

from hybridflow.config import NOTEBOOKS_DIR
from hybridflow.report.publish.build import list_notebooks

NOTEBOOKS = list_notebooks(NOTEBOOKS_DIR)


def test_notebooks_are_numbered_in_reading_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == sorted(set(numbers)), "two notebooks share a number, or the order is broken"
    assert all(re.fullmatch(r"\d{2}_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs_or_execution_counts(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_opens_with_title_summary_and_parameters(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), f"{path.name}: no H1 title first"
    assert len([line for line in first.source.splitlines() if line.strip()]) >= 2, f"{path.name}: no one-line summary"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and nb.cells.index(params[0]) == 1, (
        f"{path.name}: the 2nd cell must be the `parameters` cell"
    )
    assert "IN_TEST" in params[0].source, f"{path.name}: the parameters cell must read IN_TEST (smoke mode)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_code_stays_thin(path):
    """Notebooks call into the package: no function or class is defined in a notebook, no sys.path hack."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert not re.search(r"^\s*(def|class) ", cell.source, re.M), (
            f"{path.name} cell {i + 1}: move the function to hybridflow"
        )
        assert "sys.path" not in cell.source, f"{path.name} cell {i + 1}: no sys.path hacks; the package is installed"
