"""The self-assessment: no line is « fait » without a passing check; test outcomes come from JUnit XML."""

from __future__ import annotations

import pytest

from hybridflow.config import get_settings
from hybridflow.report import checklist, evidence

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
  <testcase classname="tests.unit.report.test_checklist" name="test_a" time="0.1"/>
  <testcase classname="tests.unit.report.test_checklist" name="test_b[x]" time="0.1"><failure message="boom"/></testcase>
  <testcase classname="tests.unit.report.test_checklist" name="test_c" time="0.1"><skipped message="no"/></testcase>
  <testcase classname="tests.unit.report.test_views" name="test_d" time="0.1"/>
</testsuite></testsuites>"""
FILE = "tests/unit/report/test_checklist.py"


@pytest.fixture
def results(tmp_path):
    (tmp_path / "test.xml").write_text(JUNIT)
    return evidence.load(tmp_path)


def _ok(settings):
    return checklist.passed("vu")


def _bad(settings):
    return checklist.failed("pas vu")


def _absent(settings):
    return checklist.not_run("rien à regarder")


def test_junit_cases_become_node_ids_with_their_outcome(results):
    assert results[f"{FILE}::test_a"].outcome == evidence.PASSED
    assert results[f"{FILE}::test_b[x]"].outcome == evidence.FAILED
    assert results[f"{FILE}::test_c"].outcome == evidence.SKIPPED


def test_a_reference_covers_its_file_its_test_and_every_parameter(results):
    assert evidence.summarise(f"{FILE}::test_a", results)[0] == evidence.PASSED
    assert evidence.summarise(f"{FILE}::test_b", results)[0] == evidence.FAILED
    assert evidence.summarise(FILE, results)[0] == evidence.FAILED  # one case of the file failed
    assert evidence.summarise(f"{FILE}::test_c", results)[0] == evidence.NOT_RUN  # skipped is not proof
    assert evidence.summarise("tests/unit/report/test_nothing.py", results)[0] == evidence.NOT_RUN


def test_the_newest_junit_file_wins(tmp_path):
    import os

    (tmp_path / "old.xml").write_text(JUNIT)
    (tmp_path / "new.xml").write_text(JUNIT.replace('<failure message="boom"/>', ""))
    os.utime(tmp_path / "old.xml", (1, 1))
    assert evidence.load(tmp_path)[f"{FILE}::test_b[x]"].outcome == evidence.PASSED


@pytest.mark.parametrize(
    ("tests", "checks", "status"),
    [
        ((f"{FILE}::test_a",), (_ok,), checklist.DONE),
        ((f"{FILE}::test_a",), (_absent,), checklist.PARTIAL),
        ((f"{FILE}::test_b",), (_ok,), checklist.FAILED),
        ((), (_bad,), checklist.FAILED),
        ((f"{FILE}::test_c",), (_absent,), checklist.UNVERIFIED),
        (("tests/unit/report/test_nothing.py",), (), checklist.UNVERIFIED),
        ((), (), checklist.UNVERIFIED),
    ],
)
def test_status_follows_the_checks(results, tests, checks, status):
    item = checklist.Deliverable("livrable", "source", "où", tests, checks)
    table = checklist.evaluate(get_settings(), (item,), results)
    assert table["statut"].tolist() == [status]


def test_no_line_is_done_without_a_passing_check_and_none_not_run(results):
    """Over the real checklist with made-up outcomes: every « fait » line has only passing checks."""
    checks = checklist.detail(get_settings(), checklist.DELIVERABLES, results)
    table = checklist.evaluate(get_settings(), checklist.DELIVERABLES, results, checks=checks)
    for row in table.to_dict("records"):
        mine = checks[checks["livrable"] == row["livrable"]]["résultat"].tolist()
        if row["statut"] == checklist.DONE:
            assert mine and set(mine) == {evidence.PASSED}, row["livrable"]
        if not mine or set(mine) == {evidence.NOT_RUN}:
            assert row["statut"] == checklist.UNVERIFIED, row["livrable"]


def test_without_any_test_result_nothing_is_done_on_tests_alone(tmp_path):
    checks = checklist.detail(get_settings(), checklist.DELIVERABLES, results={})
    table = checklist.evaluate(get_settings(), checklist.DELIVERABLES, {}, checks=checks)
    only_tests = [d.name for d in checklist.DELIVERABLES if not d.checks]
    assert set(table[table["livrable"].isin(only_tests)]["statut"]) == {checklist.UNVERIFIED}


def test_every_test_the_checklist_names_exists():
    assert checklist.missing_references() == []


def test_a_check_that_crashes_counts_as_failed():
    def broken(settings):
        raise RuntimeError("oops")

    item = checklist.Deliverable("livrable", "s", "o", (), (broken,))
    checks = checklist.detail(get_settings(), (item,), {})
    assert checks["résultat"].tolist() == [evidence.FAILED] and "oops" in checks["constat"].iloc[0]
