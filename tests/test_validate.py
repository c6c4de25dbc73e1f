"""`autograder validate` passes good content and names what is wrong with bad content."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from tests.conftest import Invoke, invoker
from tests.factory import course_config, make_manual_repo, manual_config, write_config


def test_good_course_validates(cli: Invoke) -> None:
    result = cli("validate", "demo")
    assert result.exit_code == 0, result.output
    assert "ok lecture demo/01-demo.md" in result.output
    assert "ok assignment demo/a1" in result.output
    assert "3 passed, 0 failed" in result.output


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


def test_figure_without_alt_text_is_reported(repo: Path, cli: Invoke) -> None:
    lecture = repo / "book/demo/01-demo.md"
    figure = "```{code-cell} ipython3\nimport matplotlib.pyplot as plt\n"
    figure += "plt.plot([0, 1])\nplt.show()\n```\n"
    lecture.write_text(lecture.read_text().replace("## Takeaways", figure + "\n## Takeaways"))
    result = cli("validate", "demo", "--no-assignments")
    assert result.exit_code == 1
    assert "draws a figure without alt text" in result.output


def test_untagged_stderr_noise_is_reported(repo: Path, cli: Invoke) -> None:
    lecture = repo / "book/demo/01-demo.md"
    noisy = "```{code-cell} ipython3\nimport warnings\nwarnings.warn('noise')\n```\n"
    lecture.write_text(lecture.read_text().replace("## Takeaways", noisy + "\n## Takeaways"))
    result = cli("validate", "demo", "--no-assignments")
    assert result.exit_code == 1
    assert "writes to stderr" in result.output and "tag the cell remove-stderr" in result.output


def test_heading_jump_is_reported(repo: Path, cli: Invoke) -> None:
    lecture = repo / "book/demo/01-demo.md"
    lecture.write_text(lecture.read_text().replace("## Takeaways", "#### Takeaways"))
    result = cli("validate", "demo", "--no-assignments")
    assert result.exit_code == 1
    assert "heading level jumps from 1 to 4" in result.output


def test_start_page_without_help_is_reported(repo: Path, cli: Invoke) -> None:
    (repo / "book/demo/index.md").write_text(
        "# Demo\n\nGoals: add. Prerequisites: none. 2 hours.\n"
    )
    result = cli("validate", "demo", "--no-assignments")
    assert result.exit_code == 1
    assert "the course start page does not say its how to get help" in result.output


@pytest.fixture
def manual_repo(tmp_path: Path) -> Path:
    """The demo assignment with a written answer, a task and a partial-credit test."""
    return make_manual_repo(tmp_path / "repo")


def test_manual_answers_and_tasks_are_listed_not_failed(manual_repo: Path) -> None:
    result = invoker(manual_repo)("validate", "demo", "--no-lectures")
    assert result.exit_code == 0, result.output
    assert "ok assignment demo/a1" in result.output
    assert "manual: 'explain_add' (2 points, graded by a person)" in result.output
    assert "manual: 'task_review' (1 point, a task graded by a person)" in result.output


def test_manual_cells_listed_as_autograded_are_named_with_their_place(manual_repo: Path) -> None:
    config = manual_config()
    spec = config["assignments"][0]["notebooks"][0]
    spec["points"].update(spec.pop("manual"))  # as configs were written before `manual:`
    write_config(manual_repo, config)
    result = invoker(manual_repo)("validate", "demo", "--no-lectures")
    assert result.exit_code == 1
    for gid, what in (("explain_add", "an answer"), ("task_review", "a task")):
        assert (
            f"{gid!r} is {what} graded by a person in the notebook, but "
            "course_configs/demo.yml lists it under points: (autograded tests): "
            "move it to manual: (graded by a person)"
        ) in result.output
    assert "no graded cell" not in result.output


def test_manual_points_disagreeing_with_config_are_reported(manual_repo: Path) -> None:
    config = manual_config()
    config["assignments"][0]["notebooks"][0]["manual"]["task_review"] = 2
    write_config(manual_repo, config)
    result = invoker(manual_repo)("validate", "demo", "--no-lectures")
    assert result.exit_code == 1
    assert (
        "'task_review' is worth 1 point in the notebook but 2 in course_configs/demo.yml"
        in result.output
    )


def test_manual_answer_without_model_answer_is_reported(manual_repo: Path) -> None:
    path = manual_repo / "assignments/demo/source/a1/demo.ipynb"
    notebook = nbformat.read(path, as_version=4)
    answer = next(c for c in notebook.cells if c.metadata["nbgrader"]["grade_id"] == "explain_add")
    answer.source = "YOUR ANSWER HERE"  # what the release has: nbgrader sees no answer
    nbformat.write(notebook, path)
    result = invoker(manual_repo)("validate", "demo", "--no-lectures")
    assert result.exit_code == 1
    assert "the solution's answer 'explain_add' is the same as the release's" in result.output


def test_three_assignments_validate_concurrently(repo: Path, cli: Invoke) -> None:
    """Validate grades assignments in threads, each with its own pool and temporary course
    folder; none may pull another's folder from under it."""
    config = course_config()
    first = config["assignments"][0]
    config["assignments"] = [{**first, "id": f"a{i}"} for i in (1, 2, 3)]
    write_config(repo, config)
    source = repo / "assignments/demo/source"
    for i in (2, 3):
        shutil.copytree(source / "a1", source / f"a{i}")
    result = cli("validate", "demo", "--no-lectures", "--workers", "3")
    assert result.exit_code == 0, result.output
    assert "3 passed, 0 failed" in result.output


def test_one_assignment_is_validated_alone(cli: Invoke) -> None:
    result = cli("validate", "demo", "a1")
    assert result.exit_code == 0, result.output
    assert "ok assignment demo/a1" in result.output
    assert "lecture" not in result.output and "1 passed, 0 failed" in result.output


def test_an_unknown_assignment_is_named_with_the_known_ones(cli: Invoke) -> None:
    result = cli("validate", "demo", "a9")
    assert result.exit_code == 2
    assert "course 'demo' has no assignment 'a9' (known: a1)" in result.output
