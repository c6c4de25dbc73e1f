"""`autograder release`: nbgrader's student version, checked before it is handed out."""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.config import load_course
from autograder.paths import Repo
from autograder.release import leaks
from tests.conftest import Invoke


def test_release_removes_solutions_and_hidden_tests(repo: Path, cli: Invoke) -> None:
    result = cli("release", "demo", "a1")
    assert result.exit_code == 0, result.output
    text = (repo / "assignments/demo/release/a1/demo.ipynb").read_text()
    assert "return a + b" not in text
    assert "add(-4, 4)" not in text  # hidden test
    assert "add(1, 2) == 3" in text  # visible test
    assert "raise NotImplementedError()" in text


def test_leak_check_catches_a_solution_left_in_a_release(repo: Path) -> None:
    course = load_course(Repo(repo), "demo")
    folder = repo / "fake-release"
    folder.mkdir()
    notebook = nbformat.read(repo / "assignments/demo/source/a1/demo.ipynb", as_version=4)
    nbformat.write(notebook, folder / "demo.ipynb")
    problems = leaks(folder, course.assignment("a1"))
    assert any("contains a solution region" in p for p in problems)
    assert any("contains hidden tests" in p for p in problems)


def test_generated_nbgrader_config_follows_the_course_config(repo: Path, cli: Invoke) -> None:
    assert cli("release", "demo", "a1").exit_code == 0
    text = (repo / "assignments/demo/nbgrader_config.py").read_text()
    assert "c.CourseDirectory.course_id = 'demo'" in text
    assert "gradebook.db" in text
    assert "autograder.grading.repair.RepairStructure" in text
