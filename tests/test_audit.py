"""Mutation analysis (issue 17): `autograder audit` and `validate --mutants` grade mutants
of the solution through the real grading path; a mutant the tests pay in full lowers the
score, below the config's floor validate fails naming it, and one that never ends is
stopped by the time limit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from tests.conftest import Invoke
from tests.factory import answered, course_config, write_config

pytestmark = pytest.mark.sandbox

NOTEBOOK = "assignments/demo/source/a1/demo.ipynb"
WEAK_MUL_TEST = 'assert isinstance(mul(2, 3), (int, float)), "mul returns a number"'
COUNTING_ADD = (
    'def add(a, b):\n    """Return a + b (b >= 0), one step at a time."""\n'
    "    ### BEGIN SOLUTION\n    total, i = a, 0\n    while i < b:\n        total += 1\n"
    "        i += 1\n    return total\n    ### END SOLUTION"
)


def _set_cell(repo: Path, grade_id: str, source: str) -> None:
    notebook = nbformat.read(repo / NOTEBOOK, as_version=4)
    nbformat.write(answered(notebook, {grade_id: source}), repo / NOTEBOOK)


def _configure(repo: Path, **settings: object) -> None:
    config = course_config()
    config["assignments"][0].update(settings)
    write_config(repo, config)


def _score(output: str) -> float:
    found = re.search(r"mutation score ([0-9.]+)", output)
    assert found, output
    return float(found.group(1))


def test_tests_that_refuse_every_mutant_score_one(repo: Path, cli: Invoke) -> None:
    result = cli("audit", "demo", "a1")
    assert result.exit_code == 0, result.output
    assert _score(result.output) == 1.0
    assert "survives" not in result.output


def test_a_surviving_mutant_lowers_the_score_and_is_shown_as_a_diff(
    repo: Path, cli: Invoke
) -> None:
    _set_cell(repo, "test_mul", WEAK_MUL_TEST)
    result = cli("audit", "demo", "a1")
    assert result.exit_code == 0, result.output  # no floor set: reported, not failed
    assert _score(result.output) < 1.0
    assert "survives mul/arithmetic-" in result.output
    assert "+    return (a / b)" in result.output
    data = json.loads((repo / "assignments/demo/reports/a1/mutation.json").read_text())
    survivors = [m for m in data["mutants"] if m["verdict"] == "survived"]
    assert [m["what"] for m in survivors] == ["`*` -> `/`"]
    strength = {t["grade_id"]: t for t in data["tests"]}
    assert strength["test_add"]["score"] == 1.0 and strength["test_mul"]["score"] < 1.0
    page = (repo / "assignments/demo/reports/a1/mutation.html").read_text()
    assert "mul/arithmetic-" in page and "survived" in page


def test_the_teachers_report_shows_the_last_audit(repo: Path, cli: Invoke) -> None:
    _set_cell(repo, "test_mul", WEAK_MUL_TEST)
    assert cli("audit", "demo", "a1").exit_code == 0
    result = cli("report", "demo", "a1")
    assert result.exit_code == 0, result.output
    page = (repo / "assignments/demo/reports/a1/index.html").read_text()
    assert re.search(r"mutation score 0\.\d\d", page), page[:2000]
    assert "href='mutation.html'" in page


def test_below_its_floor_validate_fails_naming_the_survivor(repo: Path, cli: Invoke) -> None:
    _set_cell(repo, "test_mul", WEAK_MUL_TEST)
    _configure(repo, mutation_score=0.9)
    result = cli("validate", "demo", "--no-lectures", "--mutants")
    assert result.exit_code == 1, result.output
    assert "below the floor 0.90" in result.output
    assert re.search(r"mul/arithmetic-[0-9a-f]{8}: `\*` -> `/`", result.output)


def test_an_acknowledged_equivalent_mutant_leaves_the_score(repo: Path, cli: Invoke) -> None:
    _set_cell(repo, "test_mul", WEAK_MUL_TEST)
    first = cli("audit", "demo", "a1")
    survivor = re.search(r"survives (mul/arithmetic-[0-9a-f]{8})", first.output)
    assert survivor, first.output
    _configure(
        repo,
        mutation_score=1.0,
        equivalent_mutants=[{"id": survivor.group(1), "reason": "stands in for the test"}],
    )
    result = cli("validate", "demo", "--no-lectures", "--mutants")
    assert result.exit_code == 0, result.output
    assert "1 acknowledged as equivalent" in result.output


def test_a_mutant_that_never_ends_is_killed_by_the_time_limit(repo: Path, cli: Invoke) -> None:
    _set_cell(repo, "add", COUNTING_ADD)
    result = cli("audit", "demo", "a1")
    assert result.exit_code == 0, result.output
    data = json.loads((repo / "assignments/demo/reports/a1/mutation.json").read_text())
    stuck = [
        m
        for m in data["mutants"]
        if m["operator"] == "remove" and "\n-        i += 1\n" in m["diff"]
    ]
    assert stuck and all(m["verdict"] == "killed by the time limit" for m in stuck), stuck
