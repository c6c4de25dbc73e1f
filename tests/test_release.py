"""`autograder release`: nbgrader's student version, checked before it is handed out."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.authoring import release as release_mod
from autograder.authoring.release import leaks
from autograder.course.config import load_course
from autograder.course.paths import Repo
from autograder.nbgrader import settings as nbgrader_setup
from tests.conftest import Invoke, invoker
from tests.factory import make_manual_repo


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
    assert "autograder.nbgrader.repair.RepairStructure" in text


def test_a_refused_release_is_removed(
    repo: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if nbgrader were misconfigured: its release still holds the teacher's notebook."""
    source = repo / "assignments/demo/source/a1/demo.ipynb"
    release_dir = repo / "assignments/demo/release/a1"

    def leaky_api(*args: object, **kwargs: object) -> object:
        api = nbgrader_setup.make_api(*args, **kwargs)
        real = api.generate_assignment

        def generate_assignment(*a: object, **kw: object) -> dict:
            outcome = real(*a, **kw)
            shutil.copyfile(source, release_dir / "demo.ipynb")
            return outcome

        api.generate_assignment = generate_assignment
        return api

    monkeypatch.setattr(release_mod, "make_api", leaky_api)
    result = cli("release", "demo", "a1")
    assert result.exit_code == 2
    assert "release refused" in result.output and "contains a solution region" in result.output
    assert not release_dir.exists()


def test_leak_check_catches_a_model_answer_and_a_mark_scheme(tmp_path: Path) -> None:
    """A written answer is all model answer, with no solution markers to find."""
    repo = make_manual_repo(tmp_path / "repo")
    course = load_course(Repo(repo), "demo")
    folder = repo / "fake-release"
    folder.mkdir()
    source = repo / "assignments/demo/source/a1"
    nbformat.write(nbformat.read(source / "demo.ipynb", as_version=4), folder / "demo.ipynb")
    problems = leaks(folder, course.assignment("a1"), source)
    assert any("answer cell 'explain_add' still holds the model answer" in p for p in problems)
    assert any("contains a task's mark scheme" in p for p in problems)


def test_a_written_answer_is_released_empty(tmp_path: Path) -> None:
    repo = make_manual_repo(tmp_path / "repo")
    result = invoker(repo)("release", "demo", "a1")
    assert result.exit_code == 0, result.output
    notebook = nbformat.read(repo / "assignments/demo/release/a1/demo.ipynb", as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells}
    assert cells["explain_add"] == "YOUR ANSWER HERE"
    assert "MARK SCHEME" not in cells["task_review"]
