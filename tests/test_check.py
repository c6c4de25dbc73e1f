"""`autograder check`: the student's self-check, run where there is no course repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.conftest import Invoke, invoker
from tests.factory import answered, make_manual_repo

EXE = Path(sys.executable).with_name("autograder")
ANSWERS = {
    "add": 'def add(a, b):\n    """Return a + b."""\n    return a + b',
    "mul": 'def mul(a, b):\n    """Return a * b."""\n    return a * b',
}


@pytest.fixture
def release(repo: Path, cli: Invoke) -> nbformat.NotebookNode:
    assert cli("release", "demo", "a1").exit_code == 0
    return nbformat.read(repo / "assignments/demo/release/a1/demo.ipynb", as_version=4)


def run_check(notebook: nbformat.NotebookNode, folder: Path) -> subprocess.CompletedProcess:
    """As a student would: in a folder of their own, far from the teacher's files."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.ipynb"
    nbformat.write(notebook, path)
    return subprocess.run(
        [EXE, "check", str(path)], cwd=folder, capture_output=True, text=True, timeout=120
    )


def test_untouched_release_is_reported_as_not_answered(release, tmp_path: Path) -> None:
    result = run_check(release, tmp_path / "student")
    assert result.returncode == 1
    assert "TODO test_add (2 points)" in result.stdout
    assert "Not answered yet: add, mul" in result.stdout
    assert "Gradable: yes" in result.stdout


def test_correct_answers_pass_every_visible_test(release, tmp_path: Path) -> None:
    result = run_check(answered(release, ANSWERS), tmp_path / "student")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 of 2 visible tests pass" in result.stdout


def test_wrong_answer_fails_with_the_test_message(release, tmp_path: Path) -> None:
    wrong = answered(release, {**ANSWERS, "mul": "def mul(a, b):\n    return a + b"})
    result = run_check(wrong, tmp_path / "student")
    assert result.returncode == 1
    assert "FAIL test_mul (3 points): AssertionError: mul(2, 3) should be 6" in result.stdout


def test_deleted_test_cell_makes_it_not_gradable(release, tmp_path: Path) -> None:
    notebook = answered(release, ANSWERS)
    notebook.cells = [
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_mul"
    ]
    result = run_check(notebook, tmp_path / "student")
    assert result.returncode == 1
    assert "test cell 'test_mul' was deleted" in result.stdout


def test_edited_test_cell_is_reported(release, tmp_path: Path) -> None:
    notebook = answered(release, {**ANSWERS, "test_mul": "assert True"})
    result = run_check(notebook, tmp_path / "student")
    assert result.returncode == 1
    assert "test cell 'test_mul' was edited" in result.stdout


def test_duplicated_answer_cell_is_reported(release, tmp_path: Path) -> None:
    notebook = answered(release, ANSWERS)
    copy = nbformat.from_dict(dict(notebook.cells[1]))
    copy.id = "copied-cell"  # Jupyter gives a copied cell a new id
    notebook.cells.insert(2, copy)
    result = run_check(notebook, tmp_path / "student")
    assert result.returncode == 1
    assert "answer cell 'add' appears 2 times" in result.stdout


def test_check_never_sees_hidden_tests(release) -> None:
    text = nbformat.writes(release)
    assert "add(-4, 4)" not in text and "HIDDEN" not in text


def test_broken_notebook_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "demo.ipynb"
    path.write_text('{"cells": [')
    result = subprocess.run([EXE, "check", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "demo.ipynb: not valid JSON" in result.stderr


def test_partial_credit_and_a_written_answer_are_reported(tmp_path: Path) -> None:
    """A partial-credit test that earns part of its points is not a pass, and a written
    answer still reading "YOUR ANSWER HERE" is not answered."""
    repo = make_manual_repo(tmp_path / "repo")
    assert invoker(repo)("release", "demo", "a1").exit_code == 0
    release = nbformat.read(repo / "assignments/demo/release/a1/demo.ipynb", as_version=4)
    wrong = answered(release, {**ANSWERS, "mul": "def mul(a, b):\n    return a + b"})
    result = run_check(wrong, tmp_path / "student")
    assert result.returncode == 1
    assert "FAIL test_partial (2 points): partial credit: 1.5 of 2 points" in result.stdout
    assert "Not answered yet: explain_add" in result.stdout


def test_a_use_of_what_the_assignment_forbids_is_named_before_grading(
    repo: Path, tmp_path: Path
) -> None:
    """It works on the student's machine, so the visible tests pass: the check says that
    grading will refuse it, where, and fails."""
    from tests.factory import course_config, write_config

    config = course_config()
    config["assignments"][0]["forbidden"] = ["operator.add"]
    write_config(repo, config)
    assert invoker(repo)("release", "demo", "a1").exit_code == 0
    release = nbformat.read(repo / "assignments/demo/release/a1/demo.ipynb", as_version=4)
    borrowed = "from operator import add as plus\ndef add(a, b):\n    return plus(a, b)"
    result = run_check(answered(release, {**ANSWERS, "add": borrowed}), tmp_path / "student")
    assert "2 of 2 visible tests pass" in result.stdout
    assert "cell 'add', line 1: operator.add" in result.stdout
    assert result.returncode == 1
