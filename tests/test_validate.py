"""`autograder validate` passes good content and names what is wrong with bad content."""

from __future__ import annotations

from pathlib import Path

import nbformat

from tests.conftest import Invoke
from tests.factory import course_config, write_config


def test_good_course_validates(cli: Invoke) -> None:
    result = cli("validate", "demo")
    assert result.exit_code == 0, result.output
    assert "ok lecture demo/01-demo.md" in result.output
    assert "ok assignment demo/a1" in result.output
    assert "2 passed, 0 failed" in result.output


def test_test_that_passes_on_the_release_is_reported(repo: Path, cli: Invoke) -> None:
    path = repo / "assignments/demo/source/a1/demo.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[4].source = "assert True  # checks nothing"
    nbformat.write(notebook, path)
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 1
    assert "the untouched release scores 3/3 on 'test_mul'" in result.output


def test_wrong_solution_is_reported(repo: Path, cli: Invoke) -> None:
    path = repo / "assignments/demo/source/a1/demo.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[3].source = notebook.cells[3].source.replace("return a * b", "return a - b")
    nbformat.write(notebook, path)
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 1
    assert "the solution scores 0/3 on 'test_mul'" in result.output


def test_points_disagreeing_with_config_are_reported(repo: Path, cli: Invoke) -> None:
    config = course_config()
    config["assignments"][0]["notebooks"][0]["points"]["test_mul"] = 4
    write_config(repo, config)
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 1
    assert (
        "'test_mul' is worth 3 points in the notebook but 4 in course_configs/demo.yml"
        in result.output
    )


def test_failing_lecture_is_reported(repo: Path, cli: Invoke) -> None:
    lecture = repo / "book/demo/01-demo.md"
    lecture.write_text(lecture.read_text().replace("print(sum(range(10)))", "1 / 0"))
    result = cli("validate", "demo", "--no-assignments")
    assert result.exit_code == 1
    assert "book/demo/01-demo.md: a cell failed" in result.output
    assert "ZeroDivisionError" in result.output
