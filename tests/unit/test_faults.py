"""The fault table: every test it names exists, and docs/robustness.md shows the table as the package renders it."""

from __future__ import annotations

import ast
import re

import pytest

from hybridflow.config import PROJ_ROOT
from hybridflow.faults import FAULTS, faults_markdown, frame


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.test], ids=lambda f: f.fault[:40])
def test_each_named_test_exists(fault):
    path, _, name = fault.test.partition("::")
    source = PROJ_ROOT / path
    assert source.is_file(), f"{path} does not exist"
    functions = {node.name for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, ast.FunctionDef)}
    assert name in functions, f"{path} has no {name}"


def test_a_fault_without_a_test_does_not_claim_anything():
    for fault in FAULTS:
        if fault.test is None:
            assert fault.behaviour.startswith("Not proved by a test yet")


def test_docs_fault_table_is_current():
    page = (PROJ_ROOT / "docs" / "robustness.md").read_text()
    block = re.search(r"<!-- faults:start -->\n(.*?)\n<!-- faults:end -->", page, re.S)
    assert block, "docs/robustness.md lost its <!-- faults:start/end --> markers"
    assert block.group(1).strip() == faults_markdown().strip(), "paste hybridflow.faults.faults_markdown() there"


def test_the_notebook_frame_has_one_row_per_fault():
    table = frame()
    assert len(table) == len(FAULTS) and next(iter(table.columns)) == "panne"
