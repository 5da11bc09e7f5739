"""Test outcomes as evidence: the JUnit XML the last `make test` (and `make test-unit` / `test-integration`) wrote.

`make test` runs ``pytest --junitxml=.state/test-results/test.xml``; the two partial targets write
``unit.xml`` and ``integration.xml`` beside it. `load` merges them, the newest file winning for a test
that appears in several, and gives each test node id its outcome: ``passé``, ``échec`` or ``ignoré``.
A test absent from every file did not run: the self-assessment says « non vérifié », not « fait ».
"""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hybridflow.config import PROJ_ROOT

TEST_RESULTS_DIR = PROJ_ROOT / ".state" / "test-results"
PASSED, FAILED, SKIPPED, NOT_RUN = "passé", "échec", "ignoré", "non exécuté"


@dataclass(frozen=True)
class Outcome:
    """One test's last outcome and the run it comes from."""

    nodeid: str
    outcome: str
    source: str  # the JUnit file
    when: datetime


def nodeid(classname: str, name: str, root: Path = PROJ_ROOT) -> str:
    """pytest's node id from a JUnit test case (pytest writes the node id's path with dots, without '.py')."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if (root / path).exists():
            return "::".join([path, *parts[cut:], name])
    return "::".join(["/".join(parts) + ".py", name])


def read_junit(path: Path, root: Path = PROJ_ROOT) -> dict[str, Outcome]:
    """Every test case of one JUnit XML file, by node id."""
    when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    tree = ET.parse(path)
    results = {}
    for case in tree.iter("testcase"):
        node = nodeid(case.get("classname", ""), case.get("name", ""), root)
        tags = {child.tag for child in case}
        outcome = FAILED if tags & {"failure", "error"} else SKIPPED if "skipped" in tags else PASSED
        results[node] = Outcome(node, outcome, path.name, when)
    return results


def load(folder: Path = TEST_RESULTS_DIR, root: Path = PROJ_ROOT) -> dict[str, Outcome]:
    """The latest outcome of every test found in the JUnit files of `folder` (oldest file first, newer ones win)."""
    folder = Path(folder)
    results: dict[str, Outcome] = {}
    if not folder.is_dir():
        return results
    for path in sorted(folder.glob("*.xml"), key=lambda p: p.stat().st_mtime):
        try:
            results.update(read_junit(path, root))
        except (ET.ParseError, OSError):
            continue  # a run cut short leaves a partial file: its tests count as not run
    return results


def matching(ref: str, results: dict[str, Outcome]) -> list[Outcome]:
    """The outcomes a reference covers: a whole file ('tests/x.py'), a test ('…::test_y', every parameter) or one case."""
    if "::" not in ref:
        return [o for node, o in results.items() if node.startswith(ref + "::")]
    return [o for node, o in results.items() if node == ref or node.startswith((ref + "[", ref + "::"))]


def summarise(ref: str, results: dict[str, Outcome]) -> tuple[str, str]:
    """(outcome, text) of one reference: failed if any case failed, passed if all that ran passed, else not run."""
    found = matching(ref, results)
    ran = [o for o in found if o.outcome != SKIPPED]
    if not ran:
        return NOT_RUN, f"{ref} : non exécuté"
    failed = [o for o in ran if o.outcome == FAILED]
    when = max(o.when for o in ran)
    label = ref.removeprefix("tests/")
    if failed:
        return FAILED, f"{label} : {len(failed)}/{len(ran)} en échec ({when:%d/%m %H:%M})"
    return PASSED, f"{label} : {len(ran)}/{len(ran)} passé(s) ({when:%d/%m %H:%M})"


def reference_exists(ref: str, root: Path = PROJ_ROOT) -> bool:
    """True when the file exists and, for 'file::name' (parameters stripped), it defines that test."""
    path, _, name = ref.partition("::")
    file = root / path
    if not file.is_file():
        return False
    if not name:
        return True
    name = name.split("[", 1)[0].split("::")[-1]
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name for node in ast.walk(tree)
    )
